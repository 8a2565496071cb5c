//! The row-wise Newton solver: its maximum is the kinetic likelihood's (the gradient there is
//! zero to rounding, with and without penalty, and L-BFGS and first-order steps agree),
//! counted transitions equal repeated ones, and constant cells keep finite fields.

mod common;

use nalgebra::DVector;
use spinfer::{
    fit::{fit_kinetic_with, FitControl, KineticFitSettings},
    learn::{History, Learner, NoObserver, Outcome},
    objective::Penalty,
    sample::{simulate, ConditionalExpectation},
    solve::{RowNewton, RowProblem, SolverKind},
    Energy, KineticIsing, KineticOptions, LearnSettings, Raster, TransitionStatistics, Transitions,
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

/// Newton's maximum (parameters as the kinetic model holds them), its history and outcome.
fn newton(
    data: &Transitions,
    counts: Option<&[u64]>,
    self_couplings: bool,
    penalty: Penalty,
) -> (DVector<f64>, History, Outcome) {
    let problem = RowProblem::new(data, counts, self_couplings, &penalty).unwrap();
    let mut learner = Learner::new(problem, RowNewton).unwrap();
    let stop = LearnSettings::default()
        .with_max_iters(50)
        .with_grad_tol(1e-9);
    let outcome = learner.run(&stop, &mut NoObserver).unwrap();
    let params = learner.result().unwrap();
    (params, learner.history().clone(), outcome)
}

fn as_model(params: &DVector<f64>, self_couplings: bool) -> KineticIsing<f64> {
    let mut model = KineticIsing::zeros(
        (((4 * params.len() + 1) as f64).sqrt() as usize - 1) / 2,
        KineticOptions {
            symmetric: false,
            self_couplings,
        },
    );
    model.set_params(params);
    model
}

/// ∂L/∂θ per transition: data statistics minus the exact conditional averages.
fn gradient(model: &KineticIsing<f64>, data: &Transitions) -> DVector<f64> {
    let stats = TransitionStatistics::new(model.n_spins()).average_transitions(data);
    stats
        - ConditionalExpectation::of(data)
            .unwrap()
            .evaluate(model)
            .unwrap()
            .stats
}

#[test]
fn newton_maximum_has_zero_gradient_and_matches_lbfgs_and_first_order_steps() {
    let series = planted_series(8, 40_000, 3);
    let data = Transitions::from_series(&series);
    let (params, history, outcome) = newton(&data, None, true, Penalty::default());
    assert_eq!(outcome, Outcome::Converged);
    let model = as_model(&params, true);
    let max = gradient(&model, &data).amax();
    let steps = history.records.len() - 1;
    println!("Newton: {steps} steps, max |gradient| {max:.1e}");
    // Converged means every row's gradient is at most 1e-9.
    assert!(max < 1e-8, "max |gradient| {max}");
    assert!(steps <= 12, "{steps} Newton steps");

    let options = KineticOptions {
        symmetric: false,
        self_couplings: true,
    };
    for solver in [
        SolverKind::Auto,
        SolverKind::Newton,
        SolverKind::Lbfgs,
        SolverKind::Gradient,
    ] {
        let settings = KineticFitSettings::default()
            .with_options(options)
            .with_solver(solver);
        let fit = fit_kinetic_with::<f64>(
            &data,
            &settings,
            None,
            &mut NoObserver,
            &mut FitControl::default(),
        )
        .unwrap();
        assert!(fit.summary.converged, "{solver:?}: {:?}", fit.outcome);
        // Stopped at max |gradient| 1e-5; with curvature ≥ ~0.05 per parameter that leaves
        // the parameters within ~1e-3 of the maximum.
        let diff = (fit.model.params() - &params).amax();
        assert!(
            diff < 1e-3,
            "{solver:?} and Newton at 1e-9 differ by {diff}"
        );
    }
    let settings = KineticFitSettings::default()
        .with_options(KineticOptions::symmetric())
        .with_solver(SolverKind::Newton);
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
    let penalty = Penalty {
        l2,
        l2_fields,
        ..Default::default()
    };
    let (params, _, _) = newton(&data, None, true, penalty);
    let model = as_model(&params, true);
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
    let (full, _, _) = newton(
        &Transitions::identity(&samples),
        None,
        false,
        Penalty::default(),
    );
    let (distinct, counts) = samples.distinct();
    assert!(distinct.n_samples() < samples.n_samples());
    assert_eq!(counts.iter().sum::<u64>(), samples.n_samples() as u64);
    let (counted, _, _) = newton(
        &Transitions::identity(&distinct),
        Some(&counts),
        false,
        Penalty::default(),
    );
    for i in 0..7 {
        assert_eq!(full[7 + i + 7 * i], 0.0);
    }
    let d = (&full - &counted).amax();
    assert!(d < 1e-9, "{d}");
    let wrong = RowProblem::new(
        &Transitions::identity(&distinct),
        Some(&counts[1..]),
        false,
        &Penalty::default(),
    );
    assert!(matches!(wrong, Err(spinfer::Error::Shape(_))));
}

#[test]
fn a_silent_cell_gets_a_finite_field() {
    let mut series = planted_series(5, 5_000, 6);
    for t in 0..series.n_samples() {
        series.set(2, t, false);
    }
    let (params, _, _) = newton(
        &Transitions::from_series(&series),
        None,
        true,
        Penalty::default(),
    );
    let h = params[2];
    // The pseudocount 1/(T+1) puts the field near −½ log(2T) ≈ −4.6.
    assert!(h.is_finite() && h < -3.0 && h > -7.0, "h = {h}");
    assert!(params.iter().all(|v| v.is_finite()));
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
    assert!(
        out.contains("by newton") && out.contains("converged"),
        "{out}"
    );
    let fit = spinfer::data::ModelFile::read(&d.join("k.json")).unwrap();
    assert_eq!(fit.kind, spinfer::data::ModelKind::Kinetic);
    assert_eq!(fit.metrics["converged"], true);
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
