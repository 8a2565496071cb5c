//! Are the chains equilibrated? Gelman–Rubin R̂ across independent chains and the integrated
//! autocorrelation time within them, both of the total activity Σ_i s_i of each sample.

use serde::{Deserialize, Serialize};

use crate::Raster;

/// Equilibration diagnostics of a set of chains.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainDiagnostics {
    /// Independent chains.
    pub chains: usize,
    /// Samples per chain (the shortest chain).
    pub samples_per_chain: usize,
    /// Potential scale reduction R̂ = √(((m−1)/m W + B/m) / W), with W the mean within-chain
    /// variance and B/m the variance of the chain means: ≈ 1 when the chains sample one
    /// distribution, > 1.1 when they disagree (stuck in different states).
    pub r_hat: f64,
    /// Integrated autocorrelation time τ = 1 + 2 Σ_k ρ(k) in samples (summed while ρ > 0.05),
    /// averaged over chains: the samples are worth about M/τ independent ones.
    pub autocorrelation_time: f64,
    /// The same for the energy E(s) at β = 1 (replica exchange).
    #[serde(default)]
    pub energy_autocorrelation_time: Option<f64>,
    /// The ladder's own mixing (replica exchange).
    #[serde(default)]
    pub tempering: Option<Tempering>,
}

/// How a replica-exchange ladder mixed in one call.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tempering {
    /// Levels of the ladder.
    pub levels: usize,
    /// The hottest level's inverse temperature.
    pub min_beta: f64,
    /// The lowest swap acceptance of any neighbouring pair.
    pub min_swap_rate: f64,
    /// Round trips completed (a replica from β = 1 to the hottest level and back), over all
    /// runs.
    pub round_trips: u64,
    /// Sweeps each run made.
    pub sweeps: usize,
}

impl ChainDiagnostics {
    /// R̂ above this means the chains disagree.
    pub const MAX_R_HAT: f64 = 1.1;
    /// Fewer effective samples per chain than this means the chains mix too slowly to trust.
    pub const MIN_EFFECTIVE_PER_CHAIN: f64 = 20.0;
    /// A ladder pair that swaps less often than this is a bottleneck (replica exchange).
    pub const MIN_SWAP_RATE: f64 = 0.05;

    /// Diagnostics of `samples`, made of `chains` consecutive equal blocks (the last ones may
    /// be one shorter), as [`crate::sample::Mcmc::sample`] returns them.
    pub fn of(samples: &Raster, chains: usize) -> Option<Self> {
        let total = samples.n_samples();
        if chains < 2 || total / chains < 4 {
            return None;
        }
        // Total activity of every sample.
        let ups = samples.column_up_counts();
        let mut blocks = Vec::with_capacity(chains);
        let mut start = 0;
        for k in 0..chains {
            let len = total / chains + usize::from(k < total % chains);
            blocks.push(
                ups[start..start + len]
                    .iter()
                    .map(|&u| u as f64)
                    .collect::<Vec<f64>>(),
            );
            start += len;
        }
        let blocks: Vec<&[f64]> = blocks.iter().map(Vec::as_slice).collect();
        Self::of_series(&blocks)
    }

    /// Diagnostics of independent runs from the number of active cells of each of their
    /// samples (`active[r]`) and the samples' energies (`energy[r]`).
    pub fn of_runs(active: &[&[f64]], energy: &[&[f64]]) -> Option<Self> {
        let mut d = Self::of_series(active)?;
        let m = d.samples_per_chain;
        let tau = energy
            .iter()
            .map(|e| {
                let e = &e[..m.min(e.len())];
                let mu = e.iter().sum::<f64>() / e.len().max(1) as f64;
                let var = e.iter().map(|v| (v - mu).powi(2)).sum::<f64>()
                    / (e.len() as f64 - 1.0).max(1.0);
                autocorrelation_time(e, mu, var)
            })
            .sum::<f64>()
            / energy.len().max(1) as f64;
        d.energy_autocorrelation_time = Some(tau);
        Some(d)
    }

    /// Diagnostics that say nothing was measured (too few samples): not trustworthy.
    pub fn empty(chains: usize) -> Self {
        ChainDiagnostics {
            chains,
            samples_per_chain: 0,
            r_hat: f64::INFINITY,
            autocorrelation_time: f64::INFINITY,
            energy_autocorrelation_time: None,
            tempering: None,
        }
    }

    /// These diagnostics with a ladder's.
    pub fn with_tempering(mut self, tempering: Tempering) -> Self {
        self.tempering = Some(tempering);
        self
    }

    /// R̂ and τ of the activity series of independent chains (cut to the shortest).
    fn of_series(series: &[&[f64]]) -> Option<Self> {
        let chains = series.len();
        let m = series.iter().map(|b| b.len()).min().unwrap_or(0);
        if chains < 2 || m < 4 {
            return None;
        }
        let blocks: Vec<&[f64]> = series.iter().map(|b| &b[..m]).collect();
        let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
        let var = |x: &[f64], mu: f64| {
            x.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / (x.len() as f64 - 1.0)
        };
        let means: Vec<f64> = blocks.iter().map(|b| mean(b)).collect();
        let vars: Vec<f64> = blocks
            .iter()
            .zip(&means)
            .map(|(b, &mu)| var(b, mu))
            .collect();
        let w = mean(&vars);
        let grand = mean(&means);
        let b_over_m = var(&means, grand);
        let mf = m as f64;
        let r_hat = if w > 0.0 {
            (((mf - 1.0) / mf * w + b_over_m) / w).sqrt()
        } else if b_over_m > 0.0 {
            f64::INFINITY
        } else {
            1.0
        };
        let tau = blocks
            .iter()
            .zip(&means)
            .zip(&vars)
            .map(|((b, &mu), &v)| autocorrelation_time(b, mu, v))
            .sum::<f64>()
            / chains as f64;
        Some(ChainDiagnostics {
            chains,
            samples_per_chain: m,
            r_hat,
            autocorrelation_time: tau,
            energy_autocorrelation_time: None,
            tempering: None,
        })
    }

    /// The longest of the autocorrelation times measured.
    pub fn longest_autocorrelation_time(&self) -> f64 {
        self.autocorrelation_time
            .max(self.energy_autocorrelation_time.unwrap_or(0.0))
    }

    /// Whether the chains look equilibrated and well mixed: R̂ ≤ [`Self::MAX_R_HAT`], at
    /// least [`Self::MIN_EFFECTIVE_PER_CHAIN`] effective samples per chain, and for a
    /// replica-exchange ladder at least one round trip per run and no pair of levels that
    /// swaps less often than [`Self::MIN_SWAP_RATE`].
    pub fn is_trustworthy(&self) -> bool {
        let ladder = self.tempering.is_none_or(|t| {
            t.round_trips >= self.chains as u64 && t.min_swap_rate >= Self::MIN_SWAP_RATE
        });
        ladder
            && self.r_hat <= Self::MAX_R_HAT
            && self.samples_per_chain as f64 / self.longest_autocorrelation_time()
                >= Self::MIN_EFFECTIVE_PER_CHAIN
    }

    /// A warning in words, or `None` when the chains look fine.
    pub fn warning(&self) -> Option<String> {
        if let Some(t) = self.tempering {
            if self.is_trustworthy() {
                return None;
            }
            return Some(format!(
                "the replica-exchange sampler may not be mixed: {} round trips over {} runs \
                 of {} sweeps (should be at least one per run), lowest swap rate {:.3} \
                 between neighbouring levels of {} (should be ≥ {}), R̂ = {:.3} (≤ {}), \
                 autocorrelation time {:.1} samples for {} per run (fewer than {} \
                 effective); use more samples or a longer burn-in",
                t.round_trips,
                self.chains,
                t.sweeps,
                t.min_swap_rate,
                t.levels,
                Self::MIN_SWAP_RATE,
                self.r_hat,
                Self::MAX_R_HAT,
                self.longest_autocorrelation_time(),
                self.samples_per_chain,
                Self::MIN_EFFECTIVE_PER_CHAIN
            ));
        }
        (!self.is_trustworthy()).then(|| {
            format!(
                "the Monte Carlo chains may not be equilibrated: R̂ = {:.3} across {} chains \
                 (should be ≤ {}), autocorrelation time {:.1} samples for {} samples per chain \
                 (fewer than {} effective); use more sweeps between samples or a \
                 longer burn-in",
                self.r_hat,
                self.chains,
                Self::MAX_R_HAT,
                self.autocorrelation_time,
                self.samples_per_chain,
                Self::MIN_EFFECTIVE_PER_CHAIN
            )
        })
    }
}

/// 1 + 2 Σ_k ρ(k), summed while ρ(k) > 0.05 and k < M/4.
pub(crate) fn autocorrelation_time(x: &[f64], mu: f64, var: f64) -> f64 {
    if var <= 0.0 {
        return 1.0;
    }
    let n = x.len();
    let mut tau = 1.0;
    for k in 1..n / 4 {
        let c = (0..n - k)
            .map(|t| (x[t] - mu) * (x[t + k] - mu))
            .sum::<f64>()
            / ((n - k) as f64 * var);
        if c <= 0.05 {
            break;
        }
        tau += 2.0 * c;
    }
    tau
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn raster_from_activity(activity: &[usize], n: usize) -> Raster {
        let mut r = Raster::zeros(n, activity.len());
        for (t, &a) in activity.iter().enumerate() {
            for i in 0..a {
                r.set(i, t, true);
            }
        }
        r
    }

    #[test]
    fn independent_chains_pass_and_stuck_or_sticky_chains_fail() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let iid: Vec<usize> = (0..4000).map(|_| (rng.next_u64() % 10) as usize).collect();
        let d = ChainDiagnostics::of(&raster_from_activity(&iid, 10), 4).unwrap();
        assert!(d.is_trustworthy(), "{d:?}");
        assert!(
            (d.r_hat - 1.0).abs() < 0.01 && d.autocorrelation_time < 1.5,
            "{d:?}"
        );
        // Two chains stuck low, two stuck high.
        let stuck: Vec<usize> = (0..4000)
            .map(|t| if t < 2000 { 1 + t % 2 } else { 8 + t % 2 })
            .collect();
        let d = ChainDiagnostics::of(&raster_from_activity(&stuck, 10), 4).unwrap();
        assert!(d.r_hat > 2.0 && !d.is_trustworthy(), "{d:?}");
        assert!(d.warning().unwrap().contains("R̂"));
        // Slowly drifting within every chain: long autocorrelation.
        let sticky: Vec<usize> = (0..4000).map(|t| (t % 1000) / 100).collect();
        let d = ChainDiagnostics::of(&raster_from_activity(&sticky, 10), 4).unwrap();
        assert!(
            d.autocorrelation_time > 50.0 && !d.is_trustworthy(),
            "{d:?}"
        );
    }
}
