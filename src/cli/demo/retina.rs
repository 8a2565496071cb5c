//! Parts c and e of the study: equilibrium and kinetic fits of a retina recording (the
//! embedded synthetic one, or a real one with --data).

use std::time::Instant;

use spinfer::{
    fit::{fit_ising, fit_kinetic_with, Fit, FitControl, IsingFitSettings, KineticFitSettings},
    learn::{History, NoObserver},
    report::{
        figures::{learning_curves, Gap},
        plot::{scatter_with_diagonal, Figure, Series},
    },
    sample::AisSettings,
    stats::Moments,
    validate::{
        ais_scores, ising_score, kinetic_score, rmse, upper_triangle, Comparison, FreshSamples,
        Split, StatisticComparison,
    },
    Ising, KineticIsing, KineticOptions, Raster, Result,
};

use super::report::Report;

/// Sizes of the retina part of the study.
pub struct Budget {
    pub fresh_samples: usize,
}

impl Budget {
    pub fn new(quick: bool) -> Self {
        Budget {
            fresh_samples: if quick { 200_000 } else { 500_000 },
        }
    }

    /// The library's defaults: Boltzmann learning stops by itself once fresh samples of the
    /// model reproduce the data as well as the data reproduce themselves.
    fn ising_settings(&self) -> IsingFitSettings {
        IsingFitSettings::default()
    }
}

/// RMSE between the two parts of a split, for means and pair moments.
fn split_difference(data: &Raster, split: Split) -> (f64, f64) {
    let (a, b) = split.samples(data);
    let (ma, mb) = (Moments::of(&a), Moments::of(&b));
    (
        rmse(ma.means.as_slice(), mb.means.as_slice()),
        rmse(&upper_triangle(&ma.pairs), &upper_triangle(&mb.pairs)),
    )
}

/// c. The equilibrium model of the recording.
pub fn equilibrium(report: &mut Report, data: &Raster, budget: &Budget) -> Result<()> {
    let n = data.n_spins();
    let settings = budget.ising_settings();
    report.say(&format!(
        "\n## c. Equilibrium Ising model of the recording\n\n\
         Boltzmann learning with the defaults of `spinfer fit ising`: the independent-cell \
         start, Adam (learning rate {}), persistent Metropolis chains that hand over to \
         replica exchange if their diagnostics fail \
         ({} chains, {} samples per iteration at first, doubled whenever the gradient \
         is mostly Monte Carlo noise), Rao–Blackwellised moments, iterates averaged since \
         the last doubling; the fit stops once fresh samples of the model reproduce the \
         data's means and pair moments as well as the data's two halves reproduce each other.",
        settings.lr, settings.mcmc.chains, settings.mcmc.samples
    ));
    let t0 = Instant::now();
    let fit = fit_ising::<f64>(data, &settings, &mut NoObserver)?;
    let fit_seconds = t0.elapsed().as_secs_f64();
    let fresh = FreshSamples {
        samples: budget.fresh_samples,
        ..Default::default()
    };
    let comparison = Comparison::ising(&fit.model, data, &fresh)?;
    let (dm, dp) = split_difference(data, Split::Halves);
    let (em, ep) = (
        comparison
            .get("means")
            .map_or(f64::NAN, |s| s.agreement.rmse),
        comparison
            .get("pairs")
            .map_or(f64::NAN, |s| s.agreement.rmse),
    );
    let verdict = |e: f64, d: f64| if e <= 1.5 * d { "yes" } else { "**no**" };
    report.say(&format!(
        "\nFitted in {fit_seconds:.1} s ({} iterations, {:?}). The model is judged from {} \
         fresh Metropolis samples \
         (16 chains, 1,000 burn-in sweeps), against the data's own reproducibility: the \
         difference between its first and second halves.\n\n\
         | statistic | RMSE model vs data | RMSE first vs second half | ratio | within 1.5× |\n\
         |---|---:|---:|---:|:---:|\n\
         | means ⟨s_i⟩ | {em:.2e} | {dm:.2e} | {:.2} | {} |\n\
         | pair moments ⟨s_i s_j⟩ | {ep:.2e} | {dp:.2e} | {:.2} | {} |\n\n\
         All statistics, model against data:\n\n{}",
        fit.history.records.len() - 1,
        fit.outcome,
        fresh.samples,
        em / dm,
        verdict(em, dm),
        ep / dp,
        verdict(ep, dp),
        comparison.markdown()
    ));
    for (stat, caption) in [
        ("means", "firing biases ⟨s_i⟩"),
        ("connected", "connected correlations C_ij"),
        ("triplets", "triplet moments ⟨s_i s_j s_k⟩"),
        (
            "connected_triplets",
            "connected triplet moments ⟨δs_i δs_j δs_k⟩",
        ),
    ] {
        let Some(s) = comparison.get(stat) else {
            continue;
        };
        let name = format!("c_ising_{stat}.svg");
        scatter_with_diagonal(
            &report.figure_path(&name),
            &model_vs_data(format!("Equilibrium model vs data: {caption}"), s),
        )?;
        report.figure(&name, &format!("equilibrium model against data, {caption}"));
    }
    let name = "c_ising_learning_curve.svg";
    learning_curves(
        &report.figure_path(name),
        &format!("Equilibrium fit of the recording (N = {n})"),
        &[("Boltzmann learning".into(), &fit.history)],
        Gap::OwnBest,
    )?;
    report.figure(name, "equilibrium learning curve (Monte Carlo gradient)");
    held_out_equilibrium(report, data, &settings)
}

/// The split-half table: train on one part, score both with the (pseudo-)likelihood.
fn held_out_equilibrium(
    report: &mut Report,
    data: &Raster,
    settings: &IsingFitSettings,
) -> Result<()> {
    let measure = if data.n_spins() <= 20 {
        "exact log-likelihood"
    } else {
        "pseudo-log-likelihood"
    };
    let ais = AisSettings::default();
    report.say(&format!(
        "\n### Split-half validation\n\nThe model is fitted on one part of the recording and \
         scored on both, per sample: by the {measure}, and by the log-likelihood with log Z \
         estimated by annealed importance sampling ({} chains, {} temperatures; ± its \
         standard error). *Halves*: first vs second half of the recording; *interleaved*: \
         even vs odd bins.\n\n\
         | split | training | held out | gap | training, AIS | held out, AIS | data: RMSE of means between parts | data: RMSE of pairs |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|",
        ais.chains, ais.temperatures
    ));
    for split in [Split::Halves, Split::Interleaved] {
        let (train, test) = split.samples(data);
        let fit: Fit<Ising<f64>> = fit_ising(&train, settings, &mut NoObserver)?;
        let (a, b) = (
            ising_score(&fit.model, &train)?,
            ising_score(&fit.model, &test)?,
        );
        let exact = ais_scores(&fit.model, &[&train, &test], &ais)?;
        let se = exact[0].std_error.unwrap_or(f64::NAN);
        let (dm, dp) = split_difference(data, split);
        report.say(&format!(
            "| {split:?} | {:.5} | {:.5} | {:.5} | {:.4} ± {se:.4} | {:.4} ± {se:.4} | {dm:.2e} | {dp:.2e} |",
            a.value,
            b.value,
            a.value - b.value,
            exact[0].value,
            exact[1].value
        ));
    }
    Ok(())
}

/// e. Symmetric and asymmetric kinetic models of the recording.
pub fn kinetic(
    report: &mut Report,
    data: &Raster,
    repeat_bins: Option<usize>,
    budget: &Budget,
) -> Result<()> {
    let transitions = spinfer::Transitions::within_repeats(data, repeat_bins)?;
    let (train, test) = Split::Halves.transitions(&transitions);
    report.say(&format!(
        "\n## e. Kinetic Ising models of the recording: symmetric vs asymmetric J\n\n\
         {} transitions{}; fitted on the first half ({} transitions) to the maximum of the \
         exact likelihood (the default solver for each model), scored on both halves; lagged \
         correlations from a fresh parallel-Glauber run of {} steps of each fitted model.\n\n\
         | J | solver | iterations | max abs gradient | seconds | training log-lik./transition | held out | lagged r | lagged slope | connected lagged r | model firing % |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        transitions.len(),
        match repeat_bins {
            Some(b) => format!(" within repeats of {b} bins"),
            None => String::new(),
        },
        train.len(),
        budget.fresh_samples
    ));
    let fresh = FreshSamples {
        samples: budget.fresh_samples,
        ..Default::default()
    };
    let mut curves: Vec<(String, History)> = Vec::new();
    let mut lagged: Vec<(String, String, Figure)> = Vec::new();
    let mut scores = Vec::new();
    for symmetric in [false, true] {
        let one = kinetic_model(data, &transitions, (&train, &test), symmetric, &fresh)?;
        report.say(&one.row);
        lagged.extend(one.figures);
        scores.extend(one.score);
        curves.push(one.curve);
    }
    if let [(_, asym, r), (_, sym, _)] = scores[..] {
        report.say(&format!(
            "\nThe asymmetric model {} the symmetric one on the training data ({asym:.5} vs \
             {sym:.5}: it nests it) and reproduces the lagged correlations ⟨s_i(t+1) s_j(t)⟩ \
             with r = {r:.4}. The last column is the mean firing probability of each model \
             running freely by parallel Glauber dynamics (data: {:.2} %): a model whose \
             activity runs away from the data's regime cannot reproduce its correlations, \
             however well it predicts each next bin from the observed one.",
            if asym >= sym {
                "fits at least as well as"
            } else {
                "**fits worse than**"
            },
            100.0 * data.density()
        ));
    }
    for (name, caption, figure) in &lagged {
        scatter_with_diagonal(&report.figure_path(name), figure)?;
        report.figure(name, caption);
    }
    let named: Vec<(String, &History)> = curves.iter().map(|(l, h)| (l.clone(), h)).collect();
    let name = "e_kinetic_learning_curves.svg";
    learning_curves(
        &report.figure_path(name),
        "Kinetic fits of the recording: distance to each maximum",
        &named,
        Gap::OwnBest,
    )?;
    report.figure(
        name,
        "learning curves of the symmetric and asymmetric kinetic fits: log10 of the gap to \
         each fit's best training log-likelihood",
    );
    Ok(())
}

/// One kinetic model of part e: its table row, lagged-correlation figures, (training
/// log-likelihood, lagged r) and learning curve.
struct KineticResult {
    row: String,
    figures: Vec<(String, String, Figure)>,
    score: Option<(&'static str, f64, f64)>,
    curve: (String, History),
}

/// Fits the symmetric or asymmetric kinetic model on `train`, scores it on both halves and
/// compares a fresh Glauber run with the data.
fn kinetic_model(
    data: &Raster,
    transitions: &spinfer::Transitions,
    (train, test): (&spinfer::Transitions, &spinfer::Transitions),
    symmetric: bool,
    fresh: &FreshSamples,
) -> Result<KineticResult> {
    let settings = KineticFitSettings::default().with_options(KineticOptions {
        symmetric,
        self_couplings: false,
    });
    let t0 = Instant::now();
    let fit: Fit<KineticIsing<f64>> = fit_kinetic_with(
        train,
        &settings,
        None,
        &mut NoObserver,
        &mut FitControl::default(),
    )?;
    let seconds = t0.elapsed().as_secs_f64();
    let (a, b) = (
        kinetic_score(&fit.model, train)?,
        kinetic_score(&fit.model, test)?,
    );
    let c = Comparison::kinetic(&fit.model, data, transitions, fresh)?;
    let name = if symmetric { "symmetric" } else { "asymmetric" };
    let (raw, conn) = (c.get("lagged"), c.get("connected_lagged"));
    let r = |s: Option<&StatisticComparison>| s.map_or(f64::NAN, |s| s.agreement.pearson);
    // Mean firing probability of the free-running model, (1 + ⟨s⟩)/2 over cells.
    let rate = c.get("means").map_or(f64::NAN, |s| {
        50.0 * (1.0 + s.model.iter().sum::<f64>() / s.model.len().max(1) as f64)
    });
    let row = format!(
        "| {name} | {} | {} | {:.1e} | {seconds:.1} | {:.5} | {:.5} | {:.4} | {:.3} | {:.4} | {rate:.2} |",
        fit.solver.name(),
        fit.history.records.len() - 1,
        fit.summary.max_gradient,
        a.value,
        b.value,
        r(raw),
        raw.map_or(f64::NAN, |s| s.agreement.slope),
        r(conn)
    );
    // One figure per model: on a shared axis the symmetric model's runaway values would
    // squash the asymmetric model's points into the origin.
    let mut figures = Vec::new();
    for (stat, what) in [
        (raw, "lagged moments"),
        (conn, "connected lagged correlations"),
    ] {
        let Some(s) = stat else { continue };
        figures.push((
            format!("e_kinetic_{}_{name}.svg", s.name),
            format!("{name} J: {what}"),
            model_vs_data(format!("{name} kinetic model vs data: {what}"), s),
        ));
    }
    Ok(KineticResult {
        row,
        figures,
        score: raw.map(|s| (name, a.value, s.agreement.pearson)),
        curve: (format!("{name} J"), fit.history),
    })
}

/// The scatter of one compared statistic, model against data, with its count and Pearson r
/// in the legend.
fn model_vs_data(title: String, s: &StatisticComparison) -> Figure {
    Figure {
        title,
        x_label: format!("data {}", s.symbol),
        y_label: format!("model {}", s.symbol),
        series: vec![Series::paired(
            format!(
                "{} entries, r = {:.3}",
                s.agreement.count, s.agreement.pearson
            ),
            &s.data,
            &s.model,
        )],
        integer_x: false,
    }
}
