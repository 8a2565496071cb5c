//! The executor: budget, tolerance, observers, history and checkpoints for every solver.

use std::{marker::PhantomData, time::Instant};

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::{Control, History, LearnSettings, Observer};
use crate::{
    objective::{Objective, Problem},
    solve::{Budget, Solver, Step},
    Error, Result,
};

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The gradient tolerance was reached.
    Converged,
    /// No step could improve the objective any further (its maximum to the precision of
    /// its evaluation) before the tolerance was reached.
    Stalled,
    /// The iteration budget was used up.
    MaxIterations,
    /// An observer asked to stop (an interrupt, `--stop-after`).
    Stopped,
    /// An observer's criterion was met (the model reproduces the data as well as the data
    /// reproduce themselves; or the target Pearson correlation).
    TargetReached,
}

impl Outcome {
    /// Whether the run ended at its goal (tolerance or target), rather than by budget,
    /// stall or interruption.
    pub fn converged(self) -> bool {
        matches!(self, Outcome::Converged | Outcome::TargetReached)
    }
}

/// Everything a run needs to continue exactly where it stopped: with the same data and
/// settings, a run restored from this state ends with the same parameters, bit for bit, as
/// one that never stopped.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(
    serialize = "P: Serialize, S: Serialize",
    deserialize = "P: DeserializeOwned, S: DeserializeOwned"
))]
pub struct LearnerState<P, S> {
    /// Steps done.
    pub iteration: usize,
    /// Records so far.
    pub history: History,
    /// The problem's state (parameters, chains).
    pub problem: P,
    /// The solver's state.
    pub solver: S,
    /// How the run ended, when this is the state it ended in (its last record has been
    /// judged already, so a resume must not step on from it).
    #[serde(default)]
    pub ended: Option<Outcome>,
}

/// Receives learner states to store (see [`Learner::run_with_checkpoints`]).
pub type CheckpointSink<'a, P, S> = dyn FnMut(&LearnerState<P, S>) -> Result<()> + 'a;

/// The one loop: evaluates the current iterate through its solver, records it, asks the
/// observer, stops at the tolerance, the observer's word or the budget, and otherwise lets
/// the solver step.
///
/// ```
/// use spinfer::prelude::*;
///
/// // Exact samples of a planted 4-spin model, fitted by L-BFGS over exact enumeration.
/// let mut rng = spinfer::seeded(3);
/// let truth: Ising<f64> = Ising::planted(4, &mut rng);
/// let data = ExactDistribution::new(&truth).unwrap().sample(20_000, &mut rng);
/// let start = Ising::<f64>::zeros(4);
/// let objective = Likelihood::new(start, PairStatistics::new(4), ExactSampler, &data).unwrap();
/// let mut learner = Learner::new(objective, Lbfgs::default()).unwrap();
/// let outcome = learner
///     .run(&LearnSettings::default().with_grad_tol(1e-9), &mut NoObserver)
///     .unwrap();
/// assert_eq!(outcome, Outcome::Converged);
/// assert!(learner.history().last().unwrap().max_abs_gradient() <= 1e-9);
/// ```
pub struct Learner<P: Problem, S: Solver<P>> {
    problem: P,
    solver: S,
    state: Option<S::State>,
    history: History,
    iteration: usize,
    seconds_before: f64,
    /// How the last run ended (see [`LearnerState::ended`]).
    ended: Option<Outcome>,
    scalar: PhantomData<P::Scalar>,
}

impl<P: Problem, S: Solver<P>> Learner<P, S> {
    /// A run of `solver` on `problem` from the problem's current parameters (settings
    /// validated).
    pub fn new(problem: P, solver: S) -> Result<Self> {
        solver.check()?;
        Ok(Learner {
            problem,
            solver,
            state: None,
            history: History::default(),
            iteration: 0,
            seconds_before: 0.0,
            ended: None,
            scalar: PhantomData,
        })
    }

    /// The problem (the objective and its model).
    pub fn problem(&self) -> &P {
        &self.problem
    }

    /// Mutable access to the problem.
    pub fn problem_mut(&mut self) -> &mut P {
        &mut self.problem
    }

    /// The solver.
    pub fn solver(&self) -> &S {
        &self.solver
    }

    /// The solver's state, once the run has started.
    pub fn solver_state(&self) -> Option<&S::State> {
        self.state.as_ref()
    }

    /// The problem, consuming the learner.
    pub fn into_problem(self) -> P {
        self.problem
    }

    /// Records so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Steps done.
    pub fn iteration(&self) -> usize {
        self.iteration
    }

    /// The parameters the run returns if it stops now (after [`Learner::run`], the result).
    pub fn result(&self) -> Option<nalgebra::DVector<P::Scalar>> {
        self.state
            .as_ref()
            .map(|s| self.solver.result(&self.problem, s))
    }

    /// The full state of the run, for a checkpoint (`None` before the run has started).
    pub fn save(&self) -> Option<LearnerState<P::State, S::State>> {
        Some(LearnerState {
            iteration: self.iteration,
            history: self.history.clone(),
            problem: self.problem.state(),
            solver: self.state.clone()?,
            ended: self.ended,
        })
    }

    /// Continues from a saved state (same data and settings assumed).
    pub fn load(&mut self, state: LearnerState<P::State, S::State>) -> Result<()> {
        if state.history.records.len() > state.iteration + 1 {
            return Err(Error::Shape(format!(
                "the saved history holds {} records for {} steps",
                state.history.records.len(),
                state.iteration
            )));
        }
        self.problem.restore(state.problem)?;
        self.solver.check_state(&self.problem, &state.solver)?;
        self.state = Some(state.solver);
        self.iteration = state.iteration;
        self.ended = state.ended;
        self.seconds_before = state.history.records.last().map_or(0.0, |r| r.seconds);
        self.history = state.history;
        Ok(())
    }

    /// One iteration by hand: the record of the current iterate (evaluated unless it is
    /// already recorded), then one step. For benchmarks and for callers that drive the loop
    /// themselves; [`Learner::run`] adds stopping rules, observers and checkpoints.
    pub fn step(&mut self) -> Result<Step> {
        let started = Instant::now();
        self.ended = None;
        let budget = Budget {
            max_iters: usize::MAX,
            grad_tol: 0.0,
        };
        let mut state = match self.state.take() {
            Some(s) => s,
            None => self.solver.init(&mut self.problem, &budget)?,
        };
        let result = (|| {
            if self.history.records.len() <= self.iteration {
                let mut record =
                    self.solver
                        .current(&mut self.problem, &mut state, self.iteration)?;
                record.seconds = self.seconds_before + started.elapsed().as_secs_f64();
                self.history.records.push(record);
            }
            let step = self.solver.advance(&mut self.problem, &mut state)?;
            if step == Step::Moved {
                self.iteration += 1;
            }
            Ok(step)
        })();
        self.state = Some(state);
        result
    }

    /// Iterates until the gradient tolerance, the observer's word, a stall or the budget.
    pub fn run<B: Observer<P::Scalar> + ?Sized>(
        &mut self,
        settings: &LearnSettings,
        observer: &mut B,
    ) -> Result<Outcome> {
        self.run_with_checkpoints(settings, observer, 0, &mut |_| Ok(()))
    }

    /// [`Learner::run`], handing the state to `checkpoint` every `every` steps (never when
    /// 0) and once more when the loop ends, before the solver's final result (an average of
    /// iterates) is put in place. That last state records how the run ended
    /// ([`LearnerState::ended`]): restored, a converged, stalled or target-reaching run ends
    /// again at once with the same result; one stopped by its budget or an observer goes on.
    pub fn run_with_checkpoints<B: Observer<P::Scalar> + ?Sized>(
        &mut self,
        settings: &LearnSettings,
        observer: &mut B,
        every: usize,
        checkpoint: &mut CheckpointSink<'_, P::State, S::State>,
    ) -> Result<Outcome> {
        settings.check()?;
        let started = Instant::now();
        let budget = Budget {
            max_iters: settings.max_iters,
            grad_tol: settings.grad_tol,
        };
        let state = match self.state.take() {
            Some(s) => s,
            None => self.solver.init(&mut self.problem, &budget)?,
        };
        // A run restored from the state it ended in ends the same way: its last record met
        // a stopping rule that more iterations would not undo. Only a budget or an
        // interruption is continued.
        let outcome = match self.ended {
            Some(o @ (Outcome::Converged | Outcome::TargetReached | Outcome::Stalled)) => {
                self.state = Some(state);
                return self.finish(o);
            }
            _ => self.iterate(settings, observer, every, checkpoint, started, state)?,
        };
        self.ended = Some(outcome);
        checkpoint(&self.save().expect("state set"))?;
        self.finish(outcome)
    }

    /// The solver's final result (an average of iterates) put in place.
    fn finish(&mut self, outcome: Outcome) -> Result<Outcome> {
        let mut state = self.state.take().expect("state set");
        let finished = self.solver.finish(&mut self.problem, &mut state);
        self.state = Some(state);
        finished?;
        Ok(outcome)
    }

    /// The loop of [`Learner::run_with_checkpoints`], leaving its state in `self.state`.
    fn iterate<B: Observer<P::Scalar> + ?Sized>(
        &mut self,
        settings: &LearnSettings,
        observer: &mut B,
        every: usize,
        checkpoint: &mut CheckpointSink<'_, P::State, S::State>,
        started: Instant,
        mut state: S::State,
    ) -> Result<Outcome> {
        self.ended = None;
        let mut announced = false;
        let outcome = loop {
            if self.history.records.len() <= self.iteration {
                let result = self
                    .solver
                    .current(&mut self.problem, &mut state, self.iteration);
                let mut record = match result {
                    Ok(r) => r,
                    Err(e) => {
                        self.state = Some(state);
                        return Err(e);
                    }
                };
                record.seconds = self.seconds_before + started.elapsed().as_secs_f64();
                self.history.records.push(record);
                let record = self.history.records.last().expect("pushed");
                if !announced {
                    // Once the first record exists: a request refused at the start (by the
                    // first evaluation) ends without a word of learning. A stop asked for
                    // here is heard from `observe` below.
                    announced = true;
                    let _ = observer.phase(super::Phase::Learning);
                }
                let control = observer.observe(record, &self.solver.result(&self.problem, &state));
                let target = settings
                    .target_pearson
                    .zip(record.connected_pearson)
                    .is_some_and(|(t, r)| r >= t);
                if settings.grad_tol > 0.0 && record.max_abs_gradient() <= settings.grad_tol {
                    break Outcome::Converged;
                }
                if target || control == Control::Reached {
                    break Outcome::TargetReached;
                }
                if control == Control::Stop {
                    break Outcome::Stopped;
                }
            }
            if self.iteration >= settings.max_iters {
                break Outcome::MaxIterations;
            }
            match self.solver.advance(&mut self.problem, &mut state) {
                Ok(Step::Moved) => self.iteration += 1,
                Ok(Step::Stalled) => break Outcome::Stalled,
                Err(e) => {
                    self.state = Some(state);
                    return Err(e);
                }
            }
            if every > 0 && self.iteration.is_multiple_of(every) {
                self.state = Some(state);
                let saved = self.save().expect("state set");
                checkpoint(&saved)?;
                state = self.state.take().expect("state set");
            }
        };
        self.state = Some(state);
        Ok(outcome)
    }
}

impl<P: Objective, S: Solver<P>> Learner<P, S> {
    /// The model at the current parameters.
    pub fn model(&self) -> &P::Model {
        self.problem.model()
    }

    /// The model, consuming the learner.
    pub fn into_model(self) -> P::Model {
        self.problem.model().clone()
    }
}
