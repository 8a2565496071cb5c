//! Branch-free tanh θ and log 2cosh θ that the compiler can vectorise, for the row-wise
//! Newton solver and the samplers (the kinetic pass has its own kernel,
//! [`super::tanh_sums`], built on [`exp_nonpositive`]).
//!
//! With e = exp(−2|θ|) ∈ (0, 1]: tanh θ = sign(θ)(1 − e)/(1 + e) and
//! log 2cosh θ = |θ| + ln(1 + e). Both functions below are written without branches or
//! library calls so that a loop over cells becomes SIMD code; their relative error is a few
//! units in the last place (tests compare with `std`).

/// Σ_k c_k x^k for 13 coefficients (degree 12) by Estrin's scheme: pairs, then pairs of
/// pairs with x², x⁴, x⁸. The dependency chain is 5 multiply-adds deep instead of Horner's
/// 12, which is what limits a vectorised loop (written without `mul_add`, which is a
/// library call on processors without FMA).
#[inline(always)]
fn estrin13<const FMA: bool>(x: f64, c: &[f64; 13]) -> f64 {
    let x2 = x * x;
    let x4 = x2 * x2;
    let x8 = x4 * x4;
    let p = |k: usize| madd::<FMA>(c[k + 1], x, c[k]);
    let q = |k: usize| madd::<FMA>(p(k + 2), x2, p(k));
    let low = madd::<FMA>(q(4), x4, q(0));
    let high = madd::<FMA>(c[12], x4, q(8));
    madd::<FMA>(high, x8, low)
}

/// Σ_k c_k x^k for the first 10 of 16 coefficients (degree 9), Estrin's scheme as in
/// [`estrin13`].
#[inline(always)]
fn estrin10<const FMA: bool>(x: f64, c: &[f64; 16]) -> f64 {
    let x2 = x * x;
    let x4 = x2 * x2;
    let x8 = x4 * x4;
    let p = |k: usize| madd::<FMA>(c[k + 1], x, c[k]);
    let q = |k: usize| madd::<FMA>(p(k + 2), x2, p(k));
    madd::<FMA>(p(8), x8, madd::<FMA>(q(4), x4, q(0)))
}

/// a·b + c, fused when the caller is compiled for FMA (then `mul_add` is one instruction;
/// elsewhere it would be a slow library call).
#[inline(always)]
fn madd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// 1/k! for k = 0..12.
const EXP_TAYLOR: [f64; 13] = [
    1.0,
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
];

/// 1/(2k + 1) for k = 0..15: the atanh series in z².
const ATANH_SERIES: [f64; 16] = [
    1.0,
    1.0 / 3.0,
    1.0 / 5.0,
    1.0 / 7.0,
    1.0 / 9.0,
    1.0 / 11.0,
    1.0 / 13.0,
    1.0 / 15.0,
    1.0 / 17.0,
    1.0 / 19.0,
    1.0 / 21.0,
    1.0 / 23.0,
    1.0 / 25.0,
    1.0 / 27.0,
    1.0 / 29.0,
    1.0 / 31.0,
];

/// exp(x) for x ≤ 0 (inputs below −708 give exp(−708) ≈ 3e-308 rather than a subnormal).
///
/// x = k ln2 + r with k = round(x / ln2) (by the 1.5·2^52 rounding trick) and |r| ≤ ln2/2
/// (Cody–Waite split of ln2); e^r by its Taylor polynomial to degree 12 (remainder below
/// 0.347¹³/13! ≈ 1.6e-16 relative); 2^k assembled in the exponent bits.
#[inline(always)]
pub fn exp_nonpositive<const FMA: bool>(x: f64) -> f64 {
    const SHIFTER: f64 = 6755399441055744.0; // 1.5 · 2^52
                                             // fdlibm's split of ln 2: the high part has trailing zero bits, so k·LN2_HI is exact.
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    let x = x.max(-708.0);
    let shifted = x * std::f64::consts::LOG2_E + SHIFTER;
    let k = shifted - SHIFTER;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // The low bits of `shifted` hold k in two's complement; adding the bias and shifting
    // into the exponent field gives 2^k for −1022 ≤ k ≤ 0.
    let scale = f64::from_bits(shifted.to_bits().wrapping_add(1023) << 52);
    estrin13::<FMA>(r, &EXP_TAYLOR) * scale
}

/// ln(1 + e) for e ∈ [0, 1] by the same folding and series as [`tanh_and_log_2cosh`] (which
/// shares its division with tanh); kept separate to test the series on its own.
#[cfg(test)]
#[inline(always)]
pub fn ln_1p_unit<const FMA: bool>(e: f64) -> f64 {
    let (m_minus, m_plus, k) = fold_1p(e);
    let z = m_minus / m_plus;
    madd::<FMA>(2.0 * z, estrin10::<FMA>(z * z, &ATANH_SERIES), k)
}

/// For ln(1 + e), e ∈ [0, 1]: 1 + e = 2^k m with m ∈ [√½, √2), returned as m − 1, m + 1
/// (computed from e without rounding m first) and k ln 2.
#[inline(always)]
fn fold_1p(e: f64) -> (f64, f64, f64) {
    if 1.0 + e > std::f64::consts::SQRT_2 {
        (0.5 * (e - 1.0), 0.5 * (3.0 + e), std::f64::consts::LN_2)
    } else {
        (e, 2.0 + e, 0.0)
    }
}

/// (tanh θ, log 2cosh θ). `FMA` selects fused multiply-adds (for callers compiled with FMA).
///
/// ln(1 + e) is taken as k ln 2 + ln m with m = (1 + e)/2^k ∈ [√½, √2) (k = 1 when
/// 1 + e > √2), and ln m = 2 atanh z, z = (m − 1)/(m + 1), |z| ≤ 0.172, by the first ten
/// terms of the series z (1 + z²/3 + … + z¹⁸/19) (remainder below 0.172²⁰/21 ≈ 2e-17
/// relative; without the folding, z would reach 1/3 and need sixteen). The two quotients (1 − e)/(1 + e) and
/// (m − 1)/(m + 1) share one division: r = 1/((1 + e)(m + 1)), 1/(1 + e) = (m + 1) r and
/// 1/(m + 1) = (1 + e) r.
#[inline(always)]
pub fn tanh_and_log_2cosh<const FMA: bool>(theta: f64) -> (f64, f64) {
    let a = theta.abs();
    let e = exp_nonpositive::<FMA>(-2.0 * a);
    let one_e = 1.0 + e;
    let (m_minus, m_plus, k) = fold_1p(e);
    let r = 1.0 / (one_e * m_plus);
    let t = (1.0 - e) * m_plus * r;
    let z = m_minus * one_e * r;
    (
        t.copysign(theta),
        a + madd::<FMA>(2.0 * z, estrin10::<FMA>(z * z, &ATANH_SERIES), k),
    )
}

/// Asserts that (tanh x, log 2cosh x) computed as `(t, lc)` match `std`: log 2cosh within
/// 4·10⁻¹⁶ relative; tanh within 4·10⁻¹⁶ absolute (it is summed over bins, and 1 − e
/// cancels near θ = 0, so its relative error grows there as 1/|θ|).
#[cfg(test)]
pub(crate) fn assert_matches_std(x: f64, t: f64, lc: f64) {
    let exact = x.abs() + (-2.0 * x.abs()).exp().ln_1p();
    assert!((lc - exact).abs() <= 4e-16 * exact, "{x}: {lc} vs {exact}");
    assert!(
        (t - x.tanh()).abs() <= 4e-16,
        "{x}: tanh {t} vs {}",
        x.tanh()
    );
}

/// a·b + c in f32, fused when the caller is compiled for FMA (as [`madd`]).
#[inline(always)]
fn madd32<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// ln u in f32 for normal u > 0 (the samplers' uniform variates in (0, 1], whose
/// thresholds are compared with f32 energy changes), branch-free (selects, no jumps):
/// u = 2^k m with m ∈ [√½, √2) taken from the bits, and ln m = 2 atanh z with
/// z = (m − 1)/(m + 1), |z| ≤ 0.172, by z (2 + 2z²/3 + … + 2z⁸/9) (remainder below
/// 0.172¹⁰/11 ≈ 2e-9 relative, under f32's 6e-8). u = 0 gives −88 (2⁻¹²⁷'s logarithm).
#[inline(always)]
pub fn ln_unit<const FMA: bool>(u: f32) -> f32 {
    let bits = u.to_bits();
    let exponent = ((bits >> 23) as i32 - 127) as f32;
    let mantissa = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    // m ∈ [1, 2); fold [√2, 2) down by a factor 2.
    let fold = mantissa > std::f32::consts::SQRT_2;
    let m = if fold { 0.5 * mantissa } else { mantissa };
    let k = if fold { exponent + 1.0 } else { exponent };
    let z = (m - 1.0) / (m + 1.0);
    let z2 = z * z;
    let series = madd32::<FMA>(
        madd32::<FMA>(
            madd32::<FMA>(madd32::<FMA>(1.0 / 9.0, z2, 1.0 / 7.0), z2, 1.0 / 5.0),
            z2,
            1.0 / 3.0,
        ),
        z2,
        1.0,
    );
    madd32::<FMA>(k, std::f32::consts::LN_2, 2.0 * z * series)
}

/// tanh θ alone (the conditional mean of a ±1 spin in local field θ), branch-free as in
/// [`tanh_and_log_2cosh`].
#[inline(always)]
pub fn tanh<const FMA: bool>(theta: f64) -> f64 {
    let e = exp_nonpositive::<FMA>(-2.0 * theta.abs());
    ((1.0 - e) / (1.0 + e)).copysign(theta)
}

/// y_k ← tanh(x_k) for a slice, vectorised (runtime choice of instruction set).
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "x86_64+sse4.2"
))]
pub fn tanh_into(x: &[f32], y: &mut [f32]) {
    const FMA: bool = multiversion::target::target_cfg_f!(target_feature = "fma");
    for (yk, &xk) in y.iter_mut().zip(x) {
        *yk = tanh::<FMA>(f64::from(xk)) as f32;
    }
}

/// y_k ← tanh(x_k / 2) for a slice, vectorised (runtime choice of instruction set).
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "x86_64+sse4.2"
))]
pub fn tanh_half_into(x: &[f64], y: &mut [f32]) {
    const FMA: bool = multiversion::target::target_cfg_f!(target_feature = "fma");
    for (yk, &xk) in y.iter_mut().zip(x) {
        *yk = tanh::<FMA>(0.5 * xk) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_std_to_a_few_ulps() {
        let mut x: f64 = 0.0;
        while x > -700.0 {
            let b = x.exp();
            for a in [exp_nonpositive::<false>(x), exp_nonpositive::<true>(x)] {
                assert!(((a - b) / b).abs() < 8e-16, "x = {x}: {a} vs {b}");
            }
            x -= 0.013_7;
        }
        assert_eq!(exp_nonpositive::<false>(0.0), 1.0);
    }

    #[test]
    fn ln_1p_matches_std_to_a_few_ulps() {
        for k in 0..=10_000 {
            let e = k as f64 / 10_000.0;
            let b = e.ln_1p();
            for a in [ln_1p_unit::<false>(e), ln_1p_unit::<true>(e)] {
                assert!(
                    (a - b).abs() <= 8e-16 * b.max(1e-300),
                    "e = {e}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn ln_matches_std_to_a_few_ulps() {
        // Every exponent from 1 down to the smallest normal f32, both sides of the fold.
        let mut u: f32 = 1.0;
        while u > 1e-37 {
            for x in [u, u * 0.707, u * 0.708, u * 0.999] {
                for a in [ln_unit::<true>(x), ln_unit::<false>(x)] {
                    let b = f64::from(x).ln();
                    assert!(
                        (f64::from(a) - b).abs() <= 2.4e-7 * b.abs().max(1e-7),
                        "{x}: {a} vs {b}"
                    );
                }
            }
            u *= 0.37;
        }
        // The uniforms the kernel draws: multiples of 2⁻²⁴ in (0, 1].
        for k in (1..=1u32 << 24).step_by(997) {
            let x = k as f32 / (1u32 << 24) as f32;
            let (a, b) = (ln_unit::<true>(x), f64::from(x).ln());
            assert!(
                (f64::from(a) - b).abs() <= 2.4e-7 * b.abs().max(1e-7),
                "{x}: {a} vs {b}"
            );
        }
        assert_eq!(ln_unit::<false>(1.0), 0.0);
    }

    #[test]
    fn tanh_alone_matches_std() {
        for &x in &[-400.0, -3.2, -0.4, 0.0, 1e-9, 0.7, 5.0, 400.0] {
            approx::assert_relative_eq!(
                tanh::<false>(x),
                f64::tanh(x),
                epsilon = 1e-15,
                max_relative = 1e-14
            );
        }
    }

    #[test]
    fn log_2cosh_matches_std_on_a_dense_grid() {
        // Both branches of the folding (1 + e above and below √2, |θ| ≈ 0.44) and the
        // range where e underflows.
        for k in -40_000..=40_000 {
            let x = k as f64 * 1e-3 + 1e-7;
            let (t, lc) = tanh_and_log_2cosh::<true>(x);
            assert_matches_std(x, t, lc);
        }
    }

    #[test]
    fn tanh_and_log_2cosh_match_std() {
        for &x in &[-400.0, -30.0, -3.2, -0.4, 0.0, 1e-9, 0.7, 5.0, 400.0] {
            let (t, lc) = tanh_and_log_2cosh::<false>(x);
            assert_eq!((t, lc), tanh_and_log_2cosh::<false>(x));
            approx::assert_relative_eq!(t, f64::tanh(x), epsilon = 1e-15, max_relative = 1e-14);
            let exact = if x.abs() > 300.0 {
                x.abs()
            } else {
                (2.0 * x.cosh()).ln()
            };
            approx::assert_relative_eq!(lc, exact, max_relative = 1e-14);
        }
    }
}
