//! The kinetic model's side of the gradient, computed exactly on the data: ⟨tanh θ(t)⟩,
//! ⟨tanh θ(t) s(t)ᵀ⟩ and the log-partition ⟨Σ_i log 2cosh θ_i(t)⟩ over the transitions.

use std::{
    ops::Range,
    sync::{Arc, Mutex},
};

use nalgebra::DVector;
use rayon::prelude::*;

use super::{ModelAverages, Sampler};
#[cfg(target_arch = "x86_64")]
use crate::kernels::list_rows::list_rows_avx512;
use crate::{
    kernels::{
        aligned::AlignedF64,
        columns::{add_columns, add_to_columns},
        has_avx512,
        list_rows::{defers, LANES, MAX_VECTORS},
        tanh_sums::TanhSums,
        TransitionData,
    },
    model::{Energy, KineticIsing},
    raster::Raster,
    Error, Real, Result, Statistics, Transitions,
};

/// Below this fraction of listed cells per transition (the smaller of the up and down
/// sets), θ(t) is built from sparse lists of active cells (N per listed cell); above it,
/// from dense matrix products of the ±1 states, which run at the machine's full floating-
/// point rate. Measured before the fused list kernel (a bench since removed): at N = 160 the list path
/// costs about as much as the product path at 12 % listed cells.
pub const DENSE_ABOVE: f64 = 0.12;

/// Transitions per block of the dense path: a 1024 × N block of ±1 states.
const DENSE_BLOCK: usize = 1024;

/// Rows per block of the dense path: fixed (not by thread count), so the matrix products
/// and hence the sums are the same however many threads run them.
const DENSE_ROWS: usize = 64;

/// The sources in the form the evaluation reads.
#[derive(Clone, Debug)]
enum Sources {
    /// Lists of the listed (active, or silent) cells of each source state.
    Sparse(TransitionData),
    /// The bit-packed source states, unpacked block by block for matrix products.
    Dense(Raster),
}

/// Sums over all transitions for the rows of one block (width R).
struct RowSums {
    tanh: Vec<f64>,
    /// Σ_t tanh θ_i(t) x_j(t) at j · R + r (sparse: x the listed indicator; dense: x = s).
    product: Vec<f64>,
    log_cosh: Vec<f64>,
}

/// The exact model side for a kinetic model on fixed data, as a [`Sampler`]: no sampling is
/// needed because the likelihood conditions on the observed s(t).
///
/// ⟨φ⟩_model = (⟨tanh θ_i(t)⟩_t, ⟨tanh θ_i(t) s_j(t)⟩_t) and A(θ) = ⟨Σ_i log 2cosh θ_i(t)⟩_t.
/// On sparse data, with x = (s + 1)/2, J s(t) = 2 J x(t) − J 1, so θ(t) costs N per active
/// cell, and so does the J part of the gradient; on dense data both are matrix products
/// over blocks of transitions. The work is split by blocks of rows (cells i), each summing
/// over all transitions in order, so the result does not depend on the number of threads
/// and no thread holds more than its own rows of the N × N gradient. Sums run in f64
/// whatever the model's precision.
///
/// ```
/// use spinfer::prelude::*;
///
/// // At θ = 0 every tanh θ_i(t) is 0, and A(θ) = N log 2.
/// let series = Raster::from_configurations(2, [&[1, -1][..], &[-1, -1], &[1, 1]]);
/// let mut exact = ConditionalExpectation::new(&series).unwrap();
/// let model = KineticIsing::<f64>::zeros(2, KineticOptions::default());
/// let averages = exact.averages(&model, &TransitionStatistics::new(2)).unwrap();
/// assert!(averages.stats.iter().all(|v| *v == 0.0));
/// assert!((averages.log_partition.unwrap() - 2.0 * 2f64.ln()).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct ConditionalExpectation {
    sources: Arc<Sources>,
    transitions: usize,
}

impl ConditionalExpectation {
    /// The model side for the transitions of a continuous time series.
    pub fn new(series: &Raster) -> Result<Self> {
        Self::of(&Transitions::from_series(series))
    }

    /// The model side for a set of transitions (only their sources matter).
    pub fn of(transitions: &Transitions) -> Result<Self> {
        Self::of_sources(transitions.before())
    }

    /// The model side for the given source states, one per column.
    pub fn of_sources(sources: &Raster) -> Result<Self> {
        let density = sources.density();
        let listed = density.min(1.0 - density);
        let data = if listed > DENSE_ABOVE {
            Sources::Dense(sources.clone())
        } else {
            Sources::Sparse(TransitionData::of_sources(sources)?)
        };
        Ok(ConditionalExpectation {
            sources: Arc::new(data),
            transitions: sources.n_samples(),
        })
    }

    /// Whether the dense (matrix product) path is used.
    pub fn is_dense(&self) -> bool {
        matches!(*self.sources, Sources::Dense(_))
    }

    /// Bytes held by the prepared sources.
    pub fn memory_bytes(&self) -> usize {
        match &*self.sources {
            Sources::Sparse(d) => d.memory_bytes(),
            Sources::Dense(r) => r.memory_bytes(),
        }
    }

    fn n_spins(&self) -> usize {
        match &*self.sources {
            Sources::Sparse(d) => d.n_spins(),
            Sources::Dense(r) => r.n_spins(),
        }
    }

    /// ⟨φ⟩ under the model and A(θ), both per transition.
    pub fn evaluate<T: Real>(&self, model: &KineticIsing<T>) -> Result<ModelAverages> {
        let n = self.n_spins();
        if model.n_spins() != n {
            return Err(Error::Shape(format!(
                "the model has {} spins, the data {n}",
                model.n_spins()
            )));
        }
        let k = self.transitions;
        if k == 0 {
            return Err(Error::Shape(
                "no transitions: a time series needs at least 2 bins".into(),
            ));
        }
        let h: Vec<f64> = model.fields().iter().map(|v| v.as_f64()).collect();
        // J read in place (column-major, J_ij at i + N j): no N × N copy per pass.
        let j = &model.params().as_slice()[n..];
        let blocks = match &*self.sources {
            Sources::Sparse(_) => row_blocks(n),
            Sources::Dense(_) => (0..n)
                .step_by(DENSE_ROWS)
                .map(|r| r..(r + DENSE_ROWS).min(n))
                .collect(),
        };
        let sign = match &*self.sources {
            Sources::Sparse(d) => d.list_sign(),
            Sources::Dense(_) => 1.0,
        };
        let kf = k as f64;
        // Each block's sums go into ⟨φ⟩ as soon as the block is done, so that no more than
        // one block per thread holds its N × width sums besides the result.
        let stats = Mutex::new(DVector::zeros(n + n * n));
        let store = |rows: &Range<usize>, s: RowSums| {
            let mut stats = stats
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let width = rows.len();
            for (r, i) in rows.clone().enumerate() {
                stats[i] = s.tanh[r] / kf;
                for col in 0..n {
                    let p = s.product[col * width + r];
                    // Sparse: Σ_t tanh_i s_j = sign · (2 Σ_{t: j listed} tanh_i − Σ_t tanh_i).
                    let v = match &*self.sources {
                        Sources::Sparse(_) => sign * (2.0 * p - s.tanh[r]),
                        Sources::Dense(_) => p,
                    };
                    stats[n + i + n * col] = v / kf;
                }
            }
            s.log_cosh
        };
        let log_cosh_blocks: Vec<Vec<f64>> = match &*self.sources {
            Sources::Sparse(d) => blocks
                .par_iter()
                .map(|rows| store(rows, sparse_rows(d, &h, j, rows.clone())))
                .collect(),
            Sources::Dense(r) => blocks
                .iter()
                .zip(dense_sums(r, &h, j, &blocks))
                .map(|(rows, s)| store(rows, s))
                .collect(),
        };
        // Summed in the blocks' order, whatever order they finished in.
        let log_cosh: f64 = log_cosh_blocks.iter().flatten().sum();
        let stats = stats
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(ModelAverages {
            stats,
            log_partition: Some(log_cosh / kf),
            std_error: None,
        })
    }
}

/// Blocks of rows: multiples of 8 (one AVX-512 vector of f64), at least 4 blocks per 64
/// rows so that both cores of a small machine have work, at most 64 rows.
fn row_blocks(n: usize) -> Vec<Range<usize>> {
    let width = ((n / 4).div_ceil(8) * 8).clamp(8, 64).min(n.max(1));
    (0..n)
        .step_by(width)
        .map(|r| r..(r + width).min(n))
        .collect()
}

/// The list path for rows `rows`: θ_i(t) = c_i + Σ_{j listed at t} 2σ J_ij with
/// c_i = h_i − σ Σ_j J_ij (σ the lists' sign). With AVX-512, one fused loop with θ in
/// registers ([`list_rows_avx512`]); elsewhere three vectorised loops over memory.
fn sparse_rows<T: Real>(data: &TransitionData, h: &[f64], j: &[T], rows: Range<usize>) -> RowSums {
    let width = rows.len();
    if width <= LANES * MAX_VECTORS && has_avx512() {
        #[cfg(target_arch = "x86_64")]
        {
            // The fused kernel reads whole vectors: rows padded to a multiple of 8.
            let (base, scaled) = block_columns(data, h, j, rows, width.div_ceil(LANES) * LANES);
            let defer = defers(scaled.as_slice());
            // SAFETY: AVX-512 was detected above; the pad rows are 0.
            return unsafe { fused_rows(data, &base, scaled.as_slice(), width, defer) };
        }
    }
    let (base, scaled) = block_columns(data, h, j, rows, width);
    portable_rows(data, &base, scaled.as_slice())
}

/// The block's base c and its rows of 2σJ, column by column with the given stride (rows past
/// the block's, up to the stride, are 0).
fn block_columns<T: Real>(
    data: &TransitionData,
    h: &[f64],
    j: &[T],
    rows: Range<usize>,
    stride: usize,
) -> (Vec<f64>, AlignedF64) {
    let n = data.n_spins();
    let sign = data.list_sign();
    let mut scaled = AlignedF64::zeros(n * stride);
    for (col, column) in scaled.as_mut_slice().chunks_exact_mut(stride).enumerate() {
        for (r, i) in rows.clone().enumerate() {
            column[r] = 2.0 * sign * j[i + n * col].as_f64();
        }
    }
    let mut base = vec![0.0; stride];
    for (b, i) in base.iter_mut().zip(rows) {
        *b = h[i] - sign * (0..n).map(|c| j[i + n * c].as_f64()).sum::<f64>();
    }
    (base, scaled)
}

/// The fused AVX-512 list loop on a padded block ([`block_columns`] with a stride that is
/// a multiple of 8), its sums cut back to the block's `width` rows.
///
/// # Safety
/// The processor must support AVX-512 ([`has_avx512`]).
#[cfg(target_arch = "x86_64")]
unsafe fn fused_rows(
    data: &TransitionData,
    base: &[f64],
    scaled: &[f64],
    width: usize,
    defer: bool,
) -> RowSums {
    let (n, stride) = (data.n_spins(), base.len());
    let mut padded = AlignedF64::zeros(n * stride);
    let sums = list_rows_avx512(
        data,
        stride / LANES,
        base,
        scaled,
        padded.as_mut_slice(),
        defer,
    );
    let mut product = vec![0.0; n * width];
    let padded = padded.as_slice().chunks_exact(stride);
    for (to, from) in product.chunks_exact_mut(width).zip(padded) {
        to.copy_from_slice(&from[..width]);
    }
    RowSums {
        tanh: sums.tanh[..width].to_vec(),
        product,
        log_cosh: sums.log_2cosh[..width].to_vec(),
    }
}

/// The list path's loop without AVX-512: θ(t) = base + Σ_{j listed} a_j, the transcendental
/// sums, then p_j += tanh θ(t) for the listed j, each a vectorised loop over the block.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "x86_64+sse4.2"
))]
fn portable_rows(data: &TransitionData, base: &[f64], scaled: &[f64]) -> RowSums {
    let width = base.len();
    let mut product = vec![0.0; scaled.len()];
    let mut theta = vec![0.0; width];
    let mut transcendental = TanhSums::new(width);
    for t in 0..data.transitions() {
        let listed = data.listed(t);
        add_columns(&mut theta, base, scaled, listed, width);
        transcendental.accumulate(&mut theta);
        add_to_columns(&mut product, &theta, listed, width);
    }
    RowSums {
        tanh: transcendental.tanh().to_vec(),
        product,
        log_cosh: transcendental.log_2cosh(),
    }
}

/// The product path: per block of B transitions, the block's ±1 states S are unpacked
/// once, time-major (B × N), then every block of rows R (in parallel) takes
/// Θᵀ = S J_Rᵀ (B × R), the sums of tanh and log 2cosh of θ + h, and
/// Σ_t tanh θ(t) s(t)ᵀ += tanh(Θ) S (R × N). Both products are matrixmultiply's f64
/// kernels, transposes by strides only; each row's sums run over the blocks in order.
fn dense_sums<T: Real>(
    sources: &Raster,
    h: &[f64],
    j: &[T],
    blocks: &[Range<usize>],
) -> Vec<RowSums> {
    let n = sources.n_spins();
    let total = sources.n_samples();
    let mut work: Vec<DenseRows> = blocks
        .iter()
        .map(|rows| DenseRows::new(rows.clone(), j, n))
        .collect();
    let mut spins = vec![0.0; DENSE_BLOCK * n];
    for start in (0..total).step_by(DENSE_BLOCK) {
        let len = DENSE_BLOCK.min(total - start);
        unpack_spins(sources, start, len, &mut spins[..len * n]);
        let spins = &spins[..len * n];
        work.par_iter_mut()
            .for_each(|w| w.accumulate(spins, len, n, h));
    }
    work.into_iter()
        .map(|w| {
            let mut sums = w.sums;
            for (r, row) in w.transcendental.iter().enumerate() {
                sums.tanh[r] = row.tanh().iter().sum();
                sums.log_cosh[r] = row.log_2cosh().iter().sum();
            }
            sums
        })
        .collect()
}

/// One block of rows of the product path and its running sums.
struct DenseRows {
    rows: Range<usize>,
    /// J_Rᵀ, N × R column-major: (col, r) at col + N·r.
    j_rows_t: Vec<f64>,
    /// Θᵀ of the current block of transitions, B × R column-major.
    theta: Vec<f64>,
    /// Each row's sums of tanh and log 2cosh, eight at a time.
    transcendental: Vec<TanhSums>,
    sums: RowSums,
}

impl DenseRows {
    fn new<T: Real>(rows: Range<usize>, j: &[T], n: usize) -> Self {
        let width = rows.len();
        let mut j_rows_t = vec![0.0; n * width];
        for (r, i) in rows.clone().enumerate() {
            for col in 0..n {
                j_rows_t[col + n * r] = j[i + n * col].as_f64();
            }
        }
        DenseRows {
            rows,
            j_rows_t,
            theta: vec![0.0; DENSE_BLOCK * width],
            transcendental: vec![TanhSums::new(8); width],
            sums: RowSums {
                tanh: vec![0.0; width],
                product: vec![0.0; width * n],
                log_cosh: vec![0.0; width],
            },
        }
    }

    fn accumulate(&mut self, spins: &[f64], len: usize, n: usize, h: &[f64]) {
        let width = self.rows.len();
        assert!(spins.len() >= len * n && self.theta.len() >= len * width);
        // SAFETY: the pointers cover len × N (spins), N × R (j_rows_t) and len × R (theta)
        // values with the strides given, as the assertion above and the sizes at
        // construction guarantee.
        unsafe {
            // Θᵀ (len × R) = S (len × N) · J_Rᵀ (N × R).
            matrixmultiply::dgemm(
                len,
                n,
                width,
                1.0,
                spins.as_ptr(),
                1,
                len as isize,
                self.j_rows_t.as_ptr(),
                1,
                n as isize,
                0.0,
                self.theta.as_mut_ptr(),
                1,
                len as isize,
            );
        }
        transcendental_sums(
            &mut self.theta[..len * width],
            len,
            &h[self.rows.clone()],
            &mut self.transcendental,
        );
        // SAFETY: theta holds R × len values read with strides (len, 1), spins len × N with
        // strides (1, len), and product R × N with strides (1, R).
        unsafe {
            // Σ_t tanh θ(t) s(t)ᵀ: product (R × N) += tanh(Θ) (R × len) · S (len × N).
            matrixmultiply::dgemm(
                width,
                len,
                n,
                1.0,
                self.theta.as_ptr(),
                len as isize,
                1,
                spins.as_ptr(),
                1,
                len as isize,
                1.0,
                self.sums.product.as_mut_ptr(),
                1,
                width as isize,
            );
        }
    }
}

/// For each row r (column r of Θᵀ, `len` values): θ ← tanh(θ + h_r), adding tanh and
/// log 2cosh to the row's sums (eight running sums per row, in a fixed order).
fn transcendental_sums(theta: &mut [f64], len: usize, h: &[f64], sums: &mut [TanhSums]) {
    for ((column, &hr), row_sums) in theta.chunks_exact_mut(len).zip(h).zip(sums) {
        for th in column.iter_mut() {
            *th += hr;
        }
        row_sums.accumulate(column);
    }
}

/// States `start..start + len` as ±1 values, time-major: spin i's block of `len` values at
/// `out[i·len..(i + 1)·len]`, read word by word from its bit row.
fn unpack_spins(sources: &Raster, start: usize, len: usize, out: &mut [f64]) {
    for i in 0..sources.n_spins() {
        let row = sources.row(i);
        let column = &mut out[i * len..(i + 1) * len];
        for (t, v) in column.iter_mut().enumerate() {
            let bit = start + t;
            *v = if (row[bit >> 6] >> (bit & 63)) & 1 == 1 {
                1.0
            } else {
                -1.0
            };
        }
    }
}

impl<T: Real> Sampler<T, KineticIsing<T>> for ConditionalExpectation {
    type State = ();

    fn averages(
        &mut self,
        model: &KineticIsing<T>,
        _stats: &dyn Statistics,
    ) -> Result<ModelAverages> {
        self.evaluate(model)
    }

    fn is_exact(&self) -> bool {
        true
    }

    fn state(&self) {}

    fn restore(&mut self, _state: ()) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{model::KineticOptions, sample::simulate};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// A random 37-cell model (fields of scale `field`, couplings of scale `coupling`) and
    /// the sources of 2,999 transitions it generates.
    fn model_and_sources(seed: u64, field: f64, coupling: f64) -> (KineticIsing<f64>, Raster) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let model = KineticIsing::random(37, field, coupling, KineticOptions::default(), &mut rng);
        let series = simulate(&model, 3000, None, &mut rng).unwrap();
        (model, series.samples(0, 2999))
    }

    /// The list path and the product path compute the same sums.
    #[test]
    fn sparse_and_dense_paths_agree() {
        let (model, sources) = model_and_sources(9, 0.8, 0.3);
        let sparse = ConditionalExpectation {
            sources: Arc::new(Sources::Sparse(
                TransitionData::of_sources(&sources).unwrap(),
            )),
            transitions: 2999,
        };
        let dense = ConditionalExpectation {
            sources: Arc::new(Sources::Dense(sources)),
            transitions: 2999,
        };
        let (a, b) = (
            sparse.evaluate(&model).unwrap(),
            dense.evaluate(&model).unwrap(),
        );
        for (x, y) in a.stats.iter().zip(b.stats.iter()) {
            assert!((x - y).abs() < 1e-12, "{x} vs {y}");
        }
        let (la, lb) = (a.log_partition.unwrap(), b.log_partition.unwrap());
        assert!((la - lb).abs() < 1e-12 * la.abs(), "{la} vs {lb}");
    }

    /// The list kernels (portable; fused with AVX-512, column sums at once or deferred)
    /// give the sums of `std`'s tanh and ln(2cosh), on blocks with pad rows (N = 37: blocks
    /// of 16, 16 and 5 rows), couplings strong enough to reach |θ| ≈ 10, and more
    /// transitions than a renormalisation period.
    #[test]
    fn list_kernels_match_a_direct_sum() {
        let (model, sources) = model_and_sources(12, 1.5, 1.2);
        let n = 37;
        let data = TransitionData::of_sources(&sources).unwrap();
        let h: Vec<f64> = model.fields().iter().copied().collect();
        let j: Vec<f64> = model.couplings().iter().copied().collect();
        // The direct sums, θ_i(t) = h_i + Σ_j J_ij s_j(t).
        let spin = |c: usize, t: usize| f64::from(sources.spin(c, t));
        let (mut tanh, mut log_cosh, mut product) = (vec![0.0; n], vec![0.0; n], vec![0.0; n * n]);
        for t in 0..2999 {
            for i in 0..n {
                let theta = h[i] + (0..n).map(|c| j[i + n * c] * spin(c, t)).sum::<f64>();
                tanh[i] += theta.tanh();
                log_cosh[i] += (2.0 * theta.cosh()).ln();
                for c in 0..n {
                    product[i + n * c] += theta.tanh() * spin(c, t);
                }
            }
        }
        let sign = data.list_sign();
        for rows in row_blocks(n) {
            let width = rows.len();
            let (base, scaled) = block_columns(&data, &h, &j, rows.clone(), width);
            let mut kernels = vec![
                sparse_rows(&data, &h, &j, rows.clone()),
                portable_rows(&data, &base, scaled.as_slice()),
            ];
            #[cfg(target_arch = "x86_64")]
            if has_avx512() {
                let stride = width.div_ceil(LANES) * LANES;
                let (base, scaled) = block_columns(&data, &h, &j, rows.clone(), stride);
                for defer in [false, true] {
                    // SAFETY: AVX-512 was detected; the block is padded to whole vectors.
                    kernels
                        .push(unsafe { fused_rows(&data, &base, scaled.as_slice(), width, defer) });
                }
            }
            for sums in kernels {
                // A sum of 2,999 terms in some order is within 2,999·ε·Σ|terms| of the exact
                // one (each term within a few ε itself); both sides are such sums.
                let bound = |magnitudes: f64| 2.0 * 3000.0 * f64::EPSILON * magnitudes;
                for (r, i) in rows.clone().enumerate() {
                    assert!((sums.tanh[r] - tanh[i]).abs() <= bound(3000.0));
                    for c in 0..n {
                        let p = sign * (2.0 * sums.product[c * width + r] - sums.tanh[r]);
                        assert!((p - product[i + n * c]).abs() <= bound(3000.0), "{i} {c}");
                    }
                    let (a, b) = (sums.log_cosh[r], log_cosh[i]);
                    assert!((a - b).abs() <= bound(b), "{i}: {a} vs {b}");
                }
            }
        }
    }
}
