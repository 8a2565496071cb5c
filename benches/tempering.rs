//! One Boltzmann-learning iteration with the model side from replica exchange (the sampler
//! the default fit hands over to on collective activity): persistent ladders, 10,000 β = 1
//! samples per iteration (the fit's starting budget), at N = 100 on the bursty recording,
//! N = 160 and N = 1,000 on sparse-firing models.

use criterion::{criterion_group, criterion_main, Criterion};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{
    bursts::BurstSettings,
    optim::Adam,
    sample::{McmcSettings, Metropolis, ReplicaExchange, TemperingSettings},
    Energy, Ising, Learner, Likelihood, PairStatistics, Raster, Stochastic,
};

/// h_i ≈ −1.5 (± 0.1), J_ij ~ N(0, 0.25/N): cells fire a few percent of the time.
fn sparse_data(n: usize) -> Raster {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut model: Ising<f64> = Ising::random(n, 0.1, (0.25 / n as f64).sqrt(), &mut rng);
    let jitter = Normal::new(-1.5, 0.1).unwrap();
    for i in 0..n {
        model.params_mut()[i] = jitter.sample(&mut rng);
    }
    model.project();
    Metropolis::new(McmcSettings::default().with_samples(50_000).with_sweeps(2))
        .unwrap()
        .sample(&model)
}

/// One Adam step on `data` after 20 warm-up iterations from J = 0 (the ladder placed).
fn iteration(c: &mut Criterion, data: &Raster, name: &str, samples: usize) {
    let n = data.n_spins();
    let sampler: ReplicaExchange = ReplicaExchange::new(
        TemperingSettings::default()
            .with_samples(10_000)
            .with_seed(2),
    )
    .unwrap();
    let objective = Likelihood::new(
        Ising::<f64>::zeros(n),
        PairStatistics::new(n),
        sampler,
        data,
    )
    .unwrap();
    let mut learner = Learner::new(objective, Stochastic::new(Adam::with_lr(0.02))).unwrap();
    for _ in 0..20 {
        learner.step().unwrap();
    }
    let mut group = c.benchmark_group("tempering_learning_iteration");
    group.sample_size(samples);
    group.bench_function(name, |b| b.iter(|| learner.step().unwrap()));
    group.finish();
}

fn bursty(c: &mut Criterion) {
    let data = BurstSettings::default().generate().unwrap();
    iteration(c, &data, "n100_bursty_10k_samples", 20);
}

fn sparse_160(c: &mut Criterion) {
    iteration(c, &sparse_data(160), "n160_10k_samples", 20);
}

fn sparse_1000(c: &mut Criterion) {
    iteration(c, &sparse_data(1000), "n1000_10k_samples", 10);
}

criterion_group!(benches, bursty, sparse_160, sparse_1000);
criterion_main!(benches);
