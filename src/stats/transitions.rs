//! Statistics of transitions s(t) → s(t+1): the kinetic model's sufficient statistics and
//! time-lagged correlations.

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use super::Statistics;
use crate::{
    kernels::bits::{xor_popcount_table, BLOCK_ROWS},
    raster::{Raster, Spin},
    Transitions,
};

/// ⟨s_i(t+1)⟩ and the lagged moments ⟨s_i(t+1) s_j(t)⟩ over the T−1 transitions of a series.
#[derive(Clone, Debug)]
pub struct LaggedMoments {
    /// Number of transitions averaged.
    pub transitions: usize,
    /// ⟨s_i(t)⟩ over the source states t = 1..T−1.
    pub means_before: DVector<f64>,
    /// ⟨s_i(t+1)⟩ over the target states.
    pub means_after: DVector<f64>,
    /// L_ij = ⟨s_i(t+1) s_j(t)⟩.
    pub lagged: DMatrix<f64>,
}

impl LaggedMoments {
    /// Lagged moments of a continuous time series ([`Transitions::from_series`]).
    pub fn of(series: &Raster) -> LaggedMoments {
        Self::of_transitions(&Transitions::from_series(series))
    }

    /// Lagged moments of a set of transitions by popcounts: L_ij = 1 − 2 d_ij/K, with d_ij
    /// the number of the K transitions where s_i(t+1) ≠ s_j(t).
    pub fn of_transitions(transitions: &Transitions) -> LaggedMoments {
        let n = transitions.n_spins();
        let k = transitions.len();
        let (before, after) = (transitions.before(), transitions.after());
        let kf = k.max(1) as f64;
        // Blocks of source rows j against every target row i: each target row is read once
        // per block (the rows do not fit in cache at 1,000 cells).
        let starts: Vec<usize> = (0..n).step_by(BLOCK_ROWS).collect();
        let blocks: Vec<Vec<u64>> = starts
            .par_iter()
            .map(|&j0| {
                let sources: Vec<&[u64]> = (j0..(j0 + BLOCK_ROWS).min(n))
                    .map(|j| before.row(j))
                    .collect();
                xor_popcount_table(&sources, (0..n).map(|i| after.row(i)))
            })
            .collect();
        let mut lagged = DMatrix::zeros(n, n);
        for (&j0, block) in starts.iter().zip(&blocks) {
            let width = BLOCK_ROWS.min(n - j0);
            for (i, counts) in block.chunks_exact(width).enumerate() {
                for (dj, &d) in counts.iter().enumerate() {
                    lagged[(i, j0 + dj)] = 1.0 - 2.0 * d as f64 / kf;
                }
            }
        }
        LaggedMoments {
            transitions: k,
            means_before: DVector::from_vec(before.means()),
            means_after: DVector::from_vec(after.means()),
            lagged,
        }
    }

    /// Connected lagged correlations ⟨s_i(t+1) s_j(t)⟩ − ⟨s_i(t+1)⟩⟨s_j(t)⟩.
    pub fn connected(&self) -> DMatrix<f64> {
        &self.lagged - &self.means_after * self.means_before.transpose()
    }
}

/// The kinetic model's statistics φ = (s(t+1), s(t+1) s(t)ᵀ), J part column-major, averaged
/// over the transitions of a time series. Dimension N + N².
#[derive(Clone, Copy, Debug)]
pub struct TransitionStatistics {
    n: usize,
}

impl TransitionStatistics {
    /// Statistics of N spins.
    pub fn new(n: usize) -> Self {
        TransitionStatistics { n }
    }
}

impl Statistics for TransitionStatistics {
    fn dim(&self) -> usize {
        self.n + self.n * self.n
    }

    /// `s` holds [s(t), s(t+1)].
    fn accumulate(&self, s: &[Spin], weight: f64, acc: &mut [f64]) {
        let n = self.n;
        let (before, after) = s.split_at(n);
        for i in 0..n {
            let wi = weight * after[i] as f64;
            acc[i] += wi;
            for (j, &sj) in before.iter().enumerate() {
                acc[n + i + n * j] += wi * sj as f64;
            }
        }
    }

    /// Averages over the T−1 transitions of the series (not over samples).
    fn average(&self, series: &Raster) -> DVector<f64> {
        self.average_transitions(&Transitions::from_series(series))
    }
}

impl TransitionStatistics {
    /// Averages φ over a set of transitions.
    pub fn average_transitions(&self, transitions: &Transitions) -> DVector<f64> {
        self.from_lagged(&LaggedMoments::of_transitions(transitions))
    }

    /// φ averaged, from the lagged moments of the transitions: (⟨s(t+1)⟩, L column-major).
    pub fn from_lagged(&self, m: &LaggedMoments) -> DVector<f64> {
        let n = self.n;
        let mut out = DVector::zeros(n + n * n);
        for i in 0..n {
            out[i] = m.means_after[i];
        }
        out.as_mut_slice()[n..].copy_from_slice(m.lagged.as_slice());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popcount_average_equals_the_per_transition_definition() {
        // 4 cells: one block of source rows; 7: a full block and a partial one.
        for n in [4, 7] {
            let mut r = Raster::zeros(n, 150);
            for i in 0..n {
                for t in 0..150 {
                    r.set(i, t, (t * t + 3 * i + t * i) % 5 < 2);
                }
            }
            let stats = TransitionStatistics::new(n);
            let fast = stats.average(&r);
            let mut acc = vec![0.0; n + n * n];
            for t in 0..149 {
                let mut s = r.column(t);
                s.extend(r.column(t + 1));
                stats.accumulate(&s, 1.0, &mut acc);
            }
            for (k, a) in acc.iter().enumerate() {
                approx::assert_abs_diff_eq!(fast[k], a / 149.0, epsilon = 1e-12);
            }
        }
    }
}
