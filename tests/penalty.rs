//! L1 and L2 penalties: the penalised optimum's stationarity, shrinkage, and exact zeros.

mod common;

use nalgebra::{DMatrix, DVector};
use spinfer::{
    fit::{fit_kinetic, KineticFitSettings},
    learn::{NoObserver, Outcome},
    objective::Penalty,
    sample::simulate,
    KineticIsing, KineticOptions,
};

/// A kinetic model with 3 strong couplings among 8 cells and every other J_ij exactly 0.
fn sparse_truth() -> KineticIsing<f64> {
    let n = 8;
    let mut j = DMatrix::zeros(n, n);
    j[(0, 1)] = 0.6;
    j[(2, 5)] = -0.5;
    j[(7, 3)] = 0.4;
    KineticIsing::new(DVector::from_element(n, -0.2), j, KineticOptions::default()).unwrap()
}

#[test]
fn l1_sets_unsupported_couplings_to_exactly_zero_and_keeps_the_strong_ones() {
    let truth = sparse_truth();
    let series = simulate(&truth, 20_000, None, &mut common::rng(41)).unwrap();
    let plain =
        fit_kinetic::<f64>(&series, &KineticFitSettings::default(), &mut NoObserver).unwrap();
    let settings = KineticFitSettings::default().with_penalty(Penalty {
        // Noise on a zero coupling is about 1/√T ≈ 0.007; λ₁ a few times that.
        l1: 0.02,
        ..Default::default()
    });
    let sparse = fit_kinetic::<f64>(&series, &settings, &mut NoObserver).unwrap();
    println!(
        "{:?} after {} iterations",
        sparse.outcome,
        sparse.history.records.len()
    );
    assert_eq!(sparse.outcome, Outcome::Converged);
    let (t, p, s) = (
        truth.couplings(),
        plain.model.couplings(),
        sparse.model.couplings(),
    );
    let mut zeros = (0, 0, 0);
    for i in 0..8 {
        for k in 0..8 {
            if i == k {
                continue;
            }
            if t[(i, k)] == 0.0 {
                zeros.0 += 1;
                zeros.1 += usize::from(p[(i, k)] == 0.0);
                zeros.2 += usize::from(s[(i, k)] == 0.0);
            } else {
                // Strong couplings survive, shrunk by at most a few λ₁.
                assert!(
                    (s[(i, k)] - t[(i, k)]).abs() < 0.1,
                    "J[{i}][{k}] = {} vs {}",
                    s[(i, k)],
                    t[(i, k)]
                );
            }
        }
    }
    println!(
        "true zeros {}: exact zeros without L1 {}, with L1 {}",
        zeros.0, zeros.1, zeros.2
    );
    assert_eq!(zeros.1, 0);
    assert!(zeros.2 * 10 >= zeros.0 * 8, "{zeros:?}");
}

#[test]
fn l2_optimum_is_stationary_and_shrinks_couplings() {
    let truth = sparse_truth();
    let series = simulate(&truth, 20_000, None, &mut common::rng(42)).unwrap();
    let mut norms = Vec::new();
    for l2 in [0.0, 0.05, 0.5] {
        let settings = KineticFitSettings::default().with_penalty(Penalty {
            l2,
            ..Default::default()
        });
        let fit = fit_kinetic::<f64>(&series, &settings, &mut NoObserver).unwrap();
        // Converged means |∇L − λ₂ J| < tol for every coupling: the penalised stationarity.
        assert_eq!(fit.outcome, Outcome::Converged, "l2 = {l2}");
        norms.push(fit.model.couplings().norm());
    }
    assert!(norms[0] > norms[1] && norms[1] > norms[2], "{norms:?}");
}
