//! Text rasters: one line per spin and one whitespace-separated column per sample (the
//! salamander recordings' layout), or transposed; tokens 0/1 (0 means −1) or −1/1; gzip read
//! transparently.

use std::{
    fs::File,
    io::{BufRead, BufReader, Write},
    path::Path,
};

use flate2::read::MultiGzDecoder;
use serde::{Deserialize, Serialize};

use super::write_atomic;
use crate::{raster::Raster, Error, Result};

/// Orientation of a text raster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// One line per spin, one column per sample (default).
    #[default]
    SpinsBySamples,
    /// One line per sample, one column per spin.
    SamplesBySpins,
}

/// Reads a raster file (gzip detected from its first bytes).
pub fn read_raster(path: &Path, layout: Layout) -> Result<Raster> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let is_gzip = reader
        .fill_buf()
        .map_err(|e| Error::io(path, e))?
        .starts_with(&[0x1f, 0x8b]);
    if is_gzip {
        let gz = BufReader::with_capacity(1 << 16, MultiGzDecoder::new(reader));
        parse_raster(gz, path, layout)
    } else {
        parse_raster(reader, path, layout)
    }
}

/// Which token spelling a file uses for a down spin.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Unknown,
    ZeroOne,
    PlusMinus,
}

/// Streaming parser: memory is the bits of the raster plus one token, however long a line is.
struct Parser<'a> {
    path: &'a Path,
    layout: Layout,
    /// Bit rows per spin.
    rows: Vec<Vec<u64>>,
    /// Tokens per line required (from the first non-blank line).
    width: Option<usize>,
    /// Lines with tokens so far.
    records: usize,
    line: usize,
    tokens_in_line: usize,
    first_width_line: usize,
    token: Vec<u8>,
    encoding: Encoding,
    current: Vec<u64>,
    /// The last byte was a CR.
    after_cr: bool,
}

impl<'a> Parser<'a> {
    fn error(&self, column: usize, message: String) -> Error {
        Error::Parse {
            file: self.path.to_path_buf(),
            line: self.line,
            column,
            message,
        }
    }

    fn end_token(&mut self) -> Result<()> {
        if self.token.is_empty() {
            return Ok(());
        }
        let column = self.tokens_in_line + 1;
        let (up, encoding) = match self.token.as_slice() {
            b"1" | b"+1" => (true, Encoding::Unknown),
            b"0" => (false, Encoding::ZeroOne),
            b"-1" => (false, Encoding::PlusMinus),
            other => return Err(self.error(column, not_a_spin(other))),
        };
        if encoding != Encoding::Unknown {
            if self.encoding == Encoding::Unknown {
                self.encoding = encoding;
            } else if self.encoding != encoding {
                return Err(self.error(
                    column,
                    "the file mixes 0 and -1 for a down spin; use 0/1 or -1/1".into(),
                ));
            }
        }
        if let Some(w) = self.width {
            if column > w {
                return Err(self.ragged(column));
            }
        }
        let t = self.tokens_in_line;
        if self.layout == Layout::SamplesBySpins && t >= crate::model::MAX_DENSE_SPINS {
            return Err(self.error(column, too_many_spins("this line has more than", "tokens")));
        }
        self.put(up);
        self.token.clear();
        Ok(())
    }

    /// Stores the spin of the current line's next token (checked by the caller).
    fn put(&mut self, up: bool) {
        let t = self.tokens_in_line;
        match self.layout {
            Layout::SpinsBySamples => {
                if t.is_multiple_of(64) {
                    self.current.push(0);
                }
                if up {
                    *self.current.last_mut().expect("pushed") |= 1 << (t % 64);
                }
            }
            Layout::SamplesBySpins => {
                if self.records == 0 {
                    self.rows.push(Vec::new());
                }
                let sample = self.records;
                let row = &mut self.rows[t];
                if sample.is_multiple_of(64) {
                    row.push(0);
                }
                if up {
                    *row.last_mut().expect("pushed") |= 1 << (sample % 64);
                }
            }
        }
        self.tokens_in_line += 1;
    }

    /// Takes the leading one-byte spins followed by a space ("0 ", "1 ") of `bytes` as
    /// [`Parser::end_token`] would, without going through the token buffer; stops before
    /// anything else (other tokens, line ends, and every case that `end_token` refuses, which
    /// it then reports). Returns the bytes taken.
    fn spin_pairs(&mut self, bytes: &[u8]) -> usize {
        let mut used = 0;
        while used + 1 < bytes.len() && bytes[used + 1] == b' ' {
            let up = match bytes[used] {
                b'1' => true,
                b'0' if self.encoding != Encoding::PlusMinus => false,
                _ => break,
            };
            let t = self.tokens_in_line;
            let too_wide =
                self.layout == Layout::SamplesBySpins && t >= crate::model::MAX_DENSE_SPINS;
            if self.width.is_some_and(|w| t >= w) || too_wide {
                break;
            }
            if !up {
                self.encoding = Encoding::ZeroOne;
            }
            self.put(up);
            used += 2;
        }
        used
    }

    fn ragged(&self, column: usize) -> Error {
        let w = self.width.unwrap_or(0);
        let found = if column > w {
            format!("more than {w}")
        } else {
            format!("{}", column - 1)
        };
        self.error(
            column,
            format!(
                "ragged raster: this line has {found} tokens but line {} has {w}",
                self.first_width_line
            ),
        )
    }

    fn end_line(&mut self) -> Result<()> {
        self.end_token()?;
        if self.tokens_in_line > 0 {
            match self.width {
                None => {
                    self.width = Some(self.tokens_in_line);
                    self.first_width_line = self.line;
                }
                Some(w) if w != self.tokens_in_line => {
                    return Err(self.ragged(self.tokens_in_line + 1));
                }
                Some(_) => {}
            }
            if self.layout == Layout::SpinsBySamples {
                if self.rows.len() >= crate::model::MAX_DENSE_SPINS {
                    return Err(self.error(1, too_many_spins("the file has more than", "lines")));
                }
                self.rows.push(std::mem::take(&mut self.current));
            }
            self.records += 1;
        }
        self.tokens_in_line = 0;
        self.line += 1;
        Ok(())
    }
}

/// The message for a token that is not a spin: the token itself when it is printable ASCII,
/// otherwise the first offending byte (a byte-order mark, NUL, form feed or non-breaking
/// space would otherwise print as invisible or raw bytes).
fn not_a_spin(token: &[u8]) -> String {
    const EXPECTED: &str = "expected 0/1 or -1/1";
    if token.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return format!("a UTF-8 byte-order mark (bytes EF BB BF) is not a spin: {EXPECTED}");
    }
    match token.iter().position(|b| !b.is_ascii_graphic()) {
        Some(k) => format!(
            "byte 0x{:02X} (byte {} of the token) is not part of a spin: {EXPECTED}",
            token[k],
            k + 1
        ),
        None => {
            let shown = String::from_utf8_lossy(&token[..token.len().min(16)]).into_owned();
            let more = if token.len() > 16 { "..." } else { "" };
            format!("token \"{shown}{more}\" is not a spin: {EXPECTED}")
        }
    }
}

/// The message for a file with more spins than a dense model may hold.
fn too_many_spins(what: &str, unit: &str) -> String {
    format!(
        "{what} {} {unit}, the most spins a dense model may have; check --layout",
        crate::model::MAX_DENSE_SPINS
    )
}

/// Parses a text raster from any reader; `path` names it in errors.
pub fn parse_raster<R: BufRead>(mut reader: R, path: &Path, layout: Layout) -> Result<Raster> {
    let mut p = Parser {
        path,
        layout,
        rows: Vec::new(),
        width: None,
        records: 0,
        line: 1,
        tokens_in_line: 0,
        first_width_line: 1,
        token: Vec::new(),
        encoding: Encoding::Unknown,
        current: Vec::new(),
        after_cr: false,
    };
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // A damaged or truncated compressed stream is bad input, named by the last line
            // read, not a failure of the machine.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::InvalidData
                        | std::io::ErrorKind::InvalidInput
                        | std::io::ErrorKind::UnexpectedEof
                        | std::io::ErrorKind::Other
                ) =>
            {
                return Err(p.error(
                    p.tokens_in_line + 1,
                    format!("unreadable data (a truncated or damaged .gz?): {e}"),
                ))
            }
            Err(e) => return Err(Error::io(path, e)),
        };
        if buf.is_empty() {
            break;
        }
        let len = buf.len();
        let mut k = 0;
        while k < len {
            // Between tokens, runs of "0 " / "1 " (nearly all of a file) take the fast path.
            if p.token.is_empty() {
                let used = p.spin_pairs(&buf[k..]);
                if used > 0 {
                    k += used;
                    p.after_cr = false;
                    continue;
                }
            }
            let b = buf[k];
            k += 1;
            // LF, CR and CRLF all end a line: a CR ends it at once, and an LF right after a
            // CR is its second half.
            let after_cr = std::mem::replace(&mut p.after_cr, b == b'\r');
            match b {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => p.end_line()?,
                b' ' | b'\t' => p.end_token()?,
                _ => {
                    if p.token.len() < 64 {
                        p.token.push(b);
                    } else {
                        // Longer than any valid token: report it without storing more.
                        return Err(p.error(p.tokens_in_line + 1, not_a_spin(&p.token)));
                    }
                }
            }
        }
        reader.consume(len);
    }
    p.end_line()?;
    let Some(width) = p.width else {
        return Err(Error::Parse {
            file: path.to_path_buf(),
            line: 1,
            column: 1,
            message: "no data: the file holds no tokens".into(),
        });
    };
    let samples = match layout {
        Layout::SpinsBySamples => width,
        Layout::SamplesBySpins => p.records,
    };
    Raster::from_bit_rows(p.rows, samples)
}

/// Writes a raster as 0/1 text in the given layout, atomically (gzip if the path ends in .gz).
pub fn write_raster(path: &Path, raster: &Raster, layout: Layout) -> Result<()> {
    write_atomic(path, |w| write_tokens(w, raster, layout))
}

fn write_tokens(w: &mut dyn Write, raster: &Raster, layout: Layout) -> std::io::Result<()> {
    let (lines, width) = match layout {
        Layout::SpinsBySamples => (raster.n_spins(), raster.n_samples()),
        Layout::SamplesBySpins => (raster.n_samples(), raster.n_spins()),
    };
    let mut line = Vec::with_capacity(2 * width);
    for a in 0..lines {
        line.clear();
        for b in 0..width {
            let up = match layout {
                Layout::SpinsBySamples => raster.is_up(a, b),
                Layout::SamplesBySpins => raster.is_up(b, a),
            };
            line.push(if up { b'1' } else { b'0' });
            line.push(if b + 1 == width { b'\n' } else { b' ' });
        }
        w.write_all(&line)?;
    }
    Ok(())
}

/// Reads all of a reader (used by tests and small inputs).
pub fn parse_str(text: &str, layout: Layout) -> Result<Raster> {
    parse_raster(text.as_bytes(), Path::new("<string>"), layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_error(text: &str) -> (usize, usize, String) {
        match parse_str(text, Layout::SpinsBySamples).unwrap_err() {
            Error::Parse {
                line,
                column,
                message,
                ..
            } => (line, column, message),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn zero_one_and_plus_minus_files_give_the_same_raster() {
        let a = parse_str("0 1 1\n1 0 0\n", Layout::SpinsBySamples).unwrap();
        let b = parse_str("-1 1 +1\r\n1 -1 -1", Layout::SpinsBySamples).unwrap();
        assert_eq!(a, b);
        assert_eq!((a.n_spins(), a.n_samples()), (2, 3));
        assert_eq!(a.column(0), vec![-1, 1]);
        let t = parse_str("0 1\n1 0\n1 0\n", Layout::SamplesBySpins).unwrap();
        assert_eq!(t, a);
    }

    #[test]
    fn bad_files_name_the_line_and_column() {
        assert_eq!(parse_error("0 1 1\n1 0\n").0, 2);
        let (line, column, msg) = parse_error("0 1 1\n1 2 0\n");
        assert_eq!((line, column), (2, 2));
        assert!(msg.contains("\"2\""), "{msg}");
        let (line, column, _) = parse_error("0 1\n1 0 1 1\n");
        assert_eq!((line, column), (2, 3));
        let (line, _, msg) = parse_error("0 1\n-1 1\n");
        assert_eq!(line, 2);
        assert!(msg.contains("mixes"), "{msg}");
        let (_, _, msg) = parse_error("  \n\t\n");
        assert!(msg.contains("no data"), "{msg}");
        let (_, _, msg) = parse_error("");
        assert!(msg.contains("no data"), "{msg}");
        let long = "1".repeat(1000);
        let (_, _, msg) = parse_error(&long);
        assert!(msg.contains("..."), "{msg}");
    }

    #[test]
    fn write_then_read_round_trips_plain_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Raster::zeros(3, 130);
        for t in 0..130 {
            r.set(t % 3, t, true);
        }
        for (name, layout) in [
            ("a.txt", Layout::SpinsBySamples),
            ("b.txt.gz", Layout::SpinsBySamples),
            ("c.txt", Layout::SamplesBySpins),
        ] {
            let path = dir.path().join(name);
            write_raster(&path, &r, layout).unwrap();
            assert_eq!(read_raster(&path, layout).unwrap(), r, "{name}");
        }
    }
}
