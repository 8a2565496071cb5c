//! Settings of the ready-made fits, with defaults that reach the optimum (exact objectives)
//! or a model as faithful as the data (Monte Carlo) without tuning.

use serde::{Deserialize, Serialize};

use crate::{
    init::Init,
    learn::LearnSettings,
    model::KineticOptions,
    objective::Penalty,
    optim::{Optimizer, OptimizerKind},
    sample::{FreshSamples, McmcSettings, SamplerKind},
    solve::{Averaging, Growth, SolverKind},
    Error, Result,
};

/// Which equilibrium model a fit learns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum EquilibriumModel {
    /// The pairwise model: fields h and couplings J.
    #[default]
    Pairwise,
    /// The K-pairwise model: h, J and a potential V(K) on the number of active cells.
    KPairwise,
}

/// What an equilibrium fit maximises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum IsingMethod {
    /// The likelihood, by Boltzmann learning with the settings' sampler.
    #[default]
    Boltzmann,
    /// The pseudo-likelihood Σ_i ⟨log P(s_i | s_∖i)⟩ with a symmetric J: no sampling.
    PseudoLikelihood,
}

/// Stop Monte Carlo learning once the model reproduces the data as well as the data
/// reproduce themselves: when the gradient is mostly noise (its signal-to-noise ratio
/// below `noise`) at an iteration that is a multiple of `every`, the parameters the fit would return
/// are sampled afresh, and the RMSE of the means and of the pair moments, model against
/// data, is compared with the RMSE between the data's first and second halves
/// ([`crate::stats::Faithfulness`]); the fit stops when both ratios are at most `target`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Faithful {
    /// Largest ratio of model-vs-data to split-half RMSE, for both means and pairs, as
    /// measured from the fresh samples (their own noise included, which makes the rule
    /// stricter the fewer samples it draws).
    pub target: f64,
    /// Checks are made at multiples of this iteration count.
    pub every: usize,
    /// Check only when ‖g‖²/Σ SE² is below this (see [`crate::learn::Record`]).
    pub noise: f64,
    /// The fresh samples of each check.
    pub fresh: FreshSamples,
}

impl Default for Faithful {
    fn default() -> Self {
        Faithful {
            target: 0.9,
            every: 10,
            noise: 2.0,
            // Other samples than `compare`'s (seed 7), so that the rule is not judged by the
            // samples it stopped on.
            fresh: FreshSamples {
                samples: 200_000,
                seed: 101,
                ..Default::default()
            },
        }
    }
}

impl Faithful {
    /// This rule with another target ratio.
    pub fn with_target(mut self, target: f64) -> Self {
        self.target = target;
        self
    }

    /// This rule with other fresh samples.
    pub fn with_fresh(mut self, fresh: FreshSamples) -> Self {
        self.fresh = fresh;
        self
    }

    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        if !(self.target.is_finite() && self.target > 0.0) {
            return Err(Error::setting(
                "target-ratio",
                self.target,
                "a finite number > 0",
            ));
        }
        if self.every == 0 {
            return Err(Error::setting("check-every", self.every, ">= 1"));
        }
        self.fresh.check()
    }
}

/// Settings of an equilibrium fit.
///
/// ```
/// use spinfer::fit::IsingFitSettings;
/// use spinfer::sample::SamplerKind;
///
/// let exact = IsingFitSettings::default().with_sampler(SamplerKind::Exact);
/// exact.check().unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IsingFitSettings {
    /// The model learned (pairwise, or K-pairwise).
    #[serde(default)]
    pub model: EquilibriumModel,
    /// What is maximised.
    #[serde(default)]
    pub method: IsingMethod,
    /// How: [`SolverKind::Auto`] picks L-BFGS for exact objectives (enumeration,
    /// pseudo-likelihood) and first-order steps for Monte Carlo gradients.
    #[serde(default)]
    pub solver: SolverKind,
    /// Optimiser of first-order steps.
    pub optimizer: OptimizerKind,
    /// Learning rate of first-order steps.
    pub lr: f64,
    /// Budget and tolerance.
    pub learn: LearnSettings,
    /// Model side.
    pub sampler: SamplerKind,
    /// Chains (Metropolis and Gibbs): the samples per iteration at the start.
    pub mcmc: McmcSettings,
    /// Where learning starts.
    #[serde(default)]
    pub init: Init,
    /// Step in the centred, variance-scaled parametrisation ([`crate::model::Centering`]);
    /// `None`: centred for quasi-Newton and from warm starts, raw from the zero start
    /// (from J = 0 raw Adam steps reach a good model sooner).
    #[serde(default)]
    pub centred: Option<bool>,
    /// L1/L2 penalties (none by default).
    #[serde(default)]
    pub penalty: Penalty,
    /// Start the persistent chains from data samples rather than random configurations.
    /// Off by default: on the synthetic retina, chains started from the data's
    /// low-activity states stayed there while the model learned became bistable.
    #[serde(default)]
    pub chains_from_data: bool,
    /// Which iterates Monte Carlo learning returns; `None`: [`Averaging::Suffix`].
    #[serde(default)]
    pub averaging: Option<Averaging>,
    /// Growing samples per iteration for Monte Carlo learning (`None`: fixed).
    #[serde(default)]
    pub growth: Option<Growth>,
    /// The stopping rule of Monte Carlo learning (`None`: only the budget).
    #[serde(default)]
    pub faithful: Option<Faithful>,
}

impl Default for IsingFitSettings {
    fn default() -> Self {
        IsingFitSettings {
            model: EquilibriumModel::Pairwise,
            method: IsingMethod::Boltzmann,
            solver: SolverKind::Auto,
            optimizer: OptimizerKind::Adam,
            lr: 0.02,
            learn: LearnSettings::default()
                .with_max_iters(1000)
                .with_grad_tol(1e-8),
            sampler: SamplerKind::Auto,
            mcmc: McmcSettings::default()
                .with_samples(10_000)
                .with_rao_blackwell(true),
            init: Init::Auto,
            centred: None,
            penalty: Penalty::default(),
            chains_from_data: false,
            averaging: None,
            growth: Some(Growth::default()),
            faithful: Some(Faithful::default()),
        }
    }
}

impl IsingFitSettings {
    /// Validates the settings and their combination.
    pub fn check(&self) -> Result<()> {
        self.learn.check()?;
        self.penalty.check()?;
        self.mcmc.check()?;
        if self.model == EquilibriumModel::KPairwise && self.method != IsingMethod::Boltzmann {
            return Err(Error::setting(
                "method",
                "pseudo-likelihood",
                "boltzmann for the k-pairwise model",
            ));
        }
        crate::optim::AnyOptimizer::new(self.optimizer, self.lr).check()?;
        if let Some(f) = &self.faithful {
            f.check()?;
        }
        if let Some(g) = &self.growth {
            let range = self.mcmc.samples..=McmcSettings::MAX_SAMPLES;
            if !range.contains(&g.max_samples) {
                return Err(Error::setting(
                    "max-samples",
                    g.max_samples,
                    format!(
                        "between the samples per iteration ({}) and {}",
                        range.start(),
                        range.end()
                    ),
                ));
            }
        }
        let exact =
            self.method == IsingMethod::PseudoLikelihood || self.sampler == SamplerKind::Exact;
        match (self.solver, self.method) {
            (SolverKind::Lbfgs, _) if !exact => Err(Error::setting(
                "solver",
                "lbfgs",
                "gradient or auto for Monte Carlo samplers (L-BFGS needs an exact objective: the \
                 exact sampler or the pseudo-likelihood method)",
            )),
            (SolverKind::Newton, IsingMethod::Boltzmann) => Err(Error::setting(
                "solver",
                "newton",
                "auto, lbfgs or gradient for Boltzmann learning (Newton serves the \
                 pseudo-likelihood and kinetic fits)",
            )),
            (SolverKind::Newton, IsingMethod::PseudoLikelihood) if self.penalty.has_l1() => {
                Err(Error::setting(
                    "solver",
                    "newton",
                    "auto or lbfgs with an L1 penalty (Newton takes L2 only)",
                ))
            }
            _ => Ok(()),
        }
    }

    /// These settings with another sampler.
    pub fn with_sampler(mut self, sampler: SamplerKind) -> Self {
        self.sampler = sampler;
        self
    }

    /// These settings with another method.
    pub fn with_method(mut self, method: IsingMethod) -> Self {
        self.method = method;
        self
    }

    /// These settings with another solver.
    pub fn with_solver(mut self, solver: SolverKind) -> Self {
        self.solver = solver;
        self
    }

    /// These settings with another optimiser and learning rate (first-order steps).
    pub fn with_optimizer(mut self, optimizer: OptimizerKind, lr: f64) -> Self {
        self.optimizer = optimizer;
        self.lr = lr;
        self
    }

    /// These settings with other loop settings.
    pub fn with_learn(mut self, learn: LearnSettings) -> Self {
        self.learn = learn;
        self
    }

    /// These settings with other chains; growing samples (if on) may reach at least their
    /// samples per iteration.
    pub fn with_mcmc(mut self, mcmc: McmcSettings) -> Self {
        if let Some(g) = &mut self.growth {
            g.max_samples = g.max_samples.max(mcmc.samples);
        }
        self.mcmc = mcmc;
        self
    }

    /// These settings with another start.
    pub fn with_init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// These settings with centred (or raw) steps; `None` for the automatic choice.
    pub fn with_centred(mut self, centred: Option<bool>) -> Self {
        self.centred = centred;
        self
    }

    /// These settings with a penalty.
    pub fn with_penalty(mut self, penalty: Penalty) -> Self {
        self.penalty = penalty;
        self
    }

    /// These settings with another averaging of Monte Carlo iterates.
    pub fn with_averaging(mut self, averaging: Option<Averaging>) -> Self {
        self.averaging = averaging;
        self
    }

    /// These settings with (or without) growing samples.
    pub fn with_growth(mut self, growth: Option<Growth>) -> Self {
        self.growth = growth;
        self
    }

    /// These settings with (or without) the faithfulness stopping rule.
    pub fn with_faithful(mut self, faithful: Option<Faithful>) -> Self {
        self.faithful = faithful;
        self
    }

    /// These settings with chains started from data samples (or not).
    pub fn with_chains_from_data(mut self, on: bool) -> Self {
        self.chains_from_data = on;
        self
    }
}

/// Settings of a kinetic fit.
///
/// ```
/// use spinfer::fit::KineticFitSettings;
/// use spinfer::KineticOptions;
///
/// let symmetric = KineticFitSettings::default().with_options(KineticOptions::symmetric());
/// symmetric.check().unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KineticFitSettings {
    /// Symmetric J, self-couplings.
    pub options: KineticOptions,
    /// How: [`SolverKind::Auto`] picks row-wise Newton or L-BFGS by the rule of
    /// [`crate::fit::auto`].
    #[serde(default)]
    pub solver: SolverKind,
    /// Optimiser of first-order steps ([`SolverKind::Gradient`]).
    pub optimizer: OptimizerKind,
    /// Learning rate of first-order steps.
    pub lr: f64,
    /// Budget and tolerance.
    pub learn: LearnSettings,
    /// Where learning starts (not used by Newton, which starts from independent cells).
    #[serde(default)]
    pub init: Init,
    /// Step in the centred parametrisation with the input covariance as preconditioner.
    pub centred: bool,
    /// L1/L2 penalties (none by default).
    #[serde(default)]
    pub penalty: Penalty,
}

impl Default for KineticFitSettings {
    fn default() -> Self {
        KineticFitSettings {
            options: KineticOptions::default(),
            solver: SolverKind::Auto,
            optimizer: OptimizerKind::Sgd,
            lr: 1.0,
            learn: LearnSettings::default()
                .with_max_iters(1000)
                .with_grad_tol(1e-5),
            init: Init::Auto,
            centred: true,
            penalty: Penalty::default(),
        }
    }
}

impl KineticFitSettings {
    /// Validates the settings and their combination: Newton needs an asymmetric model, no
    /// L1 penalty and its own start; pseudo-likelihood starts are for equilibrium models.
    pub fn check(&self) -> Result<()> {
        self.learn.check()?;
        self.penalty.check()?;
        crate::optim::AnyOptimizer::new(self.optimizer, self.lr).check()?;
        if self.init == Init::Pseudo {
            return Err(Error::setting(
                "init",
                "pseudo",
                "auto, zero, mean-field or tap for kinetic fits (their likelihood is already \
                 exact)",
            ));
        }
        if self.solver == SolverKind::Newton {
            if self.options.symmetric {
                return Err(Error::setting(
                    "solver",
                    "newton",
                    "auto or lbfgs for symmetric models (Newton needs the rows to separate)",
                ));
            }
            if self.penalty.has_l1() {
                return Err(Error::setting(
                    "solver",
                    "newton",
                    "auto or lbfgs with an L1 penalty (Newton takes L2 only)",
                ));
            }
            if !matches!(self.init, Init::Auto | Init::Zero) {
                return Err(Error::setting(
                    "solver",
                    "newton",
                    "auto or lbfgs with a mean-field or TAP start (Newton starts from \
                     independent cells)",
                ));
            }
        }
        Ok(())
    }

    /// These settings with other structural options.
    pub fn with_options(mut self, options: KineticOptions) -> Self {
        self.options = options;
        self
    }

    /// These settings with another solver.
    pub fn with_solver(mut self, solver: SolverKind) -> Self {
        self.solver = solver;
        self
    }

    /// These settings with another optimiser and learning rate (first-order steps).
    pub fn with_optimizer(mut self, optimizer: OptimizerKind, lr: f64) -> Self {
        self.optimizer = optimizer;
        self.lr = lr;
        self
    }

    /// These settings with other loop settings.
    pub fn with_learn(mut self, learn: LearnSettings) -> Self {
        self.learn = learn;
        self
    }

    /// These settings with another start.
    pub fn with_init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// These settings with a penalty.
    pub fn with_penalty(mut self, penalty: Penalty) -> Self {
        self.penalty = penalty;
        self
    }

    /// These settings with centred (or raw) steps.
    pub fn with_centred(mut self, centred: bool) -> Self {
        self.centred = centred;
        self
    }
}
