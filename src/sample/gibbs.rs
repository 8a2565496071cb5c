//! The heat-bath (Gibbs) update rule.

use rand::Rng;

use super::UpdateRule;
use crate::{kernels::fastmath::ln_unit, Real};

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

    /// ln((1 − u)/u): P(ΔE ≤ ln((1 − u)/u)) = P(u ≤ 1/(1 + exp ΔE)) = 1/(1 + exp ΔE).
    #[inline(always)]
    fn threshold<const FMA: bool>(u: f32) -> f32 {
        ln_unit::<FMA>(1.0 - u) - ln_unit::<FMA>(u)
    }
}
