//! The statistics of the K-pairwise model: φ(s) = (s_i, s_i s_j for i < j, and for each V
//! parameter the indicator that K(s) is one of the counts it covers).

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::{n_pairs, PairStatistics, Statistics};
use crate::{raster::Spin, Raster};

/// Which counts K carry a parameter of V: V(K) = 0 for K < `first`, one parameter per K
/// for `first` ≤ K < `top`, and one shared by every K ≥ `top`.
///
/// Exact fits take `first` = 3: a V quadratic in K is a uniform field and a uniform
/// coupling (Σ_i s_i = 2K − N, Σ_{i<j} s_i s_j = ((2K − N)² − N)/2) plus a constant, so
/// only its departure from a quadratic is a parameter of its own, and fixing
/// V(0) = V(1) = V(2) = 0 makes the maximum exist and be unique: with fewer pinned, fields,
/// couplings and V can trade a quadratic against each other on the counts of the data
/// while pushing P(K) of the unseen counts above `top` to 0, so the likelihood climbs
/// without a maximum (an exact L-BFGS fit runs its parameters into the thousands).
/// Monte Carlo fits take `first` = 1 ([`VLayout::for_sampled_fit`]). Fits take `top` = the
/// largest K in the data, so that every parameter has data behind it (a K never seen would
/// have its V run to −∞). A model read from a file has every V(K) as a parameter
/// ([`VLayout::every`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VLayout {
    /// The smallest K with a parameter.
    pub first: usize,
    /// The K from which on one parameter is shared.
    pub top: usize,
}

impl VLayout {
    /// Every V(K), K = 0..=N, a parameter of its own.
    pub fn every(n: usize) -> Self {
        VLayout { first: 0, top: n }
    }

    /// The layout an exact fit of `data` uses: V(0..3) fixed at 0, one parameter per K up
    /// to the largest K of the data, which is shared by every larger K.
    pub fn for_data(data: &Raster) -> Self {
        let top = Self::largest_count(data);
        VLayout {
            first: 3.min(top + 1),
            top,
        }
    }

    /// The layout a Monte Carlo fit of `data` uses: only V(0) fixed at 0 (adding a
    /// constant to V changes nothing), so that V(1) and V(2) move P(1) and P(2) directly.
    /// With V(1) and V(2) pinned, those move only through all N fields and N(N−1)/2
    /// couplings at once, which first-order steps do slowly: on the 160-cell synthetic
    /// retina the default fit ended 8 × the split-half difference away in P(K), mostly at
    /// K ≤ 2, where this layout converges within it. Unless the data reach K = N the
    /// likelihood has no maximum here (see [`VLayout`]), but the direction it climbs along
    /// only drains P(K > `top`), which the faithfulness rule stops long before.
    pub fn for_sampled_fit(data: &Raster) -> Self {
        let top = Self::largest_count(data);
        VLayout {
            first: 1.min(top + 1),
            top,
        }
    }

    /// The largest number of active cells in one sample of `data`.
    fn largest_count(data: &Raster) -> usize {
        data.column_up_counts().into_iter().max().unwrap_or(0) as usize
    }

    /// Number of V parameters.
    pub fn len(&self) -> usize {
        if self.top >= self.first {
            self.top - self.first + 1
        } else {
            0
        }
    }

    /// Whether V has no parameter (then the model is the pairwise model).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The V parameter that count `k` reads, if any (0-based among the V parameters).
    #[inline]
    pub fn parameter_of(&self, k: usize) -> Option<usize> {
        (k >= self.first && self.top >= self.first).then(|| k.min(self.top) - self.first)
    }
}

/// φ of `model::KPairwise` with the V parameters of `layout`.
#[derive(Clone, Debug)]
pub struct KStatistics {
    pairs: PairStatistics,
    n: usize,
    layout: VLayout,
}

impl KStatistics {
    /// The statistics of a K-pairwise model of `n` cells with the V parameters of `layout`.
    pub fn new(n: usize, layout: VLayout) -> Self {
        KStatistics {
            pairs: PairStatistics::new(n),
            n,
            layout,
        }
    }

    fn pairwise_len(&self) -> usize {
        self.n + n_pairs(self.n)
    }

    /// The V indicators averaged over the samples: P(K in the counts of each parameter).
    fn activity(&self, samples: &Raster) -> Vec<f64> {
        let mut p = vec![0.0; self.layout.len()];
        let m = samples.n_samples().max(1) as f64;
        for k in samples.column_up_counts() {
            if let Some(q) = self.layout.parameter_of(k as usize) {
                p[q] += 1.0 / m;
            }
        }
        p
    }
}

impl Statistics for KStatistics {
    fn dim(&self) -> usize {
        self.pairwise_len() + self.layout.len()
    }

    fn accumulate(&self, s: &[Spin], weight: f64, acc: &mut [f64]) {
        let p = self.pairwise_len();
        self.pairs.accumulate(s, weight, &mut acc[..p]);
        let k = s.iter().filter(|&&x| x > 0).count();
        if let Some(q) = self.layout.parameter_of(k) {
            acc[p + q] += weight;
        }
    }

    fn connected(&self, averages: &[f64]) -> Option<Vec<f64>> {
        self.pairs.connected(&averages[..self.pairwise_len()])
    }

    /// Pair moments by popcounts and the histogram of K: no per-sample loop over pairs.
    fn average(&self, samples: &Raster) -> DVector<f64> {
        let pairs = self.pairs.average(samples);
        let v = self.activity(samples);
        DVector::from_iterator(self.dim(), pairs.iter().copied().chain(v))
    }

    /// The pairs Rao–Blackwellised as [`PairStatistics`] does (E[s_i s_j] = E[c_i s_j] holds
    /// under any model), the indicators of K from the samples themselves.
    fn average_conditional(
        &self,
        samples: &Raster,
        conditional: &DMatrix<f32>,
    ) -> Option<DVector<f64>> {
        let pairs = self.pairs.average_conditional(samples, conditional)?;
        let v = self.activity(samples);
        Some(DVector::from_iterator(
            self.dim(),
            pairs.iter().copied().chain(v),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Five spins, the largest count of active cells `top`.
    fn data_up_to(top: usize) -> Raster {
        let configs: Vec<Vec<Spin>> = (0..=top)
            .map(|k| (0..5).map(|i| if i < k { 1 } else { -1 }).collect())
            .collect();
        Raster::from_configurations(5, configs.iter().map(|c| c.as_slice()))
    }

    #[test]
    fn exact_fits_pin_v0_to_v2_and_sampled_fits_only_v0() {
        for top in [0, 1, 2, 4, 5] {
            let data = data_up_to(top);
            let exact = VLayout::for_data(&data);
            let sampled = VLayout::for_sampled_fit(&data);
            assert_eq!(
                exact,
                VLayout {
                    first: 3.min(top + 1),
                    top
                }
            );
            assert_eq!(
                sampled,
                VLayout {
                    first: 1.min(top + 1),
                    top
                }
            );
            assert_eq!(sampled.parameter_of(0), None);
            assert_eq!(exact.parameter_of(2), None);
        }
    }
}
