//! `spinfer fit ising`.

use spinfer::{
    data::ModelKind,
    fit::{EquilibriumModel, IsingChoices},
    workflow::{FitData, FitSettings},
    Result,
};

use super::{output::run_and_save, IsingArgs};

pub fn run(a: IsingArgs) -> Result<()> {
    let kind = match a.model {
        EquilibriumModel::Pairwise => ModelKind::Ising,
        EquilibriumModel::KPairwise => ModelKind::KPairwise,
    };
    let job = a
        .common
        .job(|| FitSettings::Ising(choices(&a).settings()), kind)?;
    a.common.check_paths()?;
    let started = std::time::Instant::now();
    let data = crate::cli::memory::read_raster(&a.common.data, a.common.layout)?;
    run_and_save(FitData::Samples(data), job, &a.common, started)
}

/// The choices the flags make.
fn choices(a: &IsingArgs) -> IsingChoices {
    IsingChoices {
        common: a.common.choices(),
        model: a.model,
        method: a.method,
        sampler: a.sampler,
        samples: a.samples,
        max_samples: a.max_samples,
        sweeps: a.sweeps,
        chains: a.chains,
        burn_in: a.burn_in,
        seed: a.seed,
        estimator: a.estimator,
        target_ratio: a.target_ratio,
        target_pearson: a.target_pearson,
        stepping: a.stepping,
    }
}
