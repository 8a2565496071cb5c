//! `spinfer fit ising`.

use spinfer::{
    data::{read_raster, DataFingerprint, ModelFile, ModelKind},
    fit::{fit_ising_with, Faithful, IsingFitSettings, IsingMethod},
    report::figures::Params,
    sample::McmcSettings,
    solve::Growth,
    validate::{ising_score, Split},
    Raster, Real, Result,
};

use super::{
    apply_common,
    output::{read_truth, run_and_save, FitJob},
    resumed, EstimatorArg, IsingArgs, MethodArg, SteppingArg,
};
use crate::cli::{CommonFit, Precision};

pub fn run(a: IsingArgs) -> Result<()> {
    let settings = settings(&a)?;
    a.common.check_paths()?;
    let data = read_raster(&a.common.data, a.common.layout.into())?;
    let (train, held_out) = match a.common.split {
        Some(split) => {
            let (train, test) = Split::from(split).samples(&data);
            if train.n_samples() == 0 || test.n_samples() == 0 {
                return Err(spinfer::Error::Shape(format!(
                    "{}: {} samples are too few to split in two parts",
                    a.common.data.display(),
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
    let mut s = IsingFitSettings::default();
    apply_common(
        &a.common,
        &mut s.optimizer,
        &mut s.lr,
        &mut s.learn,
        &mut s.penalty,
    );
    s.sampler = a.sampler.into();
    s.solver = a.common.solver.into();
    s.init = a.common.init.into();
    s.learn.target_pearson = a.target_pearson;
    s.method = match a.method {
        MethodArg::Boltzmann => IsingMethod::Boltzmann,
        MethodArg::PseudoLikelihood => IsingMethod::PseudoLikelihood,
    };
    s.centred = a.stepping.map(|st| matches!(st, SteppingArg::Centred));
    let defaults = McmcSettings::default();
    let mcmc = s
        .mcmc
        .clone()
        .with_chains(a.chains.unwrap_or(defaults.chains))
        .with_burn_in(a.burn_in.unwrap_or(defaults.burn_in))
        .with_sweeps(a.sweeps.unwrap_or(defaults.sweeps))
        .with_seed(a.seed)
        .with_rao_blackwell(a.estimator == EstimatorArg::RaoBlackwell);
    let samples = a.samples.unwrap_or(mcmc.samples);
    s.mcmc = mcmc.with_samples(samples);
    s.growth = match (s.growth, a.max_samples) {
        (_, Some(max)) if max <= samples => None,
        (g, Some(max)) => Some(Growth {
            max_samples: max,
            ..g.unwrap_or_default()
        }),
        (g, None) => g.map(|g| Growth {
            max_samples: g.max_samples.max(samples),
            ..g
        }),
    };
    s.faithful = match a.target_ratio {
        Some(0.0) => None,
        Some(t) => Some(Faithful::default().with_target(t)),
        None => s.faithful,
    };
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
        |model| {
            let train_score = ising_score(model, train)?;
            let held = held_out.map(|d| ising_score(model, d)).transpose()?;
            Ok((train_score, held, Params::from(model)))
        },
    )
}
