//! Part f of the study: collective activity. The bursty synthetic recording (population
//! bursts that adaptation ends), fitted with the defaults, judged by replica-exchange fresh
//! samples, with the distribution P(K) of the number of active cells per bin, the
//! K-pairwise model beside the pairwise one on a subset small enough to solve exactly, and
//! the specific heat C(T) of the fitted model.

use std::time::Instant;

use spinfer::{
    bursts::BurstSettings,
    fit::{fit_ising, fit_k_pairwise_with, EquilibriumModel, FitControl, IsingFitSettings},
    learn::NoObserver,
    model::Equilibrium,
    report::{
        figures::specific_heat,
        plot::{lines, Figure, Series},
    },
    sample::{ExactDistribution, SamplerKind},
    stats::{activity, rmse},
    thermo::{thermodynamics, ThermoSettings},
    validate::{Comparison, FreshSamples},
    Raster, Result, Spin,
};

use super::report::Report;

/// Cells of the K-pairwise comparison: the most active, few enough to enumerate.
const SUBSET_CELLS: usize = 16;

/// P(K) of an equilibrium model over its 2^N states.
fn exact_p_of_k(model: &Equilibrium<f64>) -> Result<Vec<f64>> {
    let n = spinfer::Energy::n_spins(model);
    let exact = ExactDistribution::new(model)?;
    let mut p = vec![0.0; n + 1];
    let mut s: Vec<Spin> = vec![-1; n];
    for c in 0..(1usize << n) {
        for (i, si) in s.iter_mut().enumerate() {
            *si = if (c >> i) & 1 == 1 { 1 } else { -1 };
        }
        p[c.count_ones() as usize] += exact.log_prob(&s).exp();
    }
    Ok(p)
}

/// The pairwise and the K-pairwise model fitted exactly to the most active cells of the
/// bursty recording: their P(K) against the data's.
fn k_pairwise_beside_pairwise(report: &mut Report, data: &Raster) -> Result<()> {
    let ups = data.up_counts();
    let mut cells: Vec<usize> = (0..data.n_spins()).collect();
    cells.sort_by_key(|&i| std::cmp::Reverse(ups[i]));
    cells.truncate(SUBSET_CELLS);
    cells.sort_unstable();
    let rows = cells.iter().map(|&i| data.row(i).to_vec()).collect();
    let subset = Raster::from_bit_rows(rows, data.n_samples())?;
    let t0 = Instant::now();
    let exact = IsingFitSettings::default().with_sampler(SamplerKind::Exact);
    let pairwise = fit_ising::<f64>(&subset, &exact, &mut NoObserver)?;
    let mut settings = exact.clone();
    settings.model = EquilibriumModel::KPairwise;
    let k_pairwise = fit_k_pairwise_with::<f64>(
        &subset,
        &settings,
        &mut NoObserver,
        &mut FitControl::default(),
    )?;
    let seconds = t0.elapsed().as_secs_f64();
    let p_data = activity(&subset);
    let m = subset.n_samples();
    let split_half = rmse(
        &activity(&subset.samples(0, m / 2)),
        &activity(&subset.samples(m / 2, m)),
    );
    let p_pairwise = exact_p_of_k(&Equilibrium::Ising(pairwise.model))?;
    let p_k_pairwise = exact_p_of_k(&Equilibrium::KPairwise(k_pairwise.model))?;
    let log_series = |p: &[f64]| -> Vec<(f64, f64)> {
        p.iter()
            .enumerate()
            .filter(|(_, &v)| v > 0.0)
            .map(|(k, &v)| (k as f64, v.log10()))
            .collect()
    };
    report.say(&format!(
        "
The K-pairwise model (`spinfer fit ising --model k-pairwise`: the pairwise model \
         plus a potential V(K) on the number of active cells) beside the pairwise one, both \
         fitted exactly (`--sampler exact`) to the {SUBSET_CELLS} most active cells of the \
         recording in {seconds:.1} s: P(K) of the models against the data's at {:.2} × \
         (pairwise) and {:.2} × (K-pairwise) the data's split-half difference (at most 1: \
         as faithful as the data's two halves to each other). On so few cells the pairwise \
         model is close already; on all 100 its P(K) is far off (above), and Monte Carlo \
         K-pairwise fits of that size are slow (docs/limitations.md).",
        rmse(&p_pairwise, &p_data) / split_half,
        rmse(&p_k_pairwise, &p_data) / split_half,
    ));
    let name = "f_bursts_k_pairwise.svg";
    lines(
        &report.figure_path(name),
        &Figure {
            title: format!("Active cells per bin, {SUBSET_CELLS} most active cells"),
            x_label: "K active cells".into(),
            y_label: "log10 P(K)".into(),
            series: vec![
                Series::new("data", log_series(&p_data)),
                Series::new("pairwise model", log_series(&p_pairwise)),
                Series::new("K-pairwise model", log_series(&p_k_pairwise)),
            ],
            integer_x: true,
        },
    )?;
    report.figure(
        name,
        "P(K) of the pairwise and the K-pairwise model (exact) against the data's",
    );
    Ok(())
}

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
         to replica exchange when their diagnostics fail); judged by {} or more fresh samples \
         (by replica exchange: the data are collective).",
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
    k_pairwise_beside_pairwise(report, &data)?;
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
