//! When the loop stops.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The executor's budget and stopping rule.
///
/// ```
/// use spinfer::LearnSettings;
///
/// let settings = LearnSettings::default().with_max_iters(200).with_grad_tol(1e-8);
/// settings.check().unwrap();
/// assert_eq!(settings.max_iters, 200);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LearnSettings {
    /// Largest number of steps (the history then holds one more record: the final point).
    pub max_iters: usize,
    /// Stop once max |∂/∂θ_k| over all parameters is at most this (0 disables it).
    pub grad_tol: f64,
    /// Also stop once the Pearson correlation between the model's and the data's connected
    /// correlations (from the iteration's own samples) reaches this value (the criterion of
    /// adabmDCA-style tools; only for statistics that define connected correlations).
    #[serde(default)]
    pub target_pearson: Option<f64>,
}

impl Default for LearnSettings {
    fn default() -> Self {
        LearnSettings {
            max_iters: 500,
            grad_tol: 1e-6,
            target_pearson: None,
        }
    }
}

impl LearnSettings {
    /// Largest budget accepted.
    pub const MAX_ITERS: usize = 100_000_000;

    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        if self.max_iters > Self::MAX_ITERS {
            return Err(Error::setting(
                "iters",
                self.max_iters,
                format!("at most {}", Self::MAX_ITERS),
            ));
        }
        if !(self.grad_tol.is_finite() && self.grad_tol >= 0.0) {
            return Err(Error::setting("tol", self.grad_tol, "a finite number >= 0"));
        }
        if let Some(r) = self.target_pearson {
            if !(r > 0.0 && r <= 1.0) {
                return Err(Error::setting("target-pearson", r, "in (0, 1]"));
            }
        }
        Ok(())
    }

    /// These settings with a budget of `max_iters` steps.
    pub fn with_max_iters(mut self, max_iters: usize) -> Self {
        self.max_iters = max_iters;
        self
    }

    /// These settings with gradient tolerance `grad_tol`.
    pub fn with_grad_tol(mut self, grad_tol: f64) -> Self {
        self.grad_tol = grad_tol;
        self
    }

    /// These settings with a target Pearson correlation of connected correlations.
    pub fn with_target_pearson(mut self, target: Option<f64>) -> Self {
        self.target_pearson = target;
        self
    }
}
