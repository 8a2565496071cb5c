//! log Z of an equilibrium Ising model at any N by annealed importance sampling (Neal 2001).
//!
//! The path runs from independent spins with fields h₀ (log Z₀ = Σ_i log 2cosh h₀_i, exact) to
//! the model: θ_β = (h₀ + β (h − h₀), β J), 0 = β₀ < β₁ < … < β_K = 1. Each of R chains starts
//! from an exact sample of the independent model; at each β_k it gains the log-weight
//! (β_k − β_{k−1}) a(s), a(s) = Σ_i (h_i − h₀_i) s_i + Σ_{i<j} J_ij s_i s_j, then takes one
//! Metropolis sweep at β_k. Then Z/Z₀ = E\[w\] and
//!
//! log Ẑ = log Z₀ + log (1/R) Σ_r w_r,  SE ≈ √(Var w / R) / mean w  (delta method).
//!
//! Chains run in parallel, each with its own generator seeded from (seed, chain): the result
//! does not depend on the number of threads.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    model::{Energy, Equilibrium},
    Error, Ising, Real, Result,
};

/// Settings of an AIS run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AisSettings {
    /// Number of intermediate temperatures K.
    pub temperatures: usize,
    /// Independent annealing runs R.
    pub chains: usize,
    /// Metropolis sweeps at each temperature.
    pub sweeps: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for AisSettings {
    fn default() -> Self {
        AisSettings {
            temperatures: 5000,
            chains: 512,
            sweeps: 1,
            seed: 1,
        }
    }
}

/// An estimate of log Z with its standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogZ {
    /// log Ẑ.
    pub value: f64,
    /// Standard error of log Ẑ.
    pub std_error: f64,
}

impl AisSettings {
    fn check(&self) -> Result<()> {
        if self.temperatures < 1 {
            return Err(Error::setting("temperatures", self.temperatures, ">= 1"));
        }
        if self.chains < 2 {
            return Err(Error::setting("chains", self.chains, ">= 2"));
        }
        if self.sweeps < 1 {
            return Err(Error::setting("sweeps", self.sweeps, ">= 1"));
        }
        Ok(())
    }
}

fn uniform(rng: &mut Xoshiro256PlusPlus) -> f64 {
    f64::unit_from_bits(rand::Rng::next_u64(rng))
}

/// The model an annealing run ends at: fields, dense couplings (column-major) and the
/// potential V(K) on the number of active cells (all zero for the Ising model).
struct Target<'a> {
    h: &'a [f64],
    j: &'a [f64],
    v: &'a [f64],
}

/// One annealing run: its log-weight.
fn anneal(target: &Target<'_>, h0: &[f64], betas: &[f64], sweeps: usize, seed: u64) -> f64 {
    let Target { h, j, v } = *target;
    let n = h.len();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // Exact sample of the independent model: P(s_i = +1) = e^{h0}/(2 cosh h0).
    let mut s: Vec<f64> = h0
        .iter()
        .map(|&b| {
            if uniform(&mut rng) < 1.0 / (1.0 + (-2.0 * b).exp()) {
                1.0
            } else {
                -1.0
            }
        })
        .collect();
    // js = J s (J column-major, symmetric, zero diagonal).
    let mut js = vec![0.0; n];
    for (k, &sk) in s.iter().enumerate() {
        for (a, &c) in js.iter_mut().zip(&j[k * n..(k + 1) * n]) {
            *a += c * sk;
        }
    }
    let mut k = s.iter().filter(|&&x| x > 0.0).count();
    let a_of = |s: &[f64], js: &[f64], k: usize| -> f64 {
        (0..n)
            .map(|i| s[i] * ((h[i] - h0[i]) + 0.5 * js[i]))
            .sum::<f64>()
            + v[k]
    };
    let mut log_w = 0.0;
    let mut previous = 0.0;
    for &beta in betas {
        log_w += (beta - previous) * a_of(&s, &js, k);
        previous = beta;
        for _ in 0..sweeps {
            for i in 0..n {
                // Local field at β: f_i = h₀_i + β (h_i − h₀_i) + β (J s)_i; flip costs
                // 2 s_i f_i − β (V(K') − V(K)).
                let f = h0[i] + beta * (h[i] - h0[i] + js[i]);
                let after = if s[i] > 0.0 { k - 1 } else { k + 1 };
                let delta = 2.0 * s[i] * f - beta * (v[after] - v[k]);
                if delta <= 0.0 || uniform(&mut rng) < (-delta).exp() {
                    s[i] = -s[i];
                    k = after;
                    let d = 2.0 * s[i];
                    for (a, &c) in js.iter_mut().zip(&j[i * n..(i + 1) * n]) {
                        *a += d * c;
                    }
                }
            }
        }
    }
    log_w
}

/// Estimates log Z of `model` by AIS from the independent model with fields `base_fields`
/// (use the data's atanh ⟨s_i⟩, or the model's own h; any finite fields are valid). The
/// temperatures are spaced geometrically near β = 0, where the weights change fastest, and
/// linearly after.
pub fn log_partition<T: Real>(
    model: &Ising<T>,
    base_fields: &[f64],
    settings: &AisSettings,
) -> Result<LogZ> {
    log_partition_of(&Equilibrium::Ising(model.clone()), base_fields, settings)
}

/// [`log_partition`] of an equilibrium model of either family: the annealing path ends at
/// the K-pairwise energy, V(K) included, where the model has one.
pub fn log_partition_of<T: Real>(
    model: &Equilibrium<T>,
    base_fields: &[f64],
    settings: &AisSettings,
) -> Result<LogZ> {
    settings.check()?;
    let n = model.n_spins();
    if base_fields.len() != n || base_fields.iter().any(|v| !v.is_finite()) {
        return Err(Error::Shape(format!(
            "AIS needs {n} finite base fields, got {}",
            base_fields.len()
        )));
    }
    let pairwise = model.pairwise_part();
    let h: Vec<f64> = pairwise.fields().iter().map(|v| v.as_f64()).collect();
    let j: Vec<f64> = pairwise.couplings().iter().map(|v| v.as_f64()).collect();
    let v: Vec<f64> = model.potential().iter().map(|v| v.as_f64()).collect();
    let target = Target {
        h: &h,
        j: &j,
        v: &v,
    };
    let k = settings.temperatures;
    // Half the temperatures geometric in [1e-3, 0.1], half linear in (0.1, 1].
    let half = k / 2;
    let betas: Vec<f64> = (1..=half)
        .map(|m| 1e-3 * 100f64.powf(m as f64 / half as f64))
        .chain((1..=k - half).map(|m| 0.1 + 0.9 * m as f64 / (k - half) as f64))
        .collect();
    let log_w: Vec<f64> = (0..settings.chains)
        .into_par_iter()
        .map(|r| {
            let seed = settings
                .seed
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .wrapping_add(r as u64);
            anneal(&target, base_fields, &betas, settings.sweeps, seed)
        })
        .collect();
    let max = log_w.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = log_w.iter().map(|l| (l - max).exp()).collect();
    let r = w.len() as f64;
    let mean = w.iter().sum::<f64>() / r;
    let var = w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (r - 1.0);
    // ln 2cosh b = |b| + ln(1 + e^{−2|b|}), finite for any finite b.
    let log_z0: f64 = base_fields
        .iter()
        .map(|&b| b.abs() + (-2.0 * b.abs()).exp().ln_1p())
        .sum();
    let estimate = LogZ {
        value: log_z0 + max + mean.ln(),
        std_error: (var / r).sqrt() / mean,
    };
    if !(estimate.value.is_finite() && estimate.std_error.is_finite()) {
        let largest = h
            .iter()
            .chain(&j)
            .chain(&v)
            .fold(0.0f64, |m, x| m.max(x.abs()));
        return Err(Error::Shape(format!(
            "annealed importance sampling found no finite estimate of log Z: with parameters \
             as large as {largest:.1e} its importance weights degenerate (exact enumeration \
             serves up to N = 20)"
        )));
    }
    Ok(estimate)
}
