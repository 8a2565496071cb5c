//! An equilibrium model of any built-in family, chosen at run time (by a model file): one
//! type that every sampler, comparison and thermodynamic computation takes, so that each
//! front end handles a new family by the file alone.

use nalgebra::DVector;

use super::{Energy, FlipEnergy, Ising, KPairwise, Pairwise, ParamGroup};
use crate::{raster::Spin, Real};

/// A built-in equilibrium model: the pairwise Ising model or the K-pairwise model.
#[derive(Clone, Debug, PartialEq)]
pub enum Equilibrium<T: Real> {
    /// P(s) ∝ exp(Σ h_i s_i + Σ_{i<j} J_ij s_i s_j).
    Ising(Ising<T>),
    /// The pairwise model plus V(K) on the number of active cells.
    KPairwise(KPairwise<T>),
}

/// The flip cache of an [`Equilibrium`] model: that of its family.
#[derive(Clone, Debug)]
pub enum EquilibriumLocal<T: Real> {
    /// The Ising model's local fields.
    Ising(Vec<T>),
    /// The K-pairwise model's local fields and K.
    KPairwise((Vec<T>, usize)),
}

impl<T: Real> Default for EquilibriumLocal<T> {
    fn default() -> Self {
        EquilibriumLocal::Ising(Vec::new())
    }
}

impl<T: Real> Equilibrium<T> {
    /// The pairwise part: the model itself, or the h and J of a K-pairwise model.
    pub fn pairwise_part(&self) -> &Ising<T> {
        match self {
            Equilibrium::Ising(m) => m,
            Equilibrium::KPairwise(m) => m.pairwise(),
        }
    }

    /// V(K) for K = 0..=N (zero for the Ising model).
    pub fn potential(&self) -> Vec<T> {
        match self {
            Equilibrium::Ising(m) => vec![T::zero(); m.n_spins() + 1],
            Equilibrium::KPairwise(m) => m.potential().to_vec(),
        }
    }
}

macro_rules! each {
    ($self:expr, $m:ident => $e:expr) => {
        match $self {
            Equilibrium::Ising($m) => $e,
            Equilibrium::KPairwise($m) => $e,
        }
    };
}

impl<T: Real> Energy<T> for Equilibrium<T> {
    fn n_spins(&self) -> usize {
        each!(self, m => m.n_spins())
    }
    fn params(&self) -> &DVector<T> {
        each!(self, m => m.params())
    }
    fn params_mut(&mut self) -> &mut DVector<T> {
        each!(self, m => m.params_mut())
    }
    fn project(&mut self) {
        each!(self, m => m.project())
    }
    fn groups(&self) -> Vec<ParamGroup> {
        each!(self, m => m.groups())
    }
}

impl<T: Real> FlipEnergy<T> for Equilibrium<T> {
    type Local = EquilibriumLocal<T>;

    fn energy(&self, s: &[Spin]) -> T {
        each!(self, m => m.energy(s))
    }

    fn local(&self, s: &[Spin]) -> Self::Local {
        match self {
            Equilibrium::Ising(m) => EquilibriumLocal::Ising(m.local(s)),
            Equilibrium::KPairwise(m) => EquilibriumLocal::KPairwise(m.local(s)),
        }
    }

    #[inline(always)]
    fn flip_delta(&self, s: &[Spin], local: &Self::Local, i: usize) -> T {
        match (self, local) {
            (Equilibrium::Ising(m), EquilibriumLocal::Ising(l)) => m.flip_delta(s, l, i),
            (Equilibrium::KPairwise(m), EquilibriumLocal::KPairwise(l)) => m.flip_delta(s, l, i),
            // A cache of the other family (only a default one): from the energies.
            (m, _) => {
                let mut t = s.to_vec();
                t[i] = -t[i];
                m.energy(&t) - m.energy(s)
            }
        }
    }

    #[inline(always)]
    fn flipped(&self, s: &[Spin], local: &mut Self::Local, i: usize) {
        match (self, local) {
            (Equilibrium::Ising(m), EquilibriumLocal::Ising(l)) => m.flipped(s, l, i),
            (Equilibrium::KPairwise(m), EquilibriumLocal::KPairwise(l)) => m.flipped(s, l, i),
            (m, l) => *l = m.local(s),
        }
    }

    /// The vectorised kernel serves the Ising model (the K-pairwise energy is not pairwise).
    fn pairwise(&self) -> Option<Pairwise<'_, T>> {
        match self {
            Equilibrium::Ising(m) => m.pairwise(),
            Equilibrium::KPairwise(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{model::VLayout, stats::KStatistics, testing::check_model, PairStatistics};

    #[test]
    fn each_family_keeps_its_energy_and_statistics() {
        let mut rng = crate::seeded(8);
        let ising: Ising<f64> = Ising::planted(7, &mut rng);
        check_model(
            &Equilibrium::Ising(ising.clone()),
            &PairStatistics::new(7),
            1,
        )
        .unwrap();
        let v: Vec<f64> = (0..=7).map(|k| (k as f64 - 2.0).powi(2) * 0.1).collect();
        let k = KPairwise::with_potential(ising, &v).unwrap();
        let stats = KStatistics::new(7, VLayout::every(7));
        check_model(&Equilibrium::KPairwise(k), &stats, 1).unwrap();
    }
}
