//! A synthetic recording with population bursts: an adapting, recurrently excited network
//! whose activity switches between a quiet state (many bins with no spike at all) and
//! synchronous events in which tens of cells fire in the same bin, as in retinas and
//! cortical cultures near criticality. Pairwise models of such data sit close to a
//! first-order transition between a quiet and a bursting mode, which single-site Monte
//! Carlo chains cross only rarely: the data set that replica exchange is for.
//!
//! Cell i fires in bin t with probability
//!
//! p_i(t) = σ(b_i + w_i K(t−1)/N + c_i z(t) − a_i(t)),  σ(v) = 1/(1 + e^{−v}),
//!
//! with K(t−1) the number of cells that fired in the previous bin (recurrent excitation of
//! gain w_i), z(t) a standard normal common input redrawn every bin, and a_i an adaptation
//! current that jumps by `ADAPTATION_JUMP` with each of the cell's spikes and decays with
//! a time constant of `ADAPTATION_BINS` bins: a burst ignites when a few cells fire
//! together, spreads through the excitation and is ended by the adaptation it builds up.
//! Baselines b_i are log-uniform in rate between 0.3 % and 3 % per bin.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::{Error, Raster, Result};

/// Shape and seed of a bursty recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BurstSettings {
    /// Number of cells.
    pub cells: usize,
    /// Number of 20 ms bins.
    pub bins: usize,
    /// Seed of the network and the spikes.
    pub seed: u64,
}

impl Default for BurstSettings {
    /// 100 cells, 60,000 bins (20 minutes of 20 ms bins).
    fn default() -> Self {
        BurstSettings {
            cells: 100,
            bins: 60_000,
            seed: 1,
        }
    }
}

/// Lowest and highest baseline firing probability per bin (outside bursts).
pub const BASELINE_RATES: (f64, f64) = (0.003, 0.03);
/// Mean gain of the recurrent excitation (per unit of the active fraction K/N).
const EXCITATION: f64 = 30.6;
/// Jump of a cell's adaptation current at each of its spikes.
const ADAPTATION_JUMP: f64 = 6.4;
/// Decay time of the adaptation, in bins.
const ADAPTATION_BINS: f64 = 6.0;

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

impl BurstSettings {
    /// Validates the shape.
    pub fn check(&self) -> Result<()> {
        if self.cells == 0 || self.cells > crate::model::MAX_DENSE_SPINS {
            return Err(Error::setting(
                "cells",
                self.cells,
                format!("in 1..={}", crate::model::MAX_DENSE_SPINS),
            ));
        }
        if self.bins < 2 {
            return Err(Error::setting("bins", self.bins, ">= 2"));
        }
        crate::raster::check_request("bins", self.bins, self.cells, self.bins)
    }

    /// Generates the raster: cells × bins.
    pub fn generate(&self) -> Result<Raster> {
        self.check()?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let n = self.cells;
        let uniform =
            |rng: &mut Xoshiro256PlusPlus| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let (lo, hi) = (BASELINE_RATES.0.ln(), BASELINE_RATES.1.ln());
        let baseline: Vec<f64> = (0..n)
            .map(|_| {
                let p = (lo + (hi - lo) * uniform(&mut rng)).exp();
                (p / (1.0 - p)).ln()
            })
            .collect();
        let gain: Vec<f64> = (0..n)
            .map(|_| EXCITATION * (0.7 + 0.6 * uniform(&mut rng)))
            .collect();
        let common: Vec<f64> = (0..n).map(|_| 0.2 + 0.3 * uniform(&mut rng)).collect();
        let decay = (-1.0 / ADAPTATION_BINS).exp();
        let mut adaptation = vec![0.0; n];
        let mut raster = Raster::zeros(n, self.bins);
        let mut active = 0usize;
        for t in 0..self.bins {
            let z: f64 = StandardNormal.sample(&mut rng);
            let excitation = active as f64 / n as f64;
            let mut fired = 0;
            for i in 0..n {
                let v = baseline[i] + gain[i] * excitation + common[i] * z - adaptation[i];
                let spike = uniform(&mut rng) < sigmoid(v);
                adaptation[i] = adaptation[i] * decay + if spike { ADAPTATION_JUMP } else { 0.0 };
                if spike {
                    raster.set(i, t, true);
                    fired += 1;
                }
            }
            active = fired;
        }
        Ok(raster)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bursty: many silent bins, yet bins with tens of active cells, far more than
    /// independent cells at the same rates would ever give.
    #[test]
    fn silent_bins_and_bursts_of_tens_of_cells() {
        let r = BurstSettings {
            cells: 100,
            bins: 20_000,
            seed: 2,
        }
        .generate()
        .unwrap();
        assert_eq!(
            r,
            BurstSettings {
                cells: 100,
                bins: 20_000,
                seed: 2
            }
            .generate()
            .unwrap()
        );
        let k = r.column_up_counts();
        let silent = k.iter().filter(|&&c| c == 0).count() as f64 / k.len() as f64;
        let largest = *k.iter().max().unwrap();
        let mean = k.iter().map(|&c| c as f64).sum::<f64>() / k.len() as f64;
        eprintln!("silent {silent}, largest {largest}, mean {mean}");
        assert!(silent > 0.1 && silent < 0.6, "silent share {silent}");
        // Independent cells with mean count μ: P(K ≥ 30) is below 1e-12 for μ < 6.
        assert!(largest >= 30, "largest event {largest} cells");
        let bursts = k.iter().filter(|&&c| c >= 20).count();
        assert!(bursts > 100, "{bursts} bins with 20 or more cells");
    }
}
