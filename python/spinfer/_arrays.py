"""Checking and converting the arrays users pass: binary data of any dtype in either
layout becomes the C-contiguous (samples x spins) 0/1 ``uint8`` array the native side
reads."""

from __future__ import annotations

from typing import Any

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
        if a.dtype.kind == "f":
            nan = np.isnan(a)
            if nan.any():
                r, c = np.argwhere(nan)[0]
                raise ValueError(f"{name}[{r}, {c}] is NaN: spins must be 0/1, -1/+1 or bool")
        up = a == 1
        zero = a == 0
        minus = a == -1
        bad = ~(up | zero | minus)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise ValueError(
                f"{name}[{r}, {c}] = {a[r, c].item()!r}: spins must be 0/1, -1/+1 or bool"
            )
        if zero.any() and minus.any():
            r0, c0 = np.argwhere(zero)[0]
            r1, c1 = np.argwhere(minus)[0]
            raise ValueError(
                f"{name} mixes 0 ({name}[{r0}, {c0}]) and -1 ({name}[{r1}, {c1}]): use 0/1 "
                "or -1/+1 throughout"
            )
    if layout == "spins-by-samples":
        up = up.T
    return np.ascontiguousarray(up, dtype=np.uint8)
