//! Shared numerical kernels: vectorisable tanh and log 2cosh, sparse lists of active cells,
//! blocked column sums, and popcounts of bit rows. The kinetic model side
//! ([`crate::sample::ConditionalExpectation`]), the row-wise Newton solver
//! ([`crate::solve::RowNewton`]) and the moments of [`crate::stats`] are built on them.

pub(crate) mod aligned;
pub(crate) mod bits;
pub(crate) mod columns;
pub mod fastmath;
pub(crate) mod lists;

pub use lists::TransitionData;
