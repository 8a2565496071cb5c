//! Runs a solver on a likelihood objective of any equilibrium model, with the
//! faithfulness rule for Monte Carlo objectives, and reports the fit at the returned
//! parameters: the last record for exact objectives, fresh samples of the returned
//! (averaged) model against the data for Monte Carlo ones.

use std::time::Instant;

use nalgebra::DVector;

use super::{
    drive, faithful::FaithfulCheck, start, Fit, FitControl, IsingFitSettings, Summary, Timings,
};
use crate::{
    learn::{Learner, Observer, Outcome},
    model::FlipEnergy,
    objective::{optimality, Likelihood, Objective, ObjectiveKind},
    sample::Sampler,
    solve::{Solver, SolverKind},
    stats::{n_pairs, pair_index, Faithfulness, Moments},
    Raster, Real, Result, Statistics,
};

/// What the run needs besides the objective and the solver.
pub(crate) struct Job<'a, 'c, M> {
    pub data: &'a Raster,
    pub settings: &'a IsingFitSettings,
    pub control: &'a mut FitControl<'c, M>,
    pub data_stats: &'a DVector<f64>,
    pub constant: Vec<usize>,
    pub start_seconds: f64,
    pub centred: bool,
    pub rejected_start: Option<start::RejectedStart>,
    /// Whether the faithfulness rule also judges P(K), the distribution of the number of
    /// active cells (models with a potential on it).
    pub judge_activity: bool,
}

/// Runs the solver (with the faithfulness check for Monte Carlo objectives) and reports at
/// the returned parameters.
pub(crate) fn run<T, M, St, Q, S>(
    job: Job<'_, '_, M>,
    objective: Likelihood<T, M, St, Q>,
    solver: S,
    kind: SolverKind,
    observer: &mut dyn Observer<T>,
) -> Result<Fit<M>>
where
    T: Real,
    M: FlipEnergy<T> + Clone,
    St: Statistics,
    Q: Sampler<T, M>,
    S: Solver<Likelihood<T, M, St, Q>>,
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
        judge_activity,
    } = job;
    let monte_carlo = !objective.is_exact();
    let rule = settings.faithful.clone().unwrap_or_default();
    let active = monte_carlo && settings.faithful.is_some();
    let template = objective.model().clone();
    let mut check = FaithfulCheck::new(
        observer,
        rule,
        active,
        data,
        settings.mcmc.samples,
        template,
    )
    .judging_activity(data, judge_activity);
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
struct Report<'a, 'b, T: Real, M> {
    data_stats: &'a DVector<f64>,
    constant: Vec<usize>,
    timings: Timings,
    centred: bool,
    rejected_start: Option<start::RejectedStart>,
    last_check: Option<(usize, Faithfulness, Moments)>,
    check: Option<&'a mut FaithfulCheck<'b, T, M>>,
}

/// The fit at the returned parameters: for exact objectives the last record; for Monte Carlo
/// ones, fresh samples of the returned (averaged) model against the data.
fn finish<T, M, St, Q, S>(
    learner: Learner<Likelihood<T, M, St, Q>, S>,
    outcome: Outcome,
    solver: SolverKind,
    report: Report<'_, '_, T, M>,
) -> Result<Fit<M>>
where
    T: Real,
    M: FlipEnergy<T> + Clone,
    St: Statistics,
    Q: Sampler<T, M>,
    S: Solver<Likelihood<T, M, St, Q>>,
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

/// max |∂L/∂θ| over the fields and couplings at `model`, with the model side from fresh
/// samples (penalty included); other parameters (a potential V(K)) have no fresh estimate
/// here and are left out.
fn fresh_max_gradient<T, M, St, Q>(
    model: &M,
    problem: &Likelihood<T, M, St, Q>,
    data_stats: &DVector<f64>,
    fresh: &Moments,
) -> f64
where
    T: Real,
    M: FlipEnergy<T>,
    St: Statistics,
    Q: Sampler<T, M>,
{
    let n = model.n_spins();
    let pairwise = n + n_pairs(n);
    let mut gradient = data_stats.rows(0, pairwise).clone_owned();
    for i in 0..n {
        gradient[i] -= fresh.means[i];
        for j in i + 1..n {
            gradient[n + pair_index(n, i, j)] -= fresh.pairs[(i, j)];
        }
    }
    let theta: Vec<f64> = model
        .params()
        .iter()
        .take(pairwise)
        .map(|v| v.as_f64())
        .collect();
    let penalty = problem.penalty();
    let groups: Vec<_> = model
        .groups()
        .into_iter()
        .filter(|g| g.range.end <= pairwise)
        .collect();
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
