//! Where a fit starts: the independent-cell model, a closed-form inversion, or the
//! pseudo-likelihood maximum.

use nalgebra::DMatrix;

use crate::{
    init::{mean_field, Init, MeanField},
    model::{Energy, KineticOptions},
    sample::SamplerKind,
    stats::LaggedMoments,
    KineticIsing, Raster, Real, Result, Transitions,
};

use super::{IsingFitSettings, IsingMethod};

/// The start [`Init::Auto`] stands for in an equilibrium fit of `data`: for Monte Carlo
/// Boltzmann learning the pseudo-likelihood maximum, stepped centred (the synthetic
/// retina is faithful several times sooner from it), unless the activity is collective
/// ([`pair_collectivity`] above [`COLLECTIVE_ABOVE`]); then, and for the exact objectives, the
/// independent cells (J = 0, h_i = atanh ⟨s_i⟩), stepped raw.
///
/// On recordings with population bursts the pseudo-likelihood maximum over-estimates the
/// couplings: its equilibrium sits in the all-active state, on the far side of a
/// first-order transition from the data (`spinfer compare` of it: means 906 × the
/// split-half difference on `generate bursts --seed 1`), and Monte Carlo learning from it
/// did not come back in 1,000 iterations (7.8 ×), where the independent start is faithful
/// after 840.
pub fn resolve_ising(settings: &IsingFitSettings, data: &Raster) -> Init {
    match settings.init {
        Init::Auto
            if settings.method == IsingMethod::Boltzmann
                && settings.sampler != SamplerKind::Exact
                && pair_collectivity(data) <= COLLECTIVE_ABOVE =>
        {
            Init::Pseudo
        }
        Init::Auto => Init::Zero,
        other => other,
    }
}

/// [`pair_collectivity`] above which the automatic start is the independent cells: the
/// synthetic retina has 0.018 at 160 cells and 0.020 at 1,000 (`generate retina --cells
/// 1000 --seed 3`), the bursty recordings 0.27–0.30 (`generate bursts --seed 1, 2`).
pub const COLLECTIVE_ABOVE: f64 = 0.1;

/// [`collectivity`] per pair of cells, (c − 1) / (N − 1): the mean over pairs of the
/// covariance of two cells relative to their variances, which does not grow with the
/// number of cells as c does (c = 1 + (N − 1) × this for cells of equal variance). A rule on
/// c itself took the 1,000-cell synthetic retina (c = 20.8) for bursty data.
pub fn pair_collectivity(data: &Raster) -> f64 {
    let n = data.n_spins();
    if n < 2 {
        return 0.0;
    }
    (collectivity(data) - 1.0) / (n - 1) as f64
}

/// How collective the activity of `data` is: the variance of the population sum
/// M = Σ_i s_i over the variance it would have for independent cells with the same means,
/// Var(M) / Σ_i (1 − ⟨s_i⟩²).
///
/// The pseudo-likelihood start and centred steps both treat cells as nearly independent
/// given the rest (centred steps precondition every direction by 1/(1 − m_i²)); along the
/// collective direction (every field at once) the curvature is this factor larger, and
/// both overshoot where it is large. Measured: the synthetic retina 3.3–3.8 (`generate
/// retina --seed 1, 4`), where the pseudo-likelihood start with centred steps is faithful
/// in 210–250 iterations and raw steps from J = 0 did not get there in 1,000 on seed 11;
/// the bursty recordings 28–31 (`generate bursts --seed 1, 2`), where it is the other way
/// round.
pub fn collectivity(data: &Raster) -> f64 {
    let (n, t) = (data.n_spins() as f64, data.n_samples().max(1) as f64);
    let ups = data.column_up_counts();
    let mean = ups.iter().map(|&k| k as f64).sum::<f64>() / t;
    let var_k = ups.iter().map(|&k| (k as f64 - mean).powi(2)).sum::<f64>() / t;
    let independent: f64 = data
        .up_counts()
        .iter()
        .map(|&u| {
            let m = 2.0 * u as f64 / t - 1.0;
            1.0 - m * m
        })
        .sum();
    if independent > 0.0 && n > 0.0 {
        4.0 * var_k / independent
    } else {
        1.0
    }
}

/// The start [`Init::Auto`] stands for in a kinetic fit by L-BFGS or first-order steps
/// (row-wise Newton always starts from independent cells): TAP. It is one N × N inversion
/// from moments the fit computes anyway, and it shortens the climb where iterations are
/// dear. L-BFGS iterations to convergence (zero → TAP start): 1,000-cell synthetic retina,
/// 286,000 bins, 67 → 48 (95,000 bins: 166 → 130 with the naive mean-field start); dense
/// planted N = 200, 10 → 7; the 160-cell retina, asymmetric 24 → 27 and symmetric 23 → 23.
pub fn resolve_kinetic(init: Init) -> Init {
    match init {
        Init::Auto => Init::Tap,
        other => other,
    }
}

/// The starting kinetic model for `data`; `None` for the independent-cell start.
pub fn kinetic_start<T: Real>(
    data: &Transitions,
    init: Init,
    options: KineticOptions,
) -> Result<Option<KineticIsing<T>>> {
    let Some(kind) = mean_field_kind(init)? else {
        return Ok(None);
    };
    Ok(finite(mean_field::kinetic(data, kind, options)?))
}

/// [`kinetic_start`] from the lagged moments and the sources' inverse covariance that the
/// fit has already computed.
pub(crate) fn kinetic_start_from<T: Real>(
    lagged: &LaggedMoments,
    inverse_covariance: &DMatrix<f64>,
    init: Init,
    options: KineticOptions,
) -> Result<Option<KineticIsing<T>>> {
    let Some(kind) = mean_field_kind(init)? else {
        return Ok(None);
    };
    let model = mean_field::kinetic_from(lagged, inverse_covariance, kind, options)?;
    Ok(finite(model))
}

/// The inversion as a start, or `None` (the independent cells) where it broke down: a start
/// is only a start, whichever way its inverse covariance was obtained.
fn finite<T: Real>(model: KineticIsing<f64>) -> Option<KineticIsing<T>> {
    model
        .params()
        .iter()
        .all(|v| v.is_finite())
        .then(|| model.cast())
}

/// The closed-form inversion a kinetic `init` asks for; `None` for the independent cells.
fn mean_field_kind(init: Init) -> Result<Option<MeanField>> {
    Ok(Some(match init {
        Init::Auto | Init::Zero => return Ok(None),
        Init::MeanField => MeanField::Naive,
        Init::Tap => MeanField::Tap,
        Init::Pseudo => {
            return Err(crate::Error::setting(
                "init",
                "pseudo",
                "auto, zero, mean-field or tap for kinetic models (their likelihood is \
                 already exact)",
            ))
        }
    }))
}
