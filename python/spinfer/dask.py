"""Fits spread over a Dask cluster (``dask.distributed``), for recordings that outgrow one
machine. Both fits rest on sums of independent pieces:

* the asymmetric kinetic log-likelihood is a sum of per-cell terms, so blocks of rows are
  fitted on the workers (:func:`fit_kinetic`) and assembled: the model is bit for bit
  ``spinfer.fit_kinetic(X, solver="newton")``;
* the model side of Boltzmann learning is an average over independent chains, so each
  worker keeps its own persistent chains (:func:`fit_ising`); at every iteration only the
  parameters go out and the moment averages come back. The fit is deterministic for a
  seed and agrees with the single-process fit within Monte Carlo error.

Needs ``dask[distributed]`` (``pip install "spinfer[dask]"``).
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Optional

import numpy as np

from . import _checks, _fit_ising, _native
from . import fit_kinetic_rows as _fit_kinetic_rows
from ._arrays import labels_of, spins
from ._defaults import DEFAULTS
from ._model import Model

_ISING = DEFAULTS["fit_ising"]
_KINETIC = DEFAULTS["fit_kinetic"]

# Chains kept on this process when it is a worker, by fit.
_CHAINS: Dict[str, "_native.Chains"] = {}

#: Seconds between checks that the fit's workers are still in the cluster while waiting
#: for their results (also how soon Ctrl-C is seen).
POLL_SECONDS = 1.0


class WorkerLostError(RuntimeError):
    """A worker holding part of a fit left the cluster (it died, or the cluster scaled
    down) before returning its results. ``model`` is the model at the last parameters sent
    to the workers (``None`` before the first iteration); ``worker`` is the address that
    left."""

    def __init__(self, message: str, worker: str, model: Optional[Model]) -> None:
        super().__init__(message)
        self.worker = worker
        self.model = model


def _gather(client, futures, addresses: List[str], theta=None, n: int = 0):
    """The results of ``futures`` (pinned to ``addresses``), or :class:`WorkerLostError`
    as soon as one of those workers is no longer in the cluster: a task pinned to a worker
    that has gone would otherwise wait for it for ever."""
    from distributed import wait

    while True:
        try:
            wait(futures, timeout=POLL_SECONDS)
            return client.gather(futures)
        except TimeoutError:
            pass
        present = set(client.scheduler_info()["workers"])
        gone = [a for a in addresses if a not in present]
        if gone:
            client.cancel(futures)
            raise WorkerLostError(
                f"worker {gone[0]} left the cluster during the fit; its tasks cannot finish "
                "(the last model is on this exception's .model)",
                gone[0],
                None if theta is None else _model_of(theta, n),
            )


def _workers(client, count: Optional[int]) -> List[str]:
    addresses = sorted(client.scheduler_info()["workers"])
    if not addresses:
        raise ValueError("the Dask client has no workers")
    if count is None:
        return addresses
    if count < 1:
        raise ValueError(f"workers = {count}: must be >= 1")
    if count > len(addresses):
        raise ValueError(f"workers = {count}: the cluster has {len(addresses)} workers")
    return addresses[:count]


def _fit_rows(data: np.ndarray, rows: List[int], options: Dict[str, Any]):
    part = _fit_kinetic_rows(data, rows, **options)
    return part.rows, part.h, part.J, part.metrics, part.settings, part.history


def fit_kinetic(
    X: Any,
    client,
    *,
    chunks: Optional[int] = None,
    layout: str = "samples-by-spins",
    self_couplings: bool = False,
    l2: float = 0.0,
    l2_fields: float = 0.0,
    tol: float = _KINETIC["tol"],
    iters: int = _KINETIC["iters"],
    repeat_bins: Optional[int] = None,
    precision: str = "f64",
) -> Model:
    """The asymmetric kinetic model of :func:`spinfer.fit_kinetic`, its rows fitted in
    ``chunks`` blocks (default: one per worker) on the workers of ``client`` by row-wise
    Newton and assembled. The data go to every worker once; each block returns its rows.
    The model equals ``spinfer.fit_kinetic(X, solver="newton", ...)`` bit for bit.
    """
    data = spins(X, layout)
    n = data.shape[1]
    if chunks is None:
        chunks = len(_workers(client, None))
    if not 1 <= chunks <= n:
        raise ValueError(f"chunks = {chunks}: must be between 1 and the {n} cells")
    options = dict(
        self_couplings=self_couplings, l2=l2, l2_fields=l2_fields,
        tol=tol, iters=iters, repeat_bins=repeat_bins, precision=precision, progress=False,
    )  # fmt: skip
    # A key of its own (hash=False): a raster scattered under its content hash is shared
    # with any earlier call on the same data, and released when that call's futures are.
    shared = client.scatter(data, broadcast=True, hash=False)
    blocks = np.array_split(np.arange(n), chunks)
    futures = [
        client.submit(_fit_rows, shared, [int(i) for i in b], options, pure=False)
        for b in blocks
    ]
    # Unpinned: the scheduler moves blocks of a lost worker to the others.
    parts = client.gather(futures)
    h = np.empty(n)
    J = np.empty((n, n))
    for rows, hb, Jb, _, _, _ in parts:
        h[rows] = hb
        J[rows] = Jb
    metrics = dict(parts[0][3])
    metrics["converged"] = all(p[3].get("converged", False) for p in parts)
    metrics["iterations"] = max(p[3].get("iterations", 0) for p in parts)
    metrics["max_gradient"] = max(p[3].get("max_gradient", 0.0) for p in parts)
    metrics["seconds"] = max(p[3].get("seconds") or 0.0 for p in parts)
    metrics["blocks"] = chunks
    for key in ("log_likelihood", "train_score"):
        metrics.pop(key, None)
    model = Model(
        "kinetic",
        h,
        J,
        self_couplings=self_couplings,
        settings=parts[0][4],
        metrics=metrics,
        history=parts[0][5],
        labels=labels_of(X, layout),
    )
    score = model.log_likelihood(data, repeat_bins=repeat_bins)
    model.metrics["log_likelihood"] = score.value
    model.metrics["train_score"] = {"value": score.value, "measure": score.measure}
    return model


def _make_chains(key: str, n: int, settings: Dict[str, Any]) -> None:
    _CHAINS[key] = _native.Chains(n, **settings)


def _advance(key: str, theta: np.ndarray, samples: int):
    return _CHAINS[key].averages(theta, samples)


def _drop_chains(key: str) -> None:
    _CHAINS.pop(key, None)


def fit_ising(
    X: Any,
    client,
    *,
    workers: Optional[int] = None,
    layout: str = "samples-by-spins",
    sampler: str = "metropolis",
    chains: int = _ISING["chains"],
    sweeps: int = _ISING["sweeps"],
    burn_in: int = _ISING["burn_in"],
    seed: int = 1,
    estimator: str = "rao-blackwell",
    **options: Any,
) -> Model:
    """Boltzmann learning of :func:`spinfer.fit_ising` with the model's chains on
    ``workers`` workers of ``client`` (default: all). The ``chains`` persistent chains
    are split among the workers, each worker's with its own seed derived from ``seed``;
    every iteration sends the parameters theta to the workers, which advance their chains
    and return the averages of (s_i, s_i s_j) with standard errors, pooled here by sample
    weight. The learning loop (steps, growing samples, the faithfulness stopping rule on
    fresh samples) runs in this process. Other keywords are those of
    :func:`spinfer.fit_ising` (a Monte Carlo ``sampler``).

    A worker that leaves the cluster mid-fit takes its chains with it: the fit then ends
    within about :data:`POLL_SECONDS` with :class:`WorkerLostError`, carrying the model at
    the last parameters sent out.
    """
    data = spins(X, layout)
    n = data.shape[1]
    addresses = _workers(client, workers)
    total = _checks.integer("chains", chains, 1)
    if total < len(addresses):
        raise ValueError(
            f"chains = {total}: at least one chain per worker ({len(addresses)} workers)"
        )
    shares = [len(a) for a in np.array_split(np.arange(total), len(addresses))]
    key = uuid.uuid4().hex
    for w, (address, share) in enumerate(zip(addresses, shares)):
        settings = dict(
            sampler=sampler,
            chains=share,
            seed=int(seed) + 1_000_003 * w,
            sweeps=_checks.integer("sweeps", sweeps, 1),
            burn_in=_checks.integer("burn_in", burn_in, 0),
            rao_blackwell=estimator == "rao-blackwell",
        )
        made = client.submit(_make_chains, key, n, settings, workers=[address], pure=False)
        _gather(client, [made], [address])

    def remote(theta: np.ndarray, samples: int):
        # Each worker draws samples in proportion to its chains (at least one per chain).
        counts = [samples * share // total for share in shares]
        counts[0] += samples - sum(counts)
        counts = [max(c, share) for c, share in zip(counts, shares)]
        futures = [
            client.submit(_advance, key, theta, c, workers=[a], pure=False)
            for a, c in zip(addresses, counts)
        ]
        results = _gather(client, futures, addresses, theta, n)
        weights = np.array(counts, dtype=float) / sum(counts)
        mean = sum(w * m for w, (m, _) in zip(weights, results))
        se = np.sqrt(sum((w * s) ** 2 for w, (_, s) in zip(weights, results)))
        return mean, se

    fit_options = dict(
        sampler=sampler, chains=total, sweeps=sweeps, burn_in=burn_in, seed=seed,
        estimator=estimator,
    )  # fmt: skip
    fit_options.update(options)
    try:
        labels = labels_of(X, layout)
        return _fit_ising(data, _with_defaults(fit_options), remote=remote, labels=labels)
    finally:
        present = set(client.scheduler_info()["workers"])
        alive = [a for a in addresses if a in present]
        if alive:
            client.run(_drop_chains, key, workers=alive)


def _model_of(theta: np.ndarray, n: int) -> Model:
    """The equilibrium model of parameters theta = (h, J_ij for i < j row by row)."""
    h = np.array(theta[:n], dtype=float)
    J = np.zeros((n, n))
    upper = np.triu_indices(n, 1)
    J[upper] = theta[n:]
    J.T[upper] = theta[n:]
    return Model("ising", h, J)


def _with_defaults(options: Dict[str, Any]) -> Dict[str, Any]:
    """The keywords of the native fit, every unset one at its default."""
    import inspect

    from . import fit_ising as public

    full = {
        k: p.default
        for k, p in inspect.signature(public).parameters.items()
        if p.kind is p.KEYWORD_ONLY and k != "layout"
    }
    unknown = set(options) - set(full)
    if unknown:
        raise TypeError(f"unexpected keyword arguments: {', '.join(sorted(unknown))}")
    full.update(options)
    return full


__all__ = ["WorkerLostError", "fit_ising", "fit_kinetic"]
