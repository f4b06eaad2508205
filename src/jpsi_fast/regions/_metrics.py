"""Validation metrics of a region map on an exactly labelled set (one job: predictions + labels -> numbers)."""
from __future__ import annotations

import warnings

import numpy as np

from ..components import CHANNELS

#: reliability-diagram bins of the calibration of the top-label confidence
CALIBRATION_BINS = 10


def entropy(p):
    """Shannon entropy along the last axis of probabilities p."""
    p = np.clip(p, 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=-1)


def calibration(conf, hit):
    """Reliability table (lo, hi, n, mean confidence, accuracy) and the expected calibration error."""
    edges = np.linspace(0, 1, CALIBRATION_BINS + 1)
    idx = np.clip(np.digitize(conf, edges) - 1, 0, CALIBRATION_BINS - 1)
    table, ece = [], 0.0
    for b in range(CALIBRATION_BINS):
        m = idx == b
        if m.any():
            table.append((float(edges[b]), float(edges[b + 1]), int(m.sum()), float(conf[m].mean()),
                          float(hit[m].mean())))
            ece += m.mean() * abs(conf[m].mean() - hit[m].mean())
    return {"ece": float(ece), "bins": table}


def classification_metrics(proba, labels, n_classes, sigma_distributed, multilabel=False) -> dict:
    """Metrics of predicted probabilities ``proba`` ((n, n_classes), or (n, 4, 2) multi-label) against exact
    ``labels``: accuracy, balanced accuracy, sigma-weighted accuracy (plain accuracy on a set distributed as sigma,
    the sigma-weighted mean of correctness otherwise), boundary-layer accuracy, confusion matrix (rows truth), the
    calibration of the top-label probability, and the boundary layer's share of points and of sigma."""
    from sklearn import metrics
    pred = np.argmax(proba, axis=-1)
    L = labels
    w = np.ones(len(pred)) if sigma_distributed else L.sigma
    out = {}
    if multilabel:
        correct = np.all(pred == L.y, axis=1)
        out["accuracy"] = float(correct.mean())
        out["per_label_accuracy"] = {c: float(np.mean(pred[:, k] == L.y[:, k])) for k, c in enumerate(CHANNELS)}
        with warnings.catch_warnings():      # a channel that is never above threshold has one class only
            warnings.simplefilter("ignore", UserWarning)
            out["balanced_accuracy"] = float(np.mean([metrics.balanced_accuracy_score(L.y[:, k], pred[:, k])
                                                      for k in range(len(CHANNELS))]))
        out["sigma_weighted_accuracy"] = float(np.average(correct, weights=w))
        out["boundary_accuracy"] = float(correct[L.boundary].mean()) if L.boundary.any() else float("nan")
        out["confusion_matrix"] = {c: metrics.confusion_matrix(L.y[:, k], pred[:, k], labels=[0, 1]).tolist()
                                   for k, c in enumerate(CHANNELS)}
        conf = proba.max(axis=-1).ravel()
        hit = (pred == L.y).ravel()
    else:
        with warnings.catch_warnings():      # classes absent from a small set
            warnings.simplefilter("ignore", UserWarning)
            out["accuracy"] = float(metrics.accuracy_score(L.y, pred))
            out["balanced_accuracy"] = float(metrics.balanced_accuracy_score(L.y, pred))
        out["sigma_weighted_accuracy"] = float(metrics.accuracy_score(L.y, pred, sample_weight=w))
        out["boundary_accuracy"] = (float(metrics.accuracy_score(L.y[L.boundary], pred[L.boundary]))
                                    if L.boundary.any() else float("nan"))
        out["confusion_matrix"] = metrics.confusion_matrix(L.y, pred, labels=list(range(n_classes))).tolist()
        conf = proba.max(axis=1)
        hit = pred == L.y
    out["boundary_fraction"] = float(L.boundary.mean())
    out["boundary_sigma_fraction"] = float(np.average(L.boundary, weights=w))
    out["calibration"] = calibration(conf, hit)
    out["n"] = int(len(pred))
    return out


def probability_metrics(proba, labels, sigma_distributed) -> dict:
    """Metrics of predicted class probabilities ``proba`` (n, k) against exact probabilities ``labels.proba``
    (target "dominance_probability"), each a plain mean on a set distributed as sigma and a sigma-weighted mean
    otherwise: "brier" (sum over classes of the squared difference), "mae" (mean absolute difference per class),
    "tv_distance" (total-variation distance, half the L1 difference), "mae_per_class" and "max_abs_error"."""
    p, t = np.asarray(proba, dtype=float), np.asarray(labels.proba, dtype=float)
    if p.shape != t.shape:
        raise ValueError(f"proba {p.shape} and exact probabilities {t.shape} differ in shape")
    w = np.ones(len(p)) if sigma_distributed else labels.sigma
    d = p - t
    return {"brier": float(np.average((d ** 2).sum(axis=1), weights=w)),
            "mae": float(np.average(np.abs(d).mean(axis=1), weights=w)),
            "tv_distance": float(np.average(0.5 * np.abs(d).sum(axis=1), weights=w)),
            "mae_per_class": {c: float(np.average(np.abs(d[:, k]), weights=w)) for k, c in enumerate(CHANNELS)},
            "max_abs_error": float(np.abs(d).max(initial=0.0))}
