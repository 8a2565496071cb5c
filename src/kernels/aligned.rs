//! f32 and f64 buffers that start on a 64-byte cache line, so that vector loads and stores
//! of rows padded to whole lines never straddle two lines (a split access costs about twice
//! as much, and whether a `Vec` happens to be aligned depends on the allocator: large ones
//! from glibc start 16 bytes past a page boundary).

use std::marker::PhantomData;

/// f32 values per cache line (and per AVX-512 vector).
pub const LINE: usize = 16;

/// One cache line.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct Line([u64; 8]);

/// Floating-point types whose all-zero bit pattern is 0.0 and for which every bit pattern
/// is a valid value, so a buffer of zeroed lines can be viewed as a slice of them.
pub trait Plain: Copy + 'static {}
impl Plain for f32 {}
impl Plain for f64 {}

/// A zero-initialised buffer of `T` aligned to 64 bytes.
#[derive(Clone, Debug)]
pub struct Aligned<T: Plain> {
    lines: Vec<Line>,
    len: usize,
    values: PhantomData<T>,
}

/// An aligned f32 buffer.
pub type AlignedF32 = Aligned<f32>;

/// An aligned f64 buffer.
pub type AlignedF64 = Aligned<f64>;

impl<T: Plain> Aligned<T> {
    /// `len` zeros.
    pub fn zeros(len: usize) -> Self {
        let bytes = len * std::mem::size_of::<T>();
        Aligned {
            lines: vec![Line([0; 8]); bytes.div_ceil(64)],
            len,
            values: PhantomData,
        }
    }

    /// The values.
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: `Line` is `repr(C)` around 64 bytes (no padding), so the lines are
        // contiguous bytes, 64-aligned (hence aligned for T); they hold at least
        // `len · size_of::<T>()` bytes, and every bit pattern is a valid `T` (`Plain`).
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr().cast::<T>(), self.len) }
    }

    /// The values, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in `as_slice`, through the unique borrow of the lines.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast::<T>(), self.len) }
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
        for len in [0, 1, 7, 8, 9, 1000] {
            let b = AlignedF64::zeros(len);
            assert_eq!(b.as_slice().as_ptr() as usize % 64, 0);
            assert_eq!(b.as_slice(), vec![0.0; len].as_slice());
        }
    }
}
