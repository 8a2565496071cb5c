//! Samplers: the model side ⟨φ⟩_θ of the gradient, by Monte Carlo, exact enumeration, or (for
//! the kinetic model) exact conditional expectations on the data.

pub mod ais;
pub mod chains;
pub mod conditional;
pub mod diagnostics;
pub mod exact;
pub mod fastmath;
pub mod gibbs;
pub mod glauber;
pub mod metropolis;

use nalgebra::DVector;

use crate::{model::Energy, Real, Result, Statistics};

pub use ais::{log_partition, AisSettings, LogZ};
pub use chains::{Chain, Mcmc, McmcSettings, UpdateRule};
pub use conditional::{ConditionalExpectation, TransitionData};
pub use diagnostics::ChainDiagnostics;
pub use exact::{ExactDistribution, ExactSampler, MAX_EXACT_SPINS};
pub use gibbs::HeatBath;
pub use glauber::simulate;
pub use metropolis::MetropolisRule;

/// Metropolis single-spin-flip chains.
pub type Metropolis = Mcmc<MetropolisRule>;
/// Gibbs (heat-bath) single-spin-flip chains.
pub type Gibbs = Mcmc<HeatBath>;

/// The model side of one gradient evaluation.
#[derive(Clone, Debug)]
pub struct ModelAverages<T: Real> {
    /// ⟨φ⟩ under the model at the current parameters.
    pub stats: DVector<T>,
    /// The log-partition A(θ) when the sampler knows it exactly (enumeration, kinetic model);
    /// then the log-likelihood per observation is θ · φ̄_data − A(θ).
    pub log_partition: Option<f64>,
}

/// Produces ⟨φ⟩_θ for a model of type `M`.
///
/// Implementations keep whatever persists between learning iterations (Monte Carlo chains
/// and their generators), so the same value can be called once per iteration.
pub trait Sampler<T: Real, M: Energy<T>>: Send {
    /// Model averages of the statistics `stats` at the model's current parameters.
    fn averages<S: Statistics<T>>(&mut self, model: &M, stats: &S) -> Result<ModelAverages<T>>;

    /// The state that carries over between calls (chains and generators), for checkpoints.
    /// Stateless samplers keep the default (null).
    fn save(&self) -> serde_json::Value {
        serde_json::Value::Null
    }

    /// Equilibration diagnostics of the last call's samples (Monte Carlo samplers).
    fn diagnostics(&self) -> Option<ChainDiagnostics> {
        None
    }

    /// Restores a state written by [`Sampler::save`].
    fn load(&mut self, _state: &serde_json::Value) -> Result<()> {
        Ok(())
    }
}
