//! Part f of the study: collective activity. The bursty synthetic recording (population
//! bursts that adaptation ends), fitted with the defaults, judged by replica-exchange fresh
//! samples, with the distribution P(K) of the number of active cells per bin and the
//! specific heat C(T) of the fitted model.

use std::time::Instant;

use spinfer::{
    bursts::BurstSettings,
    fit::{fit_ising, IsingFitSettings},
    learn::NoObserver,
    report::{
        figures::specific_heat,
        plot::{lines, Figure, Series},
    },
    thermo::{thermodynamics, ThermoSettings},
    validate::{Comparison, FreshSamples},
    Raster, Result,
};

use super::report::Report;

/// log₁₀ P(K), K = 0..=N, of the active-cell counts of `raster` (empty bins skipped).
fn log_p_of_k(raster: &Raster) -> Vec<(f64, f64)> {
    let n = raster.n_spins();
    let mut counts = vec![0u64; n + 1];
    for k in raster.column_up_counts() {
        counts[k as usize] += 1;
    }
    let total = raster.n_samples().max(1) as f64;
    counts
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(k, &c)| (k as f64, (c as f64 / total).log10()))
        .collect()
}

/// f. The bursty recording.
pub fn collective(report: &mut Report, seed: u64, fresh_samples: usize) -> Result<()> {
    let settings = BurstSettings {
        seed,
        ..Default::default()
    };
    let data = settings.generate()?;
    let silent = data.column_up_counts().iter().filter(|&&k| k == 0).count();
    report.say(&format!(
        "\n## f. Collective activity: a bursty recording\n\n\
         `spinfer generate bursts --seed {seed}`: {} adapting cells with recurrent \
         excitation, {} bins; {:.1} % of bins silent, up to {} cells active in one bin. \
         Fitted with the defaults of `spinfer fit ising` (Metropolis chains that hand over \
         to replica exchange when their diagnostics fail); judged by {} fresh samples.",
        settings.cells,
        settings.bins,
        100.0 * silent as f64 / data.n_samples() as f64,
        data.column_up_counts().iter().max().copied().unwrap_or(0),
        fresh_samples
    ));
    let t0 = Instant::now();
    let fit = fit_ising::<f64>(&data, &IsingFitSettings::default(), &mut NoObserver)?;
    let seconds = t0.elapsed().as_secs_f64();
    let fresh = FreshSamples {
        samples: fresh_samples,
        grow_to: Some(FreshSamples::COMPARE_GROW_TO),
        ..Default::default()
    }
    .for_data(&data);
    let comparison = Comparison::ising(&fit.model, &data, &fresh)?;
    let (means, pairs) = comparison
        .faithfulness
        .map_or((f64::NAN, f64::NAN), |f| (f.means_ratio, f.pairs_ratio));
    let sampler = if fit.chains.is_some_and(|c| c.tempering.is_some()) {
        "replica exchange"
    } else {
        "Metropolis chains"
    };
    report.say(&format!(
        "\nFitted in {seconds:.1} s ({} iterations, {:?}; the last gradient came from {sampler}). \
         Fresh samples reproduce the means at {means:.2} × and the pair moments at \
         {pairs:.2} × the data's split-half difference.\n\n{}",
        fit.history.records.len() - 1,
        fit.outcome,
        comparison.markdown()
    ));
    let model_samples = fresh.ising(&fit.model)?;
    let name = "f_bursts_p_of_k.svg";
    lines(
        &report.figure_path(name),
        &Figure {
            title: "Active cells per bin".into(),
            x_label: "K active cells".into(),
            y_label: "log10 P(K)".into(),
            series: vec![
                Series::new("data", log_p_of_k(&data)),
                Series::new("pairwise model", log_p_of_k(&model_samples)),
            ],
            integer_x: true,
        },
    )?;
    report.figure(
        name,
        "probability of K active cells per bin, model against data (log scale)",
    );
    let thermo = thermodynamics(&fit.model, &ThermoSettings::default())?;
    let name = "f_bursts_specific_heat.svg";
    specific_heat(
        &report.figure_path(name),
        "Specific heat of the fitted model",
        &thermo,
    )?;
    let peak = thermo
        .levels
        .iter()
        .max_by(|a, b| a.specific_heat.value.total_cmp(&b.specific_heat.value));
    report.say(&format!(
        "\nThermodynamics (`spinfer thermo`): entropy {:.4} ± {:.4} bits per cell against \
         {:.4} for independent cells (multi-information {:.4}); C(T) peaks at T = {:.2}.",
        thermo.entropy_bits_per_spin.value,
        thermo.entropy_bits_per_spin.std_error,
        thermo.independent_entropy_bits_per_spin,
        thermo.multi_information_bits_per_spin.value,
        peak.map_or(f64::NAN, |l| l.temperature)
    ));
    report.figure(
        name,
        "specific heat per cell C(T) of the fitted bursty model",
    );
    Ok(())
}
