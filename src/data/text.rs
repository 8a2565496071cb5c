//! Whole small files (model files, checkpoints) read the way [`super::write_atomic`] writes
//! them: gzip-compressed when they start with its magic bytes, whatever their name.

use std::{io::Read, path::Path};

use flate2::read::MultiGzDecoder;

use crate::{Error, Result};

/// The bytes of a file, decompressed when it is gzip.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| Error::io(path, e))?;
    Ok(out)
}

/// The text of a file (see [`read_bytes`]); bytes that are not UTF-8 are an
/// [`Error::Parse`] at their line and column.
pub fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(read_bytes(path)?).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        not_utf8(path, bytes, at)
    })
}

/// The error for the byte at `at`, which does not start a UTF-8 character.
pub fn not_utf8(path: &Path, bytes: &[u8], at: usize) -> Error {
    let before = &bytes[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    // Characters, not bytes, so the column matches what an editor shows.
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Error::Parse {
        file: path.to_path_buf(),
        line,
        column,
        message: format!(
            "byte 0x{:02x} is not UTF-8 text (the file must be UTF-8 JSON)",
            bytes[at]
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stray_byte_is_reported_at_its_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, b"{\n  \"n\": \xe9\xff\n}").unwrap();
        match read_text(&path).unwrap_err() {
            Error::Parse { line, column, .. } => assert_eq!((line, column), (2, 8)),
            e => panic!("wrong error: {e}"),
        }
    }

    #[test]
    fn gzip_files_are_read_whatever_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json.gz");
        super::super::write_atomic(&path, |w| w.write_all(b"{\"a\": 1}")).unwrap();
        let plain = dir.path().join("m.json");
        std::fs::rename(&path, &plain).unwrap();
        assert_eq!(read_text(&plain).unwrap(), "{\"a\": 1}");
    }
}
