//! The scalar bound shared by every model, sampler, statistic and optimiser.

use nalgebra::RealField;
use serde::{de::DeserializeOwned, Serialize};

/// The scalar precision of a run, chosen at run time (a [`Real`] type chosen by name).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 32-bit floats: half the memory of the chains' state, about 7 significant digits.
    F32,
    /// 64-bit floats.
    #[default]
    F64,
}

impl Precision {
    /// The precision of the scalar `T`.
    pub fn of<T: Real>() -> Self {
        if T::NAME == f32::NAME {
            Precision::F32
        } else {
            Precision::F64
        }
    }

    /// Its name in model files, checkpoints and messages ([`Real::NAME`]).
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => f32::NAME,
            Precision::F64 => f64::NAME,
        }
    }
}

/// Floating-point scalar of a model: implemented for `f32` and `f64`.
///
/// One bound for the whole crate (nalgebra's `RealField` plus what the samplers and model
/// files need), so generic code never has to repeat a long list of traits.
pub trait Real:
    RealField + Copy + Send + Sync + Serialize + DeserializeOwned + std::fmt::Display + 'static
{
    /// Name used in model files and messages (`"f32"` or `"f64"`).
    const NAME: &'static str;

    /// Converts an `f64`, rounding to the nearest representable value.
    fn cast(x: f64) -> Self;

    /// Converts to `f64` exactly.
    fn as_f64(self) -> f64;

    /// A uniform variate in [0, 1) built from 64 random bits, with as many bits as the
    /// mantissa holds (53 for f64, 24 for f32), so it costs no more than a shift and a multiply.
    fn unit_from_bits(bits: u64) -> Self;
}

impl Real for f64 {
    const NAME: &'static str = "f64";
    #[inline(always)]
    fn cast(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn as_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn unit_from_bits(bits: u64) -> Self {
        (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

impl Real for f32 {
    const NAME: &'static str = "f32";
    #[inline(always)]
    fn cast(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn as_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn unit_from_bits(bits: u64) -> Self {
        (bits >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_variates_stay_in_the_half_open_interval() {
        for bits in [0u64, u64::MAX, 1 << 63, 12345] {
            let a = f64::unit_from_bits(bits);
            let b = f32::unit_from_bits(bits);
            assert!((0.0..1.0).contains(&a), "{a}");
            assert!((0.0..1.0).contains(&b), "{b}");
        }
    }
}
