"""Argument checking shared by the Python layer: clear ValueErrors naming the argument and its range."""
from __future__ import annotations

import numpy as np


def as_float_array(name: str, value) -> np.ndarray:
    """``value`` as a float64 array (any real dtype, any layout); TypeError for non-real input, ValueError for a
    ragged nested sequence."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} must be a number or a rectangular array of numbers: {exc}") from None
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


def integer(name: str, value, lo: int, hi: int | float = float("inf"), strict: bool = False) -> int:
    """``value`` as an int in [lo, hi] (an int, or unless ``strict`` a float with an integer value); TypeError for
    other types, ValueError naming ``name`` and the range otherwise."""
    kinds = (int, np.integer) if strict else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise TypeError(f"{name} must be an integer in [{lo}, {hi:g}], got {value!r}")
    try:
        ok = bool(np.isfinite(float(value))) and int(value) == value and lo <= value <= hi
    except (OverflowError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi:g}], got {value!r}")
    return int(value)


def real(name: str, value, lo: float, hi: float, unit: str = "") -> float:
    """``value`` as a float in [lo, hi]; TypeError for non-numbers, ValueError naming ``name`` and the range."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number in [{lo:g}, {hi:g}]{' ' + unit if unit else ''}, got {value!r}")
    try:
        v = float(value)
    except OverflowError:
        v = float("inf")
    if not (np.isfinite(v) and lo <= v <= hi):
        raise ValueError(f"{name} must be a real number in [{lo:g}, {hi:g}]{' ' + unit if unit else ''}, got {value!r}")
    return v
