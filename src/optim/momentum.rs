//! Gradient ascent with (heavy-ball) momentum.

use nalgebra::DVector;
use serde::{Deserialize, Serialize};

use super::Optimizer;
use crate::Real;

/// v ← β v + g, θ ← θ + η v.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Momentum {
    /// Learning rate η.
    pub lr: f64,
    /// Momentum β in [0, 1).
    pub beta: f64,
}

impl Optimizer for Momentum {
    /// The velocity v.
    type State<T: Real> = DVector<T>;

    fn init<T: Real>(&self, dim: usize) -> DVector<T> {
        DVector::zeros(dim)
    }

    fn step<T: Real>(
        &self,
        params: &mut DVector<T>,
        gradient: &DVector<T>,
        velocity: &mut DVector<T>,
    ) {
        velocity.axpy(T::one(), gradient, T::cast(self.beta));
        params.axpy(T::cast(self.lr), velocity, T::one());
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn check(&self) -> crate::Result<()> {
        super::check_learning_rate(self.lr)?;
        super::check_beta("momentum", self.beta)
    }
}
