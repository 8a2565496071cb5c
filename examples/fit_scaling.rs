//! One row of the whole-fit scaling table of docs/performance.md: the default fit of the
//! synthetic retina at N cells (297 repeats × 953 bins = 283,041 bins, seed 3), written to a
//! text file and read back as `spinfer fit` would, with the wall time of each phase, the
//! iterations, how the fit ended and the process's peak memory. One fit per process, so
//! that the peak is that fit's. The phases are logged on stderr as they begin.
//!
//! `cargo run --release --example fit_scaling -- FAMILY N [MINUTES]`, FAMILY `kinetic` or
//! `ising`; MINUTES (default 30) caps the fit: one still learning that long after it began
//! (warm start included) is stopped at its next iteration, and its row says so. Run it once per size and family and fit the growth exponents from the
//! rows (docs/performance.md has the table and the operation count each phase follows).

use std::{
    path::Path,
    time::{Duration, Instant},
};

use spinfer::{
    data::{read_raster, write_raster, Layout},
    fit::{IsingChoices, KineticChoices},
    learn::{Control, Phase, Record},
    retina::RetinaSettings,
    workflow::{run, FitData, FitJob, FitObserver, FitSettings, Report},
    Precision, Transitions,
};

/// Bins per repeat of the synthetic retina (the salamander recording's).
const REPEAT_BINS: usize = 953;

/// Stops the fit at the first iteration after its budget (counted from the fit's start).
struct Budget {
    started: Instant,
    budget: Duration,
    stopped: bool,
}

impl FitObserver for Budget {
    fn phase(&mut self, phase: Phase) -> Control {
        let at = self.started.elapsed().as_secs_f64();
        eprintln!("[{at:7.1} s] {}", phase.describe());
        Control::Continue
    }

    fn iteration(&mut self, _record: &Record) -> Control {
        if self.started.elapsed() > self.budget {
            self.stopped = true;
            return Control::Stop;
        }
        Control::Continue
    }
}

/// The process's peak resident memory in MB (Linux: VmHWM), if known.
fn peak_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The row: family, N, the solver, how it ended, iterations, each phase's seconds, total,
/// peak memory and, for Monte Carlo fits, the fresh samples' split-half ratios.
fn row(family: &str, n: usize, report: &Report, stopped: bool, total: f64) -> String {
    let t = &report.timings;
    let ended = if stopped {
        "stopped at the budget".to_string()
    } else {
        format!("{:?}", report.outcome)
    };
    let faithful = report
        .faithfulness
        .map(|f| format!("{:.2} × / {:.2} ×", f.means_ratio, f.pairs_ratio))
        .unwrap_or_else(|| "–".into());
    let peak = peak_mb().map_or("–".into(), |mb| format!("{mb:.0}"));
    format!(
        "| {family} | {n} | {} | {ended} | {} | {:.1} | {:.1} | {:.1} | {:.1} ({}) | {:.1} | {:.1} | {total:.1} | {peak} | {faithful} |",
        report.solver.name(),
        report.iterations(),
        t.reading,
        t.start,
        t.learning,
        t.checks,
        t.checks_run,
        t.comparison,
        t.scoring,
    )
}

fn main() -> spinfer::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: fit_scaling (kinetic|ising) N [MINUTES]";
    let (Some(family), Some(n)) = (args.first(), args.get(1)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("{usage}: N must be a number of cells");
        std::process::exit(2);
    };
    let minutes: f64 = args.get(2).and_then(|m| m.parse().ok()).unwrap_or(30.0);
    let settings = match family.as_str() {
        "kinetic" => FitSettings::Kinetic(KineticChoices::default().settings()),
        "ising" => FitSettings::Ising(IsingChoices::default().settings()),
        _ => {
            eprintln!("{usage}: FAMILY is kinetic or ising");
            std::process::exit(2);
        }
    };
    let path = std::env::temp_dir().join(format!("spinfer-fit-scaling-{n}.txt"));
    let raster = RetinaSettings {
        cells: n,
        seed: 3,
        ..RetinaSettings::default()
    }
    .generate()?;
    write_raster(&path, &raster, Layout::SpinsBySamples)?;
    drop(raster);
    let result = fit(&path, settings, minutes);
    std::fs::remove_file(&path).ok();
    let (report, stopped, total) = result?;
    println!(
        "| family | N | solver | ended | iterations | reading s | warm start s | learning s | checks s (count) | final comparison s | scores s | total s | peak MB | means / pairs |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    println!("{}", row(family, n, &report, stopped, total));
    Ok(())
}

/// Reads the raster at `path` and runs the default fit of `settings`' family on it, as
/// `spinfer fit` does (kinetic transitions within repeats of [`REPEAT_BINS`]).
fn fit(path: &Path, settings: FitSettings, minutes: f64) -> spinfer::Result<(Report, bool, f64)> {
    let started = Instant::now();
    let raster = read_raster(path, Layout::SpinsBySamples)?;
    let reading = started.elapsed().as_secs_f64();
    let data = match settings {
        FitSettings::Kinetic(_) => {
            FitData::Series(Transitions::within_repeats(&raster, Some(REPEAT_BINS))?)
        }
        FitSettings::Ising(_) => FitData::Samples(raster),
    };
    let job = FitJob::new(settings, Precision::F64)?;
    let mut budget = Budget {
        started: Instant::now(),
        budget: Duration::from_secs_f64(minutes * 60.0),
        stopped: false,
    };
    let mut report = run(data, &job, &mut budget).map_err(|f| f.error)?;
    report.timings.reading = reading;
    Ok((report, budget.stopped, started.elapsed().as_secs_f64()))
}
