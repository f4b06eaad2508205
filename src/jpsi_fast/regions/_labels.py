"""Exact labels of the region-map targets and the classifier features (one job: from points to labels)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._xsec_integrand import inelasticity_array
from ..components import CHANNELS, channel_shares
from ._robust import dominance_probability, robust_dominant, robust_margin

#: built-in targets: channel with the largest share; quark fragmentation vs all PGF; share of each channel above a
#: threshold (multi-label); sigma above a threshold; the channel dominant under every theory variation (or
#: "ambiguous"); the fraction of the LDME sets under which each channel dominates (a probability per channel);
#: where the dilepton parameter lambda_theta of quark fragmentation and of PGF differ by more than a threshold
TARGETS = ("dominant", "ff_vs_pgf", "share", "large", "robust_dominant", "dominance_probability", "lambda_separation")
#: targets whose labels need the cross section with theory variations (RegionMapper's ``variations=``)
VARIATION_TARGETS = ("robust_dominant", "dominance_probability")
#: the extra class of "robust_dominant" (index len(CHANNELS)): the dominant channel changes across the variations
AMBIGUOUS_CLASS = "ambiguous"
#: variation sources that enter "dominance_probability": the central prediction and the LDME sets
PROBABILITY_SOURCES = ("central", "ldme")
VARIABLES = ("x", "z", "Q", "PT")
#: features fed to the classifiers: the 4 variables and physically motivated combinations
FEATURE_NAMES = ("x", "z", "Q", "PT", "log_Q2", "log_x", "y", "PT_over_z", "PT_over_Q")
#: half-widths of the boundary layers in which labels are "hard" (share differences, |share - threshold|,
#: |sigma / threshold - 1|)
DOMINANT_MARGIN = 0.1
SHARE_MARGIN = 0.05
LARGE_MARGIN = 0.1
LAMBDA_MARGIN = 0.05
#: the channels of the PGF side of "lambda_separation" (their density matrices are added)
PGF_CHANNELS = tuple(c for c in CHANNELS if c != "ff")


@dataclass
class Labels:
    """Exact labels at points X (n, 4) and the quantities behind them."""

    y: np.ndarray              # (n,) class index, or (n, 4) 0/1 for target "share"
    sigma: np.ndarray          # (n,) sigma of the state [pb/GeV^4] (sum of channels; central prediction)
    shares: np.ndarray         # (n, 4) channel shares of sigma (central prediction)
    boundary: np.ndarray       # (n,) True inside the boundary layer of the target
    proba: np.ndarray | None = None   # (n, 4) exact class probabilities (target "dominance_probability" only)

    def __len__(self):
        return len(self.y)

    @staticmethod
    def concatenate(parts):
        parts = list(parts)
        out = [np.concatenate([getattr(p, f) for p in parts]) for f in ("y", "sigma", "shares", "boundary")]
        proba = (np.concatenate([p.proba for p in parts]) if parts and all(p.proba is not None for p in parts)
                 else None)
        return Labels(*out, proba=proba)

    def take(self, idx):
        return Labels(self.y[idx], self.sigma[idx], self.shares[idx], self.boundary[idx],
                      None if self.proba is None else self.proba[idx])


def check_points(X) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 4:
        raise ValueError(f"X must have shape (n, 4) with columns x, z, Q, PT; got {X.shape}")
    return X


class Labeler:
    """Labels of ``target`` for the polarisation ``state`` of a CrossSection, computed exactly by the kernels.

    ``target``: a name from :data:`TARGETS` or a callable ``f(X) -> labels`` (integers 0..n-1, or a pair
    (labels, boundary mask)). ``threshold``: share threshold of "share"; ``large_threshold``: sigma threshold of
    "large" [pb/GeV^4] (None: set by the caller from a quantile). ``variations``: the
    :class:`jpsi_fast.Variations` of the targets in :data:`VARIATION_TARGETS` (required for them).

    The variation targets (see :mod:`._robust`; dominance on the signed values, so LDME sets with negative
    elements -- accepted only with ``Variations(..., allow_negative_ldme=True)`` -- enter as they are):

    * "robust_dominant": class k < 4 where channel k dominates under every resolved variation, class 4
      ("ambiguous") where the dominant channel changes; boundary layer: ``|robust_margin| < DOMINANT_MARGIN``.
    * "dominance_probability": ``proba`` (n, 4) = the fraction of the central + LDME-set variations (other
      sources ignored) under which each channel dominates; ``y`` = the most probable channel (ties: the
      central one first); boundary layer: the robust margin over those variations, as above.

    Kinematically forbidden points (sigma = 0 under every variation) are labelled as "dominant" labels them:
    class 0 (argmax of all-zero shares), inside the boundary layer (probability 1 for class 0).
    """

    def __init__(self, xs, target, state, threshold, large_threshold, n_threads, variations=None, count_target=None):
        self.xs, self.target, self.state = xs, target, state
        self.threshold, self.large_threshold, self.n_threads = threshold, large_threshold, n_threads
        #: target "large" as expected events in a measurement cell (jpsi_fast.events.CountTarget), or None
        self.count_target = count_target
        self.variations = variations
        if target in VARIATION_TARGETS and variations is None:
            raise ValueError(f"target {target!r} needs variations (a jpsi_fast.Variations)")
        self.n_custom_classes = 2

    @property
    def classes(self) -> tuple:
        """Names of the classes (for "share": the channels, one binary label each)."""
        if callable(self.target):
            return tuple(str(k) for k in range(self.n_custom_classes))
        if self.target in ("dominant", "share", "dominance_probability"):
            return CHANNELS
        if self.target == "robust_dominant":
            return CHANNELS + (AMBIGUOUS_CLASS,)
        if self.target == "ff_vs_pgf":
            return ("pgf", "ff")
        if self.target == "lambda_separation":
            return ("similar", "separated")
        return ("small", "large")

    def sigma_and_shares(self, X):
        """sigma of the state (channel sum, (n,)) and the channel shares ((n, 4)) at points X."""
        r = self.xs.evaluate(X[:, 0], X[:, 1], X[:, 2], X[:, 3], states=(self.state,), n_threads=self.n_threads)
        v = r.values[:, 0]
        return v.sum(axis=0), channel_shares(v).T

    def lambda_theta_gap(self, X):
        """|lambda_theta(ff) - lambda_theta(PGF)| at points X (docs/physics.md §12; the PGF channels' density
        matrices added first); 0 where either side has no cross section (y > 1)."""
        r = self.xs.evaluate(X[:, 0], X[:, 1], X[:, 2], X[:, 3], states=("U", "L"), n_threads=self.n_threads)
        return np.nan_to_num(np.abs(r.lambda_theta("ff") - r.lambda_theta(PGF_CHANNELS)), nan=0.0)

    def values_by_variation(self, X):
        """(n_variations, 4 channels, n) sigma of the state per variation (central first) at points X, and the
        resolved :class:`~jpsi_fast.components.Variation` tuple."""
        r = self.xs.evaluate(X[:, 0], X[:, 1], X[:, 2], X[:, 3], states=(self.state,), variations=self.variations,
                             n_threads=self.n_threads)
        return r.values[:, :, 0], tuple(r.layout.variations)

    def _variation_labels(self, X) -> Labels:
        values, variations = self.values_by_variation(X)
        central = values[0]
        sig, shares = central.sum(axis=0), channel_shares(central).T
        n_ch = len(CHANNELS)
        if self.target == "robust_dominant":
            y = robust_dominant(values, ambiguous=n_ch, no_dominant=0)
            boundary = np.abs(robust_margin(values)) < DOMINANT_MARGIN
            return Labels(y, sig, shares, boundary)
        keep = [i for i, v in enumerate(variations) if v.source in PROBABILITY_SOURCES]
        sub = values[keep]
        proba = dominance_probability(sub).T                       # (n, 4)
        forbidden = proba.sum(axis=1) == 0
        proba[forbidden, 0] = 1.0                                  # as "dominant": class 0 where sigma = 0
        # most probable channel; ties go to the channel dominant at the central point
        tie_break = np.zeros_like(proba)
        tie_break[np.arange(len(X)), np.argmax(central, axis=0)] = 1e-9
        y = np.argmax(proba + tie_break, axis=1)
        boundary = np.abs(robust_margin(sub)) < DOMINANT_MARGIN
        return Labels(y, sig, shares, boundary, proba)

    def saw(self, labels):
        """Record the classes of labels computed here or elsewhere (a worker's copy of this labeler): a callable
        target's class count grows with the largest label seen."""
        if callable(self.target) and len(labels):
            self.n_custom_classes = max(self.n_custom_classes, int(labels.y.max()) + 1)

    def __call__(self, X) -> Labels:
        X = check_points(X)
        if self.target in VARIATION_TARGETS:
            return self._variation_labels(X)
        sig, shares = self.sigma_and_shares(X)
        if callable(self.target):
            out = self.target(X)
            y, boundary = out if isinstance(out, tuple) else (out, np.zeros(len(X), dtype=bool))
            y = np.asarray(y)
            if y.shape != (len(X),) or y.dtype.kind not in "iub" or (len(y) and y.min() < 0):
                raise ValueError("a callable target must return non-negative integer labels of shape (n,)")
            y = y.astype(int)
            labels = Labels(y, sig, shares, np.asarray(boundary, dtype=bool))
            self.saw(labels)
            return labels
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
        elif self.target == "lambda_separation":
            gap = self.lambda_theta_gap(X)
            y = (gap > self.threshold).astype(int)
            boundary = np.abs(gap - self.threshold) < LAMBDA_MARGIN
        elif self.count_target is not None:
            ratio = self.count_target.counts(sig, X) / self.count_target.min_counts
            y = (ratio >= 1.0).astype(int)
            boundary = np.abs(ratio - 1) < LARGE_MARGIN
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
