//! `spinfer fit`: equilibrium or kinetic fits of a data file, with checkpoints.

use std::path::Path;

use clap::{Args, Subcommand};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::json;
use spinfer::{
    data::{read_raster, write_atomic, Checkpoint, DataFingerprint, ModelFile, ModelKind},
    fit::{
        fit_ising_with, fit_kinetic_with, Fit, FitControl, IsingFitSettings, KineticFitSettings,
    },
    optim::{AnyOptimizer, Optimizer, OptimizerKind},
    sample::McmcSettings,
    Error, KineticOptions, Raster, Real, Result,
};

use super::{progress::Progress, CommonFit, Precision, SamplerArg};

#[derive(Subcommand, Debug)]
pub enum FitCommand {
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

pub fn run(what: FitCommand) -> Result<()> {
    match what {
        FitCommand::Ising(a) => {
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
            check_settings(settings.mcmc.check().and(settings.learn.check()), &a.common)?;
            let data = read_raster(&a.common.data, a.common.layout.into())?;
            let (settings, precision, resume) =
                resumed(&a.common, ModelKind::Ising, &data, settings)?;
            settings.mcmc.check()?;
            settings.learn.check()?;
            match precision {
                Precision::F64 => fit_ising::<f64>(&data, &settings, &a.common, resume),
                Precision::F32 => fit_ising::<f32>(&data, &settings, &a.common, resume),
            }
        }
        FitCommand::Kinetic(a) => {
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
            check_settings(settings.learn.check(), &a.common)?;
            let data = read_raster(&a.common.data, a.common.layout.into())?;
            if data.n_samples() < 2 {
                return Err(Error::Shape(format!(
                    "{}: a time series needs at least 2 bins",
                    a.common.data.display()
                )));
            }
            let (settings, precision, resume) =
                resumed(&a.common, ModelKind::Kinetic, &data, settings)?;
            settings.learn.check()?;
            match precision {
                Precision::F64 => fit_kinetic::<f64>(&data, &settings, &a.common, resume),
                Precision::F32 => fit_kinetic::<f32>(&data, &settings, &a.common, resume),
            }
        }
    }
}

/// Validates the command-line settings before any data is read. A resumed fit takes its
/// settings from the checkpoint instead, so there is nothing to check then.
fn check_settings(checks: Result<()>, common: &CommonFit) -> Result<()> {
    if common.resume.is_some() {
        return Ok(());
    }
    checks?;
    match common.lr {
        Some(lr) => {
            let kind = common.optimizer.map_or(OptimizerKind::Sgd, Into::into);
            <AnyOptimizer as Optimizer<f64>>::check(&AnyOptimizer::new(kind, lr))
        }
        None => Ok(()),
    }
}

fn apply_common(
    c: &CommonFit,
    optimizer: &mut OptimizerKind,
    lr: &mut f64,
    learn: &mut spinfer::LearnSettings,
) {
    if let Some(o) = c.optimizer {
        *optimizer = o.into();
    }
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

/// With --resume: the checkpoint's settings (with --iters applied), precision and learner
/// state, after checking that it belongs to this kind of fit and to this data.
fn resumed<S: DeserializeOwned + HasBudget>(
    common: &CommonFit,
    kind: ModelKind,
    data: &Raster,
    settings: S,
) -> Result<(S, Precision, Option<serde_json::Value>)> {
    let Some(path) = &common.resume else {
        return Ok((settings, common.precision, None));
    };
    let c = Checkpoint::read(path)?;
    if c.kind != kind {
        return Err(Error::Shape(format!(
            "{} is a checkpoint of a {:?} fit",
            path.display(),
            c.kind
        )));
    }
    c.check_data(path, data)?;
    let mut settings: S = serde_json::from_value(c.settings)
        .map_err(|e| Error::Shape(format!("{}: unreadable settings: {e}", path.display())))?;
    if let Some(k) = common.iters {
        settings.set_max_iters(k);
    }
    let precision = if c.precision == "f32" {
        Precision::F32
    } else {
        Precision::F64
    };
    Ok((settings, precision, Some(c.learner)))
}

/// Fit settings whose iteration budget --iters can change on resume.
trait HasBudget {
    fn set_max_iters(&mut self, k: usize);
}

impl HasBudget for IsingFitSettings {
    fn set_max_iters(&mut self, k: usize) {
        self.learn.max_iters = k;
    }
}

impl HasBudget for KineticFitSettings {
    fn set_max_iters(&mut self, k: usize) {
        self.learn.max_iters = k;
    }
}

fn fit_ising<T: Real>(
    data: &Raster,
    settings: &IsingFitSettings,
    common: &CommonFit,
    resume: Option<serde_json::Value>,
) -> Result<()> {
    let max_iters = settings.learn.max_iters;
    run_and_save::<T, _, _>(
        data,
        settings,
        ModelKind::Ising,
        max_iters,
        common,
        resume,
        |observer, control| fit_ising_with::<T>(data, settings, None, observer, control),
        ModelFile::from_ising,
    )
}

fn fit_kinetic<T: Real>(
    data: &Raster,
    settings: &KineticFitSettings,
    common: &CommonFit,
    resume: Option<serde_json::Value>,
) -> Result<()> {
    let max_iters = settings.learn.max_iters;
    run_and_save::<T, _, _>(
        data,
        settings,
        ModelKind::Kinetic,
        max_iters,
        common,
        resume,
        |observer, control| fit_kinetic_with::<T>(data, settings, None, observer, control),
        ModelFile::from_kinetic,
    )
}

/// Runs a fit with progress, checkpoints and divergence handling, then writes the model
/// file and the trace.
#[allow(clippy::too_many_arguments)]
fn run_and_save<T: Real, M, S: Serialize>(
    data: &Raster,
    settings: &S,
    kind: ModelKind,
    max_iters: usize,
    common: &CommonFit,
    resume: Option<serde_json::Value>,
    fit: impl FnOnce(&mut Progress, &mut FitControl<'_, M>) -> Result<Fit<M>>,
    to_file: impl Fn(&M) -> ModelFile,
) -> Result<()> {
    if common.checkpoint.is_some() && common.checkpoint_every == 0 {
        return Err(Error::setting("checkpoint-every", 0, ">= 1"));
    }
    let settings_json = serde_json::to_value(settings).unwrap_or_default();
    let fingerprint = DataFingerprint::of(data);
    let mut save_checkpoint = |learner: serde_json::Value| -> Result<()> {
        match &common.checkpoint {
            Some(path) => Checkpoint {
                version: Checkpoint::VERSION,
                kind,
                precision: T::NAME.into(),
                data: fingerprint,
                settings: settings_json.clone(),
                learner,
            }
            .write(path),
            None => Ok(()),
        }
    };
    let mut control = FitControl {
        resume,
        checkpoint_every: if common.checkpoint.is_some() {
            common.checkpoint_every
        } else {
            0
        },
        checkpoint: Some(&mut save_checkpoint),
        last_finite: None,
    };
    let mut progress = Progress::new(max_iters, common.quiet, common.stop_after);
    let result = fit(&mut progress, &mut control);
    progress.finish();
    let fit = match result {
        Ok(fit) => fit,
        Err(e) => {
            if let (Error::NonFinite { iteration, .. }, Some(model)) = (&e, &control.last_finite) {
                let mut file = to_file(model);
                file.settings = settings_json.clone();
                file.metrics = json!({ "diverged_at_iteration": iteration, "precision": T::NAME });
                file.write(&common.out)?;
                eprintln!(
                    "spinfer: the last finite model is in {}",
                    common.out.display()
                );
            }
            return Err(e);
        }
    };
    warn_constant(&fit.constant_cells, &common.data);
    let mut file = to_file(&fit.model);
    file.settings = settings_json;
    file.metrics = metrics(&fit, T::NAME);
    file.write(&common.out)?;
    if let Some(p) = &common.trace {
        write_atomic(p, |w| fit.history.write_csv(w))?;
    }
    report(&fit, kind, data.n_spins(), &common.out);
    Ok(())
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

fn metrics<M>(fit: &Fit<M>, precision: &str) -> serde_json::Value {
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

fn report<M>(fit: &Fit<M>, kind: ModelKind, n: usize, out: &Path) {
    let last = fit.history.records.last();
    let mut line = format!(
        "fitted {kind:?} model ({n} spins): {} iterations, {:?}, max|grad| {:.2e}",
        fit.history.records.len(),
        fit.outcome,
        last.map_or(f64::NAN, |r| r.max_abs_gradient())
    );
    if let Some(l) = last.and_then(|r| r.log_likelihood) {
        line.push_str(&format!(", log-likelihood {l:.6}"));
    }
    println!("{line} -> {}", out.display());
}
