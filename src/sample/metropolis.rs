//! The Metropolis acceptance rule.

use rand::Rng;

use super::UpdateRule;
use crate::Real;

/// Metropolis: accept a flip with probability min(1, exp(−ΔE)).
///
/// Downhill moves are accepted without drawing a variate, so a chain in a low-acceptance
/// regime (sparse firing) spends one generator call and one `exp` per proposal.
#[derive(Clone, Copy, Debug, Default)]
pub struct MetropolisRule;

impl UpdateRule for MetropolisRule {
    const NAME: &'static str = "metropolis";

    #[inline(always)]
    fn accept<T: Real, R: Rng>(delta: T, rng: &mut R) -> bool {
        delta <= T::zero() || T::unit_from_bits(rng.next_u64()) < (-delta).exp()
    }
}
