//! Equilibrium fits: Boltzmann learning (L-BFGS over exact enumeration; first-order steps
//! over Monte Carlo chains) and the pseudo-likelihood.

use std::time::Instant;

use super::{
    auto,
    learning::{run, Job},
    pseudo, regularised, start, Fit, FitControl, IsingFitSettings, IsingMethod,
};
use nalgebra::DVector;

use crate::{
    init::Init,
    learn::{Control, Observer, Phase},
    model::{Centering, Energy, FlipEnergy},
    objective::Likelihood,
    optim::AnyOptimizer,
    sample::{AnySampler, Sampler},
    solve::{Averaging, Lbfgs, SolverKind, Stochastic},
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
    boltzmann(
        data,
        settings,
        start,
        Built {
            build: Ok,
            stats: PairStatistics::new(n),
            judge_activity: false,
        },
        sampler,
        observer,
        control,
    )
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
    boltzmann(
        data,
        settings,
        None,
        Built {
            build: Ok,
            stats: PairStatistics::new(data.n_spins()),
            judge_activity: false,
        },
        sampler,
        observer,
        control,
    )
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

/// The pairwise model learning starts from, the start setting it follows (which decides
/// centred steps) and the fit's own warm start when [`start::held_activity`] rejected it:
/// `start` when given; the independent cells on resumption (the checkpoint holds the
/// parameters) or where the settings' start is skipped ([`start::PSEUDO_START_BELOW`]);
/// otherwise the settings' start, tested when it is the fit's own choice under Monte Carlo.
pub(crate) fn pairwise_start<T: Real>(
    data: &Raster,
    settings: &IsingFitSettings,
    start: Option<Ising<T>>,
    exact: bool,
    resuming: bool,
    data_stats: &DVector<f64>,
    observer: &mut dyn Observer<T>,
) -> Result<(Ising<T>, Init, Option<start::RejectedStart>)> {
    let n = data.n_spins();
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
        None if resuming || skip_start => independent_start(data_stats.as_slice(), n),
        None => match ising_start_observed::<T>(data, init, observer)? {
            // The fit's own choice of start is tested (a start the caller named is theirs).
            Some(m) if settings.init == Init::Auto && !exact => {
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
    Ok((model, init, rejected_start))
}

/// How the model learned is made: from the pairwise start by `build`, with statistics
/// `stats`; `judge_activity` when the faithfulness rule also judges P(K).
pub(crate) struct Built<St, F> {
    pub build: F,
    pub stats: St,
    pub judge_activity: bool,
}

/// Boltzmann learning of `data` with `sampler` on the model side, for the pairwise model
/// or one built on it.
pub(crate) fn boltzmann<T, M, St, F, S>(
    data: &Raster,
    settings: &IsingFitSettings,
    start: Option<Ising<T>>,
    built: Built<St, F>,
    sampler: S,
    observer: &mut dyn Observer<T>,
    control: &mut FitControl<'_, M>,
) -> Result<Fit<M>>
where
    T: Real,
    M: FlipEnergy<T> + Clone,
    St: Statistics,
    F: FnOnce(Ising<T>) -> Result<M>,
    S: Sampler<T, M>,
{
    let Built {
        build,
        stats,
        judge_activity,
    } = built;
    let n = data.n_spins();
    let constant = data.constant_cells();
    let data_stats = regularised(stats.average(data), data.n_samples(), !constant.is_empty());
    let started = Instant::now();
    let (model, init, rejected_start) = pairwise_start(
        data,
        settings,
        start,
        sampler.is_exact(),
        control.resume.is_some(),
        &data_stats,
        observer,
    )?;
    let start_seconds = started.elapsed().as_secs_f64();
    let monte_carlo = !sampler.is_exact();
    let solver = auto::ising(settings, !monte_carlo);
    let centred = settings.centred.unwrap_or(match solver {
        SolverKind::Lbfgs => true,
        _ => init != Init::Zero,
    });
    let means: Vec<f64> = data_stats.as_slice()[..n].to_vec();
    let mut objective =
        Likelihood::from_data_statistics(build(model)?, stats, sampler, data_stats.clone())?
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
        judge_activity,
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
