//! `spinfer thermo`: the specific heat C(T), log Z and the entropy of an equilibrium model
//! file from one replica-exchange ladder.

use std::path::PathBuf;

use crate::cli::console::{say, tell, Shown};
use clap::Args;
use spinfer::{
    data::{write_atomic, ModelKind},
    model::Equilibrium,
    report::{
        figures::{specific_heat, SPECIFIC_HEAT_MAX_T},
        plot::{lines, Figure, Series},
    },
    thermo::{thermodynamics, ThermoSettings, Thermodynamics},
    Error, Result,
};

#[derive(Args, Debug)]
pub struct ThermoArgs {
    /// Equilibrium model file (JSON).
    model: PathBuf,
    /// Directory for thermo.json, specific_heat.svg and energy_histogram.svg.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Lowest temperature (T = 1 is the model as fitted).
    #[arg(long, default_value_t = ThermoSettings::default().t_min)]
    t_min: f64,
    /// Highest temperature of the ladder.
    #[arg(long, default_value_t = ThermoSettings::default().t_max)]
    t_max: f64,
    /// Samples per temperature, over all runs.
    #[arg(long, default_value_t = ThermoSettings::default().samples)]
    samples: usize,
    /// Independent ladders (the standard errors are their spread).
    #[arg(long, default_value_t = ThermoSettings::default().runs)]
    runs: usize,
    /// Seed.
    #[arg(long, default_value_t = ThermoSettings::default().seed)]
    seed: u64,
}

pub fn run(a: ThermoArgs) -> Result<()> {
    use super::paths::{check, Named};
    let mut paths = vec![Named::input("MODEL", &a.model)];
    if let Some(dir) = &a.out {
        paths.push(Named::directory(
            "--out",
            dir,
            &["thermo.json", "specific_heat.svg", "energy_histogram.svg"],
        ));
    }
    check(&paths)?;
    let file = crate::cli::memory::read_model(&a.model)?;
    if file.kind == ModelKind::Kinetic {
        return Err(Error::BadPath {
            path: a.model.clone(),
            message: "thermo needs an equilibrium (ising or k-pairwise) model, not a kinetic \
                      one"
            .into(),
        });
    }
    let model: Equilibrium<f64> = file.to_equilibrium()?;
    let mut settings = ThermoSettings::default();
    settings.t_min = a.t_min;
    settings.t_max = a.t_max;
    settings.samples = a.samples;
    settings.runs = a.runs;
    settings.seed = a.seed;
    let thermo = thermodynamics(&model, &settings)?;
    say!("{}", table(&thermo).trim_end());
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        write_atomic(&dir.join("thermo.json"), |w| {
            serde_json::to_writer_pretty(&mut *w, &thermo).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })?;
        specific_heat(
            &dir.join("specific_heat.svg"),
            "Specific heat per spin",
            &thermo,
        )?;
        let centres: Vec<(f64, f64)> = thermo
            .energy_counts
            .iter()
            .enumerate()
            .map(|(b, &n)| {
                let x = 0.5 * (thermo.energy_edges[b] + thermo.energy_edges[b + 1]);
                (x, n as f64)
            })
            .collect();
        lines(
            &dir.join("energy_histogram.svg"),
            &Figure {
                title: "Energies sampled at T = 1".into(),
                x_label: "energy E".into(),
                y_label: "samples".into(),
                series: vec![Series::new("P(E)", centres)],
                integer_x: false,
            },
        )?;
        say!(
            "wrote {}, specific_heat.svg and energy_histogram.svg",
            dir.join("thermo.json").shown()
        );
    }
    if let Some(w) = thermo.diagnostics.as_ref().and_then(|d| d.warning()) {
        tell!("warning: {w}");
    }
    Ok(())
}

/// The summary and a C(T) table over T ≤ [`SPECIFIC_HEAT_MAX_T`].
fn table(t: &Thermodynamics) -> String {
    let mut s = format!(
        "N = {}, {} temperatures\n\
         log Z (T = 1)          {:.4} ± {:.4}\n\
         entropy                {:.4} ± {:.4} nats, {:.5} ± {:.5} bits/spin\n\
         independent entropy    {:.5} bits/spin\n\
         multi-information      {:.5} ± {:.5} bits/spin\n\n\
         | T | C(T)/N | <E> |\n|---|---|---|\n",
        t.n_spins,
        t.levels.len(),
        t.log_z.value,
        t.log_z.std_error,
        t.entropy.value,
        t.entropy.std_error,
        t.entropy_bits_per_spin.value,
        t.entropy_bits_per_spin.std_error,
        t.independent_entropy_bits_per_spin,
        t.multi_information_bits_per_spin.value,
        t.multi_information_bits_per_spin.std_error,
    );
    for l in t
        .levels
        .iter()
        .filter(|l| l.temperature <= SPECIFIC_HEAT_MAX_T)
    {
        s.push_str(&format!(
            "| {:.3} | {:.4} ± {:.4} | {:.2} ± {:.2} |\n",
            l.temperature,
            l.specific_heat.value,
            l.specific_heat.std_error,
            l.mean_energy.value,
            l.mean_energy.std_error
        ));
    }
    s
}
