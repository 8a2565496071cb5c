//! Equilibrium fits: Boltzmann learning (L-BFGS over exact enumeration; first-order steps
//! over Monte Carlo chains) and the pseudo-likelihood.

use std::time::Instant;

use nalgebra::DVector;

use super::{
    auto, drive, faithful::FaithfulCheck, pseudo, regularised, start, Fit, FitControl,
    IsingFitSettings, IsingMethod, Summary, Timings,
};
use crate::{
    init::Init,
    learn::{Control, Learner, Observer, Outcome, Phase},
    model::{Centering, Energy},
    objective::{optimality, Likelihood, Objective, ObjectiveKind},
    optim::AnyOptimizer,
    sample::{AnySampler, Sampler},
    solve::{Averaging, Lbfgs, Solver, SolverKind, Stochastic},
    stats::{pair_index, Faithfulness, Moments},
    Error, Ising, PairStatistics, Raster, Real, Result, Statistics,
};

/// The independent-spin start: J = 0 and h_i = atanh ⟨s_i⟩ (from regularised means).
fn independent_start<T: Real>(means: &[f64], n: usize) -> Ising<T> {
    let mut model = Ising::zeros(n);
    for (i, &m) in means.iter().take(n).enumerate() {
        let m = m.clamp(-1.0 + 1e-9, 1.0 - 1e-9);
        model.params_mut()[i] = T::cast(m.atanh());
    }
    model.project();
    model
}

/// The model a fit of `data` starts from without a start of its own ([`Init::Zero`]):
/// J = 0 and h_i = atanh ⟨s_i⟩, from the means as the fit regularises them.
pub fn independent_model<T: Real>(data: &Raster) -> Ising<T> {
    let n = data.n_spins();
    let means = regularised(
        PairStatistics::new(n).average(data),
        data.n_samples(),
        !data.constant_cells().is_empty(),
    );
    independent_start(means.as_slice(), n)
}

/// Fits an equilibrium Ising model to `data` with the settings' method, solver and start.
///
/// ```
/// use spinfer::prelude::*;
///
/// let mut rng = spinfer::seeded(7);
/// let truth: Ising<f64> = Ising::planted(5, &mut rng);
/// let data = ExactDistribution::new(&truth).unwrap().sample(50_000, &mut rng);
/// let settings = IsingFitSettings::default().with_sampler(SamplerKind::Exact);
/// let fit = fit_ising::<f64>(&data, &settings, &mut NoObserver).unwrap();
/// assert!(fit.summary.converged && fit.summary.max_gradient <= 1e-8);
/// assert_eq!(fit.solver, SolverKind::Lbfgs);
/// ```
pub fn fit_ising<T: Real>(
    data: &Raster,
    settings: &IsingFitSettings,
    observer: &mut dyn Observer<T>,
) -> Result<Fit<Ising<T>>> {
    fit_ising_with(data, settings, None, observer, &mut FitControl::default())
}

/// [`fit_ising`] from an explicit start (overriding the settings' `init`), with
/// checkpoints, resumption and divergence handling.
pub fn fit_ising_with<T: Real>(
    data: &Raster,
    settings: &IsingFitSettings,
    start: Option<Ising<T>>,
    observer: &mut dyn Observer<T>,
    control: &mut FitControl<'_, Ising<T>>,
) -> Result<Fit<Ising<T>>> {
    check_request(data, settings)?;
    let n = data.n_spins();
    if let Some(m) = &start {
        if m.n_spins() != n {
            return Err(Error::Shape(format!(
                "the starting model has {} spins, the data {n}",
                m.n_spins()
            )));
        }
    }
    if settings.method == IsingMethod::PseudoLikelihood {
        return pseudo::fit_pseudo_likelihood(data, settings, observer, control);
    }
    let mut sampler = AnySampler::new(settings.sampler, &settings.mcmc)?;
    if settings.chains_from_data {
        sampler.start_from(data);
    }
    boltzmann(data, settings, start, sampler, observer, control)
}

/// Boltzmann learning with a sampler of the caller's (chains on the workers of a cluster,
/// a Monte Carlo scheme of one's own): the model side of every gradient comes from
/// `sampler`, whose [`Sampler::is_exact`] decides the solver as `auto` would (L-BFGS for
/// exact averages, averaged first-order steps with growing samples otherwise). The
/// settings' `sampler` and `mcmc` are not used, except the faithfulness rule's fresh
/// samples, which run in this process. Checkpoints of such a fit hold the sampler's
/// [`Sampler::State`].
///
/// ```
/// use spinfer::prelude::*;
/// use spinfer::fit::fit_ising_sampled;
///
/// let mut rng = spinfer::seeded(7);
/// let truth: Ising<f64> = Ising::planted(5, &mut rng);
/// let data = ExactDistribution::new(&truth).unwrap().sample(20_000, &mut rng);
/// let fit = fit_ising_sampled::<f64, _>(&data, &IsingFitSettings::default(), ExactSampler, &mut NoObserver).unwrap();
/// assert!(fit.summary.converged);
/// ```
pub fn fit_ising_sampled<T, S>(
    data: &Raster,
    settings: &IsingFitSettings,
    sampler: S,
    observer: &mut dyn Observer<T>,
) -> Result<Fit<Ising<T>>>
where
    T: Real,
    S: Sampler<T, Ising<T>>,
{
    fit_ising_sampled_with(
        data,
        settings,
        sampler,
        observer,
        &mut FitControl::default(),
    )
}

/// [`fit_ising_sampled`] with checkpoints, resumption and the last finite model
/// ([`FitControl`]), as [`fit_ising_with`] has them.
pub fn fit_ising_sampled_with<T, S>(
    data: &Raster,
    settings: &IsingFitSettings,
    sampler: S,
    observer: &mut dyn Observer<T>,
    control: &mut FitControl<'_, Ising<T>>,
) -> Result<Fit<Ising<T>>>
where
    T: Real,
    S: Sampler<T, Ising<T>>,
{
    check_request(data, settings)?;
    if settings.method == IsingMethod::PseudoLikelihood {
        return Err(Error::setting(
            "method",
            "pseudo-likelihood",
            "boltzmann when a sampler is given (the pseudo-likelihood samples nothing)",
        ));
    }
    boltzmann(data, settings, None, sampler, observer, control)
}

/// Checks the settings and that the data can be fitted.
fn check_request(data: &Raster, settings: &IsingFitSettings) -> Result<()> {
    settings.check()?;
    crate::model::check_dense_size(data.n_spins())?;
    if data.n_samples() == 0 {
        return Err(Error::Shape("no samples to fit".into()));
    }
    Ok(())
}

/// Boltzmann learning of `data` with `sampler` on the model side.
fn boltzmann<T, S>(
    data: &Raster,
    settings: &IsingFitSettings,
    start: Option<Ising<T>>,
    sampler: S,
    observer: &mut dyn Observer<T>,
    control: &mut FitControl<'_, Ising<T>>,
) -> Result<Fit<Ising<T>>>
where
    T: Real,
    S: Sampler<T, Ising<T>>,
{
    let n = data.n_spins();
    let stats = PairStatistics::new(n);
    let constant = data.constant_cells();
    let data_stats = regularised(stats.average(data), data.n_samples(), !constant.is_empty());
    let started = Instant::now();
    let init = if start.is_some() {
        Init::Pseudo // any warm start: centred steps suit it
    } else {
        start::resolve_ising(settings, data)
    };
    let mut rejected_start = None;
    // The fit's own pseudo-likelihood start is not computed where it is measured to run
    // away ([`start::PSEUDO_START_BELOW`]); learning then starts as after a rejection.
    let skip_start =
        settings.init == Init::Auto && init == Init::Pseudo && n >= start::PSEUDO_START_BELOW;
    let model = match start {
        Some(m) => m,
        None if control.resume.is_some() || skip_start => {
            independent_start(data_stats.as_slice(), n)
        }
        None => match ising_start_observed::<T>(data, init, observer)? {
            // The fit's own choice of start is tested (a start the caller named is theirs).
            Some(m) if settings.init == Init::Auto && !sampler.is_exact() => {
                match start::held_activity(&m, data, settings.mcmc.seed)? {
                    Ok(()) => m,
                    Err(rejected) => {
                        let phase = Phase::StartRejected {
                            activity: rejected.activity,
                            data_activity: rejected.data_activity,
                        };
                        if observer.phase(phase) == Control::Stop {
                            return Err(Error::Interrupted {
                                during: "the warm start",
                            });
                        }
                        rejected_start = Some(rejected);
                        // Stepped centred all the same (`init` stays the warm start's):
                        // raw steps from J = 0 swung between the phases at 1,000 cells.
                        independent_start(data_stats.as_slice(), n)
                    }
                }
            }
            Some(m) => m,
            None => independent_start(data_stats.as_slice(), n),
        },
    };
    let start_seconds = started.elapsed().as_secs_f64();
    let monte_carlo = !sampler.is_exact();
    let solver = auto::ising(settings, !monte_carlo);
    let centred = settings.centred.unwrap_or(match solver {
        SolverKind::Lbfgs => true,
        _ => init != Init::Zero,
    });
    let means: Vec<f64> = data_stats.as_slice()[..n].to_vec();
    let mut objective =
        Likelihood::from_data_statistics(model, stats, sampler, data_stats.clone())?
            .with_penalty(settings.penalty)?;
    if centred {
        objective = objective.with_centering(Centering::equilibrium(&means))?;
    }
    let job = Job {
        data,
        settings,
        control,
        data_stats: &data_stats,
        constant,
        start_seconds,
        centred,
        rejected_start,
    };
    match solver {
        SolverKind::Lbfgs => run(
            job,
            objective,
            Lbfgs::default().with_centring(centred),
            SolverKind::Lbfgs,
            observer,
        ),
        _ => {
            let averaging = settings.averaging.unwrap_or(if monte_carlo {
                Averaging::Suffix
            } else {
                Averaging::None
            });
            let solver = Stochastic::new(AnyOptimizer::new(settings.optimizer, settings.lr))
                .with_centring(centred)
                .with_adaptive_steps(!monte_carlo)
                .with_averaging(averaging)
                .with_growth(if monte_carlo { settings.growth } else { None });
            run(job, objective, solver, SolverKind::Gradient, observer)
        }
    }
}

/// What the run needs besides the objective and the solver.
struct Job<'a, 'c, T: Real> {
    data: &'a Raster,
    settings: &'a IsingFitSettings,
    control: &'a mut FitControl<'c, Ising<T>>,
    data_stats: &'a DVector<f64>,
    constant: Vec<usize>,
    start_seconds: f64,
    centred: bool,
    rejected_start: Option<start::RejectedStart>,
}

type IsingLikelihood<T, S> = Likelihood<T, Ising<T>, PairStatistics, S>;

/// Runs the solver (with the faithfulness check for Monte Carlo objectives) and reports at
/// the returned parameters.
fn run<T, Q, S>(
    job: Job<'_, '_, T>,
    objective: IsingLikelihood<T, Q>,
    solver: S,
    kind: SolverKind,
    observer: &mut dyn Observer<T>,
) -> Result<Fit<Ising<T>>>
where
    T: Real,
    Q: Sampler<T, Ising<T>>,
    S: Solver<IsingLikelihood<T, Q>>,
{
    let Job {
        data,
        settings,
        control,
        data_stats,
        constant,
        start_seconds,
        centred,
        rejected_start,
    } = job;
    let monte_carlo = !objective.is_exact();
    let rule = settings.faithful.clone().unwrap_or_default();
    let active = monte_carlo && settings.faithful.is_some();
    let mut check = FaithfulCheck::new(observer, rule, active, data, settings.mcmc.samples);
    let learning_started = Instant::now();
    let (learner, outcome) = drive(
        objective,
        solver,
        &settings.learn,
        &mut check,
        control.resume.take(),
        control.checkpoint_every,
        control.checkpoint.as_deref_mut(),
    )?;
    let outcome = match outcome {
        Err(e) => {
            control.last_finite = Some(learner.model().clone());
            return Err(e);
        }
        Ok(o) => o,
    };
    if let Some(e) = check.error.take() {
        return Err(e);
    }
    let last_check = check.last.take();
    let timings = Timings {
        start: start_seconds,
        learning: learning_started.elapsed().as_secs_f64() - check.seconds,
        checks: check.seconds,
        checks_run: check.measured,
        ..Timings::default()
    };
    finish(
        learner,
        outcome,
        kind,
        Report {
            data_stats,
            constant,
            timings,
            centred,
            rejected_start,
            last_check,
            check: if monte_carlo { Some(&mut check) } else { None },
        },
    )
}

/// What the summary needs besides the learner.
struct Report<'a, 'b, T: Real> {
    data_stats: &'a DVector<f64>,
    constant: Vec<usize>,
    timings: Timings,
    centred: bool,
    rejected_start: Option<start::RejectedStart>,
    last_check: Option<(usize, Faithfulness, Moments)>,
    check: Option<&'a mut FaithfulCheck<'b, T>>,
}

/// The fit at the returned parameters: for exact objectives the last record; for Monte Carlo
/// ones, fresh samples of the returned (averaged) model against the data.
fn finish<T, Q, S>(
    learner: Learner<IsingLikelihood<T, Q>, S>,
    outcome: Outcome,
    solver: SolverKind,
    report: Report<'_, '_, T>,
) -> Result<Fit<Ising<T>>>
where
    T: Real,
    Q: Sampler<T, Ising<T>>,
    S: Solver<IsingLikelihood<T, Q>>,
{
    let problem = learner.problem();
    let model = problem.model().clone();
    let history = learner.history().clone();
    let last = history.last().cloned();
    let mut timings = report.timings;
    let last_record = Summary {
        objective: ObjectiveKind::LogLikelihood,
        value: last.as_ref().and_then(|r| r.objective),
        max_gradient: last.as_ref().map_or(f64::NAN, |r| r.max_abs_gradient()),
        converged: outcome.converged(),
    };
    let (summary, faithfulness) = match report.check {
        None => (last_record, None),
        Some(check) => {
            let final_iteration = history.records.len().saturating_sub(1);
            let measured = match report.last_check {
                Some((k, f, m)) if k == final_iteration && outcome == Outcome::TargetReached => {
                    Some((f, m))
                }
                _ => {
                    let (measured, seconds) = check.final_comparison(model.params())?;
                    timings.comparison = seconds;
                    measured
                }
            };
            // Stopped before the final comparison: the fit ends at its last record.
            let Some((faithfulness, moments)) = measured else {
                return Ok(Fit {
                    chains: problem.diagnostics(),
                    model,
                    history,
                    outcome,
                    solver,
                    summary: Summary {
                        value: None,
                        ..last_record
                    },
                    constant_cells: report.constant,
                    faithfulness: None,
                    timings,
                    centred: report.centred,
                    rejected_start: report.rejected_start,
                });
            };
            let max_gradient = fresh_max_gradient(&model, problem, report.data_stats, &moments);
            (
                Summary {
                    objective: ObjectiveKind::LogLikelihood,
                    value: None,
                    max_gradient,
                    converged: outcome.converged(),
                },
                Some(faithfulness),
            )
        }
    };
    Ok(Fit {
        chains: problem.diagnostics(),
        model,
        history,
        outcome,
        solver,
        summary,
        constant_cells: report.constant,
        faithfulness,
        timings,
        centred: report.centred,
        rejected_start: report.rejected_start,
    })
}

/// max |∂L/∂θ| at `model` with the model side from fresh samples (penalty included).
fn fresh_max_gradient<T: Real, Q: Sampler<T, Ising<T>>>(
    model: &Ising<T>,
    problem: &IsingLikelihood<T, Q>,
    data_stats: &DVector<f64>,
    fresh: &Moments,
) -> f64 {
    let n = model.n_spins();
    let mut gradient = data_stats.clone();
    for i in 0..n {
        gradient[i] -= fresh.means[i];
        for j in i + 1..n {
            gradient[n + pair_index(n, i, j)] -= fresh.pairs[(i, j)];
        }
    }
    let theta: Vec<f64> = model.params().iter().map(|v| v.as_f64()).collect();
    let penalty = problem.penalty();
    let groups = model.groups();
    for g in &groups {
        let (_, l2) = penalty.strengths(g);
        for k in g.range.clone() {
            gradient[k] -= l2 * theta[k];
        }
    }
    optimality(&groups, &theta, &gradient, penalty)
        .iter()
        .map(|(_, g)| *g)
        .fold(0.0, f64::max)
}

/// The starting equilibrium model for `data`; `None` for the independent-cell start.
pub fn ising_start<T: Real>(data: &Raster, init: Init) -> Result<Option<Ising<T>>> {
    ising_start_observed(data, init, &mut crate::learn::NoObserver)
}

/// [`ising_start`], telling `observer` each pass of the pseudo-likelihood start
/// ([`crate::learn::Phase::WarmStart`]); its [`crate::learn::Control::Stop`] ends the start
/// with [`Error::Interrupted`].
pub fn ising_start_observed<T: Real>(
    data: &Raster,
    init: Init,
    observer: &mut dyn Observer<T>,
) -> Result<Option<Ising<T>>> {
    Ok(match init {
        Init::Auto | Init::Zero => None,
        Init::MeanField => {
            Some(crate::init::mean_field::ising(data, crate::init::MeanField::Naive)?.cast())
        }
        Init::Tap => {
            Some(crate::init::mean_field::ising(data, crate::init::MeanField::Tap)?.cast())
        }
        Init::Pseudo => Some(super::pseudo::warm_start_observed(data, observer)?.cast()),
    })
}
