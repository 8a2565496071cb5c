//! A synthetic retina: spike rasters in the layout of the salamander recordings (cells ×
//! repeats of a movie), from a stimulus-driven, sparsely firing, weakly coupled network.
//!
//! Neither model family is the generating process, as with real cells: firing is locked to
//! a stimulus that repeats every trial (the kinetic and equilibrium models have constant
//! fields), cells share trial-to-trial noise, couple to each other's previous bin and are
//! refractory. Cell i fires in bin t with probability
//!
//! p_i(t) = σ(b_i + g_i u_i(τ) + a_i z(t) + Σ_j W_ij x_j(t−1)),  σ(v) = 1/(1 + e^{−v}),
//!
//! where τ = t mod bins is the movie frame, u_i(τ) the cell's linear response to the movie
//! (a mix of a shared luminance feature and private features, each a smooth Gaussian process
//! with a 100 ms correlation time), z(t) a standard normal common input redrawn every bin,
//! x_j ∈ {0, 1} the spikes and W a sparse, mostly excitatory coupling matrix with a negative
//! (refractory) diagonal. The baseline b_i is tuned so that cell i's mean firing probability
//! is its target rate, drawn log-uniformly between 0.5 % and 12 % (excitatory couplings raise
//! the realised rates a little, up to about 15 %).

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::{Error, Raster, Result};

/// Shape and seed of a synthetic recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetinaSettings {
    /// Number of cells.
    pub cells: usize,
    /// Repeats of the movie.
    pub repeats: usize,
    /// Bins (20 ms each) per repeat.
    pub bins: usize,
    /// Seed of the network, the movie and the spikes.
    pub seed: u64,
}

impl Default for RetinaSettings {
    /// The salamander recording's shape: 160 cells, 297 repeats of 953 bins.
    fn default() -> Self {
        RetinaSettings {
            cells: 160,
            repeats: 297,
            bins: 953,
            seed: 1,
        }
    }
}

/// Lowest and highest target firing probability per bin.
pub const RATE_RANGE: (f64, f64) = (0.005, 0.12);

/// Private stimulus features per movie (besides the shared luminance feature).
const FEATURES: usize = 8;
/// Correlation time of the movie features, in bins.
const MOVIE_CORRELATION_BINS: f64 = 5.0;
/// Weight of the shared feature in every cell's drive (the rest is private).
const SHARED_WEIGHT: f64 = 0.4;
/// Probability that a given cell j couples to a given cell i, up to 160 cells (above, it
/// falls as 1/N: see `Network::new`).
const CONNECTION_PROBABILITY: f64 = 0.05;

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// The generating network: everything except the spikes.
struct Network {
    baseline: Vec<f64>,
    /// drive[τ * cells + i] = g_i u_i(τ).
    drive: Vec<f64>,
    common: Vec<f64>,
    /// Column-major W: w[j * cells + i] = W_ij.
    w: Vec<f64>,
}

impl Network {
    fn new(s: &RetinaSettings, rng: &mut Xoshiro256PlusPlus) -> Self {
        let (n, bins) = (s.cells, s.bins);
        let normal = |rng: &mut Xoshiro256PlusPlus| -> f64 { StandardNormal.sample(rng) };
        let uniform = |rng: &mut Xoshiro256PlusPlus| -> f64 {
            (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        };
        // The movie: 1 + FEATURES smooth unit-variance AR(1) processes over the frames.
        let a = (-1.0 / MOVIE_CORRELATION_BINS).exp();
        let movie: Vec<Vec<f64>> = (0..=FEATURES)
            .map(|_| {
                let mut x = normal(rng);
                (0..bins)
                    .map(|_| {
                        x = a * x + (1.0 - a * a).sqrt() * normal(rng);
                        x
                    })
                    .collect()
            })
            .collect();
        let mut drive = vec![0.0; bins * n];
        let mut common = vec![0.0; n];
        let mut target = vec![0.0; n];
        for i in 0..n {
            // Private receptive field: a random unit vector over the private features.
            let mut rf: Vec<f64> = (0..FEATURES).map(|_| normal(rng)).collect();
            let norm = rf.iter().map(|v| v * v).sum::<f64>().sqrt();
            rf.iter_mut().for_each(|v| *v /= norm);
            let gain = 1.0 + 1.0 * uniform(rng);
            for tau in 0..bins {
                let private: f64 = rf
                    .iter()
                    .enumerate()
                    .map(|(k, w)| w * movie[k + 1][tau])
                    .sum();
                let u =
                    SHARED_WEIGHT * movie[0][tau] + (1.0 - SHARED_WEIGHT.powi(2)).sqrt() * private;
                drive[tau * n + i] = gain * u;
            }
            common[i] = 0.2 + 0.3 * uniform(rng);
            let (lo, hi) = (RATE_RANGE.0.ln(), RATE_RANGE.1.ln());
            target[i] = (lo + (hi - lo) * uniform(rng)).exp();
        }
        // Above the salamander's 160 cells each cell keeps its 160 · 5 % = 8 partners on
        // average, so the excitation it receives, and its firing, do not grow with N.
        let connection_probability = CONNECTION_PROBABILITY * 160.0 / n.max(160) as f64;
        let mut w = vec![0.0; n * n];
        for j in 0..n {
            for i in 0..n {
                if i == j {
                    w[j * n + i] = -1.5;
                } else if uniform(rng) < connection_probability {
                    // Mostly excitatory: N(0.4, 0.4²).
                    w[j * n + i] = 0.4 + 0.4 * normal(rng);
                }
            }
        }
        // Baselines: the mean over frames of σ(b + drive) equals the target rate (bisection;
        // the common input and the couplings shift the realised rate a little).
        let baseline = (0..n)
            .map(|i| {
                let rate = |b: f64| {
                    (0..bins)
                        .map(|tau| sigmoid(b + drive[tau * n + i]))
                        .sum::<f64>()
                        / bins as f64
                };
                let (mut lo, mut hi) = (-20.0, 5.0);
                for _ in 0..60 {
                    let mid = 0.5 * (lo + hi);
                    if rate(mid) < target[i] {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                0.5 * (lo + hi)
            })
            .collect();
        Network {
            baseline,
            drive,
            common,
            w,
        }
    }
}

impl RetinaSettings {
    /// Validates the shape.
    pub fn check(&self) -> Result<()> {
        if self.cells == 0 || self.cells > crate::model::MAX_DENSE_SPINS {
            return Err(Error::setting(
                "cells",
                self.cells,
                format!("in 1..={}", crate::model::MAX_DENSE_SPINS),
            ));
        }
        if self.repeats == 0 {
            return Err(Error::setting("repeats", self.repeats, ">= 1"));
        }
        if self.bins < 2 {
            return Err(Error::setting("bins", self.bins, ">= 2"));
        }
        // The stimulus drive takes 8 bytes per cell and bin; the raster a bit per cell and
        // bin of every repeat.
        crate::raster::check_request("bins", self.bins, 64 * 8 * self.cells, self.bins)?;
        let total = self.repeats.saturating_mul(self.bins);
        crate::raster::check_request("repeats", self.repeats, self.cells, total)
    }

    /// Generates the raster: cells × (repeats · bins), repeats one after the other.
    pub fn generate(&self) -> Result<Raster> {
        self.check()?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let net = Network::new(self, &mut rng);
        let (n, bins) = (self.cells, self.bins);
        let mut raster = Raster::zeros(n, self.repeats * bins);
        let mut active: Vec<usize> = Vec::new();
        let mut next: Vec<usize> = Vec::new();
        let mut v = vec![0.0; n];
        for t in 0..self.repeats * bins {
            let tau = t % bins;
            let z: f64 = StandardNormal.sample(&mut rng);
            let drive = &net.drive[tau * n..(tau + 1) * n];
            for (((vi, b), d), c) in v.iter_mut().zip(&net.baseline).zip(drive).zip(&net.common) {
                *vi = b + d + c * z;
            }
            for &j in &active {
                for (vi, wij) in v.iter_mut().zip(&net.w[j * n..(j + 1) * n]) {
                    *vi += wij;
                }
            }
            next.clear();
            for (i, &vi) in v.iter().enumerate() {
                let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                if u < sigmoid(vi) {
                    next.push(i);
                    raster.set(i, t, true);
                }
            }
            std::mem::swap(&mut active, &mut next);
        }
        Ok(raster)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Moments;

    #[test]
    fn rates_are_sparse_locked_to_the_movie_and_mostly_positively_correlated() {
        let s = RetinaSettings {
            cells: 40,
            repeats: 60,
            bins: 300,
            seed: 3,
        };
        let r = s.generate().unwrap();
        assert_eq!((r.n_spins(), r.n_samples()), (40, 18_000));
        assert_eq!(r, s.generate().unwrap(), "same seed, same raster");
        let m = Moments::of(&r);
        let rates: Vec<f64> = m.means.iter().map(|v| (v + 1.0) / 2.0).collect();
        let mean = rates.iter().sum::<f64>() / 40.0;
        assert!(rates.iter().all(|&p| p > 0.002 && p < 0.25), "{rates:?}");
        assert!(mean > 0.01 && mean < 0.08, "mean rate {mean}");
        let c = m.connected();
        let positive = (0..40)
            .flat_map(|i| (i + 1..40).map(move |j| (i, j)))
            .filter(|&(i, j)| c[(i, j)] > 0.0)
            .count();
        // Independent cells would give 50 % ± 1.8 % positive; 60 % is over 5 SD above that.
        assert!(positive as f64 > 0.6 * 780.0, "{positive} of 780 positive");
        // Stimulus locking: the peri-stimulus rate of a cell varies across frames far more
        // than repeat-to-repeat sampling noise would allow.
        let cell = (0..40)
            .max_by(|&a, &b| rates[a].total_cmp(&rates[b]))
            .unwrap();
        let psth: Vec<f64> = (0..300)
            .map(|tau| (0..60).filter(|k| r.is_up(cell, k * 300 + tau)).count() as f64 / 60.0)
            .collect();
        let p = rates[cell];
        let var = psth.iter().map(|x| (x - p).powi(2)).sum::<f64>() / 300.0;
        eprintln!("PSTH variance {var}, noise {}", p * (1.0 - p) / 60.0);
        assert!(var > 5.0 * p * (1.0 - p) / 60.0, "PSTH variance {var}");
    }

    /// The firing statistics do not grow with the number of cells: 1,000 cells fire as
    /// sparsely as the 160-cell default (a few percent per bin; 0.5–15 % per cell).
    #[test]
    fn a_thousand_cells_fire_as_sparsely_as_the_default() {
        let s = RetinaSettings {
            cells: 1000,
            repeats: 10,
            bins: 300,
            seed: 5,
        };
        let r = s.generate().unwrap();
        let rates: Vec<f64> = r
            .up_counts()
            .iter()
            .map(|&c| c as f64 / r.n_samples() as f64)
            .collect();
        let mean = rates.iter().sum::<f64>() / rates.len() as f64;
        assert!(mean > 0.02 && mean < 0.07, "mean rate {mean}");
        // Each rate is estimated from 3,000 bins: allow a standard error's worth of room.
        let outside = rates
            .iter()
            .filter(|&&p| !(0.002..0.2).contains(&p))
            .count();
        assert_eq!(outside, 0, "{outside} cells outside 0.2–20 %");
    }
}
