//! The K-pairwise model (Tkačik et al., PLoS Comput Biol 2014): the pairwise model plus a
//! potential on the number of active cells,
//!
//! P(s) ∝ exp(Σ_i h_i s_i + Σ_{i<j} J_ij s_i s_j + V(K)),  K = #{i : s_i = +1}.
//!
//! At the maximum of the likelihood the model reproduces the data's means, pairs and its
//! distribution P(K) of synchronous activity, which the pairwise model only approximates.

use nalgebra::DVector;

use super::{Centering, Energy, FlipEnergy, Ising, ParamGroup};
pub use crate::stats::VLayout;
use crate::{raster::Spin, stats::n_pairs, Error, Real, Result};

/// The K-pairwise model. θ = (h_1..h_N, J_ij for i < j, the V parameters of its
/// [`VLayout`]); E(s) = E_pairwise(s) − V(K(s)).
#[derive(Clone, Debug, PartialEq)]
pub struct KPairwise<T: Real> {
    pairwise: Ising<T>,
    params: DVector<T>,
    layout: VLayout,
    /// V(K) for K = 0..=N, read by the energy.
    table: Vec<T>,
}

impl<T: Real> KPairwise<T> {
    /// The pairwise model `pairwise` with V = 0 on `layout`.
    pub fn new(pairwise: Ising<T>, layout: VLayout) -> Result<Self> {
        let n = pairwise.n_spins();
        if layout.first > layout.top + 1 || layout.top > n {
            return Err(Error::Shape(format!(
                "V from K = {} with a shared tail from K = {} does not fit {n} cells",
                layout.first, layout.top
            )));
        }
        let p = n + n_pairs(n);
        let mut params = DVector::zeros(p + layout.len());
        params.rows_mut(0, p).copy_from(pairwise.params());
        let mut model = KPairwise {
            pairwise,
            params,
            layout,
            table: vec![T::zero(); n + 1],
        };
        model.project();
        Ok(model)
    }

    /// The model with `pairwise` and the potential V(K) = `v[K]`, K = 0..=N (every V(K) a
    /// parameter: [`VLayout::every`]).
    pub fn with_potential(pairwise: Ising<T>, v: &[T]) -> Result<Self> {
        let n = pairwise.n_spins();
        if v.len() != n + 1 {
            return Err(Error::Shape(format!(
                "V has {} entries; a model of {n} cells needs {} (K = 0..={n})",
                v.len(),
                n + 1
            )));
        }
        let mut model = KPairwise::new(pairwise, VLayout::every(n))?;
        let p = model.pairwise_len();
        model.params.rows_mut(p, n + 1).copy_from_slice(v);
        model.project();
        Ok(model)
    }

    /// The pairwise part (h and J).
    pub fn pairwise(&self) -> &Ising<T> {
        &self.pairwise
    }

    /// V(K) for K = 0..=N.
    pub fn potential(&self) -> &[T] {
        &self.table
    }

    /// Which K carry a parameter.
    pub fn layout(&self) -> VLayout {
        self.layout
    }

    fn pairwise_len(&self) -> usize {
        let n = self.pairwise.n_spins();
        n + n_pairs(n)
    }
}

fn count_active(s: &[Spin]) -> usize {
    s.iter().filter(|&&x| x > 0).count()
}

impl<T: Real> Energy<T> for KPairwise<T> {
    fn n_spins(&self) -> usize {
        self.pairwise.n_spins()
    }

    fn params(&self) -> &DVector<T> {
        &self.params
    }

    fn params_mut(&mut self) -> &mut DVector<T> {
        &mut self.params
    }

    /// Copies (h, J) into the pairwise part (which keeps the dense J for O(1) flips) and
    /// spreads the V parameters over the table of V(K).
    fn project(&mut self) {
        let p = self.pairwise_len();
        self.pairwise
            .set_params(&self.params.rows(0, p).clone_owned());
        for (k, v) in self.table.iter_mut().enumerate() {
            *v = match self.layout.parameter_of(k) {
                Some(q) => self.params[p + q],
                None => T::zero(),
            };
        }
    }

    fn groups(&self) -> Vec<ParamGroup> {
        let p = self.pairwise_len();
        let mut groups = super::fields_then_couplings(self.n_spins(), p);
        if !self.layout.is_empty() {
            groups.push(ParamGroup::other("V", p..self.params.len()));
        }
        groups
    }

    /// The pairwise part's centring (V is not centred: h'_i = h_i + Σ_j J_ij m_j does not
    /// involve it).
    fn centre_gradient(&self, g: &mut DVector<f64>, c: &Centering) {
        self.pairwise.centre_gradient(g, c);
    }

    fn precondition(&self, g: &mut DVector<f64>, c: &Centering) {
        self.pairwise.precondition(g, c);
    }

    fn uncentre_step(&self, step: &mut DVector<f64>, c: &Centering) {
        self.pairwise.uncentre_step(step, c);
    }
}

impl<T: Real> FlipEnergy<T> for KPairwise<T> {
    /// The pairwise local fields and K.
    type Local = (Vec<T>, usize);

    fn energy(&self, s: &[Spin]) -> T {
        self.pairwise.energy(s) - self.table[count_active(s)]
    }

    fn local(&self, s: &[Spin]) -> Self::Local {
        (self.pairwise.local(s), count_active(s))
    }

    /// ΔE = ΔE_pairwise − (V(K') − V(K)), K' = K ± 1.
    #[inline(always)]
    fn flip_delta(&self, s: &[Spin], local: &Self::Local, i: usize) -> T {
        let k = local.1;
        let after = if s[i] > 0 { k - 1 } else { k + 1 };
        self.pairwise.flip_delta(s, &local.0, i) - (self.table[after] - self.table[k])
    }

    /// K ± 1 and the pairwise local fields, after the flip of s_i.
    #[inline(always)]
    fn flipped(&self, s: &[Spin], local: &mut Self::Local, i: usize) {
        if s[i] > 0 {
            local.1 += 1;
        } else {
            local.1 -= 1;
        }
        self.pairwise.flipped(s, &mut local.0, i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{stats::KStatistics, testing::check_model};

    #[test]
    fn the_model_agrees_with_its_statistics() {
        let mut rng = crate::seeded(4);
        let pairwise: Ising<f64> = Ising::planted(9, &mut rng);
        for layout in [
            VLayout::every(9),
            VLayout { first: 3, top: 6 },
            VLayout { first: 1, top: 0 },
        ] {
            let mut model = KPairwise::new(pairwise.clone(), layout).unwrap();
            let mut theta = model.params().clone();
            for (k, v) in theta.iter_mut().enumerate().skip(9 + 36) {
                *v = 0.1 * k as f64 - 4.0;
            }
            model.set_params(&theta);
            check_model(&model, &KStatistics::new(9, layout), 3).unwrap();
        }
    }

    #[test]
    fn the_tail_shares_one_parameter_and_the_gauge_is_zero() {
        let layout = VLayout { first: 3, top: 5 };
        assert_eq!(layout.len(), 3);
        let got: Vec<Option<usize>> = (0..8).map(|k| layout.parameter_of(k)).collect();
        assert_eq!(
            got,
            [
                None,
                None,
                None,
                Some(0),
                Some(1),
                Some(2),
                Some(2),
                Some(2)
            ]
        );
        let v = [0.0, 0.5, -1.0, 2.0, 0.0, 0.0, 0.0, 0.25];
        let model = KPairwise::<f64>::with_potential(Ising::zeros(7), &v).unwrap();
        assert_eq!(model.potential(), &v);
        assert!(KPairwise::<f64>::with_potential(Ising::zeros(7), &v[..7]).is_err());
    }
}
