//! The kinetic model's side of the gradient, computed exactly on the data: ⟨tanh θ(t)⟩,
//! ⟨tanh θ(t) s(t)ᵀ⟩ and the log-partition ⟨Σ_i log 2cosh θ_i(t)⟩ over the transitions.

use std::sync::Arc;

use nalgebra::DVector;
use rayon::prelude::*;

use super::{fastmath::tanh_and_log_2cosh, ModelAverages, Sampler};
use crate::{
    model::{Energy, KineticIsing},
    raster::Raster,
    Error, Real, Result, Statistics, Transitions,
};

/// Largest number of time chunks evaluated in parallel. Fixed, so that the floating-point
/// summation order, and hence the result, does not depend on the number of threads.
const MAX_CHUNKS: usize = 16;

/// The source states s(t), t = 0..T−2, of a time series as sparse index lists.
///
/// Each state is stored as the list of its up spins, or of its down spins when the raster is
/// mostly up (whichever is shorter), as `u16` cell numbers: 160 cells × 283,041 bins at 3 %
/// activity take 2.7 MB of indices plus 2.3 MB of offsets.
#[derive(Clone, Debug)]
pub struct TransitionData {
    n: usize,
    offsets: Vec<u64>,
    cells: Vec<u16>,
    /// +1 when the lists hold up spins, −1 when they hold down spins.
    list_sign: f64,
}

impl TransitionData {
    /// Builds the lists for the transitions of a continuous time series.
    pub fn new(series: &Raster) -> Result<Self> {
        Self::of_sources(&series.samples(0, series.n_samples().saturating_sub(1)))
    }

    /// Builds the lists for the given source states, one per column.
    pub fn of_sources(sources: &Raster) -> Result<Self> {
        let n = sources.n_spins();
        if n > u16::MAX as usize + 1 {
            return Err(Error::Shape(format!(
                "{n} spins: at most {} are supported",
                u16::MAX as usize + 1
            )));
        }
        let count = sources.n_samples();
        let up_lists = sources.density() <= 0.5;
        let mut offsets = Vec::with_capacity(count + 1);
        let mut cells = Vec::new();
        offsets.push(0);
        for t in 0..count {
            for i in 0..n {
                if sources.is_up(i, t) == up_lists {
                    cells.push(i as u16);
                }
            }
            offsets.push(cells.len() as u64);
        }
        Ok(TransitionData {
            n,
            offsets,
            cells,
            list_sign: if up_lists { 1.0 } else { -1.0 },
        })
    }

    /// Number of spins.
    pub fn n_spins(&self) -> usize {
        self.n
    }

    /// Number of transitions.
    pub fn transitions(&self) -> usize {
        self.offsets.len() - 1
    }

    /// +1 when the lists hold up spins (x_j = (1 + s_j)/2 for a listed cell), −1 when they
    /// hold down spins (x_j = (1 − s_j)/2): s_j = sign · (2 x_j − 1).
    pub(crate) fn list_sign(&self) -> f64 {
        self.list_sign
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.offsets.len() * 8 + self.cells.len() * 2
    }

    /// The cells listed for transition t, in increasing order: its up spins, or its down
    /// spins when [`Self::list_sign`] is −1.
    #[inline]
    pub(crate) fn listed(&self, t: usize) -> &[u16] {
        &self.cells[self.offsets[t] as usize..self.offsets[t + 1] as usize]
    }
}

/// Sums over a block of transitions.
struct Partial {
    tanh: Vec<f64>,
    /// G_ij = Σ_{t: j listed at t} tanh θ_i(t), column-major.
    listed_tanh: Vec<f64>,
    /// Σ_t log 2cosh θ_i(t) per cell (a vector, so the loop needs no cross-lane sum).
    log_cosh: Vec<f64>,
}

/// θ = base + Σ_{j listed} col_j, in blocks of 32 rows held in registers across all the
/// listed columns (instead of loading and storing θ once per column).
#[inline(always)]
pub(crate) fn add_columns(
    theta: &mut [f64],
    base: &[f64],
    matrix: &[f64],
    listed: &[u16],
    n: usize,
) {
    const BLOCK: usize = 32;
    let full = n - n % BLOCK;
    for start in (0..full).step_by(BLOCK) {
        let mut acc = [0.0f64; BLOCK];
        acc.copy_from_slice(&base[start..start + BLOCK]);
        for &j in listed {
            let col = &matrix[j as usize * n + start..j as usize * n + start + BLOCK];
            for (a, &c) in acc.iter_mut().zip(col) {
                *a += c;
            }
        }
        theta[start..start + BLOCK].copy_from_slice(&acc);
    }
    theta[full..].copy_from_slice(&base[full..]);
    for &j in listed {
        let col = &matrix[j as usize * n + full..(j as usize + 1) * n];
        for (th, &c) in theta[full..].iter_mut().zip(col) {
            *th += c;
        }
    }
}

/// col_j += v for every listed j, in blocks of 32 rows of v held in registers.
#[inline(always)]
pub(crate) fn add_to_columns(matrix: &mut [f64], v: &[f64], listed: &[u16], n: usize) {
    const BLOCK: usize = 32;
    let full = n - n % BLOCK;
    for start in (0..full).step_by(BLOCK) {
        let mut block = [0.0f64; BLOCK];
        block.copy_from_slice(&v[start..start + BLOCK]);
        for &j in listed {
            let col = &mut matrix[j as usize * n + start..j as usize * n + start + BLOCK];
            for (c, &b) in col.iter_mut().zip(&block) {
                *c += b;
            }
        }
    }
    for &j in listed {
        let col = &mut matrix[j as usize * n + full..(j as usize + 1) * n];
        for (c, &b) in col.iter_mut().zip(&v[full..]) {
            *c += b;
        }
    }
}

/// Sums over transitions `range`. Compiled for AVX2+FMA as well as the baseline and chosen
/// at run time: the column adds and the transcendental pass are vector loops.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "x86_64+sse4.2"
))]
fn accumulate_block(
    data: &TransitionData,
    base: &[f64],
    scaled_j: &[f64],
    range: std::ops::Range<usize>,
) -> Partial {
    const FMA: bool = multiversion::target::target_cfg_f!(target_feature = "fma");
    let n = data.n;
    let mut p = Partial {
        tanh: vec![0.0; n],
        listed_tanh: vec![0.0; n * n],
        log_cosh: vec![0.0; n],
    };
    let mut theta = vec![0.0; n];
    for t in range {
        let listed = data.listed(t);
        add_columns(&mut theta, base, scaled_j, listed, n);
        for ((th, acc), lc_acc) in theta.iter_mut().zip(&mut p.tanh).zip(&mut p.log_cosh) {
            let (t, lc) = tanh_and_log_2cosh::<FMA>(*th);
            *lc_acc += lc;
            *acc += t;
            *th = t;
        }
        add_to_columns(&mut p.listed_tanh, &theta, listed, n);
    }
    p
}

/// The exact model side for a kinetic model on fixed data, as a [`Sampler`]: no sampling is
/// needed because the likelihood conditions on the observed s(t).
///
/// ⟨φ⟩_model = (⟨tanh θ_i(t)⟩_t, ⟨tanh θ_i(t) s_j(t)⟩_t) and A(θ) = ⟨Σ_i log 2cosh θ_i(t)⟩_t.
/// With x = (s + 1)/2, J s(t) = 2 J x(t) − J 1, so θ(t) costs N per active cell, and so does
/// the J part of the gradient. Sums run in f64 whatever the model's precision.
#[derive(Clone, Debug)]
pub struct ConditionalExpectation {
    data: Arc<TransitionData>,
}

impl ConditionalExpectation {
    /// The model side for the transitions of a continuous time series.
    pub fn new(series: &Raster) -> Result<Self> {
        Ok(ConditionalExpectation {
            data: Arc::new(TransitionData::new(series)?),
        })
    }

    /// The model side for a set of transitions (only their sources matter).
    pub fn of(transitions: &Transitions) -> Result<Self> {
        Ok(ConditionalExpectation {
            data: Arc::new(TransitionData::of_sources(transitions.before())?),
        })
    }

    /// The prepared transitions.
    pub fn data(&self) -> &TransitionData {
        &self.data
    }

    /// ⟨φ⟩ under the model and A(θ), both per transition.
    pub fn evaluate<T: Real>(&self, model: &KineticIsing<T>) -> Result<ModelAverages<T>> {
        let data = &*self.data;
        let n = data.n;
        if model.n_spins() != n {
            return Err(Error::Shape(format!(
                "the model has {} spins, the data {n}",
                model.n_spins()
            )));
        }
        let k = data.transitions();
        if k == 0 {
            return Err(Error::Shape(
                "no transitions: a time series needs at least 2 bins".into(),
            ));
        }
        let h: Vec<f64> = model.fields().iter().map(|v| v.as_f64()).collect();
        let j: Vec<f64> = model.couplings().iter().map(|v| v.as_f64()).collect();
        let sign = data.list_sign;
        let scaled_j: Vec<f64> = j.iter().map(|&v| 2.0 * sign * v).collect();
        let base: Vec<f64> = (0..n)
            .map(|i| h[i] - sign * (0..n).map(|c| j[i + n * c]).sum::<f64>())
            .collect();
        let chunks = MAX_CHUNKS.min(k.div_ceil(256)).max(1);
        let size = k.div_ceil(chunks);
        let partials: Vec<Partial> = (0..chunks)
            .into_par_iter()
            .map(|c| accumulate_block(data, &base, &scaled_j, c * size..((c + 1) * size).min(k)))
            .collect();
        let mut tanh = vec![0.0; n];
        let mut listed = vec![0.0; n * n];
        let mut log_cosh = 0.0;
        for p in &partials {
            tanh.iter_mut().zip(&p.tanh).for_each(|(a, b)| *a += b);
            listed
                .iter_mut()
                .zip(&p.listed_tanh)
                .for_each(|(a, b)| *a += b);
            log_cosh += p.log_cosh.iter().sum::<f64>();
        }
        let kf = k as f64;
        let mut stats = DVector::zeros(n + n * n);
        for i in 0..n {
            stats[i] = T::cast(tanh[i] / kf);
        }
        for col in 0..n {
            for i in 0..n {
                // Σ_t tanh_i s_j = sign · (2 G_ij − Σ_t tanh_i).
                let v = sign * (2.0 * listed[i + n * col] - tanh[i]) / kf;
                stats[n + i + n * col] = T::cast(v);
            }
        }
        Ok(ModelAverages {
            stats,
            log_partition: Some(log_cosh / kf),
        })
    }
}

impl<T: Real> Sampler<T, KineticIsing<T>> for ConditionalExpectation {
    fn averages<S: Statistics<T>>(
        &mut self,
        model: &KineticIsing<T>,
        _stats: &S,
    ) -> Result<ModelAverages<T>> {
        self.evaluate(model)
    }
}
