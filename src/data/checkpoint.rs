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
    pub const VERSION: u32 = 2;

    /// The first line of a checkpoint file, before the CRC-32 of the JSON that follows.
    const HEADER: &'static str = "spinfer-checkpoint crc32";

    /// Writes the checkpoint atomically: a header line with the CRC-32 of the JSON body,
    /// then the body, so that a damaged or edited checkpoint is refused on reading.
    pub fn write(&self, path: &Path) -> Result<()> {
        let body = serde_json::to_vec(self).map_err(|e| Error::io(path, e.into()))?;
        let crc = crc32fast::hash(&body);
        write_atomic(path, |w| {
            writeln!(w, "{} {crc:08x}", Self::HEADER)?;
            w.write_all(&body)
        })
    }

    /// Reads a checkpoint, refusing one whose body does not match its checksum.
    pub fn read(path: &Path) -> Result<Self> {
        let text = super::text::read_bytes(path)?;
        let refuse = |why: &str| Error::BadPath {
            path: path.to_path_buf(),
            message: format!(
                "{why}: the checkpoint is damaged or was edited; refusing to resume from it"
            ),
        };
        let newline = text
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| refuse("no checksum line"))?;
        let header =
            std::str::from_utf8(&text[..newline]).map_err(|_| refuse("no checksum line"))?;
        let expected = header
            .strip_prefix(Self::HEADER)
            .and_then(|h| u32::from_str_radix(h.trim(), 16).ok())
            .ok_or_else(|| refuse("no checksum line"))?;
        let body = &text[newline + 1..];
        if crc32fast::hash(body) != expected {
            return Err(refuse("its content does not match its checksum"));
        }
        let c: Checkpoint = serde_json::from_slice(body).map_err(|e| Error::Parse {
            file: path.to_path_buf(),
            line: e.line() + 1,
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
