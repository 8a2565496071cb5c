//! The default solvers reach the optimum: exact enumeration ends at the maximum-likelihood
//! point computed here independently (Newton's method on the enumerated Hessian), and the
//! kinetic fits (sparse with self-couplings, dense, symmetric) converge, with row-wise Newton
//! and L-BFGS agreeing on the same maximum.

mod common;

use nalgebra::{DMatrix, DVector};
use spinfer::{
    fit::KineticFitSettings,
    fit::{
        fit_ising, fit_kinetic, fit_kinetic_rows, fit_kinetic_with, FitControl, IsingFitSettings,
    },
    learn::{NoObserver, Outcome},
    retina::RetinaSettings,
    sample::{simulate, SamplerKind},
    solve::SolverKind,
    Energy, KineticIsing, KineticOptions, Raster, Transitions,
};

/// The sufficient statistics φ(s) = (s_1..s_N, s_i s_j for i < j) of a ±1 configuration, in
/// this test's own order.
fn features(s: &[f64]) -> Vec<f64> {
    let mut phi = s.to_vec();
    for i in 0..s.len() {
        for j in i + 1..s.len() {
            phi.push(s[i] * s[j]);
        }
    }
    phi
}

/// The maximum-likelihood (h, J) of an equilibrium model for `data`, by Newton's method on
/// the enumerated log-likelihood L(θ) = θ·φ̄ − ln Z(θ): gradient φ̄ − ⟨φ⟩, Hessian −Cov(φ).
fn newton_reference(data: &Raster) -> (DVector<f64>, DMatrix<f64>) {
    let n = data.n_spins();
    let states: Vec<Vec<f64>> = (0..1usize << n)
        .map(|k| {
            (0..n)
                .map(|i| if k >> i & 1 == 1 { 1.0 } else { -1.0 })
                .collect()
        })
        .map(|s: Vec<f64>| features(&s))
        .collect();
    let dim = states[0].len();
    let mut target = DVector::zeros(dim);
    for t in 0..data.n_samples() {
        let s: Vec<f64> = data.column(t).iter().map(|&v| f64::from(v)).collect();
        target += DVector::from_vec(features(&s));
    }
    target /= data.n_samples() as f64;

    // ln Z(θ) and the Boltzmann weights (relative to the largest) at θ.
    let partition = |theta: &DVector<f64>| {
        let exponents: Vec<f64> = states
            .iter()
            .map(|phi| phi.iter().zip(theta.iter()).map(|(a, b)| a * b).sum())
            .collect();
        let top = exponents.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = exponents.iter().map(|e| (e - top).exp()).collect();
        let z: f64 = weights.iter().sum();
        (top + z.ln(), weights, z)
    };
    let log_likelihood = |theta: &DVector<f64>| target.dot(theta) - partition(theta).0;
    let mut theta = DVector::<f64>::zeros(dim);
    for _ in 0..200 {
        let (_, weights, z) = partition(&theta);
        let mut mean = DVector::zeros(dim);
        let mut second = DMatrix::zeros(dim, dim);
        for (phi, w) in states.iter().zip(&weights) {
            let phi = DVector::from_column_slice(phi);
            mean += &phi * (w / z);
            second += &phi * phi.transpose() * (w / z);
        }
        let covariance = second - &mean * mean.transpose();
        let gradient = &target - &mean;
        if gradient.amax() < 1e-13 {
            break;
        }
        // Newton's step, halved until the likelihood rises (the full step can overshoot far
        // from the optimum).
        let step = covariance
            .cholesky()
            .expect("positive definite")
            .solve(&gradient);
        let mut scale = 1.0;
        while log_likelihood(&(&theta + &step * scale)) < log_likelihood(&theta) && scale > 1e-6 {
            scale /= 2.0;
        }
        theta += step * scale;
    }
    let h = theta.rows(0, n).into_owned();
    let mut j = DMatrix::zeros(n, n);
    let mut k = n;
    for a in 0..n {
        for b in a + 1..n {
            j[(a, b)] = theta[k];
            j[(b, a)] = theta[k];
            k += 1;
        }
    }
    (h, j)
}

#[test]
fn exact_enumeration_ends_at_the_maximum_likelihood_point() {
    for n in [5, 9] {
        let (_, data) = common::planted_ising(n, 100_000, n as u64);
        let settings = IsingFitSettings::default().with_sampler(SamplerKind::Exact);
        let fit = fit_ising::<f64>(&data, &settings, &mut NoObserver).unwrap();
        assert_eq!(fit.solver, SolverKind::Lbfgs, "N = {n}");
        assert!(fit.summary.converged, "N = {n}: {:?}", fit.outcome);
        assert!(
            fit.summary.max_gradient <= 1e-7,
            "N = {n}: max|grad| {:.2e}",
            fit.summary.max_gradient
        );
        let (h, j) = newton_reference(&data);
        let dh = (fit.model.fields().into_owned() - h).amax();
        let dj = (fit.model.couplings() - j).amax();
        assert!(
            dh <= 1e-5 && dj <= 1e-5,
            "N = {n}: |Δh| {dh:.1e}, |ΔJ| {dj:.1e}"
        );
    }
}

/// A planted kinetic model with fields shifted by `shift`, simulated for `steps` steps.
fn planted_kinetic(n: usize, steps: usize, shift: f64, options: KineticOptions) -> Raster {
    let mut rng = common::rng(n as u64);
    let mut truth = KineticIsing::<f64>::random(n, 0.3, (1.0 / n as f64).sqrt(), options, &mut rng);
    for i in 0..n {
        truth.params_mut()[i] += shift;
    }
    simulate(&truth, steps, None, &mut rng).unwrap()
}

/// Fits with the defaults but `solver` and `options`; asserts convergence to 1e-5.
fn converged_kinetic(
    data: &Raster,
    options: KineticOptions,
    solver: SolverKind,
) -> (DVector<f64>, f64) {
    let settings = KineticFitSettings::default()
        .with_options(options)
        .with_solver(solver);
    let fit = fit_kinetic::<f64>(data, &settings, &mut NoObserver).unwrap();
    assert_eq!(fit.outcome, Outcome::Converged, "{solver:?}");
    assert!(
        fit.summary.max_gradient <= 1e-5,
        "{solver:?}: {:.2e}",
        fit.summary.max_gradient
    );
    (fit.model.params().clone(), fit.summary.value.unwrap())
}

#[test]
fn sparse_kinetic_fit_with_self_couplings_converges_by_default_to_the_newton_optimum() {
    let options = KineticOptions::default().with_self_couplings(true);
    let data = planted_kinetic(60, 240_000, -2.2, options);
    assert!(data.density() < 0.1, "density {}", data.density());
    let settings = KineticFitSettings::default().with_options(options);
    let fit = fit_kinetic::<f64>(&data, &settings, &mut NoObserver).unwrap();
    assert_eq!(
        fit.solver,
        SolverKind::Newton,
        "the rule picks Newton on sparse data"
    );
    assert_eq!(fit.outcome, Outcome::Converged);
    assert!(fit.summary.max_gradient <= 1e-5);
    // L-BFGS reaches the same maximum value. (Not the same parameters: a rarely firing cell
    // that fires only after particular cells leaves the likelihood nearly flat along a
    // direction to infinity, where both solvers stop once the gradient is below tolerance.)
    let (lbfgs, value) = converged_kinetic(&data, options, SolverKind::Lbfgs);
    // By concavity, L(b) ≤ L(a) + ∇L(a)·(b − a), so |L(a) − L(b)| is at most the larger
    // max|gradient| (both ≤ 1e-5) times ‖a − b‖₁.
    let newton = fit.summary.value.unwrap();
    let bound = 1e-5 * (fit.model.params() - lbfgs).lp_norm(1) + 1e-12;
    assert!(
        (newton - value).abs() <= bound,
        "Newton {newton}, L-BFGS {value}: differ by more than {bound:.1e}"
    );
}

#[test]
fn dense_kinetic_fit_converges_by_default() {
    let data = planted_kinetic(100, 50_000, 0.0, KineticOptions::default());
    assert!(data.density() > 0.3, "density {}", data.density());
    let settings = KineticFitSettings::default();
    let fit = fit_kinetic::<f64>(&data, &settings, &mut NoObserver).unwrap();
    assert_eq!(
        fit.solver,
        SolverKind::Lbfgs,
        "the rule picks L-BFGS on dense data"
    );
    assert_eq!(fit.outcome, Outcome::Converged);
    assert!(fit.summary.max_gradient <= 1e-5);
}

#[test]
fn symmetric_kinetic_fit_of_the_retina_converges_by_default() {
    let data = RetinaSettings {
        seed: 11,
        ..Default::default()
    }
    .generate()
    .unwrap();
    let transitions = Transitions::from_segments(&data, 953).unwrap();
    let settings = KineticFitSettings::default().with_options(KineticOptions::symmetric());
    let fit = fit_kinetic_with::<f64>(
        &transitions,
        &settings,
        None,
        &mut NoObserver,
        &mut FitControl::default(),
    )
    .unwrap();
    assert_eq!(fit.solver, SolverKind::Lbfgs);
    assert_eq!(fit.outcome, Outcome::Converged);
    assert!(
        fit.summary.max_gradient <= 1e-5,
        "{:.2e}",
        fit.summary.max_gradient
    );
    assert!(fit.model.params().iter().all(|v| v.is_finite()));
}

/// Row blocks fitted apart assemble into the fit of all rows, bit for bit: the property the
/// Python package's Dask fit rests on. Blocks of different sizes and an unordered subset
/// put each row beside other rows than in the full fit.
#[test]
fn rows_fitted_apart_equal_the_full_newton_fit_bit_for_bit() {
    let options = KineticOptions::default().with_self_couplings(true);
    let series = planted_kinetic(30, 60_000, -2.0, options);
    let data = Transitions::from_series(&series);
    let settings = KineticFitSettings::default()
        .with_options(options)
        .with_solver(SolverKind::Newton);
    let all = fit_kinetic_with::<f64>(
        &data,
        &settings,
        None,
        &mut NoObserver,
        &mut FitControl::default(),
    )
    .unwrap();
    assert_eq!(all.outcome, Outcome::Converged);
    let blocks: [&[usize]; 4] = [
        &[0, 1, 2, 3, 4, 5, 6],
        &[29, 7, 15, 8],
        &[9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 20, 21],
        &[22, 23, 24, 25, 26, 27, 28],
    ];
    let mut covered = 0;
    for rows in blocks {
        let part = fit_kinetic_rows::<f64>(&data, &settings, rows, &mut NoObserver).unwrap();
        assert_eq!(part.outcome, Outcome::Converged);
        for &i in rows {
            assert_eq!(
                part.model.fields()[i].to_bits(),
                all.model.fields()[i].to_bits()
            );
            for j in 0..30 {
                let (got, want) = (
                    part.model.couplings()[(i, j)],
                    all.model.couplings()[(i, j)],
                );
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "J[{i}][{j}]: {got} vs {want}"
                );
            }
            covered += 1;
        }
    }
    assert_eq!(covered, 30);
    // Rows that cannot be fitted apart are refused with the reason.
    let symmetric = KineticFitSettings::default().with_options(KineticOptions::symmetric());
    let err = fit_kinetic_rows::<f64>(&data, &symmetric, &[0], &mut NoObserver).unwrap_err();
    assert!(err.to_string().contains("symmetric"), "{err}");
    let err = fit_kinetic_rows::<f64>(&data, &settings, &[3, 30], &mut NoObserver).unwrap_err();
    assert!(err.to_string().contains("row 30"), "{err}");
}
