//! Progress on stderr for long fits: a bar on a terminal, and where stderr is a file or a
//! pipe (a batch job's log) one line per phase.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use spinfer::{
    learn::{Control, Phase, Record},
    workflow::FitObserver,
};

/// Seconds between two log lines of the same phase (the passes of a warm start).
const LOG_EVERY: Duration = Duration::from_secs(15);

/// Shows the phase, iterations, max |gradient| and the log-likelihood when known;
/// optionally stops the run after a number of iterations.
pub struct Progress {
    bar: ProgressBar,
    /// Where stderr is not a terminal (and not --quiet): phases are logged as lines.
    log: Option<PhaseLog>,
    /// The last iteration seen.
    iteration: Option<usize>,
    stop_after: Option<usize>,
    /// Warnings shown once the fit has started (so that a request refused before it ends
    /// with its one error line).
    warnings: Vec<String>,
    /// What the warnings start with ("spinfer: warning: DATA: ").
    prefix: String,
}

impl Progress {
    /// A bar for `total` iterations; hidden when `quiet`; stopping after `stop_after`
    /// iterations in all.
    pub fn new(total: usize, quiet: bool, stop_after: Option<usize>, prefix: String) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        if quiet {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        // Named until the first iteration, which a warm start may delay for long.
        bar.set_message("warm start");
        bar.enable_steady_tick(Duration::from_millis(500));
        let log = (!quiet && !std::io::stderr().is_terminal()).then(PhaseLog::new);
        Progress {
            bar,
            log,
            iteration: None,
            stop_after,
            warnings: Vec::new(),
            prefix,
        }
    }

    /// Shows `warnings` on standard error at the first iteration, each line starting with
    /// `prefix`.
    fn warn_at_start(&mut self, warnings: &[String]) {
        self.warnings = warnings
            .iter()
            .map(|w| format!("{}{w}", self.prefix))
            .collect();
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl FitObserver for Progress {
    fn started(&mut self, warnings: &[String]) {
        self.warn_at_start(warnings);
    }

    fn phase(&mut self, phase: Phase) -> Control {
        let warm_start = matches!(phase, Phase::WarmStart { .. });
        if super::signals::pending().is_some() && !warm_start {
            // Stopped: the fit skips the phase. (A warm start is ended by the watcher.)
            return Control::Stop;
        }
        // Fresh samples run to their end once started: a signal then does not wait for
        // them (see `signals`).
        super::signals::in_long_phase(matches!(
            phase,
            Phase::FreshCheck { .. } | Phase::FinalComparison { .. }
        ));
        let at = match self.iteration {
            Some(k) if phase != Phase::Learning => format!("iteration {k}: "),
            _ => String::new(),
        };
        let text = format!("{at}{}", phase.describe());
        if let Some(log) = &mut self.log {
            log.line(phase, &text, self.bar.elapsed());
        }
        self.bar.set_message(text);
        Control::Continue
    }

    fn iteration(&mut self, record: &Record) -> Control {
        super::signals::iterating(record);
        self.iteration = Some(record.iteration);
        for w in std::mem::take(&mut self.warnings) {
            self.bar
                .suspend(|| crate::cli::console::write_err(format_args!("{w}")));
        }
        self.bar.set_position(record.iteration as u64 + 1);
        let mut msg = format!("max|grad| {:.2e}", record.max_abs_gradient());
        if let Some(l) = record.objective {
            msg.push_str(&format!("  objective {l:.6}"));
        }
        if let Some(m) = record.samples {
            msg.push_str(&format!("  {m} samples"));
        }
        self.bar.set_message(msg);
        let interrupted = super::signals::pending().is_some();
        match self.stop_after {
            _ if interrupted => Control::Stop,
            Some(k) if record.iteration + 1 >= k => Control::Stop,
            _ => Control::Continue,
        }
    }
}

/// Phase lines for a log: one when the phase changes, and at most one per [`LOG_EVERY`]
/// within a phase.
struct PhaseLog {
    last: Option<(std::mem::Discriminant<Phase>, Instant)>,
}

impl PhaseLog {
    fn new() -> Self {
        PhaseLog { last: None }
    }

    /// Writes "spinfer: [0:01:23] TEXT" when `phase` starts, or again after [`LOG_EVERY`].
    fn line(&mut self, phase: Phase, text: &str, elapsed: Duration) {
        let kind = std::mem::discriminant(&phase);
        let due = match self.last {
            Some((k, at)) => k != kind || at.elapsed() >= LOG_EVERY,
            None => true,
        };
        if !due {
            return;
        }
        self.last = Some((kind, Instant::now()));
        let s = elapsed.as_secs();
        crate::cli::console::write_err(format_args!(
            "spinfer: [{}:{:02}:{:02}] {text}",
            s / 3600,
            s / 60 % 60,
            s % 60
        ));
    }
}
