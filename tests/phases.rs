//! The phases a fit announces to its observer, what stopping in each does, and where the
//! time went.

mod common;

use spinfer::{
    fit::{fit_ising_with, Faithful, FitControl, IsingFitSettings},
    init::Init,
    learn::{Control, LearnSettings, Observer, Outcome, Phase, Record},
    nalgebra::DVector,
    sample::FreshSamples,
    Error,
};

/// Records every phase; stops at the first phase `stop_at` accepts.
struct Phases<F: Fn(&Phase) -> bool> {
    seen: Vec<Phase>,
    iterations: usize,
    stop_at: F,
}

impl<F: Fn(&Phase) -> bool> Observer<f64> for Phases<F> {
    fn observe(&mut self, _record: &Record, _params: &DVector<f64>) -> Control {
        self.iterations += 1;
        Control::Continue
    }

    fn phase(&mut self, phase: Phase) -> Control {
        self.seen.push(phase);
        if (self.stop_at)(&phase) {
            Control::Stop
        } else {
            Control::Continue
        }
    }
}

/// A Monte Carlo fit of 20 planted spins from the pseudo-likelihood start, with checks of
/// 20,000 fresh samples every 5 iterations at a target it cannot reach in 30 iterations.
fn settings() -> IsingFitSettings {
    IsingFitSettings::default()
        .with_init(Init::Pseudo)
        .with_learn(LearnSettings::default().with_max_iters(30))
        .with_faithful(Some({
            let mut rule = Faithful::default()
                .with_target(1e-6)
                .with_fresh(FreshSamples {
                    samples: 20_000,
                    ..Faithful::default().fresh
                });
            rule.every = 5;
            rule.noise = f64::INFINITY;
            rule
        }))
}

#[test]
fn a_monte_carlo_fit_announces_its_warm_start_checks_and_final_comparison_and_times_them() {
    let (_, data) = common::planted_ising(20, 20_000, 5);
    let mut observer = Phases {
        seen: Vec::new(),
        iterations: 0,
        stop_at: |_: &Phase| false,
    };
    let fit = fit_ising_with::<f64>(
        &data,
        &settings(),
        None,
        &mut observer,
        &mut FitControl::default(),
    )
    .unwrap();
    let seen = &observer.seen;
    let passes = seen
        .iter()
        .take_while(|p| matches!(p, Phase::WarmStart { .. }))
        .count();
    assert!(passes >= 1, "{seen:?}");
    assert_eq!(seen[passes], Phase::Learning, "{seen:?}");
    assert_eq!(seen.iter().filter(|p| **p == Phase::Learning).count(), 1);
    let checks = seen
        .iter()
        .filter(|p| matches!(p, Phase::FreshCheck { samples: 20_000 }))
        .count();
    // Iterations 0, 5, ..., 30 are checked; none passes, so none is confirmed.
    assert_eq!(checks, 7, "{seen:?}");
    assert_eq!(fit.timings.checks_run, checks);
    assert_eq!(
        seen.last(),
        Some(&Phase::FinalComparison { samples: 20_000 }),
        "{seen:?}"
    );
    let t = fit.timings;
    assert!(t.start > 0.0 && t.learning > 0.0 && t.checks > 0.0 && t.comparison > 0.0);
    assert!(fit.faithfulness.is_some());
}

#[test]
fn stopping_in_the_warm_start_is_an_interruption_and_before_a_check_ends_the_fit_there() {
    let (_, data) = common::planted_ising(20, 20_000, 5);
    let mut in_start = Phases {
        seen: Vec::new(),
        iterations: 0,
        stop_at: |p: &Phase| matches!(p, Phase::WarmStart { .. }),
    };
    let err = fit_ising_with::<f64>(
        &data,
        &settings(),
        None,
        &mut in_start,
        &mut FitControl::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Interrupted { during } if during == "the warm start"),
        "{err}"
    );
    assert_eq!((in_start.seen.len(), in_start.iterations), (1, 0));

    let mut at_check = Phases {
        seen: Vec::new(),
        iterations: 0,
        stop_at: |p: &Phase| matches!(p, Phase::FreshCheck { .. } | Phase::FinalComparison { .. }),
    };
    let fit = fit_ising_with::<f64>(
        &data,
        &settings(),
        None,
        &mut at_check,
        &mut FitControl::default(),
    )
    .unwrap();
    // Stopped at the first check (iteration 0), without drawing its samples or those of
    // the final comparison.
    assert_eq!(fit.outcome, Outcome::Stopped);
    assert_eq!(at_check.iterations, 1);
    assert_eq!(fit.timings.checks_run, 0);
    assert!(fit.faithfulness.is_none() && !fit.summary.converged);
}
