//! One fit workflow for every front end. `spinfer fit` and `spinfer.fit_ising` /
//! `spinfer.fit_kinetic` both hand [`run`] the data and a [`FitJob`]; it owns what happens
//! between: the split, resumption from a checkpoint and checkpoints along the way, the fit
//! itself (with the library's solver choice), the training and held-out scores, the
//! distance to a true model, the warnings, the metrics and the model file. The front ends
//! keep only what is theirs: arguments and keywords, paths, the progress display, signals or
//! the GIL, and how an error is shown.
//!
//! ```
//! use spinfer::prelude::*;
//! use spinfer::workflow::{run, FitData, FitJob, FitSettings, Silent};
//!
//! let mut rng = spinfer::seeded(3);
//! let truth: Ising<f64> = Ising::planted(6, &mut rng);
//! let data = ExactDistribution::new(&truth).unwrap().sample(20_000, &mut rng);
//! let settings = IsingFitSettings::default().with_sampler(SamplerKind::Exact);
//! let job = FitJob::new(FitSettings::Ising(settings), Precision::F64).unwrap();
//! let report = run(FitData::Samples(data), &job, &mut Silent).unwrap();
//! assert!(report.summary.converged);
//! assert_eq!(report.file.metrics["train_score"]["measure"], "exact");
//! ```

mod evaluate;
mod job;
mod report;

use std::{borrow::Cow, time::Instant};

use serde_json::json;

pub use evaluate::{evaluate, Evaluation, ScoreMethod};
pub use job::{FitJob, FitSettings};
pub use report::{Failure, Report};

use crate::{
    data::{Checkpoint, DataFingerprint, ModelFile},
    fit::{
        auto, fit_ising_sampled_with, fit_ising_with, fit_k_pairwise_with, fit_kinetic_from,
        warnings::data_warnings, EquilibriumModel, Fit, FitControl, IsingFitSettings,
        KineticFitSettings,
    },
    learn::{Control, Observer, Phase, Record},
    model::{Energy, Equilibrium, KPairwise},
    nalgebra::DVector,
    sample::Sampler,
    solve::SolverKind,
    validate::{equilibrium_score, ising_score, kinetic_score, Measure, Params, Score},
    Error, Ising, KineticIsing, Precision, Raster, Real, Result, Transitions,
};

/// The data of a fit: samples of an equilibrium model, or the transitions of a time series.
#[derive(Clone, Debug)]
pub enum FitData {
    /// Samples (one spin configuration each).
    Samples(Raster),
    /// Transitions s(t) → s(t+1) of a time series.
    Series(Transitions),
}

/// What a front end hears of a fit: once, the warnings about the data known before it
/// starts; then every iteration's record, after which it may stop the fit.
pub trait FitObserver {
    /// Called once the data are split, before the warm start.
    fn started(&mut self, _warnings: &[String]) {}

    /// Called after every iteration ([`Observer::observe`]).
    fn iteration(&mut self, record: &Record) -> Control;

    /// Called when the fit enters `phase` ([`Observer::phase`]); [`Control::Stop`] skips a
    /// warm start, check or final comparison not yet begun. The scores are always computed.
    fn phase(&mut self, _phase: Phase) -> Control {
        Control::Continue
    }
}

/// An observer that hears nothing and never stops a fit.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl FitObserver for Silent {
    fn iteration(&mut self, _record: &Record) -> Control {
        Control::Continue
    }
}

/// A [`FitObserver`] as the executor's observer, in whatever precision the fit runs.
pub struct Heard<'a>(pub &'a mut dyn FitObserver);

impl<T: Real> Observer<T> for Heard<'_> {
    fn observe(&mut self, record: &Record, _params: &DVector<T>) -> Control {
        self.0.iteration(record)
    }

    fn phase(&mut self, phase: Phase) -> Control {
        self.0.phase(phase)
    }
}

/// Runs the fit `job` on `data` (samples for an equilibrium fit, transitions for a kinetic
/// one) and returns its [`Report`], or the [`Failure`] with the last finite model.
pub fn run(
    data: FitData,
    job: &FitJob,
    observer: &mut dyn FitObserver,
) -> std::result::Result<Report, Failure> {
    match job.precision {
        Precision::F64 => run_in::<f64>(data, job, observer),
        Precision::F32 => run_in::<f32>(data, job, observer),
    }
}

/// Boltzmann learning of `job` (an equilibrium fit) with the model averages from the
/// caller's `sampler` ([`crate::fit::fit_ising_sampled`]), through the same workflow.
pub fn run_sampled<T: Real, S: Sampler<T, Ising<T>>>(
    data: Raster,
    job: &FitJob,
    sampler: S,
    observer: &mut dyn FitObserver,
) -> std::result::Result<Report, Failure> {
    let FitSettings::Ising(settings) = &job.settings else {
        return Err(Error::Shape("a sampler is given only to equilibrium fits".into()).into());
    };
    if settings.model != EquilibriumModel::Pairwise {
        return Err(Error::setting(
            "model",
            "k-pairwise",
            "pairwise when the model averages come from a sampler of the caller's",
        )
        .into());
    }
    if job.precision != Precision::of::<T>() {
        return Err(Error::Shape("the sampler's precision is not the job's".into()).into());
    }
    let (train, held_out) = split_samples(data, job)?;
    let core = Core::new(job, DataFingerprint::of(&train), train.n_spins())?;
    core.finish(
        observer,
        |o, control| fit_ising_sampled_with(&train, settings, sampler, &mut Heard(o), control),
        |fit| ising_scores(&fit.model, &train, held_out.as_ref()),
    )
}

fn run_in<T: Real>(
    data: FitData,
    job: &FitJob,
    observer: &mut dyn FitObserver,
) -> std::result::Result<Report, Failure> {
    match (&job.settings, data) {
        (FitSettings::Ising(settings), FitData::Samples(raster)) => {
            ising::<T>(raster, settings, job, observer)
        }
        (FitSettings::Kinetic(settings), FitData::Series(transitions)) => {
            kinetic::<T>(transitions, settings, job, observer)
        }
        (FitSettings::Ising(_), FitData::Series(_)) => Err(Error::Shape(
            "an equilibrium fit takes samples, not the transitions of a time series".into(),
        )
        .into()),
        (FitSettings::Kinetic(_), FitData::Samples(_)) => {
            Err(Error::Shape("a kinetic fit takes the transitions of a time series".into()).into())
        }
    }
}

/// The training part and the held-out part of samples.
fn split_samples(data: Raster, job: &FitJob) -> Result<(Raster, Option<Raster>)> {
    let Some(split) = job.split else {
        return Ok((data, None));
    };
    let (train, test) = split.samples(&data);
    if train.n_samples() == 0 || test.n_samples() == 0 {
        return Err(Error::Shape(format!(
            "{}: {} samples are too few to split in two parts",
            job.source,
            data.n_samples()
        )));
    }
    Ok((train, Some(test)))
}

fn ising_scores<T: Real>(
    model: &Ising<T>,
    train: &Raster,
    held_out: Option<&Raster>,
) -> Result<(Score, Option<Score>)> {
    let held = held_out.map(|d| ising_score(model, d)).transpose()?;
    Ok((ising_score(model, train)?, held))
}

fn ising<T: Real>(
    data: Raster,
    settings: &IsingFitSettings,
    job: &FitJob,
    observer: &mut dyn FitObserver,
) -> std::result::Result<Report, Failure> {
    let (train, held_out) = split_samples(data, job)?;
    let core = Core::new(job, DataFingerprint::of(&train), train.n_spins())?;
    match settings.model {
        EquilibriumModel::Pairwise => core.finish(
            observer,
            |o, control| fit_ising_with::<T>(&train, settings, None, &mut Heard(o), control),
            |fit| ising_scores(&fit.model, &train, held_out.as_ref()),
        ),
        EquilibriumModel::KPairwise => core.finish(
            observer,
            |o, control| fit_k_pairwise_with::<T>(&train, settings, &mut Heard(o), control),
            |fit| {
                equilibrium_scores(
                    &Equilibrium::KPairwise(fit.model.clone()),
                    &train,
                    held_out.as_ref(),
                )
            },
        ),
    }
}

/// The training and held-out scores of an equilibrium model of either family
/// ([`equilibrium_score`]).
fn equilibrium_scores<T: Real>(
    model: &Equilibrium<T>,
    train: &Raster,
    held_out: Option<&Raster>,
) -> Result<(Score, Option<Score>)> {
    let held = held_out.map(|d| equilibrium_score(model, d)).transpose()?;
    Ok((equilibrium_score(model, train)?, held))
}

fn kinetic<T: Real>(
    data: Transitions,
    settings: &KineticFitSettings,
    job: &FitJob,
    observer: &mut dyn FitObserver,
) -> std::result::Result<Report, Failure> {
    let (train, held_out) = match job.split {
        Some(split) => {
            let (train, test) = split.transitions(&data);
            (train, Some(test))
        }
        None => (data, None),
    };
    if train.is_empty() || held_out.as_ref().is_some_and(|t| t.is_empty()) {
        return Err(Error::Shape(format!(
            "{}: too few bins for the requested transitions",
            job.source
        ))
        .into());
    }
    let core = Core::new(
        job,
        DataFingerprint::of_transitions(&train),
        train.n_spins(),
    )?;
    // When the fit's final objective will be the training log-likelihood, nothing reads the
    // transitions after the fit, and the fit frees them before its iterations (71 MB at
    // 1,000 cells); otherwise they are kept for the training score.
    let (given, kept) = if objective_is_log_likelihood(settings, &train) {
        (Some(train), None)
    } else {
        (None, Some(train))
    };
    core.finish(
        observer,
        |o, control| {
            let data = match (given, kept.as_ref()) {
                (Some(owned), _) => Cow::Owned(owned),
                (None, Some(borrowed)) => Cow::Borrowed(borrowed),
                (None, None) => return Err(Error::Shape("no transitions to fit".into())),
            };
            fit_kinetic_from::<T>(data, settings, None, &mut Heard(o), control)
        },
        |fit| {
            let train = match (final_log_likelihood(fit, settings), &kept) {
                (Some(value), _) => Score {
                    value,
                    measure: Measure::PerTransition,
                    std_error: None,
                },
                (None, Some(train)) => kinetic_score(&fit.model, train)?,
                (None, None) => {
                    return Err(Error::Shape(
                        "the fit ended without a final log-likelihood, and its transitions \
                         were freed: no training score"
                            .into(),
                    ))
                }
            };
            let held = held_out
                .as_ref()
                .map(|d| kinetic_score(&fit.model, d))
                .transpose()?;
            Ok((train, held))
        },
    )
}

/// Whether the fit's objective on `train` is the plain log-likelihood, so that its final
/// value is the training score ([`final_log_likelihood`]): L-BFGS, no penalty, no constant
/// cells (whose statistics are regularised).
fn objective_is_log_likelihood(settings: &KineticFitSettings, train: &Transitions) -> bool {
    auto::kinetic(settings, train) == SolverKind::Lbfgs
        && !settings.penalty.is_active()
        && train.after().constant_cells().is_empty()
}

/// The training log-likelihood per transition when the fit has already computed it: L-BFGS
/// records the exact objective at its final iterate, and without a penalty or the
/// regularised statistics of constant cells that objective is the log-likelihood itself.
/// Saves a pass over the data at the end (two seconds at 1,000 cells).
fn final_log_likelihood<M>(fit: &Fit<M>, settings: &KineticFitSettings) -> Option<f64> {
    let plain = fit.solver == SolverKind::Lbfgs
        && !settings.penalty.is_active()
        && fit.constant_cells.is_empty();
    fit.summary.value.filter(|v| plain && v.is_finite())
}

/// A model of either family as the workflow files and measures it.
trait Fitted {
    fn file(&self) -> ModelFile;
    fn params(&self) -> Params;
}

impl<T: Real> Fitted for Ising<T> {
    fn file(&self) -> ModelFile {
        ModelFile::from_ising(self)
    }
    fn params(&self) -> Params {
        Params::from(self)
    }
}

impl<T: Real> Fitted for KPairwise<T> {
    fn file(&self) -> ModelFile {
        ModelFile::from_k_pairwise(self)
    }
    fn params(&self) -> Params {
        Params::from(self.pairwise())
    }
}

impl<T: Real> Fitted for KineticIsing<T> {
    fn file(&self) -> ModelFile {
        ModelFile::from_kinetic(self)
    }
    fn params(&self) -> Params {
        Params::from(self)
    }
}

/// What every fit shares around the fit itself.
struct Core<'a> {
    job: &'a FitJob,
    data: DataFingerprint,
    n: usize,
    settings: serde_json::Value,
    truth: Option<Params>,
}

impl<'a> Core<'a> {
    /// Checks the resumed checkpoint, the labels and the true model against the data.
    fn new(job: &'a FitJob, data: DataFingerprint, n: usize) -> Result<Self> {
        if let Some(r) = &job.resumed {
            r.checkpoint.check_data(&r.path, &data)?;
        }
        if !job.labels.is_empty() && job.labels.len() != n {
            return Err(Error::Shape(format!(
                "{}: {} cell labels for {n} cells",
                job.source,
                job.labels.len()
            )));
        }
        let truth = match &job.truth {
            Some(t) if t.kind != job.kind() || t.n != n => {
                return Err(Error::Shape(format!(
                    "{}: the true model is a {:?} model of {} spins, the fit a {:?} model of {n}",
                    job.truth_source,
                    t.kind,
                    t.n,
                    job.kind()
                )))
            }
            Some(t) => Some(Params::of_file(t)?),
            None => None,
        };
        Ok(Core {
            job,
            data,
            n,
            settings: job.settings.to_json()?,
            truth,
        })
    }

    /// Runs `fit` with the job's checkpoints and resumption, then scores, measures and
    /// files the model it returns.
    fn finish<T: Real, M: Energy<T> + Fitted>(
        self,
        observer: &mut dyn FitObserver,
        fit: impl FnOnce(&mut dyn FitObserver, &mut FitControl<'_, M>) -> Result<Fit<M>>,
        scores: impl FnOnce(&Fit<M>) -> Result<(Score, Option<Score>)>,
    ) -> std::result::Result<Report, Failure> {
        let job = self.job;
        let mut save = |learner: serde_json::Value| -> Result<()> {
            match &job.checkpoint {
                Some(path) => Checkpoint {
                    version: Checkpoint::VERSION,
                    kind: job.kind(),
                    precision: T::NAME.into(),
                    data: self.data,
                    settings: self.settings.clone(),
                    learner,
                }
                .write(path),
                None => Ok(()),
            }
        };
        let mut control = FitControl {
            resume: job.resumed.as_ref().map(|r| r.checkpoint.learner.clone()),
            checkpoint_every: if job.checkpoint.is_some() {
                job.checkpoint_every
            } else {
                0
            },
            // Without a checkpoint the state is never turned into JSON: at 1,000 cells that
            // transient tree of numbers was the fit's peak memory.
            checkpoint: match job.checkpoint {
                Some(_) => Some(&mut save),
                None => None,
            },
            last_finite: None,
        };
        let early = data_warnings(self.n, self.data.n_samples, &[]);
        observer.started(&early);
        let fitted = match fit(observer, &mut control) {
            Ok(fitted) => fitted,
            Err(error) => {
                let last_finite = match (&error, control.last_finite.as_ref()) {
                    (Error::NonFinite { iteration, .. }, Some(model)) => {
                        let mut file = model.file();
                        file.settings = self.settings.clone();
                        file.metrics = json!({
                            "diverged_at_iteration": iteration,
                            "precision": T::NAME,
                        });
                        file.labels = job.labels.clone();
                        Some(Box::new(file))
                    }
                    _ => None,
                };
                return Err(Failure { error, last_finite });
            }
        };
        let warnings = fitted.warnings(self.data.n_samples);
        // The report needs its scores: the phase is announced, not skipped.
        let _ = observer.phase(Phase::Scoring);
        let scoring = Instant::now();
        let (train_score, held_out_score) = scores(&fitted)?;
        let mut timings = fitted.timings;
        timings.reading = job.input_seconds;
        timings.scoring = scoring.elapsed().as_secs_f64();
        let rmse = self
            .truth
            .as_ref()
            .map(|t| Fitted::params(&fitted.model).rmse_against(t));
        let mut metrics = fitted.metrics(T::NAME);
        metrics["timings"] = json!(timings);
        metrics["warnings"] = json!(warnings);
        metrics["train_score"] = json!(train_score);
        metrics["split"] = json!(job.split.map(|s| format!("{s:?}").to_lowercase()));
        metrics["held_out_score"] = json!(held_out_score);
        metrics["input_seconds"] = json!(job.input_seconds);
        if let Some((h, j)) = rmse {
            metrics["rmse_h"] = json!(h);
            metrics["rmse_J"] = json!(j);
        }
        let mut file = fitted.model.file();
        file.settings = self.settings;
        file.metrics = metrics;
        file.labels = job.labels.clone();
        Ok(Report {
            file,
            history: fitted.history,
            solver: fitted.solver,
            outcome: fitted.outcome,
            summary: fitted.summary,
            faithfulness: fitted.faithfulness,
            chains: fitted.chains,
            warnings,
            early_warnings: early,
            train_score,
            held_out_score,
            rmse,
            timings,
        })
    }
}
