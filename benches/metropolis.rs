//! Metropolis throughput on a dense N = 160 model with sparse-firing fields, and one full
//! learning iteration at the study's budget (100,000 samples, one sweep between samples) at
//! N = 160 and at recording size, N = 1,000.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{
    optim::Adam,
    sample::{McmcSettings, Metropolis},
    Energy, Ising, Learner, Likelihood, PairStatistics, Real, Stochastic,
};

/// h_i ≈ −1.5 (± 0.1), J_ij ~ N(0, 0.25/N): cells fire a few percent of the time.
fn sparse_model<T: Real>(n: usize) -> Ising<T> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut model = Ising::random(n, 0.1, (0.25 / n as f64).sqrt(), &mut rng);
    let jitter = Normal::new(-1.5, 0.1).unwrap();
    for i in 0..n {
        model.params_mut()[i] = T::cast(jitter.sample(&mut rng));
    }
    model.project();
    model
}

/// Proposals per second on one core: one group of eight chains (the vectorised kernel's
/// lanes) in a one-thread pool. Persistent, so every call is `sweeps` fresh sweeps of each.
fn proposals_per_second<T: Real>(c: &mut Criterion) {
    let (n, chains, sweeps) = (160, 8, 5_000);
    let model = sparse_model::<T>(n);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut group = c.benchmark_group("metropolis_one_core");
    group.throughput(Throughput::Elements((n * sweeps * chains) as u64));
    group.bench_function(BenchmarkId::new("n160_sparse", T::NAME), |b| {
        let mut sampler = Metropolis::new(
            McmcSettings::default()
                .with_samples(chains)
                .with_chains(chains)
                .with_burn_in(100)
                .with_sweeps(sweeps)
                .with_seed(1),
        )
        .unwrap();
        b.iter(|| pool.install(|| sampler.sample(&model)));
    });
    group.finish();
}

/// One learning iteration (Adam step on 100,000 fresh samples, one sweep apart, and their
/// moments) on an N-spin model, after `warm` iterations from J = 0.
fn learning_iteration_at(c: &mut Criterion, n: usize, name: &str, samples: usize) {
    let truth = sparse_model::<f64>(n);
    let mut data_chains =
        Metropolis::new(McmcSettings::default().with_samples(100_000).with_sweeps(2)).unwrap();
    let data = data_chains.sample(&truth);
    let sampler = Metropolis::new(
        McmcSettings::default()
            .with_samples(100_000)
            .with_burn_in(100)
            .with_seed(2),
    )
    .unwrap();
    let objective = Likelihood::new(
        Ising::<f64>::zeros(n),
        PairStatistics::new(n),
        sampler,
        &data,
    )
    .unwrap();
    let mut learner = Learner::new(objective, Stochastic::new(Adam::with_lr(0.05))).unwrap();
    let mut group = c.benchmark_group("learning_iteration");
    group.sample_size(samples);
    group.bench_function(name, |b| {
        b.iter(|| learner.step().unwrap());
    });
    group.finish();
}

fn learning_iteration(c: &mut Criterion) {
    learning_iteration_at(c, 160, "n160_100k_samples_f64", 20);
}

/// Recording size: 1,000 spins, 100,000 samples.
fn learning_iteration_recording_size(c: &mut Criterion) {
    learning_iteration_at(c, 1000, "n1000_100k_samples_f64", 10);
}

criterion_group!(
    benches,
    proposals_per_second::<f64>,
    proposals_per_second::<f32>,
    learning_iteration,
    learning_iteration_recording_size
);
criterion_main!(benches);
