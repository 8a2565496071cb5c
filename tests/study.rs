//! The study end to end through the `spinfer` command: synthetic retina, fits with held-out
//! splits and figures, model-versus-data comparisons, and the quick demo report.

mod common;

use std::path::Path;

use common::{bad_input, ok};
use spinfer::data::{read_raster, Layout, ModelFile};

/// Every figure is an SVG with axis labels and, where it has several series, a legend.
fn check_svg(path: &Path) {
    let svg = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(svg.starts_with("<svg"), "{} is not SVG", path.display());
    let texts = svg.matches("<text").count();
    // Title, two axis labels and tick labels at the least.
    assert!(texts >= 8, "{}: only {texts} text elements", path.display());
}

#[test]
fn quick_demo_writes_a_report_whose_figures_exist_and_whose_checks_pass() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(dir.path(), &["demo", "--quick", "--out", "study"]);
    assert!(out.contains("wrote"), "{out}");
    let report = std::fs::read_to_string(dir.path().join("study/report.md")).unwrap();
    let linked: Vec<&str> = report
        .lines()
        .filter_map(|l| l.strip_prefix("![").and_then(|r| r.split("](").nth(1)))
        .map(|r| r.trim_end_matches(')'))
        .collect();
    assert!(linked.len() >= 8, "{} figures linked", linked.len());
    for f in &linked {
        assert!(f.ends_with(".svg"));
        check_svg(&dir.path().join("study").join(f));
    }
    for part in [
        "## a.",
        "## b.",
        "## c.",
        "### Split-half",
        "## d.",
        "## e.",
    ] {
        assert!(report.contains(part), "report lacks {part}");
    }
    // The study's own checks: equilibrium moments within 1.5× the split-half difference,
    // asymmetric kinetic model at least as good as the symmetric one on training data.
    assert!(!report.contains("**no**"), "{report}");
    assert!(!report.contains("**fits worse than**"), "{report}");
}

#[test]
fn retina_fits_with_splits_figures_and_comparisons() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = ok(
        d,
        &[
            "generate",
            "retina",
            "--cells",
            "20",
            "--repeats",
            "40",
            "--bins",
            "500",
            "--out",
            "r.txt",
        ],
    );
    assert!(out.contains("firing probability"), "{out}");
    let data = read_raster(&d.join("r.txt"), Layout::SpinsBySamples).unwrap();
    assert_eq!((data.n_spins(), data.n_samples()), (20, 20_000));

    // Kinetic fit on the first half of the transitions within repeats, scored on the rest.
    let out = ok(
        d,
        &[
            "fit",
            "kinetic",
            "r.txt",
            "--out",
            "k.json",
            "--split",
            "halves",
            "--repeat-bins",
            "500",
            "--plot",
            "kfig",
            "--quiet",
        ],
    );
    assert!(
        out.contains("training") && out.contains("held out"),
        "{out}"
    );
    let k = ModelFile::read(&d.join("k.json")).unwrap();
    let held = k.metrics["held_out_score"]["value"].as_f64().unwrap();
    let train = k.metrics["train_score"]["value"].as_f64().unwrap();
    assert!(held.is_finite() && train.is_finite());
    assert_eq!(k.metrics["split"], "halves");
    check_svg(&d.join("kfig/learning_curve.svg"));

    // An L-BFGS fit reports its final objective as the training score: it must be the
    // log-likelihood of the saved model, computed afresh.
    ok(
        d,
        &[
            "fit",
            "kinetic",
            "r.txt",
            "--out",
            "kl.json",
            "--solver",
            "lbfgs",
            "--repeat-bins",
            "500",
            "--quiet",
        ],
    );
    let kl = ModelFile::read(&d.join("kl.json")).unwrap();
    let reported = kl.metrics["train_score"]["value"].as_f64().unwrap();
    let transitions = spinfer::Transitions::within_repeats(&data, Some(500)).unwrap();
    let fresh =
        spinfer::validate::kinetic_log_likelihood(&kl.to_kinetic::<f64>().unwrap(), &transitions)
            .unwrap();
    assert!(
        (reported - fresh).abs() <= 1e-12 * fresh.abs(),
        "reported {reported}, recomputed {fresh}"
    );

    // Equilibrium fit with the interleaved split: exact likelihood at N = 20.
    let out = ok(
        d,
        &[
            "fit",
            "ising",
            "r.txt",
            "--out",
            "i.json",
            "--split",
            "interleaved",
            "--iters",
            "60",
            "--quiet",
        ],
    );
    assert!(out.contains("exact log-likelihood per sample"), "{out}");

    let out = ok(
        d,
        &[
            "compare",
            "k.json",
            "r.txt",
            "--repeat-bins",
            "500",
            "--samples",
            "20000",
            "--out",
            "kc",
        ],
    );
    assert!(out.contains("lagged"), "{out}");
    for f in [
        "means",
        "pairs",
        "connected",
        "triplets",
        "lagged",
        "connected_lagged",
    ] {
        check_svg(&d.join(format!("kc/{f}.svg")));
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("kc/compare.json")).unwrap()).unwrap();
    let stats = json["statistics"].as_array().unwrap();
    let lagged = stats.iter().find(|s| s["name"] == "lagged").unwrap();
    // N² lagged entries, compared by Pearson r.
    assert_eq!(lagged["agreement"]["count"], 400);
    assert!(lagged["agreement"]["pearson"].as_f64().unwrap() > 0.9);
    assert!(std::fs::read_to_string(d.join("kc/compare.md"))
        .unwrap()
        .contains("Pearson r"));

    bad_input(d, &["compare", "k.json", "i.json"], &["i.json"]);
}

#[test]
fn planted_fit_plots_inferred_against_true() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "generate",
            "kinetic",
            "--n",
            "6",
            "--steps",
            "30000",
            "--out",
            "k.txt",
            "--model-out",
            "truth.json",
        ],
    );
    let out = ok(
        d,
        &[
            "fit",
            "kinetic",
            "k.txt",
            "--out",
            "fit.json",
            "--truth",
            "truth.json",
            "--plot",
            "fig",
            "--init",
            "tap",
            "--quiet",
        ],
    );
    assert!(out.contains("RMSE h"), "{out}");
    let fit = ModelFile::read(&d.join("fit.json")).unwrap();
    // 30,000 transitions of a 6-spin model: parameter errors of order 1/√T ≈ 0.006.
    assert!(
        fit.metrics["rmse_J"].as_f64().unwrap() < 0.03,
        "{:?}",
        fit.metrics
    );
    check_svg(&d.join("fig/inferred_vs_true.svg"));
    let svg = std::fs::read_to_string(d.join("fig/inferred_vs_true.svg")).unwrap();
    for label in ["true parameter", "inferred parameter", "y = x"] {
        assert!(svg.contains(label), "{label}");
    }
    bad_input(
        d,
        &[
            "fit", "kinetic", "k.txt", "--out", "x.json", "--init", "pseudo",
        ],
        &["init", "pseudo"],
    );
    bad_input(
        d,
        &[
            "fit",
            "ising",
            "k.txt",
            "--out",
            "x.json",
            "--truth",
            "truth.json",
        ],
        &["truth.json", "Kinetic"],
    );
}
