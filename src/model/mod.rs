//! Models: the [`Energy`] trait (flat parameters with constraints) and [`FlipEnergy`]
//! (configuration energies with cheap single-spin flips, for Monte Carlo and enumeration).

pub mod ising;
pub mod kinetic;

pub use ising::Ising;
pub use kinetic::{KineticIsing, KineticOptions};

use std::ops::Range;

use nalgebra::DVector;

use crate::{raster::Spin, Real};

/// Largest N of the dense models: J takes 8·N² bytes (537 MB at N = 8192), and a bigger
/// request is refused with an error rather than an allocation failure.
pub const MAX_DENSE_SPINS: usize = 8192;

/// Refuses N above [`MAX_DENSE_SPINS`].
pub fn check_dense_size(n: usize) -> crate::Result<()> {
    if n > MAX_DENSE_SPINS {
        return Err(crate::Error::Shape(format!(
            "{n} spins: dense models take at most {MAX_DENSE_SPINS} (J needs 8·N² bytes)"
        )));
    }
    Ok(())
}

/// A named block of parameters (for example "h" or "J"), used for per-block reports
/// (max |gradient| of h and of J) and per-block penalties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamGroup {
    /// Short name: "h", "J", ...
    pub name: &'static str,
    /// Indices of the block in the flat parameter vector.
    pub range: Range<usize>,
}

/// A spin model with its parameters θ in one flat vector, so every optimiser works on every
/// model.
///
/// The learning loop assumes an exponential family in θ: the log-likelihood of data D is
/// L(θ) = θ · φ̄_D − A(θ), where φ̄_D is the data average of the model's sufficient
/// statistics (its [`crate::Statistics`]) and A the log-partition (log Z for an equilibrium
/// model, ⟨Σ_i log 2cosh θ_i(t)⟩_t for the kinetic one). Then ∇L = φ̄_D − ⟨φ⟩_θ.
pub trait Energy<T: Real>: Clone + Send + Sync {
    /// Number of spins N.
    fn n_spins(&self) -> usize;

    /// The flat parameter vector θ.
    fn params(&self) -> &DVector<T>;

    /// Mutable access to θ. Call [`Energy::project`] after changing it.
    fn params_mut(&mut self) -> &mut DVector<T>;

    /// Re-imposes the model's constraints on θ (symmetry, zero diagonal, ...) and refreshes
    /// any cache derived from θ. Called by the loop after every step.
    fn project(&mut self);

    /// Projects a gradient onto the allowed directions (for example its symmetric part for a
    /// symmetric coupling matrix). The default leaves it unchanged.
    fn project_gradient(&self, _gradient: &mut DVector<T>) {}

    /// The parameter blocks, in order, covering 0..θ.len().
    fn groups(&self) -> Vec<ParamGroup>;

    /// Turns the gradient g into the ascent direction D Aᵀ g in a better-conditioned
    /// parametrisation θ' with θ = A θ' (the centred parameters, see [`Centering`]), D a
    /// positive (semi-)definite scaling. When asked to, the loop hands this direction to the
    /// optimiser, whose step Δθ' is then mapped back by [`Energy::uncentre_step`]: for plain
    /// gradient ascent Δθ = η A D Aᵀ g, still an ascent direction. The default is the
    /// identity.
    fn centred_direction(&self, _gradient: &mut DVector<T>, _centering: &Centering) {}

    /// Maps a step Δθ' in the centred parameters back to Δθ = A Δθ' (for both Ising models
    /// Δh_i = Δh'_i − Σ_j ΔJ_ij m_j, ΔJ = ΔJ'). The default is the identity.
    fn uncentre_step(&self, _step: &mut DVector<T>, _centering: &Centering) {}

    /// Replaces θ and re-imposes the constraints.
    fn set_params(&mut self, params: &DVector<T>) {
        self.params_mut().copy_from(params);
        self.project();
    }
}

/// An equilibrium model P(s) = exp(−E(s)) / Z over configurations s ∈ {−1, +1}^N whose energy
/// change under a single flip is cheap, given a cache of local quantities (for the Ising
/// model, the local fields f_i = h_i + Σ_j J_ij s_j).
///
/// Metropolis, Gibbs and exact enumeration need only this.
pub trait FlipEnergy<T: Real>: Energy<T> {
    /// What a chain keeps between flips to make [`FlipEnergy::flip_delta`] O(1).
    type Local: Clone + Send + Sync;

    /// The energy E(s) = −θ · φ(s).
    fn energy(&self, s: &[Spin]) -> T;

    /// Builds the cache for configuration `s`.
    fn local(&self, s: &[Spin]) -> Self::Local;

    /// E(s with s_i flipped) − E(s).
    fn flip_delta(&self, s: &[Spin], local: &Self::Local, i: usize) -> T;

    /// Flips s_i and updates the cache.
    fn flip(&self, s: &mut [Spin], local: &mut Self::Local, i: usize);
}

/// The two blocks of both Ising models: fields h (the first N parameters), then couplings J.
pub fn fields_then_couplings(n: usize, len: usize) -> Vec<ParamGroup> {
    vec![
        ParamGroup {
            name: "h",
            range: 0..n,
        },
        ParamGroup {
            name: "J",
            range: n..len,
        },
    ]
}

/// Data means for centred learning.
///
/// Spike data are mostly −1, so in the ±1 parametrisation a field h_i and the couplings
/// Σ_j J_ij s_j move θ_i almost identically and gradient ascent zig-zags. Writing
/// s = m + δ with m the data means gives the centred parameters h'_i = h_i + Σ_j J_ij m_j.
/// The loop hands the optimiser the direction D Aᵀ g in (h', J), each direction scaled by the
/// inverse variances 1/(1 − m²) (a diagonal approximation of the Fisher information), with A
/// the Jacobian of (h', J) ↦ (h, J) and D the scaling, and maps the optimiser's step Δθ'
/// back to Δθ = A Δθ'. For plain gradient ascent that is the direction A D Aᵀ g, a positive
/// semi-definite transform of the gradient and so still an ascent direction; Adam's and
/// momentum's per-parameter rules then act on the centred parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Centering {
    /// Means of the spins that condition (s(t) for kinetic models; the data for equilibrium).
    pub before: Vec<f64>,
    /// Means of the spins that are predicted (s(t+1); the data for equilibrium).
    pub after: Vec<f64>,
    /// Inverse of the connected covariance ⟨δ δᵀ⟩ of the conditioning spins (regularised),
    /// when known: then the coupling directions are scaled by it instead of by 1/(1 − m²),
    /// which also undoes the correlations between inputs.
    pub inverse_covariance: Option<nalgebra::DMatrix<f64>>,
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
    pub fn transitions(transitions: &crate::Transitions) -> Self {
        let m = crate::stats::Moments::of(transitions.before());
        let n = m.means.len();
        let c = m.connected() + nalgebra::DMatrix::identity(n, n) * Self::MIN_VARIANCE;
        let inverse = c.cholesky().map(|ch| ch.inverse());
        Centering {
            before: m.means.iter().cloned().collect(),
            after: crate::stats::Moments::of(transitions.after())
                .means
                .iter()
                .cloned()
                .collect(),
            inverse_covariance: inverse,
        }
    }

    /// 1 − m², clamped below.
    pub fn variance(m: f64) -> f64 {
        (1.0 - m * m).max(Self::MIN_VARIANCE)
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
