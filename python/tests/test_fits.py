"""Fits from Python are the command's fits: same defaults, same models; callbacks, Ctrl-C,
the GIL and divergence behave as documented."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import spinfer
from conftest import data_moments, exact_moments, planted_ising


def test_version():
    assert spinfer.__version__ == "0.1.0"


def test_kinetic_fit_equals_the_commands(tmp_path, command, retina):
    np.savetxt(tmp_path / "r.txt", retina.T, fmt="%d")
    command("fit", "kinetic", tmp_path / "r.txt", "--repeat-bins", 953, "--quiet",
            "--out", tmp_path / "k.json")  # fmt: skip
    theirs = spinfer.load(tmp_path / "k.json")
    ours = spinfer.fit_kinetic(retina, repeat_bins=953)
    assert ours.converged and ours.metrics["solver"] == "newton"
    assert np.array_equal(ours.h, theirs.h) and np.array_equal(ours.J, theirs.J)
    assert ours.metrics["log_likelihood"] == theirs.metrics["log_likelihood"]
    assert ours.settings == theirs.settings


def test_exact_equilibrium_fit_equals_the_commands(tmp_path, command):
    X = planted_ising(8, seed=3).sample(20_000, seed=4)
    np.savetxt(tmp_path / "x.txt", X.T, fmt="%d")
    command("fit", "ising", tmp_path / "x.txt", "--sampler", "exact", "--quiet",
            "--out", tmp_path / "m.json")  # fmt: skip
    theirs = spinfer.load(tmp_path / "m.json")
    ours = spinfer.fit_ising(X, sampler="exact")
    assert ours.converged and ours.metrics["max_gradient"] <= 1e-8
    assert np.array_equal(ours.h, theirs.h) and np.array_equal(ours.J, theirs.J)
    # At the maximum the model's exact moments are the data's.
    for model, data in zip(exact_moments(ours.h, ours.J), data_moments(X)):
        assert np.abs(model - data).max() <= 1e-7


def test_monte_carlo_fit_is_deterministic_and_faithful():
    truth = planted_ising(10, seed=5)
    X = truth.sample(20_000, seed=6)
    a = spinfer.fit_ising(X, seed=11)
    b = spinfer.fit_ising(X, seed=11)
    assert np.array_equal(a.h, b.h) and np.array_equal(a.J, b.J)
    assert a.converged and a.metrics["outcome"] == "TargetReached"
    # The model's exact moments are as close to the data as the data's two halves are to
    # each other (the faithfulness rule's target is 0.9x that, from fresh samples).
    half = len(X) // 2
    split = [np.sqrt(np.mean((p - q) ** 2)) for p, q in
             zip(data_moments(X[:half]), data_moments(X[half:]))]  # fmt: skip
    for model, data, s in zip(exact_moments(a.h, a.J), data_moments(X), split):
        assert np.sqrt(np.mean((model - data) ** 2)) <= 1.5 * s


def test_rows_are_bit_for_bit_the_rows_of_the_newton_fit(retina):
    full = spinfer.fit_kinetic(retina, solver="newton")
    part = spinfer.fit_kinetic_rows(retina, [150, 3, 77])
    assert isinstance(part, spinfer.RowFit) and part.converged
    assert np.array_equal(part.h, full.h[[150, 3, 77]])
    assert np.array_equal(part.J, full.J[[150, 3, 77]])


def test_callback_sees_every_iteration_and_can_stop_the_fit(retina):
    seen = []
    model = spinfer.fit_kinetic(retina, callback=lambda k, r: seen.append((k, r)))
    assert [k for k, _ in seen] == list(range(len(seen)))
    assert len(seen) == len(model.history["iteration"])
    assert seen[-1][1]["max_gradient_J"] <= 1e-5
    stopped = spinfer.fit_kinetic(retina, callback=lambda k, r: k < 2)
    assert not stopped.converged and stopped.metrics["iterations"] == 2
    stopped = spinfer.fit_kinetic(retina, callback=lambda k, r: np.bool_(k < 1))
    assert stopped.metrics["iterations"] == 1

    def fails(k, r):
        raise ZeroDivisionError("from the callback")

    with pytest.raises(ZeroDivisionError, match="from the callback"):
        spinfer.fit_kinetic(retina, callback=fails)


def test_ctrl_c_stops_a_fit_with_keyboard_interrupt():
    X = planted_ising(40, seed=7).sample(5_000, seed=8)
    # A Python started in the background of a non-interactive shell (as a CI job may be)
    # inherits SIGINT ignored and installs no KeyboardInterrupt handler: install it here.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    started = time.monotonic()
    try:
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            # Past 60 s the callback stops the fit, so that a missed interrupt fails the
            # test instead of hanging the suite (the fit would run 10^6 iterations).
            spinfer.fit_ising(
                X,
                target_ratio=0,
                iters=1_000_000,
                callback=lambda i, r: time.monotonic() - started < 60,
            )
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 60


def test_the_gil_is_released_during_a_fit(retina):
    progress = []
    worker = threading.Thread(target=lambda: spinfer.fit_kinetic(retina, solver="lbfgs"))
    worker.start()
    # While the fit holds no GIL this thread runs every millisecond or so of the fit (about
    # a second); were it held, the loop could only run in the few milliseconds before the
    # worker enters the native fit, and then not until the fit ended.
    while worker.is_alive():
        progress.append(worker.is_alive())
        time.sleep(0.001)
    worker.join()
    assert sum(progress) >= 50


def test_divergence_raises_with_the_last_finite_model():
    X = planted_ising(5, seed=1).sample(1_000, seed=2)
    with pytest.raises(spinfer.DivergedError) as caught:
        # 3e38 overflows f32 at the first step, before the overshoot damping can act.
        spinfer.fit_ising(X, samples=1000, optimizer="sgd", lr=3e38, precision="f32")
    assert isinstance(caught.value, RuntimeError)
    assert "non-finite" in str(caught.value)
    model = caught.value.model
    assert model is None or (np.isfinite(model.h).all() and np.isfinite(model.J).all())
