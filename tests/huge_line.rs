//! A single line of 10^8 tokens is read in bounded memory: the raster's bits (12.5 MB), never
//! the 200 MB of text. Its own test binary, so the process's peak memory is this test's.

use std::io::{BufReader, Read};
use std::path::Path;

use spinfer::data::{raster_io::parse_raster, Layout};

/// Streams "1 0 1 0 ..." without ever holding it.
struct Tokens {
    left: usize,
}

impl Read for Tokens {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let pairs = (buf.len() / 2).min(self.left);
        for k in 0..pairs {
            buf[2 * k] = if k % 2 == 0 { b'1' } else { b'0' };
            buf[2 * k + 1] = b' ';
        }
        self.left -= pairs;
        Ok(2 * pairs)
    }
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn one_line_of_a_hundred_million_tokens_is_read_in_bounded_memory() {
    let tokens = 100_000_000;
    let reader = BufReader::with_capacity(1 << 16, Tokens { left: tokens });
    let raster = parse_raster(reader, Path::new("huge.txt"), Layout::SpinsBySamples).unwrap();
    assert_eq!((raster.n_spins(), raster.n_samples()), (1, tokens));
    assert_eq!(raster.up_counts()[0], tokens as u64 / 2);
    if let Some(peak) = peak_rss_kb() {
        // Bits: 12.5 MB; the growing row may hold up to twice that while it reallocates.
        assert!(peak < 100_000, "peak resident memory {peak} kB");
    }
}

/// A line of 20,000,000 tokens read as one sample of that many spins is refused as soon as
/// it passes the 8192-spin limit, before its memory grows with the line.
#[test]
fn a_line_wider_than_the_spin_limit_is_refused_at_the_limit() {
    let reader = BufReader::with_capacity(1 << 16, Tokens { left: 20_000_000 });
    let err = parse_raster(reader, Path::new("wide.txt"), Layout::SamplesBySpins).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("wide.txt:1:8193:") && message.contains("8192"),
        "{message}"
    );
    if let Some(peak) = peak_rss_kb() {
        assert!(peak < 100_000, "peak resident memory {peak} kB");
    }
}
