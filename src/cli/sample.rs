//! `spinfer sample`: data from a model file.

use std::path::PathBuf;

use clap::Args;
use spinfer::{
    data::write_raster,
    sample::{draw_from, DRAW_BURN_IN, DRAW_SWEEPS},
    Result,
};

use crate::cli::console::{say, Shown};
use spinfer::data::Layout;

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
    #[arg(long, default_value_t = DRAW_SWEEPS)]
    sweeps: usize,
    /// Layout of the data files.
    #[arg(long, value_enum, default_value = "spins-by-samples")]
    layout: Layout,
    /// Start from the states of this data file: the Glauber run of a kinetic model from
    /// its first bin (a model with two stable activity levels then stays at the data's),
    /// the Metropolis chains of an equilibrium model from evenly spaced samples.
    #[arg(long)]
    from: Option<PathBuf>,
}

pub fn run(a: SampleArgs) -> Result<()> {
    use super::paths::{check, Named};
    let mut paths = vec![
        Named::input("MODEL", &a.model),
        Named::file("--out", &a.out),
    ];
    if let Some(f) = &a.from {
        paths.push(Named::input("--from", f));
    }
    check(&paths)?;
    let file = crate::cli::memory::read_model(&a.model)?;
    let start = match &a.from {
        Some(f) => {
            let (_, raster) = super::model_and_data(&a.model, f, a.layout)?;
            Some(raster)
        }
        None => None,
    };
    // The burn-in of `spinfer sample`: 1000 sweeps.
    let data = draw_from(
        &file,
        a.samples,
        a.sweeps,
        DRAW_BURN_IN,
        a.seed,
        start.as_ref(),
    )?;
    write_raster(&a.out, &data, a.layout)?;
    say!("wrote {} samples to {}", a.samples, a.out.shown());
    Ok(())
}
