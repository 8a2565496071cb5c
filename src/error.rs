//! One error type for the whole library.

use std::path::PathBuf;

/// Everything that can go wrong in spinfer, one variant per kind of failure.
///
/// [`Error::is_bad_input`] tells a caller (the `spinfer` command) whether the user can fix it
/// by changing what they typed or fed in.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A data or model file could not be parsed.
    #[error("{}:{line}:{column}: {message}", shown(file))]
    Parse {
        /// The file being read.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 1-based column (token number for rasters, character for JSON).
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// Inputs that do not fit together: sizes that must agree, a checkpoint of another fit,
    /// a row listed twice. The message says which.
    #[error("{0}")]
    Shape(String),
    /// A setting outside its allowed range.
    #[error("invalid setting {name} = {value}: must be {allowed}")]
    InvalidSetting {
        /// The setting's name, as the user spells it.
        name: &'static str,
        /// The value given.
        value: String,
        /// The allowed range, in words.
        allowed: String,
    },
    /// Exact enumeration was asked for a model too large to enumerate.
    #[error(
        "exact enumeration needs N <= {max} spins, the model has {n}; use a Monte Carlo sampler"
    )]
    TooManySpins {
        /// Number of spins of the model.
        n: usize,
        /// The largest N that is enumerated.
        max: usize,
    },
    /// A model disagrees with its statistics (found by [`crate::testing::check_model`]).
    #[error("inconsistent model: {0}")]
    Model(String),
    /// Parameters, gradient or objective became NaN or infinite during learning.
    #[error("the {what} became non-finite at iteration {iteration}: the steps were too large")]
    NonFinite {
        /// The iteration at which it happened.
        iteration: usize,
        /// "gradient", "log-likelihood" or "parameters".
        what: &'static str,
    },
    /// An observer (an interrupt, a callback) stopped a fit in a phase without an iteration
    /// to finish: the warm start, or the final comparison.
    #[error("the fit was stopped during {during}")]
    Interrupted {
        /// The phase, in words ("the warm start").
        during: &'static str,
    },
    /// A path cannot serve its purpose: an output that is a device or a directory, two
    /// outputs (or an output and an input) that are the same file, a missing directory.
    #[error("{}: {message}", shown(path))]
    BadPath {
        /// The path.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", shown(path))]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// True for errors caused by what the user typed or fed in (exit code 2 in the command).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::Parse { .. }
                | Error::Shape(_)
                | Error::Model(_)
                | Error::InvalidSetting { .. }
                | Error::TooManySpins { .. }
                | Error::BadPath { .. }
        ) || matches!(
            self,
            // A path that does not exist is the user's to fix.
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound
        )
    }

    /// Builds an [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Builds an [`Error::InvalidSetting`].
    pub fn setting(name: &'static str, value: impl ToString, allowed: impl Into<String>) -> Self {
        Error::InvalidSetting {
            name,
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }
}

/// A path as messages show it: control characters (a newline, an ESC that would start a
/// terminal escape sequence) are written as `\n` or `\u{1b}`, so a hostile file name can
/// neither forge a line of output nor drive the terminal.
pub fn shown(path: &std::path::Path) -> String {
    let text = path.display().to_string();
    if !text.chars().any(char::is_control) {
        return text;
    }
    text.chars()
        .map(|c| match c {
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
