//! `spinfer fit kinetic`.

use spinfer::{
    data::ModelKind,
    fit::KineticChoices,
    workflow::{FitData, FitSettings},
    Error, KineticOptions, Result, Transitions,
};

use super::{output::run_and_save, KineticArgs};
use crate::cli::console::Shown;

pub fn run(a: KineticArgs) -> Result<()> {
    let choices = KineticChoices {
        common: a.common.choices(),
        options: KineticOptions {
            symmetric: a.symmetric,
            self_couplings: a.self_couplings,
        },
    };
    let job = a.common.job(
        || FitSettings::Kinetic(choices.settings()),
        ModelKind::Kinetic,
    )?;
    a.common.check_paths()?;
    let started = std::time::Instant::now();
    let data = crate::cli::memory::read_raster(&a.common.data, a.common.layout)?;
    if data.n_samples() < 2 {
        return Err(Error::Shape(format!(
            "{}: a time series needs at least 2 bins",
            a.common.data.shown()
        )));
    }
    let transitions = Transitions::within_repeats(&data, a.repeat_bins)?;
    // The transitions hold their own copies of the bins: the series is not needed again.
    drop(data);
    run_and_save(FitData::Series(transitions), job, &a.common, started)
}
