//! `spinfer fit`: equilibrium or kinetic fits of a data file, with checkpoints.

mod ising;
mod kinetic;
mod output;

pub use output::PLOT_FILES;

use clap::{Args, Subcommand};
use spinfer::{
    data::ModelKind,
    fit::FitChoices,
    objective::Penalty,
    workflow::{FitJob, FitSettings},
    Error, Result,
};

use super::CommonFit;
use crate::cli::console::Shown;

#[derive(Subcommand, Debug)]
pub enum FitCommand {
    /// Equilibrium Ising model: Boltzmann learning (or the pseudo-likelihood).
    Ising(IsingArgs),
    /// Kinetic Ising model (parallel Glauber): the exact likelihood of the time series.
    Kinetic(KineticArgs),
}

#[derive(Args, Debug)]
pub struct IsingArgs {
    #[command(flatten)]
    common: CommonFit,
    /// The model: pairwise (h, J), or k-pairwise (h, J and a potential V(K) on the number
    /// of active cells, Tkačik et al. 2014), learned the same way; its Monte Carlo fits
    /// stop when P(K) is as faithful as the means and pairs, and with --sampler exact (N <=
    /// 20) its maximum has the data's P(K).
    #[arg(long, value_enum, default_value = "pairwise")]
    model: spinfer::fit::EquilibriumModel,
    /// Model side of the gradient: auto (Metropolis chains while their diagnostics certify
    /// them, replica exchange from the first iteration where they do not), metropolis,
    /// gibbs, tempering (replica exchange) or exact (N <= 20).
    #[arg(long, value_enum, default_value = "auto")]
    sampler: spinfer::sample::SamplerKind,
    /// Monte Carlo samples per iteration at the start (they double when the gradient is
    /// mostly noise, up to --max-samples) [default: 10000].
    #[arg(long)]
    samples: Option<usize>,
    /// Largest Monte Carlo samples per iteration (equal to --samples: fixed samples)
    /// [default: 400000].
    #[arg(long)]
    max_samples: Option<usize>,
    /// Sweeps between samples [default: 1].
    #[arg(long)]
    sweeps: Option<usize>,
    /// Independent persistent chains [default: 16].
    #[arg(long)]
    chains: Option<usize>,
    /// Burn-in sweeps of fresh chains [default: 500].
    #[arg(long)]
    burn_in: Option<usize>,
    /// Seed of the chains.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Monte Carlo estimator of the moments: from the conditional means of each sample
    /// (rao-blackwell: unbiased, lower variance) or from the spins (plain).
    #[arg(long, value_enum, default_value = "rao-blackwell")]
    estimator: spinfer::fit::Estimator,
    /// Monte Carlo fits stop once the model's means and pair moments (from fresh samples)
    /// are within this multiple of the data's own split-half difference; 0 turns the rule
    /// off (the fit then runs its --iters) [default: 0.9].
    #[arg(long, allow_hyphen_values = true)]
    target_ratio: Option<f64>,
    /// Also stop once the Pearson correlation between the model's (Monte Carlo) and the
    /// data's connected correlations reaches this value, e.g. 0.95. It is read from each
    /// iteration's own samples, whose noise lowers it: check the result with `compare`.
    #[arg(long, allow_hyphen_values = true)]
    target_pearson: Option<f64>,
    /// What to maximise: the likelihood by Boltzmann learning, or the pseudo-likelihood
    /// (no sampling; L-BFGS from a row-wise Newton start).
    #[arg(long, value_enum, default_value = "boltzmann")]
    method: spinfer::fit::IsingMethod,
    /// Parameters the optimiser steps in: raw (h, J), or centred (h'_i = h_i + Σ_j J_ij m_j
    /// and J, directions scaled by 1/(1 − m²)) [default: centred, except raw first-order
    /// steps from --init zero].
    #[arg(long, value_enum)]
    stepping: Option<spinfer::fit::Stepping>,
}

#[derive(Args, Debug)]
pub struct KineticArgs {
    #[command(flatten)]
    common: CommonFit,
    /// Constrain J to be symmetric.
    #[arg(long)]
    symmetric: bool,
    /// Allow self-couplings J_ii.
    #[arg(long)]
    self_couplings: bool,
    /// The data are repeats of this many bins (953 for the salamander recording): no
    /// transition is counted from the last bin of a repeat to the first of the next.
    #[arg(long)]
    repeat_bins: Option<usize>,
}

pub fn run(what: FitCommand) -> Result<()> {
    // Before the data are read: from here on a signal is a clean stop (see `signals`).
    let common = match &what {
        FitCommand::Ising(a) => &a.common,
        FitCommand::Kinetic(a) => &a.common,
    };
    super::signals::install(
        common.checkpoint.clone(),
        common.trace.clone().map(|p| (p, objective_key(&what))),
    )
    .map_err(|e| Error::io("signal handlers", e))?;
    match what {
        FitCommand::Ising(a) => ising::run(a),
        FitCommand::Kinetic(a) => kinetic::run(a),
    }
}

impl CommonFit {
    /// The choices every fit shares, as the flags give them.
    fn choices(&self) -> FitChoices {
        FitChoices {
            solver: self.solver,
            init: self.init,
            optimizer: self.optimizer,
            lr: self.lr,
            iters: self.iters,
            tol: self.tol,
            penalty: Penalty {
                l1: self.l1,
                l2: self.l2,
                l1_fields: self.l1_fields,
                l2_fields: self.l2_fields,
            },
        }
    }
}

impl CommonFit {
    /// The job these flags ask for: `settings` checked now, before any data is read, or,
    /// with `--resume`, the checkpoint's settings (with `--iters` applied).
    fn job(&self, settings: impl FnOnce() -> FitSettings, kind: ModelKind) -> Result<FitJob> {
        if self.stop_after == Some(0) {
            return Err(Error::setting("stop-after", 0, ">= 1 iteration"));
        }
        let job = match &self.resume {
            Some(path) => FitJob::resume(path, kind, self.iters)?,
            None => FitJob::new(settings(), self.precision)?,
        };
        let truth = match &self.truth {
            Some(path) => Some(crate::cli::memory::read_model(path)?),
            None => None,
        };
        Ok(job
            .with_split(self.split)
            .with_checkpoint(self.checkpoint.clone(), self.checkpoint_every)?
            .with_truth(
                truth,
                self.truth
                    .as_ref()
                    .map(|p| p.shown().to_string())
                    .unwrap_or_default(),
            ))
    }
}

/// The key of the objective column of the fit's trace: the pseudo-likelihood method's own,
/// the log-likelihood otherwise.
fn objective_key(what: &FitCommand) -> &'static str {
    use spinfer::{fit::IsingMethod, objective::ObjectiveKind};
    match what {
        FitCommand::Ising(a) if a.method == IsingMethod::PseudoLikelihood => {
            ObjectiveKind::PseudoLogLikelihood.key()
        }
        _ => ObjectiveKind::LogLikelihood.key(),
    }
}
