"""Figures of a fit with matplotlib, the same the command draws as SVG: model against data
for each statistic of :func:`spinfer.compare`, the learning curve of a fit, the
distribution P(K) of the number of active cells, and the specific heat C(T) of
:meth:`spinfer.Model.thermo`.

Each function draws into ``ax`` when given (a matplotlib ``Axes``; for :func:`comparison`
a sequence of them) and otherwise into a new figure, and returns the ``Figure``: in a
notebook it is shown, in a script ``fig.savefig("name.png")`` writes it. Needs matplotlib
(``pip install "spinfer[plot]"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence

import numpy as np

from ._arrays import spins

if TYPE_CHECKING:  # matplotlib is optional: imported when a figure is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ._model import Model


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            'spinfer.plot needs matplotlib: pip install "spinfer[plot]"'
        ) from None
    return plt


def _axes(ax: Optional["Axes"], size: "tuple[float, float]" = (4.5, 4.0)) -> "Axes":
    if ax is not None:
        return ax
    _, new = _pyplot().subplots(figsize=size, layout="constrained")
    return new


def comparison(
    result: Dict[str, Any],
    statistics: Optional[Sequence[str]] = None,
    *,
    axes: Optional[Sequence["Axes"]] = None,
) -> "Figure":
    """Model against data, one scatter per statistic of ``result`` (what
    :func:`spinfer.compare` returns; ``statistics``: names to draw, default all), with the
    line y = x and Pearson r, slope and RMSE in each title: the figures of
    ``spinfer compare --out DIR``."""
    chosen = [
        s for s in result["statistics"] if statistics is None or s["name"] in statistics
    ]
    if not chosen:
        names = ", ".join(s["name"] for s in result["statistics"])
        raise ValueError(f"statistics = {statistics!r}: the result has {names}")
    if axes is None:
        columns = min(3, len(chosen))
        rows = -(-len(chosen) // columns)
        figure, grid = _pyplot().subplots(
            rows, columns, figsize=(4.0 * columns, 3.8 * rows), layout="constrained",
            squeeze=False,
        )  # fmt: skip
        panels = list(grid.ravel())
        for unused in panels[len(chosen) :]:
            unused.set_visible(False)
    else:
        panels = list(axes)
        if len(panels) < len(chosen):
            raise ValueError(f"{len(chosen)} statistics need as many axes, got {len(panels)}")
    for ax, statistic in zip(panels, chosen):
        data, model = statistic["data"], statistic["model"]
        a = statistic["agreement"]
        ax.scatter(data, model, s=6, alpha=0.5, linewidths=0)
        low = float(min(data.min(), model.min()))
        high = float(max(data.max(), model.max()))
        ax.plot([low, high], [low, high], color="0.3", linewidth=0.8)
        ax.set_xlabel(f"data {statistic['symbol']}")
        ax.set_ylabel("model")
        ax.set_title(
            f"{statistic['name'].replace('_', ' ')}: r = {a['pearson']:.3f}, "
            f"slope {a['slope']:.2f}, RMSE {a['rmse']:.1e}",
            fontsize=9,
        )
    return panels[0].figure


def learning_curve(model: "Model", *, ax: Optional["Axes"] = None) -> "Figure":
    """max |gradient| of each parameter group against the iteration, on a log scale, from
    ``model.history`` (the command's ``--trace``), with the Monte Carlo samples per
    iteration on a second axis when the fit sampled: the learning-curve figure of
    ``spinfer fit --plot``."""
    history = model.history
    if "iteration" not in history or len(history["iteration"]) == 0:
        raise ValueError("the model has no history: it was not made by a fit in this session")
    ax = _axes(ax, (6.0, 4.0))
    iteration = history["iteration"]
    for key in sorted(history):
        if key.startswith("max_gradient_"):
            ax.semilogy(iteration, history[key], label=f"max |dL/d{key[len('max_gradient_') :]}|")
    ax.set_xlabel("iteration")
    ax.set_ylabel("max |gradient|")
    ax.legend(loc="upper right", fontsize=8)
    samples = history.get("samples")
    if samples is not None and np.isfinite(samples).any():
        twin = ax.twinx()
        twin.step(iteration, samples, where="post", color="0.6", linewidth=0.8)
        twin.set_ylabel("samples per iteration", color="0.4")
    outcome = model.metrics.get("outcome")
    if outcome:
        ax.set_title(f"{model.kind} fit: {outcome}", fontsize=9)
    return ax.figure


def active_cells(X: Any, layout: str = "samples-by-spins") -> np.ndarray:
    """P(K): the fraction of samples (time bins) of ``X`` with K = 0, 1, ..., N cells
    active, as an array of N + 1 probabilities."""
    data = spins(X, layout)
    counts = np.bincount(data.sum(axis=1, dtype=np.int64), minlength=data.shape[1] + 1)
    return counts / counts.sum()


def activity(
    model: "Model",
    X: Any,
    *,
    samples: int = 200_000,
    seed: int = 1,
    layout: str = "samples-by-spins",
    ax: Optional["Axes"] = None,
) -> "Figure":
    """P(K) of the data ``X`` and of ``samples`` fresh samples of ``model`` (a kinetic
    model runs from the data's states), on a log scale: the figure that shows whether a
    model reproduces a recording's silent bins and population bursts."""
    data = spins(X, layout)
    drawn = model.sample(samples, seed=seed, start=data if model.kind == "kinetic" else None)
    ax = _axes(ax, (5.5, 4.0))
    for label, p, style in (("data", active_cells(data), "o"), ("model", active_cells(drawn), "-")):
        k = np.nonzero(p)[0]
        ax.semilogy(k, p[k], style, markersize=3, label=label)
    ax.set_xlabel("K, active cells in a bin")
    ax.set_ylabel("P(K)")
    ax.legend(fontsize=8)
    return ax.figure


def specific_heat(thermo: Dict[str, Any], *, ax: Optional["Axes"] = None) -> "Figure":
    """C(T) = Var(E) / (N T^2) against the temperature T with its standard errors, from
    :meth:`spinfer.Model.thermo` (the fitted model is T = 1, marked): the figure of
    ``spinfer thermo``. A peak near T = 1 is the signature of a near-critical model."""
    levels = thermo["levels"]
    t = np.array([level["temperature"] for level in levels])
    c = np.array([level["specific_heat"]["value"] for level in levels])
    se = np.array([level["specific_heat"]["std_error"] for level in levels])
    order = np.argsort(t)
    ax = _axes(ax, (5.5, 4.0))
    ax.errorbar(t[order], c[order], yerr=se[order], marker="o", markersize=3, capsize=2)
    ax.axvline(1.0, color="0.5", linewidth=0.8, linestyle="--")
    ax.set_xscale("log")
    ax.set_xlabel("temperature T")
    ax.set_ylabel("specific heat per spin C(T)")
    entropy = thermo.get("entropy_bits_per_spin", {}).get("value")
    if entropy is not None:
        ax.set_title(f"S = {entropy:.3f} bits per spin", fontsize=9)
    return ax.figure


__all__ = ["active_cells", "activity", "comparison", "learning_curve", "specific_heat"]
