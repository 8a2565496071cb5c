"""Keyword arguments checked for what they are before they reach the extension, so that a
bad value raises an error naming the keyword and its allowed range (as the command names
its flag), not an ``OverflowError`` from the conversion or a silent truncation."""

from __future__ import annotations

import numbers
from typing import Any, Dict

from ._defaults import is_default

#: Largest seed: seeds are unsigned 64-bit integers, as in the command.
MAX_SEED = 2**64 - 1

#: Keywords taking a whole number, with their smallest allowed value (None: no bound
#: beyond the type). Whatever is not listed here is passed on as it is.
INTEGERS: Dict[str, int] = {
    "iters": 0,
    "samples": 1,
    "max_samples": 1,
    "sweeps": 1,
    "chains": 1,
    "burn_in": 0,
    "seed": 0,
    "repeat_bins": 2,
    "runs": 1,
    "n": 1,
    "checkpoint_every": 1,
}

#: Keywords taking a real number.
FLOATS = (
    "lr",
    "tol",
    "l1",
    "l2",
    "l1_fields",
    "l2_fields",
    "target_ratio",
    "target_pearson",
    "t_min",
    "t_max",
)


def integer(name: str, value: Any, smallest: int) -> int:
    """``value`` as a Python int: an integer (not a bool, not a float) >= ``smallest``
    (and a seed below 2**64)."""
    largest = MAX_SEED if name == "seed" else 2**63 - 1
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer >= {smallest}, got {value!r} "
            f"({type(value).__name__})"
        )
    value = int(value)
    if not smallest <= value <= largest:
        raise ValueError(f"{name} must be an integer in {smallest}..={largest}, got {value}")
    return value


def real(name: str, value: Any) -> float:
    """``value`` as a Python float: a real number (not a bool, not a string)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number, got {value!r} ({type(value).__name__})"
        )
    return float(value)


def options(given: Dict[str, Any], *, unset_defaults: bool = True) -> Dict[str, Any]:
    """The keyword arguments with every number checked. ``None``, and with
    ``unset_defaults`` a keyword left at the library's default (:mod:`spinfer._defaults`),
    become ``None``, "not given"; without it a default is passed on as its plain value."""
    out: Dict[str, Any] = {}
    for name, value in given.items():
        if value is None or (unset_defaults and is_default(value)):
            out[name] = None
        elif name in INTEGERS:
            out[name] = integer(name, value, INTEGERS[name])
        elif name in FLOATS:
            out[name] = real(name, value)
        else:
            out[name] = value
    return out
