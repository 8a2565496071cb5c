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
import sys
import warnings
from typing import Any, Callable, Dict, Optional, Sequence, Union

import numpy as np

from . import _checks, _native
from ._arrays import labels_of, spins
from ._defaults import DEFAULTS, documented
from ._model import LogLikelihood, Model, RowFit
from ._progress import Progress, watched

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
    "fit_kinetic_rows",
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


def _run(
    fit: Callable[[Optional[Callback]], Any],
    what: str,
    options: Dict[str, Any],
    progress: Optional[bool],
) -> Model:
    """Runs ``fit(callback)`` (the native fit) with the progress display and the user's
    callback, turning its outcome into a :class:`Model`, its warnings into
    :class:`FitWarning` and a divergence into :class:`DivergedError`."""
    iters = options.get("iters")
    budget = int(DEFAULTS[f"fit_{what}"]["iters"] if iters is None else iters)
    shown = Progress(f"fit {what}", budget, watched() if progress is None else bool(progress))
    user = options.pop("callback", None)

    def callback(iteration: int, record: Dict[str, Any]) -> Optional[bool]:
        shown.iteration(iteration, record)
        return None if user is None else user(iteration, record)

    shown.start()
    try:
        model = Model._from_native(*fit(callback if shown.enabled or user else None))
    except _native.DivergedError as e:
        shown.finish(None)
        message, h, J = e.args
        last = None if h is None else Model._unchecked(what, h, J, **options)
        raise DivergedError(message, last) from None
    except BaseException:
        shown.finish(None)
        raise
    shown.finish(model.metrics)
    for text in model.metrics.get("warnings", []):
        warnings.warn(text, FitWarning, stacklevel=_caller_level())
    return model


def _caller_level() -> int:
    """The ``stacklevel`` that attributes a warning raised here to the first caller outside
    this package (the user's line that asked for the fit)."""
    package = os.path.dirname(__file__)
    frame = sys._getframe(1)
    level = 1
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == package:
        frame = frame.f_back
        level += 1
    return level


_ISING = DEFAULTS["fit_ising"]
PathLike = Union[str, "os.PathLike[str]"]


def _path(path: Optional[PathLike]) -> Optional[str]:
    """A path keyword as the extension takes it."""
    return None if path is None else os.fspath(path)


_KINETIC = DEFAULTS["fit_kinetic"]


@documented
def fit_ising(
    X: Any,
    *,
    layout: str = "samples-by-spins",
    model: str = _ISING["model"],
    sampler: str = _ISING["sampler"],
    method: str = _ISING["method"],
    solver: str = _ISING["solver"],
    init: str = _ISING["init"],
    optimizer: str = _ISING["optimizer"],
    lr: float = _ISING["lr"],
    iters: int = _ISING["iters"],
    tol: float = _ISING["tol"],
    samples: int = _ISING["samples"],
    max_samples: int = _ISING["max_samples"],
    sweeps: int = _ISING["sweeps"],
    chains: int = _ISING["chains"],
    burn_in: int = _ISING["burn_in"],
    seed: int = _ISING["seed"],
    estimator: str = _ISING["estimator"],
    target_ratio: float = _ISING["target_ratio"],
    target_pearson: Optional[float] = None,
    stepping: Optional[str] = None,
    l1: float = 0.0,
    l2: float = 0.0,
    l1_fields: float = 0.0,
    l2_fields: float = 0.0,
    precision: str = _ISING["precision"],
    callback: Optional[Callback] = None,
    progress: Optional[bool] = None,
    checkpoint: Optional[PathLike] = None,
    checkpoint_every: int = _ISING["checkpoint_every"],
    resume: Optional[PathLike] = None,
    split: Optional[str] = None,
) -> Model:
    """Fits the equilibrium Ising model P(s) ~ exp(sum_i h_i s_i + sum_{i<j} J_ij s_i s_j)
    to samples ``X`` by maximising the log-likelihood L = theta . <phi>_data - log Z(theta)
    (Boltzmann learning: dL/dtheta = <phi>_data - <phi>_model), as ``spinfer fit ising``.

    The defaults reach a model as faithful as the data: Monte Carlo fits (``sampler``
    ``"auto"``: Metropolis chains until three calls in a row fail their diagnostics, then
    replica exchange; or one of {choices:sampler}) start from
    independent cells, take averaged Adam steps on growing samples (shrunk when successive
    gradients turn against each other beyond their noise), and stop once fresh samples of
    the model reproduce the data's means and pair moments within ``target_ratio`` (0 turns
    the rule off) times the data's own split-half difference; ``sampler="exact"`` (N <= 20) and
    ``method="pseudo-likelihood"`` are solved by L-BFGS to max|dL/dtheta| <= ``tol``.

    ``model`` ({choices:model}): ``"k-pairwise"`` learns the K-pairwise model (Tkacik et
    al. 2014), the pairwise model plus a potential ``V[K]`` on the number of active cells
    (``model.V``, kind ``"k-pairwise"``), learned the same way; its Monte Carlo fits stop
    when P(K) is as faithful as the means and pairs, and with ``sampler="exact"`` (N <= 20)
    its maximum has the data's P(K).

    Other keywords are the command's flags (``spinfer fit ising --help``): ``method``
    ({choices:method}), ``solver`` ({choices:solver}), ``init`` ({choices:init}),
    ``optimizer`` ({choices:optimizer}), ``lr``, ``iters``, ``samples``, ``max_samples``,
    ``sweeps``, ``chains``, ``burn_in``, ``seed``, ``estimator`` ({choices:estimator}),
    ``target_pearson``, ``stepping`` ({choices:stepping}), penalties ``l1``, ``l2``,
    ``l1_fields``, ``l2_fields``, ``precision`` ({choices:precision}). The signature shows the
    library's defaults; ``max_samples`` is the ceiling of the growing samples (set it equal
    to ``samples`` for fixed samples).

    ``checkpoint``: save the fit's state to this file (atomically) every
    ``checkpoint_every`` iterations and when it stops, as ``spinfer fit --checkpoint``;
    ``resume``: continue the fit saved in that file, on the same ``X``, with its settings
    (``iters`` may change the budget): the result is bit for bit that of the fit left
    uninterrupted. ``split`` ({choices:split}): fit on one part of ``X`` and score the
    other, as ``--split``: ``model.metrics["held_out_score"]``. The command and this
    function share the fit workflow of the library (``spinfer::workflow``), so their model
    files, metrics and checkpoints are the same.

    ``progress``: a one-line display on standard error naming the phase (preparing, then
    learning with the iteration, the samples and max|gradient|, then how the fit ended);
    by default on when standard error is a terminal or a Jupyter notebook.
    ``callback(iteration, record)`` is called after every iteration with the record of the
    command's ``--trace`` (objective, max_gradient_h, max_gradient_J, samples, ...);
    returning ``False`` stops the fit there. Bad input or settings raise ``ValueError`` (a
    number of the wrong type ``TypeError``) naming the keyword and its allowed range; a
    diverging fit raises :class:`DivergedError`. A fit the data cannot pin down (fewer
    samples than spins, constant cells, parameters that ran off) warns with
    :class:`FitWarning`, as the command does; the warnings are also in
    ``model.metrics["warnings"]``. Cell names of a pandas DataFrame or xarray DataArray
    become ``model.labels``.
    """
    data = spins(X, layout)
    given = dict(
        model=model, method=method, sampler=sampler, solver=solver, init=init,
        optimizer=optimizer, lr=lr, iters=iters, tol=tol, samples=samples, max_samples=max_samples,
        sweeps=sweeps, chains=chains, burn_in=burn_in, seed=seed, estimator=estimator,
        target_ratio=target_ratio, target_pearson=target_pearson, stepping=stepping,
        l1=l1, l2=l2, l1_fields=l1_fields, l2_fields=l2_fields, precision=precision,
        callback=callback, checkpoint=_path(checkpoint), checkpoint_every=checkpoint_every,
        resume=_path(resume), split=split,
    )  # fmt: skip
    return _fit_ising(data, given, progress=progress, labels=labels_of(X, layout))


def _fit_ising(
    data: np.ndarray,
    given: Dict[str, Any],
    remote: Any = None,
    progress: Optional[bool] = None,
    labels: Optional[Sequence[str]] = None,
) -> Model:
    """The fit of checked data with the keywords ``given`` (a keyword at its default is
    left to the library), with the model averages from ``remote`` when given."""
    given = dict(given)
    progress = given.pop("progress", progress)
    options = _checks.options(given)
    model = _run(
        lambda callback: _native.fit_ising(
            data, remote=remote, **{**options, "callback": callback}
        ),
        "ising",
        options,
        progress,
    )
    model.labels = None if labels is None else list(labels)
    return model


def fit_kinetic(
    X: Any,
    *,
    layout: str = "samples-by-spins",
    symmetric: bool = False,
    self_couplings: bool = False,
    solver: str = _KINETIC["solver"],
    init: str = _KINETIC["init"],
    optimizer: str = _KINETIC["optimizer"],
    lr: float = _KINETIC["lr"],
    iters: int = _KINETIC["iters"],
    tol: float = _KINETIC["tol"],
    l1: float = 0.0,
    l2: float = 0.0,
    l1_fields: float = 0.0,
    l2_fields: float = 0.0,
    repeat_bins: Optional[int] = None,
    precision: str = _KINETIC["precision"],
    callback: Optional[Callback] = None,
    progress: Optional[bool] = None,
    checkpoint: Optional[PathLike] = None,
    checkpoint_every: int = _KINETIC["checkpoint_every"],
    resume: Optional[PathLike] = None,
    split: Optional[str] = None,
) -> Model:
    """Fits the kinetic Ising model (parallel Glauber dynamics) to the time series ``X``
    (bins x cells) by maximising the exact log-likelihood per transition
    L = < sum_i s_i(t+1) theta_i(t) - log 2cosh theta_i(t) >_t,
    theta_i(t) = h_i + sum_j J_ij s_j(t), as ``spinfer fit kinetic``.

    The default solver reaches the maximum (max|dL/dtheta| <= ``tol``): row-wise Newton
    for asymmetric models of sparse data (N <= 400), L-BFGS from the TAP start otherwise;
    ``optimizer`` and ``lr`` are those of first-order steps (``solver="gradient"``).
    ``symmetric`` constrains J to be symmetric; ``self_couplings`` allows J_ii;
    ``repeat_bins``: ``X`` is repeats of this many bins, and no transition is counted from
    the last bin of a repeat to the first of the next. To fit only some cells' rows, see
    :func:`fit_kinetic_rows`.

    Other keywords, ``callback``, ``progress`` and the exceptions are those of
    :func:`fit_ising`.
    """
    data = spins(X, layout)
    given = dict(locals(), checkpoint=_path(checkpoint), resume=_path(resume))
    model = _fit_kinetic(data, given, progress)
    model.labels = labels_of(X, layout)
    return model


def _fit_kinetic(
    data: np.ndarray,
    given: Dict[str, Any],
    progress: Optional[bool],
    rows: Optional[np.ndarray] = None,
) -> Model:
    """The native kinetic fit of checked data with the keywords picked out of a call's
    arguments ``given`` (of all cells, or of the cells ``rows``)."""
    names = (
        "symmetric", "self_couplings", "solver", "init", "optimizer", "lr", "iters", "tol",
        "l1", "l2", "l1_fields", "l2_fields", "repeat_bins", "precision", "callback",
        "checkpoint", "checkpoint_every", "resume", "split",
    )  # fmt: skip
    options = _checks.options({name: given[name] for name in names})
    chosen = {} if rows is None else {"rows": [int(i) for i in rows]}
    return _run(
        lambda callback: _native.fit_kinetic(
            data, **chosen, **{**options, "callback": callback}
        ),
        "kinetic",
        options,
        progress,
    )


def fit_kinetic_rows(
    X: Any,
    rows: Sequence[int],
    *,
    layout: str = "samples-by-spins",
    self_couplings: bool = False,
    iters: int = _KINETIC["iters"],
    tol: float = _KINETIC["tol"],
    l1: float = 0.0,
    l2: float = 0.0,
    l1_fields: float = 0.0,
    l2_fields: float = 0.0,
    repeat_bins: Optional[int] = None,
    precision: str = "f64",
    callback: Optional[Callback] = None,
    progress: Optional[bool] = None,
) -> RowFit:
    """Fits only the rows ``rows`` (h_i and J_i.) of an asymmetric kinetic model, by
    row-wise Newton: the rows of an asymmetric model are independent, so each row is bit
    for bit the row of ``fit_kinetic(X, solver="newton")`` (this is how
    :func:`spinfer.dask.fit_kinetic` spreads a fit over a cluster). Keywords as
    :func:`fit_kinetic`."""
    data = spins(X, layout)
    chosen = _rows(rows, data.shape[1])
    given = dict(
        locals(), symmetric=False, solver="newton", init="auto",
        optimizer=_KINETIC["optimizer"], lr=_KINETIC["lr"], checkpoint=None,
        checkpoint_every=None, resume=None, split=None,
    )  # fmt: skip
    return RowFit(chosen, _fit_kinetic(data, given, progress, rows=chosen))


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


_COMPARE = DEFAULTS["compare"]


def compare(
    model: Model,
    X: Any,
    *,
    layout: str = "samples-by-spins",
    samples: int = _COMPARE["samples"],
    burn_in: int = _COMPARE["burn_in"],
    seed: int = _COMPARE["seed"],
    repeat_bins: Optional[int] = None,
    max_samples: int = _COMPARE["max_samples"],
) -> Dict[str, Any]:
    """``model`` against data ``X`` from fresh samples of the model, as ``spinfer compare``
    (equilibrium: Metropolis chains, or replica exchange where they fail their checks;
    kinetic: free Glauber runs from states of the data). An equilibrium model draws 4
    times as many samples again, up to ``max_samples``, while the model-side standard
    errors of its means or pairs exceed a quarter of the data's split-half difference
    (``max_samples=samples`` draws exactly ``samples``). The dict of the command's
    ``compare.json``, plus the values behind its figures:

    - ``"statistics"``: one dict per statistic (``"name"``: means, pairs, connected,
      triplets, connected_triplets, and for kinetic models lagged and connected_lagged),
      each with ``"symbol"``, ``"agreement"`` (count, Pearson r, slope, RMSE and distance
      per site of model against data), ``"data"`` and ``"model"`` (float arrays) and, but
      for triplets, ``"cells"``: the cell indices of each entry (pairs i < j; lagged (i, j)
      for <s_i(t+1) s_j(t)>);
    - ``"faithfulness"``: the RMSE of means and pairs, the data's split-half RMSE
      (``*_noise``) and their ratios (``*_ratio``: at most 1 means as faithful as the data);
    - ``"chains"``: the fresh chains' diagnostics (R-hat, autocorrelation time);
    - ``"free_runs"``: kinetic models' free-run activity beside the data's (else ``None``);
    - ``"n_spins"``, ``"data_samples"``, ``"model_samples"``, ``"estimator"``,
      ``"triplets"`` (which triplets were compared);
    - ``"labels"``: the model's cell names, or ``None``.
    """
    checked = _checks.options(
        dict(
            samples=samples,
            burn_in=burn_in,
            seed=seed,
            repeat_bins=repeat_bins,
            max_samples=max_samples,
        )
    )
    out = _native.compare(model._spec(), spins(X, layout), **checked)
    result: Dict[str, Any] = json.loads(out)
    n = model.n_spins
    for statistic in result["statistics"]:
        statistic["data"] = np.asarray(statistic["data"], dtype=float)
        statistic["model"] = np.asarray(statistic["model"], dtype=float)
        cells = _cells(statistic["name"], n)
        if cells is not None and len(cells) == len(statistic["data"]):
            statistic["cells"] = cells
    result["labels"] = model.labels
    return result


def _cells(name: str, n: int) -> Optional[np.ndarray]:
    """The cell indices behind each entry of a statistic of ``compare`` (rows of an
    (entries x order) integer array), in the order the library lists them."""
    if name == "means":
        return np.arange(n).reshape(-1, 1)
    if name in ("pairs", "connected"):
        return np.column_stack(np.triu_indices(n, 1))
    if name in ("lagged", "connected_lagged"):
        # The library lists the N x N matrix column by column: entry k is (k % n, k // n).
        k = np.arange(n * n)
        return np.column_stack((k % n, k // n))
    return None


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
