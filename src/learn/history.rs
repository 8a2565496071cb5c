//! What the loop records at each iteration.

use std::io::Write;

use serde::{Deserialize, Serialize};

/// One iteration: the gradient at the parameters θ_k before step k.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Iteration k (0 = the starting parameters).
    pub iteration: usize,
    /// max |gradient| in each parameter group, in group order ("h", "J", ...).
    pub max_gradient: Vec<(String, f64)>,
    /// Log-likelihood per observation at θ_k when the sampler knows A(θ) exactly.
    pub log_likelihood: Option<f64>,
    /// Seconds since the run started.
    pub seconds: f64,
    /// Pearson correlation between the model's and the data's connected correlations at θ_k,
    /// when the statistics define them (equilibrium pair statistics).
    #[serde(default)]
    pub connected_pearson: Option<f64>,
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
    /// (`iteration,max_grad_h,max_grad_J,...,log_likelihood,seconds,connected_pearson`;
    /// empty where a value is not known).
    pub fn write_csv<W: Write>(&self, mut out: W) -> std::io::Result<()> {
        let groups: Vec<&str> = self
            .records
            .first()
            .map(|r| r.max_gradient.iter().map(|(n, _)| n.as_str()).collect())
            .unwrap_or_default();
        write!(out, "iteration")?;
        for g in &groups {
            write!(out, ",max_grad_{g}")?;
        }
        writeln!(out, ",log_likelihood,seconds,connected_pearson")?;
        for r in &self.records {
            write!(out, "{}", r.iteration)?;
            for (_, g) in &r.max_gradient {
                write!(out, ",{g:e}")?;
            }
            match r.log_likelihood {
                Some(l) => write!(out, ",{l}")?,
                None => write!(out, ",")?,
            }
            write!(out, ",{:.4}", r.seconds)?;
            match r.connected_pearson {
                Some(p) => writeln!(out, ",{p}")?,
                None => writeln!(out, ",")?,
            }
        }
        Ok(())
    }
}
