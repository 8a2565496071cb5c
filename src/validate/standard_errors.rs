//! Standard errors of maximum-likelihood parameters from the Fisher information.
//!
//! For an exponential family P(s) ∝ exp(θ · φ(s)) the Fisher information of one observation
//! is I(θ) = Cov_θ(φ), so the maximum-likelihood estimate from M observations has the
//! asymptotic covariance I⁻¹ / M, and SE(θ̂_k) = √([Cov(φ)⁻¹]_kk / M). At the maximum the
//! model's moments are the data's, and Cov(φ) may be taken on the data, on model samples or
//! exactly ([`ExactDistribution::covariance`]).

use nalgebra::{DMatrix, DVector};

use crate::{sample::ExactDistribution, Error, Raster, Result, Statistics};

/// Largest number of parameters whose dense Fisher information is built (its d × d matrix:
/// 32 MB at this size).
pub const MAX_FISHER_PARAMETERS: usize = 2_000;

/// The covariance Cov(φ) of the statistics over the samples of `samples` (each sample one
/// observation, the 1/M normalisation of the maximum-likelihood estimate).
pub fn statistics_covariance(samples: &Raster, stats: &dyn Statistics) -> Result<DMatrix<f64>> {
    let dim = check_dim(stats.dim())?;
    let m = samples.n_samples();
    if m == 0 {
        return Err(Error::Shape(
            "no samples to estimate a covariance from".into(),
        ));
    }
    let mut mean = DVector::zeros(dim);
    let mut second = DMatrix::zeros(dim, dim);
    let mut phi = vec![0.0; dim];
    let mut s = vec![0; samples.n_spins()];
    for t in 0..m {
        samples.column_into(t, &mut s);
        phi.iter_mut().for_each(|v| *v = 0.0);
        stats.accumulate(&s, 1.0, &mut phi);
        let p = DVector::from_column_slice(&phi);
        mean += &p;
        second.ger(1.0, &p, &p, 1.0);
    }
    let m = m as f64;
    mean /= m;
    Ok(second / m - &mean * mean.transpose())
}

/// √(diag(Cov(φ)⁻¹) / M): the standard errors of parameters fitted by maximum likelihood to
/// `observations` samples, from the covariance of their statistics. Refused (naming the
/// cause) when the covariance is singular: some parameter is not identified by the data
/// (a constant cell, two cells that always agree).
///
/// ```
/// use spinfer::prelude::*;
/// use spinfer::validate::{standard_errors, statistics_covariance};
///
/// let mut rng = spinfer::seeded(2);
/// let truth: Ising<f64> = Ising::planted(5, &mut rng);
/// let exact = ExactDistribution::new(&truth).unwrap();
/// let stats = PairStatistics::new(5);
/// let se = standard_errors(&exact.covariance(&stats).unwrap(), 10_000).unwrap();
/// let from_data = statistics_covariance(&exact.sample(10_000, &mut rng), &stats).unwrap();
/// let estimated = standard_errors(&from_data, 10_000).unwrap();
/// assert!(se.iter().zip(estimated.iter()).all(|(a, b)| (a - b).abs() < 0.2 * a));
/// ```
pub fn standard_errors(covariance: &DMatrix<f64>, observations: usize) -> Result<DVector<f64>> {
    if !covariance.is_square() || covariance.iter().any(|v| !v.is_finite()) {
        return Err(Error::Shape(
            "the covariance of the statistics must be a finite square matrix".into(),
        ));
    }
    if observations == 0 {
        return Err(Error::setting("observations", 0, ">= 1"));
    }
    let cholesky = covariance.clone().cholesky().ok_or_else(|| {
        Error::Shape(
            "the covariance of the statistics is singular: some parameter is not identified \
             by the data (a constant cell, or cells that always agree)"
                .into(),
        )
    })?;
    let inverse = cholesky.inverse();
    Ok(inverse.diagonal().map(|v| (v / observations as f64).sqrt()))
}

fn check_dim(dim: usize) -> Result<usize> {
    if dim > MAX_FISHER_PARAMETERS {
        return Err(Error::setting(
            "parameters",
            dim,
            format!("<= {MAX_FISHER_PARAMETERS} for a dense Fisher information"),
        ));
    }
    Ok(dim)
}

impl ExactDistribution {
    /// The exact covariance Cov(φ) = Σ_s P(s) φ(s) φ(s)ᵀ − ⟨φ⟩⟨φ⟩ᵀ of the statistics
    /// (the Fisher information of one observation).
    pub fn covariance(&self, stats: &dyn Statistics) -> Result<DMatrix<f64>> {
        let dim = check_dim(stats.dim())?;
        let n = self.n_spins();
        let mut mean = DVector::zeros(dim);
        let mut second = DMatrix::zeros(dim, dim);
        let mut phi = vec![0.0; dim];
        let mut s = vec![0; n];
        for k in 0..(1usize << n) {
            for (i, v) in s.iter_mut().enumerate() {
                *v = if (k >> i) & 1 == 1 { 1 } else { -1 };
            }
            let p = self.log_prob(&s).exp();
            phi.iter_mut().for_each(|v| *v = 0.0);
            stats.accumulate(&s, 1.0, &mut phi);
            let f = DVector::from_column_slice(&phi);
            mean.axpy(p, &f, 1.0);
            second.ger(p, &f, &f, 1.0);
        }
        Ok(second - &mean * mean.transpose())
    }
}
