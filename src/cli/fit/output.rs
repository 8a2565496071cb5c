//! What a fit writes: the model file with its metrics, the trace, the figures, and the
//! lines on the terminal; and the checkpoints along the way.

use std::path::Path;

use serde::Serialize;
use serde_json::json;
use spinfer::{
    data::{write_atomic, Checkpoint, DataFingerprint, ModelFile, ModelKind},
    fit::{warnings::data_warnings, Fit, FitControl},
    report::figures::{inferred_vs_true, learning_curves, Gap, Params},
    validate::{rmse, Score, Split},
    Error, Real, Result,
};

use crate::cli::console::{say, tell, Shown};
use crate::cli::{progress::Progress, CommonFit};

/// What a fit run needs besides the fit itself.
pub struct FitJob<'a, S> {
    pub data: DataFingerprint,
    pub n: usize,
    pub settings: &'a S,
    pub kind: ModelKind,
    pub max_iters: usize,
    pub common: &'a CommonFit,
    pub truth: Option<Params>,
}

/// Training and held-out scores of a fitted model, and its parameters for figures.
pub type Scored = (Score, Option<Score>, Params);

/// Reads a true model for `--truth` and checks that it matches the fit.
pub fn read_truth(path: &Path, kind: ModelKind, n: usize) -> Result<ModelFile> {
    let file = crate::cli::memory::read_model(path)?;
    if file.kind != kind || file.n != n {
        return Err(Error::Shape(format!(
            "{}: the true model is a {:?} model of {} spins, the fit a {kind:?} model of {n}",
            path.shown(),
            file.kind,
            file.n
        )));
    }
    Ok(file)
}

/// Runs a fit with progress, checkpoints and divergence handling, then writes the model
/// file (with training and held-out scores), the trace and the figures.
pub fn run_and_save<T: Real, M: spinfer::Energy<T>, S: Serialize>(
    job: FitJob<'_, S>,
    resume: Option<serde_json::Value>,
    fit: impl FnOnce(&mut Progress, &mut FitControl<'_, M>) -> Result<Fit<M>>,
    to_file: impl Fn(&M) -> ModelFile,
    score: impl Fn(&Fit<M>) -> Result<Scored>,
) -> Result<()> {
    let common = job.common;
    if common.checkpoint.is_some() && common.checkpoint_every == 0 {
        return Err(Error::setting("checkpoint-every", 0, ">= 1"));
    }
    if common.stop_after == Some(0) {
        return Err(Error::setting("stop-after", 0, ">= 1 iteration"));
    }
    let settings_json = serde_json::to_value(job.settings)
        .map_err(|e| Error::Shape(format!("the settings cannot be saved: {e}")))?;
    let mut save_checkpoint = |learner: serde_json::Value| -> Result<()> {
        match &common.checkpoint {
            Some(path) => Checkpoint {
                version: Checkpoint::VERSION,
                kind: job.kind,
                precision: T::NAME.into(),
                data: job.data,
                settings: settings_json.clone(),
                learner,
            }
            .write(path),
            None => Ok(()),
        }
    };
    let mut control = FitControl {
        resume,
        checkpoint_every: if common.checkpoint.is_some() {
            common.checkpoint_every
        } else {
            0
        },
        // Without --checkpoint the state is never turned into JSON: at 1,000 cells that
        // transient tree of numbers was the fit's peak memory.
        checkpoint: match common.checkpoint {
            Some(_) => Some(&mut save_checkpoint),
            None => None,
        },
        last_finite: None,
    };
    // Said at the start of a long run, not only after it.
    let early = data_warnings(job.n, job.data.n_samples, &[]);
    let shown = |w: &String| format!("spinfer: warning: {}: {w}", common.data.shown());
    let mut progress = Progress::new(job.max_iters, common.quiet, common.stop_after)
        .warn_at_start(early.iter().map(shown).collect());
    let result = fit(&mut progress, &mut control);
    crate::cli::signals::returned();
    progress.finish();
    let fit = match result {
        Ok(fit) => fit,
        Err(e) => {
            save_last_finite::<T, M>(
                &e,
                control.last_finite.as_ref(),
                &to_file,
                settings_json,
                &common.out,
            )?;
            return Err(e);
        }
    };
    if let Some(signal) = crate::cli::signals::pending() {
        interrupted(signal, &fit, common)?;
    }
    let warnings = fit.warnings(job.data.n_samples);
    for w in warnings.iter().filter(|w| !early.contains(w)) {
        tell!("{}", shown(w));
    }
    let (train_score, held_out, params) = score(&fit)?;
    let mut metrics = fit.metrics(T::NAME);
    metrics["warnings"] = json!(warnings);
    metrics["train_score"] = json!(train_score);
    metrics["split"] = json!(common
        .split
        .map(|s| format!("{:?}", Split::from(s)).to_lowercase()));
    metrics["held_out_score"] = json!(held_out);
    if let Some(t) = &job.truth {
        metrics["rmse_h"] = json!(rmse(&t.h, &params.h));
        metrics["rmse_J"] = json!(rmse(&t.j, &params.j));
    }
    let mut file = to_file(&fit.model);
    file.settings = settings_json;
    file.metrics = metrics;
    file.write(&common.out)?;
    if let Some(p) = &common.trace {
        write_atomic(p, |w| fit.history.write_csv(w, fit.summary.objective.key()))?;
    }
    if let Some(dir) = &common.plot {
        figures(dir, &fit, &job, &params)?;
    }
    report(&fit, job.kind, job.n, &common.out)?;
    print_scores(
        &train_score,
        held_out.as_ref(),
        job.truth.as_ref().map(|t| (t, &params)),
    )?;
    // Last, where it is read: the model side of the gradient was not certified.
    if let Some(w) = fit.chains.and_then(|c| c.warning()) {
        tell!("spinfer: warning: {w}");
    }
    Ok(())
}

/// After SIGINT, SIGTERM or SIGHUP: the trace is written, `--out` is left as it was, the
/// checkpoint (written by the executor when it stopped) is named, and the process exits
/// with 128 + the signal's number.
fn interrupted<M>(signal: i32, fit: &Fit<M>, common: &CommonFit) -> Result<()> {
    if let Some(p) = &common.trace {
        write_atomic(p, |w| fit.history.write_csv(w, fit.summary.objective.key()))?;
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
        fit.history.records.len().saturating_sub(1),
        common.out.shown()
    );
    std::process::exit(128 + signal);
}

/// After a divergence: the error first, then the last model with a finite objective written
/// to `out` when a model file may hold it (parameters within
/// [`ModelFile::MAX_PARAMETER`]), and the process exits with 1.
fn save_last_finite<T: Real, M>(
    error: &Error,
    last_finite: Option<&M>,
    to_file: impl Fn(&M) -> ModelFile,
    settings: serde_json::Value,
    out: &Path,
) -> Result<()> {
    let (Error::NonFinite { iteration, .. }, Some(model)) = (error, last_finite) else {
        return Ok(());
    };
    let mut file = to_file(model);
    let largest = file
        .h
        .iter()
        .chain(file.j.iter().flatten())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    tell!("spinfer: error: {error}");
    if largest > ModelFile::MAX_PARAMETER {
        tell!(
            "spinfer: no model was written: the last one with a finite objective has parameters \
             of size {largest:.1e}, above what a model file may hold ({:e}); lower the \
             learning rate (--lr)",
            ModelFile::MAX_PARAMETER
        );
    } else {
        file.settings = settings;
        file.metrics = json!({ "diverged_at_iteration": iteration, "precision": T::NAME });
        file.write(out)?;
        tell!(
            "spinfer: the last model with a finite objective is in {}; lower the learning \
             rate (--lr)",
            out.shown()
        );
    }
    std::process::exit(1);
}

/// The training (and held-out) score, and the distance to the true model when known.
fn print_scores(
    train: &Score,
    held_out: Option<&Score>,
    truth: Option<(&Params, &Params)>,
) -> Result<()> {
    let unit = train.measure.describe();
    match held_out {
        Some(h) => say!(
            "{unit}: training {:.6}, held out {:.6}",
            train.value,
            h.value
        ),
        None => say!("{unit}: {:.6}", train.value),
    }
    if let Some((t, params)) = truth {
        say!(
            "against the true model: RMSE h {:.4}, J {:.4}",
            rmse(&t.h, &params.h),
            rmse(&t.j, &params.j)
        );
    }
    Ok(())
}

/// The names [`figures`] writes into `--plot`.
pub const PLOT_FILES: &[&str] = &["learning_curve.svg", "inferred_vs_true.svg"];

/// The learning curve and, with `--truth`, inferred against true parameters.
fn figures<M, S>(dir: &Path, fit: &Fit<M>, job: &FitJob<'_, S>, params: &Params) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = format!("{:?}", job.kind).to_lowercase();
    learning_curves(
        &dir.join(PLOT_FILES[0]),
        &format!("{name} fit of {}", job.common.data.shown()),
        &[("fit".to_string(), &fit.history)],
        Gap::OwnBest,
    )?;
    if let Some(t) = &job.truth {
        inferred_vs_true(
            &dir.join(PLOT_FILES[1]),
            &format!("{name} fit: inferred vs true"),
            t,
            &[("fit".into(), params.clone())],
        )?;
    }
    Ok(())
}

/// The lines a fit ends with: how it ended, and for Monte Carlo fits how well the model
/// reproduces the data.
fn report<M>(fit: &Fit<M>, kind: ModelKind, n: usize, out: &Path) -> Result<()> {
    let s = &fit.summary;
    let mut line = format!(
        "fitted {kind:?} model ({n} spins) by {}: {} iterations, {}, max|grad| {:.2e}",
        fit.solver.name(),
        fit.history.records.len().saturating_sub(1),
        if s.converged {
            "converged".to_string()
        } else {
            format!("not converged ({:?})", fit.outcome)
        },
        s.max_gradient
    );
    if let Some(v) = s.value {
        line.push_str(&format!(", {} {v:.6}", s.objective.name()));
    }
    say!("{line} -> {}", out.shown());
    if let Some(f) = &fit.faithfulness {
        say!(
            "model vs data ({} fresh samples): RMSE of means {:.2e} = {:.2}× the data's \
             split-half difference, of pairs {:.2e} = {:.2}×",
            f.samples,
            f.means,
            f.means_ratio,
            f.pairs,
            f.pairs_ratio
        );
    }
    Ok(())
}
