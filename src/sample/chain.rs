//! One single-spin-flip chain and what every chain driver shares: its acceptance rule, the
//! Monte Carlo settings, and a chain's run. Both the chains of [`super::chains`] and the
//! vectorised kernel of `sample::lanes` build on these (neither imports the other's types).

use nalgebra::DVector;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::fold::ConditionalFold;
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
    /// ([`crate::Statistics::average_conditional`]): unbiased, with a smaller variance.
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
/// the average of the statistics from the conditional means of its samples
/// ([`crate::Statistics::average_conditional`], folded as the samples come).
pub(super) struct ChainRun {
    pub(super) samples: Raster,
    pub(super) conditional: Option<DVector<f64>>,
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

    /// `samples` samples after the burn-in this chain needs; with `rao_blackwell` statistics,
    /// their Rao–Blackwellised average too.
    pub(super) fn run<T: Real, M: FlipEnergy<T>, U: UpdateRule>(
        &mut self,
        model: &M,
        samples: usize,
        settings: &McmcSettings,
        rao_blackwell: Option<&dyn Statistics>,
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
        let mut fold = rao_blackwell.map(|stats| ConditionalFold::new(stats, n, samples));
        let mut deltas = vec![0.0f64; if fold.is_some() { n } else { 0 }];
        for t in 0..samples {
            sweeps::<T, M, U>(
                model,
                &mut self.spins,
                &mut local,
                &mut self.rng,
                settings.sweeps,
            );
            out.set_column(t, &self.spins);
            if let Some(fold) = &mut fold {
                // E[s_i | s_∖i] = tanh((E(s_i = −1) − E(s_i = +1)) / 2) = tanh(s_i ΔE_i / 2).
                for (i, d) in deltas.iter_mut().enumerate() {
                    *d = self.spins[i] as f64 * model.flip_delta(&self.spins, &local, i).as_f64();
                }
                tanh_half_into(&deltas, fold.column(t));
                fold.recorded(&out, t);
            }
        }
        let conditional = fold.and_then(|f| f.finish(&out));
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
