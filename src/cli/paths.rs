//! The paths of one command, checked before any work: outputs distinct from each other and
//! from every input, in directories that exist and can be written, and never replacing
//! something that is not a regular file.

use std::path::{Path, PathBuf};

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
    /// A directory that figures or reports are written into (created if missing).
    Directory,
}

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
    pub fn directory(flag: &'static str, path: &'a Path) -> Self {
        Named {
            flag,
            path,
            used: Use::Directory,
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
            Use::Directory => {
                if p.path.exists() && !p.path.is_dir() {
                    return Err(bad(p.path, format!("{} must be a directory", p.flag)));
                }
            }
        }
    }
    let ids: Vec<PathBuf> = paths.iter().map(|p| identity(p.path)).collect();
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

/// An output file: its directory exists and takes new files; an existing target is a
/// regular file.
fn check_file_output(p: &Named<'_>) -> Result<()> {
    let dir = directory_of(p.path);
    if !dir.is_dir() {
        return Err(bad(
            p.path,
            format!(
                "the directory {} of {} does not exist",
                dir.display(),
                p.flag
            ),
        ));
    }
    check_replaceable(p.path)?;
    tempfile::Builder::new()
        .prefix(".spinfer-write-test")
        .tempfile_in(dir)
        .map_err(|e| bad(p.path, format!("cannot write into {}: {e}", dir.display())))?;
    Ok(())
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
