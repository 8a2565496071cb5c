//! Data drawn from a model file, as `spinfer sample` draws them.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{simulate, McmcSettings, Metropolis};
use crate::{
    data::{ModelFile, ModelKind},
    Error, Raster, Result,
};

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
    if n == 0 {
        return Err(Error::setting("samples", n, ">= 1"));
    }
    crate::raster::check_request("samples", n, file.n, n)?;
    match file.kind {
        ModelKind::Ising => {
            let model = file.to_ising::<f64>()?;
            let settings = McmcSettings::default()
                .with_samples(n)
                .with_burn_in(burn_in)
                .with_sweeps(sweeps)
                .with_seed(seed);
            Ok(Metropolis::new(settings)?.sample(&model))
        }
        ModelKind::Kinetic => {
            let model = file.to_kinetic::<f64>()?;
            simulate(
                &model,
                n,
                None,
                &mut Xoshiro256PlusPlus::seed_from_u64(seed),
            )
        }
    }
}
