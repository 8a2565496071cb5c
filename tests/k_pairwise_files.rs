//! A K-pairwise model file goes through the command's machinery like the built-in kinds:
//! `sample` draws its distribution of K (not the pairwise part's), `evaluate` scores it
//! exactly for N ≤ 20 and by AIS at any N, and `compare` reports P(K) against the data's
//! split-half difference.

mod common;

use std::path::Path;

use common::{ok, rng};
use spinfer::{
    data::{read_raster, write_raster, Layout, ModelFile},
    model::{Equilibrium, KPairwise},
    sample::ExactDistribution,
    stats::activity,
    Energy, Ising, Raster, Spin,
};

const N: usize = 10;

/// Sparse, weakly coupled cells (fields near −1, as for spiking neurons) with a potential
/// that favours synchronous bursts (K ≥ 7): e^2.5 ≈ 12 times the weight of such states.
fn model() -> KPairwise<f64> {
    let mut pairwise = Ising::random(N, 0.3, 0.15, &mut rng(11));
    let mut theta = pairwise.params().clone();
    theta.rows_mut(0, N).add_scalar_mut(-1.0);
    pairwise.set_params(&theta);
    let v: Vec<f64> = (0..=N).map(|k| if k >= 7 { 2.5 } else { 0.0 }).collect();
    KPairwise::with_potential(pairwise, &v).unwrap()
}

/// The exact P(K) of an equilibrium model, by enumeration.
fn exact_activity(model: &Equilibrium<f64>) -> Vec<f64> {
    let exact = ExactDistribution::new(model).unwrap();
    let mut p = vec![0.0; N + 1];
    for c in 0..(1usize << N) {
        let s: Vec<Spin> = (0..N)
            .map(|i| if (c >> i) & 1 == 1 { 1 } else { -1 })
            .collect();
        p[c.count_ones() as usize] += exact.log_prob(&s).exp();
    }
    p
}

fn write_model(dir: &Path) -> KPairwise<f64> {
    let m = model();
    ModelFile::from_k_pairwise(&m)
        .write(&dir.join("k.json"))
        .unwrap();
    m
}

/// Exact samples of the model, written as a data file.
fn write_data(dir: &Path, m: &KPairwise<f64>, samples: usize) -> Raster {
    let exact = ExactDistribution::new(&Equilibrium::KPairwise(m.clone())).unwrap();
    let data = exact.sample(samples, &mut rng(12));
    write_raster(&dir.join("d.txt"), &data, Layout::SpinsBySamples).unwrap();
    data
}

#[test]
fn sample_draws_the_k_pairwise_distribution_of_k() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = write_model(d);
    let samples = 100_000;
    ok(
        d,
        &[
            "sample",
            "k.json",
            "--samples",
            "100000",
            "--seed",
            "3",
            "--out",
            "s.txt",
        ],
    );
    let drawn = activity(&read_raster(&d.join("s.txt"), Layout::SpinsBySamples).unwrap());
    let exact = exact_activity(&Equilibrium::KPairwise(m.clone()));
    let pairwise = exact_activity(&Equilibrium::Ising(m.pairwise().clone()));
    // The potential matters: bursts are far likelier than under the pairwise part alone.
    let bursts = |p: &[f64]| p[7..].iter().sum::<f64>();
    assert!(
        bursts(&exact) > 5.0 * bursts(&pairwise),
        "{exact:?} vs {pairwise:?}"
    );
    // Each P(K) within 5 standard errors; the samples are 10 sweeps apart, and a factor 3
    // on the multinomial error covers their autocorrelation.
    for k in 0..=N {
        let se = 3.0 * (exact[k] * (1.0 - exact[k]) / samples as f64).sqrt() + 1e-6;
        assert!(
            (drawn[k] - exact[k]).abs() <= 5.0 * se,
            "P(K = {k}): sampled {} vs exact {} (SE {se:.1e})",
            drawn[k],
            exact[k]
        );
    }
}

#[test]
fn evaluate_scores_it_exactly_and_by_ais() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = write_model(d);
    let data = write_data(d, &m, 5_000);
    let exact = ExactDistribution::new(&Equilibrium::KPairwise(m))
        .unwrap()
        .log_likelihood(&data)
        .unwrap();
    let out = ok(d, &["evaluate", "k.json", "d.txt"]);
    assert!(out.contains(&format!("{exact:.6}")), "{out} vs {exact}");
    let out = ok(d, &["evaluate", "k.json", "d.txt", "--score", "ais"]);
    let numbers: Vec<f64> = out
        .split(|c: char| c.is_whitespace() || c == ':')
        .filter_map(|w| w.parse().ok())
        .collect();
    let (value, se) = (numbers[0], numbers[1]);
    assert!(
        (value - exact).abs() <= 4.0 * se + 1e-6,
        "AIS {value} ± {se} vs exact {exact}"
    );
}

#[test]
fn compare_reports_p_of_k_within_the_data_split_half_difference() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = write_model(d);
    write_data(d, &m, 20_000);
    ok(
        d,
        &[
            "compare",
            "k.json",
            "d.txt",
            "--samples",
            "200000",
            "--out",
            "cmp",
        ],
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("cmp/compare.json")).unwrap())
            .unwrap();
    let names: Vec<&str> = report["statistics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"activity"), "{names:?}");
    // The data were drawn from the model itself: its P(K) is as close to them as their
    // two halves are to each other (the halves' difference has twice the data's noise
    // of each half, so the expected ratio is about 1/2).
    let ratio = report["faithfulness"]["activity_ratio"].as_f64().unwrap();
    assert!(ratio <= 1.0, "P(K) at {ratio}× the split-half difference");
    let md = std::fs::read_to_string(d.join("cmp/compare.md")).unwrap();
    assert!(md.contains("P(K)"), "{md}");
}

#[test]
fn fit_learns_the_k_pairwise_maximum_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = write_model(d);
    let data = write_data(d, &m, 20_000);
    for (model, out) in [("k-pairwise", "fitted.json"), ("pairwise", "pairwise.json")] {
        ok(
            d,
            &[
                "fit",
                "ising",
                "d.txt",
                "--model",
                model,
                "--sampler",
                "exact",
                "--quiet",
                "--out",
                out,
            ],
        );
    }
    let fitted = ModelFile::read(&d.join("fitted.json")).unwrap();
    let pairwise = ModelFile::read(&d.join("pairwise.json")).unwrap();
    assert_eq!(fitted.kind, spinfer::data::ModelKind::KPairwise);
    assert_eq!(fitted.metrics["converged"], true, "{}", fitted.metrics);
    // At the maximum of the likelihood the model's P(K) is the data's for every K with a
    // parameter of its own (3 up to the largest K of the data, whose parameter is shared
    // by every larger K: their sum is the data's).
    let p_fit = exact_activity(&fitted.to_equilibrium().unwrap());
    let p_data = activity(&data);
    let top = (0..=N).rev().find(|&k| p_data[k] > 0.0).unwrap();
    for k in 3..top {
        assert!(
            (p_fit[k] - p_data[k]).abs() < 1e-6,
            "P(K = {k}): {p_fit:?} vs {p_data:?}"
        );
    }
    let tail = |p: &[f64]| p[top..].iter().sum::<f64>();
    assert!((tail(&p_fit) - tail(&p_data)).abs() < 1e-6);
    // V(0..2) is the gauge; the extra parameters can only raise the training likelihood.
    assert_eq!(&fitted.v[..3], &[0.0, 0.0, 0.0]);
    let score = |f: &ModelFile| f.metrics["train_score"]["value"].as_f64().unwrap();
    assert!(
        score(&fitted) > score(&pairwise),
        "{} vs {}",
        score(&fitted),
        score(&pairwise)
    );
}

#[test]
fn a_monte_carlo_k_pairwise_fit_matches_the_data_s_p_of_k_where_the_pairwise_fit_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = write_model(d);
    let data = write_data(d, &m, 20_000);
    for (model, out) in [("k-pairwise", "fitted.json"), ("pairwise", "pairwise.json")] {
        ok(
            d,
            &[
                "fit", "ising", "d.txt", "--model", model, "--quiet", "--out", out,
            ],
        );
    }
    let fitted = ModelFile::read(&d.join("fitted.json")).unwrap();
    assert_eq!(fitted.kind, spinfer::data::ModelKind::KPairwise);
    assert_eq!(
        fitted.metrics["outcome"], "TargetReached",
        "{}",
        fitted.metrics
    );
    // The rule stopped the fit once fresh samples put P(K) within 0.9 of the split-half
    // difference (their own noise included); the model's exact P(K) is then within twice
    // that difference of the data's (the margin is the fresh samples' noise).
    let p_data = activity(&data);
    let (a, b) = (data.samples(0, 10_000), data.samples(10_000, 20_000));
    let rmse = |p: &[f64], q: &[f64]| {
        (p.iter().zip(q).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / p.len() as f64).sqrt()
    };
    let split_half = rmse(&activity(&a), &activity(&b));
    let ratio =
        |f: &ModelFile| rmse(&exact_activity(&f.to_equilibrium().unwrap()), &p_data) / split_half;
    let k_pairwise = ratio(&fitted);
    let pairwise = ratio(&ModelFile::read(&d.join("pairwise.json")).unwrap());
    eprintln!("P(K) against the data: k-pairwise {k_pairwise:.2}x, pairwise {pairwise:.2}x");
    assert!(k_pairwise <= 2.0, "k-pairwise P(K) at {k_pairwise:.2}x");
    assert!(pairwise > k_pairwise, "pairwise {pairwise:.2}x");
}
