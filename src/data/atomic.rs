//! Atomic file output: never a half-written file.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
    sync::Mutex,
};

use flate2::{write::GzEncoder, Compression};

use crate::{Error, Result};

/// Writes `path` through `fill` into a temporary file beside it, then renames it into place,
/// so readers see either the old file or the complete new one. A path ending in `.gz` is
/// gzip-compressed.
///
/// The temporary file is created exclusively under an unpredictable name in the target's
/// directory (a planted symlink cannot redirect it), synced before the rename, and the
/// directory is synced after it. An existing target that is not a regular file (a
/// directory, a device, a FIFO) is refused rather than replaced.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    check_replaceable(path)?;
    let dir = directory_of(path);
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", short_name(path)))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(path, e))?;
    let _pending = Pending::register(tmp.path());
    let result = (|| -> std::io::Result<()> {
        let file = BufWriter::with_capacity(1 << 20, tmp.as_file());
        if path.extension().is_some_and(|e| e == "gz") {
            let mut gz = GzEncoder::new(file, Compression::default());
            fill(&mut gz)?;
            gz.finish()?.into_inner().map_err(|e| e.into_error())?;
        } else {
            let mut file = file;
            fill(&mut file)?;
            file.into_inner().map_err(|e| e.into_error())?;
        }
        tmp.as_file().sync_all()
    })();
    // On failure `tmp` is dropped here, which deletes it.
    result.map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    // The rename is durable once the directory entry is (a no-op where directories cannot
    // be opened).
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Temporary files being written now, so that a process stopped by a signal can remove them
/// ([`remove_unfinished`]); a normal return or an error removes them anyway.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Keeps one temporary file in [`UNFINISHED`] while it is being written.
struct Pending(PathBuf);

impl Pending {
    fn register(path: &Path) -> Self {
        if let Ok(mut list) = UNFINISHED.lock() {
            list.push(path.to_path_buf());
        }
        Pending(path.to_path_buf())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Ok(mut list) = UNFINISHED.lock() {
            list.retain(|p| p != &self.0);
        }
    }
}

/// Removes the temporary files of every [`write_atomic`] still under way: for a process
/// about to exit on a signal, which would otherwise leave them behind. Targets are never
/// touched, so each output stays as it was or is complete.
pub fn remove_unfinished() {
    if let Ok(list) = UNFINISHED.lock() {
        for p in list.iter() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Refuses a target that exists and is not a regular file (following symlinks).
pub fn check_replaceable(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => Err(Error::BadPath {
            path: path.to_path_buf(),
            message: "exists and is not a regular file (a directory, device or FIFO): \
                      refusing to replace it"
                .into(),
        }),
        _ => Ok(()),
    }
}

/// The directory a path is in ("." for a bare file name).
pub fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The start of the target's name, for its temporary file: short enough that the temporary
/// name (with its random part and suffix) fits wherever the target's name does.
fn short_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    name.chars().take(32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_writer_leaves_no_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let err = write_atomic(&path, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(matches!(err, Error::Io { .. }));
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
