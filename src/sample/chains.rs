//! Single-spin-flip Markov chains (Metropolis or heat bath), run in parallel and persistent
//! across learning iterations.

use std::marker::PhantomData;

use nalgebra::DVector;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    chain::{Chain, ChainRun, McmcSettings, UpdateRule},
    lanes::{run_group, LANES},
    ChainDiagnostics, ModelAverages, Sampler,
};
use crate::{model::FlipEnergy, raster::Raster, Error, Real, Result, Statistics};

/// The state of a set of chains that a checkpoint keeps: every chain's configuration and
/// generator, and the samples drawn per call (which a solver may have raised).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainsState {
    /// The chains, in order.
    pub chains: Vec<Chain>,
    /// Samples per call.
    pub samples: usize,
    /// Calls made (which chain restarts next, with [`McmcSettings::restarts`]).
    #[serde(default)]
    pub calls: u64,
}

/// A set of independent single-spin-flip chains with update rule `U`.
///
/// Chain c draws from its own xoshiro256++ stream (the seed's stream jumped c times), and
/// chain outputs are concatenated in chain order, so a seed gives the same samples whatever
/// the number of threads.
///
/// ```
/// use spinfer::prelude::*;
///
/// let model = Ising::<f64>::zeros(4);
/// let mut chains = Metropolis::new(McmcSettings::default().with_samples(1000)).unwrap();
/// let samples = chains.sample(&model);
/// assert_eq!((samples.n_spins(), samples.n_samples()), (4, 1000));
/// ```
#[derive(Clone, Debug)]
pub struct Mcmc<U: UpdateRule> {
    settings: McmcSettings,
    chains: Vec<Chain>,
    last: Option<Raster>,
    calls: u64,
    rule: PhantomData<U>,
}

impl<U: UpdateRule> Mcmc<U> {
    /// Chains with the given settings (validated).
    pub fn new(settings: McmcSettings) -> Result<Self> {
        settings.check()?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(settings.seed);
        let chains = (0..settings.chains)
            .map(|_| {
                let chain = Chain {
                    spins: Vec::new(),
                    rng: rng.clone(),
                    burned_in: false,
                    restarted: false,
                };
                rng.jump();
                chain
            })
            .collect();
        Ok(Mcmc {
            settings,
            chains,
            last: None,
            calls: 0,
            rule: PhantomData,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &McmcSettings {
        &self.settings
    }

    /// The chains (for checkpoints).
    pub fn chains(&self) -> &[Chain] {
        &self.chains
    }

    /// Starts chain c from sample ⌊c M / C⌋ of `data` (then burns in as usual), instead of a
    /// uniformly random configuration, as persistent contrastive divergence does. Beware: a
    /// bistable model can then look right from chains that never leave the data's
    /// metastable state.
    pub fn start_from(&mut self, data: &Raster) {
        let (m, c) = (data.n_samples(), self.chains.len());
        if m == 0 {
            return;
        }
        for (k, chain) in self.chains.iter_mut().enumerate() {
            chain.spins = data.column(k * m / c);
            chain.burned_in = false;
        }
    }

    /// Samples of chain k among `total`: the split is even, the first chains taking one more.
    fn share(&self, k: usize, total: usize) -> usize {
        let c = self.chains.len();
        total / c + usize::from(k < total % c)
    }

    /// Every chain's run: groups of [`LANES`] chains through the vectorised kernel for
    /// pairwise models, one chain at a time otherwise; groups or chains in parallel.
    fn run_all<T: Real, M: FlipEnergy<T>>(
        &mut self,
        model: &M,
        rao_blackwell: Option<&dyn Statistics>,
    ) -> Vec<ChainRun> {
        if self.settings.restarts && self.settings.persistent && !self.chains.is_empty() {
            let k = (self.calls % self.chains.len() as u64) as usize;
            let chain = &mut self.chains[k];
            if chain.spins.len() == model.n_spins() {
                chain.randomize(model.n_spins());
                chain.restarted = true;
            }
        }
        self.calls += 1;
        let total = self.settings.samples;
        let shares: Vec<usize> = (0..self.chains.len())
            .map(|k| self.share(k, total))
            .collect();
        let settings = &self.settings;
        match model.pairwise() {
            Some(pairwise) => self
                .chains
                .par_chunks_mut(LANES)
                .zip(shares.par_chunks(LANES))
                .flat_map_iter(|(group, shares)| {
                    run_group::<T, U>(group, pairwise, shares, settings, rao_blackwell)
                })
                .collect(),
            None => self
                .chains
                .par_iter_mut()
                .zip(shares)
                .map(|(chain, m)| chain.run::<T, M, U>(model, m, settings, rao_blackwell))
                .collect(),
        }
    }

    /// Draws `settings.samples` samples from the model, split evenly over the chains.
    pub fn sample<T: Real, M: FlipEnergy<T>>(&mut self, model: &M) -> Raster {
        let runs = self.run_all(model, None);
        let parts: Vec<Raster> = runs.into_iter().map(|r| r.samples).collect();
        Raster::concat(&parts).expect("all chains have the model's size")
    }

    /// The samples of the last call to [`Sampler::averages`].
    pub fn last_samples(&self) -> Option<&Raster> {
        self.last.as_ref()
    }
}

/// The weighted mean of the chains' own averages and its standard error, the spread of the
/// chain averages over √(chains) (independent chains, so no autocorrelation enters).
pub(super) fn pool(
    averages: &[DVector<f64>],
    weights: &[f64],
) -> (DVector<f64>, Option<DVector<f64>>) {
    let total: f64 = weights.iter().sum();
    let dim = averages.first().map_or(0, |a| a.len());
    let mut mean = DVector::zeros(dim);
    for (a, &w) in averages.iter().zip(weights) {
        mean.axpy(w / total, a, 1.0);
    }
    let c = averages.len();
    if c < 2 {
        return (mean, None);
    }
    let mut var = DVector::zeros(dim);
    for a in averages {
        var.zip_apply(&(a - &mean), |v, d| *v += d * d);
    }
    let scale = 1.0 / ((c - 1) as f64 * c as f64);
    (mean, Some(var.map(|v: f64| (v * scale).sqrt())))
}

impl<T: Real, M: FlipEnergy<T>, U: UpdateRule> Sampler<T, M> for Mcmc<U> {
    type State = ChainsState;

    /// Each chain's samples are averaged on their own (in parallel), then pooled: the spread
    /// of the chain averages gives the standard errors.
    fn averages(&mut self, model: &M, stats: &dyn Statistics) -> Result<ModelAverages> {
        let samples = self.settings.samples;
        crate::raster::check_request("samples", samples, model.n_spins(), samples)?;
        let runs = self.run_all(model, self.settings.rao_blackwell.then_some(stats));
        let weights: Vec<f64> = runs.iter().map(|r| r.samples.n_samples() as f64).collect();
        let (parts, per_chain): (Vec<Raster>, Vec<DVector<f64>>) = runs
            .into_par_iter()
            .map(|run| {
                let average = match run.conditional {
                    Some(a) => a,
                    None => stats.average(&run.samples),
                };
                (run.samples, average)
            })
            .unzip();
        let (stats, std_error) = pool(&per_chain, &weights);
        self.last = Some(Raster::concat(&parts)?);
        Ok(ModelAverages {
            stats,
            log_partition: None,
            std_error,
        })
    }

    fn is_exact(&self) -> bool {
        false
    }

    fn state(&self) -> ChainsState {
        ChainsState {
            chains: self.chains.clone(),
            samples: self.settings.samples,
            calls: self.calls,
        }
    }

    /// Refuses a state with another number of chains, or a generator whose state is all
    /// zeros (xoshiro would then produce zeros forever: such a state never comes from a
    /// seed, only from a damaged file).
    fn restore(&mut self, state: ChainsState) -> Result<()> {
        if state.chains.len() != self.settings.chains {
            return Err(Error::Shape(format!(
                "the saved state has {} chains, the settings ask for {}",
                state.chains.len(),
                self.settings.chains
            )));
        }
        for (k, chain) in state.chains.iter().enumerate() {
            let mut probe = chain.rng.clone();
            if (0..4).all(|_| probe.next_u64() == 0) {
                return Err(Error::Shape(format!(
                    "the saved generator of chain {k} is all zeros"
                )));
            }
            if chain.spins.iter().any(|&s| s != 1 && s != -1) {
                return Err(Error::Shape(format!(
                    "the saved configuration of chain {k} holds a spin other than ±1"
                )));
            }
        }
        self.chains = state.chains;
        self.calls = state.calls;
        self.set_samples_checked(state.samples)
    }

    fn diagnostics(&self) -> Option<ChainDiagnostics> {
        self.last
            .as_ref()
            .and_then(|s| ChainDiagnostics::of(s, self.chains.len()))
    }

    fn samples(&self) -> Option<usize> {
        Some(self.settings.samples)
    }

    fn set_samples(&mut self, samples: usize) -> Result<()> {
        self.set_samples_checked(samples)
    }
}

impl<U: UpdateRule> Mcmc<U> {
    fn set_samples_checked(&mut self, samples: usize) -> Result<()> {
        let settings = self.settings.clone().with_samples(samples);
        settings.check()?;
        self.settings = settings;
        Ok(())
    }
}
