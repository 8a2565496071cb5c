//! What a fit maximises: the value (when exact) and the gradient of a penalised
//! log-likelihood, from a model's [`Sampler`](crate::Sampler) and
//! [`Statistics`](crate::Statistics).
//!
//! The loop is argmin's shape: an [`Objective`] says what is maximised, a
//! [solver](crate::solve) says how one step is taken, and the [executor](crate::learn) says
//! when to stop and what to record.

pub mod likelihood;
pub mod penalty;

use nalgebra::DVector;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::{
    model::{Centering, Energy, ParamGroup},
    record::Record,
    sample::ChainDiagnostics,
    Real, Result,
};

pub use likelihood::Likelihood;
pub use penalty::{l1_subgradient, soft_threshold, Penalty};

/// Which function an objective is, for reports and model files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectiveKind {
    /// The log-likelihood per observation (per sample, or per transition for kinetic
    /// models).
    #[default]
    LogLikelihood,
    /// The pseudo-log-likelihood per sample Σ_i ⟨log P(s_i | s_∖i)⟩.
    PseudoLogLikelihood,
}

impl ObjectiveKind {
    /// The name in words ("log-likelihood", "pseudo-log-likelihood").
    pub fn name(self) -> &'static str {
        match self {
            ObjectiveKind::LogLikelihood => "log-likelihood",
            ObjectiveKind::PseudoLogLikelihood => "pseudo-log-likelihood",
        }
    }

    /// The name as a column or key ("log_likelihood", "pseudo_log_likelihood").
    pub fn key(self) -> &'static str {
        match self {
            ObjectiveKind::LogLikelihood => "log_likelihood",
            ObjectiveKind::PseudoLogLikelihood => "pseudo_log_likelihood",
        }
    }
}

/// The objective at one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// ∇ of the smooth part (the likelihood minus the L2 penalty), projected onto the
    /// model's constraints. The L1 part is left to the solver.
    pub gradient: DVector<f64>,
    /// The penalised objective (L1 and L2 included) when it is known exactly.
    pub value: Option<f64>,
    /// The standard error of each gradient entry when the model side is a Monte Carlo
    /// estimate.
    pub std_error: Option<DVector<f64>>,
    /// The Pearson r between the model's and the data's connected correlations, when the
    /// statistics define them.
    pub connected_pearson: Option<f64>,
    /// Monte Carlo samples behind the model side.
    pub samples: Option<usize>,
}

/// What a [solver](crate::solve) works on and the [executor](crate::learn) checkpoints:
/// the scalar of its parameters and the state it keeps besides the solver's own.
pub trait Problem: Send {
    /// The scalar of the parameters (`f32` or `f64`).
    type Scalar: Real;

    /// What a checkpoint keeps of the problem (for an objective: the parameters and the
    /// sampler's chains and generators).
    type State: Clone + Send + Serialize + DeserializeOwned;

    /// The state to save.
    fn state(&self) -> Self::State;

    /// Restores a saved state.
    fn restore(&mut self, state: Self::State) -> Result<()>;
}

impl Evaluation {
    /// Validates an evaluation restored from a checkpoint, for `dim` parameters.
    pub fn check_restored(&self, dim: usize) -> Result<()> {
        use crate::restored::{check_len, check_vector};
        check_len("cached gradient", self.gradient.len(), dim)?;
        if let Some(se) = &self.std_error {
            check_vector("cached standard errors", se, dim)?;
        }
        Ok(())
    }

    /// ‖g‖² / Σ_k SE_k² when the gradient has standard errors: about 1 (or less) when the
    /// gradient is all Monte Carlo noise.
    pub fn signal_to_noise(&self) -> Option<f64> {
        let se = self.std_error.as_ref()?;
        let noise: f64 = se.iter().map(|s| s * s).sum();
        let signal: f64 = self.gradient.iter().map(|g| g * g).sum();
        (noise > 0.0).then(|| signal / noise)
    }
}

/// Something to maximise over a model's parameters, evaluated one point at a time.
///
/// [`Likelihood`] implements it for every model, statistics and sampler; the first-order
/// and quasi-Newton solvers only see this trait.
///
/// ```
/// use spinfer::prelude::*;
///
/// // The exact log-likelihood of 1,000 samples of a planted model, at J = 0.
/// let mut rng = spinfer::seeded(2);
/// let truth = Ising::<f64>::planted(4, &mut rng);
/// let data = ExactDistribution::new(&truth).unwrap().sample(1000, &mut rng);
/// let stats = PairStatistics::new(4);
/// let start = Ising::<f64>::zeros(4);
/// let mut objective = Likelihood::new(start, stats, ExactSampler, &data).unwrap();
/// let at_zero = objective.evaluate().unwrap();
/// // L(0) = −N log 2 for any data; the gradient is the data's moments.
/// assert!((at_zero.value.unwrap() + 4.0 * 2f64.ln()).abs() < 1e-12);
/// assert!(objective.is_exact());
/// ```
pub trait Objective: Problem {
    /// The model whose parameters are optimised.
    type Model: Energy<Self::Scalar>;

    /// The model at the current parameters.
    fn model(&self) -> &Self::Model;

    /// Replaces the parameters (the constraints are re-imposed).
    fn set_params(&mut self, params: &DVector<Self::Scalar>);

    /// The objective at the current parameters.
    fn evaluate(&mut self) -> Result<Evaluation>;

    /// Whether values and gradients are exact (no Monte Carlo noise).
    fn is_exact(&self) -> bool;

    /// Which function this is.
    fn kind(&self) -> ObjectiveKind;

    /// The penalty included in the objective.
    fn penalty(&self) -> &Penalty;

    /// The centred parametrisation of the model, when set (see [`Centering`]).
    fn centering(&self) -> Option<&Centering>;

    /// Monte Carlo samples per evaluation, when the model side is sampled.
    fn samples(&self) -> Option<usize>;

    /// Changes the Monte Carlo samples per evaluation.
    fn set_samples(&mut self, samples: usize) -> Result<()>;

    /// Equilibration diagnostics of the last evaluation's chains.
    fn diagnostics(&self) -> Option<ChainDiagnostics>;
}

/// max |∂| per parameter group of the objective: the gradient, with the L1 penalty's
/// smallest subgradient added (0 for a parameter held at zero by it).
pub fn optimality(
    groups: &[ParamGroup],
    params: &[f64],
    gradient: &DVector<f64>,
    penalty: &Penalty,
) -> Vec<(String, f64)> {
    groups
        .iter()
        .map(|g| {
            let (l1, _) = penalty.strengths(g);
            let max = g.range.clone().fold(0.0f64, |m, k| {
                let v = gradient[k];
                let v = if l1 > 0.0 {
                    l1_subgradient(v, params[k], l1)
                } else {
                    v
                };
                m.max(v.abs())
            });
            (g.name.to_string(), max)
        })
        .collect()
}

/// The record of an evaluation at iteration `iteration` (seconds are filled in by the
/// executor).
pub fn record<O: Objective + ?Sized>(
    objective: &O,
    evaluation: &Evaluation,
    iteration: usize,
) -> Record {
    let model = objective.model();
    let params: Vec<f64> = model.params().iter().map(|v| v.as_f64()).collect();
    Record {
        iteration,
        max_gradient: optimality(
            &model.groups(),
            &params,
            &evaluation.gradient,
            objective.penalty(),
        ),
        objective: evaluation.value,
        seconds: 0.0,
        connected_pearson: evaluation.connected_pearson,
        samples: evaluation.samples,
        signal_to_noise: evaluation.signal_to_noise(),
    }
}

/// The parameters as f64.
pub(crate) fn params_f64<T: Real>(params: &DVector<T>) -> DVector<f64> {
    params.map(|v| v.as_f64())
}
