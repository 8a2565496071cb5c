//! Models: the [`Energy`] trait (flat parameters with constraints) and [`FlipEnergy`]
//! (configuration energies with cheap single-spin flips, for Monte Carlo and enumeration).

pub mod centering;
pub mod equilibrium;
pub mod ising;
pub mod k_pairwise;
pub mod kinetic;

pub use centering::Centering;
pub use equilibrium::{Equilibrium, EquilibriumLocal};
pub use ising::Ising;
pub use k_pairwise::{KPairwise, VLayout};
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

/// What a block of parameters is, for penalties and reports: penalties on fields and on
/// couplings have their own strengths, and other parameters are not penalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Single-spin terms (fields h_i).
    Fields,
    /// Interactions between spins (couplings J_ij).
    Couplings,
    /// Anything else (for example a potential on the number of active spins).
    Other,
}

/// A named block of parameters (for example "h" or "J") with its [`Role`], used for per-block
/// reports (max |gradient| of h and of J) and per-block penalties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamGroup {
    /// Short name: "h", "J", ...
    pub name: &'static str,
    /// What the block is.
    pub role: Role,
    /// Indices of the block in the flat parameter vector.
    pub range: Range<usize>,
}

impl ParamGroup {
    /// A block of fields.
    pub fn fields(name: &'static str, range: Range<usize>) -> Self {
        ParamGroup {
            name,
            role: Role::Fields,
            range,
        }
    }

    /// A block of couplings.
    pub fn couplings(name: &'static str, range: Range<usize>) -> Self {
        ParamGroup {
            name,
            role: Role::Couplings,
            range,
        }
    }

    /// A block of other parameters (never penalised).
    pub fn other(name: &'static str, range: Range<usize>) -> Self {
        ParamGroup {
            name,
            role: Role::Other,
            range,
        }
    }
}

/// A spin model with its parameters θ in one flat vector, so every solver works on every
/// model.
///
/// The learning loop assumes an exponential family in θ: the log-likelihood of data D is
/// L(θ) = θ · φ̄_D − A(θ), where φ̄_D is the data average of the model's sufficient
/// statistics (its [`crate::Statistics`]) and A the log-partition (log Z for an equilibrium
/// model, ⟨Σ_i log 2cosh θ_i(t)⟩_t for the kinetic one). Then ∇L = φ̄_D − ⟨φ⟩_θ.
///
/// Only [`Energy::n_spins`], [`Energy::params`] and [`Energy::params_mut`] are required;
/// constraints, parameter groups and the centred parametrisation have defaults.
///
/// ```
/// use spinfer::prelude::*;
///
/// // The Ising model's θ = (h_1..h_N, J_ij for i < j), in two groups.
/// let mut model = Ising::<f64>::zeros(4);
/// assert_eq!(model.params().len(), 4 + 6);
/// let mut theta = model.params().clone();
/// theta[4] = 0.5; // J_12
/// model.set_params(&theta); // copies θ and re-imposes the model's constraints (`project`)
/// assert_eq!(model.couplings()[(0, 1)], 0.5);
/// let roles: Vec<Role> = model.groups().iter().map(|g| g.role).collect();
/// assert_eq!(roles, [Role::Fields, Role::Couplings]);
/// ```
pub trait Energy<T: Real>: Clone + Send + Sync {
    /// Number of spins N.
    fn n_spins(&self) -> usize;

    /// The flat parameter vector θ.
    fn params(&self) -> &DVector<T>;

    /// Mutable access to θ. Call [`Energy::project`] after changing it.
    fn params_mut(&mut self) -> &mut DVector<T>;

    /// Re-imposes the model's constraints on θ (symmetry, zero diagonal, ...) and refreshes
    /// any cache derived from θ. Called by the loop after every step. The default does
    /// nothing (no constraints, no cache).
    fn project(&mut self) {}

    /// Projects a gradient (or a step) onto the allowed directions: an orthogonal projection,
    /// for example onto the symmetric part of a symmetric coupling matrix. The default leaves
    /// it unchanged.
    fn project_gradient(&self, _gradient: &mut DVector<f64>) {}

    /// The parameter blocks, in order, covering 0..θ.len(). The default is one block "θ" of
    /// [`Role::Other`].
    fn groups(&self) -> Vec<ParamGroup> {
        vec![ParamGroup::other("θ", 0..self.params().len())]
    }

    /// The gradient in the centred parametrisation θ' (θ = A θ', see [`Centering`]):
    /// g ← Aᵀ g. For both Ising models h'_i = h_i + Σ_j J_ij m_j, so
    /// ∂L/∂J'_ij = ∂L/∂J_ij − m_j ∂L/∂h_i (plus the mirrored term for a symmetric J).
    /// The default is the identity.
    fn centre_gradient(&self, _gradient: &mut DVector<f64>, _centering: &Centering) {}

    /// A positive (semi-)definite scaling D of a centred gradient, close to the inverse
    /// curvature: the solvers step along D Aᵀ g. The default is the identity.
    fn precondition(&self, _gradient: &mut DVector<f64>, _centering: &Centering) {}

    /// Maps a step Δθ' in the centred parameters back to Δθ = A Δθ' (for both Ising models
    /// Δh_i = Δh'_i − Σ_j ΔJ_ij m_j, ΔJ = ΔJ'). The default is the identity.
    fn uncentre_step(&self, _step: &mut DVector<f64>, _centering: &Centering) {}

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
/// Metropolis, Gibbs and exact enumeration need only this. Required: [`FlipEnergy::energy`]
/// and [`FlipEnergy::flip_delta`]; a model with a cache also builds it ([`FlipEnergy::local`])
/// and updates it after a flip ([`FlipEnergy::flipped`]). The library flips the spin itself
/// ([`flip`]). [`crate::testing::check_model`] checks all of these against each other.
///
/// ```
/// use spinfer::prelude::*;
/// use spinfer::model::flip;
///
/// let model = Ising::<f64>::planted(5, &mut spinfer::seeded(1));
/// let mut s: Vec<Spin> = vec![1, -1, 1, 1, -1];
/// let mut local = model.local(&s);
/// let (before, delta) = (model.energy(&s), model.flip_delta(&s, &local, 2));
/// flip(&model, &mut s, &mut local, 2);
/// assert!((model.energy(&s) - before - delta).abs() < 1e-12);
/// assert_eq!(s[2], -1);
/// ```
pub trait FlipEnergy<T: Real>: Energy<T> {
    /// What a chain keeps between flips to make [`FlipEnergy::flip_delta`] cheap; `()` for
    /// none.
    type Local: Clone + Send + Sync + Default;

    /// The energy E(s) = −θ · φ(s).
    fn energy(&self, s: &[Spin]) -> T;

    /// Builds the cache for configuration `s`. The default is `Local::default()`, right for
    /// a model without a cache.
    fn local(&self, _s: &[Spin]) -> Self::Local {
        Self::Local::default()
    }

    /// E(s with s_i flipped) − E(s).
    fn flip_delta(&self, s: &[Spin], local: &Self::Local, i: usize) -> T;

    /// Updates the cache after spin i was flipped: `s` already holds the new configuration.
    /// The default does nothing (no cache).
    fn flipped(&self, _s: &[Spin], _local: &mut Self::Local, _i: usize) {}

    /// For a pairwise model E(s) = −Σ_i h_i s_i − ½ Σ_ij J_ij s_i s_j (J symmetric, zero
    /// diagonal): its fields and dense couplings, so that the samplers can run their
    /// vectorised kernel. The default is `None` (the generic single-flip kernel).
    fn pairwise(&self) -> Option<Pairwise<'_, T>> {
        None
    }
}

/// The fields and couplings of a pairwise model (see [`FlipEnergy::pairwise`]).
#[derive(Clone, Copy, Debug)]
pub struct Pairwise<'a, T: Real> {
    /// h, N entries.
    pub fields: &'a [T],
    /// J, N × N column-major, symmetric with a zero diagonal.
    pub couplings: &'a [T],
}

/// Flips s_i and updates the model's cache: s_i → −s_i, then [`FlipEnergy::flipped`].
#[inline(always)]
pub fn flip<T: Real, M: FlipEnergy<T>>(model: &M, s: &mut [Spin], local: &mut M::Local, i: usize) {
    s[i] = -s[i];
    model.flipped(s, local, i);
}

/// The two blocks of both Ising models: fields h (the first N parameters), then couplings J.
pub fn fields_then_couplings(n: usize, len: usize) -> Vec<ParamGroup> {
    vec![
        ParamGroup::fields("h", 0..n),
        ParamGroup::couplings("J", n..len),
    ]
}
