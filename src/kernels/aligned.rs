//! f32 buffers that start on a 64-byte cache line, so that 16-wide vector loads and stores
//! of rows padded to [`LINE`] values never straddle two lines (a split access costs about
//! twice as much, and whether a `Vec<f32>` happens to be aligned depends on the allocator).

/// f32 values per cache line (and per AVX-512 vector).
pub const LINE: usize = 16;

/// One cache line of f32 values.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct Line([f32; LINE]);

/// A zero-initialised f32 buffer aligned to 64 bytes.
#[derive(Clone, Debug)]
pub struct AlignedF32 {
    lines: Vec<Line>,
    len: usize,
}

impl AlignedF32 {
    /// `len` zeros.
    pub fn zeros(len: usize) -> Self {
        AlignedF32 {
            lines: vec![Line([0.0; LINE]); len.div_ceil(LINE)],
            len,
        }
    }

    /// The values.
    pub fn as_slice(&self) -> &[f32] {
        // SAFETY: `Line` is `repr(C)` around `[f32; LINE]`, so the lines are contiguous
        // f32 values (no padding: 64 bytes each), and `len ≤ LINE · lines.len()`.
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr().cast::<f32>(), self.len) }
    }

    /// The values, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        // SAFETY: as in `as_slice`, through the unique borrow of the lines.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast::<f32>(), self.len) }
    }
}

/// The smallest multiple of [`LINE`] that holds `n` values: the stride of padded rows.
pub fn padded(n: usize) -> usize {
    n.div_ceil(LINE) * LINE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_on_a_cache_line_and_holds_len_zeros() {
        for len in [0, 1, 15, 16, 17, 160, 1000] {
            let mut b = AlignedF32::zeros(len);
            assert_eq!(b.as_slice().as_ptr() as usize % 64, 0);
            assert_eq!(b.as_slice().len(), len);
            assert!(b.as_slice().iter().all(|&v| v == 0.0));
            b.as_mut_slice().iter_mut().for_each(|v| *v = 1.0);
            assert_eq!(b.as_slice().iter().sum::<f32>(), len as f32);
        }
        assert_eq!(
            (padded(0), padded(1), padded(16), padded(17)),
            (0, 16, 16, 32)
        );
    }
}
