//! What a fit writes: the model file with its metrics, the trace, the figures, and the
//! lines on the terminal; and the checkpoints along the way.

use std::path::Path;

use spinfer::{
    data::{write_atomic, ModelFile},
    report::figures::{inferred_vs_true, learning_curves, Gap},
    validate::Params,
    workflow::{self, Failure, FitData, FitJob, Report},
    Error, Result,
};

use crate::cli::console::{say, tell, Shown};
use crate::cli::{progress::Progress, CommonFit};

/// Runs the fit `job` on `data` through the library's workflow with a progress bar, then
/// writes the model file, the trace and the figures and prints the closing lines;
/// `started` is when reading the data began.
pub fn run_and_save(
    data: FitData,
    job: FitJob,
    common: &CommonFit,
    started: std::time::Instant,
) -> Result<()> {
    let job = job.with_source(
        common.data.shown().to_string(),
        Vec::new(),
        started.elapsed().as_secs_f64(),
    );
    let prefix = format!("spinfer: warning: {}: ", common.data.shown());
    let mut progress = Progress::new(
        job.settings.max_iters(),
        common.quiet,
        common.stop_after,
        prefix.clone(),
    );
    let result = workflow::run(data, &job, &mut progress);
    crate::cli::signals::returned();
    progress.finish();
    let report = match result {
        Ok(report) => report,
        Err(failure) => {
            save_last_finite(&failure, &common.out)?;
            return Err(failure.error);
        }
    };
    if let Some(signal) = crate::cli::signals::pending() {
        interrupted(signal, &report, common)?;
    }
    for w in report
        .warnings
        .iter()
        .filter(|w| !report.early_warnings.contains(w))
    {
        tell!("{prefix}{w}");
    }
    report.file.write(&common.out)?;
    if let Some(p) = &common.trace {
        write_trace(p, &report)?;
    }
    if let Some(dir) = &common.plot {
        figures(dir, &report, &job, common)?;
    }
    let mut lines = report.closing_lines().into_iter();
    if let Some(first) = lines.next() {
        say!("{first} -> {}", common.out.shown());
    }
    for line in lines {
        say!("{line}");
    }
    // Last, where it is read: the model side of the gradient was not certified.
    if let Some(w) = report.chains_warning() {
        tell!("spinfer: warning: {w}");
    }
    Ok(())
}

fn write_trace(path: &Path, report: &Report) -> Result<()> {
    write_atomic(path, |w| {
        report.history.write_csv(w, report.summary.objective.key())
    })
}

/// After SIGINT, SIGTERM or SIGHUP: the trace is written, `--out` is left as it was, the
/// checkpoint (written by the executor when it stopped) is named, and the process exits
/// with 128 + the signal's number.
fn interrupted(signal: i32, report: &Report, common: &CommonFit) -> Result<()> {
    if let Some(p) = &common.trace {
        write_trace(p, report)?;
    }
    let resume = match &common.checkpoint {
        Some(c) => format!(
            "its state is in {}: continue with --resume {}",
            c.shown(),
            c.shown()
        ),
        None => "it cannot be resumed (no --checkpoint was given)".into(),
    };
    tell!(
        "spinfer: stopped by {} after {} iterations; {} was left untouched; {resume}",
        crate::cli::signals::name(signal),
        report.iterations(),
        common.out.shown()
    );
    std::process::exit(128 + signal);
}

/// After a divergence: the error first, then the last model with a finite objective written
/// to `out` when a model file may hold it (parameters within
/// [`ModelFile::MAX_PARAMETER`]), and the process exits with 1.
fn save_last_finite(failure: &Failure, out: &Path) -> Result<()> {
    let Some(file) = &failure.last_finite else {
        return Ok(());
    };
    let largest = file
        .h
        .iter()
        .chain(file.j.iter().flatten())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    tell!("spinfer: error: {}", failure.error);
    if largest > ModelFile::MAX_PARAMETER {
        tell!(
            "spinfer: no model was written: the last one with a finite objective has parameters \
             of size {largest:.1e}, above what a model file may hold ({:e}); lower the \
             learning rate (--lr)",
            ModelFile::MAX_PARAMETER
        );
    } else {
        file.write(out)?;
        tell!(
            "spinfer: the last model with a finite objective is in {}; lower the learning \
             rate (--lr)",
            out.shown()
        );
    }
    std::process::exit(1);
}

/// The names [`figures`] writes into `--plot`.
pub const PLOT_FILES: &[&str] = &["learning_curve.svg", "inferred_vs_true.svg"];

/// The learning curve and, with `--truth`, inferred against true parameters.
fn figures(dir: &Path, report: &Report, job: &FitJob, common: &CommonFit) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = format!("{:?}", job.kind()).to_lowercase();
    learning_curves(
        &dir.join(PLOT_FILES[0]),
        &format!("{name} fit of {}", common.data.shown()),
        &[("fit".to_string(), &report.history)],
        Gap::OwnBest,
    )?;
    if let Some(t) = &job.truth {
        inferred_vs_true(
            &dir.join(PLOT_FILES[1]),
            &format!("{name} fit: inferred vs true"),
            &Params::of_file(t)?,
            &[("fit".into(), Params::of_file(&report.file)?)],
        )?;
    }
    Ok(())
}
