//! Sufficient statistics: the [`Statistics`] trait and the moments used for validation.

pub mod moments;
pub mod transitions;
pub mod triplets;

use nalgebra::DVector;

use crate::{raster::Raster, raster::Spin, Real};

pub use moments::{Moments, PairStatistics};
pub use transitions::{LaggedMoments, TransitionStatistics};
pub use triplets::Triplets;

/// The sufficient statistics φ of a model: a vector with the shape of the model's parameters,
/// averaged over observations (configurations, or transitions for kinetic models).
///
/// The gradient of the log-likelihood is ⟨φ⟩_data − ⟨φ⟩_model, so a [`crate::Sampler`] and the
/// learning loop only need averages of φ. Implement [`Statistics::accumulate`]; override
/// [`Statistics::average`] when a faster path exists (matrix products, bit operations).
pub trait Statistics<T: Real>: Send + Sync {
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
    fn average(&self, samples: &Raster) -> DVector<T> {
        let mut acc = vec![0.0; self.dim()];
        let mut s = vec![0; samples.n_spins()];
        for t in 0..samples.n_samples() {
            samples.column_into(t, &mut s);
            self.accumulate(&s, 1.0, &mut acc);
        }
        let m = samples.n_samples().max(1) as f64;
        DVector::from_iterator(acc.len(), acc.iter().map(|&a| T::cast(a / m)))
    }
}
