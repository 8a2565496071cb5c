//! `spinfer evaluate`: the log-likelihood of a model on data (pseudo-log-likelihood for
//! equilibrium models above 20 spins).

use std::path::PathBuf;

use clap::Args;
use spinfer::{
    data::ModelKind,
    sample::AisSettings,
    validate::{ais_scores, ising_score, kinetic_score},
    Result,
};

use crate::cli::console::say;
use spinfer::data::Layout;

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// Model file (JSON).
    model: PathBuf,
    /// Data file.
    data: PathBuf,
    /// Layout of the data file.
    #[arg(long, value_enum, default_value = "spins-by-samples")]
    layout: Layout,
    /// Equilibrium models: estimate log Z by annealed importance sampling (any N; without
    /// it, N > 20 gives the pseudo-log-likelihood).
    #[arg(long)]
    ais: bool,
    /// Kinetic models: the data are repeats of this many bins (no transition between them).
    #[arg(long)]
    repeat_bins: Option<usize>,
}

pub fn run(a: EvaluateArgs) -> Result<()> {
    let (file, data) = super::model_and_data(&a.model, &a.data, a.layout)?;
    let score = match file.kind {
        ModelKind::Ising if a.ais => {
            let model = file.to_ising::<f64>()?;
            ais_scores(&model, &[&data], &AisSettings::default())?.remove(0)
        }
        ModelKind::Ising => ising_score(&file.to_ising::<f64>()?, &data)?,
        ModelKind::Kinetic => {
            let transitions = spinfer::Transitions::within_repeats(&data, a.repeat_bins)?;
            kinetic_score(&file.to_kinetic::<f64>()?, &transitions)?
        }
    };
    match score.std_error {
        Some(se) => say!("{}: {:.6} ± {se:.6}", score.measure.describe(), score.value),
        None => say!("{}: {:.6}", score.measure.describe(), score.value),
    }
    Ok(())
}
