//! Data means (and input covariance) for the centred parametrisation of the Ising models.

use std::sync::Arc;

use nalgebra::DMatrix;

use crate::{stats::Moments, Transitions};

/// Data means for centred learning.
///
/// Spike data are mostly −1, so in the ±1 parametrisation a field h_i and the couplings
/// Σ_j J_ij s_j move θ_i almost identically and gradient ascent zig-zags. Writing
/// s = m + δ with m the data means gives the centred parameters h'_i = h_i + Σ_j J_ij m_j,
/// θ = A θ' with A the Jacobian of (h', J) ↦ (h, J). The solvers take steps along
/// D Aᵀ g with D a positive scaling close to the inverse curvature (the inverse variances
/// 1/(1 − m²), or the inverse input covariance of the kinetic model), and map a step Δθ'
/// back to Δθ = A Δθ'. For plain gradient ascent that is the direction A D Aᵀ g, a positive
/// semi-definite transform of the gradient and so still an ascent direction; for
/// quasi-Newton it is a fixed change of variables with D as the initial inverse curvature.
#[derive(Clone, Debug, PartialEq)]
pub struct Centering {
    /// Means of the spins that condition (s(t) for kinetic models; the data for equilibrium).
    pub before: Vec<f64>,
    /// Means of the spins that are predicted (s(t+1); the data for equilibrium).
    pub after: Vec<f64>,
    /// Inverse of the connected covariance ⟨δ δᵀ⟩ of the conditioning spins (regularised),
    /// when known: then the coupling directions are scaled by it instead of by 1/(1 − m²),
    /// which also undoes the correlations between inputs. Shared, so that the solvers'
    /// copies of the centring do not copy its N × N values.
    pub inverse_covariance: Option<Arc<DMatrix<f64>>>,
}

impl Centering {
    /// Variances below this are clamped (a cell that never fires has variance 0).
    pub const MIN_VARIANCE: f64 = 1e-3;

    /// Equilibrium centring from data means.
    pub fn equilibrium(means: &[f64]) -> Self {
        Centering {
            before: means.to_vec(),
            after: means.to_vec(),
            inverse_covariance: None,
        }
    }

    /// Centring for a set of transitions: source and target means and the inverse of the
    /// sources' connected covariance C + εI (ε = [`Centering::MIN_VARIANCE`]).
    pub fn transitions(transitions: &Transitions) -> Self {
        let m = Moments::of(transitions.before());
        let n = m.means.len();
        let c = m.connected() + DMatrix::identity(n, n) * Self::MIN_VARIANCE;
        let inverse = c.cholesky().map(|ch| Arc::new(ch.inverse()));
        Centering {
            before: m.means.iter().cloned().collect(),
            // Only the targets' means: their up counts, not a matrix of pair moments.
            after: transitions.after().means(),
            inverse_covariance: inverse,
        }
    }

    /// 1 − m², clamped below.
    pub fn variance(m: f64) -> f64 {
        (1.0 - m * m).max(Self::MIN_VARIANCE)
    }
}
