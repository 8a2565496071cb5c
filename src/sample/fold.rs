//! Rao–Blackwellised averages folded as a chain records its samples, a block at a time, so
//! that the conditional means of a whole run are never held at once (200,000 samples of
//! 1,000 spins would take 800 MB as f32).

use nalgebra::{DMatrix, DVector};

use crate::{raster::Raster, Statistics};

/// Samples per folded block: a multiple of 64, so that a block ends where the chains
/// have written a whole word of every spin's samples. N × 1,024 f32 is 4 MB at N = 1,000.
pub(super) const FOLD_BLOCK: usize = 1024;

/// The running Rao–Blackwellised average of one chain:
/// ⟨φ⟩ = Σ_b (m_b / m) ⟨φ⟩_b over blocks b of m_b samples, each block's ⟨φ⟩_b from
/// [`Statistics::average_conditional`] of its samples and their conditional means.
/// Blocks are folded in order, so the result does not depend on the thread count.
pub(super) struct ConditionalFold<'s> {
    stats: &'s dyn Statistics,
    /// Conditional means of the current block, column t − `first` for sample t.
    block: DMatrix<f32>,
    /// The block's first sample.
    first: usize,
    /// Σ_b m_b ⟨φ⟩_b over the folded blocks; `None` once a block had no
    /// Rao–Blackwellised average (the statistics have none: the caller averages the
    /// samples instead).
    sum: Option<DVector<f64>>,
}

impl<'s> ConditionalFold<'s> {
    /// A fold of samples of `n` spins with `stats`.
    pub(super) fn new(stats: &'s dyn Statistics, n: usize, samples: usize) -> Self {
        ConditionalFold {
            stats,
            block: DMatrix::zeros(n, FOLD_BLOCK.min(samples.max(1))),
            first: 0,
            sum: Some(DVector::zeros(stats.dim())),
        }
    }

    /// Where the conditional means of sample `t` go (samples come in order).
    pub(super) fn column(&mut self, t: usize) -> &mut [f32] {
        let n = self.block.nrows();
        let k = t - self.first;
        &mut self.block.as_mut_slice()[k * n..(k + 1) * n]
    }

    /// Called once sample `t`'s spins are in `samples` (a block's words are complete at
    /// its last sample): folds the block when `t` ends it.
    pub(super) fn recorded(&mut self, samples: &Raster, t: usize) {
        if t + 1 - self.first == self.block.ncols() {
            self.fold(samples, t + 1);
        }
    }

    /// Folds what remains and returns the average over all `samples`; `None` when the
    /// statistics have no Rao–Blackwellised form.
    pub(super) fn finish(mut self, samples: &Raster) -> Option<DVector<f64>> {
        let m = samples.n_samples();
        if m > self.first {
            self.fold(samples, m);
        }
        self.sum.map(|s| s / m.max(1) as f64)
    }

    fn fold(&mut self, samples: &Raster, end: usize) {
        let len = end - self.first;
        if let Some(sum) = &mut self.sum {
            let spins = samples.samples(self.first, end);
            let average = if len == self.block.ncols() {
                self.stats.average_conditional(&spins, &self.block)
            } else {
                let part = self.block.columns(0, len).into_owned();
                self.stats.average_conditional(&spins, &part)
            };
            match average {
                Some(a) => sum.axpy(len as f64, &a, 1.0),
                None => self.sum = None,
            }
        }
        self.first = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{stats::PairStatistics, Spin};
    use rand::RngExt;

    #[test]
    fn folding_in_blocks_is_the_average_over_all_samples() {
        let (n, m) = (5, 2 * FOLD_BLOCK + 37);
        let mut samples = Raster::zeros(n, m);
        let mut conditional = DMatrix::<f32>::zeros(n, m);
        let mut rng = crate::seeded(12345);
        let mut next = || rng.random::<f32>();
        for t in 0..m {
            let column: Vec<Spin> = (0..n).map(|_| if next() < 0.3 { 1 } else { -1 }).collect();
            samples.set_column(t, &column);
            for i in 0..n {
                conditional[(i, t)] = 2.0 * next() - 1.0;
            }
        }
        let stats = PairStatistics::new(n);
        let whole = stats.average_conditional(&samples, &conditional).unwrap();
        let mut fold = ConditionalFold::new(&stats, n, m);
        for t in 0..m {
            fold.column(t)
                .copy_from_slice(conditional.column(t).as_slice());
            fold.recorded(&samples, t);
        }
        let folded = fold.finish(&samples).unwrap();
        // Sums of f32 products of at most 1,024 terms, then f64: the two orders agree to
        // a few f32 units in the last place of the largest partial sum.
        assert!((folded - whole).amax() < 1e-5);
    }
}
