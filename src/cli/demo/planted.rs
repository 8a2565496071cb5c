//! Parts a, b and d of the study: planted N = 5 models, where the truth is known.

use std::time::Instant;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{
    fit::{fit_ising, fit_kinetic, independent_model, IsingFitSettings, KineticFitSettings},
    learn::{History, LearnSettings, Learner, NoObserver},
    optim::Sgd,
    report::{
        figures::{inferred_vs_true, learning_curves, Gap, Params},
        plot::{lines, Figure, Series},
    },
    sample::{simulate, ExactDistribution, ExactSampler, SamplerKind},
    solve::{Lbfgs, Stochastic},
    validate::rmse,
    Ising, KineticIsing, KineticOptions, Likelihood, PairStatistics, Raster, Result,
};

use super::report::Report;

const N: usize = 5;

/// a. Learning curves of the exact log-likelihood for plain gradient ascent at three rates,
/// against L-BFGS (the default for exact objectives).
pub fn learning_rates(report: &mut Report, seed: u64, quick: bool) -> Result<()> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let truth: Ising<f64> = Ising::planted(N, &mut rng);
    let exact = ExactDistribution::new(&truth)?;
    let data = exact.sample(100_000, &mut rng);
    let iters = if quick { 200 } else { 400 };
    report.say(&format!(
        "## a. Learning rates (planted equilibrium model, N = {N})\n\n\
         h, J ~ N(0, 1/N); 100,000 exact samples; plain gradient ascent on the exact \
         log-likelihood (exact enumeration for the model side), {iters} iterations, no step \
         adaptation, so the curves show the rate itself; and L-BFGS, the default solver of \
         exact objectives, run to max |gradient| ≤ 10⁻¹⁰.\n\n\
         | solver | final log-likelihood | final max abs gradient | iterations to within 10⁻⁴ of the best |\n|---|---:|---:|---:|"
    ));
    let mut runs: Vec<(String, History)> = Vec::new();
    for lr in [0.01, 0.05, 0.1] {
        let stop = LearnSettings::default()
            .with_max_iters(iters)
            .with_grad_tol(0.0);
        runs.push((
            format!("gradient, η = {lr}"),
            exact_run(&data, Stochastic::new(Sgd { lr }), &stop)?,
        ));
    }
    let stop = LearnSettings::default()
        .with_max_iters(iters)
        .with_grad_tol(1e-10);
    runs.push(("L-BFGS".into(), exact_run(&data, Lbfgs::default(), &stop)?));
    let best = runs
        .iter()
        .flat_map(|(_, h)| h.records.iter().filter_map(|r| r.objective))
        .fold(f64::NEG_INFINITY, f64::max);
    for (label, h) in &runs {
        let last = h.last();
        let reach = h
            .records
            .iter()
            .find(|r| r.objective.is_some_and(|l| l > best - 1e-4))
            .map_or("not reached".to_string(), |r| r.iteration.to_string());
        report.say(&format!(
            "| {label} | {:.6} | {:.1e} | {reach} |",
            last.and_then(|r| r.objective).unwrap_or(f64::NAN),
            last.map_or(f64::NAN, |r| r.max_abs_gradient())
        ));
    }
    let truth_ll = exact.log_likelihood(&data)?;
    report.say(&format!(
        "\nThe true model scores {truth_ll:.5} on the same data (the maximum-likelihood fit \
         scores higher: it is fitted to this sample)."
    ));
    let named: Vec<(String, &History)> = runs.iter().map(|(l, h)| (l.clone(), h)).collect();
    let name = "a_learning_rates.svg";
    learning_curves(
        &report.figure_path(name),
        "Planted N = 5: distance to the maximum of the exact log-likelihood",
        &named,
        Gap::SharedBest,
    )?;
    report.figure(
        name,
        "learning curves for three learning rates and L-BFGS: log10 of the gap to the best \
         log-likelihood",
    );
    Ok(())
}

/// One run of `solver` on the exact likelihood of `data` from the independent-spin start.
fn exact_run<S>(data: &Raster, solver: S, stop: &LearnSettings) -> Result<History>
where
    S: spinfer::solve::Solver<Likelihood<f64, Ising<f64>, PairStatistics, ExactSampler>>,
{
    let start = independent_model::<f64>(data);
    let objective = Likelihood::new(start, PairStatistics::new(N), ExactSampler, data)?;
    let mut learner = Learner::new(objective, solver)?;
    learner.run(stop, &mut NoObserver)?;
    Ok(learner.history().clone())
}

/// b. Inferred against true parameters for growing training sets.
pub fn sample_sizes(report: &mut Report, seed: u64) -> Result<()> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed + 1);
    let truth: Ising<f64> = Ising::planted(N, &mut rng);
    let exact = ExactDistribution::new(&truth)?;
    report.say(&format!(
        "\n## b. Training-set size (planted equilibrium model, N = {N})\n\n\
         Boltzmann learning with the exact model side (the default solver, L-BFGS, to its \
         maximum).\n\n\
         | samples M | RMSE h | RMSE J | RMSE · √M | seconds |\n|---:|---:|---:|---:|---:|"
    ));
    let truth_params = Params::from(&truth);
    let mut fits = Vec::new();
    let mut curve = Vec::new();
    for m in [50_000usize, 100_000, 500_000, 1_000_000] {
        let data = exact.sample(m, &mut rng);
        let t0 = Instant::now();
        let settings = IsingFitSettings::default().with_sampler(SamplerKind::Exact);
        let fit = fit_ising::<f64>(&data, &settings, &mut NoObserver)?;
        let p = Params::from(&fit.model);
        let (eh, ej) = (rmse(&truth_params.h, &p.h), rmse(&truth_params.j, &p.j));
        let all = rmse(
            &[truth_params.h.clone(), truth_params.j.clone()].concat(),
            &[p.h.clone(), p.j.clone()].concat(),
        );
        report.say(&format!(
            "| {m} | {eh:.4} | {ej:.4} | {:.2} | {:.2} |",
            all * (m as f64).sqrt(),
            t0.elapsed().as_secs_f64()
        ));
        curve.push(((m as f64).log10(), all.log10()));
        fits.push((format!("M = {m}"), p));
    }
    let (x, y): (Vec<f64>, Vec<f64>) = curve.iter().cloned().unzip();
    let slope = spinfer::validate::agreement(&x, &y, 1).slope;
    report.say(&format!(
        "\nLeast-squares slope of log RMSE against log M: {slope:.2}. A purely statistical \
         error falls as 1/√M (slope −0.5); with one data set per size the single points \
         scatter around that line by their own sampling noise."
    ));
    let name = "b_inferred_vs_true.svg";
    inferred_vs_true(
        &report.figure_path(name),
        "Planted N = 5: inferred vs true (h and J)",
        &truth_params,
        &fits,
    )?;
    report.figure(
        name,
        "inferred against true parameters for four training-set sizes",
    );
    let name = "b_error_vs_samples.svg";
    let reference: Vec<(f64, f64)> = curve
        .iter()
        .map(|&(x, _)| (x, curve[0].1 - 0.5 * (x - curve[0].0)))
        .collect();
    lines(
        &report.figure_path(name),
        &Figure {
            title: "Planted N = 5: parameter error vs training-set size".into(),
            x_label: "log10 samples M".into(),
            y_label: "log10 RMSE of (h, J)".into(),
            series: vec![
                Series::new("Boltzmann learning", curve),
                Series::new("slope −1/2 (1/√M)", reference),
            ],
            integer_x: false,
        },
    )?;
    report.figure(
        name,
        "parameter RMSE against sample size, with the 1/√M law",
    );
    Ok(())
}

/// d. A planted kinetic model, inferred against true.
pub fn kinetic(report: &mut Report, seed: u64) -> Result<()> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed + 2);
    let truth = KineticIsing::<f64>::planted(N, KineticOptions::default(), &mut rng);
    let series = simulate(&truth, 100_000, None, &mut rng)?;
    let t0 = Instant::now();
    let fit = fit_kinetic::<f64>(&series, &KineticFitSettings::default(), &mut NoObserver)?;
    let (t, p) = (Params::from(&truth), Params::from(&fit.model));
    report.say(&format!(
        "\n## d. Planted kinetic model (N = {N}, asymmetric J, 100,000 steps)\n\n\
         Exact likelihood, default solver ({}): {} iterations ({:?}, max abs gradient {:.1e}) \
         in {:.2} s; RMSE h {:.4}, J {:.4} (off-diagonal).",
        fit.solver.name(),
        fit.history.records.len() - 1,
        fit.outcome,
        fit.summary.max_gradient,
        t0.elapsed().as_secs_f64(),
        rmse(&t.h, &p.h),
        rmse(&t.j, &p.j)
    ));
    let name = "d_kinetic_inferred_vs_true.svg";
    inferred_vs_true(
        &report.figure_path(name),
        "Planted kinetic N = 5: inferred vs true",
        &t,
        &[("fit".into(), p)],
    )?;
    report.figure(
        name,
        "planted kinetic model: inferred against true parameters",
    );
    Ok(())
}
