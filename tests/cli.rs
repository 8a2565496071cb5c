//! The `spinfer` command: planted recovery end to end, and one-line errors for bad input.

mod common;

use std::path::Path;

use common::{bad_input, ok, spinfer};

use spinfer::data::ModelFile;

/// `spinfer generate ising --exact` with the given size, seed and outputs.
fn generate_exact_ising(dir: &Path, n: usize, samples: usize, seed: u64, out: &str, model: &str) {
    let (n, samples, seed) = (n.to_string(), samples.to_string(), seed.to_string());
    ok(
        dir,
        &[
            "generate",
            "ising",
            "--n",
            &n,
            "--samples",
            &samples,
            "--exact",
            "--seed",
            &seed,
            "--out",
            out,
            "--model-out",
            model,
        ],
    );
}

fn rmse_h_j(a: &ModelFile, b: &ModelFile) -> (f64, f64) {
    let h = common::rmse(&a.h, &b.h);
    let (mut ja, mut jb) = (Vec::new(), Vec::new());
    for i in 0..a.n {
        for k in i + 1..a.n {
            ja.push(a.j[i][k]);
            jb.push(b.j[i][k]);
        }
    }
    (h, common::rmse(&ja, &jb))
}

#[test]
fn fit_ising_recovers_a_planted_model_with_default_settings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate_exact_ising(d, 5, 100000, 7, "data.txt", "true.json");
    let truth = ModelFile::read(&d.join("true.json")).unwrap();
    for (sampler, precision, bound) in [
        ("exact", "f64", 0.02),
        ("exact", "f32", 0.02),
        ("metropolis", "f64", 0.04),
        ("metropolis", "f32", 0.04),
    ] {
        ok(
            d,
            &[
                "fit",
                "ising",
                "data.txt",
                "--out",
                "fit.json",
                "--sampler",
                sampler,
                "--precision",
                precision,
                "--trace",
                "trace.csv",
                "--quiet",
            ],
        );
        let fit = ModelFile::read(&d.join("fit.json")).unwrap();
        let (h, j) = rmse_h_j(&fit, &truth);
        assert!(
            h <= bound && j <= bound,
            "{sampler} {precision}: rmse h {h} J {j}"
        );
        let trace = std::fs::read_to_string(d.join("trace.csv")).unwrap();
        assert!(trace.starts_with("iteration,max_grad_h,max_grad_J,log_likelihood,seconds"));
        assert!(trace.lines().count() > 10);
    }
}

#[test]
fn fit_ising_by_pseudo_likelihood_recovers_a_planted_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate_exact_ising(d, 5, 100000, 7, "data.txt", "true.json");
    let truth = ModelFile::read(&d.join("true.json")).unwrap();
    let out = ok(
        d,
        &[
            "fit",
            "ising",
            "data.txt",
            "--method",
            "pseudo-likelihood",
            "--out",
            "pl.json",
            "--quiet",
        ],
    );
    assert!(
        out.contains("by lbfgs") && out.contains(", converged"),
        "{out}"
    );
    assert!(out.contains("pseudo-log-likelihood"), "{out}");
    let fit = ModelFile::read(&d.join("pl.json")).unwrap();
    assert_eq!(fit.metrics["objective"], "pseudo-log-likelihood");
    assert_eq!(fit.metrics["converged"], true);
    let (h, j) = rmse_h_j(&fit, &truth);
    // Standard errors are about 1/√(M · Fisher information) ≈ 0.005 at M = 10⁵: 4σ.
    assert!(
        h <= 0.02 && j <= 0.02,
        "pseudo-likelihood: rmse h {h} J {j}"
    );
    for i in 0..5 {
        for k in 0..5 {
            assert_eq!(fit.j[i][k], fit.j[k][i]);
        }
        assert_eq!(fit.j[i][i], 0.0);
    }
    // L1 goes through L-BFGS's orthant-wise steps; Newton cannot take it.
    ok(
        d,
        &[
            "fit",
            "ising",
            "data.txt",
            "--method",
            "pseudo-likelihood",
            "--l1",
            "0.01",
            "--out",
            "l1.json",
            "--quiet",
        ],
    );
    bad_input(
        d,
        &[
            "fit",
            "ising",
            "data.txt",
            "--method",
            "pseudo-likelihood",
            "--solver",
            "newton",
            "--l1",
            "0.01",
            "--out",
            "bad.json",
        ],
        &["solver", "newton", "L1"],
    );
    assert!(!d.join("bad.json").exists());
}

#[test]
fn warm_started_fits_step_in_centred_parameters_and_recover_a_planted_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate_exact_ising(d, 5, 100000, 7, "data.txt", "true.json");
    let truth = ModelFile::read(&d.join("true.json")).unwrap();
    // First-order steps: (start, --stepping, centred steps expected). L-BFGS, the default
    // for the exact sampler, always steps in the centred parameters.
    for (init, stepping, centred) in [
        ("pseudo", None, true),
        ("tap", None, true),
        ("pseudo", Some("raw"), false),
        ("zero", None, false),
        ("zero", Some("centred"), true),
    ] {
        let mut args = vec![
            "fit",
            "ising",
            "data.txt",
            "--sampler",
            "exact",
            "--solver",
            "gradient",
            "--init",
            init,
            "--out",
            "fit.json",
            "--quiet",
        ];
        if let Some(s) = stepping {
            args.extend(["--stepping", s]);
        }
        ok(d, &args);
        let fit = ModelFile::read(&d.join("fit.json")).unwrap();
        assert_eq!(fit.metrics["centred"], centred, "{init} {stepping:?}");
        // Exact model averages: only the data's sampling error remains, about 0.005 at
        // M = 10⁵ (see the pseudo-likelihood test): 4σ.
        let (h, j) = rmse_h_j(&fit, &truth);
        assert!(
            h <= 0.02 && j <= 0.02,
            "{init} {stepping:?}: rmse h {h} J {j}"
        );
    }
}

#[test]
fn kinetic_generate_fit_and_sample_work_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "generate",
            "kinetic",
            "--n",
            "4",
            "--steps",
            "20000",
            "--out",
            "k.txt.gz",
            "--model-out",
            "kt.json",
        ],
    );
    let out = ok(
        d,
        &["fit", "kinetic", "k.txt.gz", "--out", "km.json", "--quiet"],
    );
    assert!(out.contains(", converged"), "{out}");
    let fit = ModelFile::read(&d.join("km.json")).unwrap();
    // The objective is reported at the saved parameters: what `evaluate` computes.
    let saved = fit.metrics["log_likelihood"].as_f64().unwrap();
    let evaluated = ok(d, &["evaluate", "km.json", "k.txt.gz"]);
    assert!(
        evaluated.contains(&format!("{saved:.6}")),
        "{saved} vs {evaluated}"
    );
    assert_eq!(fit.kind, spinfer::data::ModelKind::Kinetic);
    ok(
        d,
        &["sample", "km.json", "--samples", "50", "--out", "s.txt"],
    );
    let sampled = spinfer::data::read_raster(&d.join("s.txt"), Default::default()).unwrap();
    assert_eq!((sampled.n_spins(), sampled.n_samples()), (4, 50));
    let out = ok(d, &["evaluate", "km.json", "k.txt.gz"]);
    assert!(out.contains("log-likelihood per transition"), "{out}");
}

#[test]
fn bad_data_gives_one_line_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ragged.txt"), "0 1 0\n1 1\n").unwrap();
    bad_input(
        d,
        &["fit", "ising", "ragged.txt", "--out", "m.json"],
        &["ragged.txt:2:", "ragged"],
    );
    std::fs::write(d.join("token.txt"), "0 1 0\n1 x 0\n").unwrap();
    bad_input(
        d,
        &["fit", "ising", "token.txt", "--out", "m.json"],
        &["token.txt:2:2", "\"x\""],
    );
    std::fs::write(d.join("empty.txt"), "").unwrap();
    bad_input(
        d,
        &["fit", "kinetic", "empty.txt", "--out", "m.json"],
        &["empty.txt", "no data"],
    );
    std::fs::write(d.join("blank.txt"), " \n\t\n").unwrap();
    bad_input(
        d,
        &["fit", "ising", "blank.txt", "--out", "m.json"],
        &["blank.txt", "no data"],
    );
    assert!(!d.join("m.json").exists(), "no output after a failure");
}

#[test]
fn model_and_data_of_different_sizes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate_exact_ising(d, 3, 10, 1, "d3.txt", "m3.json");
    std::fs::write(d.join("d2.txt"), "0 1 0\n1 1 0\n").unwrap();
    bad_input(
        d,
        &["evaluate", "m3.json", "d2.txt"],
        &["m3.json", "d2.txt", "3", "2"],
    );
}

#[test]
fn invalid_settings_name_the_setting_and_its_range() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("d.txt"), "0 1 0 1\n1 1 0 0\n").unwrap();
    bad_input(
        d,
        &["fit", "ising", "d.txt", "--out", "m.json", "--lr=-1"],
        &["lr", "> 0"],
    );
    bad_input(
        d,
        &["fit", "ising", "d.txt", "--out", "m.json", "--samples", "0"],
        &["samples"],
    );
    bad_input(
        d,
        &[
            "fit",
            "ising",
            "d.txt",
            "--out",
            "m.json",
            "--iters",
            "1000000000",
        ],
        &["iters"],
    );
    std::fs::write(d.join("big.txt"), "0 1\n".repeat(21)).unwrap();
    bad_input(
        d,
        &[
            "fit",
            "ising",
            "big.txt",
            "--out",
            "m.json",
            "--sampler",
            "exact",
        ],
        &["N <= 20"],
    );
}

fn params(file: &ModelFile) -> Vec<f64> {
    file.h
        .iter()
        .chain(file.j.iter().flatten())
        .cloned()
        .collect()
}

#[test]
fn a_stopped_and_resumed_fit_equals_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate_exact_ising(d, 5, 20000, 1, "d.txt", "t.json");
    let common = ["--iters", "60", "--samples", "4000", "--quiet"];
    let mut first = vec![
        "fit",
        "ising",
        "d.txt",
        "--out",
        "a.json",
        "--checkpoint",
        "cp.json",
    ];
    first.extend(["--checkpoint-every", "10", "--stop-after", "25"]);
    first.extend(common);
    let out = ok(d, &first);
    assert!(
        out.contains("24 iterations, not converged (Stopped)"),
        "{out}"
    );
    ok(
        d,
        &[
            "fit", "ising", "d.txt", "--out", "b.json", "--resume", "cp.json", "--quiet",
        ],
    );
    let mut whole = vec!["fit", "ising", "d.txt", "--out", "c.json"];
    whole.extend(common);
    ok(d, &whole);
    let b = ModelFile::read(&d.join("b.json")).unwrap();
    let c = ModelFile::read(&d.join("c.json")).unwrap();
    assert_eq!(params(&b), params(&c));
    assert_eq!(b.metrics["iterations"], c.metrics["iterations"]);

    // Resuming on other data is refused.
    generate_exact_ising(d, 5, 100, 9, "other.txt", "o.json");
    bad_input(
        d,
        &[
            "fit",
            "ising",
            "other.txt",
            "--out",
            "x.json",
            "--resume",
            "cp.json",
        ],
        &["cp.json", "other data"],
    );
}

/// With Monte Carlo gradients there is no exact likelihood to backtrack on (with the exact
/// sampler, adaptive steps would rescue this learning rate). The rate overflows f32 in the
/// first step, before the overshoot damping of Monte Carlo steps can shrink it.
#[test]
fn a_diverging_fit_names_the_iteration_and_keeps_the_last_finite_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate_exact_ising(d, 5, 1000, 1, "d.txt", "t.json");
    let (code, _, stderr) = spinfer(
        d,
        &[
            "fit",
            "ising",
            "d.txt",
            "--out",
            "m.json",
            "--samples",
            "1000",
            "--optimizer",
            "sgd",
            "--lr",
            "3e38",
            "--precision",
            "f32",
            "--quiet",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    // The error comes first, then what became of the model.
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.contains("non-finite at iteration"), "{stderr}");
    assert!(stderr.contains("--lr"), "{stderr}");
    // Either the last finite model is kept (reading it checks that every value is finite and
    // within the model-file limit), or it was too large for a model file and none is written.
    if stderr.contains("no model was written") {
        assert!(!d.join("m.json").exists());
    } else {
        let kept = ModelFile::read(&d.join("m.json")).unwrap();
        assert!(kept.metrics["diverged_at_iteration"].is_u64());
    }
}

#[test]
fn silent_cells_get_a_warning_and_a_finite_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut text = String::new();
    let m = 2000;
    for i in 0..3 {
        let row: Vec<&str> = (0..m)
            .map(|t| {
                if i < 2 && (t * (i + 3)) % 7 < 2 {
                    "1"
                } else {
                    "0"
                }
            })
            .collect();
        text.push_str(&row.join(" "));
        text.push('\n');
    }
    std::fs::write(d.join("silent.txt"), text).unwrap();
    for kind in ["ising", "kinetic"] {
        let mut args = vec!["fit", kind, "silent.txt", "--out", "m.json", "--quiet"];
        if kind == "ising" {
            args.extend(["--sampler", "exact"]);
        }
        let (code, _, stderr) = spinfer(d, &args);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains("warning") && stderr.contains("cells 2 "),
            "{stderr}"
        );
        let fit = ModelFile::read(&d.join("m.json")).unwrap();
        // Finite (checked on reading) and strongly negative: about −½ log(2M).
        assert!(
            fit.h[2] < -2.0,
            "{kind}: h of the silent cell is {}",
            fit.h[2]
        );
    }
}

#[test]
fn oversized_requests_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    bad_input(
        d,
        &[
            "generate",
            "ising",
            "--n",
            "100000",
            "--samples",
            "10",
            "--out",
            "d.txt",
            "--model-out",
            "m.json",
        ],
        &["n = 100000", "8192"],
    );
    std::fs::write(d.join("wide.txt"), "0 1\n".repeat(9000)).unwrap();
    bad_input(
        d,
        &["fit", "kinetic", "wide.txt", "--out", "m.json"],
        &["wide.txt:8193:", "8192"],
    );
}

#[test]
fn settings_are_checked_before_the_data_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The data file does not exist: the settings error must come first.
    bad_input(
        d,
        &[
            "fit",
            "ising",
            "missing.txt",
            "--out",
            "m.json",
            "--chains",
            "0",
        ],
        &["chains"],
    );
    bad_input(
        d,
        &["fit", "kinetic", "missing.txt", "--out", "m.json", "--lr=0"],
        &["lr"],
    );
}

/// `spinfer thermo`: the planted model's log Z by enumeration within a few standard errors
/// of the ladder's, the files written; a kinetic model file is refused in one line naming it.
#[test]
fn thermo_writes_its_files_and_refuses_kinetic_models() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate_exact_ising(d, 5, 1000, 3, "d.txt", "t.json");
    ok(
        d,
        &["thermo", "t.json", "--out", "th", "--samples", "40000"],
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("th/thermo.json")).unwrap()).unwrap();
    let model = ModelFile::read(&d.join("t.json"))
        .unwrap()
        .to_ising::<f64>()
        .unwrap();
    let exact = spinfer::sample::ExactDistribution::new(&model)
        .unwrap()
        .log_z();
    let (value, se) = (
        json["log_z"]["value"].as_f64().unwrap(),
        json["log_z"]["std_error"].as_f64().unwrap(),
    );
    assert!(
        (value - exact).abs() < 5.0 * se.max(1e-3),
        "{value} ± {se} vs {exact}"
    );
    for f in ["specific_heat.svg", "energy_histogram.svg"] {
        assert!(d.join("th").join(f).is_file(), "{f}");
    }
    std::fs::write(
        d.join("k.json"),
        r#"{"kind": "kinetic", "n": 2, "h": [0, 0], "J": [[0, 1], [0.5, 0]]}"#,
    )
    .unwrap();
    bad_input(d, &["thermo", "k.json"], &["k.json", "equilibrium"]);
}
