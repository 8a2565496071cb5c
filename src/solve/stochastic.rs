//! First-order steps for noisy (Monte Carlo) or exact gradients: any optimiser, centred
//! steps, step rejection on exact objectives, proximal L1, iterate averaging and a growing
//! Monte Carlo sample size.

use nalgebra::DVector;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::{Budget, Solver, Step};
use crate::{
    model::Energy,
    objective::{params_f64, record, soft_threshold, Evaluation, Objective},
    optim::Optimizer,
    record::Record,
    Error, Real, Result,
};

/// Which iterates the run returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Averaging {
    /// The last iterate.
    #[default]
    None,
    /// The average over this fraction of the budget, at its end (Polyak–Ruppert); a run
    /// that stops earlier returns its last iterate.
    Tail(f64),
    /// The average over the last half to three quarters of the iterates since the Monte
    /// Carlo samples last grew (or since the gradient first became mostly noise): two
    /// running sums, the older one dropped each time the count doubles. With Monte Carlo
    /// gradients the iterates jitter around the optimum by the sampling noise times the step
    /// size; their average does not, and restarting it when the samples grow leaves out the
    /// noisier iterates. Before the gradient is noise-dominated (signal-to-noise below
    /// [`Growth::ratio`]) the last iterate is returned: the iterates still drift towards the
    /// optimum, and their average would lag behind. Without [`Growth`] (or standard errors)
    /// the average runs from the start.
    Suffix,
}

/// Grows the Monte Carlo samples per iteration when the gradient is mostly noise: when
/// ‖ĝ‖² < (1 + `ratio`) Σ_k SE_k² for `patience` iterations in a row, with SE_k the
/// standard error of gradient entry k (from the independent chains), the samples are
/// multiplied by `factor`, up to `max_samples`. Early iterations are then cheap and late
/// ones precise (the "norm test" of dynamic sample-size methods).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Growth {
    /// Signal-to-noise ratio ‖g‖² / Σ SE² below which the samples grow.
    pub ratio: f64,
    /// Consecutive noisy iterations before growing.
    pub patience: usize,
    /// Multiplier of the samples.
    pub factor: f64,
    /// Largest samples per iteration.
    pub max_samples: usize,
}

impl Default for Growth {
    fn default() -> Self {
        Growth {
            ratio: 1.0,
            patience: 3,
            factor: 2.0,
            max_samples: 400_000,
        }
    }
}

/// Standard deviations of g_t · g_{t−1} beyond which successive Monte Carlo gradients
/// count as turned against each other (or as agreeing).
pub const OVERSHOOT_SIGMAS: f64 = 3.0;
/// Factor on the steps after an overshoot.
pub const OVERSHOOT_SHRINK: f64 = 0.7;
/// Factor on the steps after a gradient that agrees with the previous one.
pub const OVERSHOOT_RECOVERY: f64 = 1.05;
/// Smallest factor overshoots bring the steps to.
pub const MIN_STEP_SCALE: f64 = 0.05;

/// First-order ascent θ ← θ + optimiser step along the gradient.
///
/// * With `centred` (and an objective that has a [`crate::model::Centering`]), the
///   optimiser steps in the centred parameters along D Aᵀ g, and its step is mapped back.
/// * With `adaptive` and an exact objective, a point worse than the last accepted one is
///   rejected and the step from that point retried at half the size; accepted steps grow
///   back by 1.25× up to the optimiser's own size. Ascent is then monotone.
/// * An L1 penalty is applied as a proximal step after each optimiser step.
///
/// ```
/// use spinfer::prelude::*;
///
/// let solver = Stochastic::new(Adam::with_lr(0.01)).with_averaging(Averaging::Suffix);
/// assert_eq!(solver.optimizer.learning_rate(), 0.01);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stochastic<O> {
    /// The step rule.
    pub optimizer: O,
    /// Step in the centred parametrisation when the objective has one.
    pub centred: bool,
    /// Reject steps that lower an exact objective.
    pub adaptive: bool,
    /// Which iterates are returned.
    pub averaging: Averaging,
    /// Growing Monte Carlo samples, if any.
    pub growth: Option<Growth>,
}

impl<O: Optimizer> Stochastic<O> {
    /// Plain steps with `optimizer`: raw parameters, no rejection, no averaging, fixed
    /// samples.
    pub fn new(optimizer: O) -> Self {
        Stochastic {
            optimizer,
            centred: false,
            adaptive: false,
            averaging: Averaging::None,
            growth: None,
        }
    }

    /// Steps in the centred parametrisation (or not).
    pub fn with_centring(mut self, centred: bool) -> Self {
        self.centred = centred;
        self
    }

    /// Rejects steps that lower an exact objective (or not).
    pub fn with_adaptive_steps(mut self, adaptive: bool) -> Self {
        self.adaptive = adaptive;
        self
    }

    /// Returns averaged iterates.
    pub fn with_averaging(mut self, averaging: Averaging) -> Self {
        self.averaging = averaging;
        self
    }

    /// Grows the Monte Carlo samples when the gradient is mostly noise.
    pub fn with_growth(mut self, growth: Option<Growth>) -> Self {
        self.growth = growth;
        self
    }
}

/// A point the adaptive step may return to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "T: Serialize, S: Serialize",
    deserialize = "T: DeserializeOwned, S: DeserializeOwned"
))]
pub struct Accepted<T: Real, S> {
    params: DVector<T>,
    optimizer: S,
    gradient: DVector<f64>,
    value: f64,
}

/// Running sums of iterates for [`Averaging::Suffix`] and [`Averaging::Tail`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Average {
    older: Option<(DVector<f64>, usize)>,
    newer: Option<(DVector<f64>, usize)>,
    /// Iterates added since the average (re)started.
    count: usize,
}

impl Average {
    fn add(&mut self, params: DVector<f64>, suffix: bool) {
        self.count += 1;
        match &mut self.newer {
            Some((sum, k)) => {
                *sum += params;
                *k += 1;
            }
            None => self.newer = Some((params, 1)),
        }
        if suffix && self.count >= 2 && self.count.is_power_of_two() {
            self.older = self.newer.take();
        }
    }

    fn mean(&self) -> Option<DVector<f64>> {
        let parts: Vec<&(DVector<f64>, usize)> =
            self.older.iter().chain(self.newer.iter()).collect();
        let first = parts.first()?;
        let mut sum = first.0.clone();
        let mut count = first.1;
        for p in &parts[1..] {
            sum += &p.0;
            count += p.1;
        }
        Some(sum / count as f64)
    }
}

/// What [`Stochastic`] carries between iterations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "T: Serialize, S: Serialize",
    deserialize = "T: DeserializeOwned, S: DeserializeOwned"
))]
pub struct StochasticState<T: Real, S> {
    /// The optimiser's state.
    pub optimizer: S,
    /// The evaluation at the current iterate, once made.
    pub cached: Option<Evaluation>,
    /// Adaptive steps: the last accepted point.
    pub accepted: Option<Accepted<T, S>>,
    /// Adaptive steps: the factor on every step.
    pub step_scale: f64,
    /// Iterate averages.
    pub average: Average,
    /// [`Averaging::Tail`]: the first step whose result enters the average.
    pub average_from: Option<usize>,
    /// Steps taken.
    pub steps: usize,
    /// Consecutive noise-dominated evaluations ([`Growth`]).
    pub noisy: usize,
    /// Whether the gradient has been noise-dominated at least once ([`Averaging::Suffix`]
    /// starts then: before it the iterates still drift towards the optimum, and an average
    /// would lag).
    #[serde(default)]
    pub stationary: bool,
    /// Monte Carlo fits: the last gradient and its standard errors, for the overshoot test
    /// (see [`OVERSHOOT_SIGMAS`]).
    #[serde(default)]
    pub previous: Option<(DVector<f64>, DVector<f64>)>,
    /// The last parameters whose evaluation was finite (not saved: only for errors).
    #[serde(skip)]
    pub last_good: Option<DVector<T>>,
}

/// How much a log-likelihood may drop from rounding alone: parameters stored in T move L by
/// about ε_T·|L| (4 ε for margin), and f64 sums over many terms carry about 1e-12 relative.
fn rounding_slack<T: Real>(l: f64) -> f64 {
    (4.0 * T::default_epsilon().as_f64()).max(1e-12) * l.abs().max(1.0)
}

/// Refuses a non-finite gradient or value at `iteration`.
pub(crate) fn check_finite(evaluation: &Evaluation, iteration: usize) -> Result<()> {
    if evaluation.gradient.iter().any(|g| !g.is_finite()) {
        return Err(Error::NonFinite {
            iteration,
            what: "gradient",
        });
    }
    if evaluation.value.is_some_and(|l| !l.is_finite()) {
        return Err(Error::NonFinite {
            iteration,
            what: "objective",
        });
    }
    Ok(())
}

impl<P, O> Solver<P> for Stochastic<O>
where
    P: Objective,
    O: Optimizer,
{
    type State = StochasticState<P::Scalar, O::State<P::Scalar>>;

    fn name(&self) -> &'static str {
        "gradient"
    }

    fn check(&self) -> Result<()> {
        self.optimizer.check()?;
        if let Averaging::Tail(f) = self.averaging {
            if !(0.0..1.0).contains(&f) {
                return Err(Error::setting("average-tail", f, "in [0, 1)"));
            }
        }
        if let Some(g) = &self.growth {
            if !(g.ratio.is_finite() && g.ratio >= 0.0) {
                return Err(Error::setting(
                    "growth ratio",
                    g.ratio,
                    "a finite number >= 0",
                ));
            }
            if !(g.factor.is_finite() && g.factor > 1.0) {
                return Err(Error::setting(
                    "growth factor",
                    g.factor,
                    "a finite number > 1",
                ));
            }
        }
        Ok(())
    }

    fn check_state(&self, problem: &P, s: &Self::State) -> Result<()> {
        use crate::restored::{check_vector, inconsistent};
        let dim = problem.model().params().len();
        self.optimizer.check_state(dim, &s.optimizer)?;
        if let Some(e) = &s.cached {
            e.check_restored(dim)?;
        }
        if let Some(a) = &s.accepted {
            check_vector("last accepted parameters", &a.params, dim)?;
            check_vector("last accepted gradient", &a.gradient, dim)?;
            self.optimizer.check_state(dim, &a.optimizer)?;
        }
        if !(s.step_scale.is_finite() && s.step_scale > 0.0) {
            return Err(inconsistent(
                "step scale",
                format!("is {}, not a positive number", s.step_scale),
            ));
        }
        for (sum, _) in s.average.older.iter().chain(s.average.newer.iter()) {
            check_vector("iterate average", sum, dim)?;
        }
        if let Some((g, se)) = &s.previous {
            check_vector("previous gradient", g, dim)?;
            check_vector("previous standard errors", se, dim)?;
        }
        Ok(())
    }

    fn init(&self, problem: &mut P, budget: &Budget) -> Result<Self::State> {
        let dim = problem.model().params().len();
        let average_from = match self.averaging {
            Averaging::Tail(f) if f > 0.0 => {
                Some(((1.0 - f) * budget.max_iters as f64).floor() as usize)
            }
            _ => None,
        };
        Ok(StochasticState {
            optimizer: self.optimizer.init(dim),
            cached: None,
            accepted: None,
            step_scale: 1.0,
            average: Average::default(),
            average_from,
            steps: 0,
            noisy: 0,
            stationary: false,
            previous: None,
            last_good: None,
        })
    }

    fn current(
        &self,
        problem: &mut P,
        state: &mut Self::State,
        iteration: usize,
    ) -> Result<Record> {
        if state.cached.is_none() {
            let evaluation = problem.evaluate();
            let evaluation = match evaluation.and_then(|e| check_finite(&e, iteration).map(|_| e)) {
                Ok(e) => e,
                Err(e) => {
                    if let Some(good) = &state.last_good {
                        problem.set_params(good);
                    }
                    return Err(e);
                }
            };
            state.last_good = Some(problem.model().params().clone());
            self.grow_samples(problem, state, &evaluation)?;
            self.damp_overshoot(state, &evaluation);
            state.cached = Some(evaluation);
        }
        let evaluation = state.cached.as_ref().expect("evaluated above");
        Ok(record(problem, evaluation, iteration))
    }

    fn advance(&self, problem: &mut P, state: &mut Self::State) -> Result<Step> {
        let evaluation = match state.cached.take() {
            Some(e) => e,
            None => problem.evaluate()?,
        };
        let gradient = self.accept_or_reject(problem, state, evaluation);
        let previous = problem.model().params().clone();
        let penalty = *problem.penalty();
        let centering = problem
            .centering()
            .filter(|_| self.centred && !penalty.has_l1())
            .cloned();
        let model = problem.model();
        let mut direction = gradient;
        if let Some(c) = &centering {
            // The optimiser steps in the centred parameters: its per-parameter rules (Adam's
            // normalisation, momentum) then act on directions in which a coupling's change
            // does not also shift every cell's mean input. Stepping after the mapping back
            // would let Adam move thousands of couplings by ±η each, which in the ±1
            // parametrisation of sparse data is a coherent shift of every field.
            model.centre_gradient(&mut direction, c);
            model.project_gradient(&mut direction);
            model.precondition(&mut direction, c);
            model.project_gradient(&mut direction);
        }
        let direction_t = direction.map(P::Scalar::cast);
        let mut step_t = DVector::zeros(direction_t.len());
        self.optimizer
            .step(&mut step_t, &direction_t, &mut state.optimizer);
        let mut step = params_f64(&step_t);
        if let Some(c) = &centering {
            model.uncentre_step(&mut step, c);
        }
        // Scale the realised update, not the gradient: Adam is invariant to the latter.
        step *= state.step_scale;
        let mut next = params_f64(&previous) + step;
        // L1: the proximal step θ ← sign θ · max(|θ| − η λ₁, 0), η the step actually taken.
        if penalty.has_l1() {
            let eta = self.optimizer.learning_rate() * state.step_scale;
            for g in model.groups() {
                let (l1, _) = penalty.strengths(&g);
                if l1 > 0.0 {
                    for k in g.range {
                        next[k] = soft_threshold(next[k], eta * l1);
                    }
                }
            }
        }
        problem.set_params(&next.map(P::Scalar::cast));
        if problem
            .model()
            .params()
            .iter()
            .any(|p| !p.as_f64().is_finite())
        {
            problem.set_params(&previous);
            return Err(Error::NonFinite {
                iteration: state.steps,
                what: "parameters",
            });
        }
        state.steps += 1;
        let result = params_f64(problem.model().params());
        match self.averaging {
            Averaging::None => {}
            Averaging::Tail(_) => {
                if state.average_from.is_some_and(|from| state.steps > from) {
                    state.average.add(result, false);
                }
            }
            Averaging::Suffix => {
                if state.stationary || self.growth.is_none() {
                    state.average.add(result, true)
                }
            }
        }
        Ok(Step::Moved)
    }

    fn finish(&self, problem: &mut P, state: &mut Self::State) -> Result<()> {
        if let Some(mean) = state.average.mean() {
            problem.set_params(&mean.map(P::Scalar::cast));
            // The evaluation, if any, was of the last iterate, not of the average.
            state.cached = None;
        }
        Ok(())
    }

    fn result(&self, problem: &P, state: &Self::State) -> DVector<P::Scalar> {
        match state.average.mean() {
            Some(mean) => mean.map(P::Scalar::cast),
            None => problem.model().params().clone(),
        }
    }
}

impl<O: Optimizer> Stochastic<O> {
    /// Adaptive steps: keeps the current point, or (when it is worse than the last accepted
    /// one) returns to that point with half the step. Returns the gradient to step along.
    fn accept_or_reject<P: Objective>(
        &self,
        problem: &mut P,
        state: &mut StochasticState<P::Scalar, O::State<P::Scalar>>,
        evaluation: Evaluation,
    ) -> DVector<f64> {
        let (true, Some(l)) = (self.adaptive, evaluation.value) else {
            return evaluation.gradient;
        };
        match &state.accepted {
            Some(prev) if l < prev.value - rounding_slack::<P::Scalar>(l) => {
                // Worse than the last accepted point: go back and take half the step.
                problem.set_params(&prev.params);
                state.optimizer = prev.optimizer.clone();
                state.step_scale *= 0.5;
                prev.gradient.clone()
            }
            _ => {
                if state.accepted.is_some() {
                    state.step_scale = (state.step_scale * 1.25).min(1.0);
                }
                state.accepted = Some(Accepted {
                    params: problem.model().params().clone(),
                    optimizer: state.optimizer.clone(),
                    gradient: evaluation.gradient.clone(),
                    value: l,
                });
                evaluation.gradient
            }
        }
    }

    /// Monte Carlo steps that overshoot: when the gradient has turned against the previous
    /// one by more than the noise allows, g_t · g_{t−1} < −[`OVERSHOOT_SIGMAS`] σ with
    /// σ² = Σ_k (SE_{t,k} g_{t−1,k})² + (SE_{t−1,k} g_{t,k})², the iterate is bouncing
    /// across the optimum along a stiff direction (the balance of two collective states of
    /// a model near a first-order transition moves with every field at once). The steps
    /// then shrink by [`OVERSHOOT_SHRINK`] (down to [`MIN_STEP_SCALE`]) and the average of
    /// iterates starts; a gradient that significantly agrees with the previous one lets them
    /// grow back by [`OVERSHOOT_RECOVERY`] up to the optimiser's own size. Gradients within
    /// the noise change nothing, so fits whose iterates only drift and then fluctuate take
    /// the optimiser's steps unchanged.
    fn damp_overshoot<T: Real, S>(
        &self,
        state: &mut StochasticState<T, S>,
        evaluation: &Evaluation,
    ) {
        let (true, Some(se)) = (self.growth.is_some(), evaluation.std_error.as_ref()) else {
            return;
        };
        let g = &evaluation.gradient;
        if let Some((g0, se0)) = &state.previous {
            if g0.len() == g.len() {
                let dot = g.dot(g0);
                let var: f64 = (0..g.len())
                    .map(|k| (se[k] * g0[k]).powi(2) + (se0[k] * g[k]).powi(2))
                    .sum();
                let sigma = var.sqrt();
                if dot < -OVERSHOOT_SIGMAS * sigma {
                    state.step_scale = (state.step_scale * OVERSHOOT_SHRINK).max(MIN_STEP_SCALE);
                    state.stationary = true;
                } else if dot > OVERSHOOT_SIGMAS * sigma {
                    state.step_scale = (state.step_scale * OVERSHOOT_RECOVERY).min(1.0);
                }
            }
        }
        state.previous = Some((g.clone(), se.clone()));
    }

    /// [`Growth`]: counts noise-dominated evaluations and grows the samples after
    /// `patience` in a row; the average restarts then.
    fn grow_samples<P: Objective>(
        &self,
        problem: &mut P,
        state: &mut StochasticState<P::Scalar, O::State<P::Scalar>>,
        evaluation: &Evaluation,
    ) -> Result<()> {
        let (Some(growth), Some(snr), Some(samples)) = (
            &self.growth,
            evaluation.signal_to_noise(),
            problem.samples(),
        ) else {
            return Ok(());
        };
        if snr < 1.0 + growth.ratio {
            state.noisy += 1;
            state.stationary = true;
        } else {
            state.noisy = 0;
        }
        if state.noisy >= growth.patience && samples < growth.max_samples {
            let grown = ((samples as f64 * growth.factor).round() as usize).min(growth.max_samples);
            problem.set_samples(grown)?;
            state.noisy = 0;
            if self.averaging == Averaging::Suffix {
                state.average = Average::default();
            }
        }
        Ok(())
    }
}
