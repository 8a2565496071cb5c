//! Progress bar on stderr for long fits.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use spinfer::{
    learn::{Control, Record},
    workflow::FitObserver,
};

/// Shows iterations, max |gradient| and the log-likelihood when known; optionally stops the
/// run after a number of iterations.
pub struct Progress {
    bar: ProgressBar,
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
        bar.enable_steady_tick(std::time::Duration::from_millis(500));
        Progress {
            bar,
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

    fn iteration(&mut self, record: &Record) -> Control {
        super::signals::iterating();
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
