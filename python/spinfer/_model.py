"""The model object every fit returns and ``load`` reads: parameters as numpy arrays, how
the fit went, and the operations of the command (save, sample, log-likelihood)."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, NamedTuple, Optional, Sequence

import numpy as np

from . import _checks, _native
from ._arrays import spins
from ._defaults import CHOICES, DEFAULTS

_SAMPLE = DEFAULTS["sample"]
_THERMO = DEFAULTS["thermo"]


class LogLikelihood(NamedTuple):
    """A log-likelihood per sample (equilibrium) or per transition (kinetic), in nats."""

    value: float
    """The value."""
    std_error: Optional[float]
    """Its standard error when log Z is an estimate (AIS or the ladder), else ``None``."""
    measure: str
    """``"exact"``, ``"ais"``, ``"ladder"``, ``"pseudo"`` or ``"per-transition"``."""


def history_arrays(records: List[Dict[str, Any]]) -> Dict[str, np.ndarray]:
    """Per-iteration records (the command's ``--trace`` rows) as a dict of float arrays,
    one entry per iteration (iteration 0 is the start); missing values are NaN."""
    out: Dict[str, np.ndarray] = {}
    flat = []
    for r in records:
        row = {k: v for k, v in r.items() if k != "max_gradient"}
        for group, g in r.get("max_gradient", []):
            row[f"max_gradient_{group}"] = g
        flat.append(row)
    keys = sorted({k for row in flat for k in row})
    for k in keys:
        out[k] = np.array(
            [np.nan if row.get(k) is None else row[k] for row in flat], dtype=float
        )
    return out


class Model:
    """An equilibrium or kinetic Ising model.

    Equilibrium (``kind == "ising"``): P(s) = exp(sum_i h_i s_i + sum_{i<j} J_ij s_i s_j) / Z
    over s in {-1, +1}^N, ``J`` symmetric with a zero diagonal.

    K-pairwise (``kind == "k-pairwise"``, Tkacik et al. 2014): the equilibrium model with
    the potential ``V[K]`` (K = 0..N) on the number of active cells added to the exponent,
    P(s) ~ exp(sum_i h_i s_i + sum_{i<j} J_ij s_i s_j + V[K(s)]).

    Kinetic (``kind == "kinetic"``, parallel Glauber dynamics):
    P(s_i(t+1) | s(t)) = exp(s_i(t+1) theta_i) / (2 cosh theta_i) with
    theta_i = h_i + sum_j J_ij s_j(t); ``J[i, j]`` is the effect of cell j at time t on cell
    i at t+1 (``symmetric``: J constrained symmetric; ``self_couplings``: J_ii allowed).

    Attributes: ``h`` (N,) and ``J`` (N, N) float64 arrays; ``settings`` and ``metrics``
    (dicts, as in the command's model files: solver, outcome, max_gradient, train_score,
    ...); ``history`` (dict of per-iteration arrays, see :func:`history_arrays`);
    ``labels``, the cells' names (from a DataFrame's columns, say), or ``None``.
    """

    def __init__(
        self,
        kind: str,
        h: Any,
        J: Any,
        *,
        symmetric: bool = False,
        self_couplings: bool = False,
        settings: Optional[Dict[str, Any]] = None,
        metrics: Optional[Dict[str, Any]] = None,
        history: Optional[Dict[str, np.ndarray]] = None,
        labels: Optional[Sequence[Any]] = None,
        V: Optional[Any] = None,
    ) -> None:
        kinds = CHOICES["kind"]
        if kind not in kinds:
            raise ValueError(f"kind = {kind!r}: must be one of {', '.join(kinds)}")
        self.kind = kind
        self.h = np.array(h, dtype=np.float64)
        self.J = np.array(J, dtype=np.float64)
        self.V = None if V is None else np.array(V, dtype=np.float64)
        self.symmetric = bool(symmetric)
        self.self_couplings = bool(self_couplings)
        self.settings = settings
        self.metrics = metrics or {}
        self.history = history or {}
        self.labels = None if labels is None else [str(name) for name in labels]
        _native.check_model(self._spec())
        if self.labels is not None and len(self.labels) != self.n_spins:
            raise ValueError(
                f"labels: {len(self.labels)} names for a model of {self.n_spins} spins"
            )

    @classmethod
    def _unchecked(cls, kind: str, h: np.ndarray, J: np.ndarray, **options: Any) -> "Model":
        """A model as the native side made it, not checked again (the last finite model of
        a diverging fit may hold parameters beyond what a model file may hold)."""
        model = cls.__new__(cls)
        model.kind, model.h, model.J = kind, np.asarray(h), np.asarray(J)
        potential = options.get("V")
        model.V = None if potential is None else np.asarray(potential, dtype=np.float64)
        model.symmetric = bool(options.get("symmetric", False))
        model.self_couplings = bool(options.get("self_couplings", False))
        model.settings, model.metrics, model.history = None, {}, {}
        model.labels = None
        return model

    @classmethod
    def _from_native(cls, h: np.ndarray, J: np.ndarray, meta_json: str) -> "Model":
        """A model made by the native side (a fit or a file it read and checked)."""
        meta = json.loads(meta_json)
        model = cls._unchecked(
            meta["kind"],
            h,
            J,
            symmetric=meta.get("symmetric", False),
            self_couplings=meta.get("self_couplings", False),
            V=meta.get("V") or None,
        )
        model.settings = meta.get("settings")
        model.metrics = meta.get("metrics") or {}
        model.history = history_arrays(meta.get("history", []))
        model.labels = meta.get("labels") or None
        return model

    def _spec(self):
        return (self.kind, self.h, self.J, self.symmetric, self.self_couplings, self.V)

    @property
    def n_spins(self) -> int:
        """Number of spins N."""
        return int(self.h.shape[0])

    @property
    def converged(self) -> bool:
        """Whether the fit reached its goal: the gradient tolerance (exact objectives) or
        the faithfulness target (Monte Carlo fits). False for models not made by a fit."""
        return bool(self.metrics.get("converged", False))

    def save(self, path: "os.PathLike[str] | str") -> None:
        """Writes the model as the command's JSON model file, labels included (atomically:
        an interrupted write leaves no half-written file)."""
        _native.save(
            os.fspath(path),
            self._spec(),
            None if self.settings is None else json.dumps(self.settings),
            json.dumps(self.metrics) if self.metrics else None,
            self.labels,
        )

    def sample(
        self,
        n: int,
        *,
        seed: int = 1,
        sweeps: int = _SAMPLE["sweeps"],
        burn_in: int = _SAMPLE["burn_in"],
        start: Any = None,
        layout: str = "samples-by-spins",
    ) -> np.ndarray:
        """``n`` samples (equilibrium: Metropolis, ``sweeps`` sweeps apart after ``burn_in``)
        or ``n`` time bins (kinetic: parallel Glauber dynamics), as a (samples x spins)
        ``uint8`` array of 0/1 (``2 * s - 1`` gives -1/+1). Kinetic runs start from a random
        state, or with ``start`` (data in ``layout``) from its first state and without a
        burn-in: a model with two stable activity levels then stays at the data's.
        Equilibrium chains start from evenly spaced samples of ``start``. The same seed
        gives the same samples, whatever the number of threads."""
        checked = _checks.options(
            dict(n=n, seed=seed, sweeps=sweeps, burn_in=burn_in), unset_defaults=False
        )
        first = None if start is None else spins(start, layout)
        return _native.sample(self._spec(), start=first, **checked)

    def thermo(
        self,
        *,
        t_min: float = _THERMO["t_min"],
        t_max: float = _THERMO["t_max"],
        samples: int = _THERMO["samples"],
        runs: int = _THERMO["runs"],
        seed: int = _THERMO["seed"],
    ) -> Dict[str, Any]:
        """The thermodynamics of an equilibrium model from one replica-exchange ladder, as
        ``spinfer thermo`` computes them: for every temperature T from ``t_min`` to
        ``t_max`` the specific heat per spin C(T) = Var(E) / (N T^2), <E> and log Z (each
        a dict of ``value`` and ``std_error`` over ``runs`` independent ladders); log Z at
        T = 1 by stepping stones from beta = 0, the entropy S = log Z + <E> in nats and in
        bits per spin, the independent model's entropy and the multi-information
        S_ind - S; the energy histogram at T = 1; the ladder's diagnostics."""
        checked = _checks.options(
            dict(t_min=t_min, t_max=t_max, samples=samples, runs=runs, seed=seed),
            unset_defaults=False,
        )
        return json.loads(_native.thermo(self._spec(), **checked))

    def log_likelihood(
        self,
        X: Any,
        *,
        layout: str = "samples-by-spins",
        repeat_bins: Optional[int] = None,
        seed: int = DEFAULTS["log_likelihood"]["seed"],
        score: str = DEFAULTS["log_likelihood"]["score"],
    ) -> LogLikelihood:
        """The log-likelihood of data ``X`` per sample or per transition, by the rule of
        ``spinfer evaluate`` (the library's ``workflow::evaluate``). Equilibrium models:
        ``score="auto"`` is exact for N <= 20 and takes log Z by annealed importance sampling
        (seeded by ``seed``) above, or for collective data (bursts) by stepping stones
        over a replica-exchange ladder (``"ladder"``), with its standard error;
        ``"ais"`` anneals at any N;
        ``"pseudo"`` is the pseudo-log-likelihood (the training score of fits above 20
        spins). Kinetic models: exact per transition (``repeat_bins``: no transition across
        repeats)."""
        checked = _checks.options(dict(repeat_bins=repeat_bins, seed=seed, score=score))
        value, measure, se = _native.log_likelihood(self._spec(), spins(X, layout), **checked)
        return LogLikelihood(value, se, measure)

    def __repr__(self) -> str:
        state = "converged" if self.converged else "not converged"
        return f"<spinfer.Model {self.kind}, {self.n_spins} spins, {state}>"


class RowFit:
    """Rows ``rows`` of an asymmetric kinetic model fitted on their own
    (:func:`spinfer.fit_kinetic_rows`): ``h`` (len(rows),), ``J`` (len(rows), N), each row bit
    for bit the row of the fit of all rows with ``solver="newton"``."""

    def __init__(self, rows: np.ndarray, model: Model) -> None:
        self.rows = rows
        self.h = model.h[rows]
        self.J = model.J[rows]
        self.self_couplings = model.self_couplings
        self.settings = model.settings
        self.metrics = model.metrics
        self.history = model.history

    @property
    def converged(self) -> bool:
        """Whether every fitted row reached the gradient tolerance."""
        return bool(self.metrics.get("converged", False))
