//! Random command lines, from a grammar of the real subcommands and flags with hostile
//! values, and random bytes as data files, with standard output closed or full and under
//! memory limits: the command never panics or aborts, exits with 0, 1 or 2 only, changes
//! no file outside its working directory and none of its inputs. Checkpoints edited with
//! their checksum recomputed are refused or resumed, never a crash.
//!
//! 64 cases by default; `PROPTEST_CASES=2000 cargo test --release --test command_fuzz` runs
//! a longer campaign (README, "Development").

mod common;

use std::{
    fs,
    path::Path,
    process::{Command, Stdio},
};

use proptest::prelude::*;

/// Values a hostile user might type for a number.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("1".to_string()),
        Just("3".to_string()),
        Just("-1".to_string()),
        Just("18446744073709551615".to_string()),
        Just("1e308".to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("".to_string()),
        Just("0x10".to_string()),
        (2u64..50).prop_map(|v| v.to_string()),
    ]
}

/// Paths: existing inputs, outputs, the inputs as outputs, special files and missing
/// directories, all relative to the working directory or special.
fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("d.txt".to_string()),
        Just("m.json".to_string()),
        Just("k.json".to_string()),
        Just("bytes.txt".to_string()),
        Just("out.json".to_string()),
        Just("out.txt.gz".to_string()),
        Just("figs".to_string()),
        Just("nodir/x.json".to_string()),
        Just(".".to_string()),
        Just("".to_string()),
        Just("/dev/null".to_string()),
        // Names a command writes inside its output directories, and names at the limit.
        Just("figs/learning_curve.svg".to_string()),
        Just("figs/compare.json".to_string()),
        Just("o.json/".to_string()),
        Just(format!("{}.json", "n".repeat(250))),
        Just(format!("{}.json", "n".repeat(252))),
    ]
}

/// Where standard output goes.
#[derive(Clone, Copy, Debug)]
enum Stdout {
    /// A pipe that is read to the end.
    Read,
    /// A pipe whose reader has gone before the command writes.
    Closed,
    /// A full device.
    Full,
}

fn stdout() -> impl Strategy<Value = Stdout> {
    prop_oneof![
        2 => Just(Stdout::Read),
        1 => Just(Stdout::Closed),
        1 => Just(Stdout::Full),
    ]
}

/// An address-space limit in MiB (0: none), applied through `prlimit` where it exists.
fn memory_limit() -> impl Strategy<Value = u64> {
    prop_oneof![4 => Just(0u64), 1 => Just(48u64), 1 => Just(96u64), 1 => Just(256u64)]
}

/// Runs the command in `dir` with its standard output as asked, under a memory limit:
/// exit code (-1 for a signal) and standard error.
fn run(dir: &Path, args: &[&str], out: Stdout, limit_mib: u64) -> (i32, String) {
    let binary = env!("CARGO_BIN_EXE_spinfer");
    let limited = limit_mib > 0 && Path::new("/usr/bin/prlimit").exists();
    let mut c = if limited {
        let mut c = Command::new("/usr/bin/prlimit");
        c.arg(format!("--as={}", limit_mib << 20)).arg(binary);
        c
    } else {
        Command::new(binary)
    };
    c.current_dir(dir).args(args).stderr(Stdio::piped());
    match out {
        Stdout::Read => c.stdout(Stdio::piped()),
        Stdout::Closed => c.stdout(Stdio::piped()),
        Stdout::Full => match fs::File::create("/dev/full") {
            Ok(f) => c.stdout(f),
            Err(_) => c.stdout(Stdio::null()),
        },
    };
    let mut child = c.spawn().expect("spinfer runs");
    if let Stdout::Closed = out {
        drop(child.stdout.take());
    }
    let output = child.wait_with_output().expect("spinfer ends");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// One subcommand's grammar: its fixed head, the flags it requires (given a path or a
/// number), and the optional flags it knows.
struct Grammar {
    head: &'static [&'static str],
    required_paths: &'static [&'static str],
    required_numbers: &'static [&'static str],
    numbers: &'static [&'static str],
    paths: &'static [&'static str],
    switches: &'static [&'static str],
}

const FIT: &[&str] = &[
    "--lr",
    "--l1",
    "--l2",
    "--tol",
    "--stop-after",
    "--checkpoint-every",
];
const FIT_PATHS: &[&str] = &["--trace", "--checkpoint", "--resume", "--plot", "--truth"];

const GRAMMARS: &[Grammar] = &[
    Grammar {
        head: &["fit", "ising", "d.txt"],
        required_paths: &["--out"],
        required_numbers: &[],
        numbers: &[
            "--lr",
            "--l1",
            "--l2",
            "--tol",
            "--stop-after",
            "--checkpoint-every",
            "--samples",
            "--seed",
            "--chains",
            "--sweeps",
            "--target-ratio",
        ],
        paths: FIT_PATHS,
        switches: &[
            "--sampler exact",
            "--sampler gibbs",
            "--solver lbfgs",
            "--solver newton",
            "--method pseudo-likelihood",
            "--split halves",
            "--layout samples-by-spins",
            "--precision f32",
            "--init tap",
        ],
    },
    Grammar {
        head: &["fit", "ising", "figs/learning_curve.svg"],
        required_paths: &["--out"],
        required_numbers: &[],
        numbers: &[],
        paths: FIT_PATHS,
        switches: &["--sampler exact"],
    },
    Grammar {
        head: &["compare", "figs/compare.json", "d.txt"],
        required_paths: &["--out"],
        required_numbers: &[],
        numbers: &["--samples"],
        paths: &[],
        switches: &[],
    },
    Grammar {
        head: &["fit", "ising", "bytes.txt"],
        required_paths: &["--out"],
        required_numbers: &[],
        numbers: FIT,
        paths: FIT_PATHS,
        switches: &["--sampler exact", "--layout samples-by-spins"],
    },
    Grammar {
        head: &["fit", "kinetic", "kd.txt"],
        required_paths: &["--out"],
        required_numbers: &[],
        numbers: &[
            "--lr",
            "--l1",
            "--l2",
            "--tol",
            "--stop-after",
            "--checkpoint-every",
            "--repeat-bins",
        ],
        paths: FIT_PATHS,
        switches: &[
            "--symmetric",
            "--self-couplings",
            "--solver newton",
            "--solver lbfgs",
            "--solver gradient",
            "--split interleaved",
            "--precision f32",
        ],
    },
    Grammar {
        head: &["generate", "ising"],
        required_paths: &["--out", "--model-out"],
        required_numbers: &["--n", "--samples"],
        numbers: &["--seed"],
        paths: &[],
        switches: &["--exact"],
    },
    Grammar {
        head: &["generate", "kinetic"],
        required_paths: &["--out", "--model-out"],
        required_numbers: &["--n", "--steps"],
        numbers: &["--seed"],
        paths: &[],
        switches: &["--symmetric", "--self-couplings"],
    },
    Grammar {
        head: &["sample", "m.json"],
        required_paths: &["--out"],
        required_numbers: &["--samples"],
        numbers: &["--seed", "--sweeps"],
        paths: &[],
        switches: &["--layout samples-by-spins"],
    },
    Grammar {
        head: &["sample", "k.json"],
        required_paths: &["--out"],
        required_numbers: &["--samples"],
        numbers: &["--seed"],
        paths: &[],
        switches: &[],
    },
    Grammar {
        head: &["compare", "m.json", "d.txt"],
        required_paths: &[],
        required_numbers: &[],
        numbers: &["--samples", "--seed", "--burn-in", "--repeat-bins"],
        paths: &["--out"],
        switches: &["--layout samples-by-spins"],
    },
    Grammar {
        head: &["evaluate", "m.json", "bytes.txt"],
        required_paths: &[],
        required_numbers: &[],
        numbers: &["--repeat-bins"],
        paths: &[],
        switches: &["--ais"],
    },
    Grammar {
        head: &["evaluate", "k.json", "kd.txt"],
        required_paths: &[],
        required_numbers: &[],
        numbers: &["--repeat-bins"],
        paths: &[],
        switches: &[],
    },
];

/// A whole command line: a subcommand with its required flags (hostile values) and up to
/// five optional ones; fits get a small iteration budget first, so that every case is quick.
fn command_line() -> impl Strategy<Value = Vec<String>> {
    (
        0..GRAMMARS.len(),
        proptest::collection::vec((number(), path(), any::<prop::sample::Index>()), 0..6),
        proptest::collection::vec((number(), path()), 4),
    )
        .prop_map(|(g, optional, required)| {
            let grammar = &GRAMMARS[g];
            let mut line: Vec<String> = grammar.head.iter().map(|s| s.to_string()).collect();
            if grammar.head[0] == "fit" {
                line.extend(["--iters", "5", "--quiet"].map(String::from));
            }
            let mut required = required.into_iter();
            for flag in grammar.required_paths {
                let (_, p) = required.next().expect("4 drawn");
                line.extend([flag.to_string(), p]);
            }
            for flag in grammar.required_numbers {
                let (v, _) = required.next().expect("4 drawn");
                line.extend([flag.to_string(), v]);
            }
            let kinds = grammar.numbers.len() + grammar.paths.len() + grammar.switches.len();
            for (v, p, which) in optional {
                if kinds == 0 {
                    break;
                }
                let k = which.index(kinds);
                if k < grammar.numbers.len() {
                    line.extend([grammar.numbers[k].to_string(), v]);
                } else if k < grammar.numbers.len() + grammar.paths.len() {
                    line.extend([grammar.paths[k - grammar.numbers.len()].to_string(), p]);
                } else {
                    let switch = grammar.switches[k - grammar.numbers.len() - grammar.paths.len()];
                    line.extend(switch.split(' ').map(str::to_string));
                }
            }
            line
        })
}

/// Every file in `dir` (recursively) with its content, to detect changes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                files.extend(snapshot(&p));
            } else if let Ok(bytes) = fs::read(&p) {
                files.push((p.display().to_string(), bytes));
            }
        }
    }
    files.sort();
    files
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
    ))]

    #[test]
    fn hostile_command_lines_exit_cleanly_and_stay_in_their_directory(
        line in command_line(),
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
        out in stdout(),
        limit in memory_limit(),
    ) {
        let root = tempfile::tempdir().unwrap();
        let outside = root.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("keep.txt"), b"untouched").unwrap();
        let work = root.path().join("work");
        fs::create_dir(&work).unwrap();
        common::ok(&work, &["generate", "ising", "--n", "4", "--samples", "300", "--exact",
            "--out", "d.txt", "--model-out", "m.json"]);
        common::ok(&work, &["generate", "kinetic", "--n", "3", "--steps", "300",
            "--out", "kd.txt", "--model-out", "k.json"]);
        fs::write(work.join("bytes.txt"), &bytes).unwrap();
        // An input where a figure or report of an output directory would go.
        fs::create_dir(work.join("figs")).unwrap();
        fs::copy(work.join("d.txt"), work.join("figs/learning_curve.svg")).unwrap();
        fs::copy(work.join("m.json"), work.join("figs/compare.json")).unwrap();
        let before = snapshot(&outside);
        let null_was_device = fs::metadata("/dev/null").map(|m| !m.is_file()).unwrap_or(true);
        // The files the command reads (its head), which nothing may change.
        let inputs: Vec<(String, Vec<u8>)> = line
            .iter()
            .take(3)
            .filter_map(|p| fs::read(work.join(p)).ok().map(|b| (p.clone(), b)))
            .collect();

        let args: Vec<&str> = line.iter().map(String::as_str).collect();
        let (code, stderr) = run(&work, &args, out, limit);
        prop_assert!([0, 1, 2].contains(&code), "{args:?} ({out:?}, {limit} MiB): exit {code}: {stderr}");
        prop_assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        prop_assert_eq!(snapshot(&outside), before, "{:?} changed a file outside", args);
        for (name, bytes) in &inputs {
            prop_assert!(&fs::read(work.join(name)).unwrap_or_default() == bytes, "{:?} changed its input {}", args, name);
        }
        let null_is_device = fs::metadata("/dev/null").map(|m| !m.is_file()).unwrap_or(true);
        prop_assert!(!null_was_device || null_is_device, "{:?} replaced /dev/null", args);
    }

    #[test]
    fn checkpoints_edited_with_their_checksum_recomputed_never_crash_a_resume(
        fit in 0..CHECKPOINTED.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0..3u8, number()), 1..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        common::ok(d, &["generate", "ising", "--n", "4", "--samples", "300", "--exact",
            "--out", "d.txt", "--model-out", "m.json"]);
        let mut first: Vec<&str> = CHECKPOINTED[fit].to_vec();
        first.extend(["--out", "a.json", "--checkpoint", "cp", "--iters", "3", "--quiet"]);
        common::ok(d, &first);
        let text = fs::read(d.join("cp")).unwrap();
        let newline = text.iter().position(|&b| b == b'\n').unwrap();
        let mut body: serde_json::Value = serde_json::from_slice(&text[newline + 1..]).unwrap();
        for (at, how, value) in &edits {
            edit(&mut body, at, *how, value);
        }
        let bytes = serde_json::to_vec(&body).unwrap();
        let mut edited = format!("spinfer-checkpoint crc32 {:08x}\n", crc32fast::hash(&bytes)).into_bytes();
        edited.extend(bytes);
        fs::write(d.join("edited"), edited).unwrap();
        let mut again: Vec<&str> = CHECKPOINTED[fit].to_vec();
        again.extend(["--out", "b.json", "--resume", "edited", "--quiet"]);
        let (code, _, stderr) = common::spinfer(d, &again);
        prop_assert!([0, 1, 2].contains(&code), "{edits:?}: exit {code}: {stderr}");
        prop_assert!(!stderr.contains("panicked"), "{edits:?}: {stderr}");
    }
}

/// Fits whose checkpoints are edited: every solver's state.
const CHECKPOINTED: &[&[&str]] = &[
    &["fit", "ising", "d.txt", "--samples", "500"],
    &["fit", "ising", "d.txt", "--sampler", "exact"],
    &["fit", "ising", "d.txt", "--method", "pseudo-likelihood"],
    &[
        "fit",
        "ising",
        "d.txt",
        "--sampler",
        "tempering",
        "--samples",
        "500",
    ],
    &["fit", "kinetic", "d.txt"],
    &["fit", "kinetic", "d.txt", "--symmetric"],
];

/// Every array and number of a JSON tree, by a path of keys and indices.
fn places(
    v: &serde_json::Value,
    here: &mut Vec<serde_json::Value>,
    out: &mut Vec<Vec<serde_json::Value>>,
) {
    match v {
        serde_json::Value::Array(items) => {
            out.push(here.clone());
            for (i, x) in items.iter().enumerate() {
                here.push(i.into());
                places(x, here, out);
                here.pop();
            }
        }
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                here.push(k.clone().into());
                places(x, here, out);
                here.pop();
            }
        }
        serde_json::Value::Number(_) => out.push(here.clone()),
        _ => {}
    }
}

/// One edit at a place drawn by `at`: delete an entry of an array (or the number's place in
/// its array), or substitute a hostile number.
fn edit(body: &mut serde_json::Value, at: &prop::sample::Index, how: u8, value: &str) {
    let mut all = Vec::new();
    places(body, &mut Vec::new(), &mut all);
    let path = &all[at.index(all.len())];
    let mut target = &mut *body;
    for key in path {
        target = match key {
            serde_json::Value::String(k) => &mut target[k.as_str()],
            serde_json::Value::Number(i) => &mut target[i.as_u64().unwrap() as usize],
            _ => unreachable!(),
        };
    }
    match (how, target) {
        (0, serde_json::Value::Array(items)) if !items.is_empty() => {
            items.pop();
        }
        (_, t) => {
            *t = value
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(serde_json::Value::Null, serde_json::Value::Number);
        }
    }
}
