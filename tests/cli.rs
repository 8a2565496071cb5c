//! The `spinfer` command: planted recovery end to end, and one-line errors for bad input.

mod common;

use std::{path::Path, process::Command};

use spinfer::data::ModelFile;

fn spinfer(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_spinfer"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("spinfer runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = spinfer(dir, args);
    assert_eq!(code, 0, "spinfer {args:?} failed: {stderr}");
    stdout
}

/// Exit code 2 and a single stderr line containing every `needle`.
fn bad_input(dir: &Path, args: &[&str], needles: &[&str]) {
    let (code, _, stderr) = spinfer(dir, args);
    assert_eq!(
        code, 2,
        "spinfer {args:?}: expected exit 2, stderr: {stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "not one line: {stderr}"
    );
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: {stderr:?} lacks {n:?}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
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
    ok(
        d,
        &[
            "generate",
            "ising",
            "--n",
            "5",
            "--samples",
            "100000",
            "--exact",
            "--seed",
            "7",
            "--out",
            "data.txt",
            "--model-out",
            "true.json",
        ],
    );
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
    assert!(out.contains("Converged"), "{out}");
    let fit = ModelFile::read(&d.join("km.json")).unwrap();
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
    ok(
        d,
        &[
            "generate",
            "ising",
            "--n",
            "3",
            "--samples",
            "10",
            "--exact",
            "--out",
            "d3.txt",
            "--model-out",
            "m3.json",
        ],
    );
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
        &["fit", "ising", "d.txt", "--out", "m.json", "--iters", "0"],
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
