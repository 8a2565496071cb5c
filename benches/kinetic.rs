//! One exact gradient + log-likelihood evaluation of the kinetic model on a salamander-sized
//! sparse raster (160 cells × 283,041 bins, 3 % ones; f64 and f32 models) and on a
//! recording-sized one (1,000 cells × 286,000 bins, 5 % ones).

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{sample::ConditionalExpectation, KineticIsing, KineticOptions, Raster, Real};

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

/// One pass (gradient and log-likelihood) on an N × T raster with a fraction p of ones, at
/// a random model with couplings of scale 1/√N.
fn pass<T: Real>(c: &mut Criterion, name: &str, (n, bins, p): (usize, usize, f64), samples: usize) {
    let raster = sparse_raster(n, bins, p);
    let cond = ConditionalExpectation::new(&raster).unwrap();
    eprintln!(
        "{name}: raster {:.1} MB packed, transition lists {:.1} MB",
        raster.memory_bytes() as f64 / 1e6,
        cond.memory_bytes() as f64 / 1e6
    );
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let model: KineticIsing<T> = KineticIsing::random(
        n,
        0.3,
        (1.0 / n as f64).sqrt(),
        KineticOptions::default(),
        &mut rng,
    );
    let mut group = c.benchmark_group("kinetic_gradient");
    group.sample_size(samples);
    group.bench_function(name, |b| b.iter(|| cond.evaluate(&model).unwrap()));
    group.finish();
}

fn gradient_and_likelihood(c: &mut Criterion) {
    pass::<f64>(c, "n160_t283041_sparse_f64", (160, 283_041, 0.03), 20);
    // An f32 model: the pass still sums in f64, so this shows the cost of the conversion.
    pass::<f32>(c, "n160_t283041_sparse_f32", (160, 283_041, 0.03), 20);
}

/// The 1,000-cell recording of issue 14: about 3 s per pass, so 10 samples.
fn recording_size(c: &mut Criterion) {
    pass::<f64>(c, "n1000_t286000_sparse_f64", (1000, 286_000, 0.05), 10);
}

criterion_group!(benches, gradient_and_likelihood, recording_size);
criterion_main!(benches);
