//! Data drawn from a model file, as `spinfer sample` draws them.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{simulate, McmcSettings, Metropolis};
use crate::{
    data::{ModelFile, ModelKind},
    Error, Raster, Result,
};

/// Sweeps between the samples `spinfer sample` draws of an equilibrium model (and Python's
/// `Model.sample`), unless asked otherwise: ten sweeps leave the samples of the study's
/// models nearly independent.
pub const DRAW_SWEEPS: usize = 10;

/// Burn-in sweeps (equilibrium) or steps (kinetic) before `spinfer sample` keeps its first
/// sample, when the run does not start from data states.
pub const DRAW_BURN_IN: usize = 1000;

/// `n` samples of the model in `file`: for an equilibrium model, Metropolis chains (the
/// default 16) `sweeps` sweeps apart after `burn_in` sweeps; for a kinetic model, `n` bins of
/// parallel Glauber dynamics from a random state. The same seed gives the same data whatever
/// the number of threads.
///
/// ```
/// use spinfer::{data::ModelFile, sample::draw, Ising};
///
/// let file = ModelFile::from_ising(&Ising::<f64>::zeros(4));
/// let data = draw(&file, 1000, 10, 100, 1).unwrap();
/// assert_eq!((data.n_spins(), data.n_samples()), (4, 1000));
/// ```
pub fn draw(
    file: &ModelFile,
    n: usize,
    sweeps: usize,
    burn_in: usize,
    seed: u64,
) -> Result<Raster> {
    draw_from(file, n, sweeps, burn_in, seed, None)
}

/// [`draw`] started from the states of `data` when given: the Glauber run of a kinetic
/// model from the data's first bin (no burn-in: a data state is already typical of the
/// recording, and a model with two stable activity levels then stays at the data's), the
/// Metropolis chains of an equilibrium model from evenly spaced samples of the data (after
/// the burn-in).
///
/// ```
/// use spinfer::{data::ModelFile, sample::draw_from, KineticIsing, Raster};
///
/// let model = KineticIsing::<f64>::zeros(3, Default::default());
/// let start = Raster::from_configurations(3, [&[1i8, -1, 1][..], &[-1, -1, -1][..]]);
/// let run = draw_from(&ModelFile::from_kinetic(&model), 5, 1, 0, 1, Some(&start)).unwrap();
/// assert_eq!(run.column(0), vec![1, -1, 1]);
/// ```
pub fn draw_from(
    file: &ModelFile,
    n: usize,
    sweeps: usize,
    burn_in: usize,
    seed: u64,
    data: Option<&Raster>,
) -> Result<Raster> {
    if let Some(d) = data {
        if d.n_spins() != file.n || d.n_samples() == 0 {
            return Err(Error::Shape(format!(
                "the starting states have {} spins and {} samples, the model {} spins",
                d.n_spins(),
                d.n_samples(),
                file.n
            )));
        }
    }
    if n == 0 {
        return Err(Error::setting("samples", n, ">= 1"));
    }
    crate::raster::check_request("samples", n, file.n, n)?;
    match file.kind {
        ModelKind::Ising | ModelKind::KPairwise => {
            let model = file.to_equilibrium::<f64>()?;
            let settings = McmcSettings::default()
                .with_samples(n)
                .with_burn_in(burn_in)
                .with_sweeps(sweeps)
                .with_seed(seed);
            let mut chains = Metropolis::new(settings)?;
            if let Some(d) = data {
                chains.start_from(d);
            }
            Ok(chains.sample(&model))
        }
        ModelKind::Kinetic => {
            let model = file.to_kinetic::<f64>()?;
            let start = data.map(|d| d.column(0));
            simulate(
                &model,
                n,
                start.as_deref(),
                &mut Xoshiro256PlusPlus::seed_from_u64(seed),
            )
        }
    }
}
