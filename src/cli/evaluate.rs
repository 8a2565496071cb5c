//! `spinfer evaluate`: the log-likelihood of a model on data.

use std::path::PathBuf;

use clap::Args;
use spinfer::{
    data::{read_raster, ModelFile, ModelKind},
    sample::{ConditionalExpectation, ExactDistribution},
    Energy, Error, Result, Statistics, TransitionStatistics,
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
    match file.kind {
        ModelKind::Ising => {
            let model = file.to_ising::<f64>()?;
            let l = ExactDistribution::new(&model)?.log_likelihood(&data)?;
            println!("log-likelihood per sample: {l:.6}");
        }
        ModelKind::Kinetic => {
            let model = file.to_kinetic::<f64>()?;
            let stats: nalgebra::DVector<f64> = TransitionStatistics::new(file.n).average(&data);
            let a_theta = ConditionalExpectation::new(&data)?
                .evaluate(&model)?
                .log_partition
                .unwrap_or(f64::NAN);
            let l = model.params().dot(&stats) - a_theta;
            println!("log-likelihood per transition: {l:.6}");
        }
    }
    Ok(())
}
