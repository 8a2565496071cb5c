//! What a user asks of a fit, choice by choice; every choice left unset takes the default of
//! the ready-made fits. The `spinfer fit` flags and the Python keywords both become settings
//! through these, so the command and the Python package cannot drift apart.

use serde::{Deserialize, Serialize};

use super::{EquilibriumModel, Faithful, IsingFitSettings, IsingMethod, KineticFitSettings};
use crate::{
    init::Init,
    model::KineticOptions,
    objective::Penalty,
    optim::OptimizerKind,
    sample::{McmcSettings, SamplerKind},
    solve::{Growth, SolverKind},
    LearnSettings,
};

/// How Monte Carlo moments are estimated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Estimator {
    /// From the conditional means ⟨s_i | s_∖i⟩ = tanh(h_i + Σ_j J_ij s_j) of each sample:
    /// unbiased, lower variance.
    #[default]
    RaoBlackwell,
    /// From the spins themselves.
    Plain,
}

/// The parameters first-order steps are taken in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Stepping {
    /// The raw parameters (h, J).
    Raw,
    /// Centred fields h'_i = h_i + Σ_j J_ij m_j and J, directions scaled by 1/(1 − m²).
    Centred,
}

/// Choices every fit shares.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FitChoices {
    /// How the maximum is sought.
    pub solver: SolverKind,
    /// Where learning starts.
    pub init: Init,
    /// Optimiser of first-order steps (default: Adam for equilibrium, SGD for kinetic fits).
    pub optimizer: Option<OptimizerKind>,
    /// Learning rate of first-order steps (default: 0.02 equilibrium, 1 kinetic).
    pub lr: Option<f64>,
    /// Largest number of iterations (default 1000).
    pub iters: Option<usize>,
    /// Stop when max |∂/∂θ| falls to this (default: 1e-8 equilibrium, 1e-5 kinetic).
    pub tol: Option<f64>,
    /// L1/L2 penalties.
    pub penalty: Penalty,
}

impl FitChoices {
    fn apply(
        &self,
        optimizer: &mut OptimizerKind,
        lr: &mut f64,
        learn: &mut LearnSettings,
        penalty: &mut Penalty,
    ) {
        *penalty = self.penalty;
        if let Some(o) = self.optimizer {
            *optimizer = o;
        }
        if let Some(v) = self.lr {
            *lr = v;
        }
        if let Some(v) = self.iters {
            learn.max_iters = v;
        }
        if let Some(v) = self.tol {
            learn.grad_tol = v;
        }
    }
}

/// Choices of an equilibrium fit.
#[derive(Clone, Debug, PartialEq)]
pub struct IsingChoices {
    /// Choices every fit shares.
    pub common: FitChoices,
    /// The model learned.
    pub model: EquilibriumModel,
    /// What is maximised.
    pub method: IsingMethod,
    /// Model side of the gradient.
    pub sampler: SamplerKind,
    /// Monte Carlo samples per iteration at the start (they double when the gradient is
    /// mostly noise, up to `max_samples`).
    pub samples: Option<usize>,
    /// Largest samples per iteration; at most `samples` means fixed samples.
    pub max_samples: Option<usize>,
    /// Sweeps between samples.
    pub sweeps: Option<usize>,
    /// Independent persistent chains.
    pub chains: Option<usize>,
    /// Burn-in sweeps of fresh chains.
    pub burn_in: Option<usize>,
    /// Seed of the chains.
    pub seed: u64,
    /// How the Monte Carlo moments are estimated.
    pub estimator: Estimator,
    /// The faithfulness target ([`Faithful::target`]); `Some(0.0)` turns the rule off.
    pub target_ratio: Option<f64>,
    /// Also stop once the Pearson correlation of connected correlations reaches this.
    pub target_pearson: Option<f64>,
    /// The parameters of first-order steps; `None` for the automatic choice.
    pub stepping: Option<Stepping>,
}

impl Default for IsingChoices {
    fn default() -> Self {
        IsingChoices {
            common: FitChoices::default(),
            model: EquilibriumModel::Pairwise,
            method: IsingMethod::Boltzmann,
            sampler: SamplerKind::Auto,
            samples: None,
            max_samples: None,
            sweeps: None,
            chains: None,
            burn_in: None,
            seed: 1,
            estimator: Estimator::default(),
            target_ratio: None,
            target_pearson: None,
            stepping: None,
        }
    }
}

impl IsingChoices {
    /// The settings these choices ask for (not yet checked: see
    /// [`IsingFitSettings::check`]).
    ///
    /// ```
    /// use spinfer::fit::{IsingChoices, IsingFitSettings};
    ///
    /// assert_eq!(IsingChoices::default().settings(), IsingFitSettings::default());
    /// ```
    pub fn settings(&self) -> IsingFitSettings {
        let mut s = IsingFitSettings::default();
        self.common
            .apply(&mut s.optimizer, &mut s.lr, &mut s.learn, &mut s.penalty);
        s.sampler = self.sampler;
        s.solver = self.common.solver;
        s.init = self.common.init;
        s.learn.target_pearson = self.target_pearson;
        s.method = self.method;
        s.model = self.model;
        s.centred = self.stepping.map(|st| st == Stepping::Centred);
        let defaults = McmcSettings::default();
        let mcmc = s
            .mcmc
            .clone()
            .with_chains(self.chains.unwrap_or(defaults.chains))
            .with_burn_in(self.burn_in.unwrap_or(defaults.burn_in))
            .with_sweeps(self.sweeps.unwrap_or(defaults.sweeps))
            .with_seed(self.seed)
            .with_rao_blackwell(self.estimator == Estimator::RaoBlackwell);
        let samples = self.samples.unwrap_or(mcmc.samples);
        s.mcmc = mcmc.with_samples(samples);
        // A maximum below the samples is kept as asked, for the check to refuse it.
        s.growth = match (s.growth, self.max_samples) {
            (g, Some(max)) => Some(Growth {
                max_samples: max,
                ..g.unwrap_or_default()
            }),
            (g, None) => g.map(|g| Growth {
                max_samples: g.max_samples.max(samples),
                ..g
            }),
        };
        s.faithful = match self.target_ratio {
            Some(0.0) => None,
            Some(t) => Some(Faithful::default().with_target(t)),
            None => s.faithful,
        };
        s
    }
}

/// Choices of a kinetic fit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KineticChoices {
    /// Choices every fit shares.
    pub common: FitChoices,
    /// Symmetric J, self-couplings.
    pub options: KineticOptions,
}

impl KineticChoices {
    /// The settings these choices ask for (not yet checked: see
    /// [`KineticFitSettings::check`]).
    ///
    /// ```
    /// use spinfer::fit::{KineticChoices, KineticFitSettings};
    ///
    /// assert_eq!(KineticChoices::default().settings(), KineticFitSettings::default());
    /// ```
    pub fn settings(&self) -> KineticFitSettings {
        let mut s = KineticFitSettings::default().with_options(self.options);
        self.common
            .apply(&mut s.optimizer, &mut s.lr, &mut s.learn, &mut s.penalty);
        s.solver = self.common.solver;
        s.init = self.common.init;
        s
    }
}
