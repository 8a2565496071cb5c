//! `spinfer fit`: equilibrium or kinetic fits of a data file.

use std::path::Path;

use clap::{Args, Subcommand};
use serde_json::json;
use spinfer::{
    data::{read_raster, write_atomic, ModelFile},
    fit::{self as fitting, fit_ising, fit_kinetic, IsingFitSettings, KineticFitSettings},
    learn::History,
    sample::McmcSettings,
    Error, Ising, KineticIsing, KineticOptions, Raster, Real, Result,
};

use super::{progress::Progress, CommonFit, Precision, SamplerArg};

#[derive(Subcommand, Debug)]
pub enum Fit {
    /// Equilibrium Ising model by Boltzmann learning.
    Ising(IsingArgs),
    /// Kinetic Ising model (parallel Glauber) by exact-likelihood ascent.
    Kinetic(KineticArgs),
}

#[derive(Args, Debug)]
pub struct IsingArgs {
    #[command(flatten)]
    common: CommonFit,
    /// Model side of the gradient.
    #[arg(long, value_enum, default_value = "metropolis")]
    sampler: SamplerArg,
    /// Monte Carlo samples per iteration.
    #[arg(long, default_value_t = McmcSettings::default().samples)]
    samples: usize,
    /// Sweeps between samples.
    #[arg(long, default_value_t = McmcSettings::default().sweeps)]
    sweeps: usize,
    /// Independent persistent chains.
    #[arg(long, default_value_t = McmcSettings::default().chains)]
    chains: usize,
    /// Burn-in sweeps of fresh chains.
    #[arg(long, default_value_t = McmcSettings::default().burn_in)]
    burn_in: usize,
    /// Seed of the chains.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Args, Debug)]
pub struct KineticArgs {
    #[command(flatten)]
    common: CommonFit,
    /// Constrain J to be symmetric.
    #[arg(long)]
    symmetric: bool,
    /// Allow self-couplings J_ii.
    #[arg(long)]
    self_couplings: bool,
}

pub fn run(what: Fit) -> Result<()> {
    match what {
        Fit::Ising(a) => {
            let mut settings = IsingFitSettings::default();
            apply_common(
                &a.common,
                &mut settings.optimizer,
                &mut settings.lr,
                &mut settings.learn,
            );
            settings.sampler = a.sampler.into();
            settings.mcmc = McmcSettings {
                samples: a.samples,
                chains: a.chains,
                burn_in: a.burn_in,
                sweeps: a.sweeps,
                persistent: true,
                seed: a.seed,
            };
            settings.mcmc.check()?;
            settings.learn.check()?;
            let data = read_raster(&a.common.data, a.common.layout.into())?;
            match a.common.precision {
                Precision::F64 => fit_and_save_ising::<f64>(&data, &settings, &a.common),
                Precision::F32 => fit_and_save_ising::<f32>(&data, &settings, &a.common),
            }
        }
        Fit::Kinetic(a) => {
            let mut settings = KineticFitSettings {
                options: KineticOptions {
                    symmetric: a.symmetric,
                    self_couplings: a.self_couplings,
                },
                ..Default::default()
            };
            apply_common(
                &a.common,
                &mut settings.optimizer,
                &mut settings.lr,
                &mut settings.learn,
            );
            settings.learn.check()?;
            let data = read_raster(&a.common.data, a.common.layout.into())?;
            if data.n_samples() < 2 {
                return Err(Error::Shape(format!(
                    "{}: a time series needs at least 2 bins",
                    a.common.data.display()
                )));
            }
            match a.common.precision {
                Precision::F64 => fit_and_save_kinetic::<f64>(&data, &settings, &a.common),
                Precision::F32 => fit_and_save_kinetic::<f32>(&data, &settings, &a.common),
            }
        }
    }
}

fn apply_common(
    c: &CommonFit,
    optimizer: &mut spinfer::optim::OptimizerKind,
    lr: &mut f64,
    learn: &mut spinfer::LearnSettings,
) {
    *optimizer = c.optimizer.into();
    if let Some(v) = c.lr {
        *lr = v;
    }
    if let Some(v) = c.iters {
        learn.max_iters = v;
    }
    if let Some(v) = c.tol {
        learn.grad_tol = v;
    }
}

fn warn_constant(cells: &[usize], data: &Path) {
    if !cells.is_empty() {
        let list: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
        eprintln!(
            "spinfer: warning: {}: cells {} never or always fire; their statistics are \
             regularised with a pseudocount of 1/(M+1) so that their fields stay finite",
            data.display(),
            list.join(", ")
        );
    }
}

fn metrics<M>(fit: &fitting::Fit<M>, precision: &str) -> serde_json::Value {
    let last = fit.history.records.last();
    json!({
        "iterations": fit.history.records.len(),
        "outcome": format!("{:?}", fit.outcome),
        "max_gradient": last.map(|r| r.max_abs_gradient()),
        "log_likelihood": last.and_then(|r| r.log_likelihood),
        "seconds": last.map(|r| r.seconds),
        "precision": precision,
        "constant_cells": fit.constant_cells,
    })
}

fn write_trace(path: Option<&Path>, history: &History) -> Result<()> {
    match path {
        Some(p) => write_atomic(p, |w| history.write_csv(w)),
        None => Ok(()),
    }
}

fn report<M>(fit: &fitting::Fit<M>, kind: &str, n: usize, out: &Path) {
    let last = fit.history.records.last();
    let mut line = format!(
        "fitted {kind} model ({n} spins): {} iterations, {:?}, max|grad| {:.2e}",
        fit.history.records.len(),
        fit.outcome,
        last.map_or(f64::NAN, |r| r.max_abs_gradient())
    );
    if let Some(l) = last.and_then(|r| r.log_likelihood) {
        line.push_str(&format!(", log-likelihood {l:.6}"));
    }
    println!("{line} -> {}", out.display());
}

fn fit_and_save_ising<T: Real>(
    data: &Raster,
    settings: &IsingFitSettings,
    common: &CommonFit,
) -> Result<()> {
    let mut progress = Progress::new(settings.learn.max_iters, common.quiet);
    let result = fit_ising::<T>(data, settings, None, &mut progress);
    progress.finish();
    let fit = result?;
    warn_constant(&fit.constant_cells, &common.data);
    let model: &Ising<T> = &fit.model;
    let mut file = ModelFile::from_ising(model);
    file.settings = serde_json::to_value(settings).unwrap_or_default();
    file.metrics = metrics(&fit, T::NAME);
    file.write(&common.out)?;
    write_trace(common.trace.as_deref(), &fit.history)?;
    report(&fit, "ising", data.n_spins(), &common.out);
    Ok(())
}

fn fit_and_save_kinetic<T: Real>(
    data: &Raster,
    settings: &KineticFitSettings,
    common: &CommonFit,
) -> Result<()> {
    let mut progress = Progress::new(settings.learn.max_iters, common.quiet);
    let result = fit_kinetic::<T>(data, settings, None, &mut progress);
    progress.finish();
    let fit = result?;
    warn_constant(&fit.constant_cells, &common.data);
    let model: &KineticIsing<T> = &fit.model;
    let mut file = ModelFile::from_kinetic(model);
    file.settings = serde_json::to_value(settings).unwrap_or_default();
    file.metrics = metrics(&fit, T::NAME);
    file.write(&common.out)?;
    write_trace(common.trace.as_deref(), &fit.history)?;
    report(&fit, "kinetic", data.n_spins(), &common.out);
    Ok(())
}
