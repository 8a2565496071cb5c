//! Metropolis throughput on the bench model (N = 160, J ~ N(0, 0.25/N)) with its fields
//! shifted, to show where a sweep's time goes: at h ≈ −10 nothing flips, so the rate is that
//! of the tests and thresholds alone; at −1.5 (the bench) about 6 % of spins are up; at 0
//! half of them. Eight chains in SIMD lanes on one core, 20,000 sweeps, best of five runs.
//!
//! `cargo run --release --example metropolis_fields`

use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{
    sample::{McmcSettings, Metropolis},
    Energy, Ising,
};

fn main() {
    let (n, chains, sweeps) = (160, 8, 20_000);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    println!("| mean field h | M proposals/s |\n|---:|---:|");
    for h in [-10.0, -3.0, -1.5, -0.5, 0.0] {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let mut model = Ising::<f32>::random(n, 0.1, (0.25 / n as f64).sqrt(), &mut rng);
        let jitter = Normal::new(h, 0.1).expect("a positive spread");
        for i in 0..n {
            model.params_mut()[i] = jitter.sample(&mut rng) as f32;
        }
        model.project();
        let mut sampler = Metropolis::new(
            McmcSettings::default()
                .with_samples(chains)
                .with_chains(chains)
                .with_burn_in(100)
                .with_sweeps(sweeps)
                .with_seed(1),
        )
        .expect("valid settings");
        let mut best = 0.0f64;
        for _ in 0..5 {
            let start = std::time::Instant::now();
            let samples = pool.install(|| sampler.sample(&model));
            let rate = (n * chains * sweeps) as f64 / start.elapsed().as_secs_f64();
            best = best.max(rate);
            std::hint::black_box(samples);
        }
        println!("| {h} | {:.0} |", best / 1e6);
    }
}
