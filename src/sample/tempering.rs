//! Replica exchange (parallel tempering): chains of P_β(s) ∝ exp(−β E(s)) at inverse
//! temperatures 1 = β₀ > β₁ > … > β_{K−1}, each advanced by single-site sweeps, with
//! neighbouring replicas exchanging configurations after every sweep with probability
//!
//! min(1, exp((β_k − β_{k+1})(E_k − E_{k+1}))),
//!
//! which keeps every level at its own equilibrium. Hot replicas cross the free-energy
//! barriers that trap single-site chains (the quiet and bursting modes of a pairwise model
//! of collective activity) and carry what they find down to β = 1, whose samples are the
//! sampler's output.
//!
//! * **The ladder** is placed by thermodynamic length: with σ_k the spread of E at β_k,
//!   the swap acceptance of two neighbours with Gaussian energies is erfc(σ Δβ / 2), so
//!   levels spaced evenly in L(β) = ∫ σ(β) dβ at `spacing` apart have about equal swap rates
//!   (erfc(0.7) ≈ 0.32 at the default 1.4). The ladder starts geometric from 1 to
//!   `min_beta` and is re-placed from measured σ_k in a few rounds before the burn-in.
//! * **Runs**: `runs` independent ladders, whose β = 1 samples are pooled (standard errors
//!   from the spread of the runs, as for independent chains). Swaps alternate between even
//!   and odd pairs (deterministic even–odd exchange, which makes replicas travel the ladder
//!   ballistically rather than diffusively).
//! * **Mixing is measured**: the round trips of replicas from β = 1 to β_{K−1} and back,
//!   the swap rates of every pair, and the autocorrelation times of E and of the number of
//!   active cells at β = 1 ([`ChainDiagnostics`]).
//! * **Pairwise models** run in the vectorised kernel (`sample::lanes`): a level is a group
//!   of eight lanes, one per run, whose acceptance thresholds are scaled by 1/β; other
//!   models run scalar sweeps of βΔE.
//! * **Determinism**: replica (k, r) draws from its own stream, swaps of run r from its
//!   own, and groups of eight runs are independent, so a seed gives the same samples
//!   whatever the number of threads.

use nalgebra::DVector;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    chain::{Chain, McmcSettings, UpdateRule},
    chains::pool,
    diagnostics::{ChainDiagnostics, Tempering},
    fold::ConditionalFold,
    lanes::{LaneLadder, LANES},
    MetropolisRule, ModelAverages, Sampler,
};
use crate::{
    kernels::fastmath::{tanh_half_into, tanh_into},
    model::{flip, FlipEnergy},
    raster::{Raster, Spin},
    Error, Real, Result, Statistics,
};

/// Settings of replica exchange.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TemperingSettings {
    /// Samples per call at β = 1, over all runs.
    pub samples: usize,
    /// Independent ladders (in groups of eight, run in parallel).
    pub runs: usize,
    /// Sweeps (with swaps) before the first sample of a fresh ladder.
    pub burn_in: usize,
    /// Sweeps between two recorded samples (each followed by a round of swaps).
    pub sweeps: usize,
    /// Keep the replicas across calls (persistent), or restart and burn in at every call.
    pub persistent: bool,
    /// Seed of the replicas' and swaps' generators.
    pub seed: u64,
    /// Rao–Blackwellised averages from the conditional means at β = 1.
    pub rao_blackwell: bool,
    /// The hottest level's inverse temperature (of an adaptive ladder).
    pub min_beta: f64,
    /// Thermodynamic length σ_E Δβ between neighbouring levels of an adaptive ladder.
    pub spacing: f64,
    /// Most levels an adaptive ladder may have.
    pub max_levels: usize,
    /// A fixed ladder (decreasing, starting at 1) instead of an adaptive one.
    #[serde(default)]
    pub ladder: Option<Vec<f64>>,
}

impl Default for TemperingSettings {
    fn default() -> Self {
        TemperingSettings {
            samples: 20_000,
            runs: 16,
            burn_in: 500,
            sweeps: 1,
            persistent: true,
            seed: 1,
            rao_blackwell: false,
            min_beta: 0.2,
            spacing: 1.4,
            max_levels: 48,
            ladder: None,
        }
    }
}

/// A persistent adaptive ladder whose lowest neighbouring swap rate falls below this is
/// placed again at the next call (the placement aims at rates near 0.3).
const REPLACE_BELOW_SWAP_RATE: f64 = 0.1;

/// Rounds of ladder placement before the burn-in, and sweeps per round.
const ADAPT_ROUNDS: usize = 4;
const ADAPT_SWEEPS: usize = 200;

impl TemperingSettings {
    /// Replica exchange with the chain settings of `mcmc` (samples, runs = chains, burn-in,
    /// sweeps, persistence, seed, Rao–Blackwellisation) and the default ladder.
    pub fn from_mcmc(mcmc: &McmcSettings) -> Self {
        TemperingSettings {
            samples: mcmc.samples,
            runs: mcmc.chains.max(2),
            burn_in: mcmc.burn_in,
            sweeps: mcmc.sweeps,
            persistent: mcmc.persistent,
            seed: mcmc.seed,
            rao_blackwell: mcmc.rao_blackwell,
            ..Default::default()
        }
    }

    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        McmcSettings::default()
            .with_samples(self.samples)
            .with_chains(self.runs)
            .with_burn_in(self.burn_in)
            .with_sweeps(self.sweeps)
            .check()?;
        if self.runs < 2 {
            return Err(Error::setting("runs", self.runs, "at least 2"));
        }
        if !(self.min_beta > 0.0 && self.min_beta < 1.0) {
            return Err(Error::setting("min-beta", self.min_beta, "in (0, 1)"));
        }
        if !(self.spacing.is_finite() && self.spacing > 0.0) {
            return Err(Error::setting(
                "spacing",
                self.spacing,
                "a finite number > 0",
            ));
        }
        if !(2..=256).contains(&self.max_levels) {
            return Err(Error::setting("max-levels", self.max_levels, "in 2..=256"));
        }
        if let Some(l) = &self.ladder {
            let ok = l.len() >= 2
                && l.len() <= 256
                && l[0] == 1.0
                && l.windows(2).all(|w| w[1] < w[0] && w[1] > 0.0);
            if !ok {
                return Err(Error::setting(
                    "ladder",
                    format!("{l:?}"),
                    "2 to 256 decreasing inverse temperatures > 0, the first 1",
                ));
            }
        }
        Ok(())
    }

    /// These settings with `samples` samples per call.
    pub fn with_samples(mut self, samples: usize) -> Self {
        self.samples = samples;
        self
    }

    /// These settings with `runs` independent ladders.
    pub fn with_runs(mut self, runs: usize) -> Self {
        self.runs = runs;
        self
    }

    /// These settings with `burn_in` sweeps before the first sample.
    pub fn with_burn_in(mut self, burn_in: usize) -> Self {
        self.burn_in = burn_in;
        self
    }

    /// These settings with seed `seed`.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// These settings with persistent (or restarted) ladders.
    pub fn with_persistent(mut self, persistent: bool) -> Self {
        self.persistent = persistent;
        self
    }

    /// These settings with (or without) the Rao–Blackwellised estimator.
    pub fn with_rao_blackwell(mut self, on: bool) -> Self {
        self.rao_blackwell = on;
        self
    }

    /// These settings with a fixed ladder.
    pub fn with_ladder(mut self, ladder: Vec<f64>) -> Self {
        self.ladder = Some(ladder);
        self
    }

    /// These settings with another hottest level (adaptive ladders).
    pub fn with_min_beta(mut self, min_beta: f64) -> Self {
        self.min_beta = min_beta;
        self
    }
}

/// What a checkpoint keeps of a replica-exchange sampler.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemperingState {
    /// The ladder's inverse temperatures (empty before the first call).
    pub betas: Vec<f64>,
    /// `replicas[k][r]`: the configuration and generator at level k of run r.
    pub replicas: Vec<Vec<Chain>>,
    /// The swap generator of every run.
    pub swaps: Vec<Xoshiro256PlusPlus>,
    /// `labels[k][r]`: which replica of run r is at level k (round trips follow them).
    pub labels: Vec<Vec<u32>>,
    /// `heading_up[r][id]`: replica `id` of run r reached the hottest level since it last
    /// left β = 1 (its return completes a round trip).
    pub heading_up: Vec<Vec<bool>>,
    /// Swap rounds made (their parity picks even or odd pairs).
    pub rounds: u64,
    /// Samples per call.
    pub samples: usize,
}

/// Replica exchange as a [`Sampler`]: see the module documentation.
///
/// ```
/// use spinfer::prelude::*;
/// use spinfer::sample::{ReplicaExchange, TemperingSettings};
///
/// let mut model = Ising::<f64>::zeros(2);
/// model.params_mut()[0] = 0.5;
/// let mut pt: ReplicaExchange =
///     ReplicaExchange::new(TemperingSettings::default().with_samples(40_000)).unwrap();
/// let averages = pt.averages(&model, &PairStatistics::new(2)).unwrap();
/// let se = averages.std_error.unwrap()[0];
/// assert!((averages.stats[0] - 0.5f64.tanh()).abs() < 5.0 * se);
/// ```
#[derive(Clone, Debug)]
pub struct ReplicaExchange<U: UpdateRule = MetropolisRule> {
    settings: TemperingSettings,
    state: TemperingState,
    last: Option<Raster>,
    last_diagnostics: Option<ChainDiagnostics>,
    last_levels: Option<LevelEnergies>,
    record_levels: bool,
    rule: std::marker::PhantomData<U>,
}

/// The energies E(s) (at β = 1) of every sample of every level and run in the last call,
/// for thermodynamics: `energies[k][r]` at inverse temperature `betas[k]`.
#[derive(Clone, Debug, PartialEq)]
pub struct LevelEnergies {
    /// The ladder.
    pub betas: Vec<f64>,
    /// `energies[k][r][t]`.
    pub energies: Vec<Vec<Vec<f64>>>,
}

/// An independent stream for replica (level, run) of a ladder built in round `round`.
fn stream(seed: u64, round: u64, level: usize, run: usize) -> Xoshiro256PlusPlus {
    let mut s = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mix = s.next_u64()
        ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (level as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9)
        ^ (run as u64).wrapping_mul(0x94D0_49BB_1331_11EB);
    Xoshiro256PlusPlus::seed_from_u64(mix)
}

fn random_chain(n: usize, mut rng: Xoshiro256PlusPlus) -> Chain {
    let spins = (0..n)
        .map(|_| if rng.next_u64() >> 63 == 1 { 1 } else { -1 })
        .collect();
    Chain {
        spins,
        rng,
        burned_in: false,
        restarted: false,
    }
}

/// A geometric ladder of `levels` levels from 1 down to `min_beta`.
fn geometric(levels: usize, min_beta: f64) -> Vec<f64> {
    (0..levels)
        .map(|k| min_beta.powf(k as f64 / (levels - 1) as f64))
        .collect()
}

/// Levels placed at equal thermodynamic length L(β) = ∫ σ(β) dβ, `spacing` apart (at least
/// 2, at most `max`), from the spreads `sigma` measured at `betas` (σ interpolated
/// linearly between levels).
pub fn place_ladder(betas: &[f64], sigma: &[f64], spacing: f64, max: usize) -> Vec<f64> {
    let mut length = vec![0.0];
    for k in 1..betas.len() {
        let d = (betas[k - 1] - betas[k]) * 0.5 * (sigma[k - 1] + sigma[k]);
        length.push(length[k - 1] + d.max(1e-12));
    }
    let total = *length.last().unwrap_or(&0.0);
    let levels = ((total / spacing).ceil() as usize + 1).clamp(2, max);
    let mut out = Vec::with_capacity(levels);
    for j in 0..levels {
        let target = total * j as f64 / (levels - 1) as f64;
        let k = length
            .iter()
            .position(|&l| l >= target)
            .unwrap_or(length.len() - 1)
            .max(1);
        let (l0, l1) = (length[k - 1], length[k]);
        let w = if l1 > l0 {
            (target - l0) / (l1 - l0)
        } else {
            1.0
        };
        out.push(betas[k - 1] + w.clamp(0.0, 1.0) * (betas[k] - betas[k - 1]));
    }
    out[0] = 1.0;
    *out.last_mut().unwrap() = *betas.last().unwrap();
    out.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
    out
}

/// One bank's ladder: up to eight runs at every level.
trait Ladder {
    fn levels(&self) -> usize;
    fn sweep(&mut self);
    fn energies(&self, k: usize) -> [f64; LANES];
    fn ups(&self, k: usize) -> [u32; LANES];
    fn swap(&mut self, k: usize, l: usize);
    fn record(&self, words: &mut [[u64; LANES]], bit: usize);
    fn conditional(&self, l: usize, out: &mut [f32]);
    fn store(&self, replicas: &mut [Vec<Chain>]);
}

struct Lanes<'a, U: UpdateRule> {
    inner: LaneLadder<'a>,
    rule: std::marker::PhantomData<U>,
}

impl<U: UpdateRule> Ladder for Lanes<'_, U> {
    fn levels(&self) -> usize {
        self.inner.levels()
    }
    fn sweep(&mut self) {
        self.inner.sweep::<U>(1);
    }
    fn energies(&self, k: usize) -> [f64; LANES] {
        self.inner.energies(k)
    }
    fn ups(&self, k: usize) -> [u32; LANES] {
        self.inner.ups(k)
    }
    fn swap(&mut self, k: usize, l: usize) {
        self.inner.swap(k, l);
    }
    fn record(&self, words: &mut [[u64; LANES]], bit: usize) {
        self.inner.record_bottom(words, bit);
    }
    fn conditional(&self, l: usize, out: &mut [f32]) {
        // E[s_i | s_∖i] = tanh f_i at β = 1 for a pairwise model.
        tanh_into(self.inner.bottom_fields(l), out);
    }
    fn store(&self, replicas: &mut [Vec<Chain>]) {
        self.inner.store(replicas);
    }
}

/// What one bank returns: its statistics, its replicas `[level][lane]` and the
/// replica labels `[level][lane]`.
type BankResult = (BankRun, Vec<Vec<Chain>>, Vec<Vec<u32>>);

/// One scalar replica: spins, local state, generator, and its energy (kept up to date flip
/// by flip: recomputing it for every swap attempt cost as much as the sweeps).
type ScalarReplica<T, M> = (
    Vec<Spin>,
    <M as FlipEnergy<T>>::Local,
    Xoshiro256PlusPlus,
    f64,
);

/// Scalar replicas of any [`FlipEnergy`] model.
struct Scalar<'m, T: Real, M: FlipEnergy<T>, U: UpdateRule> {
    model: &'m M,
    betas: Vec<T>,
    /// `[level][lane]`.
    replicas: Vec<Vec<ScalarReplica<T, M>>>,
    rule: std::marker::PhantomData<U>,
}

impl<T: Real, M: FlipEnergy<T>, U: UpdateRule> Ladder for Scalar<'_, T, M, U> {
    fn levels(&self) -> usize {
        self.replicas.len()
    }
    fn sweep(&mut self) {
        let model = self.model;
        for (level, &beta) in self.replicas.iter_mut().zip(&self.betas) {
            for (spins, local, rng, energy) in level.iter_mut() {
                for i in 0..spins.len() {
                    let delta = model.flip_delta(spins, local, i);
                    if U::accept(delta * beta, rng) {
                        flip(model, spins, local, i);
                        *energy += delta.as_f64();
                    }
                }
            }
        }
    }
    fn energies(&self, k: usize) -> [f64; LANES] {
        let mut out = [0.0; LANES];
        for (o, (_, _, _, energy)) in out.iter_mut().zip(&self.replicas[k]) {
            *o = *energy;
        }
        out
    }
    fn ups(&self, k: usize) -> [u32; LANES] {
        let mut out = [0; LANES];
        for (o, (spins, _, _, _)) in out.iter_mut().zip(&self.replicas[k]) {
            *o = spins.iter().filter(|&&s| s > 0).count() as u32;
        }
        out
    }
    fn swap(&mut self, k: usize, l: usize) {
        let (low, high) = self.replicas.split_at_mut(k + 1);
        std::mem::swap(&mut low[k][l], &mut high[0][l]);
    }
    fn record(&self, words: &mut [[u64; LANES]], bit: usize) {
        for (l, (spins, _, _, _)) in self.replicas[0].iter().enumerate() {
            for (w, &s) in words.iter_mut().zip(spins) {
                w[l] |= u64::from(s > 0) << bit;
            }
        }
    }
    fn conditional(&self, l: usize, out: &mut [f32]) {
        // E[s_i | s_∖i] = tanh(s_i ΔE_i / 2) at β = 1.
        let (spins, local, _, _) = &self.replicas[0][l];
        let deltas: Vec<f64> = (0..spins.len())
            .map(|i| spins[i] as f64 * self.model.flip_delta(spins, local, i).as_f64())
            .collect();
        tanh_half_into(&deltas, out);
    }
    fn store(&self, replicas: &mut [Vec<Chain>]) {
        for (level, chains) in self.replicas.iter().zip(replicas.iter_mut()) {
            for ((spins, _, rng, _), chain) in level.iter().zip(chains.iter_mut()) {
                chain.spins.clone_from(spins);
                chain.rng = rng.clone();
            }
        }
    }
}

/// What one bank (up to eight runs) returns from a stretch of sweeps.
#[derive(Default)]
struct BankRun {
    /// β = 1 samples of each run.
    samples: Vec<Raster>,
    /// Rao–Blackwellised average of each run's statistics.
    conditional: Vec<Option<DVector<f64>>>,
    /// E and the number of active cells of every β = 1 sample, per run.
    energy: Vec<Vec<f64>>,
    active: Vec<Vec<f64>>,
    /// Σ E and Σ E² per level over runs and rounds (ladder placement), and the count.
    sums: Vec<(f64, f64)>,
    count: f64,
    /// Swap attempts and acceptances of each pair (k, k + 1).
    attempts: Vec<u64>,
    accepted: Vec<u64>,
    /// Round trips completed, and replicas' trips counted per run.
    round_trips: u64,
    /// Energies of every level and run, when asked for.
    levels: Option<Vec<Vec<Vec<f64>>>>,
}

/// The part of the state one bank owns, borrowed for a stretch.
struct BankState<'s> {
    replicas: Vec<Vec<Chain>>,
    swaps: &'s mut [Xoshiro256PlusPlus],
    labels: Vec<Vec<u32>>,
    heading_up: &'s mut [Vec<bool>],
}

/// What a stretch records.
#[derive(Clone, Copy)]
struct Stretch<'a> {
    betas: &'a [f64],
    /// Sweeps without recording first.
    burn_in: usize,
    /// Recorded samples of each run of the bank.
    shares: &'a [usize],
    sweeps: usize,
    /// Statistics to average from the conditional means (Rao–Blackwellised).
    rao_blackwell: Option<&'a dyn Statistics>,
    record_levels: bool,
    first_round: u64,
}

/// Runs one bank: `burn_in` sweeps, then `shares[l]` samples of each run l, a swap round
/// after every sweep.
fn run_bank(ladder: &mut dyn Ladder, state: &mut BankState<'_>, job: Stretch<'_>) -> BankRun {
    let k_levels = ladder.levels();
    let lanes = state.swaps.len();
    let n = state.replicas[0][0].spins.len();
    let longest = job.shares.iter().copied().max().unwrap_or(0);
    let mut folds: Vec<Option<ConditionalFold>> = job
        .shares
        .iter()
        .map(|&m| {
            job.rao_blackwell
                .map(|stats| ConditionalFold::new(stats, n, m))
        })
        .collect();
    let mut out = BankRun {
        samples: job.shares.iter().map(|&m| Raster::zeros(n, m)).collect(),
        energy: vec![Vec::with_capacity(longest); lanes],
        active: vec![Vec::with_capacity(longest); lanes],
        sums: vec![(0.0, 0.0); k_levels],
        attempts: vec![0; k_levels.saturating_sub(1)],
        accepted: vec![0; k_levels.saturating_sub(1)],
        levels: job
            .record_levels
            .then(|| vec![vec![Vec::with_capacity(longest); lanes]; k_levels]),
        ..Default::default()
    };
    let mut energies: Vec<[f64; LANES]> = (0..k_levels).map(|k| ladder.energies(k)).collect();
    let mut pending = vec![[0u64; LANES]; n];
    let total_sweeps = job.burn_in + longest * job.sweeps;
    for (sweep, round) in (0..total_sweeps).zip(job.first_round..) {
        ladder.sweep();
        for (k, e) in energies.iter_mut().enumerate() {
            *e = ladder.energies(k);
        }
        // Even pairs on even rounds, odd pairs on odd ones.
        let parity = (round % 2) as usize;
        for k in (parity..k_levels.saturating_sub(1)).step_by(2) {
            let d_beta = job.betas[k] - job.betas[k + 1];
            #[allow(clippy::needless_range_loop)] // `l` indexes four arrays
            for l in 0..lanes {
                let log_a = d_beta * (energies[k][l] - energies[k + 1][l]);
                out.attempts[k] += 1;
                let u = (state.swaps[l].next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                if log_a >= 0.0 || u < log_a.exp() {
                    out.accepted[k] += 1;
                    ladder.swap(k, l);
                    let (a, b) = (energies[k][l], energies[k + 1][l]);
                    energies[k][l] = b;
                    energies[k + 1][l] = a;
                    let (x, y) = (state.labels[k][l], state.labels[k + 1][l]);
                    state.labels[k][l] = y;
                    state.labels[k + 1][l] = x;
                }
            }
        }
        for l in 0..lanes {
            let top = state.labels[k_levels - 1][l] as usize;
            state.heading_up[l][top] = true;
            let bottom = state.labels[0][l] as usize;
            if state.heading_up[l][bottom] {
                state.heading_up[l][bottom] = false;
                out.round_trips += 1;
            }
        }
        for (k, e) in energies.iter().enumerate() {
            for &v in &e[..lanes] {
                out.sums[k].0 += v;
                out.sums[k].1 += v * v;
            }
        }
        out.count += lanes as f64;
        if sweep < job.burn_in || !(sweep - job.burn_in + 1).is_multiple_of(job.sweeps) {
            continue;
        }
        let t = (sweep - job.burn_in) / job.sweeps;
        ladder.record(&mut pending, t & 63);
        let ups = ladder.ups(0);
        for l in 0..lanes {
            if t >= job.shares[l] {
                continue;
            }
            out.energy[l].push(energies[0][l]);
            out.active[l].push(ups[l] as f64);
            if t & 63 == 63 || t + 1 == job.shares[l] {
                for (i, words) in pending.iter_mut().enumerate() {
                    out.samples[l].row_mut(i)[t >> 6] = words[l];
                    words[l] = 0;
                }
            }
            if let Some(fold) = &mut folds[l] {
                ladder.conditional(l, fold.column(t));
                fold.recorded(&out.samples[l], t);
            }
            if let Some(levels) = &mut out.levels {
                for (k, e) in energies.iter().enumerate() {
                    levels[k][l].push(e[l]);
                }
            }
        }
        for words in pending.iter_mut() {
            for w in &mut words[lanes..] {
                *w = 0;
            }
        }
    }
    ladder.store(&mut state.replicas);
    out.conditional = folds
        .into_iter()
        .zip(&out.samples)
        .map(|(fold, samples)| fold.and_then(|f| f.finish(samples)))
        .collect();
    out
}

impl<U: UpdateRule> ReplicaExchange<U> {
    /// A sampler with these settings (validated).
    pub fn new(settings: TemperingSettings) -> Result<Self> {
        settings.check()?;
        let samples = settings.samples;
        Ok(ReplicaExchange {
            settings,
            state: TemperingState {
                betas: Vec::new(),
                replicas: Vec::new(),
                swaps: Vec::new(),
                labels: Vec::new(),
                heading_up: Vec::new(),
                rounds: 0,
                samples,
            },
            last: None,
            last_diagnostics: None,
            last_levels: None,
            record_levels: false,
            rule: std::marker::PhantomData,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &TemperingSettings {
        &self.settings
    }

    /// The current ladder (empty before the first call).
    pub fn betas(&self) -> &[f64] {
        &self.state.betas
    }

    /// Keep the energies of every level in the next calls ([`ReplicaExchange::level_energies`]).
    pub fn record_levels(&mut self, on: bool) {
        self.record_levels = on;
    }

    /// The energies of every level and run in the last call (when recorded).
    pub fn level_energies(&self) -> Option<&LevelEnergies> {
        self.last_levels.as_ref()
    }

    /// The samples (β = 1) of the last call.
    pub fn last_samples(&self) -> Option<&Raster> {
        self.last.as_ref()
    }

    /// Starts the β = 1 replica of run r (and, as a fresh ladder, every level) from sample
    /// ⌊r M / R⌋ of `data`.
    pub fn start_from<T: Real, M: FlipEnergy<T>>(&mut self, model: &M, data: &Raster) {
        if data.n_samples() == 0 || data.n_spins() != model.n_spins() {
            return;
        }
        self.initialise(model.n_spins(), self.initial_ladder());
        let (m, runs) = (data.n_samples(), self.settings.runs);
        for level in &mut self.state.replicas {
            for (r, chain) in level.iter_mut().enumerate() {
                chain.spins = data.column(r * m / runs);
            }
        }
    }

    fn initial_ladder(&self) -> Vec<f64> {
        self.settings
            .ladder
            .clone()
            .unwrap_or_else(|| geometric(8, self.settings.min_beta))
    }

    /// Fresh random replicas on `betas`, labels in order.
    fn initialise(&mut self, n: usize, betas: Vec<f64>) {
        let runs = self.settings.runs;
        let seed = self.settings.seed;
        self.state.replicas = (0..betas.len())
            .map(|k| {
                (0..runs)
                    .map(|r| random_chain(n, stream(seed, 0, k, r)))
                    .collect()
            })
            .collect();
        self.state.swaps = (0..runs)
            .map(|r| stream(seed, u64::MAX, usize::MAX, r))
            .collect();
        self.state.labels = (0..betas.len()).map(|k| vec![k as u32; runs]).collect();
        self.state.heading_up = vec![vec![false; betas.len()]; runs];
        self.state.rounds = 0;
        self.state.betas = betas;
    }

    /// Re-places the ladder from the measured spreads, keeping for each new level the
    /// replicas of the nearest old one (fresh generators for the new ladder).
    fn replace_ladder(&mut self, betas: Vec<f64>, round: u64) {
        let old = std::mem::take(&mut self.state.betas);
        let runs = self.settings.runs;
        let seed = self.settings.seed;
        let replicas: Vec<Vec<Chain>> = betas
            .iter()
            .enumerate()
            .map(|(k, &b)| {
                let nearest = (0..old.len())
                    .min_by(|&x, &y| (old[x] - b).abs().total_cmp(&(old[y] - b).abs()))
                    .unwrap_or(0);
                (0..runs)
                    .map(|r| Chain {
                        spins: self.state.replicas[nearest][r].spins.clone(),
                        rng: stream(seed, round, k, r),
                        burned_in: false,
                        restarted: false,
                    })
                    .collect()
            })
            .collect();
        self.state.replicas = replicas;
        self.state.labels = (0..betas.len()).map(|k| vec![k as u32; runs]).collect();
        self.state.heading_up = vec![vec![false; betas.len()]; runs];
        self.state.betas = betas;
    }

    /// Runs every bank (in parallel) for a stretch and merges their results in bank order.
    fn stretch<T: Real, M: FlipEnergy<T>>(
        &mut self,
        model: &M,
        burn_in: usize,
        samples: usize,
        record: bool,
        rao_blackwell: Option<&dyn Statistics>,
    ) -> Vec<BankRun> {
        let runs = self.settings.runs;
        let shares: Vec<usize> = (0..runs)
            .map(|r| samples / runs + usize::from(r < samples % runs))
            .collect();
        let levels = self.state.betas.len();
        let first_round = self.state.rounds;
        let betas = self.state.betas.clone();
        let pairwise = model.pairwise();
        let (h, couplings): (Vec<f64>, Vec<f64>) = match &pairwise {
            Some(p) => (
                p.fields.iter().map(|v| v.as_f64()).collect(),
                p.couplings.iter().map(|v| v.as_f64()).collect(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        // Hand each bank its runs' replicas (level-major inside the bank).
        let mut banks: Vec<Vec<Vec<Chain>>> = Vec::new();
        for start in (0..runs).step_by(LANES) {
            let end = (start + LANES).min(runs);
            banks.push(
                (0..levels)
                    .map(|k| self.state.replicas[k][start..end].to_vec())
                    .collect(),
            );
        }
        let labels: Vec<Vec<Vec<u32>>> = (0..runs)
            .step_by(LANES)
            .map(|start| {
                let end = (start + LANES).min(runs);
                (0..levels)
                    .map(|k| self.state.labels[k][start..end].to_vec())
                    .collect()
            })
            .collect();
        let base = Stretch {
            betas: &betas,
            burn_in,
            shares: &[],
            sweeps: self.settings.sweeps,
            rao_blackwell: rao_blackwell.filter(|_| self.settings.rao_blackwell && record),
            record_levels: self.record_levels && record,
            first_round,
        };
        let results: Vec<BankResult> = banks
            .into_par_iter()
            .zip(labels)
            .zip(self.state.swaps.par_chunks_mut(LANES))
            .zip(self.state.heading_up.par_chunks_mut(LANES))
            .zip(shares.par_chunks(LANES))
            .map(|((((replicas, labels), swaps), heading_up), shares)| {
                let mut bank = BankState {
                    replicas,
                    swaps,
                    labels,
                    heading_up,
                };
                let run = match &pairwise {
                    Some(_) => {
                        let mut ladder = Lanes::<U> {
                            inner: LaneLadder::new(&h, &couplings, &betas, &bank.replicas),
                            rule: std::marker::PhantomData,
                        };
                        run_bank(&mut ladder, &mut bank, Stretch { shares, ..base })
                    }
                    None => {
                        let mut ladder = Scalar::<T, M, U> {
                            model,
                            betas: betas.iter().map(|&b| T::cast(b)).collect(),
                            replicas: bank
                                .replicas
                                .iter()
                                .map(|level| {
                                    level
                                        .iter()
                                        .map(|c| {
                                            (
                                                c.spins.clone(),
                                                model.local(&c.spins),
                                                c.rng.clone(),
                                                model.energy(&c.spins).as_f64(),
                                            )
                                        })
                                        .collect()
                                })
                                .collect(),
                            rule: std::marker::PhantomData,
                        };
                        run_bank(&mut ladder, &mut bank, Stretch { shares, ..base })
                    }
                };
                (run, bank.replicas, bank.labels)
            })
            .collect();
        let mut out = Vec::with_capacity(results.len());
        for (b, (run, replicas, labels)) in results.into_iter().enumerate() {
            let start = b * LANES;
            for k in 0..levels {
                for (r, chain) in replicas[k].iter().enumerate() {
                    self.state.replicas[k][start + r] = chain.clone();
                }
                for (r, &id) in labels[k].iter().enumerate() {
                    self.state.labels[k][start + r] = id;
                }
            }
            out.push(run);
        }
        self.state.rounds +=
            (burn_in + shares.iter().copied().max().unwrap_or(0) * self.settings.sweeps) as u64;
        out
    }

    /// Builds (or rebuilds) the ladder for `model` when needed: fresh replicas, ladder
    /// placement (adaptive ladders), burn-in.
    fn prepare<T: Real, M: FlipEnergy<T>>(&mut self, model: &M) {
        let n = model.n_spins();
        let fresh = self.state.replicas.is_empty()
            || self.state.replicas[0]
                .first()
                .is_none_or(|c| c.spins.len() != n)
            || !self.settings.persistent;
        if !fresh && self.state.replicas[0][0].burned_in {
            return;
        }
        if fresh {
            self.initialise(n, self.initial_ladder());
        }
        if self.settings.ladder.is_none() {
            for round in 1..=ADAPT_ROUNDS as u64 {
                let runs = self.stretch(model, ADAPT_SWEEPS, 0, false, None);
                let levels = self.state.betas.len();
                let mut sums = vec![(0.0, 0.0); levels];
                let mut count = 0.0;
                for run in &runs {
                    for (s, r) in sums.iter_mut().zip(&run.sums) {
                        s.0 += r.0;
                        s.1 += r.1;
                    }
                    count += run.count;
                }
                let per_level = count.max(1.0);
                let sigma: Vec<f64> = sums
                    .iter()
                    .map(|&(s, s2)| {
                        let mean = s / per_level;
                        (s2 / per_level - mean * mean).max(0.0).sqrt()
                    })
                    .collect();
                let betas = place_ladder(
                    &self.state.betas,
                    &sigma,
                    self.settings.spacing,
                    self.settings.max_levels,
                );
                self.replace_ladder(betas, self.state.rounds.wrapping_add(round));
            }
        }
        self.stretch(model, self.settings.burn_in, 0, false, None);
        for level in &mut self.state.replicas {
            for chain in level.iter_mut() {
                chain.burned_in = true;
            }
        }
    }

    /// Draws `samples` β = 1 samples (runs in order), keeping the diagnostics; with
    /// `rao_blackwell` statistics, their Rao–Blackwellised average for each run.
    fn draw<T: Real, M: FlipEnergy<T>>(
        &mut self,
        model: &M,
        rao_blackwell: Option<&dyn Statistics>,
    ) -> Vec<BankRun> {
        self.prepare(model);
        let runs = self.stretch(model, 0, self.state.samples, true, rao_blackwell);
        let diagnostics = self.diagnose(&runs);
        // Learning moves the model away from the one the ladder was placed for: when a
        // pair of levels has nearly stopped swapping, the next call places it again from
        // the current model (the replicas are kept as the starting point).
        let stale = diagnostics
            .tempering
            .is_some_and(|t| t.min_swap_rate < REPLACE_BELOW_SWAP_RATE);
        if stale && self.settings.persistent && self.settings.ladder.is_none() {
            for level in &mut self.state.replicas {
                for chain in level.iter_mut() {
                    chain.burned_in = false;
                }
            }
        }
        self.last_diagnostics = Some(diagnostics);
        self.last_levels = self.record_levels.then(|| LevelEnergies {
            betas: self.state.betas.clone(),
            energies: (0..self.state.betas.len())
                .map(|k| {
                    runs.iter()
                        .flat_map(|r| r.levels.as_ref().map_or(Vec::new(), |l| l[k].clone()))
                        .collect()
                })
                .collect(),
        });
        runs
    }

    fn diagnose(&self, runs: &[BankRun]) -> ChainDiagnostics {
        let samples: Vec<&Raster> = runs.iter().flat_map(|r| r.samples.iter()).collect();
        let energy: Vec<&[f64]> = runs
            .iter()
            .flat_map(|r| r.energy.iter().map(Vec::as_slice))
            .collect();
        let active: Vec<&[f64]> = runs
            .iter()
            .flat_map(|r| r.active.iter().map(Vec::as_slice))
            .collect();
        let levels = self.state.betas.len();
        let mut attempts = vec![0u64; levels.saturating_sub(1)];
        let mut accepted = vec![0u64; levels.saturating_sub(1)];
        let mut trips = 0;
        for r in runs {
            for k in 0..attempts.len() {
                attempts[k] += r.attempts[k];
                accepted[k] += r.accepted[k];
            }
            trips += r.round_trips;
        }
        let rates: Vec<f64> = attempts
            .iter()
            .zip(&accepted)
            .map(|(&a, &b)| if a > 0 { b as f64 / a as f64 } else { 0.0 })
            .collect();
        let sweeps =
            samples.iter().map(|s| s.n_samples()).max().unwrap_or(0) * self.settings.sweeps;
        ChainDiagnostics::of_runs(&active, &energy)
            .unwrap_or_else(|| ChainDiagnostics::empty(self.settings.runs))
            .with_tempering(Tempering {
                levels,
                min_beta: self.state.betas.last().copied().unwrap_or(1.0),
                min_swap_rate: rates.iter().copied().fold(1.0, f64::min),
                round_trips: trips,
                sweeps,
            })
    }
}

impl<T: Real, M: FlipEnergy<T>, U: UpdateRule> Sampler<T, M> for ReplicaExchange<U> {
    type State = TemperingState;

    fn averages(&mut self, model: &M, stats: &dyn Statistics) -> Result<ModelAverages> {
        let samples = self.state.samples;
        crate::raster::check_request("samples", samples, model.n_spins(), samples)?;
        let runs = self.draw(model, Some(stats));
        let mut parts = Vec::new();
        let mut conditional = Vec::new();
        for r in runs {
            parts.extend(r.samples);
            conditional.extend(r.conditional);
        }
        let per_run: Vec<DVector<f64>> = parts
            .par_iter()
            .zip(conditional)
            .map(|(s, c)| c.unwrap_or_else(|| stats.average(s)))
            .collect();
        let weights: Vec<f64> = parts.iter().map(|r| r.n_samples() as f64).collect();
        let (stats, std_error) = pool(&per_run, &weights);
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

    fn state(&self) -> TemperingState {
        self.state.clone()
    }

    /// Refuses a state whose shapes disagree with the settings or with each other.
    fn restore(&mut self, state: TemperingState) -> Result<()> {
        let runs = self.settings.runs;
        let levels = state.betas.len();
        let bad = |what: &str| {
            Err(Error::Shape(format!(
                "the saved replica-exchange state {what}"
            )))
        };
        if levels > 0 {
            if state.replicas.len() != levels || state.labels.len() != levels {
                return bad("has replicas or labels for another number of levels");
            }
            if state.replicas.iter().any(|l| l.len() != runs)
                || state.labels.iter().any(|l| l.len() != runs)
                || state.swaps.len() != runs
                || state.heading_up.len() != runs
                || state.heading_up.iter().any(|h| h.len() != levels)
            {
                return bad(&format!("is not for {runs} runs of {levels} levels"));
            }
            if state.betas[0] != 1.0 || state.betas.windows(2).any(|w| !(w[1] < w[0] && w[1] > 0.0))
            {
                return bad("has a ladder that is not decreasing from 1");
            }
            let n = state.replicas[0][0].spins.len();
            for level in &state.replicas {
                for c in level {
                    if c.spins.len() != n || c.spins.iter().any(|&s| s != 1 && s != -1) {
                        return bad(
                            "holds a configuration of another size or a spin other than ±1",
                        );
                    }
                }
            }
            for r in 0..runs {
                let mut seen = vec![false; levels];
                for level in &state.labels {
                    let id = level[r] as usize;
                    if id >= levels || seen[id] {
                        return bad("has labels that are not a permutation of the levels");
                    }
                    seen[id] = true;
                }
            }
        }
        let samples = state.samples;
        TemperingSettings {
            samples,
            ..self.settings.clone()
        }
        .check()?;
        self.state = state;
        Ok(())
    }

    fn diagnostics(&self) -> Option<ChainDiagnostics> {
        self.last_diagnostics
    }

    fn samples(&self) -> Option<usize> {
        Some(self.state.samples)
    }

    fn set_samples(&mut self, samples: usize) -> Result<()> {
        TemperingSettings {
            samples,
            ..self.settings.clone()
        }
        .check()?;
        self.state.samples = samples;
        self.settings.samples = samples;
        Ok(())
    }
}

impl<U: UpdateRule> ReplicaExchange<U> {
    /// Draws `settings.samples` samples at β = 1 (runs in order).
    pub fn sample<T: Real, M: FlipEnergy<T>>(&mut self, model: &M) -> Raster {
        let runs = self.draw(model, None);
        let parts: Vec<Raster> = runs.into_iter().flat_map(|r| r.samples).collect();
        Raster::concat(&parts).expect("all runs have the model's size")
    }
}
