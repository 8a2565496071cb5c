//! A model's parameters as flat lists, for distances to a true model and for figures.

use crate::{model::Energy, Ising, KineticIsing, Real};

/// Fields and couplings of a model as flat lists, for parameter scatters.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// h_i.
    pub h: Vec<f64>,
    /// Couplings: the upper triangle J_ij, i < j, for equilibrium models; every J_ij, i ≠ j
    /// (and J_ii when self-couplings are on), for kinetic models.
    pub j: Vec<f64>,
}

impl<T: Real> From<&Ising<T>> for Params {
    fn from(m: &Ising<T>) -> Self {
        let n = m.n_spins();
        Params {
            h: m.fields().iter().map(|v| v.as_f64()).collect(),
            j: m.params().iter().skip(n).map(|v| v.as_f64()).collect(),
        }
    }
}

impl<T: Real> From<&KineticIsing<T>> for Params {
    fn from(m: &KineticIsing<T>) -> Self {
        let n = m.n_spins();
        let c = m.couplings();
        let selfc = m.options().self_couplings;
        Params {
            h: m.fields().iter().map(|v| v.as_f64()).collect(),
            j: (0..n)
                .flat_map(|i| (0..n).map(move |k| (i, k)))
                .filter(|&(i, k)| i != k || selfc)
                .map(|(i, k)| c[(i, k)].as_f64())
                .collect(),
        }
    }
}

impl Params {
    /// The parameters a model file holds, as [`Params::from`] its model.
    pub fn of_file(file: &crate::data::ModelFile) -> crate::Result<Self> {
        Ok(match file.kind {
            crate::data::ModelKind::Ising => Params::from(&file.to_ising::<f64>()?),
            crate::data::ModelKind::KPairwise => {
                Params::from(file.to_k_pairwise::<f64>()?.pairwise())
            }
            crate::data::ModelKind::Kinetic => Params::from(&file.to_kinetic::<f64>()?),
        })
    }

    /// RMSE of the fields and of the couplings against `truth` (the same model family and
    /// size): √(Σ (θ − θ*)² / count) per group.
    pub fn rmse_against(&self, truth: &Params) -> (f64, f64) {
        (
            super::rmse(&truth.h, &self.h),
            super::rmse(&truth.j, &self.j),
        )
    }
}
