//! The command's messages on standard output and standard error, written so that a closed
//! or full stream never panics (as `println!` does).
//!
//! A reader that has gone (`spinfer … | head -1`) is not an error: the output files are
//! written whatever happens to the messages, so the rest are dropped and the command ends as
//! it would have. A full device or another failure on standard output is an error (exit 1),
//! since a caller that redirects the report to a file wants to know it is incomplete.
//! Standard error is best effort: there is nowhere left to report its failure.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use spinfer::{Error, Result};

/// Set once standard output's reader has gone: later messages are dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` and a newline on standard output.
pub fn write_out(text: std::fmt::Arguments<'_>) -> Result<()> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    match out
        .write_fmt(text)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(Error::io(PathBuf::from("standard output"), e)),
    }
}

/// Writes `text` and a newline on standard error, ignoring failures.
pub fn write_err(text: std::fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    let _ = err.write_fmt(text).and_then(|()| err.write_all(b"\n"));
}

/// Prints one line on standard output (see [`write_out`]); `?`-propagates a failed write.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::console::write_out(format_args!($($arg)*))?
    };
}

/// Prints one line on standard error (see [`write_err`]).
macro_rules! tell {
    ($($arg:tt)*) => {
        $crate::cli::console::write_err(format_args!($($arg)*))
    };
}

pub(crate) use {say, tell};

/// Paths in the command's messages, with control characters escaped
/// ([`spinfer::error::shown`]).
pub trait Shown {
    /// The path as messages show it.
    fn shown(&self) -> String;
}

impl Shown for std::path::Path {
    fn shown(&self) -> String {
        spinfer::error::shown(self)
    }
}
