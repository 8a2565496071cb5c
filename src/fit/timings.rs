//! Where a fit's time went, phase by phase, as the fit's closing lines and its model file's
//! metrics report it.

use serde::{Deserialize, Serialize};

/// Wall-clock seconds of each phase of one run of a fit (a resumed fit counts this run
/// only). The fit fills in its own phases; the workflow adds reading and scoring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Reading the data (filled in by the front end).
    pub reading: f64,
    /// The warm start, before the first iteration.
    pub start: f64,
    /// The learning iterations, checks excluded.
    pub learning: f64,
    /// The fresh-sample checks of the stopping rule during learning.
    pub checks: f64,
    /// How many fresh-sample measurements those checks made (a confirmed pass makes two).
    pub checks_run: usize,
    /// The final comparison of the returned model with the data, on fresh samples.
    pub comparison: f64,
    /// Scoring the fitted model on the data (filled in by the workflow).
    pub scoring: f64,
}

impl Timings {
    /// The sum of the phases.
    pub fn total(&self) -> f64 {
        self.reading + self.start + self.learning + self.checks + self.comparison + self.scoring
    }

    /// The phases in one line, those that took no time left out: "time 95.2 s: reading
    /// 14.0 s, warm start 41.3 s, learning 30.1 s, 6 fresh-sample checks 7.5 s, final
    /// comparison 2.1 s, scores 0.2 s".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let mut add = |name: String, seconds: f64| {
            if seconds > 0.0 {
                parts.push(format!("{name} {seconds:.1} s"));
            }
        };
        add("reading".into(), self.reading);
        add("warm start".into(), self.start);
        add("learning".into(), self.learning);
        add(
            match self.checks_run {
                1 => "1 fresh-sample check".into(),
                k => format!("{k} fresh-sample checks"),
            },
            self.checks,
        );
        add("final comparison".into(), self.comparison);
        add("scores".into(), self.scoring);
        format!("time {:.1} s: {}", self.total(), parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_names_every_phase_that_took_time_and_their_sum() {
        let t = Timings {
            reading: 1.0,
            start: 2.0,
            learning: 3.5,
            checks: 1.3,
            checks_run: 3,
            comparison: 0.0,
            scoring: 0.3,
        };
        assert_eq!(
            t.describe(),
            "time 8.1 s: reading 1.0 s, warm start 2.0 s, learning 3.5 s, 3 fresh-sample \
             checks 1.3 s, scores 0.3 s"
        );
    }
}
