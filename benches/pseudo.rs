//! Pseudo-likelihood maximisation to convergence: the planted N = 20 model with 10⁵ exact
//! samples (the symmetric maximum: row-wise Newton, then L-BFGS; issue 6 asks for ≤ 1 s),
//! and the warm start of Boltzmann learning on the 160-cell synthetic retina (283,041 bins;
//! row-wise Newton with the warm start's L2 penalty, symmetrised).

use criterion::{criterion_group, criterion_main, Criterion};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{
    fit::{fit_pseudo_likelihood, pseudo, FitControl, IsingFitSettings, IsingMethod},
    learn::NoObserver,
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
        let settings = IsingFitSettings::default().with_method(IsingMethod::PseudoLikelihood);
        b.iter(|| {
            fit_pseudo_likelihood::<f64>(
                &planted,
                &settings,
                &mut NoObserver,
                &mut FitControl::default(),
            )
            .unwrap()
        })
    });
    group.bench_function("retina_n160_m283041_warm_start", |b| {
        b.iter(|| pseudo::warm_start(&retina).unwrap())
    });
    group.finish();
}

criterion_group!(benches, pseudo_likelihood);
criterion_main!(benches);
