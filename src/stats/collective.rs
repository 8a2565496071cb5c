//! How collective the activity of samples is: the variance of the population sum against
//! that of independent cells. It decides the automatic start of equilibrium fits
//! ([`crate::fit::start::resolve_ising`]) and whether fresh samples need replica exchange
//! ([`crate::sample::FreshSamples`]).

use crate::Raster;

/// [`pair_collectivity`] above which the automatic start is the independent cells: the
/// synthetic retina has 0.018 at 160 cells and 0.020 at 1,000 (`generate retina --cells
/// 1000 --seed 3`), the bursty recordings 0.27–0.30 (`generate bursts --seed 1, 2`).
pub const COLLECTIVE_ABOVE: f64 = 0.1;

/// [`collectivity`] per pair of cells, (c − 1) / (N − 1): the mean over pairs of the
/// covariance of two cells relative to their variances, which does not grow with the
/// number of cells as c does (c = 1 + (N − 1) × this for cells of equal variance). A rule on
/// c itself took the 1,000-cell synthetic retina (c = 20.8) for bursty data.
pub fn pair_collectivity(data: &Raster) -> f64 {
    let n = data.n_spins();
    if n < 2 {
        return 0.0;
    }
    (collectivity(data) - 1.0) / (n - 1) as f64
}

/// How collective the activity of `data` is: the variance of the population sum
/// M = Σ_i s_i over the variance it would have for independent cells with the same means,
/// Var(M) / Σ_i (1 − ⟨s_i⟩²).
///
/// The pseudo-likelihood start and centred steps both treat cells as nearly independent
/// given the rest (centred steps precondition every direction by 1/(1 − m_i²)); along the
/// collective direction (every field at once) the curvature is this factor larger, and
/// both overshoot where it is large. Measured: the synthetic retina 3.3–3.8 (`generate
/// retina --seed 1, 4`), where the pseudo-likelihood start with centred steps is faithful
/// in 210–250 iterations and raw steps from J = 0 did not get there in 1,000 on seed 11;
/// the bursty recordings 28–31 (`generate bursts --seed 1, 2`), where it is the other way
/// round.
pub fn collectivity(data: &Raster) -> f64 {
    let (n, t) = (data.n_spins() as f64, data.n_samples().max(1) as f64);
    let ups = data.column_up_counts();
    let mean = ups.iter().map(|&k| k as f64).sum::<f64>() / t;
    let var_k = ups.iter().map(|&k| (k as f64 - mean).powi(2)).sum::<f64>() / t;
    let independent: f64 = data
        .up_counts()
        .iter()
        .map(|&u| {
            let m = 2.0 * u as f64 / t - 1.0;
            1.0 - m * m
        })
        .sum();
    if independent > 0.0 && n > 0.0 {
        4.0 * var_k / independent
    } else {
        1.0
    }
}
