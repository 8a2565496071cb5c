//! Limited-memory BFGS for exact objectives, with a strong-Wolfe line search, the centred
//! parametrisation as a fixed change of variables with its scaling as the initial inverse
//! curvature, and OWL-QN steps when an L1 penalty is present.

use std::collections::VecDeque;

use nalgebra::DVector;
use serde::{Deserialize, Serialize};

use super::{
    line_search::{strong_wolfe, Trial, WolfeSettings},
    stochastic::check_finite,
    Budget, Solver, Step,
};
use crate::{
    model::{Centering, Energy},
    objective::{l1_subgradient, params_f64, record, Evaluation, Objective},
    record::Record,
    Error, Real, Result,
};

/// L-BFGS (Nocedal 1980; Liu & Nocedal 1989) on the maximisation of an exact objective.
///
/// Each step: the direction d = H g from the last `memory` pairs of steps s and gradient
/// changes y (the two-loop recursion), then a line search along d that satisfies the strong
/// Wolfe conditions. With `centred` (and an objective with a [`Centering`]) the variables
/// are the centred parameters θ' (θ = A θ'), the gradient is Aᵀ g and the initial inverse
/// curvature is the model's scaling D ([`Energy::precondition`]), scaled by sᵀy / yᵀDy:
/// for the sparse Ising models the first steps are then already nearly Newton steps.
///
/// With an L1 penalty the steps are OWL-QN's (Andrew & Gao 2007): along the pseudo-gradient,
/// restricted to the orthant of the current point, with a backtracking search on the
/// penalised objective; parameters that the data do not support end exactly at zero.
///
/// ```
/// use spinfer::prelude::*;
///
/// let solver = Lbfgs::default();
/// assert_eq!(solver.memory_for(15), 30);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lbfgs {
    /// Pairs (s, y) kept; 0 for the automatic choice ([`Lbfgs::memory_for`]).
    pub memory: usize,
    /// Step in the centred parametrisation when the objective has one (no L1 penalty).
    pub centred: bool,
    /// Constants of the line search.
    #[serde(skip, default)]
    pub line_search: WolfeSettings,
}

impl Default for Lbfgs {
    fn default() -> Self {
        Lbfgs {
            memory: 0,
            centred: true,
            line_search: WolfeSettings::default(),
        }
    }
}

impl Lbfgs {
    /// Bytes the automatic memory may take for its pairs (two f32 vectors each).
    pub const PAIR_BUDGET_BYTES: usize = 32 << 20;

    /// The pairs kept for `dim` parameters: 30 (enough for quasi-Newton steps to take in
    /// the curvature of small problems: planted N = 5 needs 33 iterations to 10⁻⁹ with 30
    /// pairs, 61 with 10), fewer for large models so that the pairs stay within
    /// [`Lbfgs::PAIR_BUDGET_BYTES`], and never fewer than 5.
    pub fn memory_for(&self, dim: usize) -> usize {
        if self.memory > 0 {
            return self.memory;
        }
        (Self::PAIR_BUDGET_BYTES / (8 * dim.max(1))).clamp(5, 30)
    }

    /// L-BFGS with or without the centred parametrisation.
    pub fn with_centring(mut self, centred: bool) -> Self {
        self.centred = centred;
        self
    }
}

/// One pair of a step s and the change of gradient y = g_k − g_{k+1} (ascent), in the
/// working variables, stored in f32: half the memory (5 pairs of a 1,000-cell kinetic model
/// take 40 MB), and a relative change of 6·10⁻⁸ in the curvature the pairs describe, far
/// below what the limited memory leaves out anyway. ρ = 1/(s·y) is taken from the stored
/// values, so the implied inverse Hessian stays positive definite; the recursion runs in f64.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    s: DVector<f32>,
    y: DVector<f32>,
    rho: f64,
    /// γ = sᵀy / yᵀH₀y, the scale of the initial inverse curvature when this pair is the
    /// newest: taken once when the pair is stored (one product with H₀, which for a
    /// centred kinetic model costs N³), NaN in checkpoints written before it was kept.
    #[serde(default = "unknown_scale")]
    gamma: f64,
}

fn unknown_scale() -> f64 {
    f64::NAN
}

impl Pair {
    /// The pair of a step s and gradient change y, with ρ = 1/(s·y) and γ.
    fn new<T: Real, M: Energy<T>>(
        frame: &Frame,
        model: &M,
        s: DVector<f32>,
        y: DVector<f32>,
        sy: f64,
    ) -> Self {
        let mut pair = Pair {
            s,
            y,
            rho: 1.0 / sy,
            gamma: f64::NAN,
        };
        pair.gamma = pair.scale(frame, model);
        pair
    }

    /// γ = sᵀy / yᵀH₀y (1 when yᵀH₀y is not positive or γ not finite, which a checkpoint
    /// could not hold either).
    fn scale<T: Real, M: Energy<T>>(&self, frame: &Frame, model: &M) -> f64 {
        let y = widened(&self.y);
        let dy = frame.initial::<T, M>(model, &y, 1.0);
        let denominator = y.dot(&dy);
        let gamma = (1.0 / self.rho) / denominator;
        if denominator > 0.0 && gamma.is_finite() {
            gamma
        } else {
            1.0
        }
    }
}

/// Σ_k a_k b_k in f64.
fn dot(a: &DVector<f32>, b: &DVector<f64>) -> f64 {
    a.iter()
        .zip(b.iter())
        .map(|(&x, &y)| f64::from(x) * y)
        .sum()
}

/// b ← b + c a.
fn axpy(c: f64, a: &DVector<f32>, b: &mut DVector<f64>) {
    for (y, &x) in b.iter_mut().zip(a.iter()) {
        *y += c * f64::from(x);
    }
}

/// The f32 pair vector as f64.
fn widened(a: &DVector<f32>) -> DVector<f64> {
    a.map(f64::from)
}

/// What [`Lbfgs`] carries between iterations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LbfgsState {
    pairs: VecDeque<Pair>,
    /// The evaluation at the current iterate.
    cached: Option<Evaluation>,
    /// Objective evaluations so far.
    pub evaluations: usize,
}

/// The working variables of a step: centred or raw, with or without the L1 penalty. The
/// maps take the model for its shape only (the centring is a linear reparametrisation,
/// whatever the parameters' values), so the step needs no copy of the model.
struct Frame {
    centering: Option<Centering>,
    /// λ₁ per parameter (OWL-QN) when any is positive.
    l1: Option<Vec<f64>>,
}

impl Frame {
    /// The gradient in the working variables: P Aᵀ g (centred) or g; with L1, the
    /// pseudo-gradient (the smallest element of the superdifferential of the penalised
    /// objective, per coordinate).
    fn gradient<T: Real, M: Energy<T>>(
        &self,
        model: &M,
        g: &DVector<f64>,
        params: &DVector<f64>,
    ) -> DVector<f64> {
        let mut w = g.clone();
        if let Some(l1) = &self.l1 {
            for k in 0..w.len() {
                w[k] = if l1[k] > 0.0 {
                    l1_subgradient(g[k], params[k], l1[k])
                } else {
                    g[k]
                };
            }
            return w;
        }
        if let Some(c) = &self.centering {
            model.centre_gradient(&mut w, c);
            model.project_gradient(&mut w);
        }
        w
    }

    /// The smooth gradient in the working variables (for the pairs y).
    fn smooth_gradient<T: Real, M: Energy<T>>(&self, model: &M, g: &DVector<f64>) -> DVector<f64> {
        let mut w = g.clone();
        if let (None, Some(c)) = (&self.l1, &self.centering) {
            model.centre_gradient(&mut w, c);
            model.project_gradient(&mut w);
        }
        w
    }

    /// H₀ q: γ P D P q (centred) or γ q.
    fn initial<T: Real, M: Energy<T>>(
        &self,
        model: &M,
        q: &DVector<f64>,
        gamma: f64,
    ) -> DVector<f64> {
        let mut r = q.clone();
        if let (None, Some(c)) = (&self.l1, &self.centering) {
            model.precondition(&mut r, c);
            model.project_gradient(&mut r);
        }
        r * gamma
    }

    /// The step in the model's parameters for a step d in the working variables: A d.
    fn raw_step<T: Real, M: Energy<T>>(&self, model: &M, d: &DVector<f64>) -> DVector<f64> {
        let mut p = d.clone();
        if let (None, Some(c)) = (&self.l1, &self.centering) {
            model.uncentre_step(&mut p, c);
        }
        p
    }
}

impl Lbfgs {
    /// The two-loop recursion: d = H w.
    fn direction<T: Real, M: Energy<T>>(
        &self,
        frame: &Frame,
        model: &M,
        pairs: &VecDeque<Pair>,
        w: &DVector<f64>,
    ) -> DVector<f64> {
        let mut q = w.clone();
        let mut a = vec![0.0; pairs.len()];
        for (k, p) in pairs.iter().enumerate().rev() {
            a[k] = p.rho * dot(&p.s, &q);
            axpy(-a[k], &p.y, &mut q);
        }
        let gamma = match pairs.back() {
            Some(p) if p.gamma.is_finite() => p.gamma,
            Some(p) => p.scale::<T, M>(frame, model),
            None => 1.0,
        };
        let mut r = frame.initial::<T, M>(model, &q, gamma);
        for (k, p) in pairs.iter().enumerate() {
            let b = p.rho * dot(&p.y, &r);
            axpy(a[k] - b, &p.s, &mut r);
        }
        r
    }
}

impl<P: Objective> Solver<P> for Lbfgs {
    fn check_state(&self, problem: &P, s: &LbfgsState) -> Result<()> {
        use crate::restored::check_vector;
        let dim = problem.model().params().len();
        if let Some(e) = &s.cached {
            e.check_restored(dim)?;
        }
        for p in &s.pairs {
            check_vector("L-BFGS step s", &p.s, dim)?;
            check_vector("L-BFGS gradient change y", &p.y, dim)?;
        }
        Ok(())
    }

    type State = LbfgsState;

    fn name(&self) -> &'static str {
        "lbfgs"
    }

    fn check(&self) -> Result<()> {
        Ok(())
    }

    fn init(&self, problem: &mut P, _budget: &Budget) -> Result<LbfgsState> {
        if !problem.is_exact() {
            return Err(Error::setting(
                "solver",
                "lbfgs",
                "a solver for noisy gradients (gradient): L-BFGS needs exact values, and \
                 this objective's model side is a Monte Carlo estimate",
            ));
        }
        Ok(LbfgsState {
            pairs: VecDeque::new(),
            cached: None,
            evaluations: 0,
        })
    }

    fn current(&self, problem: &mut P, state: &mut LbfgsState, iteration: usize) -> Result<Record> {
        if state.cached.is_none() {
            let e = problem.evaluate()?;
            state.evaluations += 1;
            check_finite(&e, iteration)?;
            if e.value.is_none() {
                return Err(Error::setting(
                    "solver",
                    "lbfgs",
                    "a solver for objectives without a known value (gradient)",
                ));
            }
            state.cached = Some(e);
        }
        Ok(record(
            problem,
            state.cached.as_ref().expect("evaluated"),
            iteration,
        ))
    }

    fn advance(&self, problem: &mut P, state: &mut LbfgsState) -> Result<Step> {
        let point = match state.cached.take() {
            Some(e) => e,
            None => {
                state.evaluations += 1;
                problem.evaluate()?
            }
        };
        // The start in f64 (exact for f32 models too), which also restores the model when
        // no step is taken: no copy of the model (8 MB at 1,000 cells).
        let theta0 = params_f64(problem.model().params());
        let frame = self.frame(problem);
        for attempt in 0..2 {
            if attempt == 1 {
                if state.pairs.is_empty() {
                    break;
                }
                // The quasi-Newton direction failed: forget the curvature pairs and try the
                // scaled gradient.
                state.pairs.clear();
            }
            match self.try_step(problem, state, &frame, &point, &theta0)? {
                Some(next) => {
                    state.cached = Some(next);
                    return Ok(Step::Moved);
                }
                None => problem.set_params(&theta0.map(P::Scalar::cast)),
            }
        }
        state.cached = Some(point);
        Ok(Step::Stalled)
    }

    fn result(&self, problem: &P, _state: &LbfgsState) -> DVector<P::Scalar> {
        problem.model().params().clone()
    }
}

impl Lbfgs {
    fn frame<P: Objective>(&self, problem: &P) -> Frame {
        let model = problem.model();
        let penalty = problem.penalty();
        let l1 = penalty.has_l1().then(|| {
            let mut l1 = vec![0.0; model.params().len()];
            for g in model.groups() {
                let (strength, _) = penalty.strengths(&g);
                for k in g.range {
                    l1[k] = strength;
                }
            }
            l1
        });
        Frame {
            centering: problem
                .centering()
                .filter(|_| self.centred && l1.is_none())
                .cloned(),
            l1,
        }
    }

    /// One search along the quasi-Newton direction from the current pairs: the new point's
    /// evaluation, or `None` when no step improves the objective.
    fn try_step<P: Objective>(
        &self,
        problem: &mut P,
        state: &mut LbfgsState,
        frame: &Frame,
        point: &Evaluation,
        theta0: &DVector<f64>,
    ) -> Result<Option<Evaluation>> {
        let value0 = point.value.expect("exact objective");
        let w0 = frame.gradient(problem.model(), &point.gradient, theta0);
        let mut d = self.direction::<P::Scalar, _>(frame, problem.model(), &state.pairs, &w0);
        if let Some(l1) = &frame.l1 {
            // OWL-QN: keep only the components that agree in sign with the pseudo-gradient.
            for k in 0..d.len() {
                if l1[k] > 0.0 && d[k] * w0[k] <= 0.0 {
                    d[k] = 0.0;
                }
            }
        }
        let slope0 = w0.dot(&d);
        if slope0.is_nan() || slope0 <= 0.0 || !slope0.is_finite() {
            if state.pairs.is_empty() {
                return Ok(None);
            }
            state.pairs.clear();
            return self.try_step(problem, state, frame, point, theta0);
        }
        // The first step has no curvature information but the preconditioner's; without one,
        // take a step of unit length in θ.
        let initial = if state.pairs.is_empty() && frame.centering.is_none() {
            (1.0 / d.norm()).min(1.0)
        } else {
            1.0
        };
        let p = frame.raw_step(problem.model(), &d);
        let accepted = match &frame.l1 {
            None => {
                // Only OWL-QN's search reads w₀ again: not held through the evaluations.
                drop(w0);
                self.wolfe_search(
                    problem, state, frame, theta0, &p, &d, value0, slope0, initial,
                )?
            }
            Some(l1) => {
                self.orthant_search(problem, state, l1, theta0, &w0, &p, value0, initial)?
            }
        };
        let Some((alpha, evaluation)) = accepted else {
            return Ok(None);
        };
        // The new curvature pair, in the working variables (smooth gradients).
        let s = match &frame.l1 {
            None => &d * alpha,
            Some(_) => params_f64(problem.model().params()) - theta0,
        };
        let y = frame.smooth_gradient(problem.model(), &point.gradient)
            - frame.smooth_gradient(problem.model(), &evaluation.gradient);
        let (s, y) = (s.map(|v| v as f32), y.map(|v| v as f32));
        let sy: f64 = s
            .iter()
            .zip(y.iter())
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum();
        let norm = |v: &DVector<f32>| v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
        if sy > 1e-12 * norm(&s) * norm(&y) && sy.is_finite() {
            if state.pairs.len() >= self.memory_for(s.len()) {
                state.pairs.pop_front();
            }
            state
                .pairs
                .push_back(Pair::new(frame, problem.model(), s, y, sy));
        }
        Ok(Some(evaluation))
    }

    /// Evaluates the objective at θ₀ + α p.
    fn evaluate_at<P: Objective>(
        problem: &mut P,
        state: &mut LbfgsState,
        theta: DVector<f64>,
    ) -> Result<Option<Evaluation>> {
        problem.set_params(&theta.map(P::Scalar::cast));
        // Not held through the evaluation: one parameter-sized vector less at the peak.
        drop(theta);
        if problem
            .model()
            .params()
            .iter()
            .any(|v| !v.as_f64().is_finite())
        {
            return Ok(None);
        }
        state.evaluations += 1;
        let e = problem.evaluate()?;
        let finite =
            e.value.is_some_and(f64::is_finite) && e.gradient.iter().all(|g| g.is_finite());
        Ok(finite.then_some(e))
    }

    /// The strong-Wolfe search along p = A d (minimising −F).
    #[allow(clippy::too_many_arguments)]
    fn wolfe_search<P: Objective>(
        &self,
        problem: &mut P,
        state: &mut LbfgsState,
        frame: &Frame,
        theta0: &DVector<f64>,
        p: &DVector<f64>,
        d: &DVector<f64>,
        value0: f64,
        slope0: f64,
        initial: f64,
    ) -> Result<Option<(f64, Evaluation)>> {
        let found = strong_wolfe(-value0, -slope0, initial, &self.line_search, |alpha| {
            let e = Self::evaluate_at(problem, state, theta0 + p * alpha)?;
            Ok(match e {
                Some(e) => {
                    let w = frame.gradient(problem.model(), &e.gradient, theta0);
                    Trial {
                        alpha,
                        value: -e.value.expect("exact"),
                        slope: -w.dot(d),
                        data: Some(e),
                    }
                }
                None => Trial {
                    alpha,
                    value: f64::INFINITY,
                    slope: f64::NAN,
                    data: None,
                },
            })
        })?;
        match found {
            Some(Trial {
                alpha,
                data: Some(e),
                ..
            }) => {
                // The search may end on another trial than the last one evaluated.
                problem.set_params(&(theta0 + p * alpha).map(P::Scalar::cast));
                Ok(Some((alpha, e)))
            }
            _ => Ok(None),
        }
    }

    /// OWL-QN's backtracking search: θ(α) = π(θ₀ + α p) on the orthant of θ₀ (signs of θ₀,
    /// or of the pseudo-gradient where θ₀ is 0), accepted when
    /// F(θ(α)) ≥ F(θ₀) + c₁ w·(θ(α) − θ₀).
    #[allow(clippy::too_many_arguments)]
    fn orthant_search<P: Objective>(
        &self,
        problem: &mut P,
        state: &mut LbfgsState,
        l1: &[f64],
        theta0: &DVector<f64>,
        w0: &DVector<f64>,
        p: &DVector<f64>,
        value0: f64,
        initial: f64,
    ) -> Result<Option<(f64, Evaluation)>> {
        let orthant: Vec<f64> = (0..theta0.len())
            .map(|k| {
                if theta0[k] != 0.0 {
                    theta0[k].signum()
                } else {
                    w0[k].signum()
                }
            })
            .collect();
        let mut alpha = initial;
        for _ in 0..self.line_search.max_evaluations.max(30) {
            let mut theta = theta0 + p * alpha;
            for k in 0..theta.len() {
                if l1[k] > 0.0 && theta[k] * orthant[k] <= 0.0 {
                    theta[k] = 0.0;
                }
            }
            let moved = &theta - theta0;
            if let Some(e) = Self::evaluate_at(problem, state, theta)? {
                let value = e.value.expect("exact");
                if value >= value0 + self.line_search.c1 * w0.dot(&moved) {
                    return Ok(Some((alpha, e)));
                }
            }
            alpha *= 0.5;
        }
        Ok(None)
    }
}
