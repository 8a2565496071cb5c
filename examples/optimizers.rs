//! Plain gradient, momentum, Adam and L-BFGS on one planted model (N = 5, 100,000 exact
//! samples): iterations and wall time to a gradient tolerance with the exact model side, and
//! the final RMSE against the planted parameters; then the first-order optimisers with
//! Metropolis chains for a fixed budget.
//!
//! Run: `cargo run --release --example optimizers`

use std::time::Instant;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{
    learn::{NoObserver, Outcome},
    optim::{AnyOptimizer, OptimizerKind},
    sample::{ExactDistribution, ExactSampler, McmcSettings, Metropolis, Sampler},
    solve::{Averaging, Lbfgs, Solver, Stochastic},
    Energy, Ising, LearnSettings, Learner, Likelihood, PairStatistics, Raster,
};

fn rmse(a: &[f64], b: &[f64]) -> f64 {
    (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len() as f64).sqrt()
}

struct Row {
    name: String,
    iterations: usize,
    converged: bool,
    seconds: f64,
    rmse_h: f64,
    rmse_j: f64,
}

fn run<X, S>(
    name: &str,
    solver: S,
    sampler: X,
    data: &Raster,
    truth: &Ising<f64>,
    settings: &LearnSettings,
) -> Row
where
    X: Sampler<f64, Ising<f64>>,
    S: Solver<Likelihood<f64, Ising<f64>, PairStatistics, X>>,
{
    let n = truth.n_spins();
    let objective =
        Likelihood::new(Ising::zeros(n), PairStatistics::new(n), sampler, data).unwrap();
    let mut learner = Learner::new(objective, solver).unwrap();
    let t0 = Instant::now();
    let outcome = learner.run(settings, &mut NoObserver).unwrap();
    let seconds = t0.elapsed().as_secs_f64();
    let (p, q) = (learner.model().params(), truth.params());
    Row {
        name: name.to_string(),
        iterations: learner.iteration(),
        converged: outcome == Outcome::Converged,
        seconds,
        rmse_h: rmse(&p.as_slice()[..n], &q.as_slice()[..n]),
        rmse_j: rmse(&p.as_slice()[n..], &q.as_slice()[n..]),
    }
}

fn print(title: &str, rows: &[Row]) {
    println!("\n{title}");
    println!(
        "| {:<26} | {:>10} | {:>9} | {:>9} | {:>7} | {:>7} |",
        "optimiser", "iterations", "converged", "time (s)", "RMSE h", "RMSE J"
    );
    println!(
        "|{:-<28}|{:->12}|{:->11}|{:->11}|{:->9}|{:->9}|",
        "", "", "", "", "", ""
    );
    for r in rows {
        println!(
            "| {:<26} | {:>10} | {:>9} | {:>9.3} | {:>7.4} | {:>7.4} |",
            r.name, r.iterations, r.converged, r.seconds, r.rmse_h, r.rmse_j
        );
    }
}

fn main() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let truth: Ising<f64> = Ising::planted(5, &mut rng);
    let data = ExactDistribution::new(&truth)
        .unwrap()
        .sample(100_000, &mut rng);
    let choices = [
        ("plain gradient (lr 0.5)", OptimizerKind::Sgd, 0.5),
        ("momentum (lr 0.1, β 0.9)", OptimizerKind::Momentum, 0.1),
        ("Adam (lr 0.05)", OptimizerKind::Adam, 0.05),
    ];

    let exact = LearnSettings::default()
        .with_max_iters(5_000)
        .with_grad_tol(1e-5);
    let mut rows: Vec<Row> = choices
        .iter()
        .map(|&(name, kind, lr)| {
            let solver = Stochastic::new(AnyOptimizer::new(kind, lr)).with_adaptive_steps(true);
            run(name, solver, ExactSampler, &data, &truth, &exact)
        })
        .collect();
    rows.push(run(
        "L-BFGS",
        Lbfgs::default(),
        ExactSampler,
        &data,
        &truth,
        &exact,
    ));
    print("exact model side, to max |gradient| ≤ 1e-5", &rows);

    let mc = LearnSettings::default()
        .with_max_iters(400)
        .with_grad_tol(0.0);
    let rows: Vec<Row> = choices
        .iter()
        .map(|&(name, kind, lr)| {
            let chains = Metropolis::new(McmcSettings::default()).unwrap();
            let solver =
                Stochastic::new(AnyOptimizer::new(kind, lr)).with_averaging(Averaging::Tail(0.25));
            run(name, solver, chains, &data, &truth, &mc)
        })
        .collect();
    print(
        "Metropolis model side (20,000 samples per iteration), 400 iterations, last 25% averaged",
        &rows,
    );
}
