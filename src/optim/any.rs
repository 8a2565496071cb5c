//! An optimiser chosen at run time (by the command line or a settings file).

use nalgebra::DVector;
use serde::{Deserialize, Serialize};

use super::{adam::AdamState, Adam, Momentum, Optimizer, Sgd};
use crate::Real;

/// Which optimiser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Plain gradient ascent.
    Sgd,
    /// Heavy-ball momentum (β = 0.9).
    Momentum,
    /// Adam (β₁ = 0.9, β₂ = 0.99).
    ///
    /// The second moment forgets in about 100 steps rather
    /// than the usual 1000: with Monte Carlo gradients the large gradients of the first
    /// iterations otherwise keep the steps small for hundreds of iterations (on the
    /// synthetic retina the default fit reaches the data's faithfulness in 250 iterations
    /// instead of 300, and 270 instead of 380 on another seed).
    Adam,
}

/// One of the crate's optimisers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum AnyOptimizer {
    /// Plain gradient ascent.
    Sgd(Sgd),
    /// Momentum.
    Momentum(Momentum),
    /// Adam.
    Adam(Adam),
}

impl AnyOptimizer {
    /// The optimiser of that kind with learning rate `lr` and the crate's other settings
    /// (momentum β = 0.9; Adam β₁ = 0.9, β₂ = 0.99, ε = 10⁻⁸).
    pub fn new(kind: OptimizerKind, lr: f64) -> Self {
        match kind {
            OptimizerKind::Sgd => AnyOptimizer::Sgd(Sgd { lr }),
            OptimizerKind::Momentum => AnyOptimizer::Momentum(Momentum { lr, beta: 0.9 }),
            OptimizerKind::Adam => AnyOptimizer::Adam(Adam {
                beta2: 0.99,
                ..Adam::with_lr(lr)
            }),
        }
    }
}

/// The state of an [`AnyOptimizer`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum AnyState<T: Real> {
    /// Plain gradient: no state.
    Sgd,
    /// Momentum's velocity.
    Momentum(DVector<T>),
    /// Adam's moments.
    Adam(AdamState<T>),
}

impl Optimizer for AnyOptimizer {
    type State<T: Real> = AnyState<T>;

    fn init<T: Real>(&self, dim: usize) -> AnyState<T> {
        match self {
            AnyOptimizer::Sgd(_) => AnyState::Sgd,
            AnyOptimizer::Momentum(o) => AnyState::Momentum(o.init(dim)),
            AnyOptimizer::Adam(o) => AnyState::Adam(o.init(dim)),
        }
    }

    fn step<T: Real>(
        &self,
        params: &mut DVector<T>,
        gradient: &DVector<T>,
        state: &mut AnyState<T>,
    ) {
        match (self, state) {
            (AnyOptimizer::Sgd(o), _) => o.step(params, gradient, &mut ()),
            (AnyOptimizer::Momentum(o), AnyState::Momentum(v)) => o.step(params, gradient, v),
            (AnyOptimizer::Adam(o), AnyState::Adam(s)) => o.step(params, gradient, s),
            // A state of another optimiser (only reachable by handing in a foreign state):
            // start that optimiser's state afresh rather than panic.
            (o, s) => {
                *s = o.init(params.len());
                o.step(params, gradient, s)
            }
        }
    }

    fn learning_rate(&self) -> f64 {
        match self {
            AnyOptimizer::Sgd(o) => o.lr,
            AnyOptimizer::Momentum(o) => o.lr,
            AnyOptimizer::Adam(o) => o.lr,
        }
    }

    fn check_state<T: Real>(&self, dim: usize, state: &AnyState<T>) -> crate::Result<()> {
        match (self, state) {
            (AnyOptimizer::Sgd(_), AnyState::Sgd) => Ok(()),
            (AnyOptimizer::Momentum(o), AnyState::Momentum(v)) => o.check_state(dim, v),
            (AnyOptimizer::Adam(o), AnyState::Adam(s)) => o.check_state(dim, s),
            _ => Err(crate::restored::inconsistent(
                "optimiser state",
                "is of another optimiser".into(),
            )),
        }
    }

    fn check(&self) -> crate::Result<()> {
        match self {
            AnyOptimizer::Sgd(o) => o.check(),
            AnyOptimizer::Momentum(o) => o.check(),
            AnyOptimizer::Adam(o) => o.check(),
        }
    }
}
