//! Settings of the learning loop.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// When the loop stops.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearnSettings {
    /// Largest number of iterations (gradient evaluations).
    pub max_iters: usize,
    /// Stop once max |∂L/∂θ_k| over all parameters falls below this (0 disables it).
    pub grad_tol: f64,
}

impl Default for LearnSettings {
    fn default() -> Self {
        LearnSettings {
            max_iters: 500,
            grad_tol: 1e-6,
        }
    }
}

impl LearnSettings {
    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        if self.max_iters == 0 {
            return Err(Error::setting("iters", self.max_iters, ">= 1"));
        }
        if !(self.grad_tol.is_finite() && self.grad_tol >= 0.0) {
            return Err(Error::setting("tol", self.grad_tol, "a finite number >= 0"));
        }
        Ok(())
    }
}
