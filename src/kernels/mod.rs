//! Shared numerical kernels: vectorisable tanh and log 2cosh, sparse lists of active cells,
//! and blocked column sums. Both the kinetic model side ([`crate::sample::ConditionalExpectation`])
//! and the row-wise Newton solver ([`crate::solve::RowNewton`]) are built on them.

pub(crate) mod columns;
pub mod fastmath;
pub(crate) mod lists;

pub use lists::TransitionData;
