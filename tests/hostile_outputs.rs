//! Hostile outputs through the binary, second round: closed and full standard output, names
//! written inside output directories, names too long to create, hostile file names in
//! messages, model files the other commands must read, and interrupted writes.

mod common;

use std::{
    fs,
    path::Path,
    process::{Command, Stdio},
    time::Duration,
};

use common::{bad_input, ok, small_ising_data, spinfer};

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spinfer"));
    c.current_dir(dir).args(args).env_remove("RUST_BACKTRACE");
    c
}

#[test]
fn a_closed_standard_output_ends_quietly_and_a_full_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_ising_data(d);
    // The reader has gone before anything is written: every write meets EPIPE.
    for args in [
        &["evaluate", "m.json", "d.txt"][..],
        &[
            "fit",
            "ising",
            "d.txt",
            "--out",
            "f.json",
            "--sampler",
            "exact",
        ][..],
    ] {
        let mut child = command(d, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(d.join("f.json").exists());
    let full = Path::new("/dev/full");
    if full.exists() {
        let out = command(d, &["evaluate", "m.json", "d.txt"])
            .stdout(fs::File::create(full).unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("standard output") && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
}

#[test]
fn names_written_inside_output_directories_never_replace_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_ising_data(d);
    fs::create_dir(d.join("figs")).unwrap();
    fs::copy(d.join("d.txt"), d.join("figs/learning_curve.svg")).unwrap();
    fs::create_dir(d.join("cmp")).unwrap();
    fs::copy(d.join("m.json"), d.join("cmp/compare.json")).unwrap();
    fs::create_dir(d.join("dd")).unwrap();
    fs::copy(d.join("d.txt"), d.join("dd/report.md")).unwrap();
    let before = fs::read(d.join("d.txt")).unwrap();
    let cases: [&[&str]; 5] = [
        &[
            "fit",
            "ising",
            "figs/learning_curve.svg",
            "--out",
            "o.json",
            "--plot",
            "figs",
            "--sampler",
            "exact",
        ],
        &[
            "fit",
            "ising",
            "d.txt",
            "--out",
            "figs/inferred_vs_true.svg",
            "--plot",
            "figs",
        ],
        &["compare", "cmp/compare.json", "d.txt", "--out", "cmp"],
        &["demo", "--quick", "--out", "dd", "--data", "dd/report.md"],
        &["thermo", "thermo.json", "--out", "."],
    ];
    fs::copy(d.join("m.json"), d.join("thermo.json")).unwrap();
    for args in cases {
        bad_input(d, args, &["refusing to overwrite"]);
    }
    assert_eq!(fs::read(d.join("figs/learning_curve.svg")).unwrap(), before);
    assert_eq!(fs::read(d.join("dd/report.md")).unwrap(), before);
    assert!(!d.join("o.json").exists());
    // A directory where a figure goes is refused before --out is written.
    fs::create_dir(d.join("figs2")).unwrap();
    fs::create_dir(d.join("figs2/learning_curve.svg")).unwrap();
    bad_input(
        d,
        &[
            "fit",
            "ising",
            "d.txt",
            "--out",
            "p.json",
            "--plot",
            "figs2",
            "--sampler",
            "exact",
        ],
        &["learning_curve.svg", "not a regular file"],
    );
    assert!(!d.join("p.json").exists());
}

#[test]
fn output_names_are_checked_before_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_ising_data(d);
    // The longest name a file system takes is written (its temporary name is shorter).
    let longest = format!("{}.json", "m".repeat(250));
    ok(
        d,
        &[
            "fit",
            "ising",
            "d.txt",
            "--out",
            &longest,
            "--sampler",
            "exact",
            "--quiet",
        ],
    );
    assert!(d.join(&longest).exists());
    let too_long = format!("{}.csv", "t".repeat(296));
    bad_input(
        d,
        &[
            "fit",
            "ising",
            "d.txt",
            "--out",
            "q.json",
            "--trace",
            &too_long,
            "--sampler",
            "exact",
        ],
        &["--trace", "300 bytes"],
    );
    bad_input(
        d,
        &[
            "fit",
            "ising",
            "d.txt",
            "--out",
            "q.json/",
            "--sampler",
            "exact",
        ],
        &["--out", "ends in '/'"],
    );
    assert!(!d.join("q.json").exists());
}

#[test]
fn hostile_file_names_are_escaped_in_messages() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, _, stderr) = spinfer(d, &["evaluate", "a\nforged line\x1b[31m", "b"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr:?}");
    assert!(
        !stderr.contains('\x1b') && stderr.contains("\\n") && stderr.contains("\\u{1b}"),
        "{stderr:?}"
    );
}

#[test]
fn every_model_file_a_command_writes_is_read_by_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_ising_data(d);
    ok(
        d,
        &[
            "fit",
            "ising",
            "d.txt",
            "--out",
            "o.json.gz",
            "--sampler",
            "exact",
            "--quiet",
        ],
    );
    ok(d, &["evaluate", "o.json.gz", "d.txt"]);
    // A byte that is not UTF-8 is named with its line and column.
    let mut text = fs::read(d.join("m.json")).unwrap();
    let second_line = text.iter().position(|&b| b == b'\n').unwrap() + 1;
    text.insert(second_line + 2, 0xff);
    fs::write(d.join("bad.json"), text).unwrap();
    bad_input(
        d,
        &["evaluate", "bad.json", "d.txt"],
        &["bad.json:2:3", "0xff", "UTF-8"],
    );
    // A planted model too large for model files is refused before anything is written.
    bad_input(
        d,
        &[
            "generate",
            "kinetic",
            "--n",
            "4",
            "--steps",
            "10",
            "--j-std",
            "1e7",
            "--out",
            "k.txt",
            "--model-out",
            "k.json",
        ],
        &["j-std"],
    );
    assert!(!d.join("k.txt").exists() && !d.join("k.json").exists());
}

#[test]
fn sample_limits_out_of_range_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_ising_data(d);
    for max in ["0", "18446744073709551615", "5000"] {
        bad_input(
            d,
            &[
                "fit",
                "ising",
                "d.txt",
                "--out",
                "o.json",
                "--max-samples",
                max,
            ],
            &["max-samples", max],
        );
    }
}

/// Hidden files left in `dir` (temporaries of an interrupted write).
fn hidden(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[cfg(unix)]
#[test]
fn an_interrupted_write_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "generate",
            "ising",
            "--n",
            "100",
            "--samples",
            "10",
            "--out",
            "s.txt",
            "--model-out",
            "big.json",
        ],
    );
    let cases: [(&[&str], &str); 2] = [
        (
            &[
                "sample",
                "big.json",
                "--samples",
                "3000000",
                "--out",
                "big.txt.gz",
            ],
            "-INT",
        ),
        (
            &[
                "generate",
                "ising",
                "--n",
                "100",
                "--samples",
                "3000000",
                "--out",
                "g.txt.gz",
                "--model-out",
                "g.json",
            ],
            "-TERM",
        ),
    ];
    for (args, signal) in cases {
        let child = command(d, args).stderr(Stdio::piped()).spawn().unwrap();
        // Stop it while it writes (or still draws: either way nothing may be left).
        std::thread::sleep(Duration::from_millis(1500));
        Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(130) | Some(143)),
            "{args:?}: {:?} {stderr}",
            out.status
        );
        assert!(stderr.contains("stopped by"), "{stderr}");
        assert_eq!(hidden(d), Vec::<String>::new(), "{args:?}");
    }
}
