//! Pseudo-likelihood maximisation for the equilibrium model.
//!
//! The pseudo-log-likelihood Σ_i ⟨log P(s_i | s_{∖i})⟩ with P(s_i | s_{∖i}) ∝ exp(s_i f_i),
//! f_i = h_i + Σ_{j≠i} J_ij s_j, is the kinetic log-likelihood of the self-transitions s → s
//! with J symmetric and no self-couplings. So the solver is the kinetic fit, exact and
//! concave, on [`Transitions::identity`]: no sampling, and consistent (it converges to the
//! true parameters as M → ∞).

use crate::{
    fit::{fit_kinetic_with, Fit, FitControl, KineticFitSettings},
    learn::Observer,
    model::{Energy, KineticOptions},
    Ising, Raster, Real, Result, Transitions,
};

/// Settings of the pseudo-likelihood solver: the kinetic defaults (centred, preconditioned
/// gradient with adaptive steps) on a symmetric model without self-couplings.
pub fn settings() -> KineticFitSettings {
    KineticFitSettings {
        options: KineticOptions {
            symmetric: true,
            self_couplings: false,
        },
        ..Default::default()
    }
}

/// Settings of the pseudo-likelihood warm start for Boltzmann learning: an L2 penalty
/// λ₂ = 0.1 on the couplings (plmDCA also penalises) and at most 100 iterations.
///
/// Unpenalised pseudo-likelihood on sparse recordings with strong common input overestimates
/// the couplings: the resulting equilibrium model sits in a high-activity phase, and
/// Boltzmann learning started there first has to find its way back. The small penalty keeps
/// the start in the data's phase (on the 160-cell synthetic retina, unpenalised or with
/// λ₂ = 0.01 the chains run to all-active and the connected-correlation Pearson r starts at
/// 0.00; with λ₂ = 0.1 it starts at 0.75), and a start need not be converged to the last
/// digit.
pub fn warm_start_settings() -> KineticFitSettings {
    let mut s = settings();
    s.penalty.l2 = 0.1;
    s.learn.max_iters = 100;
    s.learn.grad_tol = 1e-4;
    s
}

/// Maximises the pseudo-likelihood of `data`. The returned history's log-likelihood is the
/// pseudo-log-likelihood per sample.
pub fn fit_pseudo_likelihood<T: Real>(
    data: &Raster,
    settings: &KineticFitSettings,
    observer: &mut dyn Observer<T>,
) -> Result<Fit<Ising<T>>> {
    let mut settings = settings.clone();
    settings.options = KineticOptions {
        symmetric: true,
        self_couplings: false,
    };
    let fit = fit_kinetic_with::<T>(
        &Transitions::identity(data),
        &settings,
        None,
        observer,
        &mut FitControl::default(),
    )?;
    let n = data.n_spins();
    let j = fit.model.couplings().clone_owned();
    // The kinetic projection keeps J exactly symmetric with a zero diagonal.
    let model = Ising::new(fit.model.fields().clone_owned(), j)?;
    debug_assert_eq!(model.n_spins(), n);
    Ok(Fit {
        model,
        history: fit.history,
        outcome: fit.outcome,
        constant_cells: fit.constant_cells,
        chains: None,
    })
}
