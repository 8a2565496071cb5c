//! Pseudo-likelihood maximisation for the equilibrium model.
//!
//! The pseudo-log-likelihood Σ_i ⟨log P(s_i | s_{∖i})⟩ with P(s_i | s_{∖i}) ∝ exp(s_i f_i),
//! f_i = h_i + Σ_{j≠i} J_ij s_j, is the kinetic log-likelihood of the self-transitions s → s
//! without self-couplings. Maximised without the symmetry constraint it separates into one
//! logistic regression per cell, which [`super::row_newton`] solves by Newton's method in a
//! few passes over the data; the estimate is then symmetrised, J ← (J + Jᵀ)/2 (the "asymmetric"
//! pseudo-likelihood of Aurell & Ekeberg, Phys. Rev. Lett. 108, 090201, 2012). Like the
//! symmetric maximiser it is consistent: it converges to the true parameters as M → ∞; no
//! sampling is involved.

use crate::{
    fit::Fit,
    init::row_newton::{fit_weighted_rows, RowNewtonSettings},
    model::Energy,
    Ising, Raster, Real, Result, Transitions,
};

/// Settings of the pseudo-likelihood solver: no penalty, Newton steps until every
/// |∂/∂h_i| and |∂/∂J_ij| of the pseudo-log-likelihood per sample is below 10⁻⁹.
pub fn settings() -> RowNewtonSettings {
    RowNewtonSettings {
        self_couplings: false,
        ..Default::default()
    }
}

/// Settings of the pseudo-likelihood warm start for Boltzmann learning: an L2 penalty
/// λ₂ = 0.1 on the couplings (plmDCA also penalises) and a looser tolerance, 10⁻³: the
/// moments that Boltzmann learning then estimates by Monte Carlo carry standard errors of
/// about 1/√(samples) ≈ 0.005 at 50,000 samples per iteration, so solving the start more
/// precisely buys nothing.
///
/// Unpenalised pseudo-likelihood on sparse recordings with strong common input overestimates
/// the couplings: the resulting equilibrium model sits in a high-activity phase, and
/// Boltzmann learning started there first has to find its way back. The penalty keeps the
/// start in the data's phase.
pub fn warm_start_settings() -> RowNewtonSettings {
    RowNewtonSettings {
        l2: 0.1,
        tol: 1e-3,
        ..settings()
    }
}

/// Maximises the pseudo-likelihood of `data` under `settings` (whose `self_couplings` is
/// ignored: an equilibrium model has none). The history's log-likelihood is the penalised
/// pseudo-log-likelihood per sample of the unsymmetrised rows.
pub fn fit_pseudo_likelihood<T: Real>(
    data: &Raster,
    settings: &RowNewtonSettings,
) -> Result<Fit<Ising<T>>> {
    let settings = RowNewtonSettings {
        self_couplings: false,
        ..*settings
    };
    // Repeated states enter once with their count.
    let (distinct, counts) = data.distinct();
    let rows = fit_weighted_rows(&Transitions::identity(&distinct), Some(&counts), &settings)?;
    let n = data.n_spins();
    let h = rows.fields.map(T::cast);
    let j = rows
        .couplings
        .map(|v| T::cast(0.5 * v))
        .zip_map(&rows.couplings.transpose(), |a, b| a + T::cast(0.5 * b));
    let model = Ising::new(h, j)?;
    debug_assert_eq!(model.n_spins(), n);
    Ok(Fit {
        outcome: rows.outcome(),
        model,
        history: rows.history,
        constant_cells: crate::fit::constant_cells(data),
        chains: None,
    })
}
