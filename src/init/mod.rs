//! Closed-form starting points (warm starts) for exact-likelihood and Boltzmann learning:
//! naive mean field and TAP. The pseudo-likelihood start, which needs a solver, is in
//! [`crate::fit::pseudo`].

pub mod mean_field;

use serde::{Deserialize, Serialize};

pub use mean_field::MeanField;

/// Where learning starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    /// The fit's own choice.
    ///
    /// For Monte Carlo equilibrium fits below 400 cells the pseudo-likelihood maximum,
    /// unless the activity is collective (its maximum over-estimates couplings there and
    /// puts learning on the far side of a first-order transition) or Metropolis chains of it
    /// started from the data's states leave the data's activity
    /// (`fit::start::held_activity`; it did at 400 and 1,000 cells); then, from 400 cells
    /// on, and for equilibrium objectives solved exactly, the independent cells.
    /// TAP for kinetic fits by L-BFGS or first-order steps (a quarter fewer L-BFGS
    /// iterations on a 1,000-cell recording); the independent-cell start otherwise (row-wise
    /// Newton reaches its maximum from it in as few steps).
    #[default]
    Auto,
    /// J = 0 with each field at its independent-cell value h_i = atanh ⟨s_i⟩ (the exact
    /// maximum of the likelihood at J = 0, so nothing is lost against h = 0).
    Zero,
    /// Naive mean-field inversion.
    MeanField,
    /// TAP inversion.
    Tap,
    /// Pseudo-likelihood maximisation with a small L2 penalty (equilibrium models only).
    Pseudo,
}
