//! The per-bin transcendental work of the kinetic likelihood: θ ← tanh θ over a block of
//! rows, with running sums of tanh θ and of log 2cosh θ.
//!
//! log 2cosh θ = |θ| + ln(1 + e) with e = exp(−2|θ|) ∈ (0, 1]. Instead of one logarithm
//! per value, the factors 1 + e ∈ (1, 2] are multiplied together and the logarithm is
//! taken once at the end: Σ_t ln(1 + e_t) = ln Π_t (1 + e_t). The product is kept as a
//! mantissa and a power of two, renormalised every [`RENORMALISE_AT`] factors so it never
//! overflows. Each product adds a relative rounding error of 2⁻⁵³, the same as each
//! addition of a sum of logarithms would. This removes the logarithm's series and its
//! division from the hot loop.
//!
//! On processors with AVX-512 ([`super::has_avx512`]) the kernel is written with
//! intrinsics. e comes from a 16-entry table of 2^(j/16) held in two registers and a
//! degree-6 polynomial. tanh θ = (1 − e)/(1 + e) uses the reciprocal estimate and Newton
//! steps instead of a division. Elsewhere a portable, auto-vectorised kernel computes
//! e with [`fastmath::exp_nonpositive`] and divides. Both agree with `std` to a few units
//! in the last place of tanh and log 2cosh (tests below).

use super::fastmath;

/// Factors multiplied into a lane's product before it is renormalised. Each factor is at
/// most 2, and one call adds at most [`MAX_FACTORS_PER_CALL`], so the product stays below
/// 2^(RENORMALISE_AT + MAX_FACTORS_PER_CALL + 1), far from f64's 2^1024.
pub(crate) const RENORMALISE_AT: usize = 256;

/// The most factors one call of [`TanhSums::accumulate`] may add to a lane.
const MAX_FACTORS_PER_CALL: usize = 512;

/// f64 values per AVX-512 vector; accumulators are padded to whole vectors.
const LANES: usize = 8;

/// Running sums over bins for a block of `width` rows.
///
/// Values are passed in chunks of `width`. Chunk element r goes to row r:
/// - Σ tanh θ_r, in [`TanhSums::tanh`];
/// - Σ log 2cosh θ_r, from [`TanhSums::log_2cosh`], as Σ|θ_r| + ln Π(1 + e) + k ln 2.
#[derive(Clone, Debug)]
pub(crate) struct TanhSums {
    width: usize,
    tanh: Vec<f64>,
    abs: Vec<f64>,
    /// The product Π(1 + e) divided by 2^exponent.
    factor: Vec<f64>,
    exponent: Vec<i64>,
    /// Factors per lane since the last renormalisation.
    pending: usize,
    avx512: bool,
}

impl TanhSums {
    /// Zero sums for `width` rows.
    pub(crate) fn new(width: usize) -> Self {
        let padded = width.div_ceil(LANES) * LANES;
        TanhSums {
            width,
            tanh: vec![0.0; padded],
            abs: vec![0.0; padded],
            factor: vec![1.0; padded],
            exponent: vec![0; padded],
            pending: 0,
            avx512: super::has_avx512(),
        }
    }

    /// The portable kernel even where AVX-512 is available (to compare the two).
    #[cfg(test)]
    fn portable(width: usize) -> Self {
        TanhSums {
            avx512: false,
            ..Self::new(width)
        }
    }

    /// For each chunk of `width` values (the last one may be shorter) and each element r:
    /// θ ← tanh θ, adding tanh θ and log 2cosh θ to row r's sums.
    pub(crate) fn accumulate(&mut self, values: &mut [f64]) {
        let chunks = values.len().div_ceil(self.width);
        assert!(chunks <= MAX_FACTORS_PER_CALL);
        if self.avx512 {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the features it is compiled for were detected at run time.
            unsafe {
                accumulate_avx512(
                    values,
                    self.width,
                    &mut self.tanh,
                    &mut self.abs,
                    &mut self.factor,
                )
            }
        } else {
            accumulate_portable(
                values,
                self.width,
                &mut self.tanh,
                &mut self.abs,
                &mut self.factor,
            );
        }
        self.pending += chunks;
        if self.pending >= RENORMALISE_AT {
            self.renormalise();
        }
    }

    /// Moves each product's power of two into its exponent, leaving a mantissa in [1, 2).
    fn renormalise(&mut self) {
        for (f, e) in self.factor.iter_mut().zip(&mut self.exponent) {
            let bits = f.to_bits();
            *e += ((bits >> 52) & 0x7ff) as i64 - 1023;
            *f = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
        }
        self.pending = 0;
    }

    /// Σ tanh θ_r per row.
    pub(crate) fn tanh(&self) -> &[f64] {
        &self.tanh[..self.width]
    }

    /// Σ log 2cosh θ_r per row.
    pub(crate) fn log_2cosh(&self) -> Vec<f64> {
        (0..self.width)
            .map(|r| {
                self.abs[r] + self.factor[r].ln() + self.exponent[r] as f64 * std::f64::consts::LN_2
            })
            .collect()
    }
}

/// The portable kernel: e by [`fastmath::exp_nonpositive`], tanh by a division.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "x86_64+sse4.2"
))]
fn accumulate_portable(
    values: &mut [f64],
    width: usize,
    tanh: &mut [f64],
    abs: &mut [f64],
    factor: &mut [f64],
) {
    const FMA: bool = multiversion::target::target_cfg_f!(target_feature = "fma");
    for chunk in values.chunks_mut(width) {
        for (((v, t), a), f) in chunk
            .iter_mut()
            .zip(&mut *tanh)
            .zip(&mut *abs)
            .zip(&mut *factor)
        {
            let theta = *v;
            let magnitude = theta.abs();
            let e = fastmath::exp_nonpositive::<FMA>(-2.0 * magnitude);
            let one_plus_e = 1.0 + e;
            let value = ((1.0 - e) / one_plus_e).copysign(theta);
            *t += value;
            *a += magnitude;
            *f *= one_plus_e;
            *v = value;
        }
    }
}

/// 2^(j/16) for j = 0..15, correctly rounded.
const EXP2_SIXTEENTHS: [f64; 16] = [
    1.0,
    1.044_273_782_427_413_8,
    1.090_507_732_665_257_7,
    1.138_788_634_756_691_6,
    1.189_207_115_002_721,
    1.241_857_812_073_484,
    1.296_839_554_651_009_6,
    1.354_255_546_936_892_7,
    std::f64::consts::SQRT_2,
    1.476_826_145_939_499_3,
    1.542_210_825_407_940_7,
    1.610_490_331_949_254_3,
    1.681_792_830_507_429,
    1.756_252_160_373_299_5,
    1.834_008_086_409_342_4,
    1.915_206_561_397_147_4,
];

/// 2^(f/16) ≈ Σ_k c_k f^k on f ∈ [−½, ½]: the near-minimax polynomial of degree 6 (from
/// mpmath's `chebyfit`), relative error 7.8·10⁻¹⁸ with these rounded coefficients.
const EXP2_SIXTEENTH_POLY: [f64; 7] = [
    1.0,
    0.043_321_698_784_996_68,
    0.000_938_384_792_808_987_7,
    1.355_080_777_639_003_2e-5,
    1.467_610_032_123_669_7e-7,
    1.271_612_054_385_112_7e-9,
    9.181_354_192_172_116e-12,
];

/// The constants of [`tanh_parts_avx512`], loaded into registers once per kernel call.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct TanhConstants {
    scale: std::arch::x86_64::__m512d,
    shifter: std::arch::x86_64::__m512d,
    cap: std::arch::x86_64::__m512d,
    one: std::arch::x86_64::__m512d,
    sign: std::arch::x86_64::__m512i,
    table_low: std::arch::x86_64::__m512d,
    table_high: std::arch::x86_64::__m512d,
    poly: [std::arch::x86_64::__m512d; 7],
}

#[cfg(target_arch = "x86_64")]
impl TanhConstants {
    /// # Safety
    /// The processor must support AVX-512F ([`super::has_avx512`]).
    #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
    pub(crate) unsafe fn new() -> Self {
        use std::arch::x86_64::*;
        TanhConstants {
            scale: _mm512_set1_pd(-32.0 * std::f64::consts::LOG2_E),
            shifter: _mm512_set1_pd(SHIFTER),
            cap: _mm512_set1_pd(350.0),
            one: _mm512_set1_pd(1.0),
            sign: _mm512_set1_epi64(i64::MIN),
            table_low: _mm512_loadu_pd(EXP2_SIXTEENTHS.as_ptr()),
            table_high: _mm512_loadu_pd(EXP2_SIXTEENTHS.as_ptr().add(8)),
            poly: EXP2_SIXTEENTH_POLY.map(|v| _mm512_set1_pd(v)),
        }
    }
}

/// 1.5·2⁵²: adding it rounds a value below 2⁵¹ in magnitude to an integer, held in the low
/// bits of the sum.
const SHIFTER: f64 = 6_755_399_441_055_744.0;

/// (tanh θ, |θ|, 1 + e) for eight values, e = exp(−2|θ|).
///
/// With y = −32 log₂e · |θ| (so e = 2^(y/16)) and k = round(y): e = 2^⌊k/16⌋ ·
/// 2^((k mod 16)/16) · 2^((y − k)/16). The middle factor is a table lookup by the low four
/// bits of k, the last the polynomial, the first an addition to the exponent bits. k is
/// read from the low bits of y + 1.5·2⁵² (the rounding trick of [`fastmath`]). |θ| is
/// capped at 350, where e = 2^−1010 is still normal and tanh θ is 1 in f64. y carries a
/// relative rounding error of 2⁻⁵³, so e one of 2⁻⁵³·|y| ln 2; what reaches tanh θ and
/// ln(1 + e) is e times that, below 4·10⁻¹⁷ for every θ.
///
/// tanh θ = (1 − e)/(1 + e): a reciprocal estimate of 1 + e (relative error 2⁻¹⁴), one
/// Newton step (2⁻²⁸), then the quotient q₀ = (1 − e)·r corrected by r·((1 − e) − (1 + e)q₀),
/// which leaves an error of order 2⁻⁵⁶ relative.
///
/// # Safety
/// The processor must support AVX-512F ([`super::has_avx512`]).
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
pub(crate) unsafe fn tanh_parts_avx512(
    theta: std::arch::x86_64::__m512d,
    k: &TanhConstants,
) -> (
    std::arch::x86_64::__m512d,
    std::arch::x86_64::__m512d,
    std::arch::x86_64::__m512d,
) {
    use std::arch::x86_64::*;
    let magnitude = _mm512_abs_pd(theta);
    let capped = _mm512_min_pd(magnitude, k.cap);
    let shifted = _mm512_fmadd_pd(capped, k.scale, k.shifter);
    let rounded = _mm512_sub_pd(shifted, k.shifter);
    let f = _mm512_fmsub_pd(capped, k.scale, rounded);
    let mut p = k.poly[6];
    for ck in k.poly[..6].iter().rev() {
        p = _mm512_fmadd_pd(p, f, *ck);
    }
    let bits = _mm512_castpd_si512(shifted);
    let table = _mm512_permutex2var_pd(k.table_low, bits, k.table_high);
    let mantissa = _mm512_mul_pd(table, p);
    let power = _mm512_slli_epi64::<52>(_mm512_srli_epi64::<4>(bits));
    let e = _mm512_castsi512_pd(_mm512_add_epi64(_mm512_castpd_si512(mantissa), power));
    let one_plus_e = _mm512_add_pd(k.one, e);
    let one_minus_e = _mm512_sub_pd(k.one, e);
    let r0 = _mm512_rcp14_pd(one_plus_e);
    let r1 = _mm512_fmadd_pd(r0, _mm512_fnmadd_pd(one_plus_e, r0, k.one), r0);
    let q0 = _mm512_mul_pd(one_minus_e, r1);
    let q = _mm512_fmadd_pd(r1, _mm512_fnmadd_pd(one_plus_e, q0, one_minus_e), q0);
    // q ≥ 0; give it θ's sign: q | (θ & sign).
    let value = _mm512_castsi512_pd(_mm512_ternarylogic_epi64::<0xf8>(
        _mm512_castpd_si512(q),
        _mm512_castpd_si512(theta),
        k.sign,
    ));
    (value, magnitude, one_plus_e)
}

/// Moves the power of two of each product into `exponent` (as a float), leaving the
/// mantissa in [1, 2).
///
/// # Safety
/// The processor must support AVX-512F ([`super::has_avx512`]).
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
pub(crate) unsafe fn renormalise_avx512(
    factor: &mut std::arch::x86_64::__m512d,
    exponent: &mut std::arch::x86_64::__m512d,
) {
    use std::arch::x86_64::*;
    *exponent = _mm512_add_pd(*exponent, _mm512_getexp_pd(*factor));
    *factor = _mm512_getmant_pd::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_SRC>(*factor);
}

/// The AVX-512 kernel, eight rows at a time (the last vector of a chunk masked): the
/// values by [`tanh_parts_avx512`], the sums in memory.
///
/// # Safety
/// The processor must support AVX-512F ([`super::has_avx512`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
unsafe fn accumulate_avx512(
    values: &mut [f64],
    width: usize,
    tanh: &mut [f64],
    abs: &mut [f64],
    factor: &mut [f64],
) {
    use std::arch::x86_64::*;
    let padded = width.div_ceil(LANES) * LANES;
    assert!(tanh.len() == padded && abs.len() == padded && factor.len() == padded);
    let constants = TanhConstants::new();
    for chunk in values.chunks_mut(width) {
        let len = chunk.len();
        let base = chunk.as_mut_ptr();
        for start in (0..len).step_by(LANES) {
            let mask: __mmask8 = if len - start >= LANES {
                0xff
            } else {
                (1u8 << (len - start)) - 1
            };
            // SAFETY: lanes beyond the chunk are masked off in the load and the stores; the
            // accumulators are padded to whole vectors (asserted above).
            let theta = _mm512_maskz_loadu_pd(mask, base.add(start));
            let (value, magnitude, one_plus_e) = tanh_parts_avx512(theta, &constants);
            _mm512_mask_storeu_pd(base.add(start), mask, value);
            let t = tanh.as_mut_ptr().add(start);
            let a = abs.as_mut_ptr().add(start);
            let fp = factor.as_mut_ptr().add(start);
            // Masked: a short last chunk leaves the other rows' sums alone.
            _mm512_mask_storeu_pd(t, mask, _mm512_add_pd(_mm512_loadu_pd(t), value));
            _mm512_mask_storeu_pd(a, mask, _mm512_add_pd(_mm512_loadu_pd(a), magnitude));
            _mm512_mask_storeu_pd(fp, mask, _mm512_mul_pd(_mm512_loadu_pd(fp), one_plus_e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values spanning both signs, the fold of the table, and the cap.
    fn grid() -> Vec<f64> {
        (-40_000..=40_000)
            .map(|k| k as f64 * 1e-3 + 1e-7)
            .chain([0.0, -0.0, 1e-300, 400.0, -400.0, 1e6])
            .collect()
    }

    fn check(mut sums: TanhSums) {
        let values = grid();
        for &x in &values {
            let mut one = [x];
            let mut single = TanhSums {
                avx512: sums.avx512,
                ..TanhSums::new(1)
            };
            single.accumulate(&mut one);
            let (t, lc) = (one[0], single.log_2cosh()[0]);
            fastmath::assert_matches_std(x, t, lc);
            assert_eq!(t.is_sign_negative(), x.is_sign_negative(), "{x}");
            assert_eq!(single.tanh()[0], t);
        }
        // Many bins in a block of 13 rows (a masked tail): the renormalised product gives
        // the sum of logarithms, the sums the sums.
        let width = 13;
        let mut exact_tanh = vec![0.0; width];
        let mut exact_log = vec![0.0; width];
        for chunk in values.chunks(width * 97) {
            let mut chunk = chunk.to_vec();
            for (k, &x) in chunk.iter().enumerate() {
                exact_tanh[k % width] += x.tanh();
                exact_log[k % width] += x.abs() + (-2.0 * x.abs()).exp().ln_1p();
            }
            sums.accumulate(&mut chunk);
        }
        // Tolerances: 4·10⁻¹⁶ per value, plus the rounding of a sum of n terms (both
        // sides), at most n·ε times the sum of magnitudes.
        let log = sums.log_2cosh();
        let n = (values.len() / width + 1) as f64;
        for r in 0..width {
            let (t, l) = (sums.tanh()[r], log[r]);
            let rounding = 2.0 * n * f64::EPSILON;
            let tanh_tol = n * (4e-16 + rounding);
            assert!(
                (t - exact_tanh[r]).abs() <= tanh_tol,
                "{r}: {t} vs {}",
                exact_tanh[r]
            );
            let log_tol = (4e-16 + rounding) * exact_log[r];
            assert!(
                (l - exact_log[r]).abs() <= log_tol,
                "{r}: {l} vs {}",
                exact_log[r]
            );
        }
    }

    #[test]
    fn the_portable_kernel_matches_std() {
        check(TanhSums::portable(13));
    }

    #[test]
    fn the_avx512_kernel_matches_std() {
        if !crate::kernels::has_avx512() {
            eprintln!("no AVX-512 here: nothing to test");
            return;
        }
        check(TanhSums::new(13));
    }

    #[test]
    fn the_table_holds_two_to_the_sixteenths() {
        for (j, &v) in EXP2_SIXTEENTHS.iter().enumerate() {
            let exact = (j as f64 / 16.0).exp2();
            assert!(
                (v - exact).abs() <= f64::EPSILON * exact,
                "{j}: {v} vs {exact}"
            );
        }
    }
}
