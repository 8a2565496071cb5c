"""Fits on a Dask cluster of 2 local workers: the kinetic rows bit for bit the
single-process Newton fit; Boltzmann learning deterministic for a seed and within Monte
Carlo error of the single-process fit."""

import numpy as np
import pytest

import spinfer
import spinfer.dask
from conftest import data_moments, exact_moments, planted_ising

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        yield client


def test_kinetic_rows_on_workers_equal_the_single_process_fit(client, retina):
    single = spinfer.fit_kinetic(retina, solver="newton", repeat_bins=953)
    for chunks in (2, 5):
        spread = spinfer.dask.fit_kinetic(retina, client, chunks=chunks, repeat_bins=953)
        assert spread.converged and spread.metrics["blocks"] == chunks
        assert np.array_equal(spread.h, single.h) and np.array_equal(spread.J, single.J)
        score = single.log_likelihood(retina, repeat_bins=953).value
        assert spread.metrics["log_likelihood"] == score


def test_boltzmann_learning_with_chains_on_workers(client):
    X = planted_ising(10, seed=5).sample(20_000, seed=6)
    a = spinfer.dask.fit_ising(X, client, seed=3)
    b = spinfer.dask.fit_ising(X, client, seed=3)
    assert np.array_equal(a.h, b.h) and np.array_equal(a.J, b.J), "deterministic for a seed"
    assert a.converged
    single = spinfer.fit_ising(X, seed=3)
    # Both are as close to the data as the data's halves are to each other, and so within
    # Monte Carlo (and data) error of each other.
    half = len(X) // 2
    split = [np.sqrt(np.mean((p - q) ** 2)) for p, q in
             zip(data_moments(X[:half]), data_moments(X[half:]))]  # fmt: skip
    moments = [exact_moments(m.h, m.J) for m in (a, single)]
    for k, (data, s) in enumerate(zip(data_moments(X), split)):
        for m in moments:
            assert np.sqrt(np.mean((m[k] - data) ** 2)) <= 1.5 * s
        assert np.sqrt(np.mean((moments[0][k] - moments[1][k]) ** 2)) <= 2 * s


def test_bad_requests_are_refused(client, retina):
    with pytest.raises(ValueError, match="chunks"):
        spinfer.dask.fit_kinetic(retina, client, chunks=0)
    with pytest.raises(ValueError, match="workers"):
        spinfer.dask.fit_ising(retina[:100, :5], client, workers=3)
    with pytest.raises(TypeError, match="unexpected"):
        spinfer.dask.fit_ising(retina[:100, :5], client, colour="blue")


def test_repeated_kinetic_fits_on_one_client_all_succeed(client, retina):
    # The same raster scattered again and again: each call keeps its own copy.
    X = retina[:2000, :20]
    first = spinfer.dask.fit_kinetic(X, client, chunks=2)
    for _ in range(99):
        again = spinfer.dask.fit_kinetic(X, client, chunks=2)
        assert np.array_equal(again.J, first.J)


def test_a_worker_lost_mid_fit_ends_the_fit_with_the_last_model():
    import os
    import time

    X = planted_ising(20, seed=5).sample(20_000, seed=6)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        victim = sorted(client.scheduler_info()["workers"])[1]

        def kill_at_third(iteration, record):
            if iteration == 3:
                dying = client.submit(os._exit, 1, workers=[victim], pure=False)
                distributed.fire_and_forget(dying)

        started = time.monotonic()
        with pytest.raises(spinfer.dask.WorkerLostError) as lost:
            spinfer.dask.fit_ising(
                X, client, seed=3, iters=100_000, target_ratio=0, callback=kill_at_third
            )
        assert time.monotonic() - started < 60
        assert lost.value.worker == victim
        model = lost.value.model
        assert model is not None and model.n_spins == 20
        assert np.all(np.isfinite(model.J)) and np.array_equal(model.J, model.J.T)
