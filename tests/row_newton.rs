//! The row-wise Newton solver: its maximum is the kinetic likelihood's (the gradient there is
//! zero to rounding, with and without penalty, and the gradient loop agrees), counted
//! transitions equal repeated ones, and constant cells keep finite fields.

mod common;

use nalgebra::DVector;
use spinfer::{
    fit::{fit_kinetic_with, FitControl, KineticFitSettings, KineticSolver},
    init::row_newton::{fit_rows, fit_weighted_rows, RowNewtonSettings},
    learn::NoObserver,
    sample::{simulate, ConditionalExpectation},
    Energy, KineticIsing, KineticOptions, Raster, TransitionStatistics, Transitions,
};

fn planted_series(n: usize, steps: usize, seed: u64) -> Raster {
    let options = KineticOptions {
        symmetric: false,
        self_couplings: true,
    };
    let mut r = common::rng(seed);
    let truth = KineticIsing::<f64>::random(n, 0.5, 0.6, options, &mut r);
    simulate(&truth, steps, None, &mut r).unwrap()
}

fn as_model(
    fit: &spinfer::init::row_newton::RowNewtonFit,
    self_couplings: bool,
) -> KineticIsing<f64> {
    KineticIsing::new(
        fit.fields.clone(),
        fit.couplings.clone(),
        KineticOptions {
            symmetric: false,
            self_couplings,
        },
    )
    .unwrap()
}

/// ∂L/∂θ per transition: data statistics minus the exact conditional averages.
fn gradient(model: &KineticIsing<f64>, data: &Transitions) -> DVector<f64> {
    let stats: DVector<f64> = TransitionStatistics::new(model.n_spins()).average_transitions(data);
    stats
        - ConditionalExpectation::of(data)
            .unwrap()
            .evaluate(model)
            .unwrap()
            .stats
}

#[test]
fn newton_maximum_has_zero_gradient_and_matches_the_gradient_loop() {
    let series = planted_series(8, 40_000, 3);
    let data = Transitions::from_series(&series);
    let fit = fit_rows(&data, &RowNewtonSettings::default()).unwrap();
    assert!(fit.converged);
    let steps = fit.history.records.len();
    let model = as_model(&fit, true);
    let g = gradient(&model, &data);
    let max = g.amax();
    println!("Newton: {steps} records, max |gradient| {max:.1e}");
    // Converged means every row's gradient is at most 1e-9 (the default tolerance).
    assert!(max < 1e-8, "max |gradient| {max}");
    assert!(steps <= 12, "{steps} Newton steps");

    let mut settings = KineticFitSettings {
        options: KineticOptions {
            symmetric: false,
            self_couplings: true,
        },
        ..Default::default()
    };
    let fit_with = |settings: &KineticFitSettings| {
        fit_kinetic_with::<f64>(
            &data,
            settings,
            None,
            &mut NoObserver,
            &mut FitControl::default(),
        )
        .unwrap()
    };
    let loop_fit = fit_with(&settings);
    let diff = (loop_fit.model.params() - model.params()).amax();
    // The loop stops at max |gradient| 1e-5; with curvature ≥ ~0.05 per parameter that
    // leaves the parameters within ~1e-3 of the maximum.
    assert!(diff < 1e-3, "Newton and the gradient loop differ by {diff}");
    // The same solver behind the fit's settings, stopping at the loop's tolerance.
    settings.solver = KineticSolver::Newton;
    let newton_fit = fit_with(&settings);
    assert_eq!(format!("{:?}", newton_fit.outcome), "Converged");
    let diff = (newton_fit.model.params() - model.params()).amax();
    assert!(diff < 1e-3, "Newton at 1e-5 and at 1e-9 differ by {diff}");
    settings.options.symmetric = true;
    let refused = fit_kinetic_with::<f64>(
        &data,
        &settings,
        None,
        &mut NoObserver,
        &mut FitControl::default(),
    );
    assert!(matches!(
        refused,
        Err(spinfer::Error::InvalidSetting { .. })
    ));
}

#[test]
fn penalised_maximum_is_stationary() {
    let series = planted_series(6, 20_000, 4);
    let data = Transitions::from_series(&series);
    let (l2, l2_fields) = (0.05, 0.02);
    let fit = fit_rows(
        &data,
        &RowNewtonSettings {
            l2,
            l2_fields,
            ..Default::default()
        },
    )
    .unwrap();
    let model = as_model(&fit, true);
    let n = model.n_spins();
    let mut g = gradient(&model, &data);
    for k in 0..g.len() {
        g[k] -= if k < n { l2_fields } else { l2 } * model.params()[k];
    }
    assert!(g.amax() < 1e-8, "penalised gradient {}", g.amax());
}

#[test]
fn counted_distinct_states_give_the_same_maximum_as_the_repeated_ones() {
    // Pseudo-likelihood setting: self-transitions without self-couplings.
    let (_, samples) = common::planted_ising(7, 20_000, 5);
    let settings = RowNewtonSettings {
        self_couplings: false,
        ..Default::default()
    };
    let full = fit_rows(&Transitions::identity(&samples), &settings).unwrap();
    let (distinct, counts) = samples.distinct();
    assert!(distinct.n_samples() < samples.n_samples());
    assert_eq!(counts.iter().sum::<u64>(), samples.n_samples() as u64);
    let counted =
        fit_weighted_rows(&Transitions::identity(&distinct), Some(&counts), &settings).unwrap();
    for i in 0..7 {
        assert_eq!(full.couplings[(i, i)], 0.0);
    }
    let dh = (&full.fields - &counted.fields).amax();
    let dj = (&full.couplings - &counted.couplings).amax();
    assert!(dh < 1e-9 && dj < 1e-9, "h {dh}, J {dj}");
    let wrong = fit_weighted_rows(
        &Transitions::identity(&distinct),
        Some(&counts[1..]),
        &settings,
    );
    assert!(matches!(wrong, Err(spinfer::Error::Shape(_))));
}

#[test]
fn a_silent_cell_gets_a_finite_field() {
    let mut series = planted_series(5, 5_000, 6);
    for t in 0..series.n_samples() {
        series.set(2, t, false);
    }
    let fit = fit_rows(
        &Transitions::from_series(&series),
        &RowNewtonSettings::default(),
    )
    .unwrap();
    let h = fit.fields[2];
    // The pseudocount 1/(T+1) puts the field near −½ log(2T) ≈ −4.6.
    assert!(h.is_finite() && h < -3.0 && h > -7.0, "h = {h}");
    assert!(fit.couplings.iter().all(|v| v.is_finite()));
}

#[test]
fn cli_newton_solver_fits_asymmetric_models_and_refuses_symmetric_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    common::ok(
        d,
        &[
            "generate",
            "kinetic",
            "--n",
            "5",
            "--steps",
            "20000",
            "--out",
            "k.txt",
            "--model-out",
            "t.json",
        ],
    );
    let out = common::ok(
        d,
        &[
            "fit", "kinetic", "k.txt", "--solver", "newton", "--out", "k.json", "--quiet",
        ],
    );
    assert!(out.contains("Converged"), "{out}");
    let fit = spinfer::data::ModelFile::read(&d.join("k.json")).unwrap();
    assert_eq!(fit.kind, spinfer::data::ModelKind::Kinetic);
    common::bad_input(
        d,
        &[
            "fit",
            "kinetic",
            "k.txt",
            "--solver",
            "newton",
            "--symmetric",
            "--out",
            "s.json",
        ],
        &["solver", "newton", "symmetric"],
    );
    common::bad_input(
        d,
        &[
            "fit", "kinetic", "k.txt", "--solver", "newton", "--l1", "0.01", "--out", "s.json",
        ],
        &["solver", "L1"],
    );
    assert!(!d.join("s.json").exists());
}
