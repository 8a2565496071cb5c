//! Where a fit starts: the independent-cell model, a closed-form inversion, or the
//! pseudo-likelihood maximum.

use nalgebra::DMatrix;

pub use crate::stats::collective::{collectivity, pair_collectivity, COLLECTIVE_ABOVE};
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
