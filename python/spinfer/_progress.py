"""A one-line progress display of a fit on standard error, naming its phase: preparing
(checking the data, the warm start), learning (iteration, samples per iteration,
max |gradient|), and how it ended. On by default where someone is watching: a terminal or a
Jupyter notebook."""

from __future__ import annotations

import sys
import time
from typing import Any, Dict, Optional

#: Seconds between two redraws of the line: often enough to look alive, rarely enough to
#: cost nothing next to an iteration.
REDRAW_SECONDS = 0.25


def watched() -> bool:
    """Whether standard error is a terminal or a notebook's output."""
    try:
        if sys.stderr.isatty():
            return True
    except (AttributeError, ValueError):  # replaced or closed streams
        return False
    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    kernel = get_ipython() if callable(get_ipython) else None
    return kernel is not None and "IPKernelApp" in getattr(kernel, "config", {})


class Progress:
    """The display of one fit (``what``: ``"fit ising"`` or ``"fit kinetic"``, with a budget
    of ``iters`` iterations); silent unless ``enabled``."""

    def __init__(self, what: str, iters: int, enabled: bool) -> None:
        self.what = what
        self.iters = iters
        self.enabled = enabled
        self.started = time.monotonic()
        self.drawn = 0.0
        self.width = 0

    def _draw(self, text: str, end: str = "") -> None:
        line = f"spinfer {self.what}: {text}"
        pad = " " * max(0, self.width - len(line))
        self.width = len(line)
        sys.stderr.write(f"\r{line}{pad}{end}")
        sys.stderr.flush()

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self.started:.0f} s"

    def start(self) -> None:
        """The phase before the first iteration."""
        if self.enabled:
            self._draw("preparing (checking the data, warm start)")

    def iteration(self, iteration: int, record: Dict[str, Any]) -> None:
        """After each iteration (the fit's callback): the learning phase."""
        now = time.monotonic()
        if not self.enabled or now - self.drawn < REDRAW_SECONDS:
            return
        self.drawn = now
        parts = [f"learning, iteration {iteration}/{self.iters}"]
        if record.get("samples"):
            parts.append(f"{int(record['samples']):,} samples")
        gradients = [
            g for key, g in record.items() if key.startswith("max_gradient") and g is not None
        ]
        if gradients:
            parts.append(f"max|grad| {max(gradients):.1e}")
        parts.append(self._elapsed())
        self._draw(", ".join(parts))

    def finish(self, metrics: Optional[Dict[str, Any]]) -> None:
        """How the fit ended (``None``: it raised)."""
        if not self.enabled:
            return
        if metrics is None:
            self._draw(f"stopped after {self._elapsed()}", end="\n")
            return
        outcome = metrics.get("outcome", "done")
        iterations = metrics.get("iterations")
        counted = "" if iterations is None else f", {iterations} iterations"
        self._draw(f"{outcome}{counted}, {self._elapsed()}", end="\n")
