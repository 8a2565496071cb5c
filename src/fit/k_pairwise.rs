//! The K-pairwise fit: h, J and V(K) by L-BFGS over exact enumeration (N ≤ 20), to the
//! gradient tolerance, from the independent-cell start.
//!
//! Monte Carlo learning of the K-pairwise model is not in this version: the vectorised
//! chain kernel serves pairwise energies only, and on the 160-cell synthetic retina the
//! generic kernel with the pairwise fit's optimiser did not reach the faithfulness target
//! in ten minutes, so the fit refuses other samplers ([`IsingFitSettings::check`]) rather
//! than return a model it cannot vouch for.

use super::{
    drive, ising::independent_model, regularised, Fit, FitControl, IsingFitSettings, Summary,
    Timings,
};
use crate::{
    learn::Observer,
    model::{Centering, KPairwise, VLayout},
    objective::{Likelihood, ObjectiveKind},
    sample::ExactSampler,
    solve::{Lbfgs, SolverKind},
    stats::KStatistics,
    Error, Raster, Real, Result, Statistics,
};

/// Fits the K-pairwise model to `data` by L-BFGS over exact enumeration, with the
/// settings' iteration budget, tolerance and penalties on h and J; `control` checkpoints
/// and resumes it. The V parameters are those of [`VLayout::for_data`].
///
/// ```
/// use spinfer::prelude::*;
/// use spinfer::fit::{fit_k_pairwise_with, EquilibriumModel};
/// use spinfer::model::Equilibrium;
///
/// let mut rng = spinfer::seeded(5);
/// let truth: Ising<f64> = Ising::planted(8, &mut rng);
/// let data = ExactDistribution::new(&truth).unwrap().sample(20_000, &mut rng);
/// let mut settings = IsingFitSettings::default().with_sampler(SamplerKind::Exact);
/// settings.model = EquilibriumModel::KPairwise;
/// let fit = fit_k_pairwise_with::<f64>(&data, &settings, &mut NoObserver, &mut FitControl::default()).unwrap();
/// assert!(fit.summary.converged);
/// // At the maximum the model's P(K) is the data's.
/// let exact = ExactDistribution::new(&Equilibrium::KPairwise(fit.model)).unwrap();
/// let p3: f64 = (0..256u32).filter(|c| c.count_ones() == 3).map(|c| {
///     let s: Vec<Spin> = (0..8).map(|i| if (c >> i) & 1 == 1 { 1 } else { -1 }).collect();
///     exact.log_prob(&s).exp()
/// }).sum();
/// let data_p3 = data.column_up_counts().iter().filter(|&&k| k == 3).count() as f64 / 20_000.0;
/// assert!((p3 - data_p3).abs() < 1e-6);
/// ```
pub fn fit_k_pairwise_with<T: Real>(
    data: &Raster,
    settings: &IsingFitSettings,
    observer: &mut dyn Observer<T>,
    control: &mut FitControl<'_, KPairwise<T>>,
) -> Result<Fit<KPairwise<T>>> {
    settings.check()?;
    if data.n_samples() == 0 {
        return Err(Error::Shape("no samples to fit".into()));
    }
    let n = data.n_spins();
    let layout = VLayout::for_data(data);
    let model = KPairwise::new(independent_model::<T>(data), layout)?;
    let stats = KStatistics::new(n, layout);
    let constant = data.constant_cells();
    let data_stats = regularised(stats.average(data), data.n_samples(), !constant.is_empty());
    let means: Vec<f64> = data_stats.as_slice()[..n].to_vec();
    let objective = Likelihood::from_data_statistics(model, stats, ExactSampler, data_stats)?
        .with_penalty(settings.penalty)?
        .with_centering(Centering::equilibrium(&means))?;
    let learning_started = std::time::Instant::now();
    let (learner, outcome) = drive(
        objective,
        Lbfgs::default().with_centring(true),
        &settings.learn,
        observer,
        control.resume.take(),
        control.checkpoint_every,
        control.checkpoint.as_deref_mut(),
    )?;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            control.last_finite = Some(learner.model().clone());
            return Err(e);
        }
    };
    let history = learner.history().clone();
    let last = history.last().cloned();
    Ok(Fit {
        summary: Summary {
            objective: ObjectiveKind::LogLikelihood,
            value: last.as_ref().and_then(|r| r.objective),
            max_gradient: last.as_ref().map_or(f64::NAN, |r| r.max_abs_gradient()),
            converged: outcome.converged(),
        },
        model: learner.into_model(),
        history,
        outcome,
        solver: SolverKind::Lbfgs,
        constant_cells: constant,
        chains: None,
        faithfulness: None,
        timings: Timings {
            learning: learning_started.elapsed().as_secs_f64(),
            ..Timings::default()
        },
        centred: true,
        rejected_start: None,
    })
}
