//! Gradient ascent with (heavy-ball) momentum.

use nalgebra::DVector;
use serde::{Deserialize, Serialize};

use super::Optimizer;
use crate::Real;

/// v ← β v + g, θ ← θ + η v.
///
/// ```
/// use spinfer::prelude::*;
/// use spinfer::nalgebra::DVector;
///
/// let momentum = Momentum { lr: 1.0, beta: 0.5 };
/// let mut theta = DVector::from_vec(vec![0.0f64]);
/// let mut velocity = momentum.init(1);
/// let g = DVector::from_vec(vec![1.0]);
/// momentum.step(&mut theta, &g, &mut velocity); // v = 1, θ = 1
/// momentum.step(&mut theta, &g, &mut velocity); // v = 1.5, θ = 2.5
/// assert_eq!(theta[0], 2.5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Momentum {
    /// Learning rate η.
    pub lr: f64,
    /// Momentum β in [0, 1).
    pub beta: f64,
}

impl Optimizer for Momentum {
    fn check_state<T: Real>(&self, dim: usize, velocity: &DVector<T>) -> crate::Result<()> {
        crate::restored::check_vector("momentum velocity", velocity, dim)
    }

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
