//! A sampler chosen at run time (by the command line or a settings file).

use serde::{Deserialize, Serialize};

use super::{
    ChainDiagnostics, ChainsState, ExactSampler, Gibbs, McmcSettings, Metropolis, ModelAverages,
    Sampler,
};
use crate::{model::FlipEnergy, Error, Real, Result, Statistics};

/// How the equilibrium model side is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SamplerKind {
    /// Metropolis chains.
    Metropolis,
    /// Heat-bath chains.
    Gibbs,
    /// Exact enumeration (N ≤ 20).
    Exact,
}

/// One of the crate's equilibrium samplers, like [`crate::optim::AnyOptimizer`] for
/// optimisers: code that picks the sampler at run time holds one type.
///
/// ```
/// use spinfer::prelude::*;
///
/// let mut sampler = AnySampler::new(SamplerKind::Exact, &McmcSettings::default()).unwrap();
/// let model = Ising::<f64>::zeros(3);
/// let averages = sampler.averages(&model, &PairStatistics::new(3)).unwrap();
/// assert!(Sampler::<f64, Ising<f64>>::is_exact(&sampler));
/// assert_eq!(averages.stats.len(), 6);
/// ```
#[derive(Clone, Debug)]
pub enum AnySampler {
    /// Metropolis chains.
    Metropolis(Metropolis),
    /// Heat-bath chains.
    Gibbs(Gibbs),
    /// Exact enumeration.
    Exact(ExactSampler),
}

/// The state of an [`AnySampler`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AnySamplerState {
    /// Chains and generators of a Monte Carlo sampler.
    Chains(ChainsState),
    /// Exact enumeration keeps nothing.
    Exact,
}

impl AnySampler {
    /// The sampler of that kind (chains built from `mcmc`, validated).
    pub fn new(kind: SamplerKind, mcmc: &McmcSettings) -> Result<Self> {
        Ok(match kind {
            SamplerKind::Metropolis => AnySampler::Metropolis(Metropolis::new(mcmc.clone())?),
            SamplerKind::Gibbs => AnySampler::Gibbs(Gibbs::new(mcmc.clone())?),
            SamplerKind::Exact => AnySampler::Exact(ExactSampler),
        })
    }

    /// Which sampler this is.
    pub fn kind(&self) -> SamplerKind {
        match self {
            AnySampler::Metropolis(_) => SamplerKind::Metropolis,
            AnySampler::Gibbs(_) => SamplerKind::Gibbs,
            AnySampler::Exact(_) => SamplerKind::Exact,
        }
    }

    /// Starts the chains from data samples (see [`crate::sample::Mcmc::start_from`]); exact
    /// enumeration has no chains.
    pub fn start_from(&mut self, data: &crate::Raster) {
        match self {
            AnySampler::Metropolis(c) => c.start_from(data),
            AnySampler::Gibbs(c) => c.start_from(data),
            AnySampler::Exact(_) => {}
        }
    }
}

impl<T: Real, M: FlipEnergy<T>> Sampler<T, M> for AnySampler {
    type State = AnySamplerState;

    fn averages(&mut self, model: &M, stats: &dyn Statistics) -> Result<ModelAverages> {
        match self {
            AnySampler::Metropolis(s) => Sampler::<T, M>::averages(s, model, stats),
            AnySampler::Gibbs(s) => Sampler::<T, M>::averages(s, model, stats),
            AnySampler::Exact(s) => Sampler::<T, M>::averages(s, model, stats),
        }
    }

    fn is_exact(&self) -> bool {
        matches!(self, AnySampler::Exact(_))
    }

    fn state(&self) -> AnySamplerState {
        match self {
            AnySampler::Metropolis(s) => AnySamplerState::Chains(Sampler::<T, M>::state(s)),
            AnySampler::Gibbs(s) => AnySamplerState::Chains(Sampler::<T, M>::state(s)),
            AnySampler::Exact(_) => AnySamplerState::Exact,
        }
    }

    fn restore(&mut self, state: AnySamplerState) -> Result<()> {
        match (self, state) {
            (AnySampler::Metropolis(s), AnySamplerState::Chains(c)) => {
                Sampler::<T, M>::restore(s, c)
            }
            (AnySampler::Gibbs(s), AnySamplerState::Chains(c)) => Sampler::<T, M>::restore(s, c),
            (AnySampler::Exact(_), AnySamplerState::Exact) => Ok(()),
            _ => Err(Error::Shape(
                "the saved sampler state belongs to another sampler".into(),
            )),
        }
    }

    fn diagnostics(&self) -> Option<ChainDiagnostics> {
        match self {
            AnySampler::Metropolis(s) => Sampler::<T, M>::diagnostics(s),
            AnySampler::Gibbs(s) => Sampler::<T, M>::diagnostics(s),
            AnySampler::Exact(_) => None,
        }
    }

    fn samples(&self) -> Option<usize> {
        match self {
            AnySampler::Metropolis(s) => Sampler::<T, M>::samples(s),
            AnySampler::Gibbs(s) => Sampler::<T, M>::samples(s),
            AnySampler::Exact(_) => None,
        }
    }

    fn set_samples(&mut self, samples: usize) -> Result<()> {
        match self {
            AnySampler::Metropolis(s) => Sampler::<T, M>::set_samples(s, samples),
            AnySampler::Gibbs(s) => Sampler::<T, M>::set_samples(s, samples),
            AnySampler::Exact(_) => Ok(()),
        }
    }
}
