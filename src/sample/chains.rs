//! Single-spin-flip Markov chains (Metropolis or heat bath), run in parallel and persistent
//! across learning iterations.

use std::marker::PhantomData;

use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    lanes::{run_group, LANES},
    ChainDiagnostics, ModelAverages, Sampler,
};
use crate::{
    kernels::fastmath::tanh_half_into,
    model::{flip, FlipEnergy},
    raster::{Raster, Spin},
    Error, Real, Result, Statistics,
};

/// The acceptance rule of a single-spin-flip chain.
pub trait UpdateRule: Copy + Default + Send + Sync + 'static {
    /// Name in settings and messages.
    const NAME: &'static str;
    /// Whether to flip a spin whose flip changes the energy by `delta`.
    fn accept<T: Real, R: Rng>(delta: T, rng: &mut R) -> bool;
    /// For the vectorised kernel of pairwise models (`sample::lanes`): the threshold t(u)
    /// of a uniform variate u ∈ (0, 1] such that flipping when ΔE ≤ t(u) has the rule's
    /// acceptance probability. The thresholds of a whole sweep are computed before it, so
    /// the test at each site is one comparison. The kernel works in f32: u is a multiple of
    /// 2⁻²⁴ (so t(u) ≤ 24 ln 2 ≈ 16.6 for Metropolis, an acceptance probability off by at
    /// most e^−16.6 ≈ 6e-8) and t(u) is within a few units in the last place of f32.
    fn threshold<const FMA: bool>(u: f32) -> f32;
}

/// Settings of a set of chains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
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
    /// Estimate the averages from the conditional means c_i = E[s_i | s_∖i] of every
    /// recorded sample instead of the spins themselves, where the statistics support it
    /// ([`Statistics::average_conditional`]): unbiased, with a smaller variance.
    #[serde(default)]
    pub rao_blackwell: bool,
    /// Persistent chains: at every call, restart one chain (in turn) from a random
    /// configuration with `burn_in` sweeps. Persistent chains that all sit in one basin of
    /// a model with several never tell learning about the others; restarted chains fall
    /// into every basin with its weight from random states, as fresh samples do.
    #[serde(default)]
    pub restarts: bool,
}

/// Refuses sweep counts that would run for hours or forever rather than fail: between 1 and
/// [`McmcSettings::MAX_SWEEPS`] sweeps between samples, at most
/// [`McmcSettings::MAX_BURN_IN`] burn-in sweeps.
pub(crate) fn check_sweeps(sweeps: usize, burn_in: usize) -> Result<()> {
    if sweeps == 0 || sweeps > McmcSettings::MAX_SWEEPS {
        return Err(Error::setting(
            "sweeps",
            sweeps,
            format!("between 1 and {}", McmcSettings::MAX_SWEEPS),
        ));
    }
    if burn_in > McmcSettings::MAX_BURN_IN {
        return Err(Error::setting(
            "burn-in",
            burn_in,
            format!("at most {}", McmcSettings::MAX_BURN_IN),
        ));
    }
    Ok(())
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
            rao_blackwell: false,
            restarts: false,
        }
    }
}

impl McmcSettings {
    /// Largest number of samples per call: 2^30 samples of even one spin take 128 MB of bits.
    pub const MAX_SAMPLES: usize = 1 << 30;
    /// Largest number of sweeps between two samples.
    pub const MAX_SWEEPS: usize = 1_000_000;
    /// Largest number of burn-in sweeps (or Glauber steps).
    pub const MAX_BURN_IN: usize = 100_000_000;

    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        if self.samples == 0 || self.samples > Self::MAX_SAMPLES {
            return Err(Error::setting(
                "samples",
                self.samples,
                format!("between 1 and {}", Self::MAX_SAMPLES),
            ));
        }
        if self.chains == 0 || self.chains > 4096 {
            return Err(Error::setting("chains", self.chains, "between 1 and 4096"));
        }
        check_sweeps(self.sweeps, self.burn_in)
    }

    /// These settings with `samples` samples per call.
    pub fn with_samples(mut self, samples: usize) -> Self {
        self.samples = samples;
        self
    }

    /// These settings with `chains` independent chains.
    pub fn with_chains(mut self, chains: usize) -> Self {
        self.chains = chains;
        self
    }

    /// These settings with `burn_in` sweeps before the first sample.
    pub fn with_burn_in(mut self, burn_in: usize) -> Self {
        self.burn_in = burn_in;
        self
    }

    /// These settings with `sweeps` sweeps between samples.
    pub fn with_sweeps(mut self, sweeps: usize) -> Self {
        self.sweeps = sweeps;
        self
    }

    /// These settings with persistent (or restarted) chains.
    pub fn with_persistent(mut self, persistent: bool) -> Self {
        self.persistent = persistent;
        self
    }

    /// These settings with seed `seed`.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// These settings with (or without) the Rao–Blackwellised estimator.
    pub fn with_rao_blackwell(mut self, on: bool) -> Self {
        self.rao_blackwell = on;
        self
    }

    /// These settings with (or without) a restart of one chain per call.
    pub fn with_restarts(mut self, on: bool) -> Self {
        self.restarts = on;
        self
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
    /// Whether the chain was restarted (then its burn-in is [`RESTART_BURN_IN`] sweeps).
    #[serde(default)]
    pub restarted: bool,
}

/// Sweeps after a restart ([`McmcSettings::restarts`]): enough to fall into a basin from a
/// random state, short enough to cost a few percent of an iteration.
pub const RESTART_BURN_IN: usize = 50;

/// What one chain returns from a call: its samples and, for the Rao–Blackwellised estimator,
/// the conditional mean of every spin in every sample.
pub(super) struct ChainRun {
    pub(super) samples: Raster,
    pub(super) conditional: Option<DMatrix<f32>>,
}

impl Chain {
    pub(super) fn randomize(&mut self, n: usize) {
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
        self.restarted = false;
    }

    /// The burn-in this chain still needs.
    pub(super) fn burn_in(&self, settings: &McmcSettings) -> usize {
        match (self.burned_in, self.restarted) {
            (true, _) => 0,
            (false, true) => RESTART_BURN_IN.min(settings.burn_in),
            (false, false) => settings.burn_in,
        }
    }

    fn run<T: Real, M: FlipEnergy<T>, U: UpdateRule>(
        &mut self,
        model: &M,
        samples: usize,
        settings: &McmcSettings,
    ) -> ChainRun {
        let n = model.n_spins();
        if self.spins.len() != n || !settings.persistent {
            self.randomize(n);
        }
        let mut local = model.local(&self.spins);
        let burn_in = self.burn_in(settings);
        if burn_in > 0 {
            sweeps::<T, M, U>(model, &mut self.spins, &mut local, &mut self.rng, burn_in);
        }
        self.burned_in = true;
        let mut out = Raster::zeros(n, samples);
        let mut conditional = settings
            .rao_blackwell
            .then(|| DMatrix::<f32>::zeros(n, samples));
        let mut deltas = vec![0.0f64; if settings.rao_blackwell { n } else { 0 }];
        for t in 0..samples {
            sweeps::<T, M, U>(
                model,
                &mut self.spins,
                &mut local,
                &mut self.rng,
                settings.sweeps,
            );
            out.set_column(t, &self.spins);
            if let Some(c) = &mut conditional {
                // E[s_i | s_∖i] = tanh((E(s_i = −1) − E(s_i = +1)) / 2) = tanh(s_i ΔE_i / 2).
                for (i, d) in deltas.iter_mut().enumerate() {
                    *d = self.spins[i] as f64 * model.flip_delta(&self.spins, &local, i).as_f64();
                }
                tanh_half_into(&deltas, c.column_mut(t).as_mut_slice());
            }
        }
        ChainRun {
            samples: out,
            conditional,
        }
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
                flip(model, spins, local, i);
            }
        }
    }
    *rng = gen;
}

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
    fn run_all<T: Real, M: FlipEnergy<T>>(&mut self, model: &M) -> Vec<ChainRun> {
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
                    run_group::<T, U>(group, pairwise, shares, settings)
                })
                .collect(),
            None => self
                .chains
                .par_iter_mut()
                .zip(shares)
                .map(|(chain, m)| chain.run::<T, M, U>(model, m, settings))
                .collect(),
        }
    }

    /// Draws `settings.samples` samples from the model, split evenly over the chains.
    pub fn sample<T: Real, M: FlipEnergy<T>>(&mut self, model: &M) -> Raster {
        let runs = self.run_all(model);
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
        let runs = self.run_all(model);
        let per_chain: Vec<DVector<f64>> = runs
            .par_iter()
            .map(|run| {
                run.conditional
                    .as_ref()
                    .and_then(|c| stats.average_conditional(&run.samples, c))
                    .unwrap_or_else(|| stats.average(&run.samples))
            })
            .collect();
        let weights: Vec<f64> = runs.iter().map(|r| r.samples.n_samples() as f64).collect();
        let (stats, std_error) = pool(&per_chain, &weights);
        let parts: Vec<Raster> = runs.into_iter().map(|r| r.samples).collect();
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
