//! Hostile inputs, paths and interruptions through the binary: each rule of the README's
//! reliability section, by its exit code and the one-line message naming what was wrong.

mod common;

use std::{fs, path::Path, process::Command, time::Duration};

use common::{bad_input, ok, small_ising_data, spinfer};

/// Writes `bytes` to `dir/name`.
fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn sizes_are_checked_before_anything_is_allocated() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_ising_data(d);
    let huge = "18446744073709551615";
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "generate",
                "kinetic",
                "--n",
                "5",
                "--steps",
                huge,
                "--out",
                "a",
                "--model-out",
                "b",
            ],
            "steps",
        ),
        (
            &[
                "generate",
                "kinetic",
                "--n",
                "5",
                "--steps",
                "1000000000000",
                "--out",
                "a",
                "--model-out",
                "b",
            ],
            "steps",
        ),
        (
            &[
                "generate",
                "ising",
                "--n",
                "5",
                "--samples",
                "1000000000000",
                "--out",
                "a",
                "--model-out",
                "b",
            ],
            "samples",
        ),
        (
            &["generate", "retina", "--repeats", huge, "--out", "a"],
            "repeats",
        ),
        (
            &["generate", "retina", "--bins", huge, "--out", "a"],
            "bins",
        ),
        (
            &["sample", "m.json", "--samples", huge, "--out", "a"],
            "samples",
        ),
    ];
    for (args, setting) in cases {
        bad_input(d, args, &[setting, "bytes"]);
    }
    bad_input(
        d,
        &["compare", "m.json", "d.txt", "--samples", huge],
        &["samples"],
    );
    assert!(!d.join("a").exists() && !d.join("b").exists());
}

#[test]
fn cr_lf_and_crlf_line_ends_read_alike() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "lf.txt", b"0 1 0 1\n1 0 1 1\n");
    write(d, "cr.txt", b"0 1 0 1\r1 0 1 1\r");
    write(d, "crlf.txt", b"0 1 0 1\r\n1 0 1 1\r\n");
    for name in ["lf", "cr", "crlf"] {
        let out = format!("{name}.json");
        ok(
            d,
            &[
                "fit",
                "ising",
                &format!("{name}.txt"),
                "--out",
                &out,
                "--sampler",
                "exact",
                "--quiet",
            ],
        );
    }
    let read = |name: &str| fs::read_to_string(d.join(name)).unwrap();
    let model = |text: String| -> serde_json::Value { serde_json::from_str(&text).unwrap() };
    let lf = model(read("lf.json"));
    assert_eq!(lf["n"], 2);
    for other in ["cr.json", "crlf.json"] {
        let m = model(read(other));
        assert_eq!((&m["h"], &m["J"]), (&lf["h"], &lf["J"]), "{other}");
    }
}

#[test]
fn unreadable_and_missing_inputs_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_ising_data(d);
    let text = fs::read(d.join("d.txt")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &text).unwrap();
    let gz = gz.finish().unwrap();
    for cut in [2, 10, 20, gz.len() / 2, gz.len() - 4] {
        write(d, "cut.gz", &gz[..cut]);
        bad_input(
            d,
            &["fit", "ising", "cut.gz", "--out", "x.json"],
            &["cut.gz:", "gz"],
        );
    }
    bad_input(
        d,
        &["fit", "ising", "missing.txt", "--out", "x.json"],
        &["missing.txt"],
    );
    assert!(!d.join("x.json").exists());
}

#[test]
fn invisible_bytes_are_named_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: [(&[u8], &str); 4] = [
        (b"0 1\xc2\xa00\n1 0 1\n", "byte 0xC2"),
        (b"\xef\xbb\xbf0 1 0\n1 0 1\n", "byte-order mark"),
        (b"0 1 \x000\n1 0 1\n", "byte 0x00"),
        (b"0 1 0\x0c\n1 0 1\n", "byte 0x0C"),
    ];
    for (bytes, needle) in cases {
        write(d, "odd.txt", bytes);
        bad_input(
            d,
            &["fit", "ising", "odd.txt", "--out", "x.json"],
            &["odd.txt:1:", needle],
        );
    }
}

#[test]
fn outputs_never_clobber_inputs_each_other_or_special_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_ising_data(d);
    let before = fs::read(d.join("d.txt")).unwrap();
    let fit = |extra: &[&str]| {
        let mut args = vec!["fit", "ising", "d.txt", "--quiet"];
        args.extend(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let cases: [(&[&str], &[&str]); 6] = [
        (&["--out", "d.txt"], &["DATA", "--out", "same file"]),
        (
            &["--out", "m2.json", "--trace", "m2.json"],
            &["--trace", "same file"],
        ),
        (
            &["--out", "m2.json", "--checkpoint", "./m2.json"],
            &["--checkpoint", "same file"],
        ),
        (&["--out", "nodir/m.json"], &["nodir", "does not exist"]),
        (
            &["--out", "m2.json", "--trace", "nodir/t.csv"],
            &["nodir", "does not exist"],
        ),
        (
            &["--out", "m2.json", "--plot", "d.txt"],
            &["--plot", "directory"],
        ),
    ];
    for (extra, needles) in cases {
        let args = fit(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        bad_input(d, &args, needles);
    }
    fs::create_dir(d.join("adir")).unwrap();
    bad_input(
        d,
        &["fit", "ising", "d.txt", "--out", "adir"],
        &["adir", "not a regular file"],
    );
    bad_input(
        d,
        &[
            "generate",
            "ising",
            "--n",
            "3",
            "--samples",
            "10",
            "--out",
            "x",
            "--model-out",
            "x",
        ],
        &["--model-out", "same file"],
    );
    assert_eq!(fs::read(d.join("d.txt")).unwrap(), before);
    assert!(!d.join("m2.json").exists());
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_and_an_output_symlink_is_replaced_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_ising_data(d);
    let made = Command::new("mkfifo").arg(d.join("pipe")).status();
    if made.is_ok_and(|s| s.success()) {
        bad_input(
            d,
            &["fit", "ising", "d.txt", "--out", "pipe"],
            &["pipe", "not a regular file"],
        );
    }
    // An output planted as a symlink to another file: the new output replaces the link, and
    // the file it pointed to is not written through it.
    write(d, "victim", b"keep me");
    std::os::unix::fs::symlink(d.join("victim"), d.join("out.json")).unwrap();
    ok(
        d,
        &[
            "fit",
            "ising",
            "d.txt",
            "--out",
            "out.json",
            "--sampler",
            "exact",
            "--quiet",
        ],
    );
    assert_eq!(fs::read(d.join("victim")).unwrap(), b"keep me");
    let out = fs::symlink_metadata(d.join("out.json")).unwrap();
    assert!(out.file_type().is_file(), "out.json is still a link");
    let leftovers: Vec<_> = fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn model_files_without_a_finite_likelihood_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_ising_data(d);
    let cases: [(&str, &str); 4] = [
        (r#"{"kind":"ising","n":0,"h":[],"J":[]}"#, "n = 0"),
        (r#"{"kind":"ising","n":1,"h":[1e300],"J":[[0]]}"#, "limit"),
        (
            r#"{"kind":"ising","n":2,"h":[0,0],"J":[[0,1],[0.5,0]]}"#,
            "symmetric",
        ),
        (
            r#"{"kind":"ising","n":2,"h":[0,0],"J":[[1,0],[0,0]]}"#,
            "self-coupling",
        ),
    ];
    for (text, needle) in cases {
        write(d, "bad.json", text.as_bytes());
        bad_input(
            d,
            &["sample", "bad.json", "--samples", "10", "--out", "s.txt"],
            &["bad.json", needle],
        );
    }
    assert!(!d.join("s.txt").exists());
}

#[test]
fn settings_that_would_do_nothing_useful_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_ising_data(d);
    bad_input(
        d,
        &[
            "fit",
            "ising",
            "d.txt",
            "--out",
            "x.json",
            "--stop-after",
            "0",
        ],
        &["stop-after"],
    );
    write(d, "one.txt", b"1\n0\n");
    bad_input(
        d,
        &[
            "fit", "ising", "one.txt", "--out", "x.json", "--split", "halves",
        ],
        &["one.txt", "too few"],
    );
    for flag in ["--lr", "--l1", "--tol"] {
        bad_input(
            d,
            &["fit", "ising", "d.txt", "--out", "x.json", flag, "-1"],
            &[&flag[2..]],
        );
    }
}

#[test]
fn damaged_or_edited_checkpoints_are_refused() {
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
            "a.json",
            "--checkpoint",
            "cp",
            "--iters",
            "5",
            "--samples",
            "1000",
            "--quiet",
        ],
    );
    let text = fs::read_to_string(d.join("cp")).unwrap();
    let edited = text.replacen("\"iteration\":", "\"iteration\": ", 1);
    assert_ne!(edited, text);
    for (name, content) in [
        ("edited", edited),
        ("cut", text[..text.len() / 2].to_string()),
    ] {
        write(d, name, content.as_bytes());
        bad_input(
            d,
            &["fit", "ising", "d.txt", "--out", "b.json", "--resume", name],
            &[name, "checkpoint"],
        );
    }
}

#[cfg(unix)]
#[test]
fn a_signal_stops_the_fit_keeps_out_writes_the_checkpoint_and_trace() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &["generate", "retina", "--repeats", "30", "--out", "r.txt"],
    );
    write(d, "out.json", b"old");
    let child = Command::new(env!("CARGO_BIN_EXE_spinfer"))
        .current_dir(d)
        .args([
            "fit",
            "ising",
            "r.txt",
            "--out",
            "out.json",
            "--checkpoint",
            "cp",
            "--trace",
            "t.csv",
            "--quiet",
            "--target-ratio",
            "0",
            "--iters",
            "100000",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the fit is running (its first checkpoint exists), then interrupt it.
    let mut waited = Duration::ZERO;
    while !d.join("cp").exists() && waited < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(100));
        waited += Duration::from_millis(100);
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(128 + 15), "{stderr}");
    assert!(
        stderr.contains("SIGTERM") && stderr.contains("--resume cp"),
        "{stderr}"
    );
    assert_eq!(fs::read(d.join("out.json")).unwrap(), b"old");
    assert!(fs::read_to_string(d.join("t.csv")).unwrap().lines().count() >= 2);
    // The checkpoint written at the stop resumes.
    let (code, _, stderr) = spinfer(
        d,
        &[
            "fit", "ising", "r.txt", "--out", "out.json", "--resume", "cp", "--iters", "1",
            "--quiet",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_signal_during_a_fresh_sample_check_ends_the_fit_within_two_seconds_with_its_trace() {
    use std::io::{BufRead, BufReader};
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "generate",
            "retina",
            "--cells",
            "300",
            "--repeats",
            "30",
            "--out",
            "r.txt",
        ],
    );
    write(d, "out.json", b"old");
    // Fixed small samples make the gradient mostly noise at once, so the checks (200,000
    // fresh samples of 300 cells each) start within a few iterations; stderr is a pipe, so
    // the fit logs each phase as a line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_spinfer"))
        .current_dir(d)
        .args([
            "fit",
            "ising",
            "r.txt",
            "--out",
            "out.json",
            "--trace",
            "t.csv",
            "--samples",
            "1000",
            "--max-samples",
            "1000",
        ])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if line.contains("fresh-sample check") {
            break;
        }
    }
    assert!(log.contains("fresh-sample check"), "no check began: {log}");
    let sent = Instant::now();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let waited = sent.elapsed();
    let rest: Vec<String> = lines.map_while(|l| l.ok()).collect();
    let stderr = rest.join("\n");
    assert_eq!(status.code(), Some(128 + 15), "{log}{stderr}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    assert!(
        stderr.contains("SIGTERM") && stderr.contains("fresh samples"),
        "{stderr}"
    );
    assert_eq!(fs::read(d.join("out.json")).unwrap(), b"old");
    // The trace holds the iterations so far: its header and at least the checked one.
    let trace = fs::read_to_string(d.join("t.csv")).unwrap();
    assert!(
        trace.starts_with("iteration,") && trace.lines().count() >= 2,
        "{trace}"
    );
}

#[cfg(unix)]
#[test]
fn a_signal_during_the_warm_start_ends_the_fit_within_two_seconds() {
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "generate",
            "retina",
            "--cells",
            "300",
            "--repeats",
            "100",
            "--out",
            "r.txt",
        ],
    );
    write(d, "out.json", b"old");
    // The pseudo-likelihood start of 300 cells on 95,300 bins takes seconds.
    let child = Command::new(env!("CARGO_BIN_EXE_spinfer"))
        .current_dir(d)
        .args([
            "fit", "ising", "r.txt", "--out", "out.json", "--init", "pseudo",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let sent = Instant::now();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let waited = sent.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(128 + 15), "{stderr}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    assert!(
        stderr.contains("SIGTERM") && stderr.contains("warm start"),
        "{stderr}"
    );
    assert_eq!(fs::read(d.join("out.json")).unwrap(), b"old");
}
