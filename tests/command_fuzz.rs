//! Random command lines, from a grammar of the real subcommands and flags with hostile
//! values, and random bytes as data files: the command never panics, exits with 0, 1 or 2
//! only, and changes no file outside its working directory.
//!
//! 64 cases by default; `PROPTEST_CASES=2000 cargo test --release --test command_fuzz` runs
//! a longer campaign (README, "Development").

mod common;

use std::{fs, path::Path};

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
    ]
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
        let before = snapshot(&outside);
        let null_was_device = fs::metadata("/dev/null").map(|m| !m.is_file()).unwrap_or(true);

        let args: Vec<&str> = line.iter().map(String::as_str).collect();
        let (code, _, stderr) = common::spinfer(&work, &args);
        prop_assert!([0, 1, 2].contains(&code), "{args:?}: exit {code}: {stderr}");
        prop_assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        prop_assert_eq!(snapshot(&outside), before, "{:?} changed a file outside", args);
        let null_is_device = fs::metadata("/dev/null").map(|m| !m.is_file()).unwrap_or(true);
        prop_assert!(!null_was_device || null_is_device, "{:?} replaced /dev/null", args);
    }
}
