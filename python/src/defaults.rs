//! The defaults of every keyword the Python functions share with the command, read from the
//! library's own settings so that the signatures Python shows cannot drift from them.

use pyo3::prelude::*;
use serde_json::json;
use spinfer::{
    choice::name,
    fit::{Estimator, IsingChoices, IsingFitSettings, KineticFitSettings},
    sample::{AisSettings, FreshSamples, DRAW_BURN_IN, DRAW_SWEEPS},
    thermo::ThermoSettings,
    workflow::{FitJob, ScoreMethod},
    Precision,
};

/// The defaults, as JSON text: one object per function (`fit_ising`, `fit_kinetic`,
/// `compare`, `sample`, `thermo`) mapping keywords to their default values.
#[pyfunction]
pub fn defaults() -> String {
    let ising = IsingFitSettings::default();
    let choices = IsingChoices::default();
    let kinetic = KineticFitSettings::default();
    let fresh = FreshSamples::default();
    let thermo = ThermoSettings::default();
    json!({
        "fit_ising": {
            "model": name(&ising.model),
            "method": name(&ising.method),
            "sampler": name(&ising.sampler),
            "solver": name(&ising.solver),
            "init": name(&ising.init),
            "estimator": name(&Estimator::default()),
            "seed": choices.seed,
            "precision": name(&Precision::default()),
            "optimizer": name(&ising.optimizer),
            "checkpoint_every": FitJob::CHECKPOINT_EVERY,
            "lr": ising.lr,
            "iters": ising.learn.max_iters,
            "tol": ising.learn.grad_tol,
            "samples": ising.mcmc.samples,
            "max_samples": ising.growth.map(|g| g.max_samples),
            "sweeps": ising.mcmc.sweeps,
            "chains": ising.mcmc.chains,
            "burn_in": ising.mcmc.burn_in,
            "target_ratio": ising.faithful.map(|f| f.target),
        },
        "fit_kinetic": {
            "solver": name(&kinetic.solver),
            "init": name(&kinetic.init),
            "precision": name(&Precision::default()),
            "optimizer": name(&kinetic.optimizer),
            "checkpoint_every": FitJob::CHECKPOINT_EVERY,
            "lr": kinetic.lr,
            "iters": kinetic.learn.max_iters,
            "tol": kinetic.learn.grad_tol,
        },
        "compare": {
            "samples": fresh.samples,
            "burn_in": fresh.burn_in,
            "seed": fresh.seed,
            "max_samples": FreshSamples::COMPARE_GROW_TO,
        },
        "sample": { "sweeps": DRAW_SWEEPS, "burn_in": DRAW_BURN_IN },
        "log_likelihood": {
            "seed": AisSettings::default().seed,
            "score": name(&ScoreMethod::default()),
        },
        "thermo": {
            "t_min": thermo.t_min,
            "t_max": thermo.t_max,
            "samples": thermo.samples,
            "runs": thermo.runs,
            "seed": thermo.seed,
        },
    })
    .to_string()
}

/// Every run-time choice by its keyword, with its allowed names, as JSON text
/// (`{"solver": ["auto", "gradient", ...], ...}`), read from the library's enums.
#[pyfunction]
pub fn choices() -> String {
    let all: serde_json::Map<String, serde_json::Value> = spinfer::choice::all()
        .into_iter()
        .map(|(setting, names)| (setting.to_string(), json!(names)))
        .collect();
    serde_json::Value::Object(all).to_string()
}
