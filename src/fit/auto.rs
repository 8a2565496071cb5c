//! The automatic solver choice (`--solver auto`, the default).
//!
//! * Monte Carlo objectives (Boltzmann learning with Metropolis or Gibbs chains): first-order
//!   steps ([`crate::solve::Stochastic`]) with iterate averaging and growing samples: the
//!   gradient is noisy, and a line search on noisy values would be meaningless.
//! * Exact objectives (enumeration, pseudo-likelihood, the kinetic likelihood): L-BFGS
//!   ([`crate::solve::Lbfgs`]), except for asymmetric kinetic likelihoods (and the start of
//!   the pseudo-likelihood) where row-wise Newton ([`crate::solve::RowNewton`]) is predicted
//!   faster: see [`newton_wins`].

use crate::{init::Init, solve::SolverKind, Transitions};

use super::{IsingFitSettings, IsingMethod, KineticFitSettings};

/// The solver of an equilibrium fit whose model averages are exact (`exact_averages`: the
/// exact sampler, or any sampler whose [`crate::sample::Sampler::is_exact`] says so) or
/// Monte Carlo estimates.
pub fn ising(settings: &IsingFitSettings, exact_averages: bool) -> SolverKind {
    match settings.solver {
        SolverKind::Auto => match settings.method {
            IsingMethod::PseudoLikelihood => SolverKind::Lbfgs,
            IsingMethod::Boltzmann if exact_averages => SolverKind::Lbfgs,
            IsingMethod::Boltzmann => SolverKind::Gradient,
        },
        chosen => chosen,
    }
}

/// The solver of a kinetic fit on `data`.
pub fn kinetic(settings: &KineticFitSettings, data: &Transitions) -> SolverKind {
    match settings.solver {
        SolverKind::Auto => {
            let newton_possible = !settings.options.symmetric
                && !settings.penalty.has_l1()
                && matches!(settings.init, Init::Auto | Init::Zero);
            if newton_possible && newton_wins(data) {
                SolverKind::Newton
            } else {
                SolverKind::Lbfgs
            }
        }
        chosen => chosen,
    }
}

/// Whether row-wise Newton is predicted to reach the optimum of an asymmetric kinetic
/// likelihood sooner than L-BFGS.
///
/// A Newton iteration costs one pass that accumulates every row's curvature from the pairs
/// of listed cells (T k² N / 2 additions for k listed cells per transition) plus a
/// Cholesky solve per row (N³ / 3 each), and converges in about 6–10 iterations; an L-BFGS
/// iteration costs one or two passes of T (2 k N + N) operations and takes 30–100
/// iterations. Newton therefore wins on sparse data of moderate N and loses on dense data
/// (k ≈ N/2) or large N. The thresholds come from `cargo run --release --example solvers
/// -- rule` (docs/fitting.md, "Solvers and defaults"): Newton won at every measured size up to N = 400 with at
/// most 14 listed cells per bin, and lost from about 20 (N = 60) or 40 (N = 200) on.
pub fn newton_wins(data: &Transitions) -> bool {
    newton_wins_on(data.before())
}

/// [`newton_wins`] for the transitions whose sources are `sources` (the self-transitions
/// of the pseudo-likelihood: the samples themselves), without building them.
pub fn newton_wins_on(sources: &crate::Raster) -> bool {
    let n = sources.n_spins();
    let density = sources.density();
    let listed = density.min(1.0 - density) * n as f64;
    n <= NEWTON_MAX_SPINS && listed <= NEWTON_MAX_LISTED
}

/// Largest N for which Newton is chosen.
pub const NEWTON_MAX_SPINS: usize = 400;

/// Largest mean number of listed (active, or silent if fewer) cells per transition for
/// which Newton is chosen.
pub const NEWTON_MAX_LISTED: f64 = 16.0;
