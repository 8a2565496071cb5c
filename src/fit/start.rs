//! Where a fit starts: the independent-cell model, a closed-form inversion, or the
//! pseudo-likelihood maximum.

use nalgebra::DMatrix;

use crate::{
    init::{mean_field, Init, MeanField},
    model::{Energy, KineticOptions},
    stats::LaggedMoments,
    Ising, KineticIsing, Raster, Real, Result, Transitions,
};

use super::{pseudo, IsingFitSettings};

/// The start [`Init::Auto`] stands for in an equilibrium fit: the independent cells
/// (J = 0, h_i = atanh ⟨s_i⟩), stepped in the raw parameters.
///
/// The pseudo-likelihood maximum, the automatic start before, over-estimates couplings
/// where activity is collective: on recordings with population bursts its equilibrium sits
/// in the all-active state, on the far side of a first-order transition from the data, and
/// Monte Carlo learning from it did not come back in 1,000 iterations (7.8× the split-half
/// difference in the means, where the independent start is faithful after 730). Measured
/// on the synthetic retina too: `generate retina --seed 4` is faithful after 170
/// iterations from the independent cells and 210 from the pseudo-likelihood start.
pub fn resolve_ising(settings: &IsingFitSettings) -> Init {
    match settings.init {
        Init::Auto => Init::Zero,
        other => other,
    }
}

/// The starting equilibrium model for `data`; `None` for the independent-cell start.
pub fn ising_start<T: Real>(data: &Raster, init: Init) -> Result<Option<Ising<T>>> {
    Ok(match init {
        Init::Auto | Init::Zero => None,
        Init::MeanField => Some(mean_field::ising(data, MeanField::Naive)?.cast()),
        Init::Tap => Some(mean_field::ising(data, MeanField::Tap)?.cast()),
        Init::Pseudo => Some(pseudo::warm_start(data)?.cast()),
    })
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
