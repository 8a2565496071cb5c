//! The K-pairwise fit (Tkačik et al. 2014): h, J and a potential V(K) on the number of
//! active cells, P(s) ∝ exp(Σ h_i s_i + Σ_{i<j} J_ij s_i s_j + V(K(s))), learned as the
//! pairwise fit is (the same start, solver choice, steps, growing samples and checks), by
//! L-BFGS over exact enumeration or by first-order steps over Monte Carlo chains; its
//! faithfulness rule also asks P(K) to be within the target of the data's split-half
//! difference.

use super::{
    ising::{boltzmann, Built},
    Fit, FitControl, IsingFitSettings,
};
use crate::{
    learn::Observer,
    model::{KPairwise, VLayout},
    sample::{AnySampler, SamplerKind},
    stats::KStatistics,
    Error, Raster, Real, Result,
};

/// Fits the K-pairwise model to `data` with the settings' sampler (L-BFGS to the gradient
/// tolerance over exact enumeration; averaged first-order steps to the faithfulness rule
/// over Monte Carlo chains), iteration budget and penalties on h and J; `control`
/// checkpoints and resumes it. The V parameters are those of [`VLayout::for_data`] for the
/// exact sampler and of [`VLayout::for_sampled_fit`] for Monte Carlo ones; the pairwise
/// part starts where the pairwise fit would, V at 0.
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
    crate::model::check_dense_size(data.n_spins())?;
    if data.n_samples() == 0 {
        return Err(Error::Shape("no samples to fit".into()));
    }
    let layout = if settings.sampler == SamplerKind::Exact {
        VLayout::for_data(data)
    } else {
        VLayout::for_sampled_fit(data)
    };
    let mut sampler = AnySampler::new(settings.sampler, &settings.mcmc)?;
    if settings.chains_from_data {
        sampler.start_from(data);
    }
    boltzmann(
        data,
        settings,
        None,
        Built {
            build: |pairwise| KPairwise::new(pairwise, layout),
            stats: KStatistics::new(data.n_spins(), layout),
            judge_activity: true,
        },
        sampler,
        observer,
        control,
    )
}
