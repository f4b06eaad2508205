"""Dominance under theory variations, in pure NumPy (one job: values per variation and channel -> robust labels).

Every function takes ``values`` of shape ``(n_variations, n_channels, ...)``: a cross section (one polarisation
state) per variation and channel at any number of points, e.g. ``r.values[:, :, k]`` of a
:class:`jpsi_fast.Result` evaluated with ``variations=`` (variation axis first, central first, as
``Result.layout.variations``).

Dominance is decided on the **signed** values: under one variation, the dominant channel is the one with the
largest value (``argmax``, the first on ties), provided the channel sum is > 0. A variation whose channel sum is
<= 0 -- every channel 0 (kinematically forbidden, y > 1), or a negative sum from LDME sets with negative
elements (NLO fits; they need ``Variations(..., allow_negative_ldme=True)``) -- has no dominant channel. A
channel made negative by a negative LDME simply never wins against a positive one; nothing is clipped or
reweighted.
"""
from __future__ import annotations

import numpy as np

__all__ = ["AMBIGUOUS", "NO_DOMINANT", "dominant_by_variation", "robust_dominant", "robust_margin",
           "dominance_probability"]

#: code of :func:`robust_dominant` where the dominant channel changes across the variations
AMBIGUOUS = -2
#: code where no variation has a dominant channel (channel sum <= 0 under every variation, e.g. y > 1); the same
#: -1 as :func:`jpsi_fast.components.dominant_channel`
NO_DOMINANT = -1


def _check(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.ndim < 2 or v.shape[0] < 1 or v.shape[1] < 1:
        raise ValueError("values must have shape (n_variations >= 1, n_channels >= 1, ...), got "
                         f"{np.shape(values)}")
    if not np.all(np.isfinite(v)):
        raise ValueError("values must be finite (no NaN or inf)")
    return v


def dominant_by_variation(values) -> np.ndarray:
    """(n_variations, ...) index of the dominant channel under each variation (argmax of the signed values, first
    on ties); :data:`NO_DOMINANT` (-1) where that variation's channel sum is <= 0."""
    v = _check(values)
    return np.where(v.sum(axis=1) > 0, np.argmax(v, axis=1), NO_DOMINANT)


def robust_dominant(values, ambiguous: int = AMBIGUOUS, no_dominant: int = NO_DOMINANT) -> np.ndarray:
    """(...) index of the channel that dominates under **every** variation; ``ambiguous`` (default
    :data:`AMBIGUOUS` = -2) where the dominant channel changes across the variations, including where some but
    not all variations have a channel sum <= 0 (possible only with negative LDMEs); ``no_dominant`` (default
    :data:`NO_DOMINANT` = -1) where no variation has a dominant channel (sigma = 0: kinematically forbidden).

    With one variation this is :func:`jpsi_fast.components.dominant_channel`.
    """
    for name, code in (("ambiguous", ambiguous), ("no_dominant", no_dominant)):
        if isinstance(code, bool) or not isinstance(code, (int, np.integer)):
            raise ValueError(f"{name} must be an integer code, got {code!r}")
    d = dominant_by_variation(values)
    first = d[0]
    same = np.all(d == first, axis=0)
    out = np.where(same, first, ambiguous)
    return np.where(same & (first == NO_DOMINANT), no_dominant, out).astype(int)


def robust_margin(values) -> np.ndarray:
    """(...) signed distance, in channel shares, to a change of :func:`robust_dominant`:
    ``max_c min_v (share_c,v - max_{k != c} share_k,v)``, the shares taken of each variation's channel sum (0 for a
    variation whose sum is <= 0). > 0 where a channel dominates robustly (the smallest lead of that channel over
    the variations), <= 0 where the point is ambiguous (minus the smallest lead still missing for any channel to
    dominate under all variations) or forbidden (0). With one variation it is the gap between the top two shares,
    the boundary measure of target "dominant"."""
    v = _check(values)
    tot = v.sum(axis=1, keepdims=True)
    s = np.divide(v, tot, out=np.zeros_like(v), where=tot > 0)
    n_ch = s.shape[1]
    if n_ch == 1:
        return np.where(np.all(tot[:, 0] > 0, axis=0), 1.0, 0.0)
    top2 = np.sort(s, axis=1)[:, -2:]                     # (n_var, 2, ...) second largest, largest
    # best other channel of c: the largest share unless c holds it, then the second largest
    is_top = s == top2[:, 1:2]
    best_other = np.where(is_top, top2[:, 0:1], top2[:, 1:2])
    lead = (s - best_other).min(axis=0)                   # (n_ch, ...) worst lead of each channel over variations
    return lead.max(axis=0)


def dominance_probability(values, weights=None) -> np.ndarray:
    """(n_channels, ...) the (weighted) fraction of the variations under which each channel dominates
    (:func:`dominant_by_variation`). ``weights``: one non-negative weight per variation (default equal). Where
    every variation has a dominant channel the fractions sum to 1; variations without one (channel sum <= 0)
    count for no channel, so the sum is below 1 there (0 at forbidden points)."""
    d = dominant_by_variation(values)
    n_var, n_ch = d.shape[0], np.shape(values)[1]
    if weights is None:
        w = np.ones(n_var)
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (n_var,) or not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
            raise ValueError(f"weights must be {n_var} finite non-negative numbers (one per variation) with a "
                             f"positive sum, got {weights!r}")
    wb = w.reshape((n_var,) + (1,) * (d.ndim - 1))
    return np.stack([((d == c) * wb).sum(axis=0) for c in range(n_ch)]) / w.sum()   # counts / n: exact 0 and 1
