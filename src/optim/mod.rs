//! Optimisers: gradient ascent rules with explicit state, interchangeable in the loop.
//!
//! **Learning rates and the size of the model.** The log-likelihood per sample has the
//! gradient ⟨φ⟩_data − ⟨φ⟩_θ and the curvature −Cov_θ(φ). The built-in statistics are
//! intensive (one per cell or pair: their variances stay of order 1 whatever N), so the
//! default rates need no scaling. Statistics that sum over the N sites of a model (the
//! lattice's Σ_i s_i and Σ_⟨ij⟩ s_i s_j, a K-pairwise indicator summed over cells) have
//! variances that grow as N: a plain or momentum step stays stable only below 2 / λ_max of
//! that curvature, so its rate must shrink as 1/N (`examples/lattice.rs` takes 16/N, stable
//! from L = 4 to L = 16). Adam divides each step by the gradient's own running scale and
//! needs no such scaling; the same holds for L-BFGS, which measures the curvature.

pub mod adam;
pub mod any;
pub mod momentum;
pub mod sgd;

use nalgebra::DVector;
use serde::{de::DeserializeOwned, Serialize};

use crate::Real;

pub use adam::Adam;
pub use any::{AnyOptimizer, AnyState, OptimizerKind};
pub use momentum::Momentum;
pub use sgd::Sgd;

/// A gradient-ascent rule θ ← θ + Δ(g, state). The state is explicit (and serialisable), so
/// a checkpoint is parameters + optimiser state + sampler state.
///
/// ```
/// use spinfer::prelude::*;
/// use spinfer::nalgebra::DVector;
///
/// // Ascend −(x − 1)²: the gradient is −2 (x − 1).
/// let adam = Adam::with_lr(0.1);
/// adam.check().unwrap();
/// let mut x = DVector::from_vec(vec![0.0f64]);
/// let mut state = adam.init(1);
/// for _ in 0..500 {
///     let g = x.map(|v| -2.0 * (v - 1.0));
///     adam.step(&mut x, &g, &mut state);
/// }
/// assert!((x[0] - 1.0).abs() < 1e-3);
/// ```
pub trait Optimizer: Send + Sync {
    /// What the rule carries between steps (velocity, moment estimates, step count), for
    /// parameters of scalar type `T`.
    type State<T: Real>: Clone + Send + Sync + Serialize + DeserializeOwned;

    /// The state before the first step, for `dim` parameters.
    fn init<T: Real>(&self, dim: usize) -> Self::State<T>;

    /// One ascent step along `gradient` (the gradient of the log-likelihood).
    fn step<T: Real>(
        &self,
        params: &mut DVector<T>,
        gradient: &DVector<T>,
        state: &mut Self::State<T>,
    );

    /// Validates the settings (learning rate > 0, ...).
    fn check(&self) -> crate::Result<()>;

    /// Validates a state restored from a checkpoint for `dim` parameters (sizes, finite
    /// values), so that [`Optimizer::step`] cannot index out of bounds.
    fn check_state<T: Real>(&self, dim: usize, state: &Self::State<T>) -> crate::Result<()>;

    /// The nominal step size η, used by proximal steps (the L1 penalty shrinks parameters by
    /// η λ₁ per step).
    fn learning_rate(&self) -> f64;
}

pub(crate) fn check_learning_rate(lr: f64) -> crate::Result<()> {
    if lr.is_finite() && lr > 0.0 {
        Ok(())
    } else {
        Err(crate::Error::setting("lr", lr, "a finite number > 0"))
    }
}

pub(crate) fn check_beta(name: &'static str, beta: f64) -> crate::Result<()> {
    if (0.0..1.0).contains(&beta) {
        Ok(())
    } else {
        Err(crate::Error::setting(name, beta, "in [0, 1)"))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use nalgebra::DMatrix;

    /// Ascends −½ (x − a)ᵀ A (x − a) for an ill-conditioned positive-definite A and returns
    /// the final distance to the maximiser a.
    pub fn distance_after_ascent<O: Optimizer>(opt: &O, iters: usize) -> f64 {
        let a = DVector::from_vec(vec![1.0, -2.0, 0.5]);
        let m = DMatrix::from_row_slice(3, 3, &[3.0, 0.5, 0.0, 0.5, 1.0, 0.2, 0.0, 0.2, 0.3]);
        let mut x = DVector::zeros(3);
        let mut state = opt.init::<f64>(3);
        for _ in 0..iters {
            let g = -(&m * (&x - &a));
            opt.step(&mut x, &g, &mut state);
        }
        (x - a).norm()
    }

    #[test]
    fn every_optimiser_reaches_the_maximum_of_a_concave_quadratic() {
        assert!(distance_after_ascent(&Sgd { lr: 0.3 }, 2000) < 1e-8);
        assert!(distance_after_ascent(&Momentum { lr: 0.1, beta: 0.9 }, 2000) < 1e-8);
        assert!(distance_after_ascent(&Adam::with_lr(0.05), 4000) < 1e-6);
    }

    #[test]
    fn bad_learning_rates_and_betas_are_invalid_settings() {
        use crate::Error;
        let e = Sgd { lr: 0.0 }.check().unwrap_err();
        assert!(matches!(e, Error::InvalidSetting { name: "lr", .. }));
        let e = Momentum { lr: 0.1, beta: 1.0 }.check().unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidSetting {
                name: "momentum",
                ..
            }
        ));
        let bad = Adam {
            beta2: -0.1,
            ..Adam::with_lr(0.1)
        };
        let e = bad.check().unwrap_err();
        assert!(matches!(e, Error::InvalidSetting { name: "beta2", .. }));
    }
}
