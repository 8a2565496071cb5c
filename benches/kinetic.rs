//! One exact gradient + log-likelihood evaluation of the kinetic model on a salamander-sized
//! sparse raster: 160 cells × 283,041 bins, 3 % ones.

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{sample::ConditionalExpectation, KineticIsing, KineticOptions, Raster};

fn sparse_raster(n: usize, bins: usize, p: f64) -> Raster {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let mut raster = Raster::zeros(n, bins);
    for i in 0..n {
        for t in 0..bins {
            if rng.random::<f64>() < p {
                raster.set(i, t, true);
            }
        }
    }
    raster
}

fn gradient_and_likelihood(c: &mut Criterion) {
    let (n, bins) = (160, 283_041);
    let raster = sparse_raster(n, bins, 0.03);
    let cond = ConditionalExpectation::new(&raster).unwrap();
    eprintln!(
        "raster {:.1} MB packed, transition lists {:.1} MB",
        raster.memory_bytes() as f64 / 1e6,
        cond.memory_bytes() as f64 / 1e6
    );
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let model: KineticIsing<f64> = KineticIsing::random(
        n,
        0.3,
        (1.0 / n as f64).sqrt(),
        KineticOptions::default(),
        &mut rng,
    );
    let mut group = c.benchmark_group("kinetic_gradient");
    group.sample_size(20);
    group.bench_function("n160_t283041_sparse_f64", |b| {
        b.iter(|| cond.evaluate(&model).unwrap())
    });
    group.finish();
}

criterion_group!(benches, gradient_and_likelihood);
criterion_main!(benches);
