//! `spinfer demo`: planted-model recovery on built-in defaults, printed as tables.

use std::time::Instant;

use clap::Args;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{
    fit::{fit_ising, fit_kinetic, IsingFitSettings, KineticFitSettings, SamplerKind},
    learn::NoObserver,
    sample::{simulate, ExactDistribution},
    Energy, Ising, KineticIsing, KineticOptions, Result,
};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Seed of the planted models and their data.
    #[arg(long, default_value_t = 11)]
    seed: u64,
}

fn rmse(a: &[f64], b: &[f64]) -> f64 {
    (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len() as f64).sqrt()
}

/// Prints parameter `names` with true and inferred values side by side.
fn table(names: &[String], truth: &[f64], fits: &[(&str, Vec<f64>)]) {
    print!("| {:<8} | {:>8} |", "param", "true");
    for (name, _) in fits {
        print!(" {name:>10} |");
    }
    println!();
    for (k, name) in names.iter().enumerate() {
        print!("| {name:<8} | {:>8.4} |", truth[k]);
        for (_, v) in fits {
            print!(" {:>10.4} |", v[k]);
        }
        println!();
    }
}

pub fn run(a: DemoArgs) -> Result<()> {
    let n = 5;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(a.seed);

    let truth: Ising<f64> = Ising::planted(n, &mut rng);
    let data = ExactDistribution::new(&truth)?.sample(100_000, &mut rng);
    println!("Equilibrium Ising, N = {n}, h and J ~ N(0, 1/N), 100,000 exact samples\n");
    let mut fits = Vec::new();
    for sampler in [SamplerKind::Exact, SamplerKind::Metropolis] {
        let settings = IsingFitSettings {
            sampler,
            ..Default::default()
        };
        let t0 = Instant::now();
        let fit = fit_ising::<f64>(&data, &settings, None, &mut NoObserver)?;
        let p: Vec<f64> = fit.model.params().iter().cloned().collect();
        let q: Vec<f64> = truth.params().iter().cloned().collect();
        println!(
            "  {sampler:?}: {} iterations in {:.2?}, RMSE h {:.4}, J {:.4}",
            fit.history.records.len(),
            t0.elapsed(),
            rmse(&p[..n], &q[..n]),
            rmse(&p[n..], &q[n..])
        );
        fits.push((
            if sampler == SamplerKind::Exact {
                "exact"
            } else {
                "metropolis"
            },
            p,
        ));
    }
    let mut names: Vec<String> = (0..n).map(|i| format!("h{i}")).collect();
    for i in 0..n {
        for j in i + 1..n {
            names.push(format!("J{i},{j}"));
        }
    }
    println!();
    let q: Vec<f64> = truth.params().iter().cloned().collect();
    table(&names, &q, &fits);

    let truth = KineticIsing::<f64>::planted(n, KineticOptions::default(), &mut rng);
    let series = simulate(&truth, 100_000, None, &mut rng)?;
    println!("\nKinetic Ising (parallel Glauber), N = {n}, asymmetric J, 100,000 steps\n");
    let t0 = Instant::now();
    let fit = fit_kinetic::<f64>(
        &series,
        &KineticFitSettings::default(),
        None,
        &mut NoObserver,
    )?;
    let mut names: Vec<String> = (0..n).map(|i| format!("h{i}")).collect();
    let mut tj: Vec<f64> = truth.fields().iter().cloned().collect();
    let mut fj: Vec<f64> = fit.model.fields().iter().cloned().collect();
    for i in 0..n {
        for j in 0..n {
            if i != j {
                names.push(format!("J{i}<-{j}"));
                tj.push(truth.couplings()[(i, j)]);
                fj.push(fit.model.couplings()[(i, j)]);
            }
        }
    }
    println!(
        "  exact likelihood: {} iterations in {:.2?}, RMSE h {:.4}, J (off-diagonal) {:.4}\n",
        fit.history.records.len(),
        t0.elapsed(),
        rmse(&fj[..n], &tj[..n]),
        rmse(&fj[n..], &tj[n..])
    );
    table(&names, &tj, &[("fit", fj)]);
    Ok(())
}
