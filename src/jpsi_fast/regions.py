"""Region maps: where in (x, z, Q, P_T) each production mechanism dominates, learnt by scikit-learn classifiers
from labels computed exactly by the kernels at points chosen by active learning.

:class:`RegionMapper` runs the loop — initial Sobol design, fit, propose candidates (cross-section-weighted events
and uniform points), score them by predictive uncertainty, keep a diverse batch, label it with
:meth:`CrossSection.evaluate`, refit — and validates the map on exactly labelled held-out sets drawn from the
sigma-weighted distribution and uniformly in the domain. Also: learning curves against uniform-grid and
uniform-random designs, a regression of the channel shares, permutation feature importances and 2-D maps.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from .integrate import Domain, Integrator
from .xsec import CHANNELS, CHANNEL_LABELS, STATES, CrossSection

__all__ = ["RegionMapper", "TARGETS", "FEATURE_NAMES"]

TARGETS = ("dominant", "ff_vs_pgf", "share", "large")
VARIABLES = ("x", "z", "Q", "PT")
#: features fed to the classifiers: the 4 variables and physically motivated combinations
FEATURE_NAMES = ("x", "z", "Q", "PT", "log_Q2", "log_x", "y", "PT_over_z", "PT_over_Q")
UNCERTAINTIES = ("entropy", "margin")


@dataclass
class Labels:
    """Exact labels at points X (n, 4) and the quantities behind them."""

    y: np.ndarray              # (n,) class index, or (n, 4) 0/1 for target "share"
    sigma: np.ndarray          # (n,) sigma of the state [pb/GeV^4] (sum of channels)
    shares: np.ndarray         # (n, 4) channel shares of sigma
    boundary: np.ndarray       # (n,) True inside the boundary layer of the target


def _entropy(p):
    p = np.clip(p, 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=-1)


class RegionMapper:
    """Active-learning map of a cross-section-derived label over a :class:`Domain`.

    Parameters
    ----------
    xs : CrossSection
    domain : Domain (default ``Domain()``); labels live inside its cuts.
    target : "dominant" (channel with the largest share of sigma, 4 classes), "ff_vs_pgf" (quark fragmentation vs
        all PGF summed; classes pgf = 0, ff = 1), "share" (multi-label: each channel's share > ``threshold``),
        "large" (sigma above ``large_threshold`` [pb/GeV^4], or above the ``large_quantile`` of sigma over
        sigma-weighted events when no threshold is given), or a callable ``f(X) -> labels`` (integers
        0..n-1; or a pair (labels, boundary mask)) for synthetic targets.
    state : polarisation state whose cross section defines the labels ("U", "L" or "T").
    estimator : any scikit-learn classifier with ``predict_proba`` (default HistGradientBoostingClassifier);
        cloned for every fit, ``random_state`` set from ``seed`` when it has one.
    batch_size : labels added per round; the initial Sobol design has ``batch_size`` points as well.
    budget : maximal number of labels (initial design included).
    seed : fixes every random choice: same seed, same labels, models and metrics.
    uncertainty : "entropy" (default) or "margin" of the predicted class probabilities; ``committee`` > 1 adds
        the disagreement (vote entropy) of that many bootstrap models.
    candidates_per_batch : candidates scored per label added (pool = this x batch_size).
    sigma_fraction : fraction of the candidates drawn from the sigma-weighted sampler (rest uniform).
    explore_fraction : fraction of each batch taken at random from the candidates (keeps coverage).
    patience : stop when the validation metric has not improved for this many rounds (None: run to budget).
    n_validation : size of the sigma-weighted validation set used for stopping (labelled, not in the budget).
    features : "physics" (the 9 :data:`FEATURE_NAMES`) or "raw" (x, z, Q, P_T only).
    """

    def __init__(self, xs: CrossSection, domain: Domain | None = None, target: str = "dominant", state: str = "U",
                 estimator=None, batch_size: int = 2000, budget: int = 50_000, seed: int = 0,
                 threshold: float = 0.3, large_threshold: float | None = None, large_quantile: float = 0.5,
                 uncertainty: str = "entropy", committee: int = 0, candidates_per_batch: int = 10,
                 sigma_fraction: float = 0.5, explore_fraction: float = 0.1, patience: int | None = None,
                 n_validation: int = 5000, features: str = "physics", n_threads=None, progress=None):
        if not isinstance(xs, CrossSection):
            raise TypeError(f"xs must be a jpsi_fast.CrossSection, got {type(xs).__name__}")
        domain = domain if domain is not None else Domain()
        if not isinstance(domain, Domain):
            raise TypeError(f"domain must be a jpsi_fast.Domain, got {type(domain).__name__}")
        if not callable(target) and target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS} or a callable labels(X) -> int array, got {target!r}")
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}, got {state!r}")
        if uncertainty not in UNCERTAINTIES:
            raise ValueError(f"uncertainty must be one of {UNCERTAINTIES}, got {uncertainty!r}")
        if features not in ("physics", "raw"):
            raise ValueError(f"features must be 'physics' or 'raw', got {features!r}")
        for name, v, lo in (("batch_size", batch_size, 10), ("budget", budget, 10), ("seed", seed, 0),
                            ("candidates_per_batch", candidates_per_batch, 1), ("committee", committee, 0),
                            ("n_validation", n_validation, 100)):
            if isinstance(v, bool) or int(v) != v or v < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
        if budget < batch_size:
            raise ValueError(f"budget ({budget}) must be >= batch_size ({batch_size})")
        for name, v in (("threshold", threshold), ("large_quantile", large_quantile), ("sigma_fraction", sigma_fraction),
                        ("explore_fraction", explore_fraction)):
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v!r}")
        if large_threshold is not None and not large_threshold > 0:
            raise ValueError(f"large_threshold must be > 0 [pb/GeV^4] or None, got {large_threshold!r}")
        if patience is not None and (int(patience) != patience or patience < 1):
            raise ValueError(f"patience must be a positive integer or None, got {patience!r}")
        if estimator is not None and not (hasattr(estimator, "fit") and hasattr(estimator, "predict_proba")):
            raise TypeError("estimator must be a scikit-learn classifier with fit and predict_proba")
        self.xs, self.domain, self.target, self.state = xs, domain, target, state
        self.estimator = estimator
        self.batch_size, self.budget, self.seed = int(batch_size), int(budget), int(seed)
        self.threshold, self.large_quantile = float(threshold), float(large_quantile)
        self._large_threshold = large_threshold
        self.uncertainty, self.committee = uncertainty, int(committee)
        self.candidates_per_batch, self.sigma_fraction = int(candidates_per_batch), float(sigma_fraction)
        self.explore_fraction, self.patience, self.n_validation = float(explore_fraction), patience, int(n_validation)
        self.feature_set = features
        self.n_threads = n_threads
        self.progress = progress
        self._integrator = Integrator(domain, seed=self.seed, n_threads=n_threads)
        self._rng = np.random.default_rng(self.seed)
        self.model = None
        self.X_ = None
        self.labels_ = None
        self.history = []
        self.fit_time_ = None

    # ------------------------------------------------------------------ classes and labels
    @property
    def classes(self) -> tuple:
        """Names of the classes (for "share": the channels, one binary label each)."""
        if callable(self.target):
            return tuple(str(k) for k in range(getattr(self, "_n_custom_classes", 2)))
        if self.target in ("dominant", "share"):
            return CHANNELS
        if self.target == "ff_vs_pgf":
            return ("pgf", "ff")
        return ("small", "large")

    @property
    def large_threshold(self) -> float:
        """sigma threshold of target "large" [pb/GeV^4] (from the sigma-weighted quantile unless given)."""
        if self._large_threshold is None:
            ev = self._integrator.sample(self.xs, 20_000, adapt_to=self.state, progress=False)
            sig = self._sigma_and_shares(ev.points)[0]
            self._large_threshold = float(np.quantile(sig, self.large_quantile))
        return self._large_threshold

    def _sigma_and_shares(self, X):
        r = self.xs.evaluate(X[:, 0], X[:, 1], X[:, 2], X[:, 3], states=(self.state,), n_threads=self.n_threads)
        v = r.values[:, 0].T                          # (n, 4 channels)
        sig = v.sum(axis=1)
        shares = np.divide(v, sig[:, None], out=np.zeros_like(v), where=sig[:, None] > 0)
        return sig, shares

    def label(self, X) -> Labels:
        """Exact labels at points X (n, 4: x, z, Q [GeV], P_T [GeV]) from the kernels."""
        X = self._check_X(X)
        sig, shares = self._sigma_and_shares(X)
        if callable(self.target):
            out = self.target(X)
            y, boundary = out if isinstance(out, tuple) else (out, np.zeros(len(X), dtype=bool))
            y = np.asarray(y)
            if y.shape != (len(X),) or y.dtype.kind not in "iub" or (len(y) and y.min() < 0):
                raise ValueError("a callable target must return non-negative integer labels of shape (n,)")
            y = y.astype(int)
            self._n_custom_classes = max(getattr(self, "_n_custom_classes", 2), int(y.max(initial=0)) + 1)
            return Labels(y, sig, shares, np.asarray(boundary, dtype=bool))
        if self.target == "dominant":
            y = np.argmax(shares, axis=1)
            top2 = np.sort(shares, axis=1)[:, -2:]
            boundary = top2[:, 1] - top2[:, 0] < 0.1
        elif self.target == "ff_vs_pgf":
            ff = shares[:, 0]
            y = (ff > 0.5).astype(int)
            boundary = np.abs(2 * ff - 1) < 0.1
        elif self.target == "share":
            y = (shares > self.threshold).astype(int)
            boundary = np.any(np.abs(shares - self.threshold) < 0.05, axis=1)
        else:
            thr = self.large_threshold
            y = (sig > thr).astype(int)
            boundary = np.abs(sig / thr - 1) < 0.1
        return Labels(y, sig, shares, boundary)

    # ------------------------------------------------------------------ features and points
    def features(self, X) -> np.ndarray:
        """Classifier features of points X (n, 4): see :data:`FEATURE_NAMES` ("raw": the 4 variables)."""
        X = np.asarray(X, dtype=float)
        if self.feature_set == "raw":
            return X.copy()
        x, z, Q, PT = X.T
        return np.column_stack([x, z, Q, PT, np.log(Q * Q), np.log(x), Q * Q / (x * self.xs.params.s), PT / z, PT / Q])

    @property
    def feature_names(self) -> tuple:
        return FEATURE_NAMES if self.feature_set == "physics" else VARIABLES

    def _check_X(self, X):
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != 4:
            raise ValueError(f"X must have shape (n, 4) with columns x, z, Q, PT; got {X.shape}")
        return X

    def uniform_points(self, n, rng) -> np.ndarray:
        """n points uniform in the domain's box inside its cuts (rejection sampling)."""
        lo, hi = self.domain.bounds.T
        out, have = [], 0
        while have < n:
            X = lo + (hi - lo) * rng.random((max(2 * (n - have), 1000), 4))
            X = X[self.domain.contains(*X.T, self.xs.params)]
            out.append(X)
            have += len(X)
        return np.concatenate(out)[:n]

    def sobol_points(self, n, seed) -> np.ndarray:
        """n points of a scrambled Sobol sequence over the box, inside the cuts."""
        from scipy.stats import qmc
        lo, hi = self.domain.bounds.T
        sob = qmc.Sobol(4, scramble=True, seed=seed)
        out, have = [], 0
        while have < n:
            X = lo + (hi - lo) * sob.random(2 ** int(np.ceil(np.log2(max(2 * (n - have), 64)))))
            X = X[self.domain.contains(*X.T, self.xs.params)]
            out.append(X)
            have += len(X)
        return np.concatenate(out)[:n]

    def sigma_points(self, n) -> np.ndarray:
        """n unweighted events distributed as sigma of the mapper's state (the integrator's sampler)."""
        return self._integrator.sample(self.xs, n, adapt_to=self.state, progress=False).points

    def grid_points(self, n_target) -> np.ndarray:
        """A uniform grid (cell centres, k per axis) over the box, inside the cuts, with about n_target points:
        the earlier study's design."""
        best = None
        lo, hi = self.domain.bounds.T
        for k in range(2, 200):
            axes = [l + (h - l) * (np.arange(k) + 0.5) / k for l, h in zip(lo, hi)]
            G = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 4)
            G = G[self.domain.contains(*G.T, self.xs.params)]
            if best is None or abs(len(G) - n_target) < abs(len(best) - n_target):
                best = G
            if len(G) > n_target:
                break
        return best

    # ------------------------------------------------------------------ models
    def _new_estimator(self, seed_offset=0):
        from sklearn.base import clone
        if self.estimator is None:
            from sklearn.ensemble import HistGradientBoostingClassifier
            est = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, max_leaf_nodes=31,
                                                 early_stopping=True, validation_fraction=0.1, n_iter_no_change=10,
                                                 random_state=self.seed + seed_offset)
        else:
            est = clone(self.estimator)
            if "random_state" in est.get_params():
                est.set_params(random_state=self.seed + seed_offset)
        if self.target == "share":
            from sklearn.multioutput import MultiOutputClassifier
            est = MultiOutputClassifier(est)
        return est

    def _fit_model(self, X, y, seed_offset=0):
        est = self._new_estimator(seed_offset)
        est.fit(self.features(X), y)
        return est

    def _proba(self, model, X):
        """Class probabilities: (n, n_classes), or (n, 4, 2) for target "share"."""
        F = self.features(X)
        if self.target == "share":
            out = np.zeros((len(X), len(CHANNELS), 2))
            for k, p in enumerate(model.predict_proba(F)):
                est_classes = model.estimators_[k].classes_
                for j, c in enumerate(est_classes):
                    out[:, k, int(c)] = p[:, j]
            return out
        p = model.predict_proba(F)
        full = np.zeros((len(X), len(self.classes)))
        full[:, model.classes_.astype(int)] = p
        return full

    def predict_proba(self, X):
        """Predicted class probabilities at X (n, 4) ((n, 4 channels, 2) for target "share")."""
        self._require_fit()
        return self._proba(self.model, self._check_X(X))

    def predict(self, X):
        """Predicted class index at X (n, 4) (for "share": (n, 4) 0/1 per channel)."""
        p = self.predict_proba(X)
        return np.argmax(p, axis=-1)

    def _require_fit(self):
        if self.model is None:
            raise RuntimeError("call fit() first")

    # ------------------------------------------------------------------ active learning
    def _scores(self, X):
        p = self._proba(self.model, X)
        if self.target == "share":
            score = _entropy(p).sum(axis=1) if self.uncertainty == "entropy" else \
                (1 - np.abs(p[..., 1] - p[..., 0])).sum(axis=1)
        elif self.uncertainty == "entropy":
            score = _entropy(p)
        else:
            s = np.sort(p, axis=1)
            score = 1 - (s[:, -1] - s[:, -2])
        if self.committee > 1:
            votes = np.stack([np.argmax(self._proba(m, X), axis=-1) for m in self._committee_models])
            if votes.ndim == 3:                                  # share: per channel
                vote_p = np.stack([(votes == c).mean(axis=0) for c in (0, 1)], axis=-1)
                score = score + _entropy(vote_p).sum(axis=1)
            else:
                vote_p = np.stack([(votes == c).mean(axis=0) for c in range(len(self.classes))], axis=-1)
                score = score + _entropy(vote_p)
        return score

    def _select(self, cand, score, n, rng):
        """Greedy diverse batch: highest uncertainty with a Gaussian distance penalty (unit-box coordinates),
        plus a random exploration share."""
        n_explore = int(round(self.explore_fraction * n))
        lo, hi = self.domain.bounds.T
        U = (cand - lo) / (hi - lo)
        order = np.argsort(-score, kind="stable")
        pool = order[:min(len(order), 4 * n)]
        h2 = (0.5 * (1.0 / n) ** 0.25) ** 2
        s = score[pool].astype(float)
        s = s - s.min() + 1e-12
        penalty = np.zeros(len(pool))
        chosen = []
        for _ in range(n - n_explore):
            j = int(np.argmax(s * (1 - penalty)))
            chosen.append(pool[j])
            d2 = ((U[pool] - U[pool[j]]) ** 2).sum(axis=1)
            penalty = np.maximum(penalty, np.exp(-d2 / (2 * h2)))
            penalty[j] = 1.0
        rest = np.setdiff1d(np.arange(len(cand)), chosen)
        chosen.extend(rng.choice(rest, size=min(n_explore, len(rest)), replace=False))
        return np.array(chosen, dtype=int)

    def _val_metric(self, model, Xv, Lv):
        pred = np.argmax(self._proba(model, Xv), axis=-1)
        if self.target == "share":
            return float(np.mean(np.all(pred == Lv.y, axis=1)))
        return float(np.mean(pred == Lv.y))

    def fit(self):
        """Run the active-learning loop (progress bar on long runs); fills ``model``, ``X_``, ``labels_``,
        ``history`` (labels, validation accuracy on sigma-weighted points, wall time per round)."""
        t0 = time.perf_counter()
        rng = np.random.default_rng(self.seed)
        X = self.sobol_points(self.batch_size, seed=self.seed)
        lab = self.label(X)
        Xv = self.sigma_points(self.n_validation)
        Lv = self.label(Xv)
        self._Xv, self._Lv = Xv, Lv
        self.model = self._fit_model(X, lab.y)
        self._committee_models = []
        self.history = [dict(labels=len(X), val_accuracy=self._val_metric(self.model, Xv, Lv),
                             time=time.perf_counter() - t0)]
        bar = Integrator._progress(self.budget, f"RegionMapper ({self.target})", self.progress,
                                   work=self.budget * 200)
        if bar is not None:
            bar.update(len(X))
        best, since = self.history[0]["val_accuracy"], 0
        while len(X) < self.budget:
            n_new = min(self.batch_size, self.budget - len(X))
            n_cand = self.candidates_per_batch * n_new
            n_sig = int(round(self.sigma_fraction * n_cand))
            cand = np.concatenate([self.sigma_points(n_sig) if n_sig else np.empty((0, 4)),
                                   self.uniform_points(n_cand - n_sig, rng)])
            if self.committee > 1:
                self._committee_models = []
                for m in range(self.committee):
                    idx = rng.integers(0, len(X), len(X))
                    self._committee_models.append(self._fit_model(X[idx], lab.y[idx], seed_offset=m + 1))
            pick = self._select(cand, self._scores(cand), n_new, rng)
            Xn = cand[pick]
            ln = self.label(Xn)
            X = np.concatenate([X, Xn])
            lab = Labels(np.concatenate([lab.y, ln.y]), np.concatenate([lab.sigma, ln.sigma]),
                         np.concatenate([lab.shares, ln.shares]), np.concatenate([lab.boundary, ln.boundary]))
            self.model = self._fit_model(X, lab.y)
            acc = self._val_metric(self.model, Xv, Lv)
            self.history.append(dict(labels=len(X), val_accuracy=acc, time=time.perf_counter() - t0))
            if bar is not None:
                bar.update(n_new)
            if acc > best + 1e-4:
                best, since = acc, 0
            else:
                since += 1
                if self.patience is not None and since >= self.patience:
                    break
        if bar is not None:
            bar.close()
        self.X_, self.labels_ = X, lab
        self.fit_time_ = time.perf_counter() - t0
        return self

    # ------------------------------------------------------------------ validation
    def test_sets(self, n_test):
        """(sigma-weighted events, uniform points) of n_test each, labelled exactly (cached per n_test)."""
        cache = getattr(self, "_test_cache", {})
        if n_test not in cache:
            rng = np.random.default_rng(self.seed + 10_007)
            Xa = Integrator(self.domain, seed=self.seed + 10_007, n_threads=self.n_threads).sample(
                self.xs, n_test, adapt_to=self.state, progress=False).points
            Xb = self.uniform_points(n_test, rng)
            cache[n_test] = ((Xa, self.label(Xa)), (Xb, self.label(Xb)))
            self._test_cache = cache
        return cache[n_test]

    def _metrics(self, model, X, L, sigma_distributed):
        """Metrics on one labelled set; the sigma-weighted accuracy is the plain accuracy on a set distributed
        as sigma, and the sigma-weighted average of correctness on any other set."""
        from sklearn import metrics
        p = self._proba(model, X)
        pred = np.argmax(p, axis=-1)
        w = np.ones(len(X)) if sigma_distributed else L.sigma
        out = {}
        if self.target == "share":
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
            conf = p.max(axis=-1).ravel()
            hit = (pred == L.y).ravel()
        else:
            labels = list(range(len(self.classes)))
            out["accuracy"] = float(metrics.accuracy_score(L.y, pred))
            out["balanced_accuracy"] = float(metrics.balanced_accuracy_score(L.y, pred))
            out["sigma_weighted_accuracy"] = float(metrics.accuracy_score(L.y, pred, sample_weight=w))
            out["boundary_accuracy"] = (float(metrics.accuracy_score(L.y[L.boundary], pred[L.boundary]))
                                        if L.boundary.any() else float("nan"))
            out["confusion_matrix"] = metrics.confusion_matrix(L.y, pred, labels=labels).tolist()
            conf = p.max(axis=1)
            hit = pred == L.y
        out["boundary_fraction"] = float(L.boundary.mean())
        out["boundary_sigma_fraction"] = float(np.average(L.boundary, weights=w))
        # calibration of the top-label confidence: reliability table and expected calibration error
        edges = np.linspace(0, 1, 11)
        idx = np.clip(np.digitize(conf, edges) - 1, 0, 9)
        table = []
        ece = 0.0
        for b in range(10):
            m = idx == b
            if m.any():
                table.append((float(edges[b]), float(edges[b + 1]), int(m.sum()), float(conf[m].mean()),
                              float(hit[m].mean())))
                ece += m.mean() * abs(conf[m].mean() - hit[m].mean())
        out["calibration"] = {"ece": float(ece), "bins": table}
        out["n"] = int(len(X))
        return out

    def evaluate(self, n_test: int = 200_000) -> dict:
        """Metrics of the fitted map on two exactly labelled test sets of n_test points: "sigma_weighted" (events
        distributed as sigma of the state) and "uniform" (uniform in the domain, inside the cuts). Each has
        accuracy, balanced accuracy, sigma-weighted accuracy, accuracy in the boundary layer (top-two shares
        within 0.1), the confusion matrix (rows: truth, columns: prediction, classes in ``classes`` order) and
        the calibration of the top-label probability (reliability bins and expected calibration error). The
        sigma-weighted accuracy is the plain accuracy on the first set and the sigma-weighted mean on the second
        (two independent estimates of the same number); ``boundary_sigma_fraction`` is the share of sigma in the
        boundary layer."""
        self._require_fit()
        (Xa, La), (Xb, Lb) = self.test_sets(int(n_test))
        return {"sigma_weighted": self._metrics(self.model, Xa, La, True),
                "uniform": self._metrics(self.model, Xb, Lb, False),
                "labels": int(len(self.X_)), "classes": list(self.classes), "target": self.target,
                "state": self.state, "fit_time_s": self.fit_time_}

    def learning_curves(self, budgets, baselines=("uniform_grid", "uniform_random"), n_test: int = 50_000,
                        active_max_labels=None) -> dict:
        """sigma-weighted accuracy and boundary-layer accuracy on the sigma-weighted test set versus the number
        of labels, for the active loop (a model refitted on the first b acquired labels; budgets beyond the
        labels acquired by fit() are skipped) and for the baselines at the same budgets: "uniform_grid" (a grid
        over the box, the earlier study's design; the actual number of grid points inside the cuts is reported)
        and "uniform_random" (uniform points inside the cuts)."""
        self._require_fit()
        budgets = sorted(int(b) for b in budgets)
        (Xa, La), _ = self.test_sets(int(n_test))
        out = {}
        designs = ["active"] + list(baselines)
        for d in designs:
            if d not in ("active", "uniform_grid", "uniform_random"):
                raise ValueError(f"unknown baseline {d!r}; allowed: uniform_grid, uniform_random")
        for d in designs:
            rows = []
            rng = np.random.default_rng(self.seed + 77)
            for b in budgets:
                if d == "active":
                    if b > len(self.X_):
                        continue
                    X, y = self.X_[:b], self.labels_.y[:b]
                else:
                    X = self.grid_points(b) if d == "uniform_grid" else self.uniform_points(b, rng)
                    y = self.label(X).y
                t = time.perf_counter()
                model = self._fit_model(X, y)
                m = self._metrics(model, Xa, La, True)
                rows.append(dict(labels=int(len(X)), sigma_weighted_accuracy=m["sigma_weighted_accuracy"],
                                 boundary_accuracy=m["boundary_accuracy"], fit_s=time.perf_counter() - t))
            out[d] = rows
        return out

    @staticmethod
    def labels_to_reach(curve, level, key="sigma_weighted_accuracy"):
        """Smallest number of labels of a learning curve whose metric is >= level (None if never)."""
        for row in curve:
            if row[key] >= level:
                return row["labels"]
        return None

    # ------------------------------------------------------------------ shares and importances
    def fit_shares(self, estimator=None):
        """Regress every channel's share of sigma on the labelled points (default HistGradientBoostingRegressor
        per channel); returns the fitted multi-output regressor (also in ``share_model``)."""
        self._require_fit()
        from sklearn.base import clone
        from sklearn.ensemble import HistGradientBoostingRegressor
        from sklearn.multioutput import MultiOutputRegressor
        base = clone(estimator) if estimator is not None else HistGradientBoostingRegressor(
            max_iter=300, learning_rate=0.1, random_state=self.seed)
        self.share_model = MultiOutputRegressor(base).fit(self.features(self.X_), self.labels_.shares)
        return self.share_model

    def evaluate_shares(self, n_test: int = 200_000) -> dict:
        """R^2 and mean squared error of the share regression per channel on both test sets."""
        from sklearn.metrics import mean_squared_error, r2_score
        if getattr(self, "share_model", None) is None:
            self.fit_shares()
        out = {}
        for name, (X, L) in zip(("sigma_weighted", "uniform"), self.test_sets(int(n_test))):
            pred = self.share_model.predict(self.features(X))
            out[name] = {c: {"r2": float(r2_score(L.shares[:, k], pred[:, k])),
                             "mse": float(mean_squared_error(L.shares[:, k], pred[:, k]))}
                         for k, c in enumerate(CHANNELS)}
        return out

    def feature_importance(self, n_test: int = 20_000, n_repeats: int = 5, model="classifier") -> dict:
        """Permutation importance of every feature on the sigma-weighted test set (drop of accuracy, or of R^2 for
        ``model="shares"``), mean and standard deviation over ``n_repeats`` shuffles."""
        self._require_fit()
        from sklearn.inspection import permutation_importance
        (X, L), _ = self.test_sets(int(n_test))
        F = self.features(X)
        if model == "shares":
            if getattr(self, "share_model", None) is None:
                self.fit_shares()
            res = permutation_importance(self.share_model, F, L.shares, n_repeats=n_repeats, random_state=self.seed)
        elif model == "classifier":
            res = permutation_importance(self.model, F, L.y, n_repeats=n_repeats, random_state=self.seed)
        else:
            raise ValueError(f"model must be 'classifier' or 'shares', got {model!r}")
        return {n: (float(m), float(s)) for n, m, s in zip(self.feature_names, res.importances_mean,
                                                           res.importances_std)}

    # ------------------------------------------------------------------ plots
    def plot_map(self, var_x="x", var_y="Q", path="region_map.png", fixed=None, resolution=200):
        """2-D map of the predicted class over (var_x, var_y) with the other two variables fixed (default: the
        middle of the domain), the true boundary (exact labels) drawn as black lines, points outside the cuts
        in grey. For target "share" the map shows the number of channels above the threshold."""
        self._require_fit()
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.colors import ListedColormap

        for v in (var_x, var_y):
            if v not in VARIABLES:
                raise ValueError(f"variables must be among {VARIABLES}, got {v!r}")
        if var_x == var_y:
            raise ValueError("var_x and var_y must differ")
        bounds = dict(zip(VARIABLES, self.domain.bounds))
        fixed = dict(fixed or {})
        for v in VARIABLES:
            if v not in (var_x, var_y) and v not in fixed:
                fixed[v] = float(np.mean(bounds[v])) if v != "PT" else 1.0
        gx = np.linspace(*bounds[var_x], resolution)
        gy = np.linspace(*bounds[var_y], resolution)
        GX, GY = np.meshgrid(gx, gy)
        cols = {var_x: GX.ravel(), var_y: GY.ravel()}
        cols.update({k: np.full(GX.size, v) for k, v in fixed.items()})
        X = np.column_stack([cols[v] for v in VARIABLES])
        inside = self.domain.contains(*X.T, self.xs.params)
        pred = np.full(GX.size, -1.0)
        truth = np.full(GX.size, np.nan)
        if inside.any():
            p = self.predict(X[inside])
            t = self.label(X[inside]).y
            if self.target == "share":
                p, t = p.sum(axis=1), t.sum(axis=1)
            pred[inside] = p
            truth[inside] = t
        ncls = len(self.classes) if self.target != "share" else len(CHANNELS) + 1
        colors = ["#d9d9d9"] + [f"C{k}" for k in range(ncls)]
        fig, ax = plt.subplots(figsize=(6.4, 4.8), constrained_layout=True)
        ax.pcolormesh(GX, GY, pred.reshape(GX.shape), cmap=ListedColormap(colors), vmin=-1.5, vmax=ncls - 0.5,
                      shading="auto")
        T = truth.reshape(GX.shape)
        for c in range(ncls - 1):
            edge = np.where(np.isnan(T), np.nan, (T > c + 0.5).astype(float))
            if np.nanmin(edge) < 0.5 < np.nanmax(edge):
                ax.contour(GX, GY, edge, levels=[0.5], colors="k", linewidths=1.2)
        names = ([CHANNEL_LABELS.get(c, c) for c in self.classes] if self.target != "share"
                 else [f"{k} channels > {self.threshold:g}" for k in range(ncls)])
        handles = [plt.Rectangle((0, 0), 1, 1, color=colors[k + 1]) for k in range(ncls)]
        handles += [plt.Line2D([], [], color="k"), plt.Rectangle((0, 0), 1, 1, color=colors[0])]
        ax.legend(handles, names + ["true boundary", "outside cuts"], fontsize=7, loc="best", framealpha=0.85)
        units = {"x": "", "z": "", "Q": " [GeV]", "PT": " [GeV]"}
        label = {"x": "$x$", "z": "$z$", "Q": "$Q$", "PT": "$P_T$"}
        ax.set_xlabel(label[var_x] + units[var_x])
        ax.set_ylabel(label[var_y] + units[var_y])
        fixed_txt = ", ".join(f"{label[k]}={v:g}{units[k]}" for k, v in fixed.items())
        ax.set_title(f"predicted {self.target} ({self.state}); {fixed_txt}", fontsize=9)
        fig.savefig(path, dpi=130)
        plt.close(fig)
        return path

    @staticmethod
    def plot_learning_curves(curves, path="learning_curves.png", key="sigma_weighted_accuracy", level=0.99):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6.0, 4.2), constrained_layout=True)
        for name, rows in curves.items():
            if rows:
                ax.plot([r["labels"] for r in rows], [1 - r[key] for r in rows], "o-", label=name.replace("_", " "))
        ax.axhline(1 - level, color="k", ls=":", lw=1, label=f"{level:.0%} accuracy")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("labels (cross-section evaluations)")
        ax.set_ylabel("1 - " + key.replace("_", " "))
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
        fig.savefig(path, dpi=130)
        plt.close(fig)
        return path

    @staticmethod
    def plot_feature_importance(importances, path="feature_importance.png", title="permutation importance"):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        names = list(importances)
        mean = np.array([importances[n][0] for n in names])
        std = np.array([importances[n][1] for n in names])
        order = np.argsort(mean)
        fig, ax = plt.subplots(figsize=(5.5, 0.35 * len(names) + 1.2), constrained_layout=True)
        ax.barh(np.array(names)[order], mean[order], xerr=std[order], color="C0")
        ax.set_xlabel("drop of the score when the feature is shuffled")
        ax.set_title(title, fontsize=10)
        fig.savefig(path, dpi=130)
        plt.close(fig)
        return path
