//! Pseudo-likelihood maximisation (row-wise Newton, symmetrised) to convergence: the planted
//! N = 20 model with 10⁵ exact samples (issue 6 asks for ≤ 1 s), and the 160-cell synthetic
//! retina (283,041 bins) with the warm start's L2 penalty.

use criterion::{criterion_group, criterion_main, Criterion};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{
    init::{fit_pseudo_likelihood, pseudo},
    retina::RetinaSettings,
    sample::ExactDistribution,
    Ising,
};

fn pseudo_likelihood(c: &mut Criterion) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(31);
    let model = Ising::<f64>::planted(20, &mut rng);
    let planted = ExactDistribution::new(&model)
        .unwrap()
        .sample(100_000, &mut rng);
    let retina = RetinaSettings::default().generate().unwrap();
    let mut group = c.benchmark_group("pseudo_likelihood");
    group.sample_size(10);
    group.bench_function("planted_n20_m100000", |b| {
        b.iter(|| fit_pseudo_likelihood::<f64>(&planted, &pseudo::settings()).unwrap())
    });
    group.bench_function("retina_n160_m283041_warm_start", |b| {
        b.iter(|| fit_pseudo_likelihood::<f64>(&retina, &pseudo::warm_start_settings()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, pseudo_likelihood);
criterion_main!(benches);
