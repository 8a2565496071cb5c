//! Bit-packed spin rasters: N spins × M samples (or time bins), one bit per entry.

use crate::{Error, Result};

/// A spin configuration entry: +1 (up, "active") or −1 (down, "silent").
pub type Spin = i8;

/// N spins × M samples, bit-packed per spin: bit t of row i is set when s_i(t) = +1.
///
/// Rows are stored contiguously (`words_per_row` 64-bit words each) with the padding bits
/// past `n_samples` kept zero, so whole rows can be XOR-ed and popcounted: the number of
/// samples where s_i ≠ s_j is `popcount(row_i ^ row_j)`. 160 spins × 283,041 bins take 5.7 MB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raster {
    n_spins: usize,
    n_samples: usize,
    words_per_row: usize,
    bits: Vec<u64>,
}

/// Largest raster a request may allocate, in bytes of bits: 4 GiB, 34 billion spin values
/// (whose text would take 68 GB).
pub const MAX_RASTER_BYTES: usize = 1 << 32;

/// Refuses, before anything is allocated, a request (the setting `setting` = `value`) for a
/// raster of `n_spins` × `n_samples` whose bits would exceed [`MAX_RASTER_BYTES`].
///
/// ```
/// use spinfer::raster::check_request;
///
/// assert!(check_request("samples", 1000, 160, 1000).is_ok());
/// let err = check_request("steps", usize::MAX, 5, usize::MAX).unwrap_err();
/// assert!(err.to_string().contains("steps"));
/// ```
pub fn check_request(
    setting: &'static str,
    value: usize,
    n_spins: usize,
    n_samples: usize,
) -> Result<()> {
    let bytes = n_spins
        .checked_mul(n_samples.div_ceil(64))
        .and_then(|words| words.checked_mul(8));
    match bytes {
        Some(b) if b <= MAX_RASTER_BYTES => Ok(()),
        _ => Err(Error::setting(
            setting,
            value,
            format!(
                "small enough for the raster's bits to fit in {MAX_RASTER_BYTES} bytes \
                 ({n_spins} spins × {n_samples} samples need {})",
                bytes.map_or("more than 2^64 bytes".to_string(), |b| format!("{b} bytes"))
            ),
        )),
    }
}

impl Raster {
    /// All spins down (−1).
    pub fn zeros(n_spins: usize, n_samples: usize) -> Self {
        let words_per_row = n_samples.div_ceil(64);
        Raster {
            n_spins,
            n_samples,
            words_per_row,
            bits: vec![0; n_spins * words_per_row],
        }
    }

    /// Builds a raster from per-spin bit rows (`rows[i]` holds s_i over time, bit t of word
    /// t/64). Fails when a row has the wrong length; padding bits are cleared.
    pub fn from_bit_rows(rows: Vec<Vec<u64>>, n_samples: usize) -> Result<Self> {
        let mut raster = Raster::zeros(rows.len(), n_samples);
        for (i, row) in rows.into_iter().enumerate() {
            if row.len() != raster.words_per_row {
                return Err(Error::Shape(format!(
                    "row {i} has {} words, expected {}",
                    row.len(),
                    raster.words_per_row
                )));
            }
            raster.row_mut(i).copy_from_slice(&row);
        }
        raster.clear_padding();
        Ok(raster)
    }

    /// Builds a raster from configurations given as ±1 slices, one per sample.
    pub fn from_configurations<'a>(
        n_spins: usize,
        configurations: impl IntoIterator<Item = &'a [Spin]>,
    ) -> Self {
        let configs: Vec<&[Spin]> = configurations.into_iter().collect();
        let mut raster = Raster::zeros(n_spins, configs.len());
        for (t, s) in configs.iter().enumerate() {
            raster.set_column(t, s);
        }
        raster
    }

    /// Number of spins N.
    pub fn n_spins(&self) -> usize {
        self.n_spins
    }

    /// Number of samples (or time bins) M.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// 64-bit words per spin row.
    pub fn words_per_row(&self) -> usize {
        self.words_per_row
    }

    /// A 64-bit FNV-1a hash of the shape and bits, to recognise the same data again (for
    /// example when resuming a checkpoint).
    pub fn fingerprint(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |v: u64| {
            for byte in v.to_le_bytes() {
                h ^= byte as u64;
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        eat(self.n_spins as u64);
        eat(self.n_samples as u64);
        for &w in &self.bits {
            eat(w);
        }
        h
    }

    /// Bytes held by the bits.
    pub fn memory_bytes(&self) -> usize {
        self.bits.len() * 8
    }

    /// The packed row of spin `i`.
    #[inline]
    pub fn row(&self, i: usize) -> &[u64] {
        &self.bits[i * self.words_per_row..(i + 1) * self.words_per_row]
    }

    /// The packed row of spin `i`, mutable. Callers must keep padding bits zero.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut [u64] {
        &mut self.bits[i * self.words_per_row..(i + 1) * self.words_per_row]
    }

    /// True when s_i(t) = +1.
    #[inline]
    pub fn is_up(&self, i: usize, t: usize) -> bool {
        (self.row(i)[t / 64] >> (t % 64)) & 1 == 1
    }

    /// s_i(t) as ±1.
    #[inline]
    pub fn spin(&self, i: usize, t: usize) -> Spin {
        if self.is_up(i, t) {
            1
        } else {
            -1
        }
    }

    /// Sets s_i(t).
    #[inline]
    pub fn set(&mut self, i: usize, t: usize, up: bool) {
        let w = i * self.words_per_row + t / 64;
        let mask = 1u64 << (t % 64);
        if up {
            self.bits[w] |= mask;
        } else {
            self.bits[w] &= !mask;
        }
    }

    /// Writes configuration `s` (±1 per spin) as sample `t`.
    pub fn set_column(&mut self, t: usize, s: &[Spin]) {
        debug_assert_eq!(s.len(), self.n_spins);
        for (i, &si) in s.iter().enumerate() {
            self.set(i, t, si > 0);
        }
    }

    /// Reads sample `t` into `out` as ±1.
    pub fn column_into(&self, t: usize, out: &mut [Spin]) {
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.spin(i, t);
        }
    }

    /// Sample `t` as a vector of ±1.
    pub fn column(&self, t: usize) -> Vec<Spin> {
        let mut out = vec![0; self.n_spins];
        self.column_into(t, &mut out);
        out
    }

    /// Number of samples in which each spin is up.
    pub fn up_counts(&self) -> Vec<u64> {
        (0..self.n_spins)
            .map(|i| self.row(i).iter().map(|w| w.count_ones() as u64).sum())
            .collect()
    }

    /// Mean of each spin, ⟨s_i⟩ = (2 u_i − M)/M with u_i its up count over the M samples
    /// (0 for an empty raster).
    pub fn means(&self) -> Vec<f64> {
        let m = self.n_samples.max(1) as f64;
        self.up_counts()
            .iter()
            .map(|&u| (2.0 * u as f64 - m) / m)
            .collect()
    }

    /// Spins that never change over the raster (always down or always up): their
    /// maximum-likelihood fields are infinite, so fits regularise them.
    pub fn constant_cells(&self) -> Vec<usize> {
        self.up_counts()
            .iter()
            .enumerate()
            .filter(|(_, &u)| u == 0 || u as usize == self.n_samples)
            .map(|(i, _)| i)
            .collect()
    }

    /// Number of up spins in each sample (column), from the set bits of every row.
    pub fn column_up_counts(&self) -> Vec<u32> {
        let mut ups = vec![0u32; self.n_samples];
        for i in 0..self.n_spins {
            for (w, &word) in self.row(i).iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    ups[w * 64 + bits.trailing_zeros() as usize] += 1;
                    bits &= bits - 1;
                }
            }
        }
        ups
    }

    /// Fraction of entries that are +1.
    pub fn density(&self) -> f64 {
        let total: u64 = self.up_counts().iter().sum();
        total as f64 / (self.n_spins * self.n_samples).max(1) as f64
    }

    /// The samples `start..end` as a new raster.
    pub fn samples(&self, start: usize, end: usize) -> Raster {
        assert!(
            start <= end && end <= self.n_samples,
            "sample range out of bounds"
        );
        let mut out = Raster::zeros(self.n_spins, end - start);
        for i in 0..self.n_spins {
            let src = self.row(i);
            let (q, r) = (start / 64, start % 64);
            for (w, dst) in out.row_mut(i).iter_mut().enumerate() {
                let lo = src.get(q + w).copied().unwrap_or(0) >> r;
                let hi = if r == 0 {
                    0
                } else {
                    src.get(q + w + 1).copied().unwrap_or(0) << (64 - r)
                };
                *dst = lo | hi;
            }
        }
        out.clear_padding();
        out
    }

    /// The samples at the given indices, in that order.
    pub fn select(&self, indices: &[usize]) -> Raster {
        let mut out = Raster::zeros(self.n_spins, indices.len());
        for i in 0..self.n_spins {
            for (k, &t) in indices.iter().enumerate() {
                if self.is_up(i, t) {
                    out.set(i, k, true);
                }
            }
        }
        out
    }

    /// The distinct samples, in increasing order of their bit patterns, and how often each
    /// occurs: a weighted raster that sums to the same statistics with fewer columns (a
    /// 20-spin model's 10⁵ samples hold about 2·10⁴ distinct states).
    pub fn distinct(&self) -> (Raster, Vec<u64>) {
        let words = self.n_spins.div_ceil(64);
        let keys: Vec<Vec<u64>> = (0..self.n_samples)
            .map(|t| {
                let mut key = vec![0u64; words];
                for i in 0..self.n_spins {
                    if self.is_up(i, t) {
                        key[i / 64] |= 1 << (i % 64);
                    }
                }
                key
            })
            .collect();
        let mut order: Vec<usize> = (0..self.n_samples).collect();
        order.sort_unstable_by(|&a, &b| keys[a].cmp(&keys[b]).then(a.cmp(&b)));
        let mut first = Vec::new();
        let mut counts: Vec<u64> = Vec::new();
        for (k, &t) in order.iter().enumerate() {
            if k > 0 && keys[t] == keys[order[k - 1]] {
                *counts.last_mut().expect("a first occurrence") += 1;
            } else {
                first.push(t);
                counts.push(1);
            }
        }
        (self.select(&first), counts)
    }

    /// Concatenates rasters with the same number of spins along the sample axis.
    pub fn concat(parts: &[Raster]) -> Result<Raster> {
        let n = parts.first().map_or(0, |p| p.n_spins);
        if let Some(bad) = parts.iter().find(|p| p.n_spins != n) {
            return Err(Error::Shape(format!(
                "cannot concatenate rasters of {n} and {} spins",
                bad.n_spins
            )));
        }
        let total = parts.iter().map(|p| p.n_samples).sum();
        let mut out = Raster::zeros(n, total);
        let mut offset = 0;
        for part in parts {
            for i in 0..n {
                let dst = out.row_mut(i);
                for (k, &word) in part.row(i).iter().enumerate() {
                    let p = offset + 64 * k;
                    let (q, r) = (p / 64, p % 64);
                    dst[q] |= word << r;
                    if r != 0 && q + 1 < dst.len() {
                        dst[q + 1] |= word >> (64 - r);
                    }
                }
            }
            offset += part.n_samples;
        }
        Ok(out)
    }

    fn clear_padding(&mut self) {
        let r = self.n_samples % 64;
        if r == 0 {
            return;
        }
        let mask = (1u64 << r) - 1;
        for i in 0..self.n_spins {
            let row = self.row_mut(i);
            if let Some(last) = row.last_mut() {
                *last &= mask;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_raster(n: usize, m: usize) -> Raster {
        let mut r = Raster::zeros(n, m);
        for i in 0..n {
            for t in 0..m {
                r.set(i, t, (i * 7 + t * 13 + i * t) % 5 == 0);
            }
        }
        r
    }

    #[test]
    fn sub_ranges_and_concatenation_round_trip() {
        let r = sample_raster(3, 200);
        for cut in [0, 1, 63, 64, 65, 130, 200] {
            let a = r.samples(0, cut);
            let b = r.samples(cut, 200);
            assert_eq!(Raster::concat(&[a, b]).unwrap(), r, "cut at {cut}");
        }
        let picked = r.select(&[5, 0, 199]);
        for i in 0..3 {
            assert_eq!(picked.column(0)[i], r.spin(i, 5));
            assert_eq!(picked.column(2)[i], r.spin(i, 199));
        }
        let mid = r.samples(37, 170);
        for t in 0..mid.n_samples() {
            for i in 0..3 {
                assert_eq!(mid.is_up(i, t), r.is_up(i, t + 37));
            }
        }
    }

    #[test]
    fn columns_round_trip_and_counts_add_up() {
        let r = sample_raster(4, 70);
        let cols: Vec<Vec<Spin>> = (0..70).map(|t| r.column(t)).collect();
        let back = Raster::from_configurations(4, cols.iter().map(|c| c.as_slice()));
        assert_eq!(back, r);
        let counts = r.up_counts();
        for (i, &c) in counts.iter().enumerate() {
            assert_eq!(c as usize, (0..70).filter(|&t| r.is_up(i, t)).count());
        }
    }

    #[test]
    fn concatenating_different_widths_is_a_shape_error() {
        let err = Raster::concat(&[Raster::zeros(2, 3), Raster::zeros(3, 3)]).unwrap_err();
        assert!(matches!(err, Error::Shape(_)));
    }
}
