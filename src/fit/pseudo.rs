//! Pseudo-likelihood maximisation for the equilibrium model.
//!
//! The pseudo-log-likelihood Σ_i ⟨log P(s_i | s_∖i)⟩ with P(s_i | s_∖i) ∝ exp(s_i f_i),
//! f_i = h_i + Σ_{j≠i} J_ij s_j, is the kinetic log-likelihood of the self-transitions
//! s → s without self-couplings. Without the symmetry constraint it separates into one
//! logistic regression per cell, which row-wise Newton solves in a few passes over the data;
//! symmetrised, J ← (J + Jᵀ)/2, that is the "asymmetric" pseudo-likelihood estimate of Aurell
//! & Ekeberg (Phys. Rev. Lett. 108, 090201, 2012) and the warm start of Boltzmann learning.
//! The fit itself maximises the pseudo-likelihood with a symmetric J by L-BFGS, from that
//! start. Both are consistent: they converge to the true parameters as M → ∞, without
//! sampling.

use std::time::Instant;

use nalgebra::{DMatrix, DVector};

use super::{
    drive,
    settings::{IsingFitSettings, KineticFitSettings},
    Fit, FitControl, Summary,
};
use crate::{
    learn::{Control, History, LearnSettings, NoObserver, Observer, Outcome, Phase},
    model::{Centering, Energy, KineticIsing, KineticOptions},
    objective::{Likelihood, ObjectiveKind, Penalty},
    sample::ConditionalExpectation,
    solve::{Lbfgs, RowNewton, RowProblem, SolverKind},
    Error, Ising, Raster, Real, Result, TransitionStatistics, Transitions,
};

/// The pseudo-likelihood start of Boltzmann learning: λ₂ = 0.1 on the couplings (plmDCA also
/// penalises) and a tolerance of 10⁻³. Monte Carlo learning then estimates the moments with
/// standard errors of about 1/√(samples), so solving the start more precisely buys
/// nothing.
///
/// Unpenalised pseudo-likelihood on sparse recordings with strong common input overestimates
/// the couplings: the resulting equilibrium model sits in a high-activity phase, and
/// Boltzmann learning started there first has to find its way back. The penalty keeps the
/// start in the data's phase.
pub fn warm_start_penalty() -> Penalty {
    Penalty {
        l2: 0.1,
        ..Default::default()
    }
}

/// Tolerance of the warm start.
pub const WARM_START_TOL: f64 = 1e-3;

/// The asymmetric pseudo-likelihood maximum by row-wise Newton, symmetrised: the model, the
/// solver's history (the penalised asymmetric pseudo-log-likelihood per sample) and how it
/// ended.
pub fn asymmetric(
    data: &Raster,
    penalty: &Penalty,
    learn: &LearnSettings,
) -> Result<(Ising<f64>, History, Outcome)> {
    asymmetric_observed(data, penalty, learn, &mut NoObserver)
}

/// [`asymmetric`], with `observer` hearing every Newton pass.
fn asymmetric_observed(
    data: &Raster,
    penalty: &Penalty,
    learn: &LearnSettings,
    observer: &mut dyn Observer<f64>,
) -> Result<(Ising<f64>, History, Outcome)> {
    // Repeated states enter once with their count.
    let (distinct, counts) = data.distinct();
    let problem = RowProblem::new(
        &Transitions::identity(&distinct),
        Some(&counts),
        false,
        penalty,
    )?;
    let (learner, outcome) = drive(problem, RowNewton, learn, observer, None, 0, None)?;
    let outcome = outcome?;
    let state = learner.solver_state().expect("the run started");
    let params = learner.problem().params(state);
    let n = data.n_spins();
    let h = params.rows(0, n).clone_owned();
    let j = DMatrix::from_column_slice(n, n, &params.as_slice()[n..]);
    let j = (&j + j.transpose()) * 0.5;
    Ok((Ising::new(h, j)?, learner.history().clone(), outcome))
}

/// The warm start of Boltzmann learning ([`warm_start_penalty`], [`WARM_START_TOL`]): the
/// symmetrised asymmetric pseudo-likelihood maximum, by row-wise Newton where
/// [`super::auto::newton_wins`] predicts it sooner (the kinetic fits' rule: N ≤ 400 on
/// sparse data), else by L-BFGS on the same objective. A Newton pass accumulates an N × N
/// curvature per row (T k² N / 2 operations) and solves N Cholesky systems of size N: 2.3 s
/// at 160 cells, hours at 1,000. An L-BFGS pass costs what a kinetic pass costs.
pub fn warm_start(data: &Raster) -> Result<Ising<f64>> {
    warm_start_observed::<f64>(data, &mut NoObserver)
}

/// [`warm_start`], telling `observer` the [`Phase::WarmStart`] after every pass; its
/// [`Control::Stop`] ends the start with [`Error::Interrupted`].
pub fn warm_start_observed<T: Real>(
    data: &Raster,
    observer: &mut dyn Observer<T>,
) -> Result<Ising<f64>> {
    let newton = super::auto::newton_wins_on(data);
    let learn = if newton {
        warm_start_learn()
    } else {
        // L-BFGS takes more, cheaper iterations than Newton.
        warm_start_learn().with_max_iters(WARM_START_LBFGS_PASSES)
    };
    let mut relay = WarmStartRelay {
        inner: observer,
        budget: learn.max_iters,
        stopped: false,
    };
    let model = if newton {
        asymmetric_observed(data, &warm_start_penalty(), &learn, &mut relay)?.0
    } else {
        warm_start_lbfgs(Transitions::identity(data), learn, &mut relay)?
    };
    if relay.stopped {
        return Err(Error::Interrupted {
            during: "the warm start",
        });
    }
    Ok(model)
}

/// The most L-BFGS passes of the warm start.
const WARM_START_LBFGS_PASSES: usize = 300;

/// The warm start's budget and tolerance.
fn warm_start_learn() -> LearnSettings {
    LearnSettings::default()
        .with_max_iters(50)
        .with_grad_tol(WARM_START_TOL)
}

/// Tells the fit's observer, in the fit's precision, each pass of a warm start (which runs
/// in f64) as a [`Phase::WarmStart`].
struct WarmStartRelay<'a, T: Real> {
    inner: &'a mut dyn Observer<T>,
    budget: usize,
    stopped: bool,
}

impl<T: Real> Observer<f64> for WarmStartRelay<'_, T> {
    fn observe(&mut self, record: &crate::learn::Record, _params: &DVector<f64>) -> Control {
        let control = self.inner.phase(Phase::WarmStart {
            iteration: record.iteration,
            budget: self.budget,
        });
        self.stopped |= control == Control::Stop;
        control
    }
}

/// [`warm_start`] by L-BFGS on the self-transitions of the data.
fn warm_start_lbfgs(
    identity: Transitions,
    learn: LearnSettings,
    observer: &mut dyn Observer<f64>,
) -> Result<Ising<f64>> {
    let settings = KineticFitSettings {
        solver: SolverKind::Lbfgs,
        penalty: warm_start_penalty(),
        learn,
        ..KineticFitSettings::default()
    };
    let fit = super::kinetic::fit_kinetic_from::<f64>(
        std::borrow::Cow::Owned(identity),
        &settings,
        None,
        observer,
        &mut FitControl::default(),
    )?;
    let model = fit.model;
    let j = (model.couplings() + model.couplings().transpose()) * 0.5;
    Ising::new(model.fields().clone_owned(), j)
}

/// The conditional model of each spin given the others, P(s_i | s_∖i) ∝ exp(s_i f_i),
/// written as a symmetric kinetic model without self-couplings whose target is its source.
pub fn conditionals<T: Real>(model: &Ising<T>) -> KineticIsing<f64> {
    let n = model.n_spins();
    let h = model.fields().map(|v| v.as_f64());
    let j = DMatrix::from_fn(n, n, |a, b| model.couplings()[(a, b)].as_f64());
    KineticIsing::new(h, j, KineticOptions::symmetric())
        .expect("an Ising model's J is symmetric with a zero diagonal")
}

/// Maximises the pseudo-likelihood of `data` with a symmetric J (the settings' penalty,
/// tolerance and budget): L-BFGS (or, with `solver = newton`, the symmetrised asymmetric
/// maximum alone) from the symmetrised asymmetric maximum. Observers see the L-BFGS
/// iterations and checkpoints.
pub fn fit_pseudo_likelihood<T: Real>(
    data: &Raster,
    settings: &IsingFitSettings,
    observer: &mut dyn Observer<T>,
    control: &mut FitControl<'_, Ising<T>>,
) -> Result<Fit<Ising<T>>> {
    settings.check()?;
    let n = data.n_spins();
    crate::model::check_dense_size(n)?;
    if data.n_samples() == 0 {
        return Err(Error::Shape("no samples to fit".into()));
    }
    let started = Instant::now();
    let newton_only = settings.solver == SolverKind::Newton;
    let l1 = settings.penalty.has_l1();
    let newton_start = newton_only || super::auto::newton_wins_on(data);
    let start = if l1 || !newton_start {
        // Newton cannot take the L1 penalty, and costs hours at large N (see
        // `warm_start`): L-BFGS starts from the independent-cell model.
        super::independent_model::<f64>(data)
    } else {
        let learn = if newton_only {
            settings.learn.clone()
        } else {
            // A loose start: L-BFGS finishes the job on the symmetric objective.
            settings
                .learn
                .clone()
                .with_grad_tol(settings.learn.grad_tol.max(1e-4))
        };
        let mut relay = WarmStartRelay {
            inner: &mut *observer,
            budget: learn.max_iters,
            stopped: false,
        };
        let start = asymmetric_observed(data, &settings.penalty, &learn, &mut relay)?.0;
        if relay.stopped {
            return Err(Error::Interrupted {
                during: "the warm start",
            });
        }
        start
    };
    let self_transitions = Transitions::identity(data);
    let stats = TransitionStatistics::new(n);
    let data_stats = super::regularised(
        stats.average_transitions(&self_transitions),
        data.n_samples(),
        !data.constant_cells().is_empty(),
    );
    let objective = Likelihood::from_data_statistics(
        conditionals(&start).cast::<T>(),
        stats,
        ConditionalExpectation::of(&self_transitions)?,
        data_stats,
    )?
    .with_penalty(settings.penalty)?
    .with_centering(Centering::transitions(&self_transitions))?
    .with_kind(ObjectiveKind::PseudoLogLikelihood);
    let start_seconds = started.elapsed().as_secs_f64();
    let mut learn = settings.learn.clone();
    if newton_only {
        learn.max_iters = 0;
    }
    let mut adapter = ConditionalsObserver { inner: observer, n };
    let learning_started = Instant::now();
    let (learner, outcome) = drive(
        objective,
        Lbfgs::default(),
        &learn,
        &mut adapter,
        control.resume.take(),
        // The start above is deterministic, so a checkpoint of the symmetric stage alone
        // resumes the whole fit.
        control.checkpoint_every,
        control.checkpoint.as_deref_mut(),
    )?;
    let outcome = match outcome {
        Err(e) => {
            control.last_finite = Some(to_ising(learner.model())?);
            return Err(e);
        }
        Ok(o) => o,
    };
    let model = to_ising(learner.model())?;
    let last = learner.history().last().cloned();
    Ok(Fit {
        model,
        summary: Summary {
            objective: ObjectiveKind::PseudoLogLikelihood,
            value: last.as_ref().and_then(|r| r.objective),
            max_gradient: last.as_ref().map_or(f64::NAN, |r| r.max_abs_gradient()),
            converged: outcome.converged(),
        },
        history: learner.history().clone(),
        outcome,
        solver: if newton_only {
            SolverKind::Newton
        } else {
            SolverKind::Lbfgs
        },
        constant_cells: data.constant_cells(),
        chains: None,
        faithfulness: None,
        timings: super::Timings {
            start: start_seconds,
            learning: learning_started.elapsed().as_secs_f64(),
            ..Default::default()
        },
        centred: true,
        rejected_start: None,
    })
}

/// The equilibrium model of symmetric conditionals.
fn to_ising<T: Real>(k: &KineticIsing<T>) -> Result<Ising<T>> {
    let j = k.couplings().clone_owned();
    Ising::new(k.fields().clone_owned(), j)
}

/// Shows an observer of equilibrium models the parameters of the conditionals' fit as
/// (h, J_{i<j}).
struct ConditionalsObserver<'a, T: Real> {
    inner: &'a mut dyn Observer<T>,
    n: usize,
}

impl<T: Real> Observer<T> for ConditionalsObserver<'_, T> {
    fn observe(
        &mut self,
        record: &crate::learn::Record,
        params: &nalgebra::DVector<T>,
    ) -> crate::learn::Control {
        let n = self.n;
        let mut ising = Vec::with_capacity(n + crate::stats::n_pairs(n));
        ising.extend_from_slice(&params.as_slice()[..n]);
        for i in 0..n {
            for j in i + 1..n {
                ising.push(params[n + i + n * j]);
            }
        }
        self.inner
            .observe(record, &nalgebra::DVector::from_vec(ising))
    }

    fn phase(&mut self, phase: Phase) -> Control {
        self.inner.phase(phase)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::ExactDistribution;

    #[test]
    fn the_warm_start_by_lbfgs_reaches_the_newton_start() {
        let mut rng = crate::seeded(3);
        let truth: Ising<f64> = Ising::planted(12, &mut rng);
        let data = ExactDistribution::new(&truth)
            .unwrap()
            .sample(20_000, &mut rng);
        let newton = asymmetric(&data, &warm_start_penalty(), &warm_start_learn())
            .unwrap()
            .0;
        let lbfgs = warm_start_lbfgs(
            Transitions::identity(&data),
            warm_start_learn().with_max_iters(WARM_START_LBFGS_PASSES),
            &mut NoObserver,
        )
        .unwrap();
        // Both stop at max|gradient| ≤ 10⁻³ of one strictly concave objective whose
        // curvature along each coupling is at least λ₂ = 0.1 (the penalty alone): each is
        // within about 10⁻² of the optimum, so within 2·10⁻² of the other (measured 0.003).
        let gap = (newton.params() - lbfgs.params()).amax();
        assert!(gap < 2e-2, "largest parameter difference {gap}");
    }
}
