//! Means, pair moments and connected correlations by popcounts on bit-packed rasters.

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use super::{n_pairs, pair_index, Statistics};
use crate::{
    kernels::bits::{xor_popcount, xor_popcount_table, BLOCK_ROWS},
    raster::{Raster, Spin},
};

/// First and second moments of ±1 spins over a set of samples.
#[derive(Clone, Debug)]
pub struct Moments {
    /// Number of samples averaged.
    pub samples: usize,
    /// ⟨s_i⟩.
    pub means: DVector<f64>,
    /// ⟨s_i s_j⟩ (symmetric, ones on the diagonal).
    pub pairs: DMatrix<f64>,
}

impl Moments {
    /// Moments of a raster: ⟨s_i⟩ = (2 u_i − M)/M with u_i the up count and
    /// ⟨s_i s_j⟩ = 1 − 2 d_ij / M with d_ij = popcount(row_i XOR row_j), the number of
    /// samples where s_i ≠ s_j. Costs N²/2 · M/64 word operations, no outer products.
    pub fn of(raster: &Raster) -> Moments {
        let means = DVector::from_vec(raster.means());
        let pairs = if raster.words_per_row() >= BLOCKED_FROM_WORDS {
            blocked_pairs(raster)
        } else {
            pairwise_pairs(raster)
        };
        Moments {
            samples: raster.n_samples(),
            means,
            pairs,
        }
    }

    /// Connected correlations C_ij = ⟨s_i s_j⟩ − ⟨s_i⟩⟨s_j⟩.
    pub fn connected(&self) -> DMatrix<f64> {
        &self.pairs - &self.means * self.means.transpose()
    }
}

/// The statistics of the pairwise (Ising) model: φ(s) = (s_1..s_N, s_i s_j for i < j), the
/// pairs in the order of [`pair_index`]. Dimension N + N(N−1)/2.
#[derive(Clone, Copy, Debug)]
pub struct PairStatistics {
    n: usize,
}

impl PairStatistics {
    /// Statistics of N spins.
    pub fn new(n: usize) -> Self {
        PairStatistics { n }
    }
}

impl Statistics for PairStatistics {
    /// C_ij = φ_ij − φ_i φ_j over the pairs i < j, in [`pair_index`] order.
    fn connected(&self, averages: &[f64]) -> Option<Vec<f64>> {
        let n = self.n;
        (averages.len() == n + n_pairs(n)).then(|| {
            (0..n)
                .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
                .map(|(i, j)| averages[n + pair_index(n, i, j)] - averages[i] * averages[j])
                .collect()
        })
    }

    fn dim(&self) -> usize {
        self.n + n_pairs(self.n)
    }

    fn accumulate(&self, s: &[Spin], weight: f64, acc: &mut [f64]) {
        let n = self.n;
        let (means, pairs) = acc.split_at_mut(n);
        let mut k = 0;
        for i in 0..n {
            let wi = weight * s[i] as f64;
            means[i] += wi;
            for &sj in &s[i + 1..n] {
                pairs[k] += wi * sj as f64;
                k += 1;
            }
        }
    }

    fn average(&self, samples: &Raster) -> DVector<f64> {
        let moments = Moments::of(samples);
        let n = self.n;
        let mut out = DVector::zeros(self.dim());
        for i in 0..n {
            out[i] = moments.means[i];
            for j in i + 1..n {
                out[n + pair_index(n, i, j)] = moments.pairs[(i, j)];
            }
        }
        out
    }

    /// ⟨c_i⟩ and ½ ⟨c_i s_j + s_i c_j⟩ from one matrix product S Cᵀ over the samples,
    /// computed in blocks of samples (f32 products, f64 sums across blocks).
    fn average_conditional(
        &self,
        samples: &Raster,
        conditional: &DMatrix<f32>,
    ) -> Option<DVector<f64>> {
        let (n, m) = (self.n, samples.n_samples());
        if conditional.nrows() != n || conditional.ncols() != m || samples.n_spins() != n {
            return None;
        }
        let product = spin_conditional_product(samples, conditional);
        let mut out = DVector::zeros(self.dim());
        let mf = m.max(1) as f64;
        for i in 0..n {
            out[i] = conditional.row(i).iter().map(|&c| c as f64).sum::<f64>() / mf;
            for j in i + 1..n {
                out[n + pair_index(n, i, j)] = 0.5 * (product[(i, j)] + product[(j, i)]) / mf;
            }
        }
        Some(out)
    }
}

/// Samples per block of the spin–conditional product: an N × 256 block of each side.
const PRODUCT_BLOCK: usize = 256;

/// The sparse product is used when the spins' minority states (a cell's spikes, or its
/// silences if it fires more often than not) make up at most this share of the samples:
/// it then adds a column of N conditional means per minority state (N² · share · M adds)
/// where the dense product multiplies every pair in every sample (2 N² M flops).
const SPARSE_PRODUCT_BELOW: f64 = 0.125;

/// P = Σ_t s(t) c(t)ᵀ (N × N), P_ij = Σ_t s_i(t) c_j(t), by [`sparse_product`] when the
/// spins' minority states are rare ([`SPARSE_PRODUCT_BELOW`]), else by [`dense_product`].
fn spin_conditional_product(samples: &Raster, conditional: &DMatrix<f32>) -> DMatrix<f64> {
    let m = samples.n_samples();
    let minority: u64 = samples
        .up_counts()
        .iter()
        .map(|&u| u.min(m as u64 - u))
        .sum();
    let share = minority as f64 / (samples.n_spins() * m).max(1) as f64;
    if share <= SPARSE_PRODUCT_BELOW {
        sparse_product(samples, conditional)
    } else {
        dense_product(samples, conditional)
    }
}

/// P = Σ_t s(t) c(t)ᵀ from the minority states: with σ_i = +1 when cell i is up in at
/// most half the samples (else −1) and 𝟙_i(t) = [s_i(t) = σ_i], s_i = σ_i (2 𝟙_i − 1), so
/// P_ij = σ_i (2 Σ_{t: 𝟙_i(t)} c_j(t) − Σ_t c_j(t)). Row i sums the conditional columns
/// of its minority samples in f32 (at most M/2 terms of magnitude ≤ 1), in sample order;
/// rows run in parallel, so the result does not depend on the number of threads.
fn sparse_product(samples: &Raster, conditional: &DMatrix<f32>) -> DMatrix<f64> {
    let (n, m) = (samples.n_spins(), samples.n_samples());
    let c = conditional.as_slice();
    let column_sums: Vec<f64> = (0..n)
        .map(|j| conditional.row(j).iter().map(|&v| v as f64).sum())
        .collect();
    let ups = samples.up_counts();
    // Row i of P, contiguous (P is filled column-major below).
    let rows: Vec<Vec<f64>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let up_is_minority = 2 * ups[i] <= m as u64;
            let sign = if up_is_minority { 1.0 } else { -1.0 };
            // f32 sums of at most PRODUCT_BLOCK terms, carried into f64.
            let mut acc = vec![0.0f32; n];
            let mut total = vec![0.0f64; n];
            let mut terms = 0;
            for (w, &word) in samples.row(i).iter().enumerate() {
                let mut bits = if up_is_minority { word } else { !word };
                let valid = (m - w * 64).min(64);
                if valid < 64 {
                    bits &= (1u64 << valid) - 1;
                }
                while bits != 0 {
                    let t = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    for (a, &v) in acc.iter_mut().zip(&c[t * n..(t + 1) * n]) {
                        *a += v;
                    }
                    terms += 1;
                    if terms == PRODUCT_BLOCK {
                        carry(&mut acc, &mut total);
                        terms = 0;
                    }
                }
            }
            carry(&mut acc, &mut total);
            total
                .iter()
                .zip(&column_sums)
                .map(|(&a, &all)| sign * (2.0 * a - all))
                .collect()
        })
        .collect();
    DMatrix::from_fn(n, n, |i, j| rows[i][j])
}

/// Adds the f32 partial sums to the f64 totals and clears them.
fn carry(acc: &mut [f32], total: &mut [f64]) {
    for (t, a) in total.iter_mut().zip(acc.iter_mut()) {
        *t += *a as f64;
        *a = 0.0;
    }
}

/// P = Σ_t s(t) c(t)ᵀ: per block of samples one f32 matrix product of the ±1 spins with
/// the conditional means (matrixmultiply's kernel, transposes by strides), the blocks
/// summed in f64 in order, so the result does not depend on the number of threads.
fn dense_product(samples: &Raster, conditional: &DMatrix<f32>) -> DMatrix<f64> {
    let (n, m) = (samples.n_spins(), samples.n_samples());
    let blocks: Vec<Vec<f32>> = (0..m.div_ceil(PRODUCT_BLOCK))
        .into_par_iter()
        .map(|b| {
            let (start, end) = (b * PRODUCT_BLOCK, ((b + 1) * PRODUCT_BLOCK).min(m));
            let len = end - start;
            // The block's spins, sample-major: spin i's values at i·len..(i + 1)·len.
            let mut spins = vec![0.0f32; n * len];
            for i in 0..n {
                let row = samples.row(i);
                for (t, v) in spins[i * len..(i + 1) * len].iter_mut().enumerate() {
                    let bit = start + t;
                    *v = if (row[bit >> 6] >> (bit & 63)) & 1 == 1 {
                        1.0
                    } else {
                        -1.0
                    };
                }
            }
            let c = &conditional.as_slice()[start * n..end * n];
            let mut product = vec![0.0f32; n * n];
            // SAFETY: spins holds N × len values read as the N × len matrix with strides
            // (len, 1); c holds the len columns of N conditional means, read as len × N with
            // strides (N, 1); product is N × N column-major.
            unsafe {
                matrixmultiply::sgemm(
                    n,
                    len,
                    n,
                    1.0,
                    spins.as_ptr(),
                    len as isize,
                    1,
                    c.as_ptr(),
                    n as isize,
                    1,
                    0.0,
                    product.as_mut_ptr(),
                    1,
                    n as isize,
                );
            }
            product
        })
        .collect();
    let mut total = DMatrix::zeros(n, n);
    for block in &blocks {
        for (a, &b) in total.as_mut_slice().iter_mut().zip(block) {
            *a += b as f64;
        }
    }
    total
}

/// Rows of at least this many words (65,536 samples) are compared in blocks of four
/// ([`blocked_pairs`]); shorter ones pair by pair ([`pairwise_pairs`]). Measured: the
/// blocks made the pair moments of 1,000 rows × 100,000 samples 20 % faster, but a
/// learning iteration at N = 1,000, whose 16 chains hold 6,250 samples each, 25 % slower.
const BLOCKED_FROM_WORDS: usize = 1024;

/// ⟨s_i s_j⟩ for all pairs, a block of rows i against every later row j: each row j is read
/// once per block, not once per pair (long rows do not stay in cache).
fn blocked_pairs(raster: &Raster) -> DMatrix<f64> {
    let n = raster.n_spins();
    let m = raster.n_samples().max(1) as f64;
    let starts: Vec<usize> = (0..n).step_by(BLOCK_ROWS).collect();
    let blocks: Vec<Vec<u64>> = starts
        .par_iter()
        .map(|&i0| {
            let block: Vec<&[u64]> = (i0..(i0 + BLOCK_ROWS).min(n))
                .map(|i| raster.row(i))
                .collect();
            xor_popcount_table(&block, (i0..n).map(|j| raster.row(j)))
        })
        .collect();
    let mut pairs = DMatrix::identity(n, n);
    for (&i0, block) in starts.iter().zip(&blocks) {
        let width = BLOCK_ROWS.min(n - i0);
        for (dj, counts) in block.chunks_exact(width).enumerate() {
            let j = i0 + dj;
            for (di, &d) in counts.iter().enumerate() {
                let i = i0 + di;
                if i < j {
                    let c = 1.0 - 2.0 * d as f64 / m;
                    pairs[(i, j)] = c;
                    pairs[(j, i)] = c;
                }
            }
        }
    }
    pairs
}

/// ⟨s_i s_j⟩ for all pairs, one pair at a time.
fn pairwise_pairs(raster: &Raster) -> DMatrix<f64> {
    let n = raster.n_spins();
    let m = raster.n_samples().max(1) as f64;
    let rows: Vec<Vec<f64>> = (0..n)
        .into_par_iter()
        .map(|i| {
            (i + 1..n)
                .map(|j| 1.0 - 2.0 * xor_popcount(raster.row(i), raster.row(j)) as f64 / m)
                .collect()
        })
        .collect();
    let mut pairs = DMatrix::identity(n, n);
    for (i, row) in rows.iter().enumerate() {
        for (k, &c) in row.iter().enumerate() {
            pairs[(i, i + 1 + k)] = c;
            pairs[(i + 1 + k, i)] = c;
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    use rand::RngExt;

    /// Σ_t s_i(t) c_j(t) term by term.
    fn product_by_definition(samples: &Raster, c: &DMatrix<f32>) -> DMatrix<f64> {
        let (n, m) = (samples.n_spins(), samples.n_samples());
        DMatrix::from_fn(n, n, |i, j| {
            (0..m)
                .map(|t| samples.spin(i, t) as f64 * c[(j, t)] as f64)
                .sum()
        })
    }

    #[test]
    fn both_spin_conditional_products_equal_the_definition() {
        // 700 samples (a partial last word and more than one f32 block per row); cell 0
        // fires in most samples, so its minority state is silence.
        let (n, m) = (6, 700);
        for density in [0.03, 0.5] {
            let mut samples = Raster::zeros(n, m);
            let mut c = DMatrix::<f32>::zeros(n, m);
            let mut rng = crate::seeded(99);
            let mut uniform = || rng.random::<f64>();
            for t in 0..m {
                for i in 0..n {
                    let p = if i == 0 { 1.0 - density } else { density };
                    samples.set(i, t, uniform() < p);
                    c[(i, t)] = (2.0 * uniform() - 1.0) as f32;
                }
            }
            let exact = product_by_definition(&samples, &c);
            // f32 partial sums of at most 256 terms of magnitude ≤ 1.
            for product in [sparse_product(&samples, &c), dense_product(&samples, &c)] {
                assert!((product - &exact).amax() < 1e-3, "density {density}");
            }
        }
    }

    fn raster() -> Raster {
        let mut r = Raster::zeros(5, 300);
        for i in 0..5 {
            for t in 0..300 {
                r.set(i, t, (t * (i + 3) + i * i) % 7 < 2 + i % 3);
            }
        }
        r
    }

    #[test]
    fn popcount_average_equals_the_per_sample_definition() {
        let r = raster();
        let stats = PairStatistics::new(5);
        let fast = stats.average(&r);
        let mut acc = vec![0.0; 15];
        for t in 0..300 {
            stats.accumulate(&r.column(t), 1.0, &mut acc);
        }
        for (k, a) in acc.iter().enumerate() {
            approx::assert_abs_diff_eq!(fast[k], a / 300.0, epsilon = 1e-12);
        }
    }

    #[test]
    fn pair_moments_equal_the_per_sample_definition_for_partial_row_blocks() {
        // 9 rows: two blocks of four compared row by row and a last block of one.
        let mut r = Raster::zeros(9, 130);
        for i in 0..9 {
            for t in 0..130 {
                r.set(i, t, (t * (i + 2) + 3 * i) % 5 < 1 + i % 3);
            }
        }
        // Both ways of comparing rows, whichever Moments::of would pick for this length.
        for pairs in [blocked_pairs(&r), pairwise_pairs(&r), Moments::of(&r).pairs] {
            for i in 0..9 {
                for j in 0..9 {
                    let direct = (0..130)
                        .map(|t| f64::from(r.spin(i, t)) * f64::from(r.spin(j, t)))
                        .sum::<f64>()
                        / 130.0;
                    approx::assert_abs_diff_eq!(pairs[(i, j)], direct, epsilon = 1e-12);
                }
            }
        }
    }

    #[test]
    fn connected_correlations_subtract_the_product_of_means() {
        let m = Moments::of(&raster());
        let c = m.connected();
        approx::assert_abs_diff_eq!(
            c[(1, 3)],
            m.pairs[(1, 3)] - m.means[1] * m.means[3],
            epsilon = 1e-15
        );
    }
}
