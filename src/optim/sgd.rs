//! Plain gradient ascent.

use nalgebra::DVector;
use serde::{Deserialize, Serialize};

use super::Optimizer;
use crate::Real;

/// θ ← θ + η g.
///
/// ```
/// use spinfer::prelude::*;
/// use spinfer::nalgebra::DVector;
///
/// let sgd = Sgd { lr: 0.5 };
/// let mut theta = DVector::from_vec(vec![1.0f64, 2.0]);
/// sgd.step(&mut theta, &DVector::from_vec(vec![2.0, -2.0]), &mut ());
/// assert_eq!(theta.as_slice(), &[2.0, 1.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sgd {
    /// Learning rate η.
    pub lr: f64,
}

impl Optimizer for Sgd {
    fn check_state<T: Real>(&self, _dim: usize, _state: &()) -> crate::Result<()> {
        Ok(())
    }

    type State<T: Real> = ();

    fn init<T: Real>(&self, _dim: usize) {}

    fn step<T: Real>(&self, params: &mut DVector<T>, gradient: &DVector<T>, _state: &mut ()) {
        params.axpy(T::cast(self.lr), gradient, T::one());
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn check(&self) -> crate::Result<()> {
        super::check_learning_rate(self.lr)
    }
}
