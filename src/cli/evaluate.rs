//! `spinfer evaluate`: the log-likelihood of a model on data, by the library's rule
//! ([`spinfer::workflow::evaluate`]).

use std::path::PathBuf;

use clap::Args;
use spinfer::{
    data::Layout,
    sample::AisSettings,
    workflow::{evaluate, Evaluation, ScoreMethod},
    Result,
};

use crate::cli::console::say;

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// Model file (JSON).
    model: PathBuf,
    /// Data file.
    data: PathBuf,
    /// Layout of the data file.
    #[arg(long, value_enum, default_value = "spins-by-samples")]
    layout: Layout,
    /// Equilibrium models: the log-likelihood (auto: exact for N <= 20, log Z by annealed
    /// importance sampling above, or for collective data by stepping stones over the
    /// replica-exchange ladder of `spinfer thermo`), the log-likelihood by AIS at any N, or the
    /// pseudo-log-likelihood (fast at any N; the training score of fits above 20 spins).
    #[arg(long, value_enum, default_value = "auto")]
    score: ScoreMethod,
    /// The same as --score ais.
    #[arg(long, hide = true)]
    ais: bool,
    /// Seed of the annealing or of the ladder (--score ais, and auto above 20 spins).
    #[arg(long, default_value_t = AisSettings::default().seed)]
    seed: u64,
    /// Kinetic models: the data are repeats of this many bins (no transition between them).
    #[arg(long)]
    repeat_bins: Option<usize>,
}

pub fn run(a: EvaluateArgs) -> Result<()> {
    let (file, data) = super::model_and_data(&a.model, &a.data, a.layout)?;
    let how = Evaluation {
        method: if a.ais { ScoreMethod::Ais } else { a.score },
        repeat_bins: a.repeat_bins,
        ais: AisSettings {
            seed: a.seed,
            ..AisSettings::default()
        },
    };
    let score = evaluate(&file, &data, &how)?;
    match score.std_error {
        Some(se) => say!("{}: {:.6} ± {se:.6}", score.measure.describe(), score.value),
        None => say!("{}: {:.6}", score.measure.describe(), score.value),
    }
    Ok(())
}
