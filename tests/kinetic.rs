//! Kinetic Ising: planted recovery, exact gradient, nested-model likelihoods.

mod common;

use common::{rmse, rng};
use spinfer::{
    fit::{fit_kinetic, KineticFitSettings},
    learn::NoObserver,
    sample::{simulate, ConditionalExpectation},
    Energy, KineticIsing, KineticOptions, Raster, Real, Statistics, TransitionStatistics,
};

fn planted(n: usize, steps: usize, symmetric: bool, seed: u64) -> (KineticIsing<f64>, Raster) {
    let mut r = rng(seed);
    let options = KineticOptions {
        symmetric,
        self_couplings: false,
    };
    let model = KineticIsing::planted(n, options, &mut r);
    let data = simulate(&model, steps, None, &mut r).unwrap();
    (model, data)
}

/// RMSE of h and of the off-diagonal J.
fn kinetic_rmse<T: Real>(a: &KineticIsing<T>, b: &KineticIsing<f64>) -> (f64, f64) {
    let n = a.n_spins();
    let ha: Vec<f64> = a.fields().iter().map(|v| v.as_f64()).collect();
    let hb: Vec<f64> = b.fields().iter().cloned().collect();
    let (mut ja, mut jb) = (Vec::new(), Vec::new());
    for i in 0..n {
        for k in 0..n {
            if i != k {
                ja.push(a.couplings()[(i, k)].as_f64());
                jb.push(b.couplings()[(i, k)]);
            }
        }
    }
    (rmse(&ha, &hb), rmse(&ja, &jb))
}

fn recover<T: Real>() -> (f64, f64) {
    let (truth, data) = planted(5, 100_000, false, 21);
    let fit = fit_kinetic::<T>(&data, &KineticFitSettings::default(), &mut NoObserver).unwrap();
    let (h, j) = kinetic_rmse(&fit.model, &truth);
    eprintln!(
        "kinetic N=5 {}: rmse h {h:.4} J {j:.4}, {} iterations, {:?}",
        T::NAME,
        fit.history.records.len(),
        fit.outcome
    );
    (h, j)
}

#[test]
fn planted_asymmetric_model_is_recovered_f64() {
    let (h, j) = recover::<f64>();
    assert!(h <= 0.02 && j <= 0.02, "rmse h {h} J {j}");
}

#[test]
fn planted_asymmetric_model_is_recovered_f32() {
    let (h, j) = recover::<f32>();
    assert!(h <= 0.02 && j <= 0.02, "rmse h {h} J {j}");
}

/// L(θ) = θ·⟨φ⟩_data − A(θ), evaluated exactly.
fn log_likelihood(model: &KineticIsing<f64>, data: &Raster, cond: &ConditionalExpectation) -> f64 {
    let stats = TransitionStatistics::new(model.n_spins()).average(data);
    model.params().dot(&stats) - cond.evaluate(model).unwrap().log_partition.unwrap()
}

#[test]
fn gradient_equals_finite_differences_of_the_exact_log_likelihood() {
    let (_, data) = planted(4, 3_000, false, 5);
    let mut r = rng(9);
    let options = KineticOptions {
        symmetric: false,
        self_couplings: true,
    };
    let model: KineticIsing<f64> = KineticIsing::random(4, 0.4, 0.4, options, &mut r);
    let cond = ConditionalExpectation::new(&data).unwrap();
    let stats = TransitionStatistics::new(4).average(&data);
    let gradient = &stats - cond.evaluate(&model).unwrap().stats;
    let eps = 1e-5;
    for k in 0..model.params().len() {
        let mut plus = model.clone();
        plus.params_mut()[k] += eps;
        let mut minus = model.clone();
        minus.params_mut()[k] -= eps;
        let fd = (log_likelihood(&plus, &data, &cond) - log_likelihood(&minus, &data, &cond))
            / (2.0 * eps);
        let rel = (fd - gradient[k]).abs() / gradient[k].abs().max(1e-3);
        assert!(
            rel <= 1e-6,
            "parameter {k}: gradient {} vs fd {fd}",
            gradient[k]
        );
    }
}

#[test]
fn converged_asymmetric_fit_is_at_least_as_likely_as_the_symmetric_one() {
    let (_, data) = planted(6, 50_000, false, 8);
    let fit = |symmetric| {
        let settings = KineticFitSettings::default().with_options(KineticOptions {
            symmetric,
            self_couplings: false,
        });
        let f = fit_kinetic::<f64>(&data, &settings, &mut NoObserver).unwrap();
        assert_eq!(
            f.outcome,
            spinfer::learn::Outcome::Converged,
            "symmetric={symmetric}"
        );
        let j = f.model.couplings();
        if symmetric {
            assert!((0..6).all(|a| (0..6).all(|b| j[(a, b)] == j[(b, a)])));
        }
        f.history.records.last().unwrap().objective.unwrap()
    };
    let (asym, sym) = (fit(false), fit(true));
    eprintln!("training log-likelihood: asymmetric {asym:.6}, symmetric {sym:.6}");
    assert!(asym >= sym, "asymmetric {asym} < symmetric {sym}");
}

#[test]
fn planted_n60_model_is_recovered() {
    let (truth, data) = planted(60, 200_000, false, 60);
    let t0 = std::time::Instant::now();
    let fit = fit_kinetic::<f64>(&data, &KineticFitSettings::default(), &mut NoObserver).unwrap();
    let (h, j) = kinetic_rmse(&fit.model, &truth);
    eprintln!(
        "kinetic N=60 T=200000: rmse h {h:.4} J {j:.4}, {} iterations ({:?}) in {:.2?}",
        fit.history.records.len(),
        fit.outcome,
        t0.elapsed()
    );
    assert!(h <= 0.03 && j <= 0.03, "rmse h {h} J {j}");
}
