//! `spinfer generate`: planted models and data drawn from them.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{
    bursts::BurstSettings,
    data::{write_raster, Layout, ModelFile},
    retina::RetinaSettings,
    sample::{simulate, ExactDistribution, McmcSettings, Metropolis},
    Error, Ising, KineticIsing, KineticOptions, Result,
};

use crate::cli::console::{say, Shown};

#[derive(Subcommand, Debug)]
pub enum Generate {
    /// Samples of a planted equilibrium model, h_i, J_ij ~ N(0, 1/N) unless scales are given.
    Ising(IsingArgs),
    /// A time series of a planted kinetic model (parallel Glauber dynamics).
    Kinetic(KineticArgs),
    /// A synthetic retina recording in the salamander layout (cells × repeats·bins, 0/1):
    /// stimulus-locked, sparse, weakly coupled cells that neither model fits exactly.
    Retina(RetinaArgs),
    /// A bursty recording (cells × bins, 0/1): an adapting, recurrently excited network
    /// whose quiet activity is broken by synchronous events of tens of cells.
    Bursts(BurstArgs),
}

#[derive(Args, Debug)]
pub struct BurstArgs {
    /// Number of cells.
    #[arg(long, default_value_t = BurstSettings::default().cells)]
    cells: usize,
    /// 20 ms bins.
    #[arg(long, default_value_t = BurstSettings::default().bins)]
    bins: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the raster (one line per cell; .gz compresses).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args, Debug)]
pub struct RetinaArgs {
    /// Number of cells.
    #[arg(long, default_value_t = RetinaSettings::default().cells)]
    cells: usize,
    /// Repeats of the movie.
    #[arg(long, default_value_t = RetinaSettings::default().repeats)]
    repeats: usize,
    /// 20 ms bins per repeat.
    #[arg(long, default_value_t = RetinaSettings::default().bins)]
    bins: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the raster (one line per cell; .gz compresses).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args, Debug)]
pub struct Planted {
    /// Number of spins.
    #[arg(long)]
    n: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the data.
    #[arg(long)]
    out: PathBuf,
    /// Where to write the true model (JSON).
    #[arg(long)]
    model_out: PathBuf,
    /// Standard deviation of h [default: 1/sqrt(N)].
    #[arg(long)]
    h_std: Option<f64>,
    /// Standard deviation of J [default: 1/sqrt(N)].
    #[arg(long)]
    j_std: Option<f64>,
    /// Layout of the data file.
    #[arg(long, value_enum, default_value = "spins-by-samples")]
    layout: Layout,
}

impl Planted {
    fn check(&self) -> Result<(f64, f64)> {
        use super::paths::{check, Named};
        check(&[
            Named::file("--out", &self.out),
            Named::file("--model-out", &self.model_out),
        ])?;
        if self.n == 0 || self.n > spinfer::model::MAX_DENSE_SPINS {
            return Err(Error::setting(
                "n",
                self.n,
                format!("in 1..={}", spinfer::model::MAX_DENSE_SPINS),
            ));
        }
        let default = (1.0 / self.n as f64).sqrt();
        let h = self.h_std.unwrap_or(default);
        let j = self.j_std.unwrap_or(default);
        // Gaussian draws stay within 10 standard deviations (a chance below 1e-15 for the
        // 67 million couplings of 8192 spins), so every written model is within the limit
        // that model files take.
        let largest = ModelFile::MAX_PARAMETER / 10.0;
        for (name, v) in [("h-std", h), ("j-std", j)] {
            if !(v.is_finite() && (0.0..=largest).contains(&v)) {
                return Err(Error::setting(
                    name,
                    v,
                    format!("a number in 0..={largest:e}"),
                ));
            }
        }
        Ok((h, j))
    }
}

#[derive(Args, Debug)]
pub struct IsingArgs {
    #[command(flatten)]
    planted: Planted,
    /// Number of samples.
    #[arg(long)]
    samples: usize,
    /// Independent samples by exact enumeration (N <= 20) instead of Metropolis chains.
    #[arg(long)]
    exact: bool,
    /// Metropolis sweeps between samples.
    #[arg(long, default_value_t = 10)]
    sweeps: usize,
}

#[derive(Args, Debug)]
pub struct KineticArgs {
    #[command(flatten)]
    planted: Planted,
    /// Number of time steps.
    #[arg(long)]
    steps: usize,
    /// Symmetric couplings.
    #[arg(long)]
    symmetric: bool,
    /// Allow self-couplings J_ii.
    #[arg(long)]
    self_couplings: bool,
}

pub fn run(what: Generate) -> Result<()> {
    match what {
        Generate::Ising(a) => {
            let (h_std, j_std) = a.planted.check()?;
            if a.samples == 0 {
                return Err(Error::setting("samples", a.samples, ">= 1"));
            }
            spinfer::raster::check_request("samples", a.samples, a.planted.n, a.samples)?;
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(a.planted.seed);
            let model: Ising<f64> = Ising::random(a.planted.n, h_std, j_std, &mut rng);
            let data = if a.exact {
                ExactDistribution::new(&model)?.sample(a.samples, &mut rng)
            } else {
                let mut chains = Metropolis::new(
                    McmcSettings::default()
                        .with_samples(a.samples)
                        .with_burn_in(1000)
                        .with_sweeps(a.sweeps)
                        .with_seed(a.planted.seed.wrapping_add(1)),
                )?;
                chains.sample(&model)
            };
            write_raster(&a.planted.out, &data, a.planted.layout)?;
            ModelFile::from_ising(&model).write(&a.planted.model_out)?;
            say!(
                "wrote {} samples of a planted {}-spin Ising model to {}",
                a.samples,
                a.planted.n,
                a.planted.out.shown()
            );
        }
        Generate::Kinetic(a) => {
            let (h_std, j_std) = a.planted.check()?;
            if a.steps < 2 {
                return Err(Error::setting("steps", a.steps, ">= 2"));
            }
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(a.planted.seed);
            let options = KineticOptions {
                symmetric: a.symmetric,
                self_couplings: a.self_couplings,
            };
            let model: KineticIsing<f64> =
                KineticIsing::random(a.planted.n, h_std, j_std, options, &mut rng);
            let data = simulate(&model, a.steps, None, &mut rng)?;
            write_raster(&a.planted.out, &data, a.planted.layout)?;
            ModelFile::from_kinetic(&model).write(&a.planted.model_out)?;
            say!(
                "wrote {} steps of a planted {}-spin kinetic model to {}",
                a.steps,
                a.planted.n,
                a.planted.out.shown()
            );
        }
        Generate::Bursts(a) => {
            super::paths::check(&[super::paths::Named::file("--out", &a.out)])?;
            let settings = BurstSettings {
                cells: a.cells,
                bins: a.bins,
                seed: a.seed,
            };
            let data = settings.generate()?;
            write_raster(&a.out, &data, Layout::SpinsBySamples)?;
            let counts = data.column_up_counts();
            let silent = counts.iter().filter(|&&k| k == 0).count();
            let largest = counts.iter().copied().max().unwrap_or(0);
            say!(
                "wrote a bursty recording of {} cells × {} bins to {}: {:.1}% of bins silent, \
                 up to {largest} cells active in one bin, mean firing {:.2}%",
                a.cells,
                a.bins,
                a.out.shown(),
                100.0 * silent as f64 / counts.len() as f64,
                100.0 * data.density()
            );
        }
        Generate::Retina(a) => {
            super::paths::check(&[super::paths::Named::file("--out", &a.out)])?;
            let settings = RetinaSettings {
                cells: a.cells,
                repeats: a.repeats,
                bins: a.bins,
                seed: a.seed,
            };
            let data = settings.generate()?;
            write_raster(&a.out, &data, Layout::SpinsBySamples)?;
            let rates: Vec<f64> = data
                .up_counts()
                .iter()
                .map(|&u| u as f64 / data.n_samples() as f64)
                .collect();
            let (lo, hi) = rates
                .iter()
                .fold((1.0f64, 0.0f64), |(l, h), &r| (l.min(r), h.max(r)));
            say!(
                "wrote a synthetic retina of {} cells × {} repeats × {} bins to {}: firing \
                 probability per bin {:.2}% to {:.2}%, mean {:.2}%",
                a.cells,
                a.repeats,
                a.bins,
                a.out.shown(),
                100.0 * lo,
                100.0 * hi,
                100.0 * data.density()
            );
        }
    }
    Ok(())
}
