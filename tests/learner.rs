//! The executor's contracts, for every solver: divergence is an error that keeps the last
//! finite model, observers can stop a run, the history has one record per evaluated
//! iterate (the last one at the returned parameters), and shapes are checked.

mod common;

use spinfer::{
    learn::{Control, NoObserver, Outcome},
    optim::{Momentum, Sgd},
    prelude::*,
    Error,
};

fn exact_objective<T: Real>(
    n: usize,
    seed: u64,
) -> Likelihood<T, Ising<T>, PairStatistics, ExactSampler> {
    let (_, data) = common::planted_ising(n, 10_000, seed);
    Likelihood::new(Ising::zeros(n), PairStatistics::new(n), ExactSampler, &data).unwrap()
}

#[test]
fn a_diverging_run_stops_with_the_iteration_and_keeps_finite_parameters() {
    let mut learner = Learner::new(
        exact_objective::<f32>(5, 2),
        Stochastic::new(Sgd { lr: 1e38 }),
    )
    .unwrap();
    let err = learner
        .run(
            &LearnSettings::default().with_max_iters(50),
            &mut NoObserver,
        )
        .unwrap_err();
    let text = err.to_string();
    match err {
        Error::NonFinite { iteration, .. } => {
            assert!(iteration < 50);
            assert!(text.contains(&format!("iteration {iteration}")), "{text}");
            // A library message names no command-line flag.
            assert!(!text.contains("--"), "{text}");
        }
        other => panic!("expected NonFinite, got {other:?}"),
    }
    assert!(learner.model().params().iter().all(|p| p.is_finite()));
}

#[test]
fn an_observer_can_stop_the_run_and_every_iterate_is_recorded() {
    let mut learner = Learner::new(
        exact_objective::<f64>(4, 3),
        Stochastic::new(Momentum { lr: 0.1, beta: 0.9 }),
    )
    .unwrap();
    let mut seen = 0;
    let mut stop_after_seven = |_: &Record, _: &spinfer::nalgebra::DVector<f64>| {
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
    assert!(records.iter().all(|r| r.objective.is_some()));
    // The exact log-likelihood rises under a small enough step.
    assert!(records[6].objective > records[0].objective);
}

#[test]
fn a_budget_of_k_steps_records_k_plus_one_iterates_and_the_last_is_the_result() {
    for budget in [0, 1, 5] {
        let mut learner = Learner::new(
            exact_objective::<f64>(4, 5),
            Stochastic::new(Sgd { lr: 0.05 }),
        )
        .unwrap();
        let settings = LearnSettings::default()
            .with_max_iters(budget)
            .with_grad_tol(0.0);
        assert_eq!(
            learner.run(&settings, &mut NoObserver).unwrap(),
            Outcome::MaxIterations
        );
        assert_eq!(learner.history().records.len(), budget + 1);
        // The last record is the objective at the returned parameters.
        let mut again = Likelihood::new(
            learner.model().clone(),
            PairStatistics::new(4),
            ExactSampler,
            &{
                let (_, d) = common::planted_ising(4, 10_000, 5);
                d
            },
        )
        .unwrap();
        let value = again.evaluate().unwrap().value.unwrap();
        assert_eq!(learner.history().last().unwrap().objective, Some(value));
    }
}

#[test]
fn lbfgs_converges_to_the_tolerance_at_the_returned_parameters() {
    let mut learner = Learner::new(exact_objective::<f64>(6, 7), Lbfgs::default()).unwrap();
    let settings = LearnSettings::default().with_grad_tol(1e-10);
    assert_eq!(
        learner.run(&settings, &mut NoObserver).unwrap(),
        Outcome::Converged
    );
    let last = learner.history().last().unwrap();
    assert!(last.max_abs_gradient() <= 1e-10);
    // The values never fall (strong Wolfe steps ascend).
    let values: Vec<f64> = learner
        .history()
        .records
        .iter()
        .map(|r| r.objective.unwrap())
        .collect();
    // Up to the rounding resolution the line search allows near the optimum (1e-12 |L|).
    assert!(
        values.windows(2).all(|w| w[1] >= w[0] - 1e-12 * w[0].abs()),
        "{values:?}"
    );
}

#[test]
fn lbfgs_refuses_a_monte_carlo_objective() {
    let (_, data) = common::planted_ising(4, 1000, 3);
    let chains = Metropolis::new(McmcSettings::default()).unwrap();
    let objective = Likelihood::new(
        Ising::<f64>::zeros(4),
        PairStatistics::new(4),
        chains,
        &data,
    )
    .unwrap();
    let err = Learner::new(objective, Lbfgs::default())
        .unwrap()
        .run(&LearnSettings::default(), &mut NoObserver)
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidSetting { name: "solver", .. }),
        "{err}"
    );
}

#[test]
fn data_and_model_of_different_sizes_are_a_shape_error() {
    let (_, data) = common::planted_ising(4, 100, 3);
    let err = Likelihood::new(
        Ising::<f64>::zeros(5),
        PairStatistics::new(5),
        ExactSampler,
        &data,
    )
    .err()
    .unwrap();
    assert!(matches!(err, Error::Shape(_)));
}
