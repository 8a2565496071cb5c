//! Where a fit starts: the independent-cell model, a closed-form inversion, or the
//! pseudo-likelihood maximum.

use crate::{
    init::{mean_field, Init, MeanField},
    model::KineticOptions,
    sample::SamplerKind,
    Ising, KineticIsing, Raster, Real, Result, Transitions,
};

use super::{pseudo, IsingFitSettings, IsingMethod};

/// The start [`Init::Auto`] stands for in an equilibrium fit: the pseudo-likelihood start
/// for Monte Carlo Boltzmann learning, the independent-cell start otherwise.
pub fn resolve_ising(settings: &IsingFitSettings) -> Init {
    match settings.init {
        Init::Auto
            if settings.method == IsingMethod::Boltzmann
                && settings.sampler != SamplerKind::Exact =>
        {
            Init::Pseudo
        }
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

/// The starting kinetic model for `data`; `None` for the independent-cell start.
pub fn kinetic_start<T: Real>(
    data: &Transitions,
    init: Init,
    options: KineticOptions,
) -> Result<Option<KineticIsing<T>>> {
    let kind = match init {
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
    };
    Ok(Some(mean_field::kinetic(data, kind, options)?.cast()))
}
