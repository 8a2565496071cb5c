//! Fast estimators: pseudo-likelihood, naive mean field and TAP against full Boltzmann
//! learning on planted models.

mod common;

use std::time::Instant;

use spinfer::{
    fit::{
        fit_ising_with, fit_pseudo_likelihood, ising_start, FitControl, IsingFitSettings,
        IsingMethod,
    },
    init::Init,
    learn::NoObserver,
    sample::SamplerKind,
    solve::SolverKind,
    Ising,
};

#[test]
fn pseudo_likelihood_is_nearly_as_accurate_as_boltzmann_learning_at_n20() {
    let (truth, data) = common::planted_ising(20, 100_000, 31);
    let t0 = Instant::now();
    let pseudo = IsingFitSettings::default().with_method(IsingMethod::PseudoLikelihood);
    let pl =
        fit_pseudo_likelihood::<f64>(&data, &pseudo, &mut NoObserver, &mut FitControl::default())
            .unwrap();
    let pl_seconds = t0.elapsed().as_secs_f64();
    assert_eq!(pl.solver, SolverKind::Lbfgs);
    let settings = IsingFitSettings::default().with_sampler(SamplerKind::Exact);
    // The exact likelihood is concave, so Boltzmann learning reaches the same maximum from
    // any start; starting it at the pseudo-likelihood solution only makes the reference fast.
    let t0 = Instant::now();
    let bm = fit_ising_with::<f64>(
        &data,
        &settings,
        Some(pl.model.clone()),
        &mut NoObserver,
        &mut FitControl::default(),
    )
    .unwrap();
    let bm_seconds = t0.elapsed().as_secs_f64();
    let (pl_h, pl_j) = common::ising_rmse(&pl.model, &truth);
    let (bm_h, bm_j) = common::ising_rmse(&bm.model, &truth);
    let all = |h: f64, j: f64| ((20.0 * h * h + 190.0 * j * j) / 210.0).sqrt();
    let (e_pl, e_bm) = (all(pl_h, pl_j), all(bm_h, bm_j));
    println!(
        "N = 20, M = 100,000: pseudo-likelihood RMSE {e_pl:.4} (h {pl_h:.4}, J {pl_j:.4}) in \
         {pl_seconds:.2} s, {} iterations; Boltzmann learning (exact) {e_bm:.4} (h {bm_h:.4}, \
         J {bm_j:.4}) in {bm_seconds:.2} s",
        pl.history.records.len()
    );
    assert!(pl.summary.converged, "{:?}", pl.summary);
    assert!(bm.summary.converged, "{:?}", bm.summary);
    assert!(
        e_pl <= 1.5 * e_bm,
        "pseudo-likelihood {e_pl} vs Boltzmann {e_bm}"
    );
}

#[test]
fn mean_field_and_tap_starts_are_close_to_the_truth_and_pseudo_is_closer() {
    let (truth, data) = common::planted_ising(12, 200_000, 32);
    let zero = Ising::<f64>::zeros(12);
    let (zh, zj) = common::ising_rmse(&zero, &truth);
    let mut errors = Vec::new();
    for init in [Init::MeanField, Init::Tap, Init::Pseudo] {
        let start = ising_start::<f64>(&data, init).unwrap().unwrap();
        let (h, j) = common::ising_rmse(&start, &truth);
        println!("{init:?}: RMSE h {h:.4}, J {j:.4} (J = 0: {zj:.4}, h = 0: {zh:.4})");
        errors.push(j);
        assert!(j < 0.5 * zj, "{init:?} J error {j} vs {zj} for J = 0");
    }
    // Pseudo-likelihood is consistent; the mean-field inversions are biased at J ~ 1/√N.
    assert!(errors[2] < errors[0] && errors[2] < errors[1], "{errors:?}");
}
