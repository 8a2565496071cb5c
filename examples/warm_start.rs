//! Warm starts for Boltzmann learning on the synthetic retina: wall time until the model's
//! connected correlations first reach a Pearson correlation r* with the data's (the quantity
//! of `--target-pearson`), from the independent-cell start (J = 0) and from the naive
//! mean-field, TAP and pseudo-likelihood starts, start-up time included. Every run uses the
//! study's settings (Adam, lr 0.005 unless `--lr`, 50,000 samples per iteration, 400 iterations).
//!
//! Run: `cargo run --release --example warm_start [-- --cells 160 --repeats 297 --lr 0.005
//! --iters 400]`.

use std::time::Instant;

use spinfer::{
    fit::{fit_ising, IsingFitSettings},
    init::{ising_start, Init},
    learn::NoObserver,
    retina::RetinaSettings,
    sample::McmcSettings,
    Result,
};

const TARGETS: [f64; 3] = [0.95, 0.98, 0.99];

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().ok().expect("a number"))
}

fn main() -> Result<()> {
    let data = RetinaSettings {
        cells: arg("--cells", 160),
        repeats: arg("--repeats", 297),
        ..Default::default()
    }
    .generate()?;
    println!(
        "synthetic retina: {} cells × {} bins\n\nseconds until the connected-correlation Pearson r first reaches r* (start-up included):\n",
        data.n_spins(),
        data.n_samples()
    );
    let mut settings = IsingFitSettings {
        lr: arg("--lr", 0.005),
        mcmc: McmcSettings {
            samples: 50_000,
            ..Default::default()
        },
        ..Default::default()
    };
    settings.learn.max_iters = arg("--iters", 400);
    println!("| start | start-up s | r at iteration 0 | r* = 0.95 | r* = 0.98 | r* = 0.99 | final r |\n|---|---:|---:|---:|---:|---:|---:|");
    let mut zero: Vec<Option<f64>> = Vec::new();
    for init in [Init::Zero, Init::MeanField, Init::Tap, Init::Pseudo] {
        let t0 = Instant::now();
        let start = ising_start::<f64>(&data, init)?;
        let startup = t0.elapsed().as_secs_f64();
        let fit = fit_ising::<f64>(&data, &settings, start, &mut NoObserver)?;
        let records = &fit.history.records;
        let times: Vec<Option<f64>> = TARGETS
            .iter()
            .map(|&t| {
                records
                    .iter()
                    .find(|r| r.connected_pearson.is_some_and(|p| p >= t))
                    .map(|r| startup + r.seconds)
            })
            .collect();
        let cells: Vec<String> = times
            .iter()
            .enumerate()
            .map(|(k, t)| match (t, zero.get(k).copied().flatten()) {
                (Some(t), Some(z)) if init != Init::Zero => {
                    format!("{t:.1} ({:.1}× faster)", z / t)
                }
                (Some(t), _) => format!("{t:.1}"),
                (None, _) => "not reached".into(),
            })
            .collect();
        if init == Init::Zero {
            zero = times;
        }
        let r = |k: usize| {
            records
                .get(k)
                .and_then(|r| r.connected_pearson)
                .unwrap_or(f64::NAN)
        };
        println!(
            "| {init:?} | {startup:.1} | {:.3} | {} | {:.3} |",
            r(0),
            cells.join(" | "),
            r(records.len() - 1)
        );
    }
    Ok(())
}
