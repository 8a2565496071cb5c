//! SIGINT, SIGTERM and SIGHUP during a fit: the first finishes the current iteration and
//! stops the fit cleanly (checkpoint and trace written, `--out` untouched); a second one
//! exits at once. Before the first iteration (reading the data, the warm start) there is
//! no iteration to finish, and a phase that runs to its end once started (a fresh-sample
//! check, the final comparison) may take long: the fit then exits at once, and an
//! iteration that does not end in time within [`GRACE`] of the signal, with the trace of
//! the iterations so far written and a message saying what was kept.

use std::path::PathBuf;
use std::sync::{
    atomic::{AtomicBool, AtomicUsize, Ordering},
    Arc, Mutex, OnceLock,
};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use spinfer::learn::{History, Record};

/// The first signal received (0: none).
fn received() -> &'static Arc<AtomicUsize> {
    static RECEIVED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();
    RECEIVED.get_or_init(|| Arc::new(AtomicUsize::new(0)))
}

/// How long a fit may take to stop at the end of its iteration after a signal.
pub const GRACE: Duration = Duration::from_secs(2);

/// Set once the fit reports its first iteration: from then on a stop keeps a trace.
static ITERATING: AtomicBool = AtomicBool::new(false);

/// Set while the fit is in a phase that runs to its end once started.
static LONG_PHASE: AtomicBool = AtomicBool::new(false);

/// The records of the iterations so far, for the trace of a fit stopped by the watcher.
fn records() -> &'static Mutex<History> {
    static RECORDS: OnceLock<Mutex<History>> = OnceLock::new();
    RECORDS.get_or_init(|| Mutex::new(History::default()))
}

/// Set once the fit has returned after a stop: the command is writing what it keeps.
static RETURNED: AtomicBool = AtomicBool::new(false);

/// Marks an iteration reached and keeps its record (called by the progress observer).
pub fn iterating(record: &Record) {
    records()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .records
        .push(record.clone());
    ITERATING.store(true, Ordering::SeqCst);
}

/// Marks the start (`true`) or the end of a phase that runs to its end once started.
pub fn in_long_phase(long: bool) {
    LONG_PHASE.store(long, Ordering::SeqCst);
}

/// Marks the fit returned: the watcher no longer forces the exit.
pub fn returned() {
    RETURNED.store(true, Ordering::SeqCst);
}

/// Installs the handlers. A second signal terminates the process with 128 + its number
/// (the shell's convention), so a fit that does not stop soon enough can still be killed;
/// a watcher ends a fit that has not started iterating, or is in a long phase, at once, and
/// one that has not returned within [`GRACE`] then, writing `trace` from the iterations'
/// records with `objective` (the trace's key of the objective column) as the fit would.
/// `checkpoint` is named in that message.
pub fn install(
    checkpoint: Option<PathBuf>,
    trace: Option<(PathBuf, &'static str)>,
) -> std::io::Result<()> {
    let first = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM, SIGHUP] {
        // Registered before the flag is set, so it sees the flag of an earlier signal only.
        signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, first.clone())?;
        signal_hook::flag::register_usize(signal, received().clone(), signal as usize)?;
        signal_hook::flag::register(signal, first.clone())?;
    }
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("fit-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                watch(signal, checkpoint, trace);
            }
        })?;
    Ok(())
}

/// After the first signal: exits now before the first iteration or in a long phase, or
/// once [`GRACE`] is nearly over if the fit has not returned by then.
fn watch(signal: i32, checkpoint: Option<PathBuf>, trace: Option<(PathBuf, &'static str)>) {
    use crate::cli::console::Shown;
    let started = Instant::now();
    let why = if !ITERATING.load(Ordering::SeqCst) {
        " during the warm start, before the first iteration".to_string()
    } else {
        // A quarter of the grace is kept for writing the trace and exiting.
        while started.elapsed() < GRACE * 3 / 4 && !LONG_PHASE.load(Ordering::SeqCst) {
            if RETURNED.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if RETURNED.load(Ordering::SeqCst) {
            return;
        }
        let history = records().lock().unwrap_or_else(|p| p.into_inner()).clone();
        let during = if LONG_PHASE.load(Ordering::SeqCst) {
            "fresh samples (a check or the final comparison), which run to their end"
        } else {
            "an iteration or the scores, which did not end in time"
        };
        let first = history.records.first().map_or(0, |r| r.iteration);
        let last = history.records.last().map_or(0, |r| r.iteration);
        let traced = match &trace {
            Some((p, objective)) => match write_trace(p, &history, objective) {
                Ok(()) => format!(
                    ", the trace of iterations {first}–{last} is in {}",
                    p.shown()
                ),
                Err(e) => format!(", the trace could not be written ({e})"),
            },
            None => String::new(),
        };
        format!(" during {during}, after iteration {last}{traced}")
    };
    spinfer::data::remove_unfinished();
    let kept = match &checkpoint {
        Some(p) if p.exists() => format!("the last checkpoint is {}", p.shown()),
        _ => "no checkpoint was written".into(),
    };
    crate::cli::console::write_err(format_args!(
        "spinfer: stopped by {}{why}; --out was left as it was, {kept}",
        name(signal)
    ));
    std::process::exit(128 + signal);
}

/// The trace of the iterations so far, as the fit would have written it.
fn write_trace(path: &std::path::Path, history: &History, objective: &str) -> spinfer::Result<()> {
    spinfer::data::write_atomic(path, |w| history.write_csv(w, objective))
}

/// The signal that asked the fit to stop, if any.
pub fn pending() -> Option<i32> {
    match received().load(Ordering::SeqCst) {
        0 => None,
        s => Some(s as i32),
    }
}

/// The signal's name, for messages.
pub fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}

/// For commands other than `fit`, which have no iteration to finish: the first SIGINT,
/// SIGTERM or SIGHUP removes the temporary files of outputs being written and exits with
/// 128 + its number, so an interrupted `sample`, `generate`, `compare`, `thermo` or `demo`
/// leaves every output as it was or complete, and nothing hidden beside it.
pub fn exit_on_signal() -> std::io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                spinfer::data::remove_unfinished();
                crate::cli::console::write_err(format_args!(
                    "spinfer: stopped by {}; files being written were removed, finished ones \
                     kept",
                    name(signal)
                ));
                std::process::exit(128 + signal);
            }
        })?;
    Ok(())
}
