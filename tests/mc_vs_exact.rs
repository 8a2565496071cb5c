//! Metropolis and Gibbs moments agree with exact enumeration (N = 10, random model) within
//! 5 standard errors on every mean and pair moment, with the plain and the Rao–Blackwellised
//! estimators. Standard errors come from the spread of 32 independent chains, so
//! autocorrelation inside a chain is accounted for.

mod common;

use nalgebra::DVector;
use spinfer::{
    sample::{ExactDistribution, Mcmc, McmcSettings, UpdateRule},
    sample::{HeatBath, MetropolisRule},
    Ising, PairStatistics, Raster, Real, Sampler, Statistics,
};

const CHAINS: usize = 32;
const PER_CHAIN: usize = 4_000;

fn check<T: Real, U: UpdateRule>() {
    let n = 10;
    let model: Ising<T> = Ising::random(n, 0.3, 0.3, &mut common::rng(77));
    let stats = PairStatistics::new(n);
    let exact = ExactDistribution::new(&model).unwrap().average(&stats);
    let mut chains = Mcmc::<U>::new(settings(false)).unwrap();
    let samples = chains.sample(&model);
    // Chain c wrote samples c·PER_CHAIN .. (c+1)·PER_CHAIN.
    let per_chain: Vec<DVector<f64>> = (0..CHAINS)
        .map(|c| {
            let part: Raster = samples.samples(c * PER_CHAIN, (c + 1) * PER_CHAIN);
            stats.average(&part)
        })
        .collect();
    let mean: DVector<f64> = per_chain.iter().sum::<DVector<f64>>() / CHAINS as f64;
    let mut worst: f64 = 0.0;
    for k in 0..exact.len() {
        let var = per_chain
            .iter()
            .map(|v| (v[k] - mean[k]).powi(2))
            .sum::<f64>()
            / (CHAINS - 1) as f64;
        let se = (var / CHAINS as f64).sqrt().max(1e-12);
        let z = (mean[k] - exact[k]).abs() / se;
        worst = worst.max(z);
        assert!(
            z <= 5.0,
            "{} {}: statistic {k}: MC {} exact {} ({z:.1} SE)",
            U::NAME,
            T::NAME,
            mean[k],
            exact[k]
        );
    }
    eprintln!("{} {}: worst deviation {worst:.2} SE", U::NAME, T::NAME);
}

fn settings(rao_blackwell: bool) -> McmcSettings {
    McmcSettings::default()
        .with_samples(CHAINS * PER_CHAIN)
        .with_chains(CHAINS)
        .with_burn_in(500)
        .with_sweeps(2)
        .with_seed(5)
        .with_rao_blackwell(rao_blackwell)
}

/// The sampler's own averages and standard errors, Rao–Blackwellised, against exact
/// enumeration; their means' standard errors are smaller than the plain estimator's.
fn check_rao_blackwell<T: Real, U: UpdateRule>() {
    let n = 10;
    let model: Ising<T> = Ising::random(n, 0.3, 0.3, &mut common::rng(78));
    let stats = PairStatistics::new(n);
    let exact = ExactDistribution::new(&model).unwrap().average(&stats);
    let mut rms = Vec::new();
    for rb in [false, true] {
        let mut chains = Mcmc::<U>::new(settings(rb)).unwrap();
        let a = Sampler::<T, Ising<T>>::averages(&mut chains, &model, &stats).unwrap();
        let se = a.std_error.unwrap();
        for k in 0..exact.len() {
            let z = (a.stats[k] - exact[k]).abs() / se[k].max(1e-12);
            assert!(
                z <= 5.0,
                "{} {} rb={rb}: statistic {k}: {} vs exact {} ({z:.1} SE)",
                U::NAME,
                T::NAME,
                a.stats[k],
                exact[k]
            );
        }
        rms.push((se.rows(0, n).norm_squared() / n as f64).sqrt());
    }
    eprintln!(
        "{} {}: RMS SE of the means plain {:.2e}, Rao–Blackwell {:.2e}",
        U::NAME,
        T::NAME,
        rms[0],
        rms[1]
    );
    // Each RMS standard error is estimated from 32 chains to about 1/√(2·31) ≈ 13 %: the
    // reduction must exceed that noise.
    assert!(rms[1] < 0.8 * rms[0], "{rms:?}");
}

#[test]
fn chains_restarted_in_turn_still_match_exact_enumeration() {
    let n = 10;
    let model: Ising<f64> = Ising::random(n, 0.3, 0.3, &mut common::rng(79));
    let stats = PairStatistics::new(n);
    let exact = ExactDistribution::new(&model).unwrap().average(&stats);
    let mut chains = Mcmc::<MetropolisRule>::new(settings(true).with_restarts(true)).unwrap();
    // Several calls: every call restarts one chain, which then burns in anew.
    for call in 0..4 {
        let a = Sampler::<f64, Ising<f64>>::averages(&mut chains, &model, &stats).unwrap();
        let se = a.std_error.unwrap();
        for k in 0..exact.len() {
            let z = (a.stats[k] - exact[k]).abs() / se[k].max(1e-12);
            assert!(z <= 5.0, "call {call}, statistic {k}: {z:.1} SE");
        }
    }
}

#[test]
fn rao_blackwellised_moments_match_exact_enumeration() {
    check_rao_blackwell::<f64, MetropolisRule>();
    check_rao_blackwell::<f32, MetropolisRule>();
    check_rao_blackwell::<f64, HeatBath>();
}

#[test]
fn metropolis_moments_match_exact_enumeration_f64() {
    check::<f64, MetropolisRule>();
}

#[test]
fn metropolis_moments_match_exact_enumeration_f32() {
    check::<f32, MetropolisRule>();
}

#[test]
fn gibbs_moments_match_exact_enumeration_f64() {
    check::<f64, HeatBath>();
}

#[test]
fn gibbs_moments_match_exact_enumeration_f32() {
    check::<f32, HeatBath>();
}
