//! Ready-made fits of the two model families with defaults that work without tuning; the
//! `spinfer` command and the study are built on these.

use nalgebra::DVector;
use serde::{Deserialize, Serialize};

use crate::{
    init::row_newton::{fit_rows, RowNewtonSettings},
    learn::{History, Observer, Outcome, Penalty},
    model::{Centering, Energy, Ising, KineticIsing, KineticOptions},
    optim::{AnyOptimizer, AnyState, OptimizerKind},
    sample::{
        ChainDiagnostics, ConditionalExpectation, ExactSampler, HeatBath, Mcmc, McmcSettings,
        MetropolisRule, Sampler, UpdateRule,
    },
    Error, LearnSettings, Learner, PairStatistics, Raster, Real, Result, Statistics,
    TransitionStatistics, Transitions,
};

/// How the equilibrium model side is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SamplerKind {
    /// Metropolis chains.
    Metropolis,
    /// Heat-bath chains.
    Gibbs,
    /// Exact enumeration (N ≤ 20).
    Exact,
}

/// Settings of an equilibrium fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IsingFitSettings {
    /// Optimiser.
    pub optimizer: OptimizerKind,
    /// Learning rate.
    pub lr: f64,
    /// Loop settings.
    pub learn: LearnSettings,
    /// Model side.
    pub sampler: SamplerKind,
    /// Chains (Metropolis and Gibbs).
    pub mcmc: McmcSettings,
    /// The optimiser steps in the centred, variance-scaled parametrisation ([`Centering`]).
    /// Off by default, which suits J = 0 starts. On the synthetic retina it cuts the time a
    /// pseudo-likelihood warm start takes to reach a connected-correlation r of 0.99 from
    /// 24.7 s to 17.0 s at lr 0.005, and lets it take lr 0.01: 8.5 s
    /// (`examples/warm_start.rs`). Raw Adam steps move each of thousands of couplings by
    /// about ±lr, which for sparse ±1 data also shifts every cell's mean input and knocks a
    /// good start out of place.
    pub centered: bool,
    /// L1/L2 penalties (none by default).
    #[serde(default)]
    pub penalty: Penalty,
    /// Start the persistent chains from data samples ([`crate::sample::Mcmc::start_from`])
    /// rather than from random configurations. Off by default: on the synthetic retina,
    /// chains started from the data's low-activity states stayed there while the model
    /// learned became bistable, and fresh chains from random states then found its other,
    /// high-activity phase (means 17× further from the data than the split-half
    /// difference). Random starts learn a model whose equilibrium, not just a metastable
    /// state, matches the data.
    #[serde(default)]
    pub chains_from_data: bool,
    /// Boltzmann learning (default) or pseudo-likelihood maximisation.
    #[serde(default)]
    pub method: IsingMethod,
}

/// What an equilibrium fit maximises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IsingMethod {
    /// The likelihood, by Boltzmann learning with the settings' sampler and optimiser.
    #[default]
    Boltzmann,
    /// The pseudo-likelihood ([`crate::init::fit_pseudo_likelihood`]): no sampling, Newton
    /// steps until `learn.grad_tol` or `learn.max_iters`, L2 penalties only; the start,
    /// optimiser and sampler settings are not used and no checkpoints are written.
    PseudoLikelihood,
}

impl IsingFitSettings {
    /// Whether the method can fit these settings: pseudo-likelihood takes no L1 penalty.
    pub fn check_method(&self) -> Result<()> {
        let p = self.penalty;
        if self.method == IsingMethod::PseudoLikelihood && (p.l1 > 0.0 || p.l1_fields > 0.0) {
            return Err(Error::setting(
                "method",
                "pseudo-likelihood",
                "boltzmann with an L1 penalty (pseudo-likelihood takes L2 only)",
            ));
        }
        Ok(())
    }
}

impl Default for IsingFitSettings {
    fn default() -> Self {
        IsingFitSettings {
            // Adam at 0.01: at 0.05 the coherent moves of thousands of couplings push a sparse
            // N = 160 model out of the data's phase (max |gradient| ≈ 1 after 400 iterations).
            optimizer: OptimizerKind::Adam,
            lr: 0.01,
            learn: LearnSettings {
                max_iters: 400,
                grad_tol: 1e-6,
                average_tail: 0.25,
                adaptive_step: true,
                target_pearson: None,
            },
            sampler: SamplerKind::Metropolis,
            mcmc: McmcSettings::default(),
            centered: false,
            penalty: Penalty::default(),
            chains_from_data: false,
            method: IsingMethod::Boltzmann,
        }
    }
}

/// Settings of a kinetic fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KineticFitSettings {
    /// Optimiser.
    pub optimizer: OptimizerKind,
    /// Learning rate.
    pub lr: f64,
    /// Loop settings.
    pub learn: LearnSettings,
    /// Symmetric J, self-couplings.
    pub options: KineticOptions,
    /// The optimiser steps in the centred, variance-scaled parametrisation ([`Centering`]).
    pub centered: bool,
    /// L1/L2 penalties (none by default).
    #[serde(default)]
    pub penalty: Penalty,
    /// Gradient loop (every model) or row-wise Newton (asymmetric models, L2 only).
    #[serde(default)]
    pub solver: KineticSolver,
}

/// How a kinetic fit maximises its likelihood.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KineticSolver {
    /// The Boltzmann-learning loop with the settings' optimiser: any model, any penalty.
    #[default]
    Gradient,
    /// Newton's method row by row ([`crate::init::row_newton`]): a handful of passes over the
    /// data, for asymmetric models with at most an L2 penalty (without the symmetry
    /// constraint the likelihood separates into one logistic regression per cell). Stops at
    /// `learn.grad_tol` or `learn.max_iters` Newton steps; checkpoints are not written.
    Newton,
}

impl KineticFitSettings {
    /// Whether the solver can fit these settings: Newton needs an asymmetric model and no
    /// L1 penalty.
    pub fn check_solver(&self) -> Result<()> {
        let p = self.penalty;
        match self.solver {
            KineticSolver::Newton if self.options.symmetric => Err(Error::setting(
                "solver",
                "newton",
                "gradient for symmetric models (Newton needs the rows to separate)",
            )),
            KineticSolver::Newton if p.l1 > 0.0 || p.l1_fields > 0.0 => Err(Error::setting(
                "solver",
                "newton",
                "gradient with an L1 penalty (Newton takes L2 only)",
            )),
            _ => Ok(()),
        }
    }
}

impl Default for KineticFitSettings {
    fn default() -> Self {
        KineticFitSettings {
            optimizer: OptimizerKind::Sgd,
            lr: 1.0,
            learn: LearnSettings {
                max_iters: 1000,
                grad_tol: 1e-5,
                average_tail: 0.0,
                adaptive_step: true,
                target_pearson: None,
            },
            options: KineticOptions::default(),
            centered: true,
            penalty: Penalty::default(),
            solver: KineticSolver::Gradient,
        }
    }
}

/// A fitted model and how the fit went.
#[derive(Clone, Debug)]
pub struct Fit<M> {
    /// The model.
    pub model: M,
    /// Per-iteration records.
    pub history: History,
    /// Why the loop ended.
    pub outcome: Outcome,
    /// Cells that never or always fire in the data (their statistics were regularised).
    pub constant_cells: Vec<usize>,
    /// Equilibration diagnostics of the last iteration's Monte Carlo chains.
    pub chains: Option<ChainDiagnostics>,
}

/// Checkpoints, resumption and divergence handling for a fit.
pub struct FitControl<'a, M> {
    /// A learner state written by an earlier checkpoint of the same fit: continue from it.
    pub resume: Option<serde_json::Value>,
    /// Hand the state to `checkpoint` every this many iterations (0: only at the end).
    pub checkpoint_every: usize,
    /// Receives learner states (as JSON) to store.
    pub checkpoint: Option<&'a mut dyn FnMut(serde_json::Value) -> Result<()>>,
    /// Filled with the last finite model when the run stops on non-finite parameters.
    pub last_finite: Option<M>,
}

impl<M> Default for FitControl<'_, M> {
    fn default() -> Self {
        FitControl {
            resume: None,
            checkpoint_every: 0,
            checkpoint: None,
            last_finite: None,
        }
    }
}

/// Cells whose spin never changes over the raster.
pub fn constant_cells(data: &Raster) -> Vec<usize> {
    data.up_counts()
        .iter()
        .enumerate()
        .filter(|(_, &u)| u == 0 || u as usize == data.n_samples())
        .map(|(i, _)| i)
        .collect()
}

/// Regularised data statistics ⟨φ⟩' = (1 − α) ⟨φ⟩_data with the pseudocount α = 1/(M + 1),
/// i.e. the data mixed with a small weight of uniformly random spins (whose ±1 statistics
/// average to 0). Applied only when some cell is constant: its maximum-likelihood field is
/// then ±∞, and the mixture keeps it finite (≈ ±½ log(2M)) at a bias of order 1/M elsewhere.
fn regularised<T: Real>(mut stats: DVector<T>, observations: usize, constant: bool) -> DVector<T> {
    if constant {
        stats *= T::cast(1.0 - 1.0 / (observations as f64 + 1.0));
    }
    stats
}

/// What the loop needs besides the model, its statistics and its model side: the same for
/// every sampler.
struct LoopSetup<'a, T: Real> {
    data_stats: DVector<T>,
    optimizer: AnyOptimizer,
    learn: &'a LearnSettings,
    centering: Option<Centering>,
    penalty: Penalty,
}

/// Runs the loop with a run-time optimiser; shared by both families.
fn drive<T, M, S, X>(
    model: M,
    stats: S,
    sampler: X,
    setup: LoopSetup<'_, T>,
    observer: &mut dyn Observer<T>,
    control: &mut FitControl<'_, M>,
) -> Result<(M, History, Outcome, Option<ChainDiagnostics>)>
where
    T: Real,
    M: Energy<T>,
    S: Statistics<T>,
    X: Sampler<T, M>,
{
    let LoopSetup {
        data_stats,
        optimizer,
        learn,
        centering,
        penalty,
    } = setup;
    learn.check()?;
    let mut learner = Learner::from_data_statistics(model, stats, sampler, optimizer, data_stats)?
        .with_penalty(penalty)?;
    if let Some(c) = centering {
        learner = learner.with_centering(c)?;
    }
    if let Some(state) = control.resume.take() {
        let state = serde_json::from_value(state).map_err(|e| {
            Error::Shape(format!(
                "the checkpoint does not fit this model and optimiser: {e}"
            ))
        })?;
        learner.load(state)?;
    }
    let every = control.checkpoint_every;
    let mut sink =
        |state: &crate::learn::LearnerState<T, AnyState<T>>| match &mut control.checkpoint {
            Some(f) => f(serde_json::to_value(state).map_err(|e| Error::Shape(e.to_string()))?),
            None => Ok(()),
        };
    let result = learner.run_with_checkpoints(learn, observer, every, &mut sink);
    if let Err(e @ Error::NonFinite { .. }) = result {
        control.last_finite = Some(learner.model().clone());
        return Err(e);
    }
    let outcome = result?;
    let history = learner.history().clone();
    let chains = learner.sampler().diagnostics();
    Ok((learner.into_model(), history, outcome, chains))
}

/// The independent-spin start: J = 0 and h_i = atanh ⟨s_i⟩ (from regularised means).
fn independent_start<T: Real>(means: &[T], n: usize) -> Ising<T> {
    let mut model = Ising::zeros(n);
    for (i, &m) in means.iter().take(n).enumerate() {
        let m = m.as_f64().clamp(-1.0 + 1e-9, 1.0 - 1e-9);
        model.params_mut()[i] = T::cast(m.atanh());
    }
    model.project();
    model
}

/// The model a fit of `data` starts from without a start of its own ([`crate::init::Init::Zero`]):
/// J = 0 and h_i = atanh ⟨s_i⟩, from the means as the fit regularises them.
pub fn independent_model<T: Real>(data: &Raster) -> Ising<T> {
    let n = data.n_spins();
    let means = regularised(
        Statistics::<T>::average(&PairStatistics::new(n), data),
        data.n_samples(),
        !constant_cells(data).is_empty(),
    );
    independent_start(means.as_slice(), n)
}

/// The fit's Monte Carlo chains, started from data samples when the settings ask for it.
fn new_chains<U: UpdateRule>(settings: &IsingFitSettings, data: &Raster) -> Result<Mcmc<U>> {
    let mut chains = Mcmc::new(settings.mcmc.clone())?;
    if settings.chains_from_data {
        chains.start_from(data);
    }
    Ok(chains)
}

/// Fits an equilibrium Ising model to `data` by Boltzmann learning, starting from `start` or
/// from the independent-spin model.
pub fn fit_ising<T: Real>(
    data: &Raster,
    settings: &IsingFitSettings,
    start: Option<Ising<T>>,
    observer: &mut dyn Observer<T>,
) -> Result<Fit<Ising<T>>> {
    fit_ising_with(data, settings, start, observer, &mut FitControl::default())
}

/// [`fit_ising`] with checkpoints, resumption and divergence handling.
pub fn fit_ising_with<T: Real>(
    data: &Raster,
    settings: &IsingFitSettings,
    start: Option<Ising<T>>,
    observer: &mut dyn Observer<T>,
    control: &mut FitControl<'_, Ising<T>>,
) -> Result<Fit<Ising<T>>> {
    if settings.method == IsingMethod::PseudoLikelihood {
        return fit_ising_pseudo(data, settings, observer);
    }
    let n = data.n_spins();
    crate::model::check_dense_size(n)?;
    let stats = PairStatistics::new(n);
    let constant = constant_cells(data);
    let data_stats = regularised(stats.average(data), data.n_samples(), !constant.is_empty());
    let model = match start {
        Some(m) => m,
        None => independent_start(data_stats.as_slice(), n),
    };
    if model.n_spins() != n {
        return Err(crate::Error::Shape(format!(
            "the starting model has {} spins, the data {n}",
            model.n_spins()
        )));
    }
    let centering = settings.centered.then(|| {
        let means: Vec<f64> = data_stats.as_slice()[..n]
            .iter()
            .map(|v| v.as_f64())
            .collect();
        Centering::equilibrium(&means)
    });
    let setup = LoopSetup {
        data_stats,
        optimizer: AnyOptimizer::new(settings.optimizer, settings.lr),
        learn: &settings.learn,
        centering,
        penalty: settings.penalty,
    };
    let (model, history, outcome, chains) = match settings.sampler {
        SamplerKind::Exact => drive(model, stats, ExactSampler, setup, observer, control)?,
        SamplerKind::Metropolis => {
            let chains = new_chains::<MetropolisRule>(settings, data)?;
            drive(model, stats, chains, setup, observer, control)?
        }
        SamplerKind::Gibbs => {
            let chains = new_chains::<HeatBath>(settings, data)?;
            drive(model, stats, chains, setup, observer, control)?
        }
    };
    Ok(Fit {
        model,
        history,
        outcome,
        constant_cells: constant,
        chains,
    })
}

/// Fits a kinetic Ising model to the continuous time series `data` by exact-likelihood
/// ascent.
pub fn fit_kinetic<T: Real>(
    data: &Raster,
    settings: &KineticFitSettings,
    start: Option<KineticIsing<T>>,
    observer: &mut dyn Observer<T>,
) -> Result<Fit<KineticIsing<T>>> {
    let transitions = Transitions::from_series(data);
    fit_kinetic_with(
        &transitions,
        settings,
        start,
        observer,
        &mut FitControl::default(),
    )
}

/// Fits a kinetic Ising model to a set of transitions (repeats, splits: [`Transitions`]),
/// with checkpoints, resumption and divergence handling.
pub fn fit_kinetic_with<T: Real>(
    data: &Transitions,
    settings: &KineticFitSettings,
    start: Option<KineticIsing<T>>,
    observer: &mut dyn Observer<T>,
    control: &mut FitControl<'_, KineticIsing<T>>,
) -> Result<Fit<KineticIsing<T>>> {
    if settings.solver == KineticSolver::Newton {
        return fit_kinetic_newton(data, settings, observer);
    }
    let n = data.n_spins();
    crate::model::check_dense_size(n)?;
    let stats = TransitionStatistics::new(n);
    let constant = constant_cells(data.after());
    let data_stats = regularised::<T>(
        stats.average_transitions(data),
        data.len(),
        !constant.is_empty(),
    );
    let model = start.unwrap_or_else(|| {
        // Independent cells: J = 0 and h_i = atanh ⟨s_i(t+1)⟩, the maximum of L at J = 0.
        let mut model = KineticIsing::zeros(n, settings.options);
        for i in 0..n {
            let m = data_stats[i].as_f64().clamp(-1.0 + 1e-9, 1.0 - 1e-9);
            model.params_mut()[i] = T::cast(m.atanh());
        }
        model
    });
    let setup = LoopSetup {
        data_stats,
        optimizer: AnyOptimizer::new(settings.optimizer, settings.lr),
        learn: &settings.learn,
        centering: settings.centered.then(|| Centering::transitions(data)),
        penalty: settings.penalty,
    };
    let sampler = ConditionalExpectation::of(data)?;
    let (model, history, outcome, chains) = drive(model, stats, sampler, setup, observer, control)?;
    Ok(Fit {
        model,
        history,
        outcome,
        constant_cells: constant,
        chains,
    })
}

/// [`KineticSolver::Newton`]: the row-wise Newton maximum, with the observer shown every
/// step's record afterwards (the steps are few; a stop request cannot shorten the run).
fn fit_kinetic_newton<T: Real>(
    data: &Transitions,
    settings: &KineticFitSettings,
    observer: &mut dyn Observer<T>,
) -> Result<Fit<KineticIsing<T>>> {
    settings.check_solver()?;
    settings.penalty.check()?;
    settings.learn.check()?;
    let rows = fit_rows(
        data,
        &RowNewtonSettings::for_fit(
            settings.options.self_couplings,
            &settings.penalty,
            &settings.learn,
        ),
    )?;
    let model = KineticIsing::new(
        rows.fields.map(T::cast),
        rows.couplings.map(T::cast),
        settings.options,
    )?;
    for record in &rows.history.records {
        observer.observe(record, model.params());
    }
    Ok(Fit {
        model,
        outcome: rows.outcome(),
        history: rows.history,
        constant_cells: constant_cells(data.after()),
        chains: None,
    })
}

/// [`IsingMethod::PseudoLikelihood`], with the observer shown every step's record afterwards.
fn fit_ising_pseudo<T: Real>(
    data: &Raster,
    settings: &IsingFitSettings,
    observer: &mut dyn Observer<T>,
) -> Result<Fit<Ising<T>>> {
    settings.check_method()?;
    settings.penalty.check()?;
    settings.learn.check()?;
    let fit = crate::init::fit_pseudo_likelihood::<T>(
        data,
        &RowNewtonSettings::for_fit(false, &settings.penalty, &settings.learn),
    )?;
    for record in &fit.history.records {
        observer.observe(record, fit.model.params());
    }
    Ok(fit)
}
