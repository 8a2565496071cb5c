//! How the three kernels grow with the number of cells N and of bins or samples: the
//! scaling table of docs/performance.md. Each row is the median of 3 timed runs after one warm-up, with
//! the bytes of the data structures it needs; the growth exponent is the least-squares slope
//! of log(time) against log(size).
//!
//! * the sparse kinetic pass (exact gradient and log-likelihood): N·k·T operations, k the
//!   active cells per bin (a fixed 4 %, so k grows with N);
//! * Metropolis: N proposals per sweep, each touching a column of N couplings on a flip;
//! * the pair moments of M samples: N²·M/64 XOR-popcounts.
//!
//! `cargo run --release --example scaling` (about 2 minutes on 2 cores).

use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{
    sample::{ConditionalExpectation, McmcSettings, Metropolis},
    Energy, Ising, KineticIsing, KineticOptions, PairStatistics, Raster, Statistics,
};

const SIZES: [usize; 5] = [100, 160, 400, 1000, 2000];
const BINS: usize = 283_041;

/// Median seconds of 3 runs of `f` after one warm-up.
fn median_seconds(mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..3)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[1]
}

/// Least-squares slope of log y against log x.
fn exponent(points: &[(f64, f64)]) -> f64 {
    let logs: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x.ln(), y.ln())).collect();
    let n = logs.len() as f64;
    let (mx, my) = logs
        .iter()
        .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x / n, b + y / n));
    let (sxy, sxx) = logs.iter().fold((0.0, 0.0), |(a, b), &(x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    sxy / sxx
}

/// N cells × T bins, each cell active in a bin with probability 4 %.
fn sparse_raster(n: usize, bins: usize) -> Raster {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let mut raster = Raster::zeros(n, bins);
    for i in 0..n {
        for t in 0..bins {
            if rng.random::<f64>() < 0.04 {
                raster.set(i, t, true);
            }
        }
    }
    raster
}

/// One kinetic pass over `bins` bins of N cells: seconds and bytes (raster, lists, model).
fn kinetic_pass(n: usize, bins: usize) -> (f64, usize) {
    let raster = sparse_raster(n, bins);
    let lists = ConditionalExpectation::new(&raster).expect("a raster of >= 2 bins");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let sd = (1.0 / n as f64).sqrt();
    let model: KineticIsing<f64> =
        KineticIsing::random(n, 0.3, sd, KineticOptions::default(), &mut rng);
    let seconds = median_seconds(|| {
        lists.evaluate(&model).expect("finite");
    });
    let bytes = raster.memory_bytes() + lists.memory_bytes() + 8 * model.params().len();
    (seconds, bytes)
}

/// The benches' model: h ≈ −1.5, J ~ N(0, 0.25/N).
fn sparse_model(n: usize) -> Ising<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut model = Ising::random(n, 0.1, (0.25 / n as f64).sqrt(), &mut rng);
    let jitter = Normal::new(-1.5, 0.1).expect("a valid normal");
    for i in 0..n {
        model.params_mut()[i] = jitter.sample(&mut rng);
    }
    model.project();
    model
}

/// Seconds per sweep of one chain (8 chains in one group, on one core) and the model's bytes.
fn metropolis_sweep(n: usize) -> (f64, usize) {
    let model = sparse_model(n);
    let sweeps = 2_000_000 / n;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a thread pool");
    let mut chains = Metropolis::new(
        McmcSettings::default()
            .with_samples(8)
            .with_chains(8)
            .with_burn_in(10)
            .with_sweeps(sweeps),
    )
    .expect("valid settings");
    let seconds = median_seconds(|| {
        pool.install(|| chains.sample(&model));
    });
    (seconds / (8 * sweeps) as f64, 8 * model.params().len())
}

/// The pair moments of M samples of N spins: seconds and the samples' bytes.
fn pair_moments(n: usize, samples: usize) -> (f64, usize) {
    let raster = sparse_raster(n, samples);
    let stats = PairStatistics::new(n);
    let seconds = median_seconds(|| {
        stats.average(&raster);
    });
    (seconds, raster.memory_bytes() + 8 * stats.dim())
}

fn table(title: &str, unit: &str, law: &str, rows: &[(usize, (f64, usize))]) {
    println!("\n{title}\n");
    println!("| {unit} | time | bytes |");
    println!("|---:|---:|---:|");
    for (size, (seconds, bytes)) in rows {
        let time = if *seconds < 1e-3 {
            format!("{:.2} µs", seconds * 1e6)
        } else {
            format!("{:.1} ms", seconds * 1e3)
        };
        println!("| {size} | {time} | {:.1} MB |", *bytes as f64 / 1e6);
    }
    let points: Vec<(f64, f64)> = rows.iter().map(|(s, (t, _))| (*s as f64, *t)).collect();
    println!(
        "\nfitted growth exponent {:.2} (expected: {law})",
        exponent(&points)
    );
}

fn main() {
    let kinetic: Vec<_> = SIZES.iter().map(|&n| (n, kinetic_pass(n, BINS))).collect();
    table(
        "kinetic pass, 283,041 bins, 4 % active, 2 cores",
        "N",
        "N·k·T with k ∝ N: 2",
        &kinetic,
    );
    let lengths = [35_380, 70_760, 141_520, 283_041, 566_082];
    let in_time: Vec<_> = lengths.iter().map(|&t| (t, kinetic_pass(160, t))).collect();
    table(
        "kinetic pass, 160 cells, 4 % active, 2 cores",
        "T",
        "N·k·T: 1",
        &in_time,
    );
    let sweeps: Vec<_> = SIZES.iter().map(|&n| (n, metropolis_sweep(n))).collect();
    table(
        "Metropolis, one sweep of one chain (8 chains in SIMD lanes, one core)",
        "N",
        "N per sweep, plus N per accepted flip: 1 to 2",
        &sweeps,
    );
    let moments: Vec<_> = SIZES
        .iter()
        .map(|&n| (n, pair_moments(n, 100_000)))
        .collect();
    table(
        "pair moments of 100,000 samples, 2 cores",
        "N",
        "N²·M/64: 2",
        &moments,
    );
    let counts = [25_000, 50_000, 100_000, 200_000, 400_000];
    let in_samples: Vec<_> = counts.iter().map(|&m| (m, pair_moments(160, m))).collect();
    table(
        "pair moments, 160 spins, 2 cores",
        "M",
        "N²·M/64: 1",
        &in_samples,
    );
}
