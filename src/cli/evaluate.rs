//! `spinfer evaluate`: the log-likelihood of a model on data (pseudo-log-likelihood for
//! equilibrium models above 20 spins).

use std::path::PathBuf;

use clap::Args;
use spinfer::{
    data::{read_raster, ModelFile, ModelKind},
    validate::{ising_score, kinetic_score, Measure},
    Error, Result, Transitions,
};

use super::LayoutArg;

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// Model file (JSON).
    model: PathBuf,
    /// Data file.
    data: PathBuf,
    /// Layout of the data file.
    #[arg(long, value_enum, default_value = "spins-by-samples")]
    layout: LayoutArg,
    /// Kinetic models: the data are repeats of this many bins (no transition between them).
    #[arg(long)]
    repeat_bins: Option<usize>,
}

pub fn run(a: EvaluateArgs) -> Result<()> {
    let file = ModelFile::read(&a.model)?;
    let data = read_raster(&a.data, a.layout.into())?;
    if data.n_spins() != file.n {
        return Err(Error::Shape(format!(
            "{} has {} spins but {} has {}",
            a.model.display(),
            file.n,
            a.data.display(),
            data.n_spins()
        )));
    }
    let score = match file.kind {
        ModelKind::Ising => ising_score(&file.to_ising::<f64>()?, &data)?,
        ModelKind::Kinetic => {
            let transitions = match a.repeat_bins {
                Some(bins) => Transitions::from_segments(&data, bins)?,
                None => Transitions::from_series(&data),
            };
            kinetic_score(&file.to_kinetic::<f64>()?, &transitions)?
        }
    };
    let what = match score.measure {
        Measure::Exact => "log-likelihood per sample",
        Measure::Pseudo => "pseudo-log-likelihood per sample (N > 20)",
        Measure::PerTransition => "log-likelihood per transition",
    };
    println!("{what}: {:.6}", score.value);
    Ok(())
}
