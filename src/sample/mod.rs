//! Samplers: the model side ⟨φ⟩_θ of the gradient, by Monte Carlo, exact enumeration, or (for
//! the kinetic model) exact conditional expectations on the data.

pub mod ais;
pub mod any;
pub mod chain;
pub mod chains;
pub mod conditional;
pub mod diagnostics;
pub mod draw;
pub mod exact;
mod fold;
pub mod free_runs;
pub mod fresh;
pub mod gibbs;
pub mod glauber;
mod lanes;
pub mod metropolis;
pub mod tempering;

use nalgebra::DVector;
use serde::{de::DeserializeOwned, Serialize};

use crate::{model::Energy, Real, Result, Statistics};

pub use ais::{log_partition, log_partition_of, AisSettings, LogZ};
pub use any::{AnySampler, AnySamplerState, AutoSampler, AutoState, SamplerKind};
pub use chain::{Chain, McmcSettings, UpdateRule, RESTART_BURN_IN};
pub use chains::{ChainsState, Mcmc};
pub use conditional::ConditionalExpectation;
pub use diagnostics::ChainDiagnostics;
pub use draw::{draw, draw_from, DRAW_BURN_IN, DRAW_SWEEPS};
pub use exact::{ExactDistribution, ExactSampler, MAX_EXACT_SPINS};
pub use free_runs::FreeRunActivity;
pub use fresh::{FreshIsing, FreshSamples};
pub use gibbs::HeatBath;
pub use glauber::simulate;
pub use metropolis::MetropolisRule;
pub use tempering::{LevelEnergies, ReplicaExchange, TemperingSettings, TemperingState};

/// Metropolis single-spin-flip chains.
pub type Metropolis = Mcmc<MetropolisRule>;
/// Gibbs (heat-bath) single-spin-flip chains.
///
/// ```
/// use spinfer::prelude::*;
///
/// // Independent spins with h = 0.5: ⟨s⟩ = tanh 0.5, within a few standard errors.
/// let mut model = Ising::<f64>::zeros(2);
/// model.params_mut()[0] = 0.5;
/// let mut gibbs = Gibbs::new(McmcSettings::default().with_samples(40_000)).unwrap();
/// let averages = gibbs.averages(&model, &PairStatistics::new(2)).unwrap();
/// let se = averages.std_error.unwrap()[0];
/// assert!((averages.stats[0] - 0.5f64.tanh()).abs() < 5.0 * se);
/// ```
pub type Gibbs = Mcmc<HeatBath>;

/// The model side of one gradient evaluation.
#[derive(Clone, Debug)]
pub struct ModelAverages {
    /// ⟨φ⟩ under the model at the current parameters.
    pub stats: DVector<f64>,
    /// The log-partition A(θ) when the sampler knows it exactly (enumeration, kinetic model);
    /// then the log-likelihood per observation is θ · φ̄_data − A(θ).
    pub log_partition: Option<f64>,
    /// The standard error of each entry of `stats` (Monte Carlo samplers: the spread of the
    /// independent chains' own averages, divided by √chains); `None` when exact.
    pub std_error: Option<DVector<f64>>,
}

/// Produces ⟨φ⟩_θ for a model of type `M`.
///
/// Implementations keep whatever persists between learning iterations (Monte Carlo chains
/// and their generators) in a typed [`Sampler::State`], so that a checkpoint restores them
/// exactly.
///
/// ```
/// use spinfer::prelude::*;
///
/// let model = Ising::<f64>::zeros(3);
/// let mut exact = ExactSampler;
/// let averages = exact.averages(&model, &PairStatistics::new(3)).unwrap();
/// // Independent unbiased spins: every mean and pair moment is 0, log Z = 3 log 2.
/// assert!(averages.stats.iter().all(|v| v.abs() < 1e-12));
/// assert!((averages.log_partition.unwrap() - 3.0 * 2f64.ln()).abs() < 1e-12);
/// ```
pub trait Sampler<T: Real, M: Energy<T>>: Send {
    /// What carries over between calls (chains and generators); `()` for none.
    type State: Clone + Send + Serialize + DeserializeOwned;

    /// Model averages of the statistics `stats` at the model's current parameters.
    fn averages(&mut self, model: &M, stats: &dyn Statistics) -> Result<ModelAverages>;

    /// Whether the averages (and the log-partition) are exact rather than Monte Carlo
    /// estimates: exact objectives are solved by quasi-Newton, noisy ones by stochastic
    /// steps.
    fn is_exact(&self) -> bool;

    /// The state to save in a checkpoint.
    fn state(&self) -> Self::State;

    /// Restores a state written by [`Sampler::state`].
    fn restore(&mut self, state: Self::State) -> Result<()>;

    /// Equilibration diagnostics of the last call's samples (Monte Carlo samplers).
    fn diagnostics(&self) -> Option<ChainDiagnostics> {
        None
    }

    /// Samples drawn per call, for Monte Carlo samplers.
    fn samples(&self) -> Option<usize> {
        None
    }

    /// Changes the samples drawn per call (Monte Carlo samplers; others ignore it).
    fn set_samples(&mut self, _samples: usize) -> Result<()> {
        Ok(())
    }
}
