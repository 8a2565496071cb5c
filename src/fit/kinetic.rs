//! Kinetic fits: the exact likelihood of a time series, by row-wise Newton, L-BFGS or
//! first-order steps.

use std::{borrow::Cow, time::Instant};

use super::{
    auto, drive, regularised, start, Fit, FitControl, KineticFitSettings, Summary, Timings,
};
use crate::{
    init::Init,
    learn::{Learner, Observer},
    model::{Centering, Energy},
    objective::{Likelihood, ObjectiveKind},
    optim::AnyOptimizer,
    sample::ConditionalExpectation,
    solve::{Lbfgs, RowNewton, RowProblem, Solver, SolverKind, Stochastic},
    stats::LaggedMoments,
    Error, KineticIsing, Raster, Real, Result, TransitionStatistics, Transitions,
};

/// Fits a kinetic Ising model to the continuous time series `data` by maximising its exact
/// likelihood (the settings' solver; by default row-wise Newton or L-BFGS).
///
/// ```
/// use spinfer::prelude::*;
///
/// let mut rng = spinfer::seeded(2);
/// let truth = KineticIsing::<f64>::planted(6, KineticOptions::default(), &mut rng);
/// let series = simulate(&truth, 20_000, None, &mut rng).unwrap();
/// let fit = fit_kinetic::<f64>(&series, &KineticFitSettings::default(), &mut NoObserver).unwrap();
/// assert!(fit.summary.converged && fit.summary.max_gradient <= 1e-5);
/// ```
pub fn fit_kinetic<T: Real>(
    data: &Raster,
    settings: &KineticFitSettings,
    observer: &mut dyn Observer<T>,
) -> Result<Fit<KineticIsing<T>>> {
    let transitions = Transitions::from_series(data);
    fit_kinetic_from(
        Cow::Owned(transitions),
        settings,
        None,
        observer,
        &mut FitControl::default(),
    )
}

/// Fits a kinetic Ising model to a set of transitions (repeats, splits: [`Transitions`]),
/// from an explicit start (overriding the settings' `init`), with checkpoints, resumption
/// and divergence handling.
pub fn fit_kinetic_with<T: Real>(
    data: &Transitions,
    settings: &KineticFitSettings,
    start: Option<KineticIsing<T>>,
    observer: &mut dyn Observer<T>,
    control: &mut FitControl<'_, KineticIsing<T>>,
) -> Result<Fit<KineticIsing<T>>> {
    fit_kinetic_from(Cow::Borrowed(data), settings, start, observer, control)
}

/// [`fit_kinetic_with`] on transitions given by value ([`Cow::Owned`]) or by reference. The
/// iterations read only what the fit builds from the transitions first (the lists of
/// active cells and the data's statistics), so owned transitions are dropped before them:
/// their rasters (71 MB for 1,000 cells and 286,000 bins) are not held through the fit.
///
/// ```
/// use std::borrow::Cow;
/// use spinfer::prelude::*;
/// use spinfer::fit::fit_kinetic_from;
///
/// let mut rng = spinfer::seeded(2);
/// let truth = KineticIsing::<f64>::planted(5, KineticOptions::default(), &mut rng);
/// let data = Transitions::from_series(&simulate(&truth, 5_000, None, &mut rng).unwrap());
/// let borrowed = fit_kinetic_with::<f64>(
///     &data, &KineticFitSettings::default(), None, &mut NoObserver, &mut Default::default(),
/// ).unwrap();
/// let owned = fit_kinetic_from::<f64>(
///     Cow::Owned(data), &KineticFitSettings::default(), None, &mut NoObserver, &mut Default::default(),
/// ).unwrap();
/// assert_eq!(owned.model.params(), borrowed.model.params());
/// ```
pub fn fit_kinetic_from<T: Real>(
    data: Cow<'_, Transitions>,
    settings: &KineticFitSettings,
    start: Option<KineticIsing<T>>,
    observer: &mut dyn Observer<T>,
    control: &mut FitControl<'_, KineticIsing<T>>,
) -> Result<Fit<KineticIsing<T>>> {
    settings.check()?;
    let n = data.n_spins();
    crate::model::check_dense_size(n)?;
    if data.is_empty() {
        return Err(Error::Shape(
            "no transitions: a time series needs at least 2 bins".into(),
        ));
    }
    if let Some(m) = &start {
        if m.n_spins() != n || m.options() != settings.options {
            return Err(Error::Shape(format!(
                "the starting model ({} spins, {:?}) does not match the fit ({n} spins, {:?})",
                m.n_spins(),
                m.options(),
                settings.options
            )));
        }
    }
    let constant = data.after().constant_cells();
    let mut solver = auto::kinetic(settings, &data);
    if solver == SolverKind::Newton && start.is_some() {
        solver = SolverKind::Lbfgs;
    }
    if solver == SolverKind::Newton {
        return fit_newton(data, settings, None, observer, control, constant);
    }
    let stats = TransitionStatistics::new(n);
    let lagged = LaggedMoments::of_transitions(&data);
    let data_stats = regularised(stats.from_lagged(&lagged), data.len(), !constant.is_empty());
    let init = start::resolve_kinetic(settings.init);
    let inverts =
        start.is_none() && control.resume.is_none() && matches!(init, Init::MeanField | Init::Tap);
    // The centring's inverse input covariance also serves the mean-field and TAP starts.
    let centering = (settings.centred || inverts).then(|| Centering::transitions(&data));
    let inverse = centering
        .as_ref()
        .and_then(|c| c.inverse_covariance.clone());
    let started = Instant::now();
    let model = match start {
        Some(m) => m,
        None => {
            let from_init = match (&control.resume, inverse) {
                (Some(_), _) => None,
                (None, Some(inverse)) => {
                    start::kinetic_start_from::<T>(&lagged, &inverse, init, settings.options)?
                }
                (None, None) => start::kinetic_start::<T>(&data, init, settings.options)?,
            };
            from_init.unwrap_or_else(|| {
                // Independent cells: J = 0 and h_i = atanh ⟨s_i(t+1)⟩, the maximum of L at
                // J = 0.
                let mut model = KineticIsing::zeros(n, settings.options);
                for i in 0..n {
                    let m = data_stats[i].clamp(-1.0 + 1e-9, 1.0 - 1e-9);
                    model.params_mut()[i] = T::cast(m.atanh());
                }
                model
            })
        }
    };
    // Not held through the fit: 8 MB at 1,000 cells.
    drop(lagged);
    let start_seconds = started.elapsed().as_secs_f64();
    let mut objective = Likelihood::from_data_statistics(
        model,
        stats,
        ConditionalExpectation::of(&data)?,
        data_stats,
    )?
    .with_penalty(settings.penalty)?;
    // Everything the iterations read is built: owned transitions are freed here.
    drop(data);
    if let Some(centering) = centering.filter(|_| settings.centred) {
        objective = objective.with_centering(centering)?;
    }
    let job = (control, constant, start_seconds);
    match solver {
        SolverKind::Gradient => {
            let solver = Stochastic::new(AnyOptimizer::new(settings.optimizer, settings.lr))
                .with_centring(settings.centred)
                .with_adaptive_steps(true);
            run(
                job,
                objective,
                solver,
                SolverKind::Gradient,
                settings,
                observer,
            )
        }
        _ => {
            let solver = Lbfgs::default().with_centring(settings.centred);
            run(
                job,
                objective,
                solver,
                SolverKind::Lbfgs,
                settings,
                observer,
            )
        }
    }
}

type KineticLikelihood<T> =
    Likelihood<T, KineticIsing<T>, TransitionStatistics, ConditionalExpectation>;

fn run<T, S>(
    (control, constant, start_seconds): (&mut FitControl<'_, KineticIsing<T>>, Vec<usize>, f64),
    objective: KineticLikelihood<T>,
    solver: S,
    kind: SolverKind,
    settings: &KineticFitSettings,
    observer: &mut dyn Observer<T>,
) -> Result<Fit<KineticIsing<T>>>
where
    T: Real,
    S: Solver<KineticLikelihood<T>>,
{
    let learning_started = Instant::now();
    let (learner, outcome): (Learner<KineticLikelihood<T>, S>, _) = drive(
        objective,
        solver,
        &settings.learn,
        observer,
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
    let last = learner.history().last().cloned();
    Ok(Fit {
        model: learner.model().clone(),
        summary: Summary {
            objective: ObjectiveKind::LogLikelihood,
            value: last.as_ref().and_then(|r| r.objective),
            max_gradient: last.as_ref().map_or(f64::NAN, |r| r.max_abs_gradient()),
            converged: outcome.converged(),
        },
        history: learner.history().clone(),
        outcome,
        solver: kind,
        constant_cells: constant,
        chains: None,
        faithfulness: None,
        timings: Timings {
            start: start_seconds,
            learning: learning_started.elapsed().as_secs_f64(),
            ..Timings::default()
        },
        centred: settings.centred,
        rejected_start: None,
    })
}

/// Fits only the rows `rows` of an asymmetric kinetic model (h_i and J_i· for i in
/// `rows`), by row-wise Newton: the log-likelihood is a sum of independent per-cell terms,
/// so blocks of rows can be fitted apart (on the workers of a cluster) and assembled. When
/// both fits run to convergence, each fitted row is bit for bit the row of
/// [`fit_kinetic_with`] with [`SolverKind::Newton`]; the
/// returned model holds the start (J = 0, h_i = atanh ⟨s_i(t+1)⟩) in the other rows, and its
/// summary's value is the sum of the fitted rows' terms.
///
/// Refused for symmetric models (their rows are coupled), an L1 penalty, a solver other
/// than auto or Newton, and a start other than auto or zero.
///
/// ```
/// use spinfer::prelude::*;
/// use spinfer::fit::fit_kinetic_rows;
///
/// let mut rng = spinfer::seeded(3);
/// let truth = KineticIsing::<f64>::planted(6, KineticOptions::default(), &mut rng);
/// let series = simulate(&truth, 5_000, None, &mut rng).unwrap();
/// let data = Transitions::from_series(&series);
/// let settings = KineticFitSettings::default().with_solver(SolverKind::Newton);
/// let all = fit_kinetic_with::<f64>(&data, &settings, None, &mut NoObserver, &mut Default::default()).unwrap();
/// let two = fit_kinetic_rows::<f64>(&data, &settings, &[1, 4], &mut NoObserver).unwrap();
/// for i in [1, 4] {
///     assert_eq!(two.model.couplings().row(i), all.model.couplings().row(i));
/// }
/// ```
pub fn fit_kinetic_rows<T: Real>(
    data: &Transitions,
    settings: &KineticFitSettings,
    rows: &[usize],
    observer: &mut dyn Observer<T>,
) -> Result<Fit<KineticIsing<T>>> {
    settings.check()?;
    crate::model::check_dense_size(data.n_spins())?;
    if data.is_empty() {
        return Err(Error::Shape(
            "no transitions: a time series needs at least 2 bins".into(),
        ));
    }
    let refuse = |why: &str| {
        Err(Error::Shape(format!(
            "fitting a subset of rows needs row-wise Newton: {why}"
        )))
    };
    if settings.options.symmetric {
        return refuse("a symmetric J couples the rows");
    }
    if !matches!(settings.solver, SolverKind::Auto | SolverKind::Newton) {
        return refuse("choose the solver auto or newton");
    }
    if settings.penalty.has_l1() {
        return refuse("Newton takes an L2 penalty only");
    }
    if !matches!(
        settings.init,
        crate::init::Init::Auto | crate::init::Init::Zero
    ) {
        return refuse("Newton starts from independent cells (init auto or zero)");
    }
    let constant = data.after().constant_cells();
    fit_newton(
        Cow::Borrowed(data),
        settings,
        Some(rows),
        observer,
        &mut FitControl::default(),
        constant,
    )
}

/// Row-wise Newton from independent cells, for every row or the rows `rows`.
fn fit_newton<T: Real>(
    data: Cow<'_, Transitions>,
    settings: &KineticFitSettings,
    rows: Option<&[usize]>,
    observer: &mut dyn Observer<T>,
    control: &mut FitControl<'_, KineticIsing<T>>,
    constant: Vec<usize>,
) -> Result<Fit<KineticIsing<T>>> {
    let mut problem = RowProblem::new(
        &data,
        None,
        settings.options.self_couplings,
        &settings.penalty,
    )?;
    let n = data.n_spins();
    // The problem holds its own lists and targets: owned transitions are freed here.
    drop(data);
    if let Some(rows) = rows {
        problem = problem.with_rows(rows)?;
    }
    let mut adapter = CastObserver { inner: observer };
    let learning_started = Instant::now();
    let (learner, outcome) = drive(
        problem,
        RowNewton,
        &settings.learn,
        &mut adapter,
        control.resume.take(),
        control.checkpoint_every,
        control.checkpoint.as_deref_mut(),
    )?;
    let outcome = outcome?;
    let state = learner.solver_state().expect("the run started");
    let params = learner.problem().params(state).map(T::cast);
    let mut model = KineticIsing::zeros(n, settings.options);
    model.set_params(&params);
    let last = learner.history().last().cloned();
    Ok(Fit {
        model,
        summary: Summary {
            objective: ObjectiveKind::LogLikelihood,
            value: last.as_ref().and_then(|r| r.objective),
            max_gradient: last.as_ref().map_or(f64::NAN, |r| r.max_abs_gradient()),
            converged: outcome.converged(),
        },
        history: learner.history().clone(),
        outcome,
        solver: SolverKind::Newton,
        constant_cells: constant,
        chains: None,
        faithfulness: None,
        timings: Timings {
            learning: learning_started.elapsed().as_secs_f64(),
            ..Timings::default()
        },
        centred: false,
        rejected_start: None,
    })
}

/// Shows an observer of `T` models the f64 parameters of the Newton solver.
struct CastObserver<'a, T: Real> {
    inner: &'a mut dyn Observer<T>,
}

impl<T: Real> Observer<f64> for CastObserver<'_, T> {
    fn observe(
        &mut self,
        record: &crate::learn::Record,
        params: &nalgebra::DVector<f64>,
    ) -> crate::learn::Control {
        self.inner.observe(record, &params.map(T::cast))
    }

    fn phase(&mut self, phase: crate::learn::Phase) -> crate::learn::Control {
        self.inner.phase(phase)
    }
}
