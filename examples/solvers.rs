//! The figures of the default fits (issue "fits that reach their optimum by default"): each
//! part fits with the defaults only and prints iterations, the solver, max |gradient| at
//! the returned parameters, the objective and the wall time.
//!
//! * `exact`: planted N = 5 and N = 9 equilibrium models, 100,000 exact samples, exact
//!   enumeration (L-BFGS).
//! * `sparse`: a planted kinetic model, N = 60, 240,000 steps, about 5 % activity, with
//!   self-couplings.
//! * `dense`: a planted kinetic model, N = 200, 100,000 steps (about 50 % activity).
//! * `symmetric`: the symmetric kinetic model of the full synthetic retina (160 cells,
//!   297 repeats of 953 bins), fitted on the transitions within repeats.
//! * `retina`: the equilibrium model of `generate retina --seed 4` (Monte Carlo), judged
//!   from 500,000 fresh samples against the data's split-half difference.
//! * `rule`: row-wise Newton against L-BFGS on planted asymmetric kinetic models of several
//!   sizes and activities (100,000 steps): the measurement behind `--solver auto`.
//!
//! Run: `cargo run --release --example solvers [-- PART ...]` (all parts by default).

use std::time::Instant;

use spinfer::{
    prelude::*,
    retina::RetinaSettings,
    sample::FreshSamples,
    stats::{Faithfulness, Moments, SplitHalf},
};

fn report<M>(name: &str, fit: &Fit<M>, seconds: f64) {
    println!(
        "{name}: {} iterations, solver {}, {:?}, max|grad| {:.2e}, {} {}, {seconds:.2} s",
        fit.history.records.len().saturating_sub(1),
        fit.solver.name(),
        fit.outcome,
        fit.summary.max_gradient,
        fit.summary.objective.name(),
        fit.summary
            .value
            .map_or("not known".to_string(), |v| format!("{v:.8}")),
    );
}

fn exact() {
    for n in [5, 9] {
        let mut rng = spinfer::seeded(n as u64);
        let truth: Ising<f64> = Ising::planted(n, &mut rng);
        let data = ExactDistribution::new(&truth)
            .unwrap()
            .sample(100_000, &mut rng);
        let settings = IsingFitSettings::default().with_sampler(SamplerKind::Exact);
        let t0 = Instant::now();
        let fit = fit_ising::<f64>(&data, &settings, &mut NoObserver).unwrap();
        report(&format!("exact N = {n}"), &fit, t0.elapsed().as_secs_f64());
    }
}

/// A planted kinetic model with fields shifted by `shift` (sparser activity for negative
/// shifts).
fn planted_kinetic(
    n: usize,
    steps: usize,
    shift: f64,
    options: KineticOptions,
    seed: u64,
) -> Raster {
    let mut rng = spinfer::seeded(seed);
    let std = (1.0 / n as f64).sqrt();
    let mut truth: KineticIsing<f64> = KineticIsing::random(n, 0.3, std, options, &mut rng);
    for i in 0..n {
        truth.params_mut()[i] += shift;
    }
    simulate(&truth, steps, None, &mut rng).unwrap()
}

fn kinetic(name: &str, data: &Raster, settings: &KineticFitSettings) {
    println!(
        "{name}: {} cells × {} bins, {:.1} % active",
        data.n_spins(),
        data.n_samples(),
        100.0 * data.density()
    );
    let t0 = Instant::now();
    let fit = fit_kinetic::<f64>(data, settings, &mut NoObserver).unwrap();
    report(name, &fit, t0.elapsed().as_secs_f64());
}

fn retina_recording(seed: u64) -> Raster {
    RetinaSettings {
        seed,
        ..Default::default()
    }
    .generate()
    .unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let run = |part: &str| args.is_empty() || args.iter().any(|a| a == part);
    if run("exact") {
        exact();
    }
    if run("sparse") {
        let options = KineticOptions::default().with_self_couplings(true);
        let data = planted_kinetic(60, 240_000, -2.2, options, 1);
        kinetic(
            "sparse N = 60, self-couplings",
            &data,
            &KineticFitSettings::default().with_options(options),
        );
    }
    if run("dense") {
        let data = planted_kinetic(200, 100_000, 0.0, KineticOptions::default(), 2);
        kinetic("dense N = 200", &data, &KineticFitSettings::default());
    }
    if run("symmetric") {
        let data = retina_recording(11);
        let transitions = Transitions::from_segments(&data, 953).unwrap();
        let settings = KineticFitSettings::default().with_options(KineticOptions::symmetric());
        let t0 = Instant::now();
        let fit = fit_kinetic_with::<f64>(
            &transitions,
            &settings,
            None,
            &mut NoObserver,
            &mut FitControl::default(),
        )
        .unwrap();
        report("symmetric retina", &fit, t0.elapsed().as_secs_f64());
    }
    if run("rule") {
        println!("| N | mean listed cells per bin | Newton | L-BFGS |\n|---:|---:|---:|---:|");
        for (n, shift) in [
            (60, -2.2),
            (60, -1.0),
            (60, 0.0),
            (200, -2.2),
            (200, -1.0),
            (400, -2.5),
        ] {
            let data = planted_kinetic(n, 100_000, shift, KineticOptions::default(), 3);
            let listed = data.density().min(1.0 - data.density()) * n as f64;
            let mut cells = Vec::new();
            for solver in [SolverKind::Newton, SolverKind::Lbfgs] {
                let settings = KineticFitSettings::default().with_solver(solver);
                let t0 = Instant::now();
                let fit = fit_kinetic::<f64>(&data, &settings, &mut NoObserver).unwrap();
                cells.push(format!(
                    "{:.2} s ({} it.)",
                    t0.elapsed().as_secs_f64(),
                    fit.history.records.len() - 1
                ));
            }
            println!("| {n} | {listed:.1} | {} | {} |", cells[0], cells[1]);
        }
    }
    if run("retina") {
        let data = retina_recording(4);
        let t0 = Instant::now();
        let fit = fit_ising::<f64>(&data, &IsingFitSettings::default(), &mut NoObserver).unwrap();
        let seconds = t0.elapsed().as_secs_f64();
        report("retina equilibrium", &fit, seconds);
        if let Some(f) = &fit.faithfulness {
            println!("  at the end of the fit: {}", f.describe());
        }
        let fresh = FreshSamples::default().ising(&fit.model).unwrap();
        let f = Faithfulness::of(
            &Moments::of(&data),
            &Moments::of(&fresh),
            &SplitHalf::of(&data),
        );
        println!(
            "  compare (500,000 fresh samples, seed 7): {}",
            f.describe()
        );
    }
}
