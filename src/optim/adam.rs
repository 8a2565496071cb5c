//! Adam (Kingma & Ba 2015), as ascent.

use nalgebra::DVector;
use serde::{Deserialize, Serialize};

use super::Optimizer;
use crate::Real;

/// m ← β₁ m + (1−β₁) g, v ← β₂ v + (1−β₂) g², θ ← θ + η m̂ / (√v̂ + ε), with the
/// bias-corrected m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    /// Learning rate η.
    pub lr: f64,
    /// First-moment decay β₁ in [0, 1).
    pub beta1: f64,
    /// Second-moment decay β₂ in [0, 1).
    pub beta2: f64,
    /// ε > 0 in the denominator.
    pub eps: f64,
}

impl Adam {
    /// Adam with the usual β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
    pub fn with_lr(lr: f64) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// Adam's moment estimates and step count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct AdamState<T: Real> {
    /// First moment m.
    pub m: DVector<T>,
    /// Second moment v.
    pub v: DVector<T>,
    /// Steps taken.
    pub t: u64,
}

impl Optimizer for Adam {
    fn check_state<T: Real>(&self, dim: usize, s: &AdamState<T>) -> crate::Result<()> {
        use crate::restored::{check_vector, inconsistent};
        check_vector("Adam first moment m", &s.m, dim)?;
        check_vector("Adam second moment v", &s.v, dim)?;
        if s.v.iter().any(|v| *v < T::zero()) {
            return Err(inconsistent(
                "Adam second moment v",
                "has a negative entry".into(),
            ));
        }
        Ok(())
    }

    type State<T: Real> = AdamState<T>;

    fn init<T: Real>(&self, dim: usize) -> AdamState<T> {
        AdamState {
            m: DVector::zeros(dim),
            v: DVector::zeros(dim),
            t: 0,
        }
    }

    fn step<T: Real>(&self, params: &mut DVector<T>, gradient: &DVector<T>, s: &mut AdamState<T>) {
        s.t += 1;
        let (b1, b2) = (T::cast(self.beta1), T::cast(self.beta2));
        let c1 = T::cast(1.0 - self.beta1.powi(s.t as i32));
        let c2 = T::cast(1.0 - self.beta2.powi(s.t as i32));
        let (lr, eps) = (T::cast(self.lr), T::cast(self.eps));
        for k in 0..params.len() {
            let g = gradient[k];
            s.m[k] = b1 * s.m[k] + (T::one() - b1) * g;
            s.v[k] = b2 * s.v[k] + (T::one() - b2) * g * g;
            params[k] += lr * (s.m[k] / c1) / ((s.v[k] / c2).sqrt() + eps);
        }
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn check(&self) -> crate::Result<()> {
        super::check_learning_rate(self.lr)?;
        super::check_beta("beta1", self.beta1)?;
        super::check_beta("beta2", self.beta2)?;
        if self.eps.is_finite() && self.eps > 0.0 {
            Ok(())
        } else {
            Err(crate::Error::setting(
                "eps",
                self.eps,
                "a finite number > 0",
            ))
        }
    }
}
