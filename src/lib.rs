//! # spinfer
//!
//! Statistical inference of spin models by Boltzmann machine learning.
//!
//! Spins s_i = ±1, i = 1..N. Two model families share one learning loop:
//!
//! * **Equilibrium Ising** ([`Ising`]):
//!   P(s) = exp(Σ_i h_i s_i + Σ_{i<j} J_ij s_i s_j) / Z. The log-likelihood per sample is
//!   L = ⟨Σ h s + Σ J s s⟩_data − log Z, with gradient ∂L/∂h_i = ⟨s_i⟩_data − ⟨s_i⟩_model and
//!   ∂L/∂J_ij = ⟨s_i s_j⟩_data − ⟨s_i s_j⟩_model. Model averages come from Monte Carlo
//!   ([`sample::Metropolis`], [`sample::Gibbs`]) or exact enumeration for N ≤ 20
//!   ([`sample::ExactSampler`]).
//! * **Kinetic Ising** with parallel Glauber dynamics ([`KineticIsing`]):
//!   P(s(t+1)|s(t)) = Π_i exp(s_i(t+1) θ_i(t)) / 2cosh θ_i(t), θ_i(t) = h_i + Σ_j J_ij s_j(t).
//!   L = (1/(T−1)) Σ_t Σ_i [s_i(t+1) θ_i(t) − log 2cosh θ_i(t)] is exact and concave;
//!   ∂L/∂h_i = ⟨s_i(t+1) − tanh θ_i(t)⟩_t, ∂L/∂J_ij = ⟨(s_i(t+1) − tanh θ_i(t)) s_j(t)⟩_t
//!   ([`sample::ConditionalExpectation`]).
//!
//! Both are exponential families, L(θ) = θ·⟨φ⟩_data − A(θ), so ∇L = ⟨φ⟩_data − ⟨φ⟩_θ: the
//! difference of the same sufficient statistics φ on data and model sides. Traits carry
//! that shape:
//!
//! * [`Energy`]: a model, its parameters θ in one flat vector, its constraints;
//!   [`FlipEnergy`] adds configuration energies with cheap single-spin flips, all that
//!   Monte Carlo and exact enumeration need;
//! * [`Statistics`]: the sufficient statistics φ, averaged over observations;
//! * [`Sampler`]: the model side ⟨φ⟩_θ (and A(θ) when it is known exactly);
//! * [`Optimizer`]: one ascent step with explicit state (plain gradient, momentum, Adam).
//!
//! The loop has argmin's shape: an [`objective::Objective`] (here [`Likelihood`]) says what
//! is maximised, a [solver](solve) how one step is taken ([`Lbfgs`] for exact objectives,
//! [`Stochastic`] with an optimiser for Monte Carlo gradients, [`solve::RowNewton`] for
//! row-separable kinetic likelihoods), and the executor [`Learner`] when to stop and what to
//! record. [`fit`] has ready-made fits with defaults.
//!
//! Everything is generic over the scalar ([`Real`]: `f32` or `f64`) on nalgebra vectors;
//! the crate re-exports the versions of [`nalgebra`] and [`rand`] its API uses.
//!
//! # Quick start
//!
//! A model of your own needs its energy and its statistics; here the 1D Ising ring with one
//! field and one coupling, fitted by L-BFGS over exact enumeration
//! (`examples/lattice.rs` has the 2D lattice, `tests/custom_model.rs` another model):
//!
//! ```
//! use spinfer::prelude::*;
//! use spinfer::nalgebra::DVector;
//!
//! /// E(s) = −h Σ_i s_i − J Σ_i s_i s_{i+1} on a ring of N spins; θ = (h, J).
//! #[derive(Clone)]
//! struct Ring { params: DVector<f64> }
//!
//! impl Energy<f64> for Ring {
//!     fn n_spins(&self) -> usize { 8 }
//!     fn params(&self) -> &DVector<f64> { &self.params }
//!     fn params_mut(&mut self) -> &mut DVector<f64> { &mut self.params }
//! }
//!
//! impl FlipEnergy<f64> for Ring {
//!     type Local = ();
//!     fn energy(&self, s: &[Spin]) -> f64 {
//!         let mut phi = [0.0; 2];
//!         RingStatistics.accumulate(s, 1.0, &mut phi);
//!         -(self.params[0] * phi[0] + self.params[1] * phi[1])
//!     }
//!     fn flip_delta(&self, s: &[Spin], _: &(), i: usize) -> f64 {
//!         let n = s.len();
//!         let neighbours = (s[(i + 1) % n] + s[(i + n - 1) % n]) as f64;
//!         2.0 * s[i] as f64 * (self.params[0] + self.params[1] * neighbours)
//!     }
//! }
//!
//! /// φ(s) = (Σ_i s_i, Σ_i s_i s_{i+1}).
//! struct RingStatistics;
//!
//! impl Statistics for RingStatistics {
//!     fn dim(&self) -> usize { 2 }
//!     fn accumulate(&self, s: &[Spin], w: f64, acc: &mut [f64]) {
//!         let n = s.len();
//!         for i in 0..n {
//!             acc[0] += w * s[i] as f64;
//!             acc[1] += w * (s[i] * s[(i + 1) % n]) as f64;
//!         }
//!     }
//! }
//!
//! let truth = Ring { params: DVector::from_vec(vec![0.2, 0.4]) };
//! check_model(&truth, &RingStatistics, 1).unwrap();
//! let data = ExactDistribution::new(&truth)
//!     .unwrap()
//!     .sample(100_000, &mut spinfer::seeded(1));
//! let start = Ring { params: DVector::zeros(2) };
//! let objective = Likelihood::new(start, RingStatistics, ExactSampler, &data).unwrap();
//! let mut learner = Learner::new(objective, Lbfgs::default()).unwrap();
//! learner.run(&LearnSettings::default(), &mut NoObserver).unwrap();
//! let fitted = learner.model().params();
//! assert!((fitted[0] - 0.2).abs() < 0.02 && (fitted[1] - 0.4).abs() < 0.02);
//! ```
#![warn(missing_docs)]

pub mod bursts;
#[cfg(feature = "clap")]
pub mod choice;
pub mod data;
pub mod error;
pub mod fit;
pub mod init;
pub(crate) mod kernels;
pub mod learn;
pub mod model;
pub mod objective;
pub mod optim;
pub mod prelude;
pub mod raster;
pub mod real;
pub mod record;
#[cfg(feature = "plot")]
pub mod report;
pub mod restored;
pub mod retina;
pub mod sample;
pub mod solve;
pub mod stats;
pub mod testing;
pub mod thermo;
pub mod transitions;
pub mod validate;
pub mod workflow;

pub use nalgebra;
pub use rand;

/// The README's Rust program, compiled and run as a doctest so that it keeps working.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use error::{Error, Result};
pub use learn::{LearnSettings, Learner};
pub use model::{
    ising::Ising,
    kinetic::{KineticIsing, KineticOptions},
    Energy, FlipEnergy,
};
pub use objective::Likelihood;
pub use optim::Optimizer;
pub use raster::{Raster, Spin};
pub use real::{Precision, Real};
pub use sample::Sampler;
pub use solve::{Lbfgs, Stochastic};
pub use stats::{PairStatistics, Statistics, TransitionStatistics};
pub use transitions::Transitions;

/// The generator of every seeded random run: xoshiro256++, fast and reproducible.
pub type Generator = rand_xoshiro::Xoshiro256PlusPlus;

/// A generator seeded with `seed`: the same seed gives the same stream on every machine.
///
/// ```
/// use spinfer::rand::Rng;
///
/// let (mut a, mut b) = (spinfer::seeded(5), spinfer::seeded(5));
/// assert_eq!(a.next_u64(), b.next_u64());
/// ```
pub fn seeded(seed: u64) -> Generator {
    use rand::SeedableRng;
    Generator::seed_from_u64(seed)
}
