"""Argument checking shared by the Python layer: clear ValueErrors naming the argument and its range."""
from __future__ import annotations

import numpy as np


def as_float_array(name: str, value) -> np.ndarray:
    """``value`` as a float64 array (any real dtype, any layout); TypeError for non-real input."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be real numbers (float or int array), got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def check_interval(name: str, arr: np.ndarray, lo=None, hi=None, lo_open=True, hi_open=True,
                   unit: str = "") -> None:
    """Raise ValueError unless every element is finite and inside (lo, hi) (open/closed as asked)."""
    if arr.size == 0:
        return
    bad = ~np.isfinite(arr)
    if lo is not None:
        bad |= (arr <= lo) if lo_open else (arr < lo)
    if hi is not None:
        bad |= (arr >= hi) if hi_open else (arr > hi)
    if bad.any():
        first = arr.ravel()[np.flatnonzero(bad.ravel())[0]]
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        rng = f"{left}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{right}"
        u = f" {unit}" if unit else ""
        raise ValueError(f"{name} must be finite and in {rng}{u}; got {float(first)!r} "
                         f"({int(bad.sum())} of {arr.size} values out of range)")


def normalise_choice(name: str, value, allowed: tuple, default: tuple) -> tuple:
    """A tuple of names from ``allowed`` (a single string allowed; None -> default); no duplicates."""
    if value is None:
        return tuple(default)
    items = (value,) if isinstance(value, str) else tuple(value)
    if not items:
        raise ValueError(f"{name} must name at least one of {allowed}")
    for item in items:
        if item not in allowed:
            raise ValueError(f"{name}: unknown {item!r}; allowed: {allowed}")
    if len(set(items)) != len(items):
        raise ValueError(f"{name} has duplicates: {items}")
    return items
