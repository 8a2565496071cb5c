//! The equilibrium Ising model P(s) ∝ exp(Σ_i h_i s_i + Σ_{i<j} J_ij s_i s_j).

use nalgebra::{DMatrix, DVector, DVectorView};
use rand::Rng;
use rand_distr::{Distribution, Normal};

use super::{Centering, Energy, FlipEnergy, ParamGroup};
use crate::{
    raster::Spin,
    stats::{n_pairs, pair_index},
    Error, Real, Result,
};

/// Equilibrium Ising model with fields h and symmetric couplings J (zero diagonal).
///
/// Energy E(s) = −Σ_i h_i s_i − Σ_{i<j} J_ij s_i s_j. Parameters θ = (h_1..h_N, J_ij for i < j
/// in [`pair_index`] order), so θ · φ(s) = −E(s) with φ the [`crate::PairStatistics`] and the
/// symmetry and zero diagonal hold by construction. A dense copy of J is kept for the O(N)
/// local-field updates of Monte Carlo.
#[derive(Clone, Debug, PartialEq)]
pub struct Ising<T: Real> {
    n: usize,
    params: DVector<T>,
    couplings: DMatrix<T>,
    /// 2J, so that a flip updates the local fields with one add or subtract per entry.
    twice_couplings: DMatrix<T>,
}

impl<T: Real> Ising<T> {
    /// All parameters zero (independent unbiased spins).
    pub fn zeros(n: usize) -> Self {
        let mut model = Ising {
            n,
            params: DVector::zeros(n + n_pairs(n)),
            couplings: DMatrix::zeros(n, n),
            twice_couplings: DMatrix::zeros(n, n),
        };
        model.project();
        model
    }

    /// A model from fields and a coupling matrix. J must be square, N × N, symmetric (to a
    /// relative 1e-6) with a zero diagonal.
    pub fn new(h: DVector<T>, j: DMatrix<T>) -> Result<Self> {
        let n = h.len();
        if j.nrows() != n || j.ncols() != n {
            return Err(Error::Shape(format!(
                "J is {}x{} but h has {n} entries",
                j.nrows(),
                j.ncols()
            )));
        }
        let mut model = Ising::zeros(n);
        for i in 0..n {
            model.params[i] = h[i];
            if j[(i, i)] != T::zero() {
                return Err(Error::Shape(format!(
                    "J[{i}][{i}] must be 0 (no self-coupling)"
                )));
            }
            for k in i + 1..n {
                let (a, b) = (j[(i, k)], j[(k, i)]);
                let scale = a.abs().max(b.abs()).max(T::one());
                if (a - b).abs() > T::cast(1e-6) * scale {
                    return Err(Error::Shape(format!(
                        "J is not symmetric: J[{i}][{k}] = {a} but J[{k}][{i}] = {b}"
                    )));
                }
                model.params[n + pair_index(n, i, k)] = a;
            }
        }
        model.project();
        Ok(model)
    }

    /// A random model with h_i ~ N(0, h_std²) and J_ij ~ N(0, j_std²) for i < j.
    pub fn random<R: Rng + ?Sized>(n: usize, h_std: f64, j_std: f64, rng: &mut R) -> Self {
        let mut model = Ising::zeros(n);
        let h = Normal::new(0.0, h_std.max(0.0)).expect("finite std");
        let j = Normal::new(0.0, j_std.max(0.0)).expect("finite std");
        for i in 0..n {
            model.params[i] = T::cast(h.sample(rng));
        }
        for k in 0..n_pairs(n) {
            model.params[n + k] = T::cast(j.sample(rng));
        }
        model.project();
        model
    }

    /// The study's planted model: h_i, J_ij ~ N(0, 1/N).
    pub fn planted<R: Rng + ?Sized>(n: usize, rng: &mut R) -> Self {
        let std = (1.0 / n.max(1) as f64).sqrt();
        Ising::random(n, std, std, rng)
    }

    /// The same model in another precision (rounded to the nearest value).
    pub fn cast<U: Real>(&self) -> Ising<U> {
        let mut out = Ising::zeros(self.n);
        out.params = self.params.map(|v| U::cast(v.as_f64()));
        out.project();
        out
    }

    /// The fields h.
    pub fn fields(&self) -> DVectorView<'_, T> {
        self.params.rows(0, self.n)
    }

    /// The dense symmetric coupling matrix J.
    pub fn couplings(&self) -> &DMatrix<T> {
        &self.couplings
    }

    /// Local fields f_i = h_i + Σ_j J_ij s_j.
    pub fn local_fields(&self, s: &[Spin]) -> Vec<T> {
        let n = self.n;
        let mut f: Vec<T> = self.params.as_slice()[..n].to_vec();
        for (j, &sj) in s.iter().enumerate() {
            let col = &self.couplings.as_slice()[j * n..(j + 1) * n];
            let sj = T::cast(sj as f64);
            for (fi, &c) in f.iter_mut().zip(col) {
                *fi += sj * c;
            }
        }
        f
    }
}

impl<T: Real> Energy<T> for Ising<T> {
    fn n_spins(&self) -> usize {
        self.n
    }

    fn params(&self) -> &DVector<T> {
        &self.params
    }

    fn params_mut(&mut self) -> &mut DVector<T> {
        &mut self.params
    }

    /// Rebuilds the dense J from the packed upper triangle.
    fn project(&mut self) {
        let n = self.n;
        for i in 0..n {
            for k in i + 1..n {
                let v = self.params[n + pair_index(n, i, k)];
                self.couplings[(i, k)] = v;
                self.couplings[(k, i)] = v;
            }
        }
        self.twice_couplings = &self.couplings * T::cast(2.0);
    }

    /// g'_J_ij = g_J_ij − g_h_i m_j − g_h_j m_i (each J_ij enters h'_i and h'_j), g'_h = g_h.
    fn centre_gradient(&self, g: &mut DVector<f64>, c: &Centering) {
        let n = self.n;
        let m = &c.before;
        for i in 0..n {
            for j in i + 1..n {
                let k = n + pair_index(n, i, j);
                g[k] -= g[i] * m[j] + g[j] * m[i];
            }
        }
    }

    /// With u = 1 − m²: d_h'_i = g_h_i / u_i, d_J_ij = g_J_ij / (u_i u_j), the inverse
    /// variances of the centred statistics δs_i and δs_i δs_j of independent spins.
    fn precondition(&self, g: &mut DVector<f64>, c: &Centering) {
        let n = self.n;
        let u: Vec<f64> = c.before.iter().map(|&x| Centering::variance(x)).collect();
        for i in 0..n {
            g[i] /= u[i];
            for j in i + 1..n {
                g[n + pair_index(n, i, j)] /= u[i] * u[j];
            }
        }
    }

    fn uncentre_step(&self, step: &mut DVector<f64>, c: &Centering) {
        let n = self.n;
        let m = &c.before;
        for i in 0..n {
            for j in i + 1..n {
                let dj = step[n + pair_index(n, i, j)];
                step[i] -= dj * m[j];
                step[j] -= dj * m[i];
            }
        }
    }

    fn groups(&self) -> Vec<ParamGroup> {
        super::fields_then_couplings(self.n, self.params.len())
    }
}

impl<T: Real> FlipEnergy<T> for Ising<T> {
    type Local = Vec<T>;

    fn energy(&self, s: &[Spin]) -> T {
        let f = self.local_fields(s);
        // E = −Σ h s − ½ Σ_i s_i (f_i − h_i): the pair sum counted once.
        let half = T::cast(0.5);
        let mut e = T::zero();
        for i in 0..self.n {
            let si = T::cast(s[i] as f64);
            let hi = self.params[i];
            e -= si * (hi + half * (f[i] - hi));
        }
        e
    }

    fn local(&self, s: &[Spin]) -> Vec<T> {
        self.local_fields(s)
    }

    /// ΔE = 2 s_i f_i.
    #[inline(always)]
    fn flip_delta(&self, s: &[Spin], local: &Vec<T>, i: usize) -> T {
        let two_f = local[i] + local[i];
        if s[i] > 0 {
            two_f
        } else {
            -two_f
        }
    }

    fn pairwise(&self) -> Option<super::Pairwise<'_, T>> {
        Some(super::Pairwise {
            fields: &self.params.as_slice()[..self.n],
            couplings: self.couplings.as_slice(),
        })
    }

    /// f_k += 2 s_i(new) J_ki for every k: one column axpy.
    #[inline(always)]
    fn flipped(&self, s: &[Spin], local: &mut Vec<T>, i: usize) {
        let n = self.n;
        let c = if s[i] > 0 {
            T::cast(2.0)
        } else {
            T::cast(-2.0)
        };
        let col = &self.couplings.as_slice()[i * n..(i + 1) * n];
        for (f, &j) in local.iter_mut().zip(col) {
            *f += c * j;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn a_centred_coupling_step_keeps_the_mean_input_of_every_cell() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let n = 6;
        let mut model: Ising<f64> = Ising::random(n, 0.7, 0.5, &mut rng);
        let means: Vec<f64> = (0..n).map(|i| -0.9 + 0.3 * i as f64).collect();
        let c = Centering::equilibrium(&means);
        let mean_input = |m: &Ising<f64>| -> Vec<f64> {
            (0..n)
                .map(|i| {
                    m.fields()[i]
                        + (0..n)
                            .map(|j| m.couplings()[(i, j)] * means[j])
                            .sum::<f64>()
                })
                .collect()
        };
        let before = mean_input(&model);
        // A step in the couplings only (Δh' = 0): h' = h + J m must not move.
        let len = model.params().len();
        let mut step =
            DVector::from_fn(len, |k, _| if k < n { 0.0 } else { 0.1 * (k as f64).sin() });
        model.uncentre_step(&mut step, &c);
        let params = model.params() + &step;
        model.set_params(&params);
        for (a, b) in before.iter().zip(mean_input(&model)) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        // A step in the centred fields only moves h by exactly that step.
        let mut step = DVector::from_fn(len, |k, _| if k < n { 0.1 * k as f64 } else { 0.0 });
        let expected = step.clone();
        model.uncentre_step(&mut step, &c);
        assert_eq!(step, expected);
    }

    fn check_flip_delta<T: Real>(eps: f64) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let model: Ising<T> = Ising::random(9, 0.7, 0.5, &mut rng);
        let mut s: Vec<Spin> = (0..9).map(|i| if i % 3 == 0 { 1 } else { -1 }).collect();
        let mut local = model.local(&s);
        for step in 0..40 {
            let i = (step * 5) % 9;
            let before = model.energy(&s);
            let delta = model.flip_delta(&s, &local, i);
            crate::model::flip(&model, &mut s, &mut local, i);
            let after = model.energy(&s);
            approx::assert_abs_diff_eq!(delta.as_f64(), (after - before).as_f64(), epsilon = eps);
            let fresh = model.local(&s);
            for (a, b) in local.iter().zip(&fresh) {
                approx::assert_abs_diff_eq!(a.as_f64(), b.as_f64(), epsilon = eps);
            }
        }
    }

    #[test]
    fn flip_delta_equals_the_energy_difference_f64() {
        check_flip_delta::<f64>(1e-12);
    }

    #[test]
    fn flip_delta_equals_the_energy_difference_f32() {
        check_flip_delta::<f32>(1e-4);
    }

    #[test]
    fn energy_matches_the_definition_and_the_statistics() {
        use crate::Statistics;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let model: Ising<f64> = Ising::random(6, 0.5, 0.5, &mut rng);
        let s: Vec<Spin> = vec![1, -1, -1, 1, 1, -1];
        let mut e = 0.0;
        for i in 0..6 {
            e -= model.fields()[i] * s[i] as f64;
            for k in i + 1..6 {
                e -= model.couplings()[(i, k)] * (s[i] * s[k]) as f64;
            }
        }
        approx::assert_abs_diff_eq!(model.energy(&s), e, epsilon = 1e-12);
        let mut phi = vec![0.0; 21];
        crate::PairStatistics::new(6).accumulate(&s, 1.0, &mut phi);
        let dot: f64 = phi
            .iter()
            .zip(model.params().iter())
            .map(|(a, b)| a * b)
            .sum();
        approx::assert_abs_diff_eq!(-dot, e, epsilon = 1e-12);
    }

    #[test]
    fn asymmetric_or_mis_sized_couplings_are_shape_errors() {
        let h = DVector::<f64>::zeros(2);
        let j = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 0.5, 0.0]);
        assert!(matches!(Ising::new(h.clone(), j), Err(Error::Shape(_))));
        let j = DMatrix::<f64>::zeros(3, 3);
        assert!(matches!(Ising::new(h, j), Err(Error::Shape(_))));
    }
}
