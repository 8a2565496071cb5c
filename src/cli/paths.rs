//! The paths of one command, checked before any work: outputs distinct from each other and
//! from every input, in directories that exist and can be written, and never replacing
//! something that is not a regular file.

use std::path::{Path, PathBuf};

use crate::cli::console::Shown;
use spinfer::{
    data::{check_replaceable, directory_of},
    Error, Result,
};

/// What a command does with a path.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Read.
    Input,
    /// Written as one file (atomically).
    File,
    /// A directory that figures or reports are written into (created if missing), with the
    /// names the command writes there: exact names, or `prefix*suffix` patterns for names
    /// that depend on the run (`*.svg`).
    Directory(&'static [&'static str]),
}

/// The longest file name most file systems take (NAME_MAX on Linux and macOS).
const NAME_MAX: usize = 255;

/// One path, the flag that named it and what the command does with it.
pub struct Named<'a> {
    pub flag: &'static str,
    pub path: &'a Path,
    pub used: Use,
}

impl<'a> Named<'a> {
    pub fn input(flag: &'static str, path: &'a Path) -> Self {
        Named {
            flag,
            path,
            used: Use::Input,
        }
    }
    pub fn file(flag: &'static str, path: &'a Path) -> Self {
        Named {
            flag,
            path,
            used: Use::File,
        }
    }
    pub fn directory(flag: &'static str, path: &'a Path, writes: &'static [&'static str]) -> Self {
        Named {
            flag,
            path,
            used: Use::Directory(writes),
        }
    }
}

fn bad(path: &Path, message: String) -> Error {
    Error::BadPath {
        path: path.to_path_buf(),
        message,
    }
}

/// Checks every output of a command, and that no output is the same file as another path.
pub fn check(paths: &[Named<'_>]) -> Result<()> {
    for p in paths {
        match p.used {
            Use::Input => {}
            Use::File => check_file_output(p)?,
            Use::Directory(writes) => check_directory_output(p, writes)?,
        }
    }
    let ids: Vec<PathBuf> = paths.iter().map(|p| identity(p.path)).collect();
    // A file the command writes inside a directory must not be another path of the command.
    for (d, dir) in paths.iter().enumerate() {
        let Use::Directory(writes) = dir.used else {
            continue;
        };
        for (i, other) in paths.iter().enumerate() {
            let inside = i != d && ids[i].parent() == Some(ids[d].as_path());
            let name = ids[i].file_name().map(|n| n.to_string_lossy());
            if let (true, Some(name)) = (inside, name) {
                if writes.iter().any(|w| matches(w, &name)) {
                    return Err(bad(
                        other.path,
                        format!(
                            "{} writes {name} into {}, which {} names: refusing to overwrite it",
                            dir.flag,
                            dir.path.shown(),
                            other.flag
                        ),
                    ));
                }
            }
        }
    }
    for (j, b) in paths.iter().enumerate() {
        for (i, a) in paths[..j].iter().enumerate() {
            let writes = a.used != Use::Input || b.used != Use::Input;
            if writes && ids[i] == ids[j] {
                return Err(bad(
                    b.path,
                    format!(
                        "{} and {} name the same file: refusing to overwrite it",
                        a.flag, b.flag
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// An output file: its name can be written (not ending in `/`, not longer than the file
/// system takes), its directory exists and takes new files; an existing target is a regular
/// file.
fn check_file_output(p: &Named<'_>) -> Result<()> {
    if p.path.as_os_str().as_encoded_bytes().ends_with(b"/") {
        return Err(bad(
            p.path,
            format!(
                "{} ends in '/': it must name a file, not a directory",
                p.flag
            ),
        ));
    }
    check_name_length(p)?;
    let dir = directory_of(p.path);
    if !dir.is_dir() {
        return Err(bad(
            p.path,
            format!("the directory {} of {} does not exist", dir.shown(), p.flag),
        ));
    }
    check_replaceable(p.path)?;
    tempfile::Builder::new()
        .prefix(".spinfer-write-test")
        .tempfile_in(dir)
        .map_err(|e| bad(p.path, format!("cannot write into {}: {e}", dir.shown())))?;
    Ok(())
}

/// A file name longer than [`NAME_MAX`] bytes could never be created.
fn check_name_length(p: &Named<'_>) -> Result<()> {
    let long = p.path.components().find_map(|c| {
        let bytes = c.as_os_str().as_encoded_bytes().len();
        (bytes > NAME_MAX).then_some(bytes)
    });
    match long {
        Some(bytes) => Err(bad(
            p.path,
            format!(
                "{} has a name of {bytes} bytes: file systems take at most {NAME_MAX}",
                p.flag
            ),
        )),
        None => Ok(()),
    }
}

/// An output directory: a directory if it exists, and the fixed names written into it
/// replaceable (not a directory or FIFO of that name).
fn check_directory_output(p: &Named<'_>, writes: &[&str]) -> Result<()> {
    check_name_length(p)?;
    if p.path.exists() && !p.path.is_dir() {
        return Err(bad(p.path, format!("{} must be a directory", p.flag)));
    }
    for name in writes.iter().filter(|w| !w.contains('*')) {
        check_replaceable(&p.path.join(name))?;
    }
    if p.path.is_dir() {
        tempfile::Builder::new()
            .prefix(".spinfer-write-test")
            .tempfile_in(p.path)
            .map_err(|e| bad(p.path, format!("cannot write into {}: {e}", p.flag)))?;
    }
    Ok(())
}

/// Whether `name` is `pattern`: an exact name, or `prefix*suffix`.
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((prefix, suffix)) => {
            name.len() >= prefix.len() + suffix.len()
                && name.starts_with(prefix)
                && name.ends_with(suffix)
        }
        None => pattern == name,
    }
}

/// The file a path names, as far as it can be resolved: the canonical path when it exists,
/// else the canonical directory joined with the name.
fn identity(path: &Path) -> PathBuf {
    if let Ok(c) = path.canonicalize() {
        return c;
    }
    match (directory_of(path).canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}
