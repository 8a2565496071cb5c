//! Log-likelihoods for held-out evaluation: exact for the kinetic model and for small
//! equilibrium models, pseudo-log-likelihood for large equilibrium models.

use serde::{Deserialize, Serialize};

use rayon::prelude::*;

use crate::{
    model::{Energy, Equilibrium, FlipEnergy, Ising, KineticIsing},
    sample::{
        log_partition_of, AisSettings, ConditionalExpectation, ExactDistribution, MAX_EXACT_SPINS,
    },
    stats::KStatistics,
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
    /// Log-likelihood per sample with log Z by stepping stones over a replica-exchange
    /// ladder (equilibrium models of collective data), with a standard
    /// error.
    Ladder,
}

impl Measure {
    /// Words for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Measure::Exact => "exact log-likelihood per sample",
            Measure::Pseudo => "pseudo-log-likelihood per sample",
            Measure::PerTransition => "log-likelihood per transition",
            Measure::Ais => "log-likelihood per sample (log Z by AIS)",
            Measure::Ladder => {
                "log-likelihood per sample (log Z by stepping stones over a replica-exchange \
                 ladder)"
            }
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

/// [`ising_score`] for an equilibrium model of either family: exact for N ≤ 20, else the
/// pseudo-log-likelihood (for K-pairwise models from single-spin flips, which see V(K)).
pub fn equilibrium_score<T: Real>(model: &Equilibrium<T>, data: &Raster) -> Result<Score> {
    match model {
        Equilibrium::Ising(m) => ising_score(m, data),
        _ if model.n_spins() <= MAX_EXACT_SPINS => Ok(Score {
            value: ExactDistribution::new(model)?.log_likelihood(data)?,
            measure: Measure::Exact,
            std_error: None,
        }),
        _ => Ok(Score {
            value: flip_pseudo_log_likelihood(model, data)?,
            measure: Measure::Pseudo,
            std_error: None,
        }),
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
    ais_scores_of(&Equilibrium::Ising(model.clone()), parts, settings)
}

/// [`ais_scores`] for an equilibrium model of either family (the K-pairwise potential
/// enters both ⟨−E⟩_data and the annealing of log Z).
pub fn ais_scores_of<T: Real>(
    model: &Equilibrium<T>,
    parts: &[&Raster],
    settings: &AisSettings,
) -> Result<Vec<Score>> {
    for p in parts {
        check_spins(model.n_spins(), p.n_spins())?;
    }
    let pairwise = model.pairwise_part();
    let h: Vec<f64> = pairwise.fields().iter().map(|v| v.as_f64()).collect();
    let log_z = log_partition_of(model, &h, settings)?;
    Ok(scores_with(
        model,
        parts,
        log_z.value,
        log_z.std_error,
        Measure::Ais,
    ))
}

/// [`ais_scores_of`] with log Z by stepping stones from β = 0 over the replica-exchange
/// ladder of [`crate::thermo::thermodynamics`] (from T = 1 up, `settings` otherwise): its
/// replicas cross between the collective states of a
/// model that the annealing chains of AIS, single-site at every temperature, keep apart.
pub fn ladder_scores_of<T: Real>(
    model: &Equilibrium<T>,
    parts: &[&Raster],
    settings: &crate::thermo::ThermoSettings,
) -> Result<Vec<Score>> {
    for p in parts {
        check_spins(model.n_spins(), p.n_spins())?;
    }
    let settings = crate::thermo::ThermoSettings {
        t_min: 1.0,
        ..settings.clone()
    };
    let t = crate::thermo::thermodynamics(model, &settings)?;
    Ok(scores_with(
        model,
        parts,
        t.log_z.value,
        t.log_z.std_error,
        Measure::Ladder,
    ))
}

/// θ · ⟨φ⟩_part − log Z for each part.
fn scores_with<T: Real>(
    model: &Equilibrium<T>,
    parts: &[&Raster],
    log_z: f64,
    std_error: f64,
    measure: Measure,
) -> Vec<Score> {
    let n = model.n_spins();
    let stats: Box<dyn Statistics> = match model {
        Equilibrium::Ising(_) => Box::new(PairStatistics::new(n)),
        Equilibrium::KPairwise(k) => Box::new(KStatistics::new(n, k.layout())),
    };
    let params = model.params().map(|v| v.as_f64());
    parts
        .iter()
        .map(|p| Score {
            value: params.dot(&stats.average(p)) - log_z,
            measure,
            std_error: Some(std_error),
        })
        .collect()
}

/// The pseudo-log-likelihood per sample Σ_i ⟨log P(s_i | s_∖i)⟩ of any equilibrium model,
/// from its flip energies: P(s_i | s_∖i) = 1 / (1 + e^{−ΔE_i(s)}), ΔE_i = E(s with s_i
/// flipped) − E(s).
pub fn flip_pseudo_log_likelihood<T: Real, M: FlipEnergy<T>>(
    model: &M,
    data: &Raster,
) -> Result<f64> {
    check_spins(model.n_spins(), data.n_spins())?;
    let m = data.n_samples();
    if m == 0 {
        return Err(Error::Shape("no samples to score".into()));
    }
    let total: f64 = (0..m)
        .into_par_iter()
        .map(|t| {
            let s = data.column(t);
            let local = model.local(&s);
            (0..s.len())
                .map(|i| {
                    let delta = model.flip_delta(&s, &local, i).as_f64();
                    // −log(1 + e^{−Δ}), stable for either sign of Δ.
                    -((-delta.abs()).exp().ln_1p() + (-delta).max(0.0))
                })
                .sum::<f64>()
        })
        .sum();
    Ok(total / m as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn the_flip_pseudo_likelihood_is_the_pairwise_one_and_ais_finds_k_pairwise_log_z() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
        let ising: Ising<f64> = Ising::random(8, 0.5, 0.5, &mut rng);
        let data = ExactDistribution::new(&ising)
            .unwrap()
            .sample(500, &mut rng);
        let a = pseudo_log_likelihood(&ising, &data).unwrap();
        let b = flip_pseudo_log_likelihood(&ising, &data).unwrap();
        assert!((a - b).abs() < 1e-10, "{a} vs {b}");
        // log Z of a K-pairwise model by AIS within 4 standard errors of enumeration.
        let v: Vec<f64> = (0..=8)
            .map(|k| 0.4 * ((k as f64) - 3.0).abs().sqrt())
            .collect();
        let model =
            Equilibrium::KPairwise(crate::model::KPairwise::with_potential(ising, &v).unwrap());
        let exact = ExactDistribution::new(&model).unwrap();
        let settings = AisSettings {
            temperatures: 400,
            chains: 256,
            ..AisSettings::default()
        };
        let score = ais_scores_of(&model, &[&data], &settings)
            .unwrap()
            .remove(0);
        let truth = exact.log_likelihood(&data).unwrap();
        let se = score.std_error.unwrap();
        assert!(
            (score.value - truth).abs() <= 4.0 * se + 1e-9,
            "{} vs {truth} ± {se}",
            score.value
        );
    }

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
