//! Closed-form inversions from the data's means and correlations: naive mean field and TAP,
//! for the equilibrium and the kinetic model. Cheap (one N × N inverse) and biased; used as
//! starting points for exact-likelihood or Boltzmann learning.

use nalgebra::{DMatrix, DVector};

use crate::{
    model::{Centering, KineticIsing, KineticOptions},
    stats::{LaggedMoments, Moments},
    Ising, Raster, Result, Transitions,
};

/// Means clamped away from ±1, so that atanh and 1/(1 − m²) stay finite for silent cells.
fn clamp(m: f64) -> f64 {
    m.clamp(-1.0 + 1e-6, 1.0 - 1e-6)
}

/// (C + εI)⁻¹ with ε = [`Centering::MIN_VARIANCE`]: a silent cell has zero variance.
fn regularised_inverse(c: DMatrix<f64>) -> DMatrix<f64> {
    let n = c.nrows();
    let c = c + DMatrix::identity(n, n) * Centering::MIN_VARIANCE;
    c.clone()
        .cholesky()
        .map(|ch| ch.inverse())
        .or_else(|| c.try_inverse())
        .unwrap_or_else(|| DMatrix::zeros(n, n))
}

/// Which closed-form approximation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeanField {
    /// Naive mean field: equilibrium J = −(C⁻¹)_{i≠j}; kinetic J = A⁻¹ D C⁻¹.
    Naive,
    /// Thouless–Anderson–Palmer: second-order (Onsager) corrections to the naive inversion.
    Tap,
}

/// Equilibrium inversion from equal-time moments.
///
/// Naive: J_ij = −(C⁻¹)_ij, h_i = atanh m_i − Σ_j J_ij m_j. TAP (Kappen & Rodríguez; Tanaka):
/// J_ij = −2 (C⁻¹)_ij / (1 + √(1 − 8 (C⁻¹)_ij m_i m_j)) (the naive value where the root is
/// not real) and h_i = atanh m_i − Σ_j J_ij m_j + m_i Σ_j J_ij² (1 − m_j²).
pub fn ising(data: &Raster, kind: MeanField) -> Result<Ising<f64>> {
    let moments = Moments::of(data);
    let n = data.n_spins();
    let m: Vec<f64> = moments.means.iter().map(|&v| clamp(v)).collect();
    let inv = regularised_inverse(moments.connected());
    let j = DMatrix::from_fn(n, n, |a, b| {
        if a == b {
            return 0.0;
        }
        let c = inv[(a, b)];
        match kind {
            MeanField::Naive => -c,
            MeanField::Tap => {
                let disc = 1.0 - 8.0 * c * m[a] * m[b];
                if disc >= 0.0 {
                    -2.0 * c / (1.0 + disc.sqrt())
                } else {
                    -c
                }
            }
        }
    });
    let h = DVector::from_fn(n, |i, _| {
        let mut v = m[i].atanh();
        for k in 0..n {
            v -= j[(i, k)] * m[k];
            if kind == MeanField::Tap {
                v += m[i] * j[(i, k)].powi(2) * (1.0 - m[k] * m[k]);
            }
        }
        v
    });
    Ising::new(h, j)
}

/// Kinetic inversion from equal-time and lagged moments (Roudi & Hertz 2011).
///
/// With D_ij = ⟨δs_i(t+1) δs_j(t)⟩ and C the sources' connected covariance, B = D C⁻¹.
/// Naive: J_i· = B_i· / (1 − m_i²). TAP: J_i· = B_i· / ((1 − m_i²)(1 − F_i)) with F_i the
/// smallest root of F (1 − F)² = (1 − m_i²)⁻¹ Σ_j B_ij² (1 − m_j²) (F = 1/3 when there is
/// none). Fields: h_i = atanh m_i − Σ_j J_ij m_j (+ m_i Σ_j J_ij² (1 − m_j²) for TAP).
/// Symmetric models take the symmetric part of J; without self-couplings the diagonal is
/// dropped.
pub fn kinetic(
    data: &Transitions,
    kind: MeanField,
    options: KineticOptions,
) -> Result<KineticIsing<f64>> {
    let lagged = LaggedMoments::of_transitions(data);
    let inv = regularised_inverse(Moments::of(data.before()).connected());
    kinetic_from(&lagged, &inv, kind, options)
}

/// [`kinetic`] from moments already at hand: the lagged moments of the transitions and the
/// inverse of the sources' connected covariance C + εI (a fit computes both anyway, for its
/// data statistics and its centring).
pub fn kinetic_from(
    lagged: &LaggedMoments,
    inverse_covariance: &DMatrix<f64>,
    kind: MeanField,
    options: KineticOptions,
) -> Result<KineticIsing<f64>> {
    let n = lagged.means_after.len();
    let b = lagged.connected() * inverse_covariance;
    let after: Vec<f64> = lagged.means_after.iter().map(|&v| clamp(v)).collect();
    let before: Vec<f64> = lagged.means_before.iter().map(|&v| clamp(v)).collect();
    let mut j = DMatrix::zeros(n, n);
    for i in 0..n {
        let vi = 1.0 - after[i] * after[i];
        let f = match kind {
            MeanField::Naive => 0.0,
            MeanField::Tap => {
                let gamma = (0..n)
                    .map(|k| b[(i, k)].powi(2) * (1.0 - before[k] * before[k]))
                    .sum::<f64>()
                    / vi;
                smallest_root(gamma)
            }
        };
        for k in 0..n {
            j[(i, k)] = b[(i, k)] / (vi * (1.0 - f));
        }
    }
    if options.symmetric {
        j = (&j + j.transpose()) * 0.5;
    }
    if !options.self_couplings {
        j.fill_diagonal(0.0);
    }
    let h = DVector::from_fn(n, |i, _| {
        let mut v = after[i].atanh();
        for k in 0..n {
            v -= j[(i, k)] * before[k];
            if kind == MeanField::Tap {
                v += after[i] * j[(i, k)].powi(2) * (1.0 - before[k] * before[k]);
            }
        }
        v
    });
    KineticIsing::new(h, j, options)
}

/// The smallest F in [0, 1/3] with F (1 − F)² = γ, by bisection (the left side increases on
/// that interval up to 4/27); 1/3 when γ ≥ 4/27.
fn smallest_root(gamma: f64) -> f64 {
    if gamma >= 4.0 / 27.0 {
        return 1.0 / 3.0;
    }
    let (mut lo, mut hi) = (0.0f64, 1.0 / 3.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if mid * (1.0 - mid).powi(2) < gamma {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{model::Energy, sample::simulate, sample::ExactDistribution};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    use crate::stats::rmse;

    #[test]
    fn weak_couplings_are_recovered_and_tap_improves_on_naive() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
        let truth: Ising<f64> = Ising::random(12, 0.3, 0.1, &mut rng);
        let data = ExactDistribution::new(&truth)
            .unwrap()
            .sample(400_000, &mut rng);
        let t: Vec<f64> = truth.params().iter().cloned().collect();
        let naive = ising(&data, MeanField::Naive).unwrap();
        let tap = ising(&data, MeanField::Tap).unwrap();
        let e_naive = rmse(&t, naive.params().as_slice());
        let e_tap = rmse(&t, tap.params().as_slice());
        // Weak couplings (σ_J = 0.1): both are close; the zero model would be off by ~0.2.
        assert!(
            e_tap < 0.05 && e_naive < 0.08,
            "naive {e_naive}, TAP {e_tap}"
        );
        assert!(e_tap <= e_naive * 1.05, "naive {e_naive}, TAP {e_tap}");
    }

    #[test]
    fn kinetic_mean_field_recovers_weak_couplings() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let opts = KineticOptions::default();
        let truth: KineticIsing<f64> = KineticIsing::random(10, 0.3, 0.1, opts, &mut rng);
        let series = simulate(&truth, 200_000, None, &mut rng).unwrap();
        let data = Transitions::from_series(&series);
        for kind in [MeanField::Naive, MeanField::Tap] {
            let fit = kinetic(&data, kind, opts).unwrap();
            let e = rmse(truth.params().as_slice(), fit.params().as_slice());
            assert!(e < 0.03, "{kind:?}: RMSE {e}");
        }
    }
}
