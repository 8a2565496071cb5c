//! The penalised log-likelihood of an exponential-family model, from its statistics and
//! sampler.

use std::marker::PhantomData;

use nalgebra::DVector;
use serde::{Deserialize, Serialize};

use super::{params_f64, Evaluation, Objective, ObjectiveKind, Penalty, Problem};
use crate::{
    model::{Centering, Energy},
    raster::Raster,
    sample::{ChainDiagnostics, Sampler},
    stats::pearson,
    Error, Real, Result, Statistics,
};

/// L(θ) = θ · ⟨φ⟩_data − A(θ) − penalty(θ), with ∇L = ⟨φ⟩_data − ⟨φ⟩_θ − λ₂ θ.
///
/// The data statistics are computed once; each evaluation asks the sampler for the model
/// statistics. The value is known when the sampler knows A(θ) (exact enumeration, the
/// kinetic model's exact conditional expectation); otherwise only the gradient, with a
/// Monte Carlo standard error.
///
/// ```
/// use spinfer::prelude::*;
///
/// let data = Raster::from_configurations(2, [&[1, 1][..], &[1, -1][..], &[-1, -1][..]]);
/// let mut objective =
///     Likelihood::new(Ising::<f64>::zeros(2), PairStatistics::new(2), ExactSampler, &data)
///         .unwrap();
/// let at_zero = objective.evaluate().unwrap();
/// // L(0) = −N log 2, and the gradient is the data's ⟨s_1⟩, ⟨s_2⟩, ⟨s_1 s_2⟩.
/// assert!((at_zero.value.unwrap() + 2.0 * 2f64.ln()).abs() < 1e-12);
/// assert!((at_zero.gradient[0] - 1.0 / 3.0).abs() < 1e-12);
/// ```
pub struct Likelihood<T, M, S, X>
where
    T: Real,
    M: Energy<T>,
    S: Statistics,
    X: Sampler<T, M>,
{
    model: M,
    stats: S,
    sampler: X,
    data_stats: DVector<f64>,
    data_connected: Option<Vec<f64>>,
    penalty: Penalty,
    centering: Option<Centering>,
    kind: ObjectiveKind,
    scalar: PhantomData<T>,
}

/// What a checkpoint keeps of a [`Likelihood`]: its parameters and its sampler's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "T: Serialize, X: Serialize",
    deserialize = "T: serde::de::DeserializeOwned, X: serde::de::DeserializeOwned"
))]
pub struct LikelihoodState<T: Real, X> {
    /// The parameters θ.
    pub params: DVector<T>,
    /// The sampler's state.
    pub sampler: X,
}

impl<T, M, S, X> Likelihood<T, M, S, X>
where
    T: Real,
    M: Energy<T>,
    S: Statistics,
    X: Sampler<T, M>,
{
    /// The likelihood of `data` (one observation per sample), from `model`'s current
    /// parameters.
    pub fn new(model: M, stats: S, sampler: X, data: &Raster) -> Result<Self> {
        if data.n_spins() != model.n_spins() {
            return Err(Error::Shape(format!(
                "the data has {} spins, the model {}",
                data.n_spins(),
                model.n_spins()
            )));
        }
        let data_stats = stats.average(data);
        Self::from_data_statistics(model, stats, sampler, data_stats)
    }

    /// The likelihood given precomputed data statistics ⟨φ⟩_data.
    pub fn from_data_statistics(
        model: M,
        stats: S,
        sampler: X,
        data_stats: DVector<f64>,
    ) -> Result<Self> {
        let dim = model.params().len();
        if stats.dim() != dim || data_stats.len() != dim {
            return Err(Error::Shape(format!(
                "the model has {dim} parameters but {} statistics ({} data values)",
                stats.dim(),
                data_stats.len()
            )));
        }
        if let Some((k, v)) = data_stats.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::Shape(format!("data statistic {k} is {v}")));
        }
        let data_connected = stats.connected(data_stats.as_slice());
        Ok(Likelihood {
            model,
            stats,
            sampler,
            data_stats,
            data_connected,
            penalty: Penalty::default(),
            centering: None,
            kind: ObjectiveKind::LogLikelihood,
            scalar: PhantomData,
        })
    }

    /// Maximises L(θ) − Σ [λ₁ |θ| + ½ λ₂ θ²] instead of L (see [`Penalty`]); values are then
    /// the penalised objective.
    pub fn with_penalty(mut self, penalty: Penalty) -> Result<Self> {
        penalty.check()?;
        self.penalty = penalty;
        Ok(self)
    }

    /// Lets the solvers step in the centred parameters (see [`Centering`]).
    pub fn with_centering(mut self, centering: Centering) -> Result<Self> {
        let n = self.model.n_spins();
        if centering.before.len() != n || centering.after.len() != n {
            return Err(Error::Shape(format!(
                "centring means have {} and {} entries, the model {n} spins",
                centering.before.len(),
                centering.after.len()
            )));
        }
        self.centering = Some(centering);
        Ok(self)
    }

    /// Names the objective (a kinetic likelihood on self-transitions is a
    /// pseudo-log-likelihood).
    pub fn with_kind(mut self, kind: ObjectiveKind) -> Self {
        self.kind = kind;
        self
    }

    /// ⟨φ⟩_data.
    pub fn data_statistics(&self) -> &DVector<f64> {
        &self.data_stats
    }

    /// The sampler.
    pub fn sampler(&self) -> &X {
        &self.sampler
    }

    /// Mutable access to the sampler.
    pub fn sampler_mut(&mut self) -> &mut X {
        &mut self.sampler
    }

    /// The model, consuming the objective.
    pub fn into_model(self) -> M {
        self.model
    }
}

impl<T, M, S, X> Problem for Likelihood<T, M, S, X>
where
    T: Real,
    M: Energy<T>,
    S: Statistics,
    X: Sampler<T, M>,
{
    type Scalar = T;
    type State = LikelihoodState<T, X::State>;

    fn state(&self) -> Self::State {
        LikelihoodState {
            params: self.model.params().clone(),
            sampler: self.sampler.state(),
        }
    }

    fn restore(&mut self, state: Self::State) -> Result<()> {
        if state.params.len() != self.model.params().len() {
            return Err(Error::Shape(format!(
                "saved parameters have {} entries, the model {}",
                state.params.len(),
                self.model.params().len()
            )));
        }
        if state.params.iter().any(|v| !v.is_finite()) {
            return Err(Error::Shape(
                "the saved parameters are not all finite".into(),
            ));
        }
        self.sampler.restore(state.sampler)?;
        self.model.set_params(&state.params);
        Ok(())
    }
}

impl<T, M, S, X> Objective for Likelihood<T, M, S, X>
where
    T: Real,
    M: Energy<T>,
    S: Statistics,
    X: Sampler<T, M>,
{
    type Model = M;

    fn model(&self) -> &M {
        &self.model
    }

    fn set_params(&mut self, params: &DVector<T>) {
        self.model.set_params(params);
    }

    /// ∇ = ⟨φ⟩_data − ⟨φ⟩_θ − λ₂ θ, projected on the model's constraints; the value
    /// θ·⟨φ⟩_data − A(θ) − penalty(θ) when A is known.
    fn evaluate(&mut self) -> Result<Evaluation> {
        let averages = self.sampler.averages(&self.model, &self.stats)?;
        if averages.stats.len() != self.data_stats.len() {
            return Err(Error::Shape(format!(
                "the sampler returned {} averages for {} statistics",
                averages.stats.len(),
                self.data_stats.len()
            )));
        }
        let connected_pearson = self.data_connected.as_ref().and_then(|d| {
            let m = self.stats.connected(averages.stats.as_slice())?;
            Some(pearson(d, &m))
        });
        // The gradient takes the place of ⟨φ⟩_θ, and θ is read in place: no further
        // parameter-sized vectors (8 MB each for a 1,000-cell kinetic model).
        let theta = self.model.params();
        let mut gradient = averages.stats;
        gradient.zip_apply(&self.data_stats, |g, d| *g = d - *g);
        let mut value = averages.log_partition.map(|a| {
            let linear: f64 = theta
                .iter()
                .zip(self.data_stats.iter())
                .map(|(t, d)| t.as_f64() * d)
                .sum();
            linear - a
        });
        if self.penalty.is_active() {
            let theta = params_f64(theta);
            let groups = self.model.groups();
            for g in &groups {
                let (_, l2) = self.penalty.strengths(g);
                for k in g.range.clone() {
                    gradient[k] -= l2 * theta[k];
                }
            }
            value = value.map(|l| l - self.penalty.value(theta.as_slice(), &groups));
        }
        self.model.project_gradient(&mut gradient);
        Ok(Evaluation {
            gradient,
            value,
            std_error: averages.std_error,
            connected_pearson,
            samples: self.sampler.samples(),
        })
    }

    fn is_exact(&self) -> bool {
        self.sampler.is_exact()
    }

    fn kind(&self) -> ObjectiveKind {
        self.kind
    }

    fn penalty(&self) -> &Penalty {
        &self.penalty
    }

    fn centering(&self) -> Option<&Centering> {
        self.centering.as_ref()
    }

    fn samples(&self) -> Option<usize> {
        self.sampler.samples()
    }

    fn set_samples(&mut self, samples: usize) -> Result<()> {
        self.sampler.set_samples(samples)
    }

    fn diagnostics(&self) -> Option<ChainDiagnostics> {
        self.sampler.diagnostics()
    }
}
