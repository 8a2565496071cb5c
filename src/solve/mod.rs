//! Solvers: how one step is taken. Each exposes one iteration at a time to the
//! [executor](crate::learn), which owns the loop.
//!
//! * [`Stochastic`]: first-order steps with any [`crate::Optimizer`] (plain gradient,
//!   momentum, Adam), optionally in the centred parametrisation, with iterate averaging and
//!   a growing Monte Carlo sample size: for noisy (Monte Carlo) gradients.
//! * [`Lbfgs`]: limited-memory BFGS with a strong-Wolfe line search (OWL-QN with an L1
//!   penalty): for exact objectives, to the maximum in tens of steps.
//! * [`RowNewton`]: Newton's method row by row, for kinetic likelihoods without a symmetry
//!   constraint (and so the asymmetric pseudo-likelihood), which separate into one logistic
//!   regression per cell.

pub mod lbfgs;
pub mod line_search;
pub mod row_newton;
pub mod stochastic;

use nalgebra::DVector;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::{objective::Problem, record::Record, Result};

pub use lbfgs::{Lbfgs, LbfgsState};
pub use row_newton::{RowNewton, RowNewtonState, RowProblem};
pub use stochastic::{Averaging, Growth, Stochastic, StochasticState};

/// What a solver is told about the run before its first step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// Largest number of steps.
    pub max_iters: usize,
    /// The run converges once max |∂| falls to this (0: never).
    pub grad_tol: f64,
}

/// What a step did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// The parameters moved.
    Moved,
    /// No step could improve the objective: the parameters are at its maximum to the
    /// precision of its evaluation.
    Stalled,
}

/// One way of taking steps on a problem `P`, one iteration at a time.
///
/// The executor calls [`Solver::current`] for the record of the current iterate (a solver
/// whose last step already evaluated it returns that evaluation), decides whether to stop,
/// and otherwise calls [`Solver::advance`]. All a solver carries between iterations is in
/// its [`Solver::State`], so that a checkpoint of (problem state, solver state, history)
/// resumes bit for bit.
///
/// ```
/// use spinfer::prelude::*;
///
/// // One L-BFGS step at a time, driven by hand (the executor, `Learner`, does this).
/// let mut rng = spinfer::seeded(3);
/// let truth = Ising::<f64>::planted(4, &mut rng);
/// let data = ExactDistribution::new(&truth).unwrap().sample(10_000, &mut rng);
/// let stats = PairStatistics::new(4);
/// let start = Ising::<f64>::zeros(4);
/// let mut objective = Likelihood::new(start, stats, ExactSampler, &data).unwrap();
/// let solver = Lbfgs::default();
/// let budget = spinfer::solve::Budget { max_iters: 100, grad_tol: 1e-8 };
/// let mut state = solver.init(&mut objective, &budget).unwrap();
/// let first = solver.current(&mut objective, &mut state, 0).unwrap();
/// solver.advance(&mut objective, &mut state).unwrap();
/// let second = solver.current(&mut objective, &mut state, 1).unwrap();
/// assert!(second.objective.unwrap() > first.objective.unwrap());
/// ```
pub trait Solver<P: Problem>: Send {
    /// What the solver carries between iterations.
    type State: Clone + Send + Serialize + DeserializeOwned;

    /// The solver's name, for records and model files.
    fn name(&self) -> &'static str;

    /// Validates the settings.
    fn check(&self) -> Result<()> {
        Ok(())
    }

    /// The state before the first step.
    fn init(&self, problem: &mut P, budget: &Budget) -> Result<Self::State>;

    /// Validates a state restored from a checkpoint against the problem (sizes of every
    /// vector, finite values), before [`Solver::advance`] or [`Solver::current`] use it.
    fn check_state(&self, problem: &P, state: &Self::State) -> Result<()>;

    /// The record of the current iterate, evaluating the problem unless the last step
    /// already did.
    fn current(&self, problem: &mut P, state: &mut Self::State, iteration: usize)
        -> Result<Record>;

    /// Moves to the next iterate.
    fn advance(&self, problem: &mut P, state: &mut Self::State) -> Result<Step>;

    /// Called once when the run ends (after the last checkpoint): a solver that returns an
    /// average of its iterates puts it into the problem here.
    fn finish(&self, _problem: &mut P, _state: &mut Self::State) -> Result<()> {
        Ok(())
    }

    /// The parameters the run would return if it stopped now.
    fn result(&self, problem: &P, state: &Self::State) -> DVector<P::Scalar>;
}

/// Which solver a fit uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum SolverKind {
    /// Chosen from the objective.
    ///
    /// The rule is [`crate::fit::auto`]'s.
    #[default]
    Auto,
    /// First-order steps with the fit's optimiser.
    Gradient,
    /// L-BFGS (exact objectives only).
    Lbfgs,
    /// Row-wise Newton (asymmetric kinetic likelihoods and pseudo-likelihood, L2 only).
    Newton,
}

impl SolverKind {
    /// The name on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            SolverKind::Auto => "auto",
            SolverKind::Gradient => "gradient",
            SolverKind::Lbfgs => "lbfgs",
            SolverKind::Newton => "newton",
        }
    }
}
