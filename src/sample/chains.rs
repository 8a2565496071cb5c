//! Single-spin-flip Markov chains (Metropolis or heat bath), run in parallel and persistent
//! across learning iterations.

use std::marker::PhantomData;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{ModelAverages, Sampler};
use crate::{
    model::FlipEnergy,
    raster::{Raster, Spin},
    Error, Real, Result, Statistics,
};

/// The acceptance rule of a single-spin-flip chain.
pub trait UpdateRule: Copy + Default + Send + Sync + 'static {
    /// Name in settings and messages.
    const NAME: &'static str;
    /// Whether to flip a spin whose flip changes the energy by `delta`.
    fn accept<T: Real, R: Rng>(delta: T, rng: &mut R) -> bool;
}

/// Settings of a set of chains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct McmcSettings {
    /// Samples per call, over all chains.
    pub samples: usize,
    /// Independent chains (run in parallel; results do not depend on the thread count).
    pub chains: usize,
    /// Sweeps (N proposals each) before the first sample of a fresh chain.
    pub burn_in: usize,
    /// Sweeps between two recorded samples.
    pub sweeps: usize,
    /// Keep chain states across calls (persistent chains); otherwise restart and burn in.
    pub persistent: bool,
    /// Seed of the chains' generators.
    pub seed: u64,
}

impl Default for McmcSettings {
    fn default() -> Self {
        McmcSettings {
            samples: 20_000,
            chains: 16,
            burn_in: 500,
            sweeps: 1,
            persistent: true,
            seed: 1,
        }
    }
}

impl McmcSettings {
    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        if self.samples == 0 {
            return Err(Error::setting("samples", self.samples, ">= 1"));
        }
        if self.chains == 0 {
            return Err(Error::setting("chains", self.chains, ">= 1"));
        }
        if self.sweeps == 0 {
            return Err(Error::setting("sweeps", self.sweeps, ">= 1"));
        }
        Ok(())
    }
}

/// One chain: its configuration and its own generator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chain {
    /// Current configuration.
    pub spins: Vec<Spin>,
    /// The chain's generator (xoshiro256++).
    pub rng: Xoshiro256PlusPlus,
    /// Whether the burn-in has been done for the current run.
    pub burned_in: bool,
}

impl Chain {
    fn randomize(&mut self, n: usize) {
        self.spins = (0..n)
            .map(|_| {
                if self.rng.next_u64() >> 63 == 1 {
                    1
                } else {
                    -1
                }
            })
            .collect();
        self.burned_in = false;
    }

    fn run<T: Real, M: FlipEnergy<T>, U: UpdateRule>(
        &mut self,
        model: &M,
        samples: usize,
        settings: &McmcSettings,
    ) -> Raster {
        let n = model.n_spins();
        if self.spins.len() != n || !settings.persistent {
            self.randomize(n);
        }
        let mut local = model.local(&self.spins);
        if !self.burned_in {
            sweeps::<T, M, U>(
                model,
                &mut self.spins,
                &mut local,
                &mut self.rng,
                settings.burn_in,
            );
            self.burned_in = true;
        }
        let mut out = Raster::zeros(n, samples);
        for t in 0..samples {
            sweeps::<T, M, U>(
                model,
                &mut self.spins,
                &mut local,
                &mut self.rng,
                settings.sweeps,
            );
            out.set_column(t, &self.spins);
        }
        out
    }
}

/// `count` sweeps of N proposals at sites 0..N−1 in order (systematic scan).
///
/// Compiled for several instruction sets and chosen at run time (AVX2+FMA where the processor
/// has it), because the accepted-flip update f += 2 s_i J[:, i] is a vector loop: the binary
/// stays portable and still uses the wide registers.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "x86_64+sse4.2"
))]
fn sweeps<T: Real, M: FlipEnergy<T>, U: UpdateRule>(
    model: &M,
    spins: &mut [Spin],
    local: &mut M::Local,
    rng: &mut Xoshiro256PlusPlus,
    count: usize,
) {
    // A local copy lets the generator's state live in registers instead of memory.
    let mut gen = rng.clone();
    for _ in 0..count {
        for i in 0..spins.len() {
            let delta = model.flip_delta(spins, local, i);
            if U::accept(delta, &mut gen) {
                model.flip(spins, local, i);
            }
        }
    }
    *rng = gen;
}

/// A set of independent single-spin-flip chains with update rule `U`.
///
/// Chain c draws from its own xoshiro256++ stream (the seed's stream jumped c times), and
/// chain outputs are concatenated in chain order, so a seed gives the same samples whatever
/// the number of threads.
#[derive(Clone, Debug)]
pub struct Mcmc<U: UpdateRule> {
    settings: McmcSettings,
    chains: Vec<Chain>,
    last: Option<Raster>,
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
                };
                rng.jump();
                chain
            })
            .collect();
        Ok(Mcmc {
            settings,
            chains,
            last: None,
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

    /// Replaces the chains (resuming from a checkpoint).
    pub fn set_chains(&mut self, chains: Vec<Chain>) -> Result<()> {
        if chains.len() != self.settings.chains {
            return Err(Error::Shape(format!(
                "checkpoint has {} chains, settings ask for {}",
                chains.len(),
                self.settings.chains
            )));
        }
        self.chains = chains;
        Ok(())
    }

    /// Starts chain c from sample ⌊c M / C⌋ of `data` (then burns in as usual), instead of a
    /// uniformly random configuration, as persistent contrastive divergence does. Beware: a
    /// bistable model can then look right from chains that never leave the data's
    /// metastable state (see [`crate::fit::IsingFitSettings::chains_from_data`]).
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

    /// Draws `settings.samples` samples from the model, split evenly over the chains.
    pub fn sample<T: Real, M: FlipEnergy<T>>(&mut self, model: &M) -> Raster {
        let (total, c) = (self.settings.samples, self.chains.len());
        let settings = &self.settings;
        let parts: Vec<Raster> = self
            .chains
            .par_iter_mut()
            .enumerate()
            .map(|(k, chain)| {
                let m = total / c + usize::from(k < total % c);
                chain.run::<T, M, U>(model, m, settings)
            })
            .collect();
        Raster::concat(&parts).expect("all chains have the model's size")
    }

    /// The samples of the last call to [`Sampler::averages`].
    pub fn last_samples(&self) -> Option<&Raster> {
        self.last.as_ref()
    }
}

impl<T: Real, M: FlipEnergy<T>, U: UpdateRule> Sampler<T, M> for Mcmc<U> {
    fn averages<S: Statistics<T>>(&mut self, model: &M, stats: &S) -> Result<ModelAverages<T>> {
        let samples = self.sample(model);
        let averages = ModelAverages {
            stats: stats.average(&samples),
            log_partition: None,
        };
        self.last = Some(samples);
        Ok(averages)
    }

    fn save(&self) -> serde_json::Value {
        serde_json::to_value(&self.chains).unwrap_or_default()
    }

    fn diagnostics(&self) -> Option<super::ChainDiagnostics> {
        self.last
            .as_ref()
            .and_then(|s| super::ChainDiagnostics::of(s, self.chains.len()))
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<()> {
        let chains: Vec<Chain> = serde_json::from_value(state.clone())
            .map_err(|e| Error::Shape(format!("checkpoint chains are unreadable: {e}")))?;
        self.set_chains(chains)
    }
}
