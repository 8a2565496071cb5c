"""Models: the command's JSON files both ways, samples with the model's moments,
log-likelihoods, and `compare` equal to the command's."""

import json

import numpy as np
import pytest

import spinfer
from conftest import configurations, data_moments, exact_moments, planted_ising


def test_model_files_round_trip_bit_for_bit(tmp_path, retina):
    model = spinfer.fit_kinetic(retina[:5000], self_couplings=True)
    model.save(tmp_path / "k.json")
    back = spinfer.load(tmp_path / "k.json")
    assert np.array_equal(back.h, model.h) and np.array_equal(back.J, model.J)
    assert back.self_couplings and back.kind == "kinetic"
    assert back.metrics == json.loads(json.dumps(model.metrics))
    assert back.settings == model.settings
    # A file the command reads.
    assert json.loads((tmp_path / "k.json").read_text())["kind"] == "kinetic"


def test_damaged_files_are_refused_naming_the_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"kind": "ising", "n": 2, "h": [0, 0], "J": [[0, 1], [0, 0]]}')
    with pytest.raises(ValueError, match="bad.json"):
        spinfer.load(path)
    path.write_text('{"kind": "ising", "n": 2,')
    with pytest.raises(ValueError, match="bad.json:1"):
        spinfer.load(path)
    with pytest.raises(FileNotFoundError):
        spinfer.load(tmp_path / "missing.json")


def test_equilibrium_samples_have_the_models_moments():
    model = planted_ising(6, seed=1)
    X = model.sample(40_000, seed=2)
    assert X.shape == (40_000, 6) and X.dtype == np.uint8
    assert np.array_equal(X, model.sample(40_000, seed=2))
    assert not np.array_equal(X, model.sample(40_000, seed=3))
    # Samples 10 sweeps apart are nearly independent: standard errors sqrt((1 - m^2)/M),
    # inflated 2x for what correlation remains.
    for exact, sampled in zip(exact_moments(model.h, model.J), data_moments(X)):
        se = 2 * np.sqrt((1 - exact**2) / len(X))
        assert np.all(np.abs(sampled - exact) <= 5 * se)


def test_a_kinetic_model_is_recovered_from_its_samples():
    rng = np.random.default_rng(4)
    n, steps = 12, 60_000
    truth = spinfer.Model("kinetic", rng.normal(-0.5, 0.2, n), rng.normal(0, 0.3, (n, n)) * (1 - np.eye(n)))
    X = truth.sample(steps, seed=5)
    fit = spinfer.fit_kinetic(X)
    # Each J_ij is a logistic-regression coefficient with standard error about
    # 1/sqrt(T (1 - tanh^2 theta)) <= 1/sqrt(T / 2) here; allow 5 of them.
    assert np.sqrt(np.mean((fit.J - truth.J) ** 2)) <= 5 / np.sqrt(steps / 2)
    assert fit.log_likelihood(X).value == pytest.approx(fit.metrics["log_likelihood"], abs=1e-12)


def test_log_likelihood_is_exact_for_small_models_and_ais_above():
    model = planted_ising(5, seed=6)
    X = model.sample(1_000, seed=7)
    s = 2.0 * X - 1.0
    states = configurations(5)
    energy = lambda c: c @ model.h + 0.5 * np.einsum("ti,ij,tj->t", c, model.J, c)
    log_z = np.log(np.exp(energy(states)).sum())
    got = model.log_likelihood(X)
    assert got.measure == "exact" and got.std_error is None
    assert got.value == pytest.approx(energy(s).mean() - log_z, abs=1e-10)
    big = planted_ising(24, seed=8)
    score = big.log_likelihood(big.sample(2_000, seed=9))
    assert score.measure == "ais" and score.std_error > 0 and np.isfinite(score.value)


def test_compare_equals_the_commands(tmp_path, command, retina):
    data = retina[:20_000]
    np.savetxt(tmp_path / "r.txt", data.T, fmt="%d")
    model = spinfer.fit_kinetic(data)
    model.save(tmp_path / "k.json")
    command("compare", tmp_path / "k.json", tmp_path / "r.txt", "--samples", 20_000,
            "--out", tmp_path / "cmp")  # fmt: skip
    theirs = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    ours = spinfer.compare(model, data, samples=20_000)
    values = [(s.pop("data"), s.pop("model")) for s in ours["statistics"]]
    # Beside the command's compare.json: the labels and the cells behind each entry.
    assert ours.pop("labels") is None
    for s in ours["statistics"]:
        s.pop("cells", None)
    assert ours == theirs
    # The values behind each statistic's agreement: its RMSE recomputed from them.
    for (d, m), s in zip(values, ours["statistics"]):
        assert len(d) == len(m) > 0
        assert np.sqrt(np.mean((d - m) ** 2)) == pytest.approx(s["agreement"]["rmse"], rel=1e-9)


def test_thermo_matches_enumeration():
    model = planted_ising(10, 3)
    s = configurations(10)
    energy = -(s @ model.h + 0.5 * np.einsum("ti,ij,tj->t", s, model.J, s))
    top = (-energy).max()
    log_z = top + np.log(np.exp(-energy - top).sum())
    p = np.exp(-energy - log_z)
    entropy = log_z + p @ energy
    t = model.thermo(samples=100_000, seed=2)
    assert abs(t["log_z"]["value"] - log_z) < max(5 * t["log_z"]["std_error"], 0.01)
    assert abs(t["entropy"]["value"] - entropy) < max(5 * t["entropy"]["std_error"], 0.01)
    temps = [level["temperature"] for level in t["levels"]]
    assert min(temps) == pytest.approx(0.5) and any(abs(x - 1) < 1e-9 for x in temps)
    with pytest.raises(ValueError, match="equilibrium"):
        spinfer.Model("kinetic", model.h, model.J).thermo()


def test_kinetic_samples_start_from_the_given_states():
    n = 30
    J = np.full((n, n), 3.0 / n)
    np.fill_diagonal(J, 0.0)
    # Two stable activity levels: a random start runs to the high one, a quiet start stays.
    model = spinfer.Model("kinetic", np.full(n, 0.3), J)
    quiet = np.zeros((5, n), dtype=np.uint8)
    assert model.sample(2000, start=quiet).mean() < 0.05
    assert model.sample(2000).mean() > 0.9
