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
    /// Fraction of the iteration budget, at its end, over which the parameters are averaged
    /// (Polyak–Ruppert averaging); the averaged parameters are the result. With Monte Carlo
    /// gradients the iterates jitter around the optimum by the sampling noise times the step
    /// size; their average does not. 0 turns it off.
    pub average_tail: f64,
    /// When the sampler gives the exact log-likelihood: a step that lowers it is undone and
    /// retried at half the size; accepted steps grow back by 1.25× up to the optimiser's own
    /// size. Makes ascent of an exact, concave likelihood monotone whatever the data.
    pub adaptive_step: bool,
    /// Also stop once the Pearson correlation between the model's and the data's connected
    /// correlations reaches this value (the criterion of adabmDCA-style tools; only for
    /// statistics that define connected correlations). Off by default.
    #[serde(default)]
    pub target_pearson: Option<f64>,
}

impl Default for LearnSettings {
    fn default() -> Self {
        LearnSettings {
            max_iters: 500,
            grad_tol: 1e-6,
            average_tail: 0.0,
            adaptive_step: false,
            target_pearson: None,
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
        if let Some(r) = self.target_pearson {
            if !(r > 0.0 && r <= 1.0) {
                return Err(Error::setting("target-pearson", r, "in (0, 1]"));
            }
        }
        if !(0.0..1.0).contains(&self.average_tail) {
            return Err(Error::setting(
                "average-tail",
                self.average_tail,
                "in [0, 1)",
            ));
        }
        Ok(())
    }

    /// The first iteration whose parameters enter the tail average, if averaging is on.
    pub fn average_from(&self) -> Option<usize> {
        (self.average_tail > 0.0)
            .then(|| ((1.0 - self.average_tail) * self.max_iters as f64).floor() as usize)
    }
}
