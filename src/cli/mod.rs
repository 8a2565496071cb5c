//! Command-line interface: argument definitions and dispatch.

mod compare;
pub mod console;
mod demo;
#[cfg(test)]
mod docs;
mod evaluate;
mod fit;
mod generate;
pub mod memory;
mod paths;
mod progress;
mod sample;
mod signals;
mod thermo;

use std::path::PathBuf;

use crate::cli::console::Shown;
use clap::{Args, Parser, Subcommand};
use spinfer::{
    data::Layout, init::Init, optim::OptimizerKind, solve::SolverKind, validate::Split, Precision,
    Result,
};

/// Statistical inference of spin models (equilibrium and kinetic Ising) by Boltzmann learning.
#[derive(Parser, Debug)]
#[command(name = "spinfer", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum Command {
    /// Generate data from a planted model.
    Generate {
        #[command(subcommand)]
        what: generate::Generate,
    },
    /// Fit a model to data.
    Fit {
        #[command(subcommand)]
        what: fit::FitCommand,
    },
    /// Draw samples (equilibrium) or a time series (kinetic) from a model file.
    Sample(sample::SampleArgs),
    /// Log-likelihood of a model on data.
    Evaluate(evaluate::EvaluateArgs),
    /// A model against data: means, pair moments, connected correlations, triplets and
    /// (kinetic) lagged correlations from fresh samples, with Pearson r, slope, RMSE and
    /// distance per site.
    Compare(compare::CompareArgs),
    /// Specific heat C(T), log Z and entropy of an equilibrium model from a replica-exchange
    /// ladder.
    Thermo(thermo::ThermoArgs),
    /// The whole study on built-in data (a synthetic retina and a bursty recording, or
    /// --data FILE): report.md with its SVG figures.
    Demo(demo::DemoArgs),
}

/// Options shared by every fit.
#[derive(Args, Debug, Clone)]
pub struct CommonFit {
    /// Data file (text or .gz).
    pub data: PathBuf,
    /// Where to write the fitted model (JSON).
    #[arg(long)]
    pub out: PathBuf,
    /// Starting point: auto (for Monte Carlo equilibrium fits below 400 cells the
    /// pseudo-likelihood maximum unless the activity is collective or its chains from data
    /// states leave the data's activity, else J = 0; TAP for kinetic L-BFGS fits), J = 0
    /// with independent-cell fields, naive mean field, TAP, or the pseudo-likelihood
    /// maximum (equilibrium only).
    #[arg(long, value_enum, default_value = "auto")]
    pub init: Init,
    /// How the maximum is sought: auto (L-BFGS or row-wise Newton for exact objectives,
    /// first-order steps for Monte Carlo ones), gradient (first-order steps with
    /// --optimizer), lbfgs, or newton (asymmetric kinetic models and pseudo-likelihood).
    #[arg(long, value_enum, default_value = "auto")]
    pub solver: SolverKind,
    /// Layout of the data file.
    #[arg(long, value_enum, default_value = "spins-by-samples")]
    pub layout: Layout,
    /// Optimiser of first-order steps (--solver gradient, and Monte Carlo fits)
    /// [default: adam (ising), sgd with centring (kinetic)].
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerKind>,
    /// Learning rate of first-order steps [default: 0.02 (ising), 1 (kinetic)].
    #[arg(long, allow_hyphen_values = true)]
    pub lr: Option<f64>,
    /// Maximum iterations [default: 1000].
    #[arg(long)]
    pub iters: Option<usize>,
    /// L1 penalty λ₁ on couplings (unsupported couplings become exactly 0).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub l1: f64,
    /// L2 penalty λ₂ on couplings.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub l2: f64,
    /// L1 penalty on fields.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub l1_fields: f64,
    /// L2 penalty on fields.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub l2_fields: f64,
    /// Stop when max |gradient| falls to this [default: 1e-8 (ising), 1e-5 (kinetic)].
    #[arg(long, allow_hyphen_values = true)]
    pub tol: Option<f64>,
    /// Scalar precision.
    #[arg(long, value_enum, default_value = "f64")]
    pub precision: Precision,
    /// Write one CSV row per iteration here.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Save the fit's state here (atomically) to resume it later with --resume.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Iterations between checkpoints.
    #[arg(long, default_value_t = spinfer::workflow::FitJob::CHECKPOINT_EVERY)]
    pub checkpoint_every: usize,
    /// Stop after this many iterations in all, as if interrupted: the checkpoint (if any) is
    /// kept and the current parameters are written; continue later with --resume.
    #[arg(long)]
    pub stop_after: Option<usize>,
    /// Continue a fit from a checkpoint: same data file; the checkpoint's settings are used
    /// (--iters may change the budget).
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Fit on one part of the data and report the log-likelihood on the other: first vs
    /// second half, or even vs odd samples (transitions for kinetic fits).
    #[arg(long, value_enum)]
    pub split: Option<Split>,
    /// Write figures (learning curve; inferred vs true with --truth) into this directory.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// The true model (JSON), when the data were generated from one: adds an inferred vs
    /// true figure to --plot and the RMSE to the report.
    #[arg(long)]
    pub truth: Option<PathBuf>,
}

impl CommonFit {
    /// Checks every path of a fit before any work (see [`paths::check`]).
    pub fn check_paths(&self) -> Result<()> {
        use paths::Named;
        let mut all = vec![
            Named::input("DATA", &self.data),
            Named::file("--out", &self.out),
        ];
        let optional = [
            (&self.trace, "--trace", paths::Use::File),
            (&self.checkpoint, "--checkpoint", paths::Use::File),
            (&self.plot, "--plot", paths::Use::Directory(fit::PLOT_FILES)),
            (&self.truth, "--truth", paths::Use::Input),
        ];
        for (path, flag, used) in optional {
            if let Some(path) = path {
                all.push(Named { flag, path, used });
            }
        }
        // A resumed fit reads its checkpoint and may write it again in place.
        if let Some(resume) = &self.resume {
            if self.checkpoint.as_ref() != Some(resume) {
                all.push(Named::input("--resume", resume));
            }
        }
        paths::check(&all)
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    // A fit stops at its next iteration on a signal (see `fit`); the others exit at once.
    if !matches!(cli.command, Command::Fit { .. }) {
        signals::exit_on_signal().map_err(|e| spinfer::Error::io("signal handlers", e))?;
    }
    memory::phase(match &cli.command {
        Command::Generate { .. } => "generating",
        Command::Fit { .. } => "fitting",
        Command::Sample(_) => "sampling",
        Command::Evaluate(_) => "evaluating",
        Command::Compare(_) => "comparing",
        Command::Thermo(_) => "computing the thermodynamics",
        Command::Demo(_) => "running the demo",
    });
    match cli.command {
        Command::Generate { what } => generate::run(what),
        Command::Fit { what } => fit::run(what),
        Command::Sample(args) => sample::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Thermo(args) => thermo::run(args),
        Command::Demo(args) => demo::run(args),
    }
}

/// Reads a model file and a data file and checks that they have the same number of spins.
fn model_and_data(
    model: &std::path::Path,
    data: &std::path::Path,
    layout: Layout,
) -> Result<(spinfer::data::ModelFile, spinfer::Raster)> {
    let file = memory::read_model(model)?;
    let raster = memory::read_raster(data, layout)?;
    if raster.n_spins() != file.n {
        return Err(spinfer::Error::Shape(format!(
            "{} has {} spins but {} has {}",
            model.shown(),
            file.n,
            data.shown(),
            raster.n_spins()
        )));
    }
    Ok((file, raster))
}
