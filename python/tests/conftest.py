"""Shared data and helpers: small planted models with exact moments by enumeration, the
synthetic retina, and the `spinfer` command built from this checkout."""

import itertools
import os
import pathlib
import subprocess

import numpy as np
import pytest

import spinfer

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def command():
    """Runs the `spinfer` command of this checkout (built by `cargo build --release` or
    `cargo test --release`; SPINFER_BIN overrides the path)."""
    path = pathlib.Path(os.environ.get("SPINFER_BIN", REPO / "target" / "release" / "spinfer"))
    if not path.exists():
        pytest.fail(f"{path} does not exist: run `cargo build --release` first")

    def run(*args, cwd=None):
        return subprocess.run(
            [str(path), *map(str, args)], capture_output=True, text=True, cwd=cwd, check=True
        )

    return run


def configurations(n):
    """All 2^n configurations of n ±1 spins, one per row."""
    return np.array(list(itertools.product([-1, 1], repeat=n)), dtype=float)


def exact_moments(h, J):
    """Means <s_i> and pair moments <s_i s_j> (i < j) of the equilibrium model, by
    enumeration."""
    s = configurations(len(h))
    energy = s @ h + 0.5 * np.einsum("ti,ij,tj->t", s, J, s)
    p = np.exp(energy - energy.max())
    p /= p.sum()
    pairs = np.einsum("t,ti,tj->ij", p, s, s)
    iu = np.triu_indices(len(h), 1)
    return p @ s, pairs[iu]


def data_moments(X):
    """Means and pair moments (i < j) of 0/1 samples, in ±1 spins."""
    s = 2.0 * X - 1.0
    iu = np.triu_indices(X.shape[1], 1)
    return s.mean(0), (s.T @ s / len(s))[iu]


def planted_ising(n, seed):
    """A random equilibrium model: fields N(0, 0.3²)-ish, couplings N(0, 1/n)."""
    rng = np.random.default_rng(seed)
    h = rng.normal(-0.2, 0.3, n)
    J = np.triu(rng.normal(0.0, 1.0 / np.sqrt(n), (n, n)), 1)
    return spinfer.Model("ising", h, J + J.T)


@pytest.fixture(scope="session")
def retina():
    """A short synthetic retina: 160 cells, 30 repeats of 953 bins (28,590 bins)."""
    return spinfer.synthetic_retina(repeats=30)
