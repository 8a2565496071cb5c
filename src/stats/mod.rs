//! Sufficient statistics: the [`Statistics`] trait, the moments used for validation, and the
//! agreement measures (Pearson r, slope, RMSE) between model and data values.

pub mod agreement;
pub mod collective;
pub mod k_pairwise;
pub mod moments;
pub mod reproducibility;
pub mod transitions;
pub mod triplets;

use nalgebra::{DMatrix, DVector};

use crate::raster::{Raster, Spin};

pub use agreement::{agreement, pearson, rmse, upper_triangle, Agreement};
pub use k_pairwise::{KStatistics, VLayout};
pub use moments::{Moments, PairStatistics};
pub use reproducibility::{activity, Faithfulness, SplitHalf};
pub use transitions::{LaggedMoments, TransitionStatistics};
pub use triplets::Triplets;

/// The sufficient statistics φ of a model: a vector with the shape of the model's parameters,
/// averaged over observations (configurations, or transitions for kinetic models).
///
/// The gradient of the log-likelihood is ⟨φ⟩_data − ⟨φ⟩_model, so a [`crate::Sampler`] and the
/// learning loop only need averages of φ. Implement [`Statistics::dim`] and
/// [`Statistics::accumulate`]; override [`Statistics::average`] when a faster path exists
/// (matrix products, bit operations). Averages are always `f64`, whatever the model's
/// precision: the loop takes the difference of two averages before rounding it to the
/// model's scalar.
///
/// ```
/// use spinfer::prelude::*;
///
/// /// φ(s) = (Σ_i s_i): the magnetisation of N spins.
/// struct Magnetisation;
///
/// impl Statistics for Magnetisation {
///     fn dim(&self) -> usize {
///         1
///     }
///     fn accumulate(&self, s: &[Spin], weight: f64, acc: &mut [f64]) {
///         acc[0] += weight * s.iter().map(|&x| x as f64).sum::<f64>();
///     }
/// }
///
/// let samples = Raster::from_configurations(3, [&[1, 1, -1][..], &[1, -1, -1][..]]);
/// assert_eq!(Magnetisation.average(&samples)[0], 0.0);
/// ```
pub trait Statistics: Send + Sync {
    /// Number of statistics (the number of model parameters).
    fn dim(&self) -> usize;

    /// Adds `weight · φ(s)` to `acc` for one observation `s`: a configuration of N spins (for
    /// transition statistics, the 2N entries [s(t), s(t+1)]).
    fn accumulate(&self, s: &[Spin], weight: f64, acc: &mut [f64]);

    /// Connected correlations derived from averaged statistics ⟨φ⟩, when the statistics hold
    /// them (for pair statistics C_ij = ⟨s_i s_j⟩ − ⟨s_i⟩⟨s_j⟩); used by the stopping rule on
    /// the Pearson correlation between model and data. The default has none.
    fn connected(&self, _averages: &[f64]) -> Option<Vec<f64>> {
        None
    }

    /// The average of φ over the samples of a raster, each sample one observation.
    fn average(&self, samples: &Raster) -> DVector<f64> {
        let mut acc = vec![0.0; self.dim()];
        let mut s = vec![0; samples.n_spins()];
        for t in 0..samples.n_samples() {
            samples.column_into(t, &mut s);
            self.accumulate(&s, 1.0, &mut acc);
        }
        let m = samples.n_samples().max(1) as f64;
        DVector::from_iterator(acc.len(), acc.iter().map(|&a| a / m))
    }

    /// A lower-variance estimate of ⟨φ⟩ from Markov-chain samples, given for each sample
    /// and spin the conditional mean c_i = E[s_i | s_∖i] (column t of `conditional` belongs
    /// to sample t). For statistics linear in each spin, replacing s_i by c_i keeps the
    /// estimate unbiased (Rao–Blackwell) and lowers its variance; for a pair s_i s_j the
    /// symmetric form ½ (c_i s_j + s_i c_j) does. The default has none, and the samplers
    /// then use [`Statistics::average`].
    fn average_conditional(
        &self,
        _samples: &Raster,
        _conditional: &DMatrix<f32>,
    ) -> Option<DVector<f64>> {
        None
    }
}

/// Index of the pair (i, j), i < j, in the row-major upper triangle of an N × N matrix:
/// (0,1), (0,2), …, (0,N−1), (1,2), …
#[inline]
pub fn pair_index(n: usize, i: usize, j: usize) -> usize {
    debug_assert!(i < j && j < n);
    i * (2 * n - i - 1) / 2 + (j - i - 1)
}

/// Number of pairs i < j among N spins.
#[inline]
pub fn n_pairs(n: usize) -> usize {
    n * n.saturating_sub(1) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_index_enumerates_the_upper_triangle_in_order() {
        let n = 7;
        let mut k = 0;
        for i in 0..n {
            for j in i + 1..n {
                assert_eq!(pair_index(n, i, j), k);
                k += 1;
            }
        }
        assert_eq!(k, n_pairs(n));
    }
}
