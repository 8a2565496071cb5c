//! # spinfer
//!
//! Statistical inference of spin models by Boltzmann machine learning.
//!
//! Spins s_i = ±1, i = 1..N. Two model families share one learning loop:
//!
//! * **Equilibrium Ising** ([`model::Ising`]):
//!   P(s) = exp(Σ_i h_i s_i + Σ_{i<j} J_ij s_i s_j) / Z. The log-likelihood per sample is
//!   L = ⟨Σ h s + Σ J s s⟩_data − log Z, with gradient ∂L/∂h_i = ⟨s_i⟩_data − ⟨s_i⟩_model and
//!   ∂L/∂J_ij = ⟨s_i s_j⟩_data − ⟨s_i s_j⟩_model. Model averages come from Monte Carlo
//!   ([`sample::Metropolis`], [`sample::Gibbs`]) or exact enumeration for N ≤ 20
//!   ([`sample::ExactSampler`]).
//! * **Kinetic Ising** with parallel Glauber dynamics ([`model::KineticIsing`]):
//!   P(s(t+1)|s(t)) = Π_i exp(s_i(t+1) θ_i(t)) / 2cosh θ_i(t), θ_i(t) = h_i + Σ_j J_ij s_j(t).
//!   L = (1/(T−1)) Σ_t Σ_i [s_i(t+1) θ_i(t) − log 2cosh θ_i(t)] is exact and concave;
//!   ∂L/∂h_i = ⟨s_i(t+1) − tanh θ_i(t)⟩_t, ∂L/∂J_ij = ⟨(s_i(t+1) − tanh θ_i(t)) s_j(t)⟩_t
//!   ([`sample::ConditionalExpectation`]).
//!
//! Both are exponential families, L(θ) = θ·⟨φ⟩_data − A(θ), so ∇L = ⟨φ⟩_data − ⟨φ⟩_θ: the
//! difference of the same sufficient statistics φ on data and model sides. Four traits carry
//! that shape, and one [`Learner`] drives them:
//!
//! * [`Energy`]: a model, its parameters θ in one flat vector, its constraints;
//! * [`Statistics`]: the sufficient statistics φ, averaged over observations;
//! * [`Sampler`]: the model side ⟨φ⟩_θ (and A(θ) when it is known exactly);
//! * [`Optimizer`]: one ascent step with explicit state (plain gradient, momentum, Adam).
//!
//! Everything is generic over the scalar ([`Real`]: `f32` or `f64`) on nalgebra vectors.
#![warn(missing_docs)]

pub mod data;
pub mod error;
pub mod fit;
pub mod init;
pub mod learn;
pub mod model;
pub mod optim;
pub mod raster;
pub mod real;
pub mod report;
pub mod retina;
pub mod sample;
pub mod stats;
pub mod transitions;
pub mod validate;

pub use error::{Error, Result};
pub use learn::{LearnSettings, Learner};
pub use model::{
    ising::Ising,
    kinetic::{KineticIsing, KineticOptions},
    Energy, FlipEnergy,
};
pub use optim::Optimizer;
pub use raster::{Raster, Spin};
pub use real::Real;
pub use sample::Sampler;
pub use stats::{PairStatistics, Statistics, TransitionStatistics};
pub use transitions::Transitions;
