//! Validation of fitted models: held-out splits, likelihoods, and model-versus-data
//! comparisons of moments, triplets and lagged correlations.

pub mod compare;
pub mod likelihood;
pub mod params;
pub mod split;
pub mod standard_errors;

pub use compare::{
    agreement, rmse, upper_triangle, Agreement, Comparison, FreshSamples, StatisticComparison,
};
pub use likelihood::{
    ais_scores, ais_scores_of, equilibrium_score, flip_pseudo_log_likelihood, ising_score,
    kinetic_log_likelihood, kinetic_score, ladder_scores_of, pseudo_log_likelihood, Measure, Score,
};
pub use params::Params;
pub use split::Split;
pub use standard_errors::{standard_errors, statistics_covariance, MAX_FISHER_PARAMETERS};
