//! A run stopped after K iterations and resumed from its checkpoint ends with parameters
//! identical, bit for bit, to a run that never stopped (same seed, same settings).

mod common;

use nalgebra::DVector;
use spinfer::{
    fit::{fit_ising_with, fit_kinetic_with, FitControl, IsingFitSettings, KineticFitSettings},
    learn::{Control, Record},
    sample::simulate,
    Energy, KineticIsing, KineticOptions, LearnSettings, Real,
};

/// An observer that stops the run after `k` iterations in all.
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

/// Counts the iterations a run actually performs.
fn counting<T: Real>(count: &mut usize) -> impl FnMut(&Record, &DVector<T>) -> Control + '_ {
    move |_, _| {
        *count += 1;
        Control::Continue
    }
}

#[test]
fn equilibrium_fit_with_persistent_chains_resumes_bit_identically() {
    let (_, data) = common::planted_ising(6, 20_000, 4);
    let settings = IsingFitSettings {
        learn: LearnSettings {
            max_iters: 60,
            ..IsingFitSettings::default().learn
        },
        mcmc: spinfer::sample::McmcSettings {
            samples: 4_000,
            ..Default::default()
        },
        ..Default::default()
    };
    let whole = fit_ising_with::<f64>(
        &data,
        &settings,
        None,
        &mut never_stop(),
        &mut FitControl::default(),
    )
    .unwrap();

    let mut saved = None;
    let mut keep = |state: serde_json::Value| {
        saved = Some(state);
        Ok(())
    };
    let mut control = FitControl {
        checkpoint_every: 10,
        checkpoint: Some(&mut keep),
        ..Default::default()
    };
    let first =
        fit_ising_with::<f64>(&data, &settings, None, &mut stop_after(25), &mut control).unwrap();
    assert_eq!(first.history.records.len(), 25);
    let mut control = FitControl {
        resume: saved,
        ..Default::default()
    };
    let mut done = 0;
    let resumed = fit_ising_with::<f64>(
        &data,
        &settings,
        None,
        &mut counting(&mut done),
        &mut control,
    )
    .unwrap();
    assert_eq!(
        done, 35,
        "the resumed run must do only the remaining iterations"
    );
    assert_eq!(resumed.history.records.len(), 60);
    assert_eq!(resumed.model.params(), whole.model.params());
}

#[test]
fn kinetic_fit_resumes_bit_identically_in_both_precisions() {
    let mut rng = common::rng(12);
    let truth: KineticIsing<f64> = KineticIsing::planted(8, KineticOptions::default(), &mut rng);
    let data = simulate(&truth, 20_000, None, &mut rng).unwrap();
    fn check<T: Real>(series: &spinfer::Raster) {
        let transitions = spinfer::Transitions::from_series(series);
        let data = &transitions;
        let settings = KineticFitSettings {
            learn: LearnSettings {
                max_iters: 40,
                grad_tol: 0.0,
                ..KineticFitSettings::default().learn
            },
            ..Default::default()
        };
        let whole = fit_kinetic_with::<T>(
            data,
            &settings,
            None,
            &mut never_stop(),
            &mut FitControl::default(),
        )
        .unwrap();
        let mut saved = None;
        let mut keep = |state: serde_json::Value| {
            saved = Some(state);
            Ok(())
        };
        let mut control = FitControl {
            checkpoint_every: 7,
            checkpoint: Some(&mut keep),
            ..Default::default()
        };
        fit_kinetic_with::<T>(data, &settings, None, &mut stop_after(17), &mut control).unwrap();
        let mut control = FitControl {
            resume: saved,
            ..Default::default()
        };
        let mut done = 0;
        let resumed = fit_kinetic_with::<T>(
            data,
            &settings,
            None,
            &mut counting(&mut done),
            &mut control,
        )
        .unwrap();
        assert_eq!(
            done, 23,
            "the resumed run must do only the remaining iterations"
        );
        assert_eq!(resumed.model.params(), whole.model.params(), "{}", T::NAME);
    }
    check::<f64>(&data);
    check::<f32>(&data);
}
