"""Checking and converting the arrays users pass: binary data of any dtype in either
layout becomes the C-contiguous (samples x spins) 0/1 ``uint8`` array the native side
reads."""

from __future__ import annotations

from typing import Any, List, Optional

import numpy as np

LAYOUTS = ("samples-by-spins", "spins-by-samples")


def spins(X: Any, layout: str = "samples-by-spins", name: str = "X") -> np.ndarray:
    """``X`` as a C-contiguous (samples x spins) array of 0/1 bytes.

    ``X`` holds 0/1, -1/+1 or booleans, in any integer, float or bool dtype, with one row per
    sample (time bin) and one column per spin (cell) for ``layout="samples-by-spins"`` (the
    default), or the transpose for ``"spins-by-samples"`` (the command's text files).
    Anything else raises ``ValueError`` naming the problem and, for a bad value, its
    position in ``X`` as given.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout = {layout!r}: must be one of {', '.join(LAYOUTS)}")
    if isinstance(X, np.ndarray):
        a = X
    else:
        try:
            a = np.asarray(X)
        except ValueError as e:  # numpy refuses ragged nested lists
            raise ValueError(
                f"{name} is ragged: every row must have the same length ({e})"
            ) from None
    if a.dtype == object:
        raise ValueError(
            f"{name} is ragged or mixes types: give a 2-D array of 0/1, -1/+1 or bool"
        )
    if a.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D ({layout.replace('-', ' ')}), got shape {a.shape}"
        )
    if a.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} has dtype {a.dtype}: use bool, an integer or a float dtype holding "
            "0/1 or -1/+1"
        )
    if 0 in a.shape:
        raise ValueError(f"{name} is empty (shape {a.shape})")
    if a.dtype.kind == "b":
        up = a
    else:
        up = _up(a, name)
    if layout == "spins-by-samples":
        up = up.T
    return np.ascontiguousarray(up, dtype=np.uint8)


def labels_of(X: Any, layout: str = "samples-by-spins") -> Optional[List[str]]:
    """The cells' names carried by ``X``, as strings: a pandas DataFrame's columns (its
    index for ``layout="spins-by-samples"``) or the coordinate of an xarray DataArray's
    cell dimension (its second, or first for ``"spins-by-samples"``). ``None`` for plain
    arrays, for a DataArray without that coordinate and for the default 0, 1, 2, ... of a
    DataFrame made from an array, which name nothing."""
    axis = 1 if layout == "samples-by-spins" else 0
    names: Any = None
    if hasattr(X, "columns") and hasattr(X, "index"):  # a pandas DataFrame
        names = X.columns if axis == 1 else X.index
        if type(names).__name__ == "RangeIndex" and list(names) == list(range(len(names))):
            return None
    elif hasattr(X, "dims") and hasattr(X, "coords"):  # an xarray DataArray
        if len(X.dims) != 2 or X.dims[axis] not in X.coords:
            return None
        names = X.coords[X.dims[axis]].values
    else:
        return None
    return [str(name) for name in names]


def _up(a: np.ndarray, name: str) -> np.ndarray:
    """Which entries of a numeric array are up (+1 or 1), checking that it holds 0/1 or
    -1/+1 only. The common cases cost a min and a max (0/1 integers need no copy)."""
    lo, hi = a.min(), a.max()
    if lo >= 0 and hi <= 1:
        if a.dtype.kind in "iu":
            return a.view(np.uint8) if a.dtype == np.uint8 else a.astype(np.uint8)
        if ((a == 0) | (a == 1)).all():
            return a == 1
    elif lo == -1 and ((a == 1) | (a == -1)).all():
        return a == 1
    _explain(a, name)
    raise AssertionError("unreachable")  # _explain always raises


def _explain(a: np.ndarray, name: str) -> None:
    """Raises the ValueError that names the first entry that is not a spin."""
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        if nan.any():
            r, c = np.argwhere(nan)[0]
            raise ValueError(f"{name}[{r}, {c}] is NaN: spins must be 0/1, -1/+1 or bool")
    up, zero, minus = a == 1, a == 0, a == -1
    bad = ~(up | zero | minus)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ValueError(
            f"{name}[{r}, {c}] = {a[r, c].item()!r}: spins must be 0/1, -1/+1 or bool"
        )
    r0, c0 = np.argwhere(zero)[0]
    r1, c1 = np.argwhere(minus)[0]
    raise ValueError(
        f"{name} mixes 0 ({name}[{r0}, {c0}]) and -1 ({name}[{r1}, {c1}]): use 0/1 "
        "or -1/+1 throughout"
    )
