//! L1 and L2 penalties on fields and couplings.

use serde::{Deserialize, Serialize};

use crate::{
    model::{ParamGroup, Role},
    Error, Result,
};

/// Penalised objective L(θ) − Σ_k [λ₁ |θ_k| + ½ λ₂ θ_k²], with separate strengths for the
/// fields ([`Role::Fields`]) and for the couplings ([`Role::Couplings`]); parameters of
/// [`Role::Other`] are not penalised.
///
/// The L2 part enters the gradient (−λ₂ θ). The L1 part is handled by the solver: L-BFGS
/// becomes OWL-QN (orthant-wise steps along the pseudo-gradient), and the stochastic
/// solver applies a proximal step after each optimiser step, θ_k ← sign(θ_k) max(|θ_k| −
/// η λ₁, 0) with η the optimiser's learning rate (times the adaptive step factor). Either
/// way couplings the data do not support become exactly zero. With an L1 term the
/// stochastic solver steps along the raw gradient (no centred preconditioning), so that the
/// fixed point of the proximal step is the penalised optimum; for plain gradient and
/// momentum that is exact, for Adam η is the nominal rate, not its per-coordinate one, so
/// Adam's zeros are approximate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Penalty {
    /// λ₁ on couplings.
    pub l1: f64,
    /// λ₂ on couplings.
    pub l2: f64,
    /// λ₁ on fields.
    pub l1_fields: f64,
    /// λ₂ on fields.
    pub l2_fields: f64,
}

impl Penalty {
    /// Validates the strengths (finite, ≥ 0).
    pub fn check(&self) -> Result<()> {
        for (name, v) in [
            ("l1", self.l1),
            ("l2", self.l2),
            ("l1-fields", self.l1_fields),
            ("l2-fields", self.l2_fields),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::setting(name, v, "a finite number >= 0"));
            }
        }
        Ok(())
    }

    /// Whether any strength is positive.
    pub fn is_active(&self) -> bool {
        self.l1 > 0.0 || self.l2 > 0.0 || self.l1_fields > 0.0 || self.l2_fields > 0.0
    }

    /// Whether any L1 strength is positive.
    pub fn has_l1(&self) -> bool {
        self.l1 > 0.0 || self.l1_fields > 0.0
    }

    /// (λ₁, λ₂) for a group, by its role.
    pub fn strengths(&self, group: &ParamGroup) -> (f64, f64) {
        match group.role {
            Role::Fields => (self.l1_fields, self.l2_fields),
            Role::Couplings => (self.l1, self.l2),
            Role::Other => (0.0, 0.0),
        }
    }

    /// The penalty Σ_k [λ₁ |θ_k| + ½ λ₂ θ_k²].
    pub fn value(&self, params: &[f64], groups: &[ParamGroup]) -> f64 {
        groups
            .iter()
            .map(|g| {
                let (l1, l2) = self.strengths(g);
                params[g.range.clone()]
                    .iter()
                    .map(|&t| l1 * t.abs() + 0.5 * l2 * t * t)
                    .sum::<f64>()
            })
            .sum()
    }
}

/// The smallest-magnitude element of the subdifferential of −λ₁|θ| added to g: g − λ₁ sign θ
/// away from 0, and the soft-thresholded g at 0 (0 when |g| ≤ λ₁: the optimum stays at 0).
pub fn l1_subgradient(g: f64, theta: f64, l1: f64) -> f64 {
    if theta > 0.0 {
        g - l1
    } else if theta < 0.0 {
        g + l1
    } else {
        g.signum() * (g.abs() - l1).max(0.0)
    }
}

/// sign(θ) max(|θ| − τ, 0).
pub fn soft_threshold(theta: f64, tau: f64) -> f64 {
    theta.signum() * (theta.abs() - tau).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_threshold_and_subgradient() {
        assert_eq!(soft_threshold(0.3, 0.1), 0.19999999999999998);
        assert_eq!(soft_threshold(-0.05, 0.1), 0.0);
        assert_eq!(l1_subgradient(0.05, 0.0, 0.1), 0.0);
        assert!((l1_subgradient(0.25, 0.0, 0.1) - 0.15).abs() < 1e-15);
        assert!((l1_subgradient(0.25, -1.0, 0.1) - 0.35).abs() < 1e-15);
        let bad = Penalty {
            l2: -1.0,
            ..Default::default()
        };
        assert!(matches!(
            bad.check(),
            Err(Error::InvalidSetting { name: "l2", .. })
        ));
    }
}
