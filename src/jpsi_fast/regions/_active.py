"""Active learning: classifier factory, uncertainty scores and diverse batch selection (one job: which points to
label next)."""
from __future__ import annotations

import numpy as np

from ._metrics import entropy

UNCERTAINTIES = ("entropy", "margin")


def new_estimator(estimator, seed, multilabel):
    """A fresh classifier: a clone of ``estimator`` (random_state set to ``seed`` when it has one) or the default
    HistGradientBoostingClassifier; wrapped for multi-label targets."""
    from sklearn.base import clone
    if estimator is None:
        from sklearn.ensemble import HistGradientBoostingClassifier
        est = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, max_leaf_nodes=31, early_stopping=True,
                                             validation_fraction=0.1, n_iter_no_change=10, random_state=seed)
    else:
        est = clone(estimator)
        if "random_state" in est.get_params():
            est.set_params(random_state=seed)
    if multilabel:
        from sklearn.multioutput import MultiOutputClassifier
        est = MultiOutputClassifier(est)
    return est


def class_probabilities(model, F, n_classes, multilabel):
    """(n, n_classes) probabilities (classes the model never saw get 0), or (n, 4, 2) for multi-label models."""
    if multilabel:
        out = np.zeros((len(F), len(model.estimators_), 2))
        for k, p in enumerate(model.predict_proba(F)):
            seen = model.estimators_[k].classes_
            if len(seen) == 1:
                out[:, k, int(seen[0])] = 1.0
                continue
            for j, c in enumerate(seen):
                out[:, k, int(c)] = p[:, j]
        return out
    full = np.zeros((len(F), n_classes))
    seen = model.classes_.astype(int)
    if len(seen) == 1:                       # trained on one class only: it is certain
        full[:, seen[0]] = 1.0
        return full
    full[:, seen] = model.predict_proba(F)
    return full


def uncertainty_scores(p, kind, multilabel, votes=None, n_classes=2):
    """Per-point uncertainty of probabilities p: entropy or 1 - margin of the top two (summed over labels for
    multi-label), plus the vote entropy of a committee's predictions ``votes`` (m, n[, 4]) when given."""
    if multilabel:
        score = entropy(p).sum(axis=1) if kind == "entropy" else (1 - np.abs(p[..., 1] - p[..., 0])).sum(axis=1)
    elif kind == "entropy":
        score = entropy(p)
    else:
        s = np.sort(p, axis=1)
        score = 1 - (s[:, -1] - s[:, -2])
    if votes is not None:
        classes = (0, 1) if multilabel else range(n_classes)
        vote_p = np.stack([(votes == c).mean(axis=0) for c in classes], axis=-1)
        score = score + (entropy(vote_p).sum(axis=1) if multilabel else entropy(vote_p))
    return score


def select_diverse(cand_unit, score, n, explore_fraction, rng):
    """A diverse batch of n candidates, vectorized: the 4 n most uncertain candidates are binned into a regular
    grid of about n - n_explore cells over the unit box ``cand_unit`` (n_cand, d); the most uncertain point of
    every occupied cell is taken first (in order of uncertainty), then the second of every cell, and so on, plus
    a random exploration share of ``explore_fraction``. O(n_cand log n_cand) in NumPy (the earlier greedy
    Gaussian-penalty loop was O(n x pool) in Python)."""
    n_explore = int(round(explore_fraction * n))
    order = np.argsort(-score, kind="stable")
    pool = order[:min(len(order), 4 * n)]
    n_pick = min(n - n_explore, len(pool))
    chosen = np.empty(0, dtype=int)
    if n_pick > 0:
        d = cand_unit.shape[1]
        k = max(1, int(np.ceil(n_pick ** (1.0 / d))))
        cells = np.clip((cand_unit[pool] * k).astype(np.int64), 0, k - 1)
        cell = np.ravel_multi_index(cells.T, (k,) * d)
        by_cell = np.argsort(cell, kind="stable")               # within a cell: pool (uncertainty) order
        sorted_cells = cell[by_cell]
        first = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]])
        rank = np.empty(len(pool), dtype=np.int64)
        rank[by_cell] = np.arange(len(pool)) - np.repeat(first, np.diff(np.r_[first, len(pool)]))
        take = np.lexsort((np.arange(len(pool)), rank))[:n_pick]
        chosen = pool[take]
    rest = np.setdiff1d(np.arange(len(cand_unit)), chosen)
    extra = rng.choice(rest, size=min(n - len(chosen), len(rest)), replace=False)
    return np.concatenate([chosen, extra]).astype(int)
