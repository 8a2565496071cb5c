//! The kinetic Ising model with parallel Glauber dynamics.

use nalgebra::{DMatrix, DMatrixView, DVector, DVectorView};
use rand::Rng;
use rand_distr::{Distribution, Normal};

use super::{Centering, Energy, ParamGroup};
use crate::{Error, Real, Result};

/// Structural options of a kinetic model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KineticOptions {
    /// Constrain J to be symmetric (learning ascends along the symmetric part of the gradient).
    pub symmetric: bool,
    /// Allow self-couplings J_ii (zero otherwise).
    pub self_couplings: bool,
}

impl KineticOptions {
    /// A symmetric J without self-couplings.
    pub fn symmetric() -> Self {
        KineticOptions {
            symmetric: true,
            self_couplings: false,
        }
    }

    /// These options with (or without) self-couplings.
    pub fn with_self_couplings(mut self, on: bool) -> Self {
        self.self_couplings = on;
        self
    }
}

/// Kinetic Ising model: P(s(t+1) | s(t)) = Π_i exp(s_i(t+1) θ_i(t)) / 2cosh θ_i(t) with
/// θ_i(t) = h_i + Σ_j J_ij s_j(t).
///
/// J_ij is the effect of spin j at time t on spin i at time t+1 and need not be symmetric.
/// Parameters θ = (h_1..h_N, J in column-major order), so entry (i, j) of J sits at
/// N + i + N·j and θ · φ = Σ_i s_i(t+1) θ_i(t) with φ the [`crate::TransitionStatistics`].
#[derive(Clone, Debug, PartialEq)]
pub struct KineticIsing<T: Real> {
    n: usize,
    params: DVector<T>,
    options: KineticOptions,
}

impl<T: Real> KineticIsing<T> {
    /// All parameters zero.
    pub fn zeros(n: usize, options: KineticOptions) -> Self {
        KineticIsing {
            n,
            params: DVector::zeros(n + n * n),
            options,
        }
    }

    /// A model from fields and couplings. J must be N × N; it must be symmetric when
    /// `options.symmetric` and have a zero diagonal unless `options.self_couplings`.
    pub fn new(h: DVector<T>, j: DMatrix<T>, options: KineticOptions) -> Result<Self> {
        let n = h.len();
        if j.nrows() != n || j.ncols() != n {
            return Err(Error::Shape(format!(
                "J is {}x{} but h has {n} entries",
                j.nrows(),
                j.ncols()
            )));
        }
        for i in 0..n {
            if !options.self_couplings && j[(i, i)] != T::zero() {
                return Err(Error::Shape(format!(
                    "J[{i}][{i}] = {} but self-couplings are off",
                    j[(i, i)]
                )));
            }
            for k in 0..n {
                let (a, b) = (j[(i, k)], j[(k, i)]);
                if options.symmetric && (a - b).abs() > T::cast(1e-6) * a.abs().max(T::one()) {
                    return Err(Error::Shape(format!(
                        "J is not symmetric: J[{i}][{k}] = {a} but J[{k}][{i}] = {b}"
                    )));
                }
            }
        }
        let mut model = KineticIsing::zeros(n, options);
        model.params.rows_mut(0, n).copy_from(&h);
        model
            .params
            .rows_mut(n, n * n)
            .copy_from_slice(j.as_slice());
        model.project();
        Ok(model)
    }

    /// A random model with h_i ~ N(0, h_std²) and J_ij ~ N(0, j_std²) (symmetrised as
    /// (J + Jᵀ)/√2 entry-wise, which keeps the variance, when `options.symmetric`).
    pub fn random<R: Rng + ?Sized>(
        n: usize,
        h_std: f64,
        j_std: f64,
        options: KineticOptions,
        rng: &mut R,
    ) -> Self {
        let h = Normal::new(0.0, h_std.max(0.0)).expect("finite std");
        let jd = Normal::new(0.0, j_std.max(0.0)).expect("finite std");
        let mut model = KineticIsing::zeros(n, options);
        for i in 0..n {
            model.params[i] = T::cast(h.sample(rng));
        }
        for k in 0..n * n {
            model.params[n + k] = T::cast(jd.sample(rng));
        }
        if options.symmetric {
            let j = model.couplings().clone_owned();
            let sym = (&j + j.transpose()) * T::cast(std::f64::consts::FRAC_1_SQRT_2);
            model
                .params
                .rows_mut(n, n * n)
                .copy_from_slice(sym.as_slice());
        }
        model.project();
        model
    }

    /// The study's planted model: h_i, J_ij ~ N(0, 1/N).
    pub fn planted<R: Rng + ?Sized>(n: usize, options: KineticOptions, rng: &mut R) -> Self {
        let std = (1.0 / n.max(1) as f64).sqrt();
        KineticIsing::random(n, std, std, options, rng)
    }

    /// The same model in another precision (rounded to the nearest value).
    pub fn cast<U: Real>(&self) -> KineticIsing<U> {
        KineticIsing {
            n: self.n,
            params: self.params.map(|v| U::cast(v.as_f64())),
            options: self.options,
        }
    }

    /// Structural options.
    pub fn options(&self) -> KineticOptions {
        self.options
    }

    /// The fields h.
    pub fn fields(&self) -> DVectorView<'_, T> {
        self.params.rows(0, self.n)
    }

    /// The coupling matrix J (row i: the inputs of spin i).
    pub fn couplings(&self) -> DMatrixView<'_, T> {
        DMatrixView::from_slice(&self.params.as_slice()[self.n..], self.n, self.n)
    }
}

/// Symmetrises J (column-major, N × N) when the options ask for it; zeroes its diagonal
/// without self-couplings. An orthogonal projection onto the allowed matrices.
fn project_matrix<T: Real>(n: usize, options: KineticOptions, j: &mut [T]) {
    if options.symmetric {
        let half = T::cast(0.5);
        for a in 0..n {
            for b in a + 1..n {
                let avg = half * (j[a + n * b] + j[b + n * a]);
                j[a + n * b] = avg;
                j[b + n * a] = avg;
            }
        }
    }
    if !options.self_couplings {
        for a in 0..n {
            j[a + n * a] = T::zero();
        }
    }
}

impl<T: Real> Energy<T> for KineticIsing<T> {
    fn n_spins(&self) -> usize {
        self.n
    }

    fn params(&self) -> &DVector<T> {
        &self.params
    }

    fn params_mut(&mut self) -> &mut DVector<T> {
        &mut self.params
    }

    /// Symmetrises J when the model is symmetric; zeroes its diagonal without self-couplings.
    fn project(&mut self) {
        let n = self.n;
        project_matrix(n, self.options, &mut self.params.as_mut_slice()[n..]);
    }

    /// The symmetric part (G + Gᵀ)/2 of the J gradient for a symmetric model; a zero diagonal
    /// without self-couplings.
    fn project_gradient(&self, gradient: &mut DVector<f64>) {
        let n = self.n;
        project_matrix(n, self.options, &mut gradient.as_mut_slice()[n..]);
    }

    /// g'_J_ij = g_J_ij − g_h_i m_j with m = ⟨s(t)⟩ (J_ij enters h'_i = h_i + Σ_j J_ij m_j);
    /// g'_h = g_h.
    fn centre_gradient(&self, g: &mut DVector<f64>, c: &Centering) {
        let n = self.n;
        for j in 0..n {
            let mj = c.before[j];
            for i in 0..n {
                g[n + i + n * j] -= g[i] * mj;
            }
        }
    }

    /// With v_i = 1 − ⟨s_i(t+1)⟩² and C⁻¹ the inverse source covariance (diag 1/(1 − m_j²) if
    /// unknown; without self-couplings, the inverse with cell i removed for row i):
    /// d_J_i· = g'_J_i· C⁻¹ / v_i and d_h'_i = g_h_i / v_i. Each row of the kinetic likelihood
    /// is a logistic regression on s(t) whose curvature in the centred parameters is close
    /// to v_i C (block-diagonal between h'_i and J_i·), so this is nearly a Newton step.
    fn precondition(&self, g: &mut DVector<f64>, c: &Centering) {
        let n = self.n;
        let v: Vec<f64> = c.after.iter().map(|&x| Centering::variance(x)).collect();
        let centred = DMatrix::from_fn(n, n, |i, j| g[n + i + n * j]);
        let scaled = match c.inverse_covariance.as_deref() {
            Some(inv) if !self.options.self_couplings => {
                // Row i regresses s_i(t+1) on the other cells only, so its curvature is the
                // covariance with cell i removed, whose inverse is P − P_·i P_i· / P_ii
                // (P = C⁻¹, Schur complement). Using P itself would mix in the excluded
                // input, which for pseudo-likelihood (target = source) is the target itself.
                let mut centred = centred;
                centred.fill_diagonal(0.0);
                let mut scaled = &centred * inv;
                for i in 0..n {
                    let k = scaled[(i, i)] / inv[(i, i)];
                    for j in 0..n {
                        scaled[(i, j)] -= k * inv[(i, j)];
                    }
                }
                scaled
            }
            Some(inv) => centred * inv,
            None => DMatrix::from_fn(n, n, |i, j| {
                centred[(i, j)] / Centering::variance(c.before[j])
            }),
        };
        for i in 0..n {
            g[i] /= v[i];
            for j in 0..n {
                g[n + i + n * j] = scaled[(i, j)] / v[i];
            }
        }
    }

    fn uncentre_step(&self, step: &mut DVector<f64>, c: &Centering) {
        let n = self.n;
        for j in 0..n {
            let mj = c.before[j];
            for i in 0..n {
                step[i] -= step[n + i + n * j] * mj;
            }
        }
    }

    fn groups(&self) -> Vec<ParamGroup> {
        super::fields_then_couplings(self.n, self.params.len())
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
        let n = 5;
        let opts = KineticOptions::default();
        let mut model: KineticIsing<f64> = KineticIsing::planted(n, opts, &mut rng);
        let means: Vec<f64> = (0..n).map(|i| -0.8 + 0.3 * i as f64).collect();
        let c = Centering {
            before: means.clone(),
            after: vec![0.0; n],
            inverse_covariance: None,
        };
        let mean_input = |m: &KineticIsing<f64>| -> Vec<f64> {
            let (h, j) = (&m.params().as_slice()[..n], m.couplings());
            (0..n)
                .map(|i| h[i] + (0..n).map(|k| j[(i, k)] * means[k]).sum::<f64>())
                .collect()
        };
        let before = mean_input(&model);
        // Couplings only, off the diagonal (no self-couplings by default).
        let mut step = DVector::from_fn(n + n * n, |k, _| {
            let (i, j) = ((k.max(n) - n) % n, (k.max(n) - n) / n);
            if k < n || i == j {
                0.0
            } else {
                0.1 * (k as f64).cos()
            }
        });
        model.uncentre_step(&mut step, &c);
        let params = model.params() + &step;
        model.set_params(&params);
        for (a, b) in before.iter().zip(mean_input(&model)) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }

    #[test]
    fn planted_symmetric_models_are_symmetric_with_zero_diagonal() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let opts = KineticOptions {
            symmetric: true,
            self_couplings: false,
        };
        let m: KineticIsing<f64> = KineticIsing::planted(6, opts, &mut rng);
        let j = m.couplings();
        for a in 0..6 {
            assert_eq!(j[(a, a)], 0.0);
            for b in 0..6 {
                assert_eq!(j[(a, b)], j[(b, a)]);
            }
        }
    }

    #[test]
    fn self_couplings_are_rejected_unless_enabled() {
        let h = DVector::<f64>::zeros(2);
        let j = DMatrix::from_row_slice(2, 2, &[0.3, 0.0, 0.0, 0.0]);
        let err = KineticIsing::new(h.clone(), j.clone(), KineticOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Shape(_)));
        let opts = KineticOptions {
            self_couplings: true,
            ..Default::default()
        };
        assert!(KineticIsing::new(h, j, opts).is_ok());
    }
}
