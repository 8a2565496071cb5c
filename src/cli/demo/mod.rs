//! `spinfer demo`: the whole study in one command, written to DIR/report.md with SVG figures.
//!
//! a. learning rates and b. training-set sizes on a planted equilibrium model; c. the
//! equilibrium model of a retina recording (fresh-sample validation against the data's
//! split-half reproducibility, held-out likelihoods, triplets); d. a planted kinetic model;
//! e. symmetric vs asymmetric kinetic models of the recording; f. collective activity (a
//! bursty recording, P(K) and C(T)). The recording is the embedded synthetic retina unless
//! --data names a real one.

mod bursts;
mod planted;
mod report;
mod retina;

use std::{path::PathBuf, time::Instant};

use clap::Args;
use spinfer::{retina::RetinaSettings, Error, Result};

use crate::cli::console::{say, Shown};
use report::Report;
use retina::Budget;
use spinfer::data::Layout;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Directory for report.md and the figures.
    #[arg(long, default_value = "spinfer-demo")]
    out: PathBuf,
    /// A smaller study (60-cell synthetic retina, shorter fits): under a minute.
    #[arg(long)]
    quick: bool,
    /// A real recording for parts c and e (0/1 text, one line per cell; .gz allowed)
    /// instead of the synthetic retina.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Layout of --data.
    #[arg(long, value_enum, default_value = "spins-by-samples")]
    layout: Layout,
    /// Bins per repeat of --data (953 for the salamander recording); 0: one continuous run.
    #[arg(long, default_value_t = 953)]
    repeat_bins: usize,
    /// Seed of the planted models and the synthetic retina.
    #[arg(long, default_value_t = 11)]
    seed: u64,
}

pub fn run(a: DemoArgs) -> Result<()> {
    let started = Instant::now();
    {
        use super::paths::{check, Named};
        let mut paths = vec![Named::directory("--out", &a.out, &["report.md", "*.svg"])];
        if let Some(data) = &a.data {
            paths.push(Named::input("--data", data));
        }
        check(&paths)?;
    }
    std::fs::create_dir_all(&a.out).map_err(|e| Error::io(&a.out, e))?;
    let mut report = Report::new(&a.out);
    let budget = Budget::new(a.quick);
    let (data, source, repeat_bins) = match &a.data {
        Some(path) => {
            let data = crate::cli::memory::read_raster(path, a.layout)?;
            let bins = (a.repeat_bins > 0).then_some(a.repeat_bins);
            (data, format!("the recording `{}`", path.shown()), bins)
        }
        None => {
            let settings = if a.quick {
                RetinaSettings {
                    cells: 60,
                    repeats: 150,
                    ..Default::default()
                }
            } else {
                RetinaSettings::default()
            };
            let settings = RetinaSettings {
                seed: a.seed,
                ..settings
            };
            let data = settings.generate()?;
            let source = format!(
                "the synthetic retina (`spinfer generate retina --cells {} --repeats {} --bins \
                 {} --seed {}`)",
                settings.cells, settings.repeats, settings.bins, settings.seed
            );
            (data, source, Some(settings.bins))
        }
    };
    report.say(&format!(
        "# spinfer study{}\n\nParts a, b and d use planted models; parts c and e use {source}: \
         {} cells × {} bins, mean firing probability {:.2} % per bin.\n",
        if a.quick { " (quick)" } else { "" },
        data.n_spins(),
        data.n_samples(),
        100.0 * data.density()
    ));
    planted::learning_rates(&mut report, a.seed, a.quick)?;
    planted::sample_sizes(&mut report, a.seed)?;
    retina::equilibrium(&mut report, &data, &budget)?;
    planted::kinetic(&mut report, a.seed)?;
    retina::kinetic(&mut report, &data, repeat_bins, &budget)?;
    bursts::collective(&mut report, a.seed, budget.fresh_samples)?;
    report.say(&format!(
        "\n---\nWritten by `spinfer demo{}` in {:.0} s.",
        if a.quick { " --quick" } else { "" },
        started.elapsed().as_secs_f64()
    ));
    let path = report.write()?;
    say!("\nwrote {} with {} figures", path.shown(), report.figures());
    Ok(())
}
