//! A seed gives the same result whatever the number of threads.

mod common;

use spinfer::{
    fit::{fit_ising, IsingFitSettings},
    learn::NoObserver,
    sample::{ConditionalExpectation, McmcSettings, Metropolis},
    Energy, Ising, KineticIsing, KineticOptions,
};

fn with_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn metropolis_samples_do_not_depend_on_the_thread_count() {
    let model: Ising<f64> = Ising::planted(12, &mut common::rng(1));
    let draw = || {
        let mut chains = Metropolis::new(
            McmcSettings::default()
                .with_samples(5_000)
                .with_chains(7)
                .with_seed(42),
        )
        .unwrap();
        chains.sample(&model)
    };
    let one = with_threads(1, draw);
    let two = with_threads(2, draw);
    let three = with_threads(3, draw);
    assert_eq!(one, two);
    assert_eq!(one, three);
}

#[test]
fn a_monte_carlo_fit_does_not_depend_on_the_thread_count() {
    let (_, data) = common::planted_ising(5, 20_000, 3);
    let default = IsingFitSettings::default();
    let settings = default.clone().with_learn(default.learn.with_max_iters(30));
    let fit = || {
        fit_ising::<f64>(&data, &settings, &mut NoObserver)
            .unwrap()
            .model
    };
    let one = with_threads(1, fit);
    let two = with_threads(2, fit);
    assert_eq!(one.params(), two.params());
}

#[test]
fn the_kinetic_gradient_does_not_depend_on_the_thread_count() {
    let mut rng = common::rng(8);
    let model: KineticIsing<f64> = KineticIsing::planted(20, KineticOptions::default(), &mut rng);
    let data = spinfer::sample::simulate(&model, 30_000, None, &mut rng).unwrap();
    let cond = ConditionalExpectation::new(&data).unwrap();
    let one = with_threads(1, || cond.evaluate(&model).unwrap());
    let two = with_threads(2, || cond.evaluate(&model).unwrap());
    assert_eq!(one.stats, two.stats);
    assert_eq!(one.log_partition, two.log_partition);
}
