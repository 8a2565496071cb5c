//! A run stopped after K iterations and resumed from its checkpoint ends with parameters
//! identical, bit for bit, to a run that never stopped (same seed, same settings), for every
//! solver: first-order steps over Monte Carlo chains (growing samples, averaging, the
//! faithfulness rule), L-BFGS, row-wise Newton, and first-order steps on an exact objective.

mod common;

use nalgebra::DVector;
use spinfer::{
    fit::{
        fit_ising_with, fit_kinetic_with, Fit, FitControl, IsingFitSettings, KineticFitSettings,
    },
    learn::{Control, Record},
    sample::{simulate, McmcSettings, SamplerKind},
    solve::SolverKind,
    Energy, KineticIsing, KineticOptions, Real,
};

/// An observer that stops the run after `k` records in all.
fn stop_after<T: Real>(k: usize) -> impl FnMut(&Record, &DVector<T>) -> Control {
    move |r, _| {
        if r.iteration + 1 >= k {
            Control::Stop
        } else {
            Control::Continue
        }
    }
}

fn never_stop<T: Real>() -> impl FnMut(&Record, &DVector<T>) -> Control {
    |_, _| Control::Continue
}

/// Counts the records a run actually makes.
fn counting<T: Real>(count: &mut usize) -> impl FnMut(&Record, &DVector<T>) -> Control + '_ {
    move |_, _| {
        *count += 1;
        Control::Continue
    }
}

/// Runs `fit` whole, then stopped after `stop` records with checkpoints every `every`
/// steps, then resumed; checks the resumed run made only the remaining records and ends
/// where the whole run ended.
fn check_resume<M: Energy<T> + Clone, T: Real>(
    stop: usize,
    every: usize,
    fit: impl Fn(&mut dyn spinfer::learn::Observer<T>, &mut FitControl<'_, M>) -> Fit<M>,
) {
    let whole = fit(&mut never_stop(), &mut FitControl::default());
    let total = whole.history.records.len();
    assert!(
        total > stop,
        "the whole run ends too soon ({total} records)"
    );
    let mut saved = None;
    let mut keep = |state: serde_json::Value| {
        saved = Some(state);
        Ok(())
    };
    let mut control = FitControl {
        checkpoint_every: every,
        checkpoint: Some(&mut keep),
        ..Default::default()
    };
    let first = fit(&mut stop_after(stop), &mut control);
    assert_eq!(first.history.records.len(), stop);
    let mut control = FitControl {
        resume: saved,
        ..Default::default()
    };
    let mut done = 0;
    let resumed = fit(&mut counting(&mut done), &mut control);
    assert_eq!(
        done,
        total - stop,
        "the resumed run must make only the remaining records"
    );
    assert_eq!(resumed.history.records.len(), total);
    assert_eq!(
        resumed.model.params(),
        whole.model.params(),
        "{:?}",
        whole.solver
    );
    assert_eq!(resumed.solver, whole.solver);
}

#[test]
fn monte_carlo_fit_with_growing_samples_resumes_bit_identically() {
    let (_, data) = common::planted_ising(6, 20_000, 4);
    let default = IsingFitSettings::default();
    let settings = default
        .clone()
        .with_learn(default.learn.with_max_iters(60))
        .with_mcmc(McmcSettings::default().with_samples(2_000));
    check_resume(25, 10, |observer, control| {
        fit_ising_with::<f64>(&data, &settings, None, observer, control).unwrap()
    });
}

#[test]
fn lbfgs_fits_resume_bit_identically() {
    let (_, data) = common::planted_ising(6, 20_000, 5);
    let default = IsingFitSettings::default();
    let settings = default
        .clone()
        .with_sampler(SamplerKind::Exact)
        .with_learn(default.learn.with_max_iters(8).with_grad_tol(0.0));
    check_resume(4, 3, |observer, control| {
        fit_ising_with::<f64>(&data, &settings, None, observer, control).unwrap()
    });
}

#[test]
fn kinetic_fits_resume_bit_identically_with_every_solver_and_precision() {
    let mut rng = common::rng(12);
    let truth: KineticIsing<f64> = KineticIsing::planted(8, KineticOptions::default(), &mut rng);
    let series = simulate(&truth, 20_000, None, &mut rng).unwrap();
    let data = spinfer::Transitions::from_series(&series);
    for (solver, budget, stop) in [
        (SolverKind::Newton, 4, 2),
        (SolverKind::Lbfgs, 10, 5),
        (SolverKind::Gradient, 40, 17),
    ] {
        let default = KineticFitSettings::default();
        let settings = default
            .clone()
            .with_solver(solver)
            .with_learn(default.learn.with_max_iters(budget).with_grad_tol(0.0));
        check_resume(stop, 3, |observer, control| {
            fit_kinetic_with::<f64>(&data, &settings, None, observer, control).unwrap()
        });
        check_resume(stop, 3, |observer, control| {
            fit_kinetic_with::<f32>(&data, &settings, None, observer, control).unwrap()
        });
    }
}
