//! The list path of the kinetic pass for one block of at most 64 rows, fused into one
//! AVX-512 loop over the transitions with the block's θ(t) held in registers.
//!
//! Per transition t, with L(t) its listed cells:
//! 1. θ = c + Σ_{j ∈ L(t)} a_j (a_j column j of the block's 2σJ);
//! 2. θ ← tanh θ, with the running sums of tanh θ, |θ| and Π(1 + e^(−2|θ|)) of
//!    [`super::tanh_sums`];
//! 3. p_j += tanh θ for j ∈ L(t) (the block's Σ_t tanh θ(t) x_j(t)).
//!
//! The portable path does the same in three loops over memory (the columns of
//! [`super::columns`] and [`super::tanh_sums::TanhSums`]). Keeping θ in registers saves
//! a store and two loads per value, the per-transition calls, and the reloading of the
//! kernel's constants.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

#[cfg(target_arch = "x86_64")]
use super::tanh_sums::{renormalise_avx512, tanh_parts_avx512, TanhConstants, RENORMALISE_AT};
use super::TransitionData;

/// Rows per vector.
pub(crate) const LANES: usize = 8;

/// The most vectors (of eight rows) a block may have.
pub(crate) const MAX_VECTORS: usize = 8;

/// The block's sums over all transitions, per row of the padded block (8·V rows).
#[cfg(target_arch = "x86_64")]
pub(crate) struct ListRowSums {
    /// Σ_t tanh θ_r(t).
    pub tanh: Vec<f64>,
    /// Σ_t log 2cosh θ_r(t).
    pub log_2cosh: Vec<f64>,
}

/// Runs the fused loop for a block of `vectors` · 8 rows (1 ≤ `vectors` ≤
/// [`MAX_VECTORS`]); rows past the block's real ones must have zero `base` and `columns`.
///
/// `base` holds c (8·V values), `columns` the N columns a_j one after another (stride 8·V),
/// and `product` receives p_j at the same places (added to what it holds).
///
/// # Safety
/// The processor must support AVX-512F, AVX-512VL, AVX2 and FMA ([`super::has_avx512`]).
#[cfg(target_arch = "x86_64")]
pub(crate) unsafe fn list_rows_avx512(
    data: &TransitionData,
    vectors: usize,
    base: &[f64],
    columns: &[f64],
    product: &mut [f64],
) -> ListRowSums {
    match vectors {
        1 => list_rows::<1>(data, base, columns, product),
        2 => list_rows::<2>(data, base, columns, product),
        3 => list_rows::<3>(data, base, columns, product),
        4 => list_rows::<4>(data, base, columns, product),
        5 => list_rows::<5>(data, base, columns, product),
        6 => list_rows::<6>(data, base, columns, product),
        7 => list_rows::<7>(data, base, columns, product),
        8 => list_rows::<8>(data, base, columns, product),
        _ => panic!("a block of {vectors} vectors: at most {MAX_VECTORS}"),
    }
}

/// [`list_rows_avx512`] for V vectors: θ, and the three running sums, V registers each.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
unsafe fn list_rows<const V: usize>(
    data: &TransitionData,
    base: &[f64],
    columns: &[f64],
    product: &mut [f64],
) -> ListRowSums {
    let (n, stride) = (data.n_spins(), V * LANES);
    assert!(base.len() == stride && columns.len() == n * stride && product.len() == n * stride);
    let constants = TanhConstants::new();
    let zero = _mm512_setzero_pd();
    let mut c = [zero; V];
    for (v, cv) in c.iter_mut().enumerate() {
        *cv = _mm512_loadu_pd(base.as_ptr().add(v * LANES));
    }
    let mut tanh_sum = [zero; V];
    let mut abs_sum = [zero; V];
    let mut factor = [_mm512_set1_pd(1.0); V];
    let mut exponent = [zero; V];
    let transitions = data.transitions();
    let mut since = 0;
    for t in 0..transitions {
        let listed = data.listed(t);
        let mut theta = c;
        for &j in listed {
            // SAFETY: j < N (the lists hold cell numbers), so column j's 8·V values are
            // inside `columns` and `product` (asserted above).
            let column = columns.as_ptr().add(j as usize * stride);
            for (v, th) in theta.iter_mut().enumerate() {
                *th = _mm512_add_pd(*th, _mm512_loadu_pd(column.add(v * LANES)));
            }
        }
        for v in 0..V {
            let (value, magnitude, one_plus_e) = tanh_parts_avx512(theta[v], &constants);
            tanh_sum[v] = _mm512_add_pd(tanh_sum[v], value);
            abs_sum[v] = _mm512_add_pd(abs_sum[v], magnitude);
            factor[v] = _mm512_mul_pd(factor[v], one_plus_e);
            theta[v] = value;
        }
        for &j in listed {
            let column = product.as_mut_ptr().add(j as usize * stride);
            for (v, th) in theta.iter().enumerate() {
                let p = column.add(v * LANES);
                _mm512_storeu_pd(p, _mm512_add_pd(_mm512_loadu_pd(p), *th));
            }
        }
        since += 1;
        if since == RENORMALISE_AT {
            for v in 0..V {
                renormalise_avx512(&mut factor[v], &mut exponent[v]);
            }
            since = 0;
        }
    }
    let mut sums = ListRowSums {
        tanh: vec![0.0; stride],
        log_2cosh: vec![0.0; stride],
    };
    let (mut abs, mut fac, mut exp) = ([0.0; LANES], [0.0; LANES], [0.0; LANES]);
    for v in 0..V {
        _mm512_storeu_pd(sums.tanh.as_mut_ptr().add(v * LANES), tanh_sum[v]);
        _mm512_storeu_pd(abs.as_mut_ptr(), abs_sum[v]);
        _mm512_storeu_pd(fac.as_mut_ptr(), factor[v]);
        _mm512_storeu_pd(exp.as_mut_ptr(), exponent[v]);
        for l in 0..LANES {
            sums.log_2cosh[v * LANES + l] = abs[l] + fac[l].ln() + exp[l] * std::f64::consts::LN_2;
        }
    }
    sums
}
