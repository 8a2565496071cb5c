//! The learning loop's contracts: divergence is an error that keeps the last finite model,
//! observers can stop a run, and the history has one record per iteration.

mod common;

use spinfer::{
    learn::{Control, NoObserver, Outcome},
    optim::{Momentum, Sgd},
    sample::ExactSampler,
    Energy, Error, Ising, LearnSettings, Learner, PairStatistics,
};

#[test]
fn a_diverging_run_stops_with_the_iteration_and_keeps_finite_parameters() {
    let (_, data) = common::planted_ising(5, 10_000, 2);
    let mut learner = Learner::new(
        Ising::<f32>::zeros(5),
        PairStatistics::new(5),
        ExactSampler,
        Sgd { lr: 1e38 },
        &data,
    )
    .unwrap();
    let settings = LearnSettings {
        max_iters: 50,
        ..Default::default()
    };
    let err = learner.run(&settings, &mut NoObserver).unwrap_err();
    let text = err.to_string();
    match err {
        Error::NonFinite { iteration, .. } => {
            assert!(iteration < 50);
            assert!(text.contains(&format!("iteration {iteration}")), "{text}");
            assert!(text.contains("--lr"), "{text}");
        }
        other => panic!("expected NonFinite, got {other:?}"),
    }
    assert!(learner.model().params().iter().all(|p| p.is_finite()));
}

#[test]
fn an_observer_can_stop_the_run_and_every_iteration_is_recorded() {
    let (_, data) = common::planted_ising(4, 10_000, 3);
    let mut learner = Learner::new(
        Ising::<f64>::zeros(4),
        PairStatistics::new(4),
        ExactSampler,
        Momentum { lr: 0.1, beta: 0.9 },
        &data,
    )
    .unwrap();
    let mut seen = 0;
    let mut stop_after_seven = |_: &spinfer::learn::Record, _: &nalgebra::DVector<f64>| {
        seen += 1;
        if seen == 7 {
            Control::Stop
        } else {
            Control::Continue
        }
    };
    let outcome = learner
        .run(&LearnSettings::default(), &mut stop_after_seven)
        .unwrap();
    assert_eq!(outcome, Outcome::Stopped);
    let records = &learner.history().records;
    assert_eq!(records.len(), 7);
    assert!(records.iter().enumerate().all(|(k, r)| r.iteration == k));
    assert!(records.iter().all(|r| r.log_likelihood.is_some()));
    // Exact log-likelihood rises under a small enough step.
    assert!(records[6].log_likelihood > records[0].log_likelihood);
}

#[test]
fn data_and_model_of_different_sizes_are_a_shape_error() {
    let (_, data) = common::planted_ising(4, 100, 3);
    let err = Learner::new(
        Ising::<f64>::zeros(5),
        PairStatistics::new(5),
        ExactSampler,
        Sgd { lr: 0.1 },
        &data,
    )
    .err()
    .unwrap();
    assert!(matches!(err, Error::Shape(_)));
}
