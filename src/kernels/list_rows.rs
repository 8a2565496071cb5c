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
use super::{
    aligned::AlignedF64,
    tanh_sums::{renormalise_avx512, tanh_parts_avx512, TanhConstants, RENORMALISE_AT},
    TransitionData,
};

/// Transitions per block of deferred column sums: one bit each in a `u64` mask per cell.
#[cfg(target_arch = "x86_64")]
const BINS: usize = 64;

/// Above this size of a block's columns the column sums p_j are deferred to the end of each
/// block of [`BINS`] transitions (see [`list_rows`]). Measured in alternating runs: at
/// N = 160 (51 KB of columns) deferring was 25 % slower, at N = 400 (200 KB) the same or
/// slower, at N = 1,000 (512 KB) 15–25 % faster and at N = 2,000 (1 MB) 15 % faster.
const DEFER_ABOVE_BYTES: usize = 256 << 10;

/// Whether a block with these columns should defer its column sums.
pub(crate) fn defers(columns: &[f64]) -> bool {
    std::mem::size_of_val(columns) > DEFER_ABOVE_BYTES
}

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
/// and `product` receives p_j at the same places (added to what it holds). With `defer`,
/// step 3 is deferred to blocks of transitions ([`defers`] says when that pays).
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
    defer: bool,
) -> ListRowSums {
    macro_rules! run {
        ($v:literal) => {
            if defer {
                list_rows::<$v, true>(data, base, columns, product)
            } else {
                list_rows::<$v, false>(data, base, columns, product)
            }
        };
    }
    match vectors {
        1 => run!(1),
        2 => run!(2),
        3 => run!(3),
        4 => run!(4),
        5 => run!(5),
        6 => run!(6),
        7 => run!(7),
        8 => run!(8),
        _ => panic!("a block of {vectors} vectors: at most {MAX_VECTORS}"),
    }
}

/// [`list_rows_avx512`] for V vectors: θ, and the three running sums, V registers each.
///
/// Transitions are taken in blocks of [`BINS`]. Within a block, step 3 is deferred: each
/// transition's tanh θ goes to a block buffer (in L1) and sets bit t of a mask per listed
/// cell; at the end of the block, each cell's column p_j receives the sum of the buffered
/// rows its mask selects. A column is then read and written once per block and cell
/// instead of once per transition and listed cell: at N = 1,000, where the columns of a
/// 64-row block take 512 KB and live in L2, that halves the traffic to L2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
unsafe fn list_rows<const V: usize, const DEFER: bool>(
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
    let mut buffer = AlignedF64::zeros(if DEFER { BINS * stride } else { 0 });
    let buffer = buffer.as_mut_slice().as_mut_ptr();
    let mut masks = vec![0u64; if DEFER { n } else { 0 }];
    let transitions = data.transitions();
    let mut since = 0;
    for start in (0..transitions).step_by(BINS) {
        let end = (start + BINS).min(transitions);
        for t in start..end {
            let listed = data.listed(t);
            let mut theta = c;
            for &j in listed {
                // SAFETY: j < N (the lists hold cell numbers), so column j's 8·V values
                // are inside `columns` and `product` (asserted above).
                let column = columns.as_ptr().add(j as usize * stride);
                for (v, th) in theta.iter_mut().enumerate() {
                    *th = _mm512_add_pd(*th, _mm512_loadu_pd(column.add(v * LANES)));
                }
                if DEFER {
                    *masks.get_unchecked_mut(j as usize) |= 1 << (t - start);
                }
            }
            for v in 0..V {
                let (value, magnitude, one_plus_e) = tanh_parts_avx512(theta[v], &constants);
                tanh_sum[v] = _mm512_add_pd(tanh_sum[v], value);
                abs_sum[v] = _mm512_add_pd(abs_sum[v], magnitude);
                factor[v] = _mm512_mul_pd(factor[v], one_plus_e);
                theta[v] = value;
            }
            if DEFER {
                // SAFETY: t − start < BINS rows of the buffer.
                let row = buffer.add((t - start) * stride);
                for (v, th) in theta.iter().enumerate() {
                    _mm512_store_pd(row.add(v * LANES), *th);
                }
            } else {
                for &j in listed {
                    let column = product.as_mut_ptr().add(j as usize * stride);
                    for (v, th) in theta.iter().enumerate() {
                        let p = column.add(v * LANES);
                        _mm512_storeu_pd(p, _mm512_add_pd(_mm512_loadu_pd(p), *th));
                    }
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
        if !DEFER {
            continue;
        }
        for (j, mask) in masks.iter_mut().enumerate() {
            let mut bits = std::mem::take(mask);
            if bits == 0 {
                continue;
            }
            let mut sum = [zero; V];
            while bits != 0 {
                let row = buffer.add(bits.trailing_zeros() as usize * stride);
                bits &= bits - 1;
                for (v, s) in sum.iter_mut().enumerate() {
                    *s = _mm512_add_pd(*s, _mm512_load_pd(row.add(v * LANES)));
                }
            }
            let column = product.as_mut_ptr().add(j * stride);
            for (v, s) in sum.iter().enumerate() {
                let p = column.add(v * LANES);
                _mm512_storeu_pd(p, _mm512_add_pd(_mm512_loadu_pd(p), *s));
            }
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
