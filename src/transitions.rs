//! Sets of transitions s(t) → s(t+1): the observations of a kinetic model.
//!
//! A recording of repeated trials (297 repeats of a 953-bin movie) is one long raster, but the
//! last bin of a repeat does not cause the first bin of the next. A [`Transitions`] holds the
//! source and target states of exactly the transitions to use, so repeats, held-out splits
//! and pseudo-likelihood (target = source) all go through the same code.

use crate::{Error, Raster, Result};

/// Paired source states s(t) and target states s(t+1), column k of each forming one
/// transition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transitions {
    before: Raster,
    after: Raster,
}

impl Transitions {
    /// Pairs sources and targets column by column; both must have the same shape.
    pub fn new(before: Raster, after: Raster) -> Result<Self> {
        if before.n_spins() != after.n_spins() || before.n_samples() != after.n_samples() {
            return Err(Error::Shape(format!(
                "sources are {} × {} but targets {} × {}",
                before.n_spins(),
                before.n_samples(),
                after.n_spins(),
                after.n_samples()
            )));
        }
        Ok(Transitions { before, after })
    }

    /// The T − 1 transitions of one continuous time series.
    pub fn from_series(series: &Raster) -> Self {
        let t = series.n_samples();
        Transitions {
            before: series.samples(0, t.saturating_sub(1)),
            after: series.samples(t.min(1), t.max(1).min(t)),
        }
    }

    /// The transitions inside consecutive segments of `segment_bins` bins (repeated trials):
    /// none from the last bin of a segment to the first of the next. The series must be whole
    /// segments.
    pub fn from_segments(series: &Raster, segment_bins: usize) -> Result<Self> {
        if segment_bins < 2 {
            return Err(Error::InvalidSetting {
                name: "repeat-bins",
                value: segment_bins.to_string(),
                allowed: "at least 2 bins".into(),
            });
        }
        // A remainder means the repeat length is wrong (or the file cut): the boundaries
        // would fall mid-repeat and count transitions between repeats.
        if !series.n_samples().is_multiple_of(segment_bins) {
            return Err(Error::InvalidSetting {
                name: "repeat-bins",
                value: segment_bins.to_string(),
                allowed: format!(
                    "a divisor of the {} bins (whole repeats)",
                    series.n_samples()
                ),
            });
        }
        let sources: Vec<usize> = (0..series.n_samples().saturating_sub(1))
            .filter(|t| t % segment_bins != segment_bins - 1)
            .collect();
        Ok(Self::at(series, &sources))
    }

    /// The transitions of a time series: within repeats of `repeat_bins` bins when given
    /// ([`Transitions::from_segments`]), else every t → t+1 ([`Transitions::from_series`]).
    pub fn within_repeats(series: &Raster, repeat_bins: Option<usize>) -> Result<Self> {
        match repeat_bins {
            Some(bins) => Self::from_segments(series, bins),
            None => Ok(Self::from_series(series)),
        }
    }

    /// The transitions t → t+1 of `series` for the given source bins t.
    pub fn at(series: &Raster, sources: &[usize]) -> Self {
        let targets: Vec<usize> = sources.iter().map(|t| t + 1).collect();
        Transitions {
            before: series.select(sources),
            after: series.select(&targets),
        }
    }

    /// Self-transitions s → s of every sample: with target = source, the kinetic
    /// log-likelihood without self-couplings is the equilibrium pseudo-log-likelihood
    /// Σ_i ⟨log P(s_i | s_{∖i})⟩.
    pub fn identity(samples: &Raster) -> Self {
        Transitions {
            before: samples.clone(),
            after: samples.clone(),
        }
    }

    /// The transitions with the given indices, in that order.
    pub fn select(&self, indices: &[usize]) -> Self {
        Transitions {
            before: self.before.select(indices),
            after: self.after.select(indices),
        }
    }

    /// Number of spins.
    pub fn n_spins(&self) -> usize {
        self.before.n_spins()
    }

    /// Number of transitions.
    pub fn len(&self) -> usize {
        self.before.n_samples()
    }

    /// Whether there is no transition.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Source states, one column per transition.
    pub fn before(&self) -> &Raster {
        &self.before
    }

    /// Target states, one column per transition.
    pub fn after(&self) -> &Raster {
        &self.after
    }

    /// A hash of both rasters ([`Raster::fingerprint`]).
    pub fn fingerprint(&self) -> u64 {
        self.before
            .fingerprint()
            .rotate_left(17)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ^ self.after.fingerprint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counting(n_samples: usize) -> Raster {
        let mut r = Raster::zeros(2, n_samples);
        for t in 0..n_samples {
            r.set(0, t, t % 2 == 1);
            r.set(1, t, t % 3 == 0);
        }
        r
    }

    #[test]
    fn series_pairs_each_bin_with_the_next() {
        let r = counting(100);
        let tr = Transitions::from_series(&r);
        assert_eq!(tr.len(), 99);
        for t in 0..99 {
            assert_eq!(tr.before().column(t), r.column(t));
            assert_eq!(tr.after().column(t), r.column(t + 1));
        }
    }

    #[test]
    fn segments_drop_the_transitions_between_repeats() {
        let r = counting(12);
        let tr = Transitions::from_segments(&r, 4).unwrap();
        // Segments [0..4), [4..8), [8..12): 3 + 3 + 3 transitions.
        assert_eq!(tr.len(), 9);
        assert_eq!(tr.before().column(3), r.column(4));
        assert_eq!(tr.after().column(3), r.column(5));
        // Too short, or not whole segments (a wrong repeat length).
        for bins in [1, 5] {
            assert!(matches!(
                Transitions::from_segments(&r, bins),
                Err(Error::InvalidSetting { .. })
            ));
        }
    }

    #[test]
    fn mismatched_rasters_are_a_shape_error() {
        let e = Transitions::new(Raster::zeros(2, 5), Raster::zeros(2, 6));
        assert!(matches!(e, Err(Error::Shape(_))));
    }
}
