//! What the loop records at each iteration, and the history of a run.

use std::io::Write;

use serde::{Deserialize, Serialize};

/// One iteration: the state of the run at the parameters θ_k (before step k).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Iteration k (0 = the starting parameters).
    pub iteration: usize,
    /// max |gradient| in each parameter group, in group order ("h", "J", ...); with an L1
    /// penalty, of the smallest element of the subdifferential.
    pub max_gradient: Vec<(String, f64)>,
    /// The objective at θ_k (the penalised log- or pseudo-log-likelihood per observation)
    /// when it is known exactly.
    pub objective: Option<f64>,
    /// Seconds since the run started.
    pub seconds: f64,
    /// Pearson correlation between the model's and the data's connected correlations at θ_k,
    /// when the statistics define them (equilibrium pair statistics).
    #[serde(default)]
    pub connected_pearson: Option<f64>,
    /// Monte Carlo samples behind this iteration's gradient.
    #[serde(default)]
    pub samples: Option<usize>,
    /// Monte Carlo gradients: ‖g‖² / Σ_k SE_k², the squared gradient over its squared
    /// standard error (about 1 when the gradient is all noise, large far from the optimum).
    #[serde(default)]
    pub signal_to_noise: Option<f64>,
}

impl Record {
    /// The largest |gradient| over all groups.
    pub fn max_abs_gradient(&self) -> f64 {
        self.max_gradient
            .iter()
            .map(|(_, g)| *g)
            .fold(0.0, f64::max)
    }
}

/// All records of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Records in iteration order.
    pub records: Vec<Record>,
}

impl History {
    /// Writes the history as CSV: a header row, then one row per iteration
    /// (`iteration,max_grad_h,max_grad_J,...,<objective>,seconds,connected_pearson,samples`
    /// with `<objective>` the objective's key, e.g. `log_likelihood`; empty where a value is
    /// not known).
    pub fn write_csv<W: Write>(&self, mut out: W, objective: &str) -> std::io::Result<()> {
        let groups: Vec<&str> = self
            .records
            .first()
            .map(|r| r.max_gradient.iter().map(|(n, _)| n.as_str()).collect())
            .unwrap_or_default();
        write!(out, "iteration")?;
        for g in &groups {
            write!(out, ",max_grad_{g}")?;
        }
        writeln!(out, ",{objective},seconds,connected_pearson,samples")?;
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        for r in &self.records {
            write!(out, "{}", r.iteration)?;
            for (_, g) in &r.max_gradient {
                write!(out, ",{g:e}")?;
            }
            writeln!(
                out,
                ",{},{:.4},{},{}",
                opt(r.objective),
                r.seconds,
                opt(r.connected_pearson),
                r.samples.map_or(String::new(), |s| s.to_string())
            )?;
        }
        Ok(())
    }

    /// The last record.
    pub fn last(&self) -> Option<&Record> {
        self.records.last()
    }
}
