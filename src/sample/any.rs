//! A sampler chosen at run time (by the command line or a settings file).

use serde::{Deserialize, Serialize};

use super::{
    ChainDiagnostics, ChainsState, ExactSampler, Gibbs, McmcSettings, Metropolis, ModelAverages,
    ReplicaExchange, Sampler, TemperingSettings, TemperingState,
};
use crate::{model::FlipEnergy, Error, Real, Result, Statistics};

/// How the equilibrium model side is computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum SamplerKind {
    /// Metropolis chains while their diagnostics certify them, replica exchange from the
    /// first call where they do not.
    ///
    /// See [`AutoSampler`].
    #[default]
    Auto,
    /// Metropolis chains.
    Metropolis,
    /// Heat-bath chains.
    Gibbs,
    /// Replica exchange (parallel tempering) of Metropolis chains.
    Tempering,
    /// Exact enumeration (N ≤ 20).
    Exact,
}

/// Metropolis chains that hand over to replica exchange for good once the diagnostics
/// ([`ChainDiagnostics::is_trustworthy`]) of [`AutoSampler::PATIENCE`] calls in a row
/// fail: single-site chains are several times cheaper per sample and mix well on weakly
/// coupled data, but sit in one mode of a model with collective states and then teach
/// learning a wrong gradient while looking converged. One failed call is not enough:
/// persistent chains lag behind the large early steps of learning and then fail R̂ for a
/// call or two on data they sample well. The call that completes the failures is drawn
/// again by replica exchange, so every gradient after the hand-over comes from mixed
/// chains.
#[derive(Clone, Debug)]
pub struct AutoSampler {
    chains: Metropolis,
    tempering: Option<ReplicaExchange>,
    tempering_settings: TemperingSettings,
    failures: usize,
}

/// The state of an [`AutoSampler`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutoState {
    /// The single-site chains.
    pub chains: ChainsState,
    /// The replica-exchange ladder once handed over.
    pub tempering: Option<TemperingState>,
    /// Calls in a row whose chains failed their diagnostics.
    #[serde(default)]
    pub failures: usize,
}

impl AutoSampler {
    /// Calls in a row with failed diagnostics before the hand-over.
    pub const PATIENCE: usize = 3;

    /// Chains from `mcmc`, and replica exchange with the same samples, runs and seed.
    pub fn new(mcmc: &McmcSettings) -> Result<Self> {
        let tempering_settings = TemperingSettings::from_mcmc(mcmc);
        tempering_settings.check()?;
        Ok(AutoSampler {
            chains: Metropolis::new(mcmc.clone())?,
            tempering: None,
            tempering_settings,
            failures: 0,
        })
    }

    /// Whether the sampler has handed over to replica exchange.
    pub fn is_tempering(&self) -> bool {
        self.tempering.is_some()
    }
}

impl<T: Real, M: FlipEnergy<T>> Sampler<T, M> for AutoSampler {
    type State = AutoState;

    fn averages(&mut self, model: &M, stats: &dyn Statistics) -> Result<ModelAverages> {
        if self.tempering.is_none() {
            let averages = Sampler::<T, M>::averages(&mut self.chains, model, stats)?;
            if Sampler::<T, M>::diagnostics(&self.chains).is_none_or(|d| d.is_trustworthy()) {
                self.failures = 0;
                return Ok(averages);
            }
            self.failures += 1;
            if self.failures < Self::PATIENCE {
                return Ok(averages);
            }
            let samples = Sampler::<T, M>::samples(&self.chains).unwrap_or(1);
            let mut pt = ReplicaExchange::new(self.tempering_settings.clone())?;
            Sampler::<T, M>::set_samples(&mut pt, samples)?;
            self.tempering = Some(pt);
        }
        let pt = self.tempering.as_mut().expect("handed over above");
        Sampler::<T, M>::averages(pt, model, stats)
    }

    fn is_exact(&self) -> bool {
        false
    }

    fn state(&self) -> AutoState {
        AutoState {
            chains: Sampler::<T, M>::state(&self.chains),
            tempering: self.tempering.as_ref().map(|t| Sampler::<T, M>::state(t)),
            failures: self.failures,
        }
    }

    fn restore(&mut self, state: AutoState) -> Result<()> {
        Sampler::<T, M>::restore(&mut self.chains, state.chains)?;
        self.failures = state.failures;
        self.tempering = match state.tempering {
            None => None,
            Some(t) => {
                let mut pt = ReplicaExchange::new(self.tempering_settings.clone())?;
                Sampler::<T, M>::restore(&mut pt, t)?;
                Some(pt)
            }
        };
        Ok(())
    }

    fn diagnostics(&self) -> Option<ChainDiagnostics> {
        match &self.tempering {
            Some(t) => Sampler::<T, M>::diagnostics(t),
            None => Sampler::<T, M>::diagnostics(&self.chains),
        }
    }

    fn samples(&self) -> Option<usize> {
        match &self.tempering {
            Some(t) => Sampler::<T, M>::samples(t),
            None => Sampler::<T, M>::samples(&self.chains),
        }
    }

    fn set_samples(&mut self, samples: usize) -> Result<()> {
        Sampler::<T, M>::set_samples(&mut self.chains, samples)?;
        if let Some(t) = &mut self.tempering {
            Sampler::<T, M>::set_samples(t, samples)?;
        }
        Ok(())
    }
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
    /// Replica exchange (boxed: a ladder is much larger than the other samplers).
    Tempering(Box<ReplicaExchange>),
    /// Metropolis, then replica exchange when the chains do not mix.
    Auto(Box<AutoSampler>),
    /// Exact enumeration.
    Exact(ExactSampler),
}

/// The state of an [`AnySampler`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AnySamplerState {
    /// Chains and generators of a Monte Carlo sampler.
    Chains(ChainsState),
    /// A replica-exchange ladder.
    Tempering(TemperingState),
    /// Chains, and the ladder once handed over.
    Auto(AutoState),
    /// Exact enumeration keeps nothing.
    Exact,
}

impl AnySampler {
    /// The sampler of that kind (chains built from `mcmc`, validated).
    pub fn new(kind: SamplerKind, mcmc: &McmcSettings) -> Result<Self> {
        Ok(match kind {
            SamplerKind::Metropolis => AnySampler::Metropolis(Metropolis::new(mcmc.clone())?),
            SamplerKind::Gibbs => AnySampler::Gibbs(Gibbs::new(mcmc.clone())?),
            SamplerKind::Tempering => AnySampler::Tempering(Box::new(ReplicaExchange::new(
                TemperingSettings::from_mcmc(mcmc),
            )?)),
            SamplerKind::Auto => AnySampler::Auto(Box::new(AutoSampler::new(mcmc)?)),
            SamplerKind::Exact => AnySampler::Exact(ExactSampler),
        })
    }

    /// Which sampler this is.
    pub fn kind(&self) -> SamplerKind {
        match self {
            AnySampler::Metropolis(_) => SamplerKind::Metropolis,
            AnySampler::Gibbs(_) => SamplerKind::Gibbs,
            AnySampler::Tempering(_) => SamplerKind::Tempering,
            AnySampler::Auto(_) => SamplerKind::Auto,
            AnySampler::Exact(_) => SamplerKind::Exact,
        }
    }

    /// Whether the model side now comes from replica exchange (chosen, or handed over to by
    /// [`SamplerKind::Auto`]).
    pub fn is_tempering(&self) -> bool {
        match self {
            AnySampler::Tempering(_) => true,
            AnySampler::Auto(a) => a.is_tempering(),
            _ => false,
        }
    }

    /// Starts the chains from data samples (see [`crate::sample::Mcmc::start_from`]); exact
    /// enumeration has no chains.
    pub fn start_from(&mut self, data: &crate::Raster) {
        match self {
            AnySampler::Metropolis(c) => c.start_from(data),
            AnySampler::Gibbs(c) => c.start_from(data),
            AnySampler::Auto(a) => a.chains.start_from(data),
            AnySampler::Tempering(_) | AnySampler::Exact(_) => {}
        }
    }
}

impl<T: Real, M: FlipEnergy<T>> Sampler<T, M> for AnySampler {
    type State = AnySamplerState;

    fn averages(&mut self, model: &M, stats: &dyn Statistics) -> Result<ModelAverages> {
        match self {
            AnySampler::Metropolis(s) => Sampler::<T, M>::averages(s, model, stats),
            AnySampler::Gibbs(s) => Sampler::<T, M>::averages(s, model, stats),
            AnySampler::Tempering(s) => Sampler::<T, M>::averages(&mut **s, model, stats),
            AnySampler::Auto(s) => Sampler::<T, M>::averages(&mut **s, model, stats),
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
            AnySampler::Tempering(s) => AnySamplerState::Tempering(Sampler::<T, M>::state(&**s)),
            AnySampler::Auto(s) => AnySamplerState::Auto(Sampler::<T, M>::state(&**s)),
            AnySampler::Exact(_) => AnySamplerState::Exact,
        }
    }

    fn restore(&mut self, state: AnySamplerState) -> Result<()> {
        match (self, state) {
            (AnySampler::Metropolis(s), AnySamplerState::Chains(c)) => {
                Sampler::<T, M>::restore(s, c)
            }
            (AnySampler::Gibbs(s), AnySamplerState::Chains(c)) => Sampler::<T, M>::restore(s, c),
            (AnySampler::Tempering(s), AnySamplerState::Tempering(c)) => {
                Sampler::<T, M>::restore(&mut **s, c)
            }
            (AnySampler::Auto(s), AnySamplerState::Auto(c)) => {
                Sampler::<T, M>::restore(&mut **s, c)
            }
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
            AnySampler::Tempering(s) => Sampler::<T, M>::diagnostics(&**s),
            AnySampler::Auto(s) => Sampler::<T, M>::diagnostics(&**s),
            AnySampler::Exact(_) => None,
        }
    }

    fn samples(&self) -> Option<usize> {
        match self {
            AnySampler::Metropolis(s) => Sampler::<T, M>::samples(s),
            AnySampler::Gibbs(s) => Sampler::<T, M>::samples(s),
            AnySampler::Tempering(s) => Sampler::<T, M>::samples(&**s),
            AnySampler::Auto(s) => Sampler::<T, M>::samples(&**s),
            AnySampler::Exact(_) => None,
        }
    }

    fn set_samples(&mut self, samples: usize) -> Result<()> {
        match self {
            AnySampler::Metropolis(s) => Sampler::<T, M>::set_samples(s, samples),
            AnySampler::Gibbs(s) => Sampler::<T, M>::set_samples(s, samples),
            AnySampler::Tempering(s) => Sampler::<T, M>::set_samples(&mut **s, samples),
            AnySampler::Auto(s) => Sampler::<T, M>::set_samples(&mut **s, samples),
            AnySampler::Exact(_) => Ok(()),
        }
    }
}
