//! `spinfer compare`: a fitted model against data, from fresh samples of the model.

use std::path::PathBuf;

use clap::Args;
use spinfer::{
    data::write_atomic,
    validate::{Comparison, FreshSamples},
    Error, Result,
};

use crate::cli::console::{say, tell, Shown};
use spinfer::data::Layout;

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Model file (JSON).
    model: PathBuf,
    /// Data file.
    data: PathBuf,
    /// Write compare.md, compare.json and one scatter per statistic here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Layout of the data file.
    #[arg(long, value_enum, default_value = "spins-by-samples")]
    layout: Layout,
    /// Fresh model samples (equilibrium) or time bins (kinetic). Equilibrium models draw
    /// 4 times as many again (up to --max-samples, and 2e9 spins in all) while the
    /// model-side standard errors of the means or pairs exceed a quarter of the data's
    /// split-half difference
    #[arg(long, default_value_t = FreshSamples::default().samples)]
    samples: usize,
    /// Most fresh samples of an equilibrium model (equal to --samples: exactly that many)
    #[arg(long, default_value_t = FreshSamples::COMPARE_GROW_TO)]
    max_samples: usize,
    /// Sweeps (equilibrium) or steps (kinetic) discarded before sampling.
    #[arg(long, default_value_t = FreshSamples::default().burn_in)]
    burn_in: usize,
    /// Seed of the fresh samples.
    #[arg(long, default_value_t = FreshSamples::default().seed)]
    seed: u64,
    /// Kinetic models: the data are repeats of this many bins (no transition between them).
    #[arg(long)]
    repeat_bins: Option<usize>,
    /// Kinetic models: one Glauber run from a random state after the burn-in, instead of
    /// 16 free runs from the data's states.
    #[arg(long)]
    random_start: bool,
}

pub fn run(a: CompareArgs) -> Result<()> {
    use super::paths::{check, Named};
    let mut paths = vec![
        Named::input("MODEL", &a.model),
        Named::input("DATA", &a.data),
    ];
    if let Some(dir) = &a.out {
        paths.push(Named::directory(
            "--out",
            dir,
            &["compare.md", "compare.json", "*.svg"],
        ));
    }
    check(&paths)?;
    if a.max_samples < a.samples {
        return Err(Error::setting(
            "max-samples",
            a.max_samples,
            format!("at least --samples ({})", a.samples),
        ));
    }
    let fresh = FreshSamples {
        samples: a.samples,
        grow_to: Some(a.max_samples),
        burn_in: a.burn_in,
        seed: a.seed,
        random_start: a.random_start,
        ..Default::default()
    };
    let (file, data) = super::model_and_data(&a.model, &a.data, a.layout)?;
    let comparison = Comparison::of_file(&file, &data, a.repeat_bins, &fresh)?;
    let table = comparison.markdown();
    say!("{table}");
    if let Some(w) = comparison.free_runs.as_ref().and_then(|f| f.warning()) {
        tell!("spinfer: warning: {w}");
    }
    if let Some(w) = comparison.chains.as_ref().and_then(|d| d.warning()) {
        tell!("spinfer: warning: {w}");
    }
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let name = format!("{} model", spinfer::choice::name(&file.kind));
        let figures = spinfer::report::figures::comparison_figures(&comparison, dir, "", &name)?;
        let mut md = format!(
            "# {} against {}\n\n{table}\n",
            a.model.shown(),
            a.data.shown()
        );
        for f in &figures {
            let base = f.file_name().unwrap_or_default().to_string_lossy();
            md.push_str(&format!("![{base}]({base})\n"));
        }
        write_atomic(&dir.join("compare.md"), |w| w.write_all(md.as_bytes()))?;
        write_atomic(&dir.join("compare.json"), |w| {
            serde_json::to_writer_pretty(&mut *w, &comparison).map_err(std::io::Error::other)
        })?;
        say!(
            "wrote {} and {} figures",
            dir.join("compare.md").shown(),
            figures.len()
        );
    }
    Ok(())
}
