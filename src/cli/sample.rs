//! `spinfer sample`: data from a model file.

use std::path::PathBuf;

use clap::Args;
use spinfer::{
    data::{write_raster, ModelFile},
    sample::draw,
    Result,
};

use super::LayoutArg;

#[derive(Args, Debug)]
pub struct SampleArgs {
    /// Model file (JSON).
    model: PathBuf,
    /// Samples (equilibrium) or time steps (kinetic).
    #[arg(long)]
    samples: usize,
    /// Where to write the data.
    #[arg(long)]
    out: PathBuf,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Metropolis sweeps between samples (equilibrium).
    #[arg(long, default_value_t = 10)]
    sweeps: usize,
    /// Layout of the data file.
    #[arg(long, value_enum, default_value = "spins-by-samples")]
    layout: LayoutArg,
}

pub fn run(a: SampleArgs) -> Result<()> {
    use super::paths::{check, Named};
    check(&[
        Named::input("MODEL", &a.model),
        Named::file("--out", &a.out),
    ])?;
    let file = ModelFile::read(&a.model)?;
    // The burn-in of `spinfer sample`: 1000 sweeps.
    let data = draw(&file, a.samples, a.sweeps, 1000, a.seed)?;
    write_raster(&a.out, &data, a.layout.into())?;
    println!("wrote {} samples to {}", a.samples, a.out.display());
    Ok(())
}
