//! Warm starts for Boltzmann learning on the synthetic retina: wall time until the model's
//! connected correlations reach a Pearson correlation r* with the data's (the stopping rule
//! of `--target-pearson`), from the independent-cell start (J = 0) and from the naive
//! mean-field, TAP and pseudo-likelihood starts, start-up time included.
//!
//! Run: `cargo run --release --example warm_start [-- --cells 160 --repeats 297]`.

use std::time::Instant;

use spinfer::{
    fit::{fit_ising, IsingFitSettings},
    init::{fit_pseudo_likelihood, ising_start, pseudo, Init},
    learn::NoObserver,
    retina::RetinaSettings,
    sample::McmcSettings,
    Ising, Result,
};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn main() -> Result<()> {
    let data = RetinaSettings {
        cells: arg("--cells", 160),
        repeats: arg("--repeats", 297),
        ..Default::default()
    }
    .generate()?;
    let target = arg("--target-permille", 950) as f64 / 1000.0;
    let pl_iters = arg("--pseudo-iters", 40);
    println!(
        "synthetic retina: {} cells × {} bins; target: Pearson r of connected correlations ≥ {target}",
        data.n_spins(),
        data.n_samples()
    );
    let mut settings = IsingFitSettings {
        lr: 0.005,
        mcmc: McmcSettings {
            samples: 50_000,
            ..Default::default()
        },
        ..Default::default()
    };
    settings.learn.max_iters = arg("--iters", 400);
    settings.learn.target_pearson = Some(target);
    println!("| start | start-up s | iterations | total s | reached |\n|---|---:|---:|---:|---|");
    let mut zero_seconds = None;
    for init in [Init::Zero, Init::MeanField, Init::Tap, Init::Pseudo] {
        let t0 = Instant::now();
        let start: Option<Ising<f64>> = match init {
            // A few pseudo-likelihood iterations are start enough: no need to converge it.
            Init::Pseudo => {
                let mut s = pseudo::settings();
                s.learn.max_iters = pl_iters;
                Some(fit_pseudo_likelihood::<f64>(&data, &s, &mut NoObserver)?.model)
            }
            other => ising_start::<f64>(&data, other)?,
        };
        let startup = t0.elapsed().as_secs_f64();
        let fit = fit_ising::<f64>(&data, &settings, start, &mut NoObserver)?;
        let total = t0.elapsed().as_secs_f64();
        if std::env::args().any(|a| a == "--trace") {
            let r: Vec<String> = fit
                .history
                .records
                .iter()
                .step_by(25)
                .map(|r| {
                    format!(
                        "{}:{:.3}/{:.3}",
                        r.iteration,
                        r.connected_pearson.unwrap_or(f64::NAN),
                        r.max_abs_gradient()
                    )
                })
                .collect();
            eprintln!("{init:?}: {}", r.join(" "));
        }
        let reached = fit.outcome == spinfer::learn::Outcome::TargetReached;
        if init == Init::Zero {
            zero_seconds = Some(total);
        }
        println!(
            "| {init:?} | {startup:.1} | {} | {total:.1} | {}{} |",
            fit.history.records.len(),
            if reached { "yes" } else { "no" },
            match (zero_seconds, reached && init != Init::Zero) {
                (Some(z), true) => format!(", {:.1}× faster than J = 0", z / total),
                _ => String::new(),
            }
        );
    }
    Ok(())
}
