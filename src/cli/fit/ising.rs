//! `spinfer fit ising`.

use spinfer::{
    data::{DataFingerprint, ModelFile, ModelKind},
    fit::{fit_ising_with, IsingChoices, IsingFitSettings, IsingMethod},
    report::figures::Params,
    validate::{ising_score, Split},
    Raster, Real, Result,
};

use super::{
    output::{read_truth, run_and_save, FitJob},
    resumed, EstimatorArg, IsingArgs, MethodArg, SteppingArg,
};
use crate::cli::console::Shown;
use crate::cli::{CommonFit, Precision};

pub fn run(a: IsingArgs) -> Result<()> {
    let settings = settings(&a)?;
    a.common.check_paths()?;
    let data = crate::cli::memory::read_raster(&a.common.data, a.common.layout.into())?;
    let (train, held_out) = match a.common.split {
        Some(split) => {
            let (train, test) = Split::from(split).samples(&data);
            if train.n_samples() == 0 || test.n_samples() == 0 {
                return Err(spinfer::Error::Shape(format!(
                    "{}: {} samples are too few to split in two parts",
                    a.common.data.shown(),
                    data.n_samples()
                )));
            }
            (train, Some(test))
        }
        None => (data, None),
    };
    let (settings, precision, resume) = resumed(
        &a.common,
        ModelKind::Ising,
        DataFingerprint::of(&train),
        settings,
    )?;
    settings.check()?;
    let parts = (&train, held_out.as_ref());
    match precision {
        Precision::F64 => fit::<f64>(parts, &settings, &a.common, resume),
        Precision::F32 => fit::<f32>(parts, &settings, &a.common, resume),
    }
}

/// The settings the command line asks for, validated before any data is read (a resumed
/// fit takes its settings from the checkpoint instead).
fn settings(a: &IsingArgs) -> Result<IsingFitSettings> {
    let s = IsingChoices {
        common: a.common.choices(),
        method: match a.method {
            MethodArg::Boltzmann => IsingMethod::Boltzmann,
            MethodArg::PseudoLikelihood => IsingMethod::PseudoLikelihood,
        },
        sampler: a.sampler,
        samples: a.samples,
        max_samples: a.max_samples,
        sweeps: a.sweeps,
        chains: a.chains,
        burn_in: a.burn_in,
        seed: a.seed,
        rao_blackwell: a.estimator == EstimatorArg::RaoBlackwell,
        target_ratio: a.target_ratio,
        target_pearson: a.target_pearson,
        centred: a.stepping.map(|st| matches!(st, SteppingArg::Centred)),
    }
    .settings();
    if a.common.resume.is_none() {
        s.check()?;
    }
    Ok(s)
}

fn fit<T: Real>(
    (train, held_out): (&Raster, Option<&Raster>),
    settings: &IsingFitSettings,
    common: &CommonFit,
    resume: Option<serde_json::Value>,
) -> Result<()> {
    let truth = match &common.truth {
        Some(path) => Some(Params::from(
            &read_truth(path, ModelKind::Ising, train.n_spins())?.to_ising::<f64>()?,
        )),
        None => None,
    };
    run_and_save::<T, _, _>(
        FitJob {
            data: DataFingerprint::of(train),
            n: train.n_spins(),
            settings,
            kind: ModelKind::Ising,
            max_iters: settings.learn.max_iters,
            common,
            truth,
        },
        resume,
        |observer, control| fit_ising_with::<T>(train, settings, None, observer, control),
        ModelFile::from_ising,
        |fit| {
            let model = &fit.model;
            let train_score = ising_score(model, train)?;
            let held = held_out.map(|d| ising_score(model, d)).transpose()?;
            Ok((train_score, held, Params::from(model)))
        },
    )
}
