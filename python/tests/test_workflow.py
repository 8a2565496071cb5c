"""The command and the Python package run one fit workflow (the library's): the same data,
seed and settings give the same model file, metrics and scores; checkpoints written by
one resume in the other; a resumed fit is bit for bit the uninterrupted one; and the
allowed values of every choice come from the library."""

import json

import numpy as np
import pytest

import spinfer
from spinfer import _native
from conftest import planted_ising

#: Metrics that measure time, which no two runs share.
TIMINGS = {"seconds", "start_seconds", "input_seconds", "timings"}


def same_file(ours, path):
    """Asserts that the Python model ``ours`` is the model file at ``path``: parameters bit
    for bit, settings, and every metric but the timings."""
    theirs = spinfer.load(path)
    assert np.array_equal(ours.h, theirs.h) and np.array_equal(ours.J, theirs.J)
    assert ours.settings == theirs.settings
    assert set(ours.metrics) == set(theirs.metrics)
    differ = {k for k in ours.metrics if k not in TIMINGS and ours.metrics[k] != theirs.metrics[k]}
    assert not differ, {k: (ours.metrics[k], theirs.metrics[k]) for k in differ}
    # The same phases, and as many fresh-sample checks, if not the same seconds.
    ours_t, theirs_t = ours.metrics["timings"], theirs.metrics["timings"]
    assert set(ours_t) == set(theirs_t)
    assert ours_t["checks_run"] == theirs_t["checks_run"]


def test_a_monte_carlo_fit_with_a_split_is_the_commands(tmp_path, command):
    X = planted_ising(10, seed=21).sample(6_000, seed=22)
    np.savetxt(tmp_path / "x.txt", X.T, fmt="%d")
    command("fit", "ising", tmp_path / "x.txt", "--seed", 5, "--split", "interleaved",
            "--quiet", "--out", tmp_path / "m.json")  # fmt: skip
    ours = spinfer.fit_ising(X, seed=5, split="interleaved")
    same_file(ours, tmp_path / "m.json")
    assert ours.metrics["split"] == "interleaved"
    assert ours.metrics["held_out_score"]["measure"] == "exact"
    assert ours.metrics["train_score"]["measure"] == "exact"


def test_a_kinetic_fit_with_a_split_is_the_commands(tmp_path, command, retina):
    X = retina[:, :40]
    np.savetxt(tmp_path / "r.txt", X.T, fmt="%d")
    command("fit", "kinetic", tmp_path / "r.txt", "--symmetric", "--split", "halves",
            "--quiet", "--out", tmp_path / "k.json")  # fmt: skip
    ours = spinfer.fit_kinetic(X, symmetric=True, split="halves")
    same_file(ours, tmp_path / "k.json")
    assert ours.metrics["held_out_score"]["measure"] == "per-transition"
    # Held-out transitions score below the training ones on average, not above the maximum.
    assert ours.metrics["held_out_score"]["value"] < 0


def test_a_resumed_fit_is_bit_for_bit_the_uninterrupted_one(tmp_path, command):
    X = planted_ising(10, seed=31).sample(8_000, seed=32)
    whole = spinfer.fit_ising(X, seed=9, target_ratio=0, iters=60)
    path = tmp_path / "fit.ckpt"
    first = spinfer.fit_ising(X, seed=9, target_ratio=0, iters=60, checkpoint=path,
                              checkpoint_every=7, callback=lambda k, r: k < 24)  # fmt: skip
    assert first.metrics["outcome"] == "Stopped" and first.metrics["iterations"] == 24
    resumed = spinfer.fit_ising(X, resume=path)
    assert np.array_equal(resumed.h, whole.h) and np.array_equal(resumed.J, whole.J)
    assert resumed.metrics["iterations"] == whole.metrics["iterations"] == 60
    # The command continues the same checkpoint to the same model.
    np.savetxt(tmp_path / "x.txt", X.T, fmt="%d")
    command("fit", "ising", tmp_path / "x.txt", "--resume", path, "--quiet",
            "--out", tmp_path / "m.json")  # fmt: skip
    same_file(resumed, tmp_path / "m.json")


def test_a_kinetic_fit_resumes_and_refuses_other_data(tmp_path, retina):
    X = retina[:, :30]
    whole = spinfer.fit_kinetic(X, solver="lbfgs")
    path = tmp_path / "k.ckpt"
    spinfer.fit_kinetic(X, solver="lbfgs", checkpoint=path, callback=lambda k, r: k < 3)
    resumed = spinfer.fit_kinetic(X, resume=path)
    assert np.array_equal(resumed.h, whole.h) and np.array_equal(resumed.J, whole.J)
    with pytest.raises(ValueError, match="other data"):
        spinfer.fit_kinetic(retina[:, 1:31], resume=path)
    with pytest.raises(ValueError, match="checkpoint of a Kinetic fit"):
        spinfer.fit_ising(X, resume=path)


def test_allowed_values_come_from_the_library():
    choices = json.loads(_native.choices())
    assert choices["solver"] == ["auto", "gradient", "lbfgs", "newton"]
    X = planted_ising(4, seed=1).sample(500, seed=2)
    for keyword in ("method", "sampler", "solver", "init", "optimizer", "estimator",
                    "stepping", "precision", "split"):  # fmt: skip
        names = choices[keyword]
        # The help names every value the extension takes.
        assert ", ".join(names) in spinfer.fit_ising.__doc__, keyword
        with pytest.raises(ValueError) as refused:
            spinfer.fit_ising(X, **{keyword: "no-such-value"})
        assert f"{', '.join(names[:-1])} or {names[-1]}" in str(refused.value), keyword


def test_a_k_pairwise_fit_is_the_commands_and_its_file_round_trips(tmp_path, command):
    X = planted_ising(9, seed=41).sample(10_000, seed=42)
    np.savetxt(tmp_path / "x.txt", X.T, fmt="%d")
    command("fit", "ising", tmp_path / "x.txt", "--model", "k-pairwise", "--sampler",
            "exact", "--quiet", "--out", tmp_path / "k.json")  # fmt: skip
    ours = spinfer.fit_ising(X, model="k-pairwise", sampler="exact")
    assert ours.kind == "k-pairwise" and ours.V.shape == (10,) and ours.converged
    same_file(ours, tmp_path / "k.json")
    assert np.array_equal(ours.V, spinfer.load(tmp_path / "k.json").V)
    ours.save(tmp_path / "again.json")
    again = spinfer.load(tmp_path / "again.json")
    assert np.array_equal(again.V, ours.V) and np.array_equal(again.J, ours.J)
    # The model's P(K), from its own samples, is the data's.
    result = spinfer.compare(ours, X, samples=100_000)
    assert result["faithfulness"]["activity_ratio"] <= 1.5
