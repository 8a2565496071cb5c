//! Metropolis and Gibbs moments agree with exact enumeration (N = 10, random model) within
//! 5 standard errors on every mean and pair moment. Standard errors come from the spread of
//! 32 independent chains, so autocorrelation inside a chain is accounted for.

mod common;

use nalgebra::DVector;
use spinfer::{
    sample::{ExactDistribution, Mcmc, McmcSettings, UpdateRule},
    sample::{HeatBath, MetropolisRule},
    Ising, PairStatistics, Raster, Real, Statistics,
};

const CHAINS: usize = 32;
const PER_CHAIN: usize = 4_000;

fn check<T: Real, U: UpdateRule>() {
    let n = 10;
    let model: Ising<T> = Ising::random(n, 0.3, 0.3, &mut common::rng(77));
    let stats = PairStatistics::new(n);
    let exact: DVector<f64> = ExactDistribution::new(&model).unwrap().average(&stats);
    let mut chains = Mcmc::<U>::new(McmcSettings {
        samples: CHAINS * PER_CHAIN,
        chains: CHAINS,
        burn_in: 500,
        sweeps: 2,
        persistent: true,
        seed: 5,
    })
    .unwrap();
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
