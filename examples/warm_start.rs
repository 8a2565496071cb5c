//! Warm starts for Boltzmann learning on the synthetic retina: wall time until the model's
//! connected correlations first reach a Pearson correlation r* with the data's (when
//! `--target-pearson r*` would stop the fit), from the independent-cell start (J = 0) and from
//! the naive mean-field, TAP and pseudo-likelihood starts, start-up time included.
//!
//! Every run is Adam with 50,000 samples per iteration for at most 400 iterations, stepping
//! either in the raw parameters or in the centred ones (`centered`, see
//! `spinfer::model::Centering`), at the learning rate of its row. Each row is repeated with
//! `--seeds` chain seeds; the table gives the median time over all seeds, a seed that never
//! reaches r* counting as infinitely slow (so a median is "not reached" unless more than half
//! the seeds reach r*), and how many seeds did. The speed-up is against the fastest zero
//! start for that r*.
//!
//! Run: `cargo run --release --example warm_start [-- --cells 160 --repeats 297 --seeds 3
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

/// (start, learning rate, centred stepping).
const RUNS: [(Init, f64, bool); 9] = [
    (Init::Zero, 0.005, false),
    (Init::Zero, 0.01, false),
    (Init::Zero, 0.005, true),
    (Init::MeanField, 0.005, true),
    (Init::Tap, 0.005, true),
    (Init::Pseudo, 0.005, false),
    (Init::Pseudo, 0.01, false),
    (Init::Pseudo, 0.005, true),
    (Init::Pseudo, 0.01, true),
];

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().ok().expect("a number"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let k = v.len() / 2;
    match v.len() {
        0 => f64::NAN,
        len if len % 2 == 1 => v[k],
        _ => 0.5 * (v[k - 1] + v[k]),
    }
}

/// One row of the table: start-up time, median r and max |∂L/∂J| at iteration 0, median r
/// at the end, and for each target the time of every seed (infinite when it never reached
/// the target).
struct Row {
    startup: f64,
    r_start: f64,
    grad_start: f64,
    r_end: f64,
    times: Vec<Vec<f64>>,
}

impl Row {
    /// Median time to target k over all seeds (infinite: not reached by most seeds).
    fn median_time(&self, k: usize) -> f64 {
        median(self.times[k].clone())
    }

    fn seeds_reaching(&self, k: usize) -> usize {
        self.times[k].iter().filter(|t| t.is_finite()).count()
    }
}

fn measure(
    data: &spinfer::Raster,
    (init, lr, centered): (Init, f64, bool),
    seeds: u64,
    iters: usize,
) -> Result<Row> {
    let t0 = Instant::now();
    let start = ising_start::<f64>(data, init)?;
    let startup = t0.elapsed().as_secs_f64();
    let mut times = vec![Vec::new(); TARGETS.len()];
    let (mut r_start, mut grad_start, mut r_end) = (Vec::new(), Vec::new(), Vec::new());
    for seed in 1..=seeds {
        let mut settings = IsingFitSettings {
            lr,
            centered,
            mcmc: McmcSettings {
                samples: 50_000,
                seed,
                ..Default::default()
            },
            ..Default::default()
        };
        settings.learn.max_iters = iters;
        let fit = fit_ising::<f64>(data, &settings, start.clone(), &mut NoObserver)?;
        let records = &fit.history.records;
        let r = |k: usize| records[k].connected_pearson.unwrap_or(f64::NAN);
        r_start.push(r(0));
        // How far the start's equilibrium pair moments are from the data's.
        grad_start.push(
            records[0]
                .max_gradient
                .iter()
                .find(|(group, _)| group == "J")
                .map_or(f64::NAN, |(_, g)| *g),
        );
        r_end.push(r(records.len() - 1));
        for (k, &target) in TARGETS.iter().enumerate() {
            let first = records
                .iter()
                .find(|r| r.connected_pearson.is_some_and(|p| p >= target));
            times[k].push(first.map_or(f64::INFINITY, |rec| startup + rec.seconds));
        }
    }
    Ok(Row {
        startup,
        r_start: median(r_start),
        grad_start: median(grad_start),
        r_end: median(r_end),
        times,
    })
}

fn main() -> Result<()> {
    let data = RetinaSettings {
        cells: arg("--cells", 160),
        repeats: arg("--repeats", 297),
        ..Default::default()
    }
    .generate()?;
    let seeds: u64 = arg("--seeds", 3);
    let iters: usize = arg("--iters", 400);
    println!(
        "synthetic retina: {} cells × {} bins; {seeds} chain seeds per row, at most {iters} iterations\n\nmedian seconds until the connected-correlation Pearson r first reaches r* (start-up included; reached by k/{seeds} seeds):\n",
        data.n_spins(),
        data.n_samples()
    );
    let rows: Vec<((Init, f64, bool), Row)> = RUNS
        .iter()
        .map(|&run| measure(&data, run, seeds, iters).map(|row| (run, row)))
        .collect::<Result<_>>()?;
    // The fastest zero start for each target, by median time.
    let best_zero: Vec<f64> = (0..TARGETS.len())
        .map(|k| {
            rows.iter()
                .filter(|((init, _, _), _)| *init == Init::Zero)
                .map(|(_, row)| row.median_time(k))
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    println!("| start | lr | stepping | start-up s | median r₀ | median max abs dL/dJ at iteration 0 | r* = 0.95 | r* = 0.98 | r* = 0.99 | median final r |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for ((init, lr, centered), row) in &rows {
        let cells: Vec<String> = (0..TARGETS.len())
            .map(|k| {
                let (t, z, n) = (row.median_time(k), best_zero[k], row.seeds_reaching(k));
                if !t.is_finite() {
                    format!("not reached ({n}/{seeds})")
                } else if *init != Init::Zero && z.is_finite() {
                    format!("{t:.1} s ({n}/{seeds}; {:.1}×)", z / t)
                } else {
                    format!("{t:.1} s ({n}/{seeds})")
                }
            })
            .collect();
        println!(
            "| {init:?} | {lr} | {} | {:.1} | {:.3} | {:.3} | {} | {:.3} |",
            if *centered { "centred" } else { "raw" },
            row.startup,
            row.r_start,
            row.grad_start,
            cells.join(" | "),
            row.r_end
        );
    }
    println!("\nspeed-up: the fastest zero start's median time divided by the row's median time.");
    Ok(())
}
