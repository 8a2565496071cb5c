//! What a fit hands back to its front end: the model file with its metrics, the history,
//! and the lines it ends with; or, when it failed, the error and the last finite model.

use crate::{
    data::{ModelFile, ModelKind},
    fit::{Summary, Timings},
    learn::{History, Outcome},
    sample::ChainDiagnostics,
    solve::SolverKind,
    stats::Faithfulness,
    validate::Score,
    Error,
};

/// A finished fit.
#[derive(Clone, Debug)]
pub struct Report {
    /// The fitted model with its settings, metrics and labels, as it is saved.
    pub file: ModelFile,
    /// Per-iteration records (the `--trace` rows).
    pub history: History,
    /// The solver that ran (never [`SolverKind::Auto`]).
    pub solver: SolverKind,
    /// Why the loop ended.
    pub outcome: Outcome,
    /// How the fit ended, at the saved parameters.
    pub summary: Summary,
    /// Monte Carlo fits: the saved model against the data, from fresh samples.
    pub faithfulness: Option<Faithfulness>,
    /// Equilibration diagnostics of the last Monte Carlo chains.
    pub chains: Option<ChainDiagnostics>,
    /// Every warning about the data and the fit.
    pub warnings: Vec<String>,
    /// The warnings known before the fit started (shown then by a front end).
    pub early_warnings: Vec<String>,
    /// The training score.
    pub train_score: Score,
    /// The held-out score, with a split.
    pub held_out_score: Option<Score>,
    /// RMSE of the fields and of the couplings against the true model, when given.
    pub rmse: Option<(f64, f64)>,
    /// Where the time went, reading and scoring included.
    pub timings: Timings,
}

impl Report {
    /// The iterations the fit ran.
    pub fn iterations(&self) -> usize {
        self.history.records.len().saturating_sub(1)
    }

    /// The lines a fit ends with: how it ended; for Monte Carlo fits how well the model
    /// reproduces the data; the scores; the distance to the true model; where the time
    /// went.
    pub fn closing_lines(&self) -> Vec<String> {
        let s = &self.summary;
        let kind = match self.file.kind {
            ModelKind::Ising => "Ising",
            ModelKind::Kinetic => "Kinetic",
            ModelKind::KPairwise => "K-pairwise",
        };
        let mut first = format!(
            "fitted {kind} model ({} spins) by {}: {} iterations, {}, max|grad| {:.2e}",
            self.file.n,
            self.solver.name(),
            self.iterations(),
            if s.converged {
                "converged".to_string()
            } else {
                format!("not converged ({:?})", self.outcome)
            },
            s.max_gradient
        );
        if let Some(v) = s.value {
            first.push_str(&format!(", {} {v:.6}", s.objective.name()));
        }
        let mut lines = vec![first];
        if let Some(f) = &self.faithfulness {
            lines.push(format!(
                "model vs data ({} fresh samples): RMSE of means {:.2e} = {:.2}× the data's \
                 split-half difference, of pairs {:.2e} = {:.2}×{}",
                f.samples,
                f.means,
                f.means_ratio,
                f.pairs,
                f.pairs_ratio,
                f.activity_ratio
                    .map_or(String::new(), |a| format!(", of P(K) {a:.2}×"))
            ));
        }
        let unit = self.train_score.measure.describe();
        lines.push(match &self.held_out_score {
            Some(h) => format!(
                "{unit}: training {:.6}, held out {:.6}",
                self.train_score.value, h.value
            ),
            None => format!("{unit}: {:.6}", self.train_score.value),
        });
        if let Some((h, j)) = self.rmse {
            lines.push(format!("against the true model: RMSE h {h:.4}, J {j:.4}"));
        }
        lines.push(self.timings.describe());
        lines
    }

    /// The warning that the model side of the gradient was not certified, when it was not.
    pub fn chains_warning(&self) -> Option<String> {
        self.chains.and_then(|c| c.warning())
    }
}

/// A fit that ended in an error: the error, and when it diverged the last model whose
/// objective was finite (with the settings and the iteration of the divergence in its
/// file), for a front end to save or hand back.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub error: Error,
    /// The last model with a finite objective, when the fit diverged.
    pub last_finite: Option<Box<ModelFile>>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            last_finite: None,
        }
    }
}
