//! How a saved model is scored on data: one rule for `spinfer evaluate` and
//! `spinfer.Model.log_likelihood`.

use serde::{Deserialize, Serialize};

use crate::{
    data::{ModelFile, ModelKind},
    model::Equilibrium,
    sample::{AisSettings, ExactDistribution, MAX_EXACT_SPINS},
    stats::collective::{pair_collectivity, COLLECTIVE_ABOVE},
    thermo::ThermoSettings,
    validate::{
        ais_scores_of, flip_pseudo_log_likelihood, kinetic_score, ladder_scores_of,
        pseudo_log_likelihood, Measure, Score,
    },
    Raster, Result, Transitions,
};

/// What an equilibrium model is scored by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum ScoreMethod {
    /// The log-likelihood per sample: exact for N ≤ 20, above it log Z by annealed
    /// importance sampling, or for collective data (per-pair collectivity above
    /// [`crate::stats::collective::COLLECTIVE_ABOVE`]) by stepping stones over a
    /// replica-exchange ladder (with its standard error).
    #[default]
    Auto,
    /// The log-likelihood per sample with log Z by annealed importance sampling, at any N.
    Ais,
    /// The pseudo-log-likelihood Σ_i ⟨log P(s_i | s_∖i)⟩ per sample (no log Z: fast at any
    /// N, the training score of fits above 20 spins).
    Pseudo,
}

/// How to score a model on data.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evaluation {
    /// Equilibrium models: the score.
    pub method: ScoreMethod,
    /// Kinetic models: the data are repeats of this many bins (no transition across them).
    pub repeat_bins: Option<usize>,
    /// Equilibrium models: the annealing of log Z.
    pub ais: AisSettings,
}

/// The score of the model in `file` on `data`: per sample for equilibrium models, by
/// `how.method`; the exact log-likelihood per transition for kinetic ones.
///
/// ```
/// use spinfer::prelude::*;
/// use spinfer::{data::ModelFile, workflow::{evaluate, Evaluation}, validate::Measure};
///
/// let mut rng = spinfer::seeded(1);
/// let model: Ising<f64> = Ising::planted(6, &mut rng);
/// let data = ExactDistribution::new(&model).unwrap().sample(1_000, &mut rng);
/// let score = evaluate(&ModelFile::from_ising(&model), &data, &Evaluation::default()).unwrap();
/// assert_eq!(score.measure, Measure::Exact);
/// ```
pub fn evaluate(file: &ModelFile, data: &Raster, how: &Evaluation) -> Result<Score> {
    match file.kind {
        ModelKind::Kinetic => {
            let transitions = Transitions::within_repeats(data, how.repeat_bins)?;
            kinetic_score(&file.to_kinetic::<f64>()?, &transitions)
        }
        ModelKind::Ising | ModelKind::KPairwise => {
            let model = file.to_equilibrium::<f64>()?;
            match how.method {
                ScoreMethod::Auto if file.n <= MAX_EXACT_SPINS => Ok(Score {
                    value: ExactDistribution::new(&model)?.log_likelihood(data)?,
                    measure: Measure::Exact,
                    std_error: None,
                }),
                ScoreMethod::Auto if pair_collectivity(data) > COLLECTIVE_ABOVE => {
                    let ladder = ThermoSettings {
                        seed: how.ais.seed,
                        ..ThermoSettings::default()
                    };
                    Ok(ladder_scores_of(&model, &[data], &ladder)?.remove(0))
                }
                ScoreMethod::Auto | ScoreMethod::Ais => {
                    Ok(ais_scores_of(&model, &[data], &how.ais)?.remove(0))
                }
                ScoreMethod::Pseudo => Ok(Score {
                    value: match &model {
                        Equilibrium::Ising(m) => pseudo_log_likelihood(m, data)?,
                        Equilibrium::KPairwise(m) => flip_pseudo_log_likelihood(m, data)?,
                    },
                    measure: Measure::Pseudo,
                    std_error: None,
                }),
            }
        }
    }
}
