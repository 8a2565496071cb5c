//! `spinfer fit`: equilibrium or kinetic fits of a data file, with checkpoints.

use std::path::Path;

use clap::{Args, Subcommand, ValueEnum};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::json;
use spinfer::{
    data::{read_raster, write_atomic, Checkpoint, DataFingerprint, ModelFile, ModelKind},
    fit::{
        fit_ising_with, fit_kinetic_with, Fit, FitControl, IsingFitSettings, IsingMethod,
        KineticFitSettings, KineticSolver,
    },
    init::{ising_start, kinetic_start},
    learn::Penalty,
    optim::{AnyOptimizer, Optimizer, OptimizerKind},
    report::figures::{inferred_vs_true, learning_curves, Params},
    sample::McmcSettings,
    validate::{ising_score, kinetic_score, rmse, Score, Split},
    Error, KineticOptions, Raster, Real, Result, Transitions,
};

use super::{progress::Progress, CommonFit, InitArg, Precision, SamplerArg};

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
    /// Also stop once the Pearson correlation between the model's (Monte Carlo) and the
    /// data's connected correlations reaches this value, e.g. 0.95. It is read from each
    /// iteration's own samples, whose noise lowers it: check the result with `compare`.
    #[arg(long)]
    target_pearson: Option<f64>,
    /// What to maximise: the likelihood by Boltzmann learning, or the pseudo-likelihood
    /// (no sampling, a few Newton steps; L2 penalties only).
    #[arg(long, value_enum, default_value = "boltzmann")]
    method: MethodArg,
    /// Parameters the optimiser steps in: raw (h, J), or centred (h'_i = h_i + Σ_j J_ij m_j
    /// and J, directions scaled by 1/(1 − m²)) [default: centred from a warm start
    /// (--init mean-field, tap or pseudo), raw from --init zero].
    #[arg(long, value_enum)]
    stepping: Option<SteppingArg>,
}

/// `--stepping` of equilibrium fits.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum SteppingArg {
    Raw,
    Centred,
}

/// `--method` of equilibrium fits.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum MethodArg {
    Boltzmann,
    PseudoLikelihood,
}

impl From<MethodArg> for IsingMethod {
    fn from(m: MethodArg) -> Self {
        match m {
            MethodArg::Boltzmann => IsingMethod::Boltzmann,
            MethodArg::PseudoLikelihood => IsingMethod::PseudoLikelihood,
        }
    }
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
    /// Maximiser: the gradient loop (any model and penalty), or Newton's method row by row
    /// (asymmetric models, L2 only; converges in a handful of passes over the data).
    #[arg(long, value_enum, default_value = "gradient")]
    solver: SolverArg,
    /// The data are repeats of this many bins (953 for the salamander recording): no
    /// transition is counted from the last bin of a repeat to the first of the next.
    #[arg(long)]
    repeat_bins: Option<usize>,
}

/// `--solver` of kinetic fits.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum SolverArg {
    Gradient,
    Newton,
}

impl From<SolverArg> for KineticSolver {
    fn from(s: SolverArg) -> Self {
        match s {
            SolverArg::Gradient => KineticSolver::Gradient,
            SolverArg::Newton => KineticSolver::Newton,
        }
    }
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
                &mut settings.penalty,
            );
            settings.sampler = a.sampler.into();
            settings.learn.target_pearson = a.target_pearson;
            settings.method = a.method.into();
            // From J = 0 raw Adam steps reach r = 0.95–0.98 sooner (centred ones are erratic);
            // from a warm start they knock the start out of place, centred ones keep it
            // (examples/warm_start.rs).
            settings.centered = match a.stepping {
                Some(SteppingArg::Centred) => true,
                Some(SteppingArg::Raw) => false,
                None => a.common.init != InitArg::Zero,
            };
            settings.mcmc = McmcSettings {
                samples: a.samples,
                chains: a.chains,
                burn_in: a.burn_in,
                sweeps: a.sweeps,
                persistent: true,
                seed: a.seed,
            };
            check_settings(
                settings
                    .mcmc
                    .check()
                    .and(settings.learn.check())
                    .and(settings.penalty.check())
                    .and(settings.check_method()),
                &a.common,
            )?;
            let data = read_raster(&a.common.data, a.common.layout.into())?;
            let (train, held_out) = match a.common.split {
                Some(split) => {
                    let (train, test) = Split::from(split).samples(&data);
                    (train, Some(test))
                }
                None => (data, None),
            };
            let (settings, precision, resume) = resumed(
                &a.common,
                ModelKind::Ising,
                DataFingerprint::of(&train),
                settings,
            )?;
            settings.mcmc.check()?;
            settings.learn.check()?;
            let parts = (&train, held_out.as_ref());
            match precision {
                Precision::F64 => fit_ising::<f64>(parts, &settings, &a.common, resume),
                Precision::F32 => fit_ising::<f32>(parts, &settings, &a.common, resume),
            }
        }
        FitCommand::Kinetic(a) => {
            let mut settings = KineticFitSettings {
                options: KineticOptions {
                    symmetric: a.symmetric,
                    self_couplings: a.self_couplings,
                },
                solver: a.solver.into(),
                ..Default::default()
            };
            apply_common(
                &a.common,
                &mut settings.optimizer,
                &mut settings.lr,
                &mut settings.learn,
                &mut settings.penalty,
            );
            let init_check = match a.common.init {
                InitArg::Pseudo => Err(Error::setting(
                    "init",
                    "pseudo",
                    "zero, mean-field or tap for kinetic fits (their likelihood is exact)",
                )),
                _ => Ok(()),
            };
            check_settings(
                settings
                    .learn
                    .check()
                    .and(settings.penalty.check())
                    .and(init_check)
                    .and(settings.check_solver()),
                &a.common,
            )?;
            let data = read_raster(&a.common.data, a.common.layout.into())?;
            if data.n_samples() < 2 {
                return Err(Error::Shape(format!(
                    "{}: a time series needs at least 2 bins",
                    a.common.data.display()
                )));
            }
            let transitions = super::transitions(&data, a.repeat_bins)?;
            let (train, held_out) = match a.common.split {
                Some(split) => {
                    let (train, test) = Split::from(split).transitions(&transitions);
                    (train, Some(test))
                }
                None => (transitions, None),
            };
            if train.is_empty() || held_out.as_ref().is_some_and(|t| t.is_empty()) {
                return Err(Error::Shape(format!(
                    "{}: too few bins for the requested transitions",
                    a.common.data.display()
                )));
            }
            let (settings, precision, resume) = resumed(
                &a.common,
                ModelKind::Kinetic,
                DataFingerprint::of_transitions(&train),
                settings,
            )?;
            settings.learn.check()?;
            let parts = (&train, held_out.as_ref());
            match precision {
                Precision::F64 => fit_kinetic::<f64>(parts, &settings, &a.common, resume),
                Precision::F32 => fit_kinetic::<f32>(parts, &settings, &a.common, resume),
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
    penalty: &mut Penalty,
) {
    *penalty = Penalty {
        l1: c.l1,
        l2: c.l2,
        l1_fields: c.l1_fields,
        l2_fields: c.l2_fields,
    };
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
    data: DataFingerprint,
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
    c.check_data(path, &data)?;
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
    (train, held_out): (&Raster, Option<&Raster>),
    settings: &IsingFitSettings,
    common: &CommonFit,
    resume: Option<serde_json::Value>,
) -> Result<()> {
    let truth = match &common.truth {
        Some(path) => Some(Params::from(
            &read_truth(path, ModelKind::Ising, train.n_spins())?.to_ising::<f64>()?,
        )),
        None => None,
    };
    run_and_save::<T, _, _>(
        FitJob {
            data: DataFingerprint::of(train),
            n: train.n_spins(),
            settings,
            kind: ModelKind::Ising,
            max_iters: settings.learn.max_iters,
            common,
            truth,
        },
        resume,
        |observer, control| {
            let start = match control.resume {
                Some(_) => None,
                None => ising_start::<T>(train, common.init.into())?,
            };
            fit_ising_with::<T>(train, settings, start, observer, control)
        },
        ModelFile::from_ising,
        |model| {
            let train_score = ising_score(model, train)?;
            let held = held_out.map(|d| ising_score(model, d)).transpose()?;
            Ok((train_score, held, Params::from(model)))
        },
    )
}

fn fit_kinetic<T: Real>(
    (train, held_out): (&Transitions, Option<&Transitions>),
    settings: &KineticFitSettings,
    common: &CommonFit,
    resume: Option<serde_json::Value>,
) -> Result<()> {
    let truth = match &common.truth {
        Some(path) => Some(Params::from(
            &read_truth(path, ModelKind::Kinetic, train.n_spins())?.to_kinetic::<f64>()?,
        )),
        None => None,
    };
    run_and_save::<T, _, _>(
        FitJob {
            data: DataFingerprint::of_transitions(train),
            n: train.n_spins(),
            settings,
            kind: ModelKind::Kinetic,
            max_iters: settings.learn.max_iters,
            common,
            truth,
        },
        resume,
        |observer, control| {
            let start = match control.resume {
                Some(_) => None,
                None => kinetic_start::<T>(train, common.init.into(), settings.options)?,
            };
            fit_kinetic_with::<T>(train, settings, start, observer, control)
        },
        ModelFile::from_kinetic,
        |model| {
            let train_score = kinetic_score(model, train)?;
            let held = held_out.map(|d| kinetic_score(model, d)).transpose()?;
            Ok((train_score, held, Params::from(model)))
        },
    )
}

fn read_truth(path: &Path, kind: ModelKind, n: usize) -> Result<ModelFile> {
    let file = ModelFile::read(path)?;
    if file.kind != kind || file.n != n {
        return Err(Error::Shape(format!(
            "{}: the true model is a {:?} model of {} spins, the fit a {kind:?} model of {n}",
            path.display(),
            file.kind,
            file.n
        )));
    }
    Ok(file)
}

/// What a fit run needs besides the fit itself.
struct FitJob<'a, S> {
    data: DataFingerprint,
    n: usize,
    settings: &'a S,
    kind: ModelKind,
    max_iters: usize,
    common: &'a CommonFit,
    truth: Option<Params>,
}

/// Training and held-out scores of a fitted model, and its parameters for figures.
type Scored = (Score, Option<Score>, Params);

/// Runs a fit with progress, checkpoints and divergence handling, then writes the model
/// file (with training and held-out scores), the trace and the figures.
fn run_and_save<T: Real, M, S: Serialize>(
    job: FitJob<'_, S>,
    resume: Option<serde_json::Value>,
    fit: impl FnOnce(&mut Progress, &mut FitControl<'_, M>) -> Result<Fit<M>>,
    to_file: impl Fn(&M) -> ModelFile,
    score: impl Fn(&M) -> Result<Scored>,
) -> Result<()> {
    let FitJob {
        data,
        n,
        settings,
        kind,
        max_iters,
        common,
        truth,
    } = job;
    if common.checkpoint.is_some() && common.checkpoint_every == 0 {
        return Err(Error::setting("checkpoint-every", 0, ">= 1"));
    }
    let settings_json = serde_json::to_value(settings).unwrap_or_default();
    let mut save_checkpoint = |learner: serde_json::Value| -> Result<()> {
        match &common.checkpoint {
            Some(path) => Checkpoint {
                version: Checkpoint::VERSION,
                kind,
                precision: T::NAME.into(),
                data,
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
    if let Some(w) = fit.chains.and_then(|c| c.warning()) {
        eprintln!("spinfer: warning: {w}");
    }
    let (train_score, held_out, params) = score(&fit.model)?;
    let mut metrics = metrics(&fit, T::NAME);
    metrics["train_score"] = json!(train_score);
    metrics["split"] = json!(common
        .split
        .map(|s| format!("{:?}", Split::from(s)).to_lowercase()));
    metrics["held_out_score"] = json!(held_out);
    if let Some(t) = &truth {
        metrics["rmse_h"] = json!(rmse(&t.h, &params.h));
        metrics["rmse_J"] = json!(rmse(&t.j, &params.j));
    }
    let mut file = to_file(&fit.model);
    file.settings = settings_json;
    file.metrics = metrics;
    file.write(&common.out)?;
    if let Some(p) = &common.trace {
        write_atomic(p, |w| fit.history.write_csv(w))?;
    }
    if let Some(dir) = &common.plot {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let name = format!("{kind:?}").to_lowercase();
        learning_curves(
            &dir.join("learning_curve.svg"),
            &format!("{name} fit of {}", common.data.display()),
            &[("fit".to_string(), &fit.history)],
        )?;
        if let Some(t) = &truth {
            inferred_vs_true(
                &dir.join("inferred_vs_true.svg"),
                &format!("{name} fit: inferred vs true"),
                t,
                &[("fit".into(), params.clone())],
            )?;
        }
    }
    report(&fit, kind, n, &common.out);
    let unit = |s: &Score| s.measure.describe();
    match held_out {
        Some(h) => println!(
            "{}: training {:.6}, held out {:.6}",
            unit(&train_score),
            train_score.value,
            h.value
        ),
        None => println!("{}: {:.6}", unit(&train_score), train_score.value),
    }
    if let Some(t) = &truth {
        println!(
            "against the true model: RMSE h {:.4}, J {:.4}",
            rmse(&t.h, &params.h),
            rmse(&t.j, &params.j)
        );
    }
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
        "chains": fit.chains,
        "connected_pearson": last.and_then(|r| r.connected_pearson),
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
