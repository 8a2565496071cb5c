//! Log-likelihoods for held-out evaluation: exact for the kinetic model and for small
//! equilibrium models, pseudo-log-likelihood for large equilibrium models.

use serde::{Deserialize, Serialize};

use crate::{
    model::{Energy, Ising, KineticIsing},
    sample::{
        log_partition, AisSettings, ConditionalExpectation, ExactDistribution, MAX_EXACT_SPINS,
    },
    Error, PairStatistics, Raster, Real, Result, Statistics, TransitionStatistics, Transitions,
};

/// Which likelihood a score is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// Exact log-likelihood per sample (equilibrium, N ≤ 20).
    Exact,
    /// Pseudo-log-likelihood per sample Σ_i ⟨log P(s_i | s_{∖i})⟩ (equilibrium).
    Pseudo,
    /// Exact log-likelihood per transition (kinetic).
    PerTransition,
    /// Log-likelihood per sample with log Z from annealed importance sampling (equilibrium,
    /// any N), with a standard error.
    Ais,
}

impl Measure {
    /// Words for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Measure::Exact => "exact log-likelihood per sample",
            Measure::Pseudo => "pseudo-log-likelihood per sample",
            Measure::PerTransition => "log-likelihood per transition",
            Measure::Ais => "log-likelihood per sample (log Z by AIS)",
        }
    }
}

/// A score of a model on data.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The value (nats per sample or per transition).
    pub value: f64,
    /// What it is.
    pub measure: Measure,
    /// Standard error of the value, when it is an estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std_error: Option<f64>,
}

fn check_spins(model_n: usize, data_n: usize) -> Result<()> {
    if model_n != data_n {
        return Err(Error::Shape(format!(
            "the model has {model_n} spins, the data {data_n}"
        )));
    }
    Ok(())
}

/// Kinetic log-likelihood per transition,
/// L = ⟨Σ_i s_i(t+1) θ_i(t) − log 2cosh θ_i(t)⟩ = θ·⟨φ⟩_data − A(θ).
pub fn kinetic_log_likelihood<T: Real>(model: &KineticIsing<T>, data: &Transitions) -> Result<f64> {
    check_spins(model.n_spins(), data.n_spins())?;
    let stats = TransitionStatistics::new(data.n_spins()).average_transitions(data);
    let a = ConditionalExpectation::of(data)?
        .evaluate(model)?
        .log_partition
        .unwrap_or(f64::NAN);
    let params = model.params().map(|v| v.as_f64());
    Ok(params.dot(&stats) - a)
}

/// Pseudo-log-likelihood per sample, Σ_i ⟨s_i f_i − log 2cosh f_i⟩_data: the kinetic
/// likelihood of the conditionals on self-transitions s → s ([`Transitions::identity`]).
pub fn pseudo_log_likelihood<T: Real>(model: &Ising<T>, data: &Raster) -> Result<f64> {
    check_spins(model.n_spins(), data.n_spins())?;
    kinetic_log_likelihood(
        &crate::fit::pseudo::conditionals(model),
        &Transitions::identity(data),
    )
}

/// The best available likelihood of an equilibrium model: exact for N ≤ 20, else pseudo.
pub fn ising_score<T: Real>(model: &Ising<T>, data: &Raster) -> Result<Score> {
    check_spins(model.n_spins(), data.n_spins())?;
    if model.n_spins() <= MAX_EXACT_SPINS {
        Ok(Score {
            value: ExactDistribution::new(model)?.log_likelihood(data)?,
            measure: Measure::Exact,
            std_error: None,
        })
    } else {
        Ok(Score {
            value: pseudo_log_likelihood(model, data)?,
            measure: Measure::Pseudo,
            std_error: None,
        })
    }
}

/// Kinetic log-likelihood per transition as a [`Score`].
pub fn kinetic_score<T: Real>(model: &KineticIsing<T>, data: &Transitions) -> Result<Score> {
    Ok(Score {
        value: kinetic_log_likelihood(model, data)?,
        measure: Measure::PerTransition,
        std_error: None,
    })
}

/// Log-likelihoods per sample of one equilibrium model on several data sets, L = θ·⟨φ⟩_data
/// − log Z, with log Z estimated once by annealed importance sampling (from the independent
/// model with the model's own fields). The standard error is that of log Ẑ.
pub fn ais_scores<T: Real>(
    model: &Ising<T>,
    parts: &[&Raster],
    settings: &AisSettings,
) -> Result<Vec<Score>> {
    for p in parts {
        check_spins(model.n_spins(), p.n_spins())?;
    }
    let h: Vec<f64> = model.fields().iter().map(|v| v.as_f64()).collect();
    let log_z = log_partition(model, &h, settings)?;
    let stats = PairStatistics::new(model.n_spins());
    let params = model.params().map(|v| v.as_f64());
    Ok(parts
        .iter()
        .map(|p| {
            let phi = stats.average(p);
            Score {
                value: params.dot(&phi) - log_z.value,
                measure: Measure::Ais,
                std_error: Some(log_z.std_error),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn pseudo_likelihood_matches_the_definition() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let model: Ising<f64> = Ising::random(6, 0.5, 0.5, &mut rng);
        let data = ExactDistribution::new(&model)
            .unwrap()
            .sample(500, &mut rng);
        let mut direct = 0.0;
        for t in 0..data.n_samples() {
            let s = data.column(t);
            let f = model.local_fields(&s);
            for i in 0..6 {
                let fi = f[i];
                direct += s[i] as f64 * fi - (2.0 * fi.cosh()).ln();
            }
        }
        direct /= data.n_samples() as f64;
        let fast = pseudo_log_likelihood(&model, &data).unwrap();
        approx::assert_abs_diff_eq!(fast, direct, epsilon = 1e-9);
    }

    #[test]
    fn ais_scores_match_exact_likelihoods() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let model: Ising<f64> = Ising::random(10, 0.4, 0.3, &mut rng);
        let exact = ExactDistribution::new(&model).unwrap();
        let (a, b) = (exact.sample(3000, &mut rng), exact.sample(1000, &mut rng));
        let scores = ais_scores(&model, &[&a, &b], &AisSettings::default()).unwrap();
        for (s, d) in scores.iter().zip([&a, &b]) {
            let e = exact.log_likelihood(d).unwrap();
            let se = s.std_error.unwrap();
            assert!(
                (s.value - e).abs() < 5.0 * se + 1e-3,
                "{} vs {e} (SE {se})",
                s.value
            );
        }
    }

    #[test]
    fn pseudo_likelihood_bounds_the_exact_one_from_above() {
        // Not pointwise, but in expectation at the true model: log P(s) = Σ_i log P(s_i | s_<i)
        // and conditioning on more spins lowers entropy, H(s_i | s_∖i) ≤ H(s_i | s_<i).
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let model: Ising<f64> = Ising::random(8, 0.3, 0.3, &mut rng);
        let data = ExactDistribution::new(&model)
            .unwrap()
            .sample(2000, &mut rng);
        let exact = ising_score(&model, &data).unwrap();
        assert_eq!(exact.measure, Measure::Exact);
        let pseudo = pseudo_log_likelihood(&model, &data).unwrap();
        assert!(pseudo > exact.value, "{pseudo} vs {}", exact.value);
    }
}
