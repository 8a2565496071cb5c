//! Splitting a raster into training and held-out parts.

use serde::{Deserialize, Serialize};

use crate::raster::Raster;

/// How to split a raster in two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// First half of the samples / second half.
    Halves,
    /// Even-numbered samples / odd-numbered samples.
    Interleaved,
}

impl Split {
    /// (training part, held-out part).
    ///
    /// For time series the interleaved split keeps the order inside each part, so its
    /// "transitions" skip one bin: t → t+2.
    pub fn apply(self, raster: &Raster) -> (Raster, Raster) {
        let m = raster.n_samples();
        match self {
            Split::Halves => (raster.samples(0, m / 2), raster.samples(m / 2, m)),
            Split::Interleaved => {
                let even: Vec<usize> = (0..m).step_by(2).collect();
                let odd: Vec<usize> = (1..m).step_by(2).collect();
                (raster.select(&even), raster.select(&odd))
            }
        }
    }
}
