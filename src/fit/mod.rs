//! Ready-made fits of the two model families with defaults that reach the optimum (exact
//! objectives) or a model as faithful as the data (Monte Carlo) without tuning; the
//! `spinfer` command and the study are built on these.
//!
//! A fit chooses its solver ([`auto`]), its start ([`start`]), builds the objective and
//! runs the executor with checkpoints, then reports how it ended at the parameters it
//! returns ([`Summary`]).

pub mod auto;
pub mod choices;
pub mod faithful;
pub mod ising;
pub mod k_pairwise;
pub mod kinetic;
mod learning;
pub mod pseudo;
pub mod settings;
pub mod start;
pub mod timings;
pub mod warnings;

use nalgebra::DVector;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::{
    learn::{History, Learner, LearnerState, Observer, Outcome},
    objective::{ObjectiveKind, Problem},
    sample::ChainDiagnostics,
    solve::{Solver, SolverKind},
    stats::Faithfulness,
    Error, LearnSettings, Result,
};

pub use choices::{Estimator, FitChoices, IsingChoices, KineticChoices, Stepping};
pub use ising::{
    fit_ising, fit_ising_sampled, fit_ising_sampled_with, fit_ising_with, independent_model,
    ising_start,
};
pub use k_pairwise::fit_k_pairwise_with;
pub use kinetic::{fit_kinetic, fit_kinetic_from, fit_kinetic_rows, fit_kinetic_with};
pub use pseudo::fit_pseudo_likelihood;
pub use settings::{EquilibriumModel, Faithful, IsingFitSettings, IsingMethod, KineticFitSettings};
pub use timings::Timings;

/// How a fit ended, at the parameters it returns.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The function maximised.
    pub objective: ObjectiveKind,
    /// Its value per observation at the returned parameters, when known exactly (penalty
    /// included).
    pub value: Option<f64>,
    /// max |∂/∂θ| at the returned parameters (for Monte Carlo fits, from fresh samples).
    pub max_gradient: f64,
    /// Whether the fit reached its goal: the gradient tolerance, or for Monte Carlo fits the
    /// faithfulness target.
    pub converged: bool,
}

/// A fitted model and how the fit went.
#[derive(Clone, Debug)]
pub struct Fit<M> {
    /// The model.
    pub model: M,
    /// Per-iteration records.
    pub history: History,
    /// Why the loop ended.
    pub outcome: Outcome,
    /// The solver that ran (never [`SolverKind::Auto`]).
    pub solver: SolverKind,
    /// The state at the returned parameters.
    pub summary: Summary,
    /// Cells that never or always fire in the data (their statistics were regularised).
    pub constant_cells: Vec<usize>,
    /// Equilibration diagnostics of the last iteration's Monte Carlo chains.
    pub chains: Option<ChainDiagnostics>,
    /// Monte Carlo fits: the returned model against the data, from fresh samples.
    pub faithfulness: Option<Faithfulness>,
    /// Where the time went.
    pub timings: Timings,
    /// Whether the solver stepped in the centred parametrisation.
    pub centred: bool,
    /// The fit's own warm start, when [`start::held_activity`] rejected it (the fit then
    /// started from independent cells).
    pub rejected_start: Option<start::RejectedStart>,
}

impl<M> Fit<M> {
    /// What a model file stores of the fit (its `metrics`, as `spinfer fit` writes them):
    /// how it ended, at the saved parameters; `precision` names the scalar type.
    pub fn metrics(&self, precision: &str) -> serde_json::Value {
        let s = &self.summary;
        serde_json::json!({
            "solver": self.solver.name(),
            "iterations": self.history.records.len().saturating_sub(1),
            "outcome": format!("{:?}", self.outcome),
            "converged": s.converged,
            "objective": s.objective.name(),
            s.objective.key(): s.value,
            "max_gradient": s.max_gradient,
            "seconds": self.history.last().map(|r| r.seconds + self.timings.start),
            "start_seconds": self.timings.start,
            "timings": self.timings,
            "centred": self.centred,
            "rejected_start": self.rejected_start,
            "precision": precision,
            "constant_cells": self.constant_cells,
            "chains": self.chains,
            "chains_certified": self.chains.is_none_or(|c| c.is_trustworthy()),
            "faithfulness": self.faithfulness,
            "connected_pearson": self.history.last().and_then(|r| r.connected_pearson),
        })
    }
}

/// Checkpoints, resumption and divergence handling for a fit.
pub struct FitControl<'a, M> {
    /// A state written by an earlier checkpoint of the same fit: continue from it.
    pub resume: Option<serde_json::Value>,
    /// Hand the state to `checkpoint` every this many iterations (0: only at the end).
    pub checkpoint_every: usize,
    /// Receives states (as JSON) to store.
    pub checkpoint: Option<&'a mut dyn FnMut(serde_json::Value) -> Result<()>>,
    /// Filled with the last model whose evaluation was finite when the run stops on
    /// non-finite values.
    pub last_finite: Option<M>,
}

impl<M> Default for FitControl<'_, M> {
    fn default() -> Self {
        FitControl {
            resume: None,
            checkpoint_every: 0,
            checkpoint: None,
            last_finite: None,
        }
    }
}

/// What a checkpoint holds: which solver wrote it and the executor's state.
#[derive(Serialize, Deserialize)]
#[serde(bound(
    serialize = "P: Serialize, S: Serialize",
    deserialize = "P: DeserializeOwned, S: DeserializeOwned"
))]
struct Saved<P, S> {
    solver: String,
    state: LearnerState<P, S>,
}

/// Regularised data statistics ⟨φ⟩' = (1 − α) ⟨φ⟩_data with the pseudocount α = 1/(M + 1),
/// i.e. the data mixed with a small weight of uniformly random spins (whose ±1 statistics
/// average to 0). Applied only when some cell is constant: its maximum-likelihood field is
/// then ±∞, and the mixture keeps it finite (≈ ±½ log(2M)) at a bias of order 1/M elsewhere.
pub(crate) fn regularised(
    mut stats: DVector<f64>,
    observations: usize,
    constant: bool,
) -> DVector<f64> {
    if constant {
        stats *= 1.0 - 1.0 / (observations as f64 + 1.0);
    }
    stats
}

/// Runs `solver` on `problem` with the fit's checkpoints and resumption. Returns the learner
/// (whatever happened, so the caller can keep its last finite model) and the outcome.
pub(crate) fn drive<P, S>(
    problem: P,
    solver: S,
    learn: &LearnSettings,
    observer: &mut dyn Observer<P::Scalar>,
    resume: Option<serde_json::Value>,
    every: usize,
    sink: Option<&mut (dyn FnMut(serde_json::Value) -> Result<()> + '_)>,
) -> Result<(Learner<P, S>, Result<Outcome>)>
where
    P: Problem,
    S: Solver<P>,
{
    let mut learner = Learner::new(problem, solver)?;
    let name = learner.solver().name();
    if let Some(state) = resume {
        let saved: Saved<P::State, S::State> = serde_json::from_value(state).map_err(|e| {
            Error::Shape(format!(
                "the checkpoint does not fit this model and solver: {e}"
            ))
        })?;
        if saved.solver != name {
            return Err(Error::Shape(format!(
                "the checkpoint was written by the {} solver, this fit uses {name}",
                saved.solver
            )));
        }
        learner.load(saved.state)?;
    }
    let mut sink = sink;
    let mut store = |state: &LearnerState<P::State, S::State>| -> Result<()> {
        match &mut sink {
            Some(f) => {
                let value = serde_json::to_value(Saved {
                    solver: name.to_string(),
                    state: state.clone(),
                })
                .map_err(|e| Error::Shape(format!("the fit's state cannot be saved: {e}")))?;
                f(value)
            }
            None => Ok(()),
        }
    };
    let outcome = learner.run_with_checkpoints(learn, observer, every, &mut store);
    Ok((learner, outcome))
}
