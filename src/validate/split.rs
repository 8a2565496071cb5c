//! Held-out splits of samples and of transitions.

use serde::{Deserialize, Serialize};

use crate::{Raster, Transitions};

/// How observations are divided into a training part and a held-out part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// The first half of the observations trains, the second half is held out: tests
    /// whether the model carries over to a later stretch of the recording (drift included).
    Halves,
    /// Even observations train, odd ones are held out: both parts see the same stretch of
    /// the recording, so only sampling noise separates them.
    Interleaved,
}

impl Split {
    /// Indices of the training and held-out observations among `count`.
    pub fn indices(self, count: usize) -> (Vec<usize>, Vec<usize>) {
        match self {
            Split::Halves => ((0..count / 2).collect(), (count / 2..count).collect()),
            Split::Interleaved => (
                (0..count).step_by(2).collect(),
                (1..count).step_by(2).collect(),
            ),
        }
    }

    /// Training and held-out samples of an equilibrium data set.
    pub fn samples(self, data: &Raster) -> (Raster, Raster) {
        let count = data.n_samples();
        match self {
            Split::Halves => (data.samples(0, count / 2), data.samples(count / 2, count)),
            Split::Interleaved => {
                let (a, b) = self.indices(count);
                (data.select(&a), data.select(&b))
            }
        }
    }

    /// Training and held-out transitions of a time series (by source bin t, so interleaved
    /// parts alternate transitions t → t+1, not bins).
    pub fn transitions(self, data: &Transitions) -> (Transitions, Transitions) {
        let (a, b) = self.indices(data.len());
        (data.select(&a), data.select(&b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_every_observation_once() {
        for split in [Split::Halves, Split::Interleaved] {
            for count in [0, 1, 7, 10] {
                let (a, b) = split.indices(count);
                let mut all: Vec<usize> = a.iter().chain(&b).cloned().collect();
                all.sort();
                assert_eq!(all, (0..count).collect::<Vec<_>>());
                assert!(a.len().abs_diff(b.len()) <= 1);
            }
        }
    }

    #[test]
    fn sample_splits_agree_with_the_index_lists() {
        let mut r = Raster::zeros(3, 131);
        for t in 0..131 {
            r.set(t % 3, t, t % 5 < 2);
        }
        for split in [Split::Halves, Split::Interleaved] {
            let (a, b) = split.samples(&r);
            let (ia, ib) = split.indices(131);
            assert_eq!(a, r.select(&ia));
            assert_eq!(b, r.select(&ib));
        }
    }
}
