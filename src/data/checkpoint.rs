//! Checkpoint files: the state of a fit, to resume it exactly.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{write_atomic, ModelKind};
use crate::{raster::Raster, Error, Result};

/// What a checkpoint was made from, so that a resume on other data is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFingerprint {
    /// Spins.
    pub n_spins: usize,
    /// Samples or time bins.
    pub n_samples: usize,
    /// [`Raster::fingerprint`].
    pub hash: u64,
}

impl DataFingerprint {
    /// The fingerprint of a raster.
    pub fn of(data: &Raster) -> Self {
        DataFingerprint {
            n_spins: data.n_spins(),
            n_samples: data.n_samples(),
            hash: data.fingerprint(),
        }
    }

    /// The fingerprint of a set of transitions (`n_samples` counts transitions).
    pub fn of_transitions(data: &crate::Transitions) -> Self {
        DataFingerprint {
            n_spins: data.n_spins(),
            n_samples: data.len(),
            hash: data.fingerprint(),
        }
    }
}

/// A checkpoint: model family, precision, data, settings and the learner's state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Format version.
    pub version: u32,
    /// Model family.
    pub kind: ModelKind,
    /// "f32" or "f64".
    pub precision: String,
    /// The data the fit runs on.
    pub data: DataFingerprint,
    /// The fit's settings.
    pub settings: serde_json::Value,
    /// [`crate::learn::LearnerState`] as JSON.
    pub learner: serde_json::Value,
}

impl Checkpoint {
    /// Current format version.
    pub const VERSION: u32 = 1;

    /// Writes the checkpoint atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_atomic(path, |w| {
            serde_json::to_writer(&mut *w, self).map_err(std::io::Error::other)
        })
    }

    /// Reads a checkpoint.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let c: Checkpoint = serde_json::from_str(&text).map_err(|e| Error::Parse {
            file: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if c.version != Self::VERSION {
            return Err(Error::Shape(format!(
                "{}: checkpoint version {} (this spinfer reads {})",
                path.display(),
                c.version,
                Self::VERSION
            )));
        }
        Ok(c)
    }

    /// Refuses data (by fingerprint) other than the checkpoint's.
    pub fn check_data(&self, path: &Path, data: &DataFingerprint) -> Result<()> {
        if *data != self.data {
            return Err(Error::Shape(format!(
                "{} was made on other data ({} spins × {} samples); resume with the same file and split",
                path.display(),
                self.data.n_spins,
                self.data.n_samples
            )));
        }
        Ok(())
    }
}
