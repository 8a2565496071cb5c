//! Sparse index lists of the source states of a set of transitions: the compact form in which
//! the kinetic likelihood and the row-wise Newton solver read spike rasters.

use crate::{raster::Raster, Error, Result};

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
        let ups: u64 = sources.up_counts().iter().sum();
        let up_lists = sources.density() <= 0.5;
        let listed = if up_lists {
            ups as usize
        } else {
            n * count - ups as usize
        };
        let mut offsets = Vec::with_capacity(count + 1);
        // Exactly the lists' length: growing by doubling would leave up to half unused.
        let mut cells = Vec::with_capacity(listed);
        offsets.push(0);
        // 64 bins at a time, one word of each spin row: the listed cells of each bin are
        // counted, then written in increasing order, visiting only the set bits (not N
        // bit tests per bin, whose scattered reads across the rows took a second at 1,000
        // cells × 286,000 bins).
        let mut per_bin = [0usize; 64];
        let mut cursor = [0usize; 64];
        for w in 0..count.div_ceil(64) {
            let bins = 64.min(count - 64 * w);
            let mask = u64::MAX >> (64 - bins);
            let word = |i: usize| {
                let x = sources.row(i)[w];
                (if up_lists { x } else { !x }) & mask
            };
            per_bin[..bins].fill(0);
            for i in 0..n {
                let mut x = word(i);
                while x != 0 {
                    per_bin[x.trailing_zeros() as usize] += 1;
                    x &= x - 1;
                }
            }
            let mut end = cells.len();
            for b in 0..bins {
                cursor[b] = end;
                end += per_bin[b];
                offsets.push(end as u64);
            }
            cells.resize(end, 0);
            for i in 0..n {
                let mut x = word(i);
                while x != 0 {
                    let b = x.trailing_zeros() as usize;
                    cells[cursor[b]] = i as u16;
                    cursor[b] += 1;
                    x &= x - 1;
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_hold_each_bins_listed_cells_in_order() {
        // 130 bins: two full words and a partial one; mostly down, then mostly up.
        for ups in [false, true] {
            let mut r = Raster::zeros(7, 130);
            for i in 0..7 {
                for t in 0..130 {
                    r.set(i, t, ((t * (i + 1) + i) % 6 == 0) != ups);
                }
            }
            let lists = TransitionData::of_sources(&r).unwrap();
            assert_eq!(lists.list_sign(), if ups { -1.0 } else { 1.0 });
            assert_eq!(lists.transitions(), 130);
            for t in 0..130 {
                let expected: Vec<u16> =
                    (0..7).filter(|&i| r.is_up(i as usize, t) != ups).collect();
                assert_eq!(lists.listed(t), expected.as_slice(), "bin {t}");
            }
        }
    }
}
