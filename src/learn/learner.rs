//! The learner: gradient ascent on the log-likelihood, any model, sampler and optimiser.

use std::time::Instant;

use nalgebra::DVector;

use super::{
    penalty::{l1_subgradient, soft_threshold},
    Control, History, LearnSettings, Observer, Penalty, Record,
};
use crate::{
    model::{Centering, Energy},
    optim::Optimizer,
    raster::Raster,
    sample::Sampler,
    Error, Real, Result, Statistics,
};

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The gradient tolerance was reached.
    Converged,
    /// The iteration budget was used up.
    MaxIterations,
    /// An observer asked to stop.
    Stopped,
    /// The model's connected correlations reached the target Pearson correlation with the
    /// data's ([`LearnSettings::target_pearson`]).
    TargetReached,
}

/// Boltzmann learning: θ ← step(θ, ⟨φ⟩_data − ⟨φ⟩_θ).
///
/// The data statistics are computed once; each iteration asks the sampler for the model
/// statistics, projects the gradient onto the model's constraints, takes an optimiser step,
/// and re-imposes the constraints. The same loop fits the equilibrium model (Monte Carlo or
/// exact model side), the kinetic model (exact conditional model side) and any model written
/// against the traits.
pub struct Learner<T, M, S, X, O>
where
    T: Real,
    M: Energy<T>,
    S: Statistics<T>,
    X: Sampler<T, M>,
    O: Optimizer<T>,
{
    model: M,
    stats: S,
    sampler: X,
    optimizer: O,
    opt_state: O::State,
    data_stats: DVector<T>,
    iteration: usize,
    history: History,
    seconds_before: f64,
    /// Running sum of the parameters after each step in the averaging tail, and its count.
    tail: Option<(DVector<f64>, usize)>,
    centering: Option<Centering>,
    /// The last accepted point, kept for step rejection (adaptive steps).
    accepted: Option<Accepted<T, O::State>>,
    /// Factor in (0, 1] applied to every step (adaptive steps).
    step_scale: f64,
    /// L1/L2 penalties (none by default).
    penalty: Penalty,
    /// The data's connected correlations, if the statistics define them (computed once).
    data_connected: Option<Vec<f64>>,
    /// Pearson r between model and data connected correlations at the last gradient.
    last_pearson: Option<f64>,
}

/// How much a log-likelihood may drop from rounding alone: parameters stored in T move L by
/// about ε_T·|L| (4 ε for margin), and f64 sums over many terms carry about 1e-12 relative.
fn rounding_slack<T: Real>(l: f64) -> f64 {
    (4.0 * T::default_epsilon().as_f64()).max(1e-12) * l.abs().max(1.0)
}

/// Receives learner states to store (see [`Learner::run_with_checkpoints`]).
pub type CheckpointSink<'a, T, S> = dyn FnMut(&LearnerState<T, S>) -> Result<()> + 'a;

/// A point the adaptive step may return to.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(bound(
    serialize = "S: serde::Serialize",
    deserialize = "S: serde::de::DeserializeOwned"
))]
pub struct Accepted<T: Real, S> {
    params: DVector<T>,
    opt_state: S,
    gradient: DVector<T>,
    log_likelihood: f64,
}

/// Everything a run needs to continue exactly where it stopped: with the same data and
/// settings, a run restored from this state ends with the same parameters, bit for bit, as
/// one that never stopped.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(bound(
    serialize = "S: serde::Serialize",
    deserialize = "S: serde::de::DeserializeOwned"
))]
pub struct LearnerState<T: Real, S> {
    /// Iterations done.
    pub iteration: usize,
    /// Current parameters.
    pub params: DVector<T>,
    /// Optimiser state.
    pub opt_state: S,
    /// Records so far.
    pub history: History,
    /// Tail-average sum and count.
    pub tail: Option<(DVector<f64>, usize)>,
    /// Adaptive step: last accepted point and step factor.
    pub accepted: Option<Accepted<T, S>>,
    /// Adaptive step factor.
    pub step_scale: f64,
    /// The sampler's own state (chains and generators).
    pub sampler: serde_json::Value,
}

impl<T, M, S, X, O> Learner<T, M, S, X, O>
where
    T: Real,
    M: Energy<T>,
    S: Statistics<T>,
    X: Sampler<T, M>,
    O: Optimizer<T>,
{
    /// A learner for `data`, starting from `model`'s current parameters.
    pub fn new(model: M, stats: S, sampler: X, optimizer: O, data: &Raster) -> Result<Self> {
        if data.n_spins() != model.n_spins() {
            return Err(Error::Shape(format!(
                "the data has {} spins, the model {}",
                data.n_spins(),
                model.n_spins()
            )));
        }
        let data_stats = stats.average(data);
        Self::from_data_statistics(model, stats, sampler, optimizer, data_stats)
    }

    /// A learner from precomputed data statistics ⟨φ⟩_data.
    pub fn from_data_statistics(
        model: M,
        stats: S,
        sampler: X,
        optimizer: O,
        data_stats: DVector<T>,
    ) -> Result<Self> {
        optimizer.check()?;
        let dim = model.params().len();
        if stats.dim() != dim || data_stats.len() != dim {
            return Err(Error::Shape(format!(
                "the model has {dim} parameters but {} statistics ({} data values)",
                stats.dim(),
                data_stats.len()
            )));
        }
        let data: Vec<f64> = data_stats.iter().map(|v| v.as_f64()).collect();
        let data_connected = stats.connected(&data);
        Ok(Learner {
            opt_state: optimizer.init(dim),
            model,
            stats,
            sampler,
            optimizer,
            data_stats,
            iteration: 0,
            history: History::default(),
            seconds_before: 0.0,
            tail: None,
            centering: None,
            accepted: None,
            step_scale: 1.0,
            penalty: Penalty::default(),
            data_connected,
            last_pearson: None,
        })
    }

    /// Maximises the penalised objective L(θ) − Σ [λ₁ |θ| + ½ λ₂ θ²] instead of L (see
    /// [`Penalty`]); recorded log-likelihoods are then the penalised objective.
    pub fn with_penalty(mut self, penalty: Penalty) -> Result<Self> {
        penalty.check()?;
        self.penalty = penalty;
        Ok(self)
    }

    /// Makes the optimiser step in the centred parameters (see [`Centering`]): it receives the
    /// centred, variance-scaled direction instead of the raw gradient, and its step is mapped
    /// back to (h, J). Recorded gradients and the stopping rule still use the raw gradient.
    pub fn with_centering(mut self, centering: Centering) -> Result<Self> {
        let n = self.model.n_spins();
        if centering.before.len() != n || centering.after.len() != n {
            return Err(Error::Shape(format!(
                "centring means have {} and {} entries, the model {n} spins",
                centering.before.len(),
                centering.after.len()
            )));
        }
        self.centering = Some(centering);
        Ok(self)
    }

    /// The model at the current parameters.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model, consuming the learner.
    pub fn into_model(self) -> M {
        self.model
    }

    /// The sampler (chains, for checkpoints or fresh samples).
    pub fn sampler(&self) -> &X {
        &self.sampler
    }

    /// Mutable access to the sampler.
    pub fn sampler_mut(&mut self) -> &mut X {
        &mut self.sampler
    }

    /// ⟨φ⟩_data.
    pub fn data_statistics(&self) -> &DVector<T> {
        &self.data_stats
    }

    /// Records so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Iterations done.
    pub fn iteration(&self) -> usize {
        self.iteration
    }

    /// The optimiser's state.
    pub fn optimizer_state(&self) -> &O::State {
        &self.opt_state
    }

    /// The full state of the run, for a checkpoint.
    pub fn save(&self) -> LearnerState<T, O::State> {
        LearnerState {
            iteration: self.iteration,
            params: self.model.params().clone(),
            opt_state: self.opt_state.clone(),
            history: self.history.clone(),
            tail: self.tail.clone(),
            accepted: self.accepted.clone(),
            step_scale: self.step_scale,
            sampler: self.sampler.save(),
        }
    }

    /// Continues from a saved state (same data and settings assumed).
    pub fn load(&mut self, state: LearnerState<T, O::State>) -> Result<()> {
        if state.params.len() != self.model.params().len() {
            return Err(Error::Shape(format!(
                "saved parameters have {} entries, the model {}",
                state.params.len(),
                self.model.params().len()
            )));
        }
        self.sampler.load(&state.sampler)?;
        self.model.set_params(&state.params);
        self.opt_state = state.opt_state;
        self.iteration = state.iteration;
        self.seconds_before = state.history.records.last().map_or(0.0, |r| r.seconds);
        self.history = state.history;
        self.tail = state.tail;
        self.accepted = state.accepted;
        self.step_scale = state.step_scale;
        Ok(())
    }

    /// The gradient ∇L = ⟨φ⟩_data − ⟨φ⟩_θ at the current parameters, projected on the model's
    /// constraints, with the log-likelihood per observation θ·⟨φ⟩_data − A(θ) when known.
    /// With a [`Penalty`], the L2 term −λ₂ θ is included and the log-likelihood is the
    /// penalised objective (the L1 term enters through the proximal step).
    pub fn gradient(&mut self) -> Result<(DVector<T>, Option<f64>)> {
        let averages = self.sampler.averages(&self.model, &self.stats)?;
        self.last_pearson = self.data_connected.as_ref().and_then(|d| {
            let model: Vec<f64> = averages.stats.iter().map(|v| v.as_f64()).collect();
            let m = self.stats.connected(&model)?;
            Some(crate::validate::agreement(d, &m, 1).pearson)
        });
        let mut gradient = &self.data_stats - &averages.stats;
        let mut log_likelihood = averages
            .log_partition
            .map(|a| self.model.params().dot(&self.data_stats).as_f64() - a);
        if self.penalty.is_active() {
            let groups = self.model.groups();
            let theta: Vec<f64> = self.model.params().iter().map(|v| v.as_f64()).collect();
            for g in &groups {
                let (_, l2) = self.penalty.strengths(g);
                for k in g.range.clone() {
                    gradient[k] -= T::cast(l2 * theta[k]);
                }
            }
            log_likelihood = log_likelihood.map(|l| l - self.penalty.value(&theta, &groups));
        }
        self.model.project_gradient(&mut gradient);
        Ok((gradient, log_likelihood))
    }

    /// max |∂| per parameter group of the objective: the gradient, with the L1 penalty's
    /// smallest subgradient added (0 for a parameter held at zero by it).
    fn optimality(&self, gradient: &DVector<T>) -> Vec<(String, f64)> {
        self.model
            .groups()
            .into_iter()
            .map(|g| {
                let (l1, _) = self.penalty.strengths(&g);
                let max = g.range.clone().fold(0.0f64, |m, k| {
                    let v = gradient[k].as_f64();
                    let v = if l1 > 0.0 {
                        l1_subgradient(v, self.model.params()[k].as_f64(), l1)
                    } else {
                        v
                    };
                    m.max(v.abs())
                });
                (g.name.to_string(), max)
            })
            .collect()
    }

    /// One iteration: gradient, record, step, constraints. Parameters that would become
    /// non-finite are not kept: the model stays at the last finite point and an
    /// [`Error::NonFinite`] names the iteration. With `adaptive` and an exact log-likelihood,
    /// a point worse than the last accepted one is rejected: the step from that point is
    /// retried at half the size.
    pub fn step(&mut self, started: Instant) -> Result<Record> {
        self.step_with(started, false)
    }

    fn step_with(&mut self, started: Instant, adaptive: bool) -> Result<Record> {
        let (gradient, log_likelihood) = self.gradient()?;
        if gradient.iter().any(|g| !g.is_finite()) {
            return Err(Error::NonFinite {
                iteration: self.iteration,
                what: "gradient",
            });
        }
        if log_likelihood.is_some_and(|l| !l.is_finite()) {
            return Err(Error::NonFinite {
                iteration: self.iteration,
                what: "log-likelihood",
            });
        }
        let record = Record {
            iteration: self.iteration,
            max_gradient: self.optimality(&gradient),
            log_likelihood,
            seconds: self.seconds_before + started.elapsed().as_secs_f64(),
            connected_pearson: self.last_pearson,
        };
        let gradient = match (adaptive, log_likelihood, &self.accepted) {
            (true, Some(l), Some(prev)) if l < prev.log_likelihood - rounding_slack::<T>(l) => {
                // Worse than the last accepted point: go back and take half the step.
                self.model.set_params(&prev.params);
                self.opt_state = prev.opt_state.clone();
                self.step_scale *= 0.5;
                prev.gradient.clone()
            }
            (true, Some(l), _) => {
                if self.accepted.is_some() {
                    self.step_scale = (self.step_scale * 1.25).min(1.0);
                }
                self.accepted = Some(Accepted {
                    params: self.model.params().clone(),
                    opt_state: self.opt_state.clone(),
                    gradient: gradient.clone(),
                    log_likelihood: l,
                });
                gradient
            }
            _ => gradient,
        };
        let previous = self.model.params().clone();
        let mut direction = gradient;
        // A proximal step's fixed point is the penalised optimum only for steps along the
        // raw gradient: a preconditioned step would stop where P·∇L, not ∇L, balances λ₁.
        let l1 = self.penalty.l1 > 0.0 || self.penalty.l1_fields > 0.0;
        if let (Some(c), false) = (&self.centering, l1) {
            // The optimiser steps in the centred parameters: its per-parameter rules (Adam's
            // normalisation, momentum) then act on directions in which a coupling's change
            // does not also shift every cell's mean input. Stepping after the mapping back
            // would let Adam move thousands of couplings by ±η each, which in the ±1
            // parametrisation of sparse data is a coherent shift of every field.
            self.model.centred_direction(&mut direction, c);
            self.model.project_gradient(&mut direction);
            let mut step = DVector::zeros(direction.len());
            self.optimizer
                .step(&mut step, &direction, &mut self.opt_state);
            self.model.uncentre_step(&mut step, c);
            *self.model.params_mut() += step;
        } else {
            self.optimizer
                .step(self.model.params_mut(), &direction, &mut self.opt_state);
        }
        if self.step_scale != 1.0 {
            // Scale the realised update, not the gradient: Adam is invariant to the latter.
            let update = (self.model.params() - &previous) * T::cast(self.step_scale);
            self.model.params_mut().copy_from(&(&previous + update));
        }
        self.proximal_l1();
        self.model.project();
        if self.model.params().iter().any(|p| !p.is_finite()) {
            self.model.set_params(&previous);
            return Err(Error::NonFinite {
                iteration: self.iteration,
                what: "parameters",
            });
        }
        self.iteration += 1;
        self.history.records.push(record.clone());
        Ok(record)
    }

    /// The L1 proximal step θ ← sign θ · max(|θ| − η λ₁, 0), η the step actually taken.
    fn proximal_l1(&mut self) {
        let eta = self.optimizer.learning_rate() * self.step_scale;
        for g in self.model.groups() {
            let (l1, _) = self.penalty.strengths(&g);
            if l1 > 0.0 {
                let params = self.model.params_mut();
                for k in g.range {
                    params[k] = T::cast(soft_threshold(params[k].as_f64(), eta * l1));
                }
            }
        }
    }

    /// Iterates until the gradient tolerance, the iteration budget, or an observer's stop.
    /// With [`LearnSettings::average_tail`], a run that uses its whole budget ends at the
    /// average of the parameters over the tail.
    pub fn run<B: Observer<T> + ?Sized>(
        &mut self,
        settings: &LearnSettings,
        observer: &mut B,
    ) -> Result<Outcome> {
        self.run_with_checkpoints(settings, observer, 0, &mut |_| Ok(()))
    }

    /// [`Learner::run`], handing the state to `checkpoint` every `every` iterations (never
    /// when 0) and once more when the loop ends, before the tail average is applied.
    pub fn run_with_checkpoints<B: Observer<T> + ?Sized>(
        &mut self,
        settings: &LearnSettings,
        observer: &mut B,
        every: usize,
        checkpoint: &mut CheckpointSink<'_, T, O::State>,
    ) -> Result<Outcome> {
        settings.check()?;
        let started = Instant::now();
        let average_from = settings.average_from();
        while self.iteration < settings.max_iters {
            let record = self.step_with(started, settings.adaptive_step)?;
            if average_from.is_some_and(|from| self.iteration > from) {
                let (sum, count) = self
                    .tail
                    .get_or_insert_with(|| (DVector::zeros(self.model.params().len()), 0));
                *sum += self.model.params().map(|v| v.as_f64());
                *count += 1;
            }
            let control = observer.observe(&record, self.model.params());
            let target = settings
                .target_pearson
                .zip(record.connected_pearson)
                .is_some_and(|(t, r)| r >= t);
            let done = record.max_abs_gradient() < settings.grad_tol || target;
            let due = every > 0 && self.iteration.is_multiple_of(every);
            if due && !done && control == Control::Continue {
                checkpoint(&self.save())?;
            }
            if done {
                checkpoint(&self.save())?;
                return Ok(if target {
                    Outcome::TargetReached
                } else {
                    Outcome::Converged
                });
            }
            if control == Control::Stop {
                checkpoint(&self.save())?;
                return Ok(Outcome::Stopped);
            }
        }
        checkpoint(&self.save())?;
        if let Some((sum, count)) = self.tail.take() {
            let mean = sum.map(|v| T::cast(v / count as f64));
            self.model.set_params(&mean);
        }
        Ok(Outcome::MaxIterations)
    }
}
