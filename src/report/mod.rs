//! Study output: SVG figures.

pub mod figures;
pub mod plot;
