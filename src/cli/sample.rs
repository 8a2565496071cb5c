//! `spinfer sample`: data from a model file.

use std::path::PathBuf;

use clap::Args;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{
    data::{write_raster, ModelFile, ModelKind},
    sample::{simulate, McmcSettings, Metropolis},
    Error, Result,
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
    if a.samples == 0 {
        return Err(Error::setting("samples", a.samples, ">= 1"));
    }
    let file = ModelFile::read(&a.model)?;
    spinfer::raster::check_request("samples", a.samples, file.n, a.samples)?;
    let data = match file.kind {
        ModelKind::Ising => {
            let model = file.to_ising::<f64>()?;
            let mut chains = Metropolis::new(
                McmcSettings::default()
                    .with_samples(a.samples)
                    .with_burn_in(1000)
                    .with_sweeps(a.sweeps)
                    .with_seed(a.seed),
            )?;
            chains.sample(&model)
        }
        ModelKind::Kinetic => {
            let model = file.to_kinetic::<f64>()?;
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(a.seed);
            simulate(&model, a.samples, None, &mut rng)?
        }
    };
    write_raster(&a.out, &data, a.layout.into())?;
    println!("wrote {} samples to {}", a.samples, a.out.display());
    Ok(())
}
