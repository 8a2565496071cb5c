//! What most programs need, in one import: `use spinfer::prelude::*;`.

pub use crate::{
    fit::{
        fit_ising, fit_ising_with, fit_kinetic, fit_kinetic_with, Fit, FitControl,
        IsingFitSettings, IsingMethod, KineticFitSettings,
    },
    init::Init,
    learn::{Control, LearnSettings, Learner, NoObserver, Observer, Outcome, Record},
    model::{
        fields_then_couplings, Energy, FlipEnergy, Ising, KineticIsing, KineticOptions, ParamGroup,
        Role,
    },
    objective::{Likelihood, Objective, Penalty},
    optim::{Adam, AnyOptimizer, Momentum, Optimizer, OptimizerKind, Sgd},
    raster::{Raster, Spin},
    real::{Precision, Real},
    sample::{
        simulate, AnySampler, ConditionalExpectation, ExactDistribution, ExactSampler,
        FreshSamples, Gibbs, McmcSettings, Metropolis, Sampler, SamplerKind,
    },
    solve::{Averaging, Growth, Lbfgs, RowNewton, Solver, SolverKind, Stochastic},
    stats::{PairStatistics, Statistics, TransitionStatistics},
    testing::check_model,
    transitions::Transitions,
    validate::{standard_errors, statistics_covariance},
    Error, Result,
};
