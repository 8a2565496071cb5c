//! Convergence to trust: the Pearson stopping rule and the chains' equilibration check.

mod common;

use nalgebra::{DMatrix, DVector};
use spinfer::{
    fit::{fit_ising, IsingFitSettings},
    learn::{NoObserver, Outcome},
    sample::{ChainDiagnostics, McmcSettings, Metropolis},
    Ising,
};

#[test]
fn fits_stop_when_connected_correlations_reach_the_target_pearson() {
    let (_, data) = common::planted_ising(20, 50_000, 61);
    let mut settings = IsingFitSettings::default().with_faithful(None);
    settings.learn.target_pearson = Some(0.9);
    let fit = fit_ising::<f64>(&data, &settings, &mut NoObserver).unwrap();
    let last = fit.history.records.last().unwrap();
    println!(
        "stopped at iteration {} with r = {:?}",
        last.iteration, last.connected_pearson
    );
    assert_eq!(fit.outcome, Outcome::TargetReached);
    assert!(last.connected_pearson.unwrap() >= 0.9);
    assert!(fit.history.records.len() < settings.learn.max_iters);
    // Every earlier iteration was below the target (the rule fired at the first crossing).
    let before = &fit.history.records[..fit.history.records.len() - 1];
    assert!(before.iter().all(|r| r.connected_pearson.unwrap() < 0.9));
    // Well-mixed chains on this weakly coupled model pass the equilibration check.
    let chains = fit.chains.expect("Metropolis fits report their chains");
    assert!(chains.is_trustworthy(), "{chains:?}");
}

#[test]
fn chains_stuck_in_the_two_phases_of_a_ferromagnet_are_flagged() {
    // 30 spins, J = 0.5 between all pairs, h = 0: two ordered phases that one-spin-flip
    // Metropolis cannot cross in a few hundred sweeps, so independent chains disagree.
    let n = 30;
    let j = DMatrix::from_fn(n, n, |a, b| if a == b { 0.0 } else { 0.5 });
    let model: Ising<f64> = Ising::new(DVector::zeros(n), j).unwrap();
    let mut chains = Metropolis::new(
        McmcSettings::default()
            .with_samples(8_000)
            .with_chains(8)
            .with_burn_in(200)
            .with_persistent(false)
            .with_seed(3),
    )
    .unwrap();
    let samples = chains.sample(&model);
    let d = ChainDiagnostics::of(&samples, 8).unwrap();
    println!("{d:?}");
    assert!(d.r_hat > ChainDiagnostics::MAX_R_HAT, "{d:?}");
    assert!(d.warning().is_some());
    // The same chains on a weak model are fine.
    let weak: Ising<f64> = Ising::random(n, 0.2, 0.05, &mut common::rng(4));
    let d = ChainDiagnostics::of(&chains.sample(&weak), 8).unwrap();
    assert!(d.is_trustworthy(), "{d:?}");
}
