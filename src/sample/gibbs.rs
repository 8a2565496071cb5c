//! The heat-bath (Gibbs) update rule.

use rand::Rng;

use super::UpdateRule;
use crate::Real;

/// Heat bath: set spin i from its conditional distribution, i.e. flip it with probability
/// 1 / (1 + exp(ΔE)).
#[derive(Clone, Copy, Debug, Default)]
pub struct HeatBath;

impl UpdateRule for HeatBath {
    const NAME: &'static str = "gibbs";

    #[inline(always)]
    fn accept<T: Real, R: Rng>(delta: T, rng: &mut R) -> bool {
        T::unit_from_bits(rng.next_u64()) * (T::one() + delta.exp()) < T::one()
    }
}
