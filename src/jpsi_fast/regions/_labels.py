"""Exact labels of the region-map targets and the classifier features (one job: from points to labels)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._xsec_integrand import inelasticity_array
from ..components import CHANNELS, channel_shares

#: built-in targets: channel with the largest share; quark fragmentation vs all PGF; share of each channel above a
#: threshold (multi-label); sigma above a threshold
TARGETS = ("dominant", "ff_vs_pgf", "share", "large")
VARIABLES = ("x", "z", "Q", "PT")
#: features fed to the classifiers: the 4 variables and physically motivated combinations
FEATURE_NAMES = ("x", "z", "Q", "PT", "log_Q2", "log_x", "y", "PT_over_z", "PT_over_Q")
#: half-widths of the boundary layers in which labels are "hard" (share differences, |share - threshold|,
#: |sigma / threshold - 1|)
DOMINANT_MARGIN = 0.1
SHARE_MARGIN = 0.05
LARGE_MARGIN = 0.1


@dataclass
class Labels:
    """Exact labels at points X (n, 4) and the quantities behind them."""

    y: np.ndarray              # (n,) class index, or (n, 4) 0/1 for target "share"
    sigma: np.ndarray          # (n,) sigma of the state [pb/GeV^4] (sum of channels)
    shares: np.ndarray         # (n, 4) channel shares of sigma
    boundary: np.ndarray       # (n,) True inside the boundary layer of the target

    def __len__(self):
        return len(self.y)

    @staticmethod
    def concatenate(parts):
        return Labels(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("y", "sigma", "shares", "boundary")))

    def take(self, idx):
        return Labels(self.y[idx], self.sigma[idx], self.shares[idx], self.boundary[idx])


def check_points(X) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 4:
        raise ValueError(f"X must have shape (n, 4) with columns x, z, Q, PT; got {X.shape}")
    return X


class Labeler:
    """Labels of ``target`` for the polarisation ``state`` of a CrossSection, computed exactly by the kernels.

    ``target``: a name from :data:`TARGETS` or a callable ``f(X) -> labels`` (integers 0..n-1, or a pair
    (labels, boundary mask)). ``threshold``: share threshold of "share"; ``large_threshold``: sigma threshold of
    "large" [pb/GeV^4] (None: set by the caller from a quantile).
    """

    def __init__(self, xs, target, state, threshold, large_threshold, n_threads):
        self.xs, self.target, self.state = xs, target, state
        self.threshold, self.large_threshold, self.n_threads = threshold, large_threshold, n_threads
        self.n_custom_classes = 2

    @property
    def classes(self) -> tuple:
        """Names of the classes (for "share": the channels, one binary label each)."""
        if callable(self.target):
            return tuple(str(k) for k in range(self.n_custom_classes))
        if self.target in ("dominant", "share"):
            return CHANNELS
        if self.target == "ff_vs_pgf":
            return ("pgf", "ff")
        return ("small", "large")

    def sigma_and_shares(self, X):
        """sigma of the state (channel sum, (n,)) and the channel shares ((n, 4)) at points X."""
        r = self.xs.evaluate(X[:, 0], X[:, 1], X[:, 2], X[:, 3], states=(self.state,), n_threads=self.n_threads)
        v = r.values[:, 0]
        return v.sum(axis=0), channel_shares(v).T

    def __call__(self, X) -> Labels:
        X = check_points(X)
        sig, shares = self.sigma_and_shares(X)
        if callable(self.target):
            out = self.target(X)
            y, boundary = out if isinstance(out, tuple) else (out, np.zeros(len(X), dtype=bool))
            y = np.asarray(y)
            if y.shape != (len(X),) or y.dtype.kind not in "iub" or (len(y) and y.min() < 0):
                raise ValueError("a callable target must return non-negative integer labels of shape (n,)")
            y = y.astype(int)
            self.n_custom_classes = max(self.n_custom_classes, int(y.max(initial=0)) + 1)
            return Labels(y, sig, shares, np.asarray(boundary, dtype=bool))
        if self.target == "dominant":
            y = np.argmax(shares, axis=1)
            top2 = np.sort(shares, axis=1)[:, -2:]
            boundary = top2[:, 1] - top2[:, 0] < DOMINANT_MARGIN
        elif self.target == "ff_vs_pgf":
            ff = shares[:, CHANNELS.index("ff")]
            y = (ff > 0.5).astype(int)
            boundary = np.abs(2 * ff - 1) < DOMINANT_MARGIN
        elif self.target == "share":
            y = (shares > self.threshold).astype(int)
            boundary = np.any(np.abs(shares - self.threshold) < SHARE_MARGIN, axis=1)
        else:
            thr = self.large_threshold
            y = (sig > thr).astype(int)
            boundary = np.abs(sig / thr - 1) < LARGE_MARGIN
        return Labels(y, sig, shares, boundary)


def features(X, s_had, feature_set="physics") -> np.ndarray:
    """Classifier features of points X (n, 4): :data:`FEATURE_NAMES` ("physics") or the 4 variables ("raw");
    y = Q^2/(x s) with s = ``s_had`` [GeV^2]."""
    X = np.asarray(X, dtype=float)
    if feature_set == "raw":
        return X.copy()
    x, z, Q, PT = (np.ascontiguousarray(c) for c in X.T)
    y = inelasticity_array(x, Q, float(s_had))
    return np.column_stack([x, z, Q, PT, np.log(Q * Q), np.log(x), y, PT / z, PT / Q])
