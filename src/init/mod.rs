//! Fast estimators used as starting points (warm starts) for exact-likelihood and Boltzmann
//! learning: naive mean field, TAP, and pseudo-likelihood.

pub mod mean_field;
pub mod pseudo;
pub mod row_newton;

use serde::{Deserialize, Serialize};

pub use mean_field::MeanField;
pub use pseudo::fit_pseudo_likelihood;

use crate::{
    model::Energy, Error, Ising, KineticIsing, KineticOptions, Raster, Real, Result, Transitions,
};

/// Where learning starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    /// J = 0 with each field at its independent-cell value h_i = atanh ⟨s_i⟩ (the exact
    /// maximum of the likelihood at J = 0, so nothing is lost against h = 0).
    #[default]
    Zero,
    /// Naive mean-field inversion.
    MeanField,
    /// TAP inversion.
    Tap,
    /// Pseudo-likelihood maximisation with a small L2 penalty
    /// ([`pseudo::warm_start_settings`]; equilibrium models only).
    Pseudo,
}

fn cast_ising<T: Real>(m: &Ising<f64>) -> Result<Ising<T>> {
    let mut out = Ising::zeros(m.n_spins());
    for (a, b) in out.params_mut().iter_mut().zip(m.params().iter()) {
        *a = T::cast(*b);
    }
    out.project();
    Ok(out)
}

/// The starting equilibrium model for `data`; `None` for [`Init::Zero`] (the fit's own
/// independent-cell start).
pub fn ising_start<T: Real>(data: &Raster, init: Init) -> Result<Option<Ising<T>>> {
    match init {
        Init::Zero => Ok(None),
        Init::MeanField => cast_ising(&mean_field::ising(data, MeanField::Naive)?).map(Some),
        Init::Tap => cast_ising(&mean_field::ising(data, MeanField::Tap)?).map(Some),
        Init::Pseudo => {
            fit_pseudo_likelihood::<T>(data, &pseudo::warm_start_settings()).map(|f| Some(f.model))
        }
    }
}

/// The starting kinetic model for `data`; `None` for [`Init::Zero`].
pub fn kinetic_start<T: Real>(
    data: &Transitions,
    init: Init,
    options: KineticOptions,
) -> Result<Option<KineticIsing<T>>> {
    let kind =
        match init {
            Init::Zero => return Ok(None),
            Init::MeanField => MeanField::Naive,
            Init::Tap => MeanField::Tap,
            Init::Pseudo => return Err(Error::setting(
                "init",
                "pseudo",
                "zero, mean-field or tap for kinetic models (their likelihood is already exact)",
            )),
        };
    let m = mean_field::kinetic(data, kind, options)?;
    let mut out = KineticIsing::zeros(m.n_spins(), options);
    for (a, b) in out.params_mut().iter_mut().zip(m.params().iter()) {
        *a = T::cast(*b);
    }
    out.project();
    Ok(Some(out))
}
