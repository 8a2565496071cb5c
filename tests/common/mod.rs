//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::{path::Path, process::Command};

use nalgebra::DVector;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{sample::ExactDistribution, Energy, Ising, Raster, Real};

/// A seeded generator.
pub fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// The study's planted N-spin model and `m` exact samples from it.
pub fn planted_ising(n: usize, m: usize, seed: u64) -> (Ising<f64>, Raster) {
    let mut r = rng(seed);
    let model = Ising::planted(n, &mut r);
    let data = ExactDistribution::new(&model).unwrap().sample(m, &mut r);
    (model, data)
}

/// Root-mean-square difference of two parameter blocks.
pub use spinfer::validate::rmse;

/// RMSE of h and of J (upper triangle) between two equilibrium models.
pub fn ising_rmse<T: Real, U: Real>(a: &Ising<T>, b: &Ising<U>) -> (f64, f64) {
    let n = a.n_spins();
    let pa: Vec<f64> = a.params().iter().map(|v| v.as_f64()).collect();
    let pb: Vec<f64> = b.params().iter().map(|v| v.as_f64()).collect();
    (rmse(&pa[..n], &pb[..n]), rmse(&pa[n..], &pb[n..]))
}

/// Converts a vector to f64.
pub fn to_f64<T: Real>(v: &DVector<T>) -> Vec<f64> {
    v.iter().map(|x| x.as_f64()).collect()
}

/// `generate ising --n 4 --samples 200 --exact` in `dir`: data `d.txt`, true model `m.json`.
pub fn small_ising_data(dir: &Path) {
    ok(
        dir,
        &[
            "generate",
            "ising",
            "--n",
            "4",
            "--samples",
            "200",
            "--exact",
            "--out",
            "d.txt",
            "--model-out",
            "m.json",
        ],
    );
}

/// Runs the `spinfer` binary in `dir`: exit code, stdout, stderr.
pub fn spinfer(dir: &Path, args: &[&str]) -> (i32, String, String) {
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

pub fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = spinfer(dir, args);
    assert_eq!(code, 0, "spinfer {args:?} failed: {stderr}");
    stdout
}

/// Exit code 2 and a single stderr line containing every `needle`.
pub fn bad_input(dir: &Path, args: &[&str], needles: &[&str]) {
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
