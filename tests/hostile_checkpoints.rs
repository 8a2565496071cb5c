//! Checkpoints that cannot crash or change a resume: states edited with their checksum
//! recomputed are refused with the part named, a finished fit's last checkpoint resumes to
//! the same model, compressed checkpoints read back, and every method writes one.

mod common;

use std::{fs, path::Path};

use common::{bad_input, ok, small_ising_data};

/// The JSON body of a checkpoint.
fn body(path: &Path) -> serde_json::Value {
    let text = fs::read(path).unwrap();
    let newline = text.iter().position(|&b| b == b'\n').unwrap();
    serde_json::from_slice(&text[newline + 1..]).unwrap()
}

/// Writes `value` as a checkpoint with a valid checksum.
fn write_checkpoint(path: &Path, value: &serde_json::Value) {
    let body = serde_json::to_vec(value).unwrap();
    let mut text =
        format!("spinfer-checkpoint crc32 {:08x}\n", crc32fast::hash(&body)).into_bytes();
    text.extend(body);
    fs::write(path, text).unwrap();
}

/// The parameters of a model file.
fn params(path: &Path) -> (serde_json::Value, serde_json::Value) {
    let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    (v["h"].clone(), v["J"].clone())
}

#[test]
fn a_state_edited_with_its_checksum_recomputed_is_refused_not_a_panic() {
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
            "--optimizer",
            "adam",
            "--quiet",
        ],
    );
    let state = body(&d.join("cp"));
    let solver = &state["learner"]["state"]["solver"];
    assert!(solver["optimizer"]["Adam"]["m"].is_array(), "{solver}");
    // One entry removed from a saved vector (stored as [entries, length, null]), its length
    // kept consistent.
    let mut edited = state.clone();
    let m = &mut edited["learner"]["state"]["solver"]["optimizer"]["Adam"]["m"];
    m[0].as_array_mut().unwrap().pop();
    m[1] = serde_json::json!(m[1].as_u64().unwrap() - 1);
    write_checkpoint(&d.join("edited"), &edited);
    bad_input(
        d,
        &[
            "fit", "ising", "d.txt", "--out", "b.json", "--resume", "edited",
        ],
        &["Adam first moment", "entries"],
    );
    // Another optimiser's state in the slot.
    let mut swapped = state;
    let m = swapped["learner"]["state"]["solver"]["optimizer"]["Adam"]["m"].clone();
    swapped["learner"]["state"]["solver"]["optimizer"] = serde_json::json!({ "Momentum": m });
    write_checkpoint(&d.join("swapped"), &swapped);
    bad_input(
        d,
        &[
            "fit", "ising", "d.txt", "--out", "b.json", "--resume", "swapped",
        ],
        &["optimiser state"],
    );
    assert!(!d.join("b.json").exists());
}

#[test]
fn a_finished_fit_resumed_from_its_last_checkpoint_ends_with_the_same_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_ising_data(d);
    ok(
        d,
        &[
            "generate",
            "retina",
            "--cells",
            "20",
            "--repeats",
            "20",
            "--bins",
            "200",
            "--out",
            "r.txt",
        ],
    );
    let fits: [&[&str]; 4] = [
        &["fit", "ising", "d.txt", "--sampler", "exact"],
        &["fit", "ising", "d.txt", "--method", "pseudo-likelihood"],
        &["fit", "ising", "r.txt", "--samples", "2000"],
        &["fit", "kinetic", "r.txt", "--symmetric"],
    ];
    for (k, fit) in fits.iter().enumerate() {
        // Compressed checkpoints too.
        let cp = if k % 2 == 0 { "c.ckpt.gz" } else { "c.ckpt" };
        let mut first = fit.to_vec();
        first.extend(["--out", "first.json", "--checkpoint", cp, "--quiet"]);
        ok(d, &first);
        let mut again = fit.to_vec();
        again.extend(["--out", "again.json", "--resume", cp, "--quiet"]);
        ok(d, &again);
        assert_eq!(
            params(&d.join("first.json")),
            params(&d.join("again.json")),
            "{fit:?}"
        );
        fs::remove_file(d.join(cp)).unwrap();
    }
}
