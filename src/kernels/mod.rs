//! Shared numerical kernels: vectorisable tanh and log 2cosh (`fastmath`, and the kinetic
//! pass's running sums in `tanh_sums`), sparse lists of active cells, blocked column sums and
//! the fused AVX-512 list loop (`list_rows`), aligned buffers, and popcounts of bit rows. The kinetic model side
//! ([`crate::sample::ConditionalExpectation`]), the row-wise Newton solver
//! ([`crate::solve::RowNewton`]) and the moments of [`crate::stats`] are built on them.

pub(crate) mod aligned;
pub(crate) mod bits;
pub(crate) mod columns;
pub mod fastmath;
pub(crate) mod list_rows;
pub(crate) mod lists;
pub(crate) mod tanh_sums;

pub use lists::TransitionData;

/// Whether the AVX-512 kernels (F, VL, and the AVX2 and FMA they build on) can run here.
pub(crate) fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
