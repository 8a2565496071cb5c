//! The thermodynamics of a fitted equilibrium model, from one replica-exchange ladder:
//! the specific heat C(T), log Z, the entropy and the energy histogram.
//!
//! With P_β(s) = exp(−β E(s)) / Z(β) and E(s) = −(Σ h s + Σ J s s):
//!
//! * **Specific heat per spin** at each level, C(T) = Var_β(E) / (N T²) = β² Var_β(E) / N
//!   (Tkačik et al., PNAS 2015: the salamander retina's pairwise model peaks near T = 1).
//! * **log Z** by stepping stones between neighbouring levels:
//!   log Z(β_k) − log Z(β_{k+1}) = log ⟨e^{−(β_k − β_{k+1}) E}⟩_{β_{k+1}}
//!   = −log ⟨e^{(β_k − β_{k+1}) E}⟩_{β_k}; the two one-sided estimates are averaged (their
//!   finite-sample biases have opposite signs). The hottest level is tied to β = 0, where
//!   log Z(0) = N log 2, by exact uniform draws: log Z(β_K) = N log 2 + log ⟨e^{−β_K E}⟩_0.
//! * **Entropy** S = log Z + β ⟨E⟩ at β = 1, in nats and in bits per spin, next to the
//!   entropy of the independent model with the same means, S_ind = Σ_i H((1 + ⟨s_i⟩)/2):
//!   S_ind − S is the multi-information the couplings explain.
//!
//! Every quantity is estimated in each independent run of the ladder; the standard errors
//! are the spread of the runs over √runs. Levels below T = 1 come from running the ladder
//! on the model scaled by β_max = 1/T_min, whose β = 1 level is the coldest.

use nalgebra::DVector;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::{
    model::FlipEnergy,
    raster::Spin,
    sample::{ChainDiagnostics, ReplicaExchange, Sampler, TemperingSettings},
    Error, PairStatistics, Real, Result,
};

/// Settings of a thermodynamic sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ThermoSettings {
    /// Lowest temperature of the sweep (T = 1 is the model as fitted).
    pub t_min: f64,
    /// Highest temperature of the ladder (log Z needs it hot: E's spread times 1/T small).
    pub t_max: f64,
    /// Samples per level, over all runs.
    pub samples: usize,
    /// Independent ladders.
    pub runs: usize,
    /// Burn-in sweeps.
    pub burn_in: usize,
    /// Thermodynamic length between neighbouring levels (smaller: more temperatures).
    pub spacing: f64,
    /// Uniform draws per run that tie the hottest level to β = 0.
    pub uniform_draws: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for ThermoSettings {
    fn default() -> Self {
        ThermoSettings {
            t_min: 0.5,
            t_max: 50.0,
            samples: 200_000,
            runs: 16,
            burn_in: 1000,
            spacing: 0.8,
            uniform_draws: 4096,
            seed: 1,
        }
    }
}

impl ThermoSettings {
    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        if !(self.t_min > 0.0 && self.t_min <= 1.0) {
            return Err(Error::setting("t-min", self.t_min, "in (0, 1]"));
        }
        if !(self.t_max.is_finite() && self.t_max > 1.0 && self.t_max / self.t_min <= 1e4) {
            return Err(Error::setting(
                "t-max",
                self.t_max,
                "finite, > 1 and at most 10^4 × t-min",
            ));
        }
        if self.uniform_draws < 2 {
            return Err(Error::setting("uniform-draws", self.uniform_draws, ">= 2"));
        }
        self.tempering(1.0).check()
    }

    fn tempering(&self, min_beta: f64) -> TemperingSettings {
        let mut t = TemperingSettings::default()
            .with_samples(self.samples)
            .with_runs(self.runs)
            .with_burn_in(self.burn_in)
            .with_seed(self.seed)
            .with_min_beta(min_beta.min(0.999));
        t.spacing = self.spacing;
        t.max_levels = 160;
        t
    }
}

/// A value and its standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The estimate (mean over runs).
    pub value: f64,
    /// Its standard error (spread of the runs over √runs).
    pub std_error: f64,
}

impl Estimate {
    fn of(per_run: &[f64]) -> Self {
        let r = per_run.len() as f64;
        let value = per_run.iter().sum::<f64>() / r;
        let var = per_run.iter().map(|v| (v - value).powi(2)).sum::<f64>() / (r - 1.0).max(1.0);
        Estimate {
            value,
            std_error: (var / r).sqrt(),
        }
    }
}

/// One temperature of the sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// Temperature T = 1/β.
    pub temperature: f64,
    /// Specific heat per spin β² Var(E) / N.
    pub specific_heat: Estimate,
    /// Mean energy ⟨E⟩ (E at T = 1).
    pub mean_energy: Estimate,
    /// log Z(β).
    pub log_z: Estimate,
}

/// The thermodynamics of a model (see the module documentation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thermodynamics {
    /// Spins.
    pub n_spins: usize,
    /// Every level of the ladder, coldest first.
    pub levels: Vec<Level>,
    /// log Z at T = 1.
    pub log_z: Estimate,
    /// S = log Z + ⟨E⟩ at T = 1, in nats.
    pub entropy: Estimate,
    /// The entropy in bits per spin.
    pub entropy_bits_per_spin: Estimate,
    /// The independent model with the same means, in bits per spin.
    pub independent_entropy_bits_per_spin: f64,
    /// S_ind − S in bits per spin: the multi-information the couplings explain.
    pub multi_information_bits_per_spin: Estimate,
    /// The energy histogram at T = 1: bin edges (len + 1) and counts.
    pub energy_edges: Vec<f64>,
    /// Counts per energy bin.
    pub energy_counts: Vec<u64>,
    /// How the ladder mixed.
    pub diagnostics: Option<ChainDiagnostics>,
}

fn binary_entropy_bits(p: f64) -> f64 {
    let h = |x: f64| if x > 0.0 { -x * x.log2() } else { 0.0 };
    h(p) + h(1.0 - p)
}

/// log of the mean of e^{x_t}, without overflow.
fn log_mean_exp(x: impl Iterator<Item = f64> + Clone) -> f64 {
    let top = x.clone().fold(f64::NEG_INFINITY, f64::max);
    let (sum, count) = x.fold((0.0, 0usize), |(s, c), v| (s + (v - top).exp(), c + 1));
    top + (sum / count as f64).ln()
}

/// The thermodynamics of `model` over temperatures from `settings.t_min` to
/// `settings.t_max`.
pub fn thermodynamics<T: Real, M: FlipEnergy<T>>(
    model: &M,
    settings: &ThermoSettings,
) -> Result<Thermodynamics> {
    settings.check()?;
    let n = model.n_spins();
    crate::raster::check_request("samples", settings.samples, n, settings.samples)?;
    let beta_max = 1.0 / settings.t_min;
    // The ladder runs on the model scaled to the coldest temperature: its level β' = 1 is
    // T_min, and physical β = β' β_max.
    let mut scaled = model.clone();
    let theta: DVector<T> = model.params().map(|v| v * T::cast(beta_max));
    scaled.set_params(&theta);
    let min_scaled = 1.0 / (settings.t_max * beta_max);
    // A first, short ladder places the levels; T = 1 (β' = 1/β_max) is then made one of
    // them, and the production run keeps that ladder fixed.
    let mut probe: ReplicaExchange = ReplicaExchange::new(
        settings
            .tempering(min_scaled)
            .with_samples(settings.runs * 64),
    )?;
    probe.sample(&scaled);
    let mut ladder = probe.betas().to_vec();
    let unit = 1.0 / beta_max;
    if !ladder.iter().any(|&b| (b - unit).abs() < 1e-12) {
        let nearest = (1..ladder.len())
            .min_by(|&a, &b| {
                (ladder[a] - unit)
                    .abs()
                    .total_cmp(&(ladder[b] - unit).abs())
            })
            .unwrap_or(0);
        if nearest == 0 || nearest == ladder.len() - 1 {
            ladder.push(unit);
            ladder.sort_by(|a, b| b.total_cmp(a));
        } else {
            ladder[nearest] = unit;
        }
    }
    let unit_level = ladder
        .iter()
        .position(|&b| (b - unit).abs() < 1e-12)
        .expect("inserted above");
    let mut pt: ReplicaExchange =
        ReplicaExchange::new(settings.tempering(min_scaled).with_ladder(ladder.clone()))?;
    pt.record_levels(true);
    pt.sample(&scaled);
    let diagnostics = Sampler::<T, M>::diagnostics(&pt);
    let levels = pt.level_energies().expect("recorded").clone();
    // Physical inverse temperatures and energies (E = E' / β_max).
    let betas: Vec<f64> = levels.betas.iter().map(|b| b * beta_max).collect();
    let energies: Vec<Vec<Vec<f64>>> = levels
        .energies
        .iter()
        .map(|runs| {
            runs.iter()
                .map(|e| e.iter().map(|v| v / beta_max).collect())
                .collect()
        })
        .collect();
    let runs = settings.runs;
    let k_levels = betas.len();
    // log Z per run and level, from the hottest level down.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(settings.seed ^ 0x7448_4552_4d4f);
    let mut log_z = vec![vec![0.0; runs]; k_levels];
    let hottest = betas[k_levels - 1];
    let mut spins: Vec<Spin> = vec![1; n];
    for r in 0..runs {
        let draws: Vec<f64> = (0..settings.uniform_draws)
            .map(|_| {
                for s in spins.iter_mut() {
                    *s = if rng.next_u64() >> 63 == 1 { 1 } else { -1 };
                }
                -hottest * model.energy(&spins).as_f64()
            })
            .collect();
        log_z[k_levels - 1][r] =
            n as f64 * std::f64::consts::LN_2 + log_mean_exp(draws.into_iter());
        for k in (0..k_levels - 1).rev() {
            let d = betas[k] - betas[k + 1];
            let forward = log_mean_exp(energies[k + 1][r].iter().map(|&e| -d * e));
            let backward = -log_mean_exp(energies[k][r].iter().map(|&e| d * e));
            log_z[k][r] = log_z[k + 1][r] + 0.5 * (forward + backward);
        }
    }
    let per_level: Vec<Level> = (0..k_levels)
        .map(|k| {
            let mut c = Vec::with_capacity(runs);
            let mut e = Vec::with_capacity(runs);
            for series in &energies[k] {
                let m = series.len().max(2) as f64;
                let mean = series.iter().sum::<f64>() / m;
                let var = series.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1.0);
                c.push(betas[k] * betas[k] * var / n as f64);
                e.push(mean);
            }
            Level {
                temperature: 1.0 / betas[k],
                specific_heat: Estimate::of(&c),
                mean_energy: Estimate::of(&e),
                log_z: Estimate::of(&log_z[k]),
            }
        })
        .collect();
    let entropy_runs: Vec<f64> = (0..runs)
        .map(|r| {
            let e = &energies[unit_level][r];
            log_z[unit_level][r] + e.iter().sum::<f64>() / e.len().max(1) as f64
        })
        .collect();
    let bits = n as f64 * std::f64::consts::LN_2;
    let entropy = Estimate::of(&entropy_runs);
    let entropy_bits: Vec<f64> = entropy_runs.iter().map(|s| s / bits).collect();
    // The model's own means at T = 1, for the independent model.
    let mut at_one: ReplicaExchange = ReplicaExchange::new(
        TemperingSettings::default()
            .with_samples(settings.samples.min(100_000))
            .with_runs(runs)
            .with_seed(settings.seed.wrapping_add(1))
            .with_rao_blackwell(true),
    )?;
    let averages = Sampler::<T, M>::averages(&mut at_one, model, &PairStatistics::new(n))?;
    let independent: f64 = (0..n)
        .map(|i| binary_entropy_bits((1.0 + averages.stats[i]) / 2.0))
        .sum::<f64>()
        / n as f64;
    let multi: Vec<f64> = entropy_bits.iter().map(|s| independent - s).collect();
    let unit_energies: Vec<f64> = energies[unit_level].iter().flatten().copied().collect();
    let (edges, counts) = histogram(&unit_energies, 60);
    Ok(Thermodynamics {
        n_spins: n,
        levels: per_level,
        log_z: Estimate::of(&log_z[unit_level]),
        entropy,
        entropy_bits_per_spin: Estimate::of(&entropy_bits),
        independent_entropy_bits_per_spin: independent,
        multi_information_bits_per_spin: Estimate::of(&multi),
        energy_edges: edges,
        energy_counts: counts,
        diagnostics,
    })
}

/// Equal-width bins over the range of `x`.
fn histogram(x: &[f64], bins: usize) -> (Vec<f64>, Vec<u64>) {
    let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        return (Vec::new(), Vec::new());
    }
    let width = ((hi - lo) / bins as f64).max(1e-12);
    let edges = (0..=bins).map(|b| lo + b as f64 * width).collect();
    let mut counts = vec![0u64; bins];
    for &v in x {
        let b = (((v - lo) / width) as usize).min(bins - 1);
        counts[b] += 1;
    }
    (edges, counts)
}

impl Thermodynamics {
    /// The level at T = 1.
    pub fn at_unit_temperature(&self) -> Option<&Level> {
        self.levels
            .iter()
            .find(|l| (l.temperature - 1.0).abs() < 1e-9)
    }
}
