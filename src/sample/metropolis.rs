//! The Metropolis acceptance rule.

use rand::Rng;
use rand_distr::{Distribution, Exp1};

use super::UpdateRule;
use crate::{kernels::fastmath::ln_unit, Real};

/// Metropolis: accept a flip with probability min(1, exp(−ΔE)).
///
/// Downhill moves are accepted without drawing a variate. For uphill moves (most proposals
/// when cells fire sparsely) u < exp(−ΔE) is tested as E > ΔE with E = −ln u an Exp(1)
/// variate, drawn by the ziggurat method: on its fast path one table lookup and a
/// comparison, no `exp` or `ln` at all, and the acceptance probability stays exactly
/// P(E > ΔE) = exp(−ΔE).
#[derive(Clone, Copy, Debug, Default)]
pub struct MetropolisRule;

impl UpdateRule for MetropolisRule {
    const NAME: &'static str = "metropolis";

    #[inline(always)]
    fn accept<T: Real, R: Rng>(delta: T, rng: &mut R) -> bool {
        if delta <= T::zero() {
            return true;
        }
        let e: f64 = Exp1.sample(rng);
        e > delta.as_f64()
    }

    /// −ln u: P(ΔE ≤ −ln u) = min(1, exp(−ΔE)).
    #[inline(always)]
    fn threshold<const FMA: bool>(u: f32) -> f32 {
        -ln_unit::<FMA>(u)
    }
}
