"""spinfer: inverse Ising inference from binary recordings, in Rust.

Data ``X`` are 2-D arrays of 0/1, -1/+1 or bool in any integer, float or bool dtype, one row
per sample (time bin) and one column per spin (cell): ``layout="samples-by-spins"``, the
default. Pass ``layout="spins-by-samples"`` for the transpose (the command's text files).

Fits use the command's defaults and write the command's model files: ``spinfer fit ising``
is :func:`fit_ising`, ``spinfer fit kinetic`` is :func:`fit_kinetic`, ``spinfer compare`` is
:func:`compare`, ``spinfer sample`` is :meth:`Model.sample`. Every fit and sample runs with
the GIL released; Ctrl-C stops a fit after its current iteration (``KeyboardInterrupt``).
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, Callable, Dict, Optional, Sequence, Union

import numpy as np

from . import _checks, _native
from ._arrays import spins
from ._model import LogLikelihood, Model, RowFit

__version__: str = _native.__version__

__all__ = [
    "DivergedError",
    "FitWarning",
    "LogLikelihood",
    "Model",
    "RowFit",
    "compare",
    "fit_ising",
    "fit_kinetic",
    "load",
    "read_raster",
    "synthetic_retina",
]

Callback = Callable[[int, Dict[str, Any]], Optional[bool]]


class DivergedError(RuntimeError):
    """A fit whose parameters, gradient or objective became non-finite (steps too large:
    lower ``lr``). ``model`` is the last model whose objective was finite, or ``None``."""

    def __init__(self, message: str, model: Optional[Model]) -> None:
        super().__init__(message)
        self.model = model


class FitWarning(UserWarning):
    """A fit the data cannot pin down: fewer samples than spins, constant cells, or
    parameters that ran off (the same warnings ``spinfer fit`` prints)."""


def _run(fit: Callable[[], Any], kind: str, options: Dict[str, Any]):
    try:
        model = fit()
    except _native.DivergedError as e:
        message, h, J = e.args
        model = None if h is None else Model._unchecked(kind, h, J, **options)
        raise DivergedError(message, model) from None
    for text in model.metrics.get("warnings", []):
        warnings.warn(text, FitWarning, stacklevel=2)
    return model


def fit_ising(
    X: Any,
    *,
    layout: str = "samples-by-spins",
    sampler: str = "auto",
    method: str = "boltzmann",
    solver: str = "auto",
    init: str = "auto",
    optimizer: Optional[str] = None,
    lr: Optional[float] = None,
    iters: Optional[int] = None,
    tol: Optional[float] = None,
    samples: Optional[int] = None,
    max_samples: Optional[int] = None,
    sweeps: Optional[int] = None,
    chains: Optional[int] = None,
    burn_in: Optional[int] = None,
    seed: int = 1,
    estimator: str = "rao-blackwell",
    target_ratio: Optional[float] = None,
    target_pearson: Optional[float] = None,
    stepping: Optional[str] = None,
    l1: float = 0.0,
    l2: float = 0.0,
    l1_fields: float = 0.0,
    l2_fields: float = 0.0,
    precision: str = "f64",
    callback: Optional[Callback] = None,
) -> Model:
    """Fits the equilibrium Ising model P(s) ~ exp(sum_i h_i s_i + sum_{i<j} J_ij s_i s_j)
    to samples ``X`` by maximising the log-likelihood L = theta . <phi>_data - log Z(theta)
    (Boltzmann learning: dL/dtheta = <phi>_data - <phi>_model), as ``spinfer fit ising``.

    The defaults reach a model as faithful as the data: Monte Carlo fits (``sampler``
    ``"auto"``: Metropolis chains until three calls in a row fail their diagnostics, then
    replica exchange; or ``"metropolis"``, ``"gibbs"``, ``"tempering"``) start from
    independent cells, take averaged Adam steps on growing samples (shrunk when successive
    gradients turn against each other beyond their noise), and stop once fresh samples of the model reproduce the
    data's means and pair moments within ``target_ratio`` (0.9; 0 turns the rule off) times
    the data's own split-half difference; ``sampler="exact"`` (N <= 20) and
    ``method="pseudo-likelihood"`` are solved by L-BFGS to max|dL/dtheta| <= ``tol``.

    Other keywords are the command's flags (``spinfer fit ising --help``): ``solver``
    (auto, gradient, lbfgs, newton), ``init`` (auto, zero, mean-field, tap, pseudo),
    ``optimizer`` (sgd, momentum, adam), ``lr``, ``iters``, ``samples``, ``max_samples``,
    ``sweeps``, ``chains``, ``burn_in``, ``seed``, ``estimator`` (rao-blackwell, plain),
    ``target_pearson``, ``stepping`` (centred, raw), penalties ``l1``, ``l2``,
    ``l1_fields``, ``l2_fields``, ``precision`` (f64, f32).

    ``callback(iteration, record)`` is called after every iteration with the record of the
    command's ``--trace`` (objective, max_gradient_h, max_gradient_J, samples, ...);
    returning ``False`` stops the fit there. Bad input or settings raise ``ValueError`` (a
    number of the wrong type ``TypeError``) naming the keyword and its allowed range; a
    diverging fit raises :class:`DivergedError`. A fit the data cannot pin down (fewer
    samples than spins, constant cells, parameters that ran off) warns with
    :class:`FitWarning`, as the command does; the warnings are also in
    ``model.metrics["warnings"]``.
    """
    data = spins(X, layout)
    options = _checks.options(dict(
        method=method, sampler=sampler, solver=solver, init=init, optimizer=optimizer,
        lr=lr, iters=iters, tol=tol, samples=samples, max_samples=max_samples,
        sweeps=sweeps, chains=chains, burn_in=burn_in, seed=seed, estimator=estimator,
        target_ratio=target_ratio, target_pearson=target_pearson, stepping=stepping,
        l1=l1, l2=l2, l1_fields=l1_fields, l2_fields=l2_fields, precision=precision,
        callback=callback,
    ))  # fmt: skip
    return _fit_ising(data, options)


def _fit_ising(data: np.ndarray, options: Dict[str, Any], remote=None) -> Model:
    """The fit of checked data, with the model averages from ``remote`` when given."""
    return _run(
        lambda: Model._from_native(*_native.fit_ising(data, remote=remote, **options)),
        "ising",
        options,
    )


def fit_kinetic(
    X: Any,
    *,
    layout: str = "samples-by-spins",
    symmetric: bool = False,
    self_couplings: bool = False,
    solver: str = "auto",
    init: str = "auto",
    optimizer: Optional[str] = None,
    lr: Optional[float] = None,
    iters: Optional[int] = None,
    tol: Optional[float] = None,
    l1: float = 0.0,
    l2: float = 0.0,
    l1_fields: float = 0.0,
    l2_fields: float = 0.0,
    repeat_bins: Optional[int] = None,
    rows: Optional[Sequence[int]] = None,
    precision: str = "f64",
    callback: Optional[Callback] = None,
) -> Union[Model, RowFit]:
    """Fits the kinetic Ising model (parallel Glauber dynamics) to the time series ``X``
    (bins x cells) by maximising the exact log-likelihood per transition
    L = < sum_i s_i(t+1) theta_i(t) - log 2cosh theta_i(t) >_t,
    theta_i(t) = h_i + sum_j J_ij s_j(t), as ``spinfer fit kinetic``.

    The default solver reaches the maximum (max|dL/dtheta| <= ``tol``, 1e-5): row-wise
    Newton for asymmetric models of sparse data (N <= 400), L-BFGS otherwise.
    ``symmetric`` constrains J to be symmetric; ``self_couplings`` allows J_ii;
    ``repeat_bins``: ``X`` is repeats of this many bins, and no transition is counted from
    the last bin of a repeat to the first of the next.

    ``rows``: fit only these cells' rows (h_i and J_i.), by row-wise Newton, returning a
    :class:`RowFit`; each row is bit for bit the row of the fit of all cells with
    ``solver="newton"`` (the rows of an asymmetric model are independent; see
    :func:`spinfer.dask.fit_kinetic`).

    Other keywords, the callback and the exceptions are those of :func:`fit_ising`.
    """
    data = spins(X, layout)
    options = _checks.options(dict(
        symmetric=symmetric, self_couplings=self_couplings, solver=solver, init=init,
        optimizer=optimizer, lr=lr, iters=iters, tol=tol, l1=l1, l2=l2,
        l1_fields=l1_fields, l2_fields=l2_fields, repeat_bins=repeat_bins,
        precision=precision, callback=callback,
    ))  # fmt: skip
    if rows is None:
        return _run(
            lambda: Model._from_native(*_native.fit_kinetic(data, **options)),
            "kinetic",
            options,
        )
    chosen = _rows(rows, data.shape[1])
    model = _run(
        lambda: Model._from_native(
            *_native.fit_kinetic(data, rows=[int(i) for i in chosen], **options)
        ),
        "kinetic",
        options,
    )
    return RowFit(chosen, model)


def _rows(rows: Sequence[int], n: int) -> np.ndarray:
    chosen = np.asarray(rows)
    if chosen.ndim != 1 or chosen.dtype.kind not in "iu":
        raise ValueError(f"rows must be a 1-D sequence of cell indices, got {rows!r}")
    if chosen.size and (chosen.min() < 0 or chosen.max() >= n):
        bad = chosen[(chosen < 0) | (chosen >= n)][0]
        raise ValueError(f"row {bad} does not exist: the data have {n} cells (0 to {n - 1})")
    return chosen.astype(np.int64)


def load(path: "os.PathLike[str] | str") -> Model:
    """Reads a model file written by the command or by :meth:`Model.save` (checked as the
    command checks it: ``ValueError`` naming the file for a damaged or invalid one)."""
    h, J, meta = _native.load(os.fspath(path))
    return Model._from_native(h, J, meta)


def compare(
    model: Model,
    X: Any,
    *,
    layout: str = "samples-by-spins",
    samples: Optional[int] = None,
    burn_in: Optional[int] = None,
    seed: Optional[int] = None,
    repeat_bins: Optional[int] = None,
) -> Dict[str, Any]:
    """``model`` against data ``X`` from fresh samples of the model, as ``spinfer compare``:
    the dict of the command's ``compare.json``: under ``"statistics"`` one entry per
    statistic (means, pair correlations, triplets, and for kinetic models time-lagged
    correlations) with its ``"agreement"`` (RMSE and Pearson r of model against data, the
    data's own split-half RMSE), plus its ``"data"`` and ``"model"`` values as arrays for
    figures. Defaults as the command (500,000 samples, seed 7)."""
    checked = _checks.options(
        dict(samples=samples, burn_in=burn_in, seed=seed, repeat_bins=repeat_bins)
    )
    out = _native.compare(model._spec(), spins(X, layout), **checked)
    result = json.loads(out)
    for statistic in result["statistics"]:
        statistic["data"] = np.asarray(statistic["data"], dtype=float)
        statistic["model"] = np.asarray(statistic["model"], dtype=float)
    return result


def read_raster(path: "os.PathLike[str] | str", *, layout: str = "spins-by-samples") -> np.ndarray:
    """Reads a data file of the command (text or .gz; one line per spin by default) as a
    (samples x spins) ``uint8`` array of 0/1."""
    return _native.read_raster(os.fspath(path), layout=layout)


def synthetic_retina(
    *, cells: int = 160, repeats: int = 297, bins: int = 953, seed: int = 1
) -> np.ndarray:
    """The synthetic retina of ``spinfer generate retina`` (``cells`` cells, ``repeats``
    repeats of a movie of ``bins`` 20 ms bins) as a (bins x cells) ``uint8`` array of 0/1."""
    return _native.synthetic_retina(cells=cells, repeats=repeats, bins=bins, seed=seed)
