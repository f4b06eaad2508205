"""Region maps: where in (x, z, Q, P_T) each production mechanism dominates, learnt by scikit-learn classifiers
(an optional dependency: ``pip install "jpsi_fast[ml]"``) from labels computed exactly by the kernels at points
chosen by active learning.

The pieces, each with one job: :mod:`._labels` (targets, exact labels, features), :mod:`._design` (point designs
inside the cuts), :mod:`._active` (classifier factory, uncertainty, diverse batches), :mod:`._metrics`
(validation metrics), and the studies (learning curves, shares, importances) and figures composed here by
:class:`RegionMapper`. scikit-learn's own thread pools follow ``n_threads`` (threadpoolctl).
"""
from __future__ import annotations

import contextlib
import time

import numpy as np

from .._openmp_helpers import resolve_n_threads
from .._progress import progress_bar
from ..components import CHANNEL_LABELS, CHANNELS, STATES
from ..integrate import Domain, Integrator
from ..variations import Variations
from ..xsec import CrossSection
from ._active import UNCERTAINTIES, class_probabilities, new_estimator, select_diverse, uncertainty_scores
from ._design import Designs
from ._labels import (AMBIGUOUS_CLASS, FEATURE_NAMES, TARGETS, VARIABLES, VARIATION_TARGETS, Labeler, Labels,
                      check_points, features)
from ._metrics import classification_metrics, probability_metrics
from ._robust import (AMBIGUOUS, NO_DOMINANT, dominance_probability, dominant_by_variation, robust_dominant,
                      robust_margin)

__all__ = ["RegionMapper", "TARGETS", "VARIATION_TARGETS", "FEATURE_NAMES", "Labels", "default_variations",
           "robust_dominant", "robust_margin", "dominance_probability", "dominant_by_variation", "AMBIGUOUS",
           "NO_DOMINANT", "AMBIGUOUS_CLASS"]


def default_variations() -> Variations:
    """The variations of the targets in :data:`VARIATION_TARGETS` when none are given: 7-point scales and every
    named LDME set without a negative element (``jpsi_fast.params.POSITIVE_LDME_SETS``)."""
    return Variations(scales="7-point", ldme_sets="positive")

#: seeds of the test sets and of the baselines' random designs, offset from the mapper's seed
TEST_SEED_OFFSET = 10_007
BASELINE_SEED_OFFSET = 77
#: fewest labels of a class for the default classifier's internal early-stopping split
MIN_CLASS_COUNT_EARLY_STOP = 20
#: a validation accuracy must improve by this much to reset the patience counter
PATIENCE_TOLERANCE = 1e-4
#: ways to spend the labels: "active" (the uncertainty-driven loop), "one_shot" (sigma-weighted + uniform points
#: labelled at once, one fit), "auto" (the faster of the two for the measured label and fit costs)
STRATEGIES = ("auto", "active", "one_shot")
#: labels a one-shot design needs for the accuracy the active loop reaches, measured in the region study (99 %:
#: 10k vs 3k, 99.5 %: ~3x, 99.8 %: 500k vs 30k; benchmarks/results/region_walltime.md): the cost model of "auto"
ONE_SHOT_LABEL_RATIO = 3.0
#: fits-equivalents of the active loop's selection work per refit (candidate drawing and scoring), measured
ACTIVE_SCORING_FITS = 1.0
#: a one-shot design with target_accuracy starts with this many batches and doubles until the target is reached
ONE_SHOT_START_BATCHES = 4
#: cost model of "auto" for the built-in targets, so that its choice (and the map) never depends on timing:
#: seconds per label and per variation the kernels evaluate (measured 8e-7 s for "dominant" on 2 threads), and
#: seconds per label of a fit of the default classifier (measured 0.23 s for 1,000 labels on 2 cores;
#: benchmarks/results/region_walltime.md). Callable targets use the measured costs of the initial batch.
KERNEL_LABEL_SECONDS = 2e-6
FIT_SECONDS_PER_LABEL = 2.5e-4
#: labels per sigma-weighted sample drawn when the "large" threshold is set from a quantile
LARGE_QUANTILE_SAMPLE = 20_000
#: scikit-learn gets one thread per this many rows (at most n_threads): its many short parallel regions gain
#: nothing on small data and slow down badly when a core is busy with something else
ML_ROWS_PER_THREAD = 20_000
#: distributed labels: blocks of at least this many points, at most this many blocks per worker (load balance)
MIN_LABEL_BLOCK = 256
LABEL_BLOCKS_PER_WORKER = 2


def _label_block(labeler, X):
    """A worker's task: the labels of one block of points."""
    return labeler(X)


class RegionMapper:
    """Active-learning map of a cross-section-derived label over a :class:`Domain`.

    Parameters
    ----------
    xs : CrossSection
    domain : Domain (default ``Domain()``); labels live inside its cuts (checked non-empty at xs's sqrt(s)).
    target : "dominant" (channel with the largest share of sigma, 4 classes), "ff_vs_pgf" (quark fragmentation vs
        all PGF summed; classes pgf = 0, ff = 1), "share" (multi-label: each channel's share > ``threshold``),
        "large" (sigma above ``large_threshold`` [pb/GeV^4], or above the ``large_quantile`` of sigma over
        sigma-weighted events when no threshold is given; with ``count_target`` (a
        :class:`jpsi_fast.events.CountTarget`): enough events for a measurement -- at least ``min_counts``
        expected J/psi -> l+ l- events for its luminosity in a measurement cell around the point), "robust_dominant" (the channel that dominates under
        every one of ``variations``, plus a 5th class "ambiguous" where the dominant channel changes),
        "dominance_probability" (per channel, the fraction of the central + LDME-set variations under which it
        dominates: a probabilistic target, see the end), or a callable ``f(X) -> labels`` (integers
        0..n-1; or a pair (labels, boundary mask)) for synthetic targets; "lambda_separation" (classes similar = 0,
        separated = 1: where the dilepton polar parameter lambda_theta of quark fragmentation and of photon-gluon
        fusion -- its channels' density matrices added -- differ by more than ``threshold``, docs/physics.md §12:
        where a lambda_theta measurement tells the mechanisms apart).
    state : polarisation state whose cross section defines the labels ("U", "L" or "T").
    variations : :class:`jpsi_fast.Variations` of the targets "robust_dominant" and "dominance_probability" (default
        :func:`default_variations`: 7-point scales + the positive LDME sets); "robust_dominant" uses every
        resolved variation, "dominance_probability" only the central one and the LDME sets (must hold at least
        one set different from the central one). Dominance is decided on the signed values (sets with negative
        LDMEs need ``allow_negative_ldme=True``; see :mod:`jpsi_fast.regions._robust`). Not accepted by the
        other targets.
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
    n_threads : threads of the kernels and of scikit-learn (None: all cores).
    strategy : "auto" (default), "active" or "one_shot". "one_shot" labels sigma-weighted (``sigma_fraction``)
        and uniform points at once and fits once; "active" runs the uncertainty-driven loop. "auto" takes the route
        with the smaller predicted wall time (:meth:`predicted_times`, kept in ``predicted_times_``) for the cost
        of a label and of a fit: for the built-in targets from the cost model (``KERNEL_LABEL_SECONDS`` per label
        and variation, ``FIT_SECONDS_PER_LABEL``), so the choice -- and the map -- never depends on timing; for
        a callable target from the measured costs of the initial batch (pin ``strategy`` for a reproducible map:
        with ``client``/``workers`` the measured label cost includes the transfers).
        Cheap labels (the kernels, ~1e-6 s) favour one fit on many labels, expensive ones (a per-bin integral,
        a user's slow model) the active loop, which needs ~``ONE_SHOT_LABEL_RATIO`` times fewer labels.
    refit_growth : the active loop refits the classifier only once the labels have grown by this fraction since
        the last fit (0: after every batch); the final model is always fitted on every label.
    target_accuracy : stop as soon as the sigma-weighted validation accuracy reaches this value (None: spend the
        budget). A one-shot design then starts at ``ONE_SHOT_START_BATCHES`` batches and doubles.

    Target "dominance_probability" is fitted as a soft-label classification: every labelled point enters the
    classifier once per channel with ``sample_weight`` = its exact probability (the estimator's ``fit`` must
    accept ``sample_weight``), so ``predict_proba`` estimates the dominance probabilities directly and
    ``predict`` gives the most probable channel; ``labels_.proba`` holds the exact probabilities,
    ``labels_.y`` the most probable channel, and :meth:`evaluate` adds probability metrics (Brier score, mean
    absolute and total-variation errors). The validation metric that drives ``patience`` is then
    1 - mean total-variation distance between predicted and exact probabilities.
    """

    def __init__(self, xs: CrossSection, domain: Domain | None = None, target: str = "dominant", state: str = "U",
                 estimator=None, batch_size: int = 2000, budget: int = 50_000, seed: int = 0,
                 threshold: float = 0.3, large_threshold: float | None = None, large_quantile: float = 0.5,
                 uncertainty: str = "entropy", committee: int = 0, candidates_per_batch: int = 10,
                 sigma_fraction: float = 0.5, explore_fraction: float = 0.1, patience: int | None = None,
                 n_validation: int = 5000, features: str = "physics", n_threads=None, progress=None,
                 variations: Variations | None = None, count_target=None, client=None, workers=None,
                 strategy: str = "auto", refit_growth: float = 0.25, target_accuracy: float | None = None):
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
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
        if budget < batch_size:
            raise ValueError(f"budget ({budget}) must be >= batch_size ({batch_size})")
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
        if isinstance(refit_growth, bool) or not isinstance(refit_growth, (int, float)) or not 0 <= refit_growth <= 10:
            raise ValueError(f"refit_growth must be a number in [0, 10], got {refit_growth!r}")
        if target_accuracy is not None and (isinstance(target_accuracy, bool)
                                            or not isinstance(target_accuracy, (int, float))
                                            or not 0 < target_accuracy < 1):
            raise ValueError(f"target_accuracy must be None or in (0, 1), got {target_accuracy!r}")
        for name, v in (("threshold", threshold), ("large_quantile", large_quantile), ("sigma_fraction", sigma_fraction),
                        ("explore_fraction", explore_fraction)):
            if not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v!r}")
        if large_threshold is not None and not (isinstance(large_threshold, (int, float)) and
                                                0 < large_threshold < np.inf):
            raise ValueError(f"large_threshold must be a finite number > 0 [pb/GeV^4] or None, got {large_threshold!r}")
        if patience is not None and (isinstance(patience, bool) or not isinstance(patience, (int, np.integer))
                                     or patience < 1):
            raise ValueError(f"patience must be a positive integer or None, got {patience!r}")
        if estimator is not None and not (hasattr(estimator, "fit") and hasattr(estimator, "predict_proba")):
            raise TypeError("estimator must be a scikit-learn classifier with fit and predict_proba")
        variations = self._check_variations(xs, target, variations)
        if target == "dominance_probability" and estimator is not None:
            from sklearn.utils.validation import has_fit_parameter
            if not has_fit_parameter(estimator, "sample_weight"):
                raise ValueError("target 'dominance_probability' is fitted with soft labels: the estimator's fit() "
                                 f"must accept sample_weight ({type(estimator).__name__}'s does not)")
        self.variations = variations
        self.xs, self.domain, self.target, self.state = xs, domain, target, state
        self.estimator = estimator
        self.batch_size, self.budget, self.seed = int(batch_size), int(budget), int(seed)
        self.threshold, self.large_quantile = float(threshold), float(large_quantile)
        self.uncertainty, self.committee = uncertainty, int(committee)
        self.candidates_per_batch, self.sigma_fraction = int(candidates_per_batch), float(sigma_fraction)
        self.explore_fraction, self.patience, self.n_validation = float(explore_fraction), patience, int(n_validation)
        self.feature_set = features
        self.strategy, self.refit_growth = strategy, float(refit_growth)
        self.target_accuracy = None if target_accuracy is None else float(target_accuracy)
        #: the strategy fit() ran ("active" or "one_shot") and the costs that chose it: seconds per label and
        #: seconds of the first fit (on batch_size labels)
        self.strategy_ = None
        self.label_cost_ = None
        self.fit_cost_ = None
        #: predicted wall times [s] of the two routes (predicted_times) that "auto" compared
        self.predicted_times_ = None
        self.n_threads = resolve_n_threads(n_threads)
        self.progress = progress
        domain.check(xs.params)
        self.designs = Designs(xs, domain, self.seed, self.n_threads)
        if count_target is not None:
            from ..events import CountTarget
            if not isinstance(count_target, CountTarget) or target != "large" or state != "U":
                raise ValueError("count_target must be a jpsi_fast.events.CountTarget, with target='large' and "
                                 "state='U' (events count sigma_U)")
        self.labeler = Labeler(xs, target, state, self.threshold, large_threshold, self.n_threads, variations,
                               count_target)
        self.model = None
        self.X_ = None
        self.labels_ = None
        self.history = []
        self.fit_time_ = None
        self.share_model = None
        self.committee_models = []
        self._test_sets = {}            # n_test -> labelled test sets (value-keyed)
        from ..distributed import _check_backend
        #: where labels are computed: a Dask client, or local worker processes (None: here)
        self.client, self.workers = client, _check_backend(client, workers)
        self._runner = None             # the TaskRunner open during fit() (None outside it)

    @staticmethod
    def _check_variations(xs, target, variations):
        """The Variations of a variation target (default :func:`default_variations`); None for other targets."""
        uses = not callable(target) and target in VARIATION_TARGETS
        if variations is None:
            return default_variations() if uses else None
        if not isinstance(variations, Variations):
            raise TypeError(f"variations must be a jpsi_fast.Variations, got {type(variations).__name__}")
        if not uses:
            raise ValueError(f"variations= only applies to the targets {VARIATION_TARGETS}, not to target "
                             f"{target if not callable(target) else 'callable'!r}")
        import warnings
        with warnings.catch_warnings():           # negative-LDME sets warn again when evaluated
            warnings.simplefilter("ignore", UserWarning)
            resolved = variations.resolve(xs.params)
        if target == "robust_dominant" and len(resolved) < 2:
            raise ValueError("target 'robust_dominant' needs variations that vary something (e.g. "
                             "Variations(scales='7-point', ldme_sets='positive')); with none it is 'dominant'")
        if target == "dominance_probability" and not any(v.source == "ldme" for v in resolved):
            raise ValueError("target 'dominance_probability' needs variations with at least one LDME set "
                             "different from the central one (Variations(ldme_sets=...))")
        return variations

    # ------------------------------------------------------------------ classes, labels, features, points
    @property
    def multilabel(self) -> bool:
        return self.target == "share"

    @property
    def probabilistic(self) -> bool:
        """True for target "dominance_probability" (soft labels: ``Labels.proba``)."""
        return self.target == "dominance_probability"

    def _train_y(self, labels):
        """What the classifier is fitted on: the exact probabilities for the probabilistic target, else y."""
        return labels.proba if self.probabilistic else labels.y

    @property
    def classes(self) -> tuple:
        """Names of the classes (for "share": the channels, one binary label each)."""
        return self.labeler.classes

    @property
    def large_threshold(self) -> float:
        """sigma threshold of target "large" [pb/GeV^4] (from the sigma-weighted quantile unless given)."""
        if self.labeler.large_threshold is None:
            sig = self.labeler.sigma_and_shares(self.sigma_points(LARGE_QUANTILE_SAMPLE))[0]
            self.labeler.large_threshold = float(np.quantile(sig, self.large_quantile))
        return self.labeler.large_threshold

    def label(self, X) -> Labels:
        """Exact labels at points X (n, 4: x, z, Q [GeV], P_T [GeV]) from the kernels."""
        if self.target == "large" and self.labeler.count_target is None:
            _ = self.large_threshold
        if self.client is None and (self.workers or 1) == 1:
            return self.labeler(X)
        return self._label_distributed(X)

    def _label_distributed(self, X) -> Labels:
        """Labels of X computed in blocks by the workers (labels are per point: the same as ``labeler(X)``)."""
        from ..distributed import TaskRunner
        X = check_points(X)
        runner = self._runner or TaskRunner(self.client, self.workers)
        try:
            n_blocks = max(1, min(-(-len(X) // MIN_LABEL_BLOCK), LABEL_BLOCKS_PER_WORKER * runner.parallel))
            blocks = np.array_split(X, n_blocks)
            parts = [None] * n_blocks
            with contextlib.closing(runner.run(_label_block, [(b,) for b in blocks], shared=(self.labeler,),
                                               desc="labels")) as finished:
                for i, lab in finished:
                    parts[i] = lab
        finally:
            if runner is not self._runner:
                runner.close()
        labels = Labels.concatenate(parts)
        self.labeler.saw(labels)                 # the workers' copies saw the classes; this one must too
        return labels

    def features(self, X) -> np.ndarray:
        """Classifier features of points X (n, 4): see :data:`FEATURE_NAMES` ("raw": the 4 variables)."""
        return features(X, self.xs.params.s, self.feature_set)

    @property
    def feature_names(self) -> tuple:
        return FEATURE_NAMES if self.feature_set == "physics" else VARIABLES

    def uniform_points(self, n, rng) -> np.ndarray:
        """n points uniform in the domain's box inside its cuts."""
        return self.designs.uniform(n, rng)

    def sobol_points(self, n, seed) -> np.ndarray:
        """n points of a scrambled Sobol sequence over the box, inside the cuts."""
        return self.designs.sobol(n, seed)

    def sigma_points(self, n) -> np.ndarray:
        """n unweighted events distributed as sigma of the mapper's state."""
        return self.designs.sigma(n, self.state)

    def grid_points(self, n_target) -> np.ndarray:
        """About n_target grid points inside the cuts (the earlier study's design)."""
        return self.designs.grid(n_target)

    # ------------------------------------------------------------------ models
    def _threads(self, rows=None):
        """scikit-learn's OpenMP/BLAS pools limited to n_threads (threadpoolctl), and to one thread per
        ML_ROWS_PER_THREAD rows of the data at hand."""
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:          # pragma: no cover - a scikit-learn dependency
            return contextlib.nullcontext()
        n = self.n_threads if rows is None else min(self.n_threads, 1 + int(rows) // ML_ROWS_PER_THREAD)
        return threadpool_limits(limits=n)

    def _fit_model(self, X, y, seed_offset=0):
        """A fresh classifier fitted on points X and labels y; y of shape (n, n_classes) with the probabilistic
        target: soft labels, each point repeated once per class of non-zero probability with that weight."""
        est = new_estimator(self.estimator, self.seed + seed_offset, self.multilabel)
        weight = None
        y = np.asarray(y)
        if self.probabilistic:
            rows, cls = np.nonzero(y > 0)
            X, weight, y = X[rows], y[rows, cls], cls
        if self.estimator is None:
            counts = np.bincount(np.asarray(y).ravel().astype(int))
            if counts[counts > 0].min() < MIN_CLASS_COUNT_EARLY_STOP:
                inner = est.estimator if self.multilabel else est
                inner.set_params(early_stopping=False)
        with self._threads(len(X)):
            if weight is None:
                est.fit(self.features(X), y)
            else:
                est.fit(self.features(X), y, sample_weight=weight)
        return est

    def _proba(self, model, X):
        with self._threads(len(X)):
            return class_probabilities(model, self.features(X), len(self.classes), self.multilabel)

    def predict_proba(self, X):
        """Predicted class probabilities at X (n, 4) ((n, 4 channels, 2) for target "share")."""
        self._require_fit()
        return self._proba(self.model, check_points(X))

    def predict(self, X):
        """Predicted class index at X (n, 4) (for "share": (n, 4) 0/1 per channel)."""
        return np.argmax(self.predict_proba(X), axis=-1)

    def _require_fit(self):
        if self.model is None:
            raise RuntimeError("call fit() first")

    # ------------------------------------------------------------------ active learning
    def _scores(self, X):
        p = self._proba(self.model, X)
        votes = None
        if self.committee > 1:
            votes = np.stack([np.argmax(self._proba(m, X), axis=-1) for m in self.committee_models])
        return uncertainty_scores(p, self.uncertainty, self.multilabel, votes, len(self.classes))

    def _val_metric(self, model, Xv, Lv):
        if self.probabilistic:
            return 1.0 - 0.5 * float(np.mean(np.abs(self._proba(model, Xv) - Lv.proba).sum(axis=1)))
        pred = np.argmax(self._proba(model, Xv), axis=-1)
        return float(np.mean(np.all(pred == Lv.y, axis=1))) if self.multilabel else float(np.mean(pred == Lv.y))

    def fit(self):
        """Label points and fit the map by the chosen ``strategy`` (progress bar on long runs); fills ``model``,
        ``X_``, ``labels_``, ``history`` (labels, validation accuracy on sigma-weighted points, wall time per
        fit), ``strategy_``, ``label_cost_`` and ``fit_cost_``. With ``client``
        or ``workers`` the labels of every round are computed by the workers (the same labels, so the same map)."""
        from ..distributed import TaskRunner
        with TaskRunner(self.client, self.workers) as runner:
            self._runner = runner
            try:
                return self._fit()
            finally:
                self._runner = None

    def predicted_times(self, label_cost, fit_cost):
        """Predicted wall times [s] of the two routes to the accuracy the active loop reaches with ``budget``
        labels, from the measured seconds per label and seconds per fit of ``batch_size`` labels (fits taken as
        linear in the labels): {"active": budget labels + its refits (geometric in refit_growth) and candidate
        scoring, "one_shot": ONE_SHOT_LABEL_RATIO x budget labels + one fit on them}."""
        b, n = float(self.batch_size), float(self.budget)
        g = max(self.refit_growth, b / n)
        fits = (1.0 + g) / g + ACTIVE_SCORING_FITS          # sum of a geometric series of fit sizes, in final fits
        active = n * label_cost + fits * fit_cost * n / b
        one_shot = ONE_SHOT_LABEL_RATIO * n * (label_cost + fit_cost / b)
        return {"active": active, "one_shot": one_shot}

    def _fit(self):
        t0 = time.perf_counter()
        rng = np.random.default_rng(self.seed)
        X = self.sobol_points(self.batch_size, seed=self.seed)
        t = time.perf_counter()
        lab = self.label(X)
        self.label_cost_ = (time.perf_counter() - t) / len(X)
        Xv = self.sigma_points(self.n_validation)
        Lv = self.label(Xv)
        t = time.perf_counter()
        self.model = self._fit_model(X, self._train_y(lab))
        self.fit_cost_ = time.perf_counter() - t
        self.committee_models = []
        self.history = [dict(labels=len(X), val_accuracy=self._val_metric(self.model, Xv, Lv),
                             time=time.perf_counter() - t0)]
        if callable(self.target):                    # a user's label: its measured cost
            self.predicted_times_ = self.predicted_times(self.label_cost_, self.fit_cost_)
        else:                                        # the kernels: the cost model (deterministic)
            n_eval = 1 if self.variations is None else len(self.variations.resolve(self.xs.params))
            self.predicted_times_ = self.predicted_times(KERNEL_LABEL_SECONDS * n_eval,
                                                         FIT_SECONDS_PER_LABEL * self.batch_size)
        if self.strategy == "auto":
            pred = self.predicted_times_
            self.strategy_ = "active" if pred["active"] <= pred["one_shot"] else "one_shot"
        else:
            self.strategy_ = self.strategy
        bar = progress_bar(self.budget, f"RegionMapper ({self.target}, {self.strategy_})", self.progress,
                           self.budget * 200, unit="label")
        try:
            if bar is not None:
                bar.update(len(X))
            if self.strategy_ == "one_shot":
                X, lab = self._one_shot(X, lab, Xv, Lv, rng, t0, bar)
            else:
                X, lab = self._active(X, lab, Xv, Lv, rng, t0, bar)
        finally:
            if bar is not None:
                bar.close()
        self.X_, self.labels_ = X, lab
        self.fit_time_ = time.perf_counter() - t0
        return self

    def _reached(self, acc):
        return self.target_accuracy is not None and acc >= self.target_accuracy

    def _refit(self, X, lab, Xv, Lv, t0):
        self.model = self._fit_model(X, self._train_y(lab))
        acc = self._val_metric(self.model, Xv, Lv)
        self.history.append(dict(labels=len(X), val_accuracy=acc, time=time.perf_counter() - t0))
        return acc

    def _one_shot(self, X, lab, Xv, Lv, rng, t0, bar):
        """Sigma-weighted and uniform points labelled at once on top of the initial design, one fit; with
        target_accuracy the design doubles (from ONE_SHOT_START_BATCHES batches) until the target is reached."""
        if self._reached(self.history[-1]["val_accuracy"]):
            return X, lab
        n = self.budget if self.target_accuracy is None else min(self.budget,
                                                                 ONE_SHOT_START_BATCHES * self.batch_size)
        while True:
            n_new = n - len(X)
            if n_new > 0:
                n_sig = int(round(self.sigma_fraction * n_new))
                Xn = np.concatenate([self.sigma_points(n_sig) if n_sig else np.empty((0, 4)),
                                     self.uniform_points(n_new - n_sig, rng)])
                X = np.concatenate([X, Xn])
                lab = Labels.concatenate([lab, self.label(Xn)])
                if bar is not None:
                    bar.update(n_new)
                acc = self._refit(X, lab, Xv, Lv, t0)
            else:
                acc = self.history[-1]["val_accuracy"]
            if self._reached(acc) or len(X) >= self.budget:
                return X, lab
            n = min(self.budget, 2 * len(X))

    def _active(self, X, lab, Xv, Lv, rng, t0, bar):
        """The active loop: candidates (sigma-weighted and uniform) scored by the model's uncertainty, a diverse
        batch labelled; the model refitted once the labels grew by refit_growth (and at the end)."""
        lo, hi = self.domain.bounds.T
        best, since = self.history[0]["val_accuracy"], 0
        fitted_on = len(X)
        if self._reached(best):
            return X, lab
        while len(X) < self.budget:
            n_new = min(self.batch_size, self.budget - len(X))
            n_cand = self.candidates_per_batch * n_new
            n_sig = int(round(self.sigma_fraction * n_cand))
            cand = np.concatenate([self.sigma_points(n_sig) if n_sig else np.empty((0, 4)),
                                   self.uniform_points(n_cand - n_sig, rng)])
            if self.committee > 1:
                self.committee_models = []
                for m in range(self.committee):
                    idx = rng.integers(0, len(X), len(X))
                    self.committee_models.append(self._fit_model(X[idx], self._train_y(lab)[idx],
                                                                   seed_offset=m + 1))
            pick = select_diverse((cand - lo) / (hi - lo), self._scores(cand), n_new, self.explore_fraction, rng)
            Xn = cand[pick]
            X = np.concatenate([X, Xn])
            lab = Labels.concatenate([lab, self.label(Xn)])
            if bar is not None:
                bar.update(n_new)
            if len(X) < fitted_on * (1.0 + self.refit_growth) and len(X) < self.budget:
                continue
            acc = self._refit(X, lab, Xv, Lv, t0)
            fitted_on = len(X)
            if self._reached(acc):
                break
            if acc > best + PATIENCE_TOLERANCE:
                best, since = acc, 0
            else:
                since += 1
                if self.patience is not None and since >= self.patience:
                    break
        if fitted_on < len(X):
            self._refit(X, lab, Xv, Lv, t0)
        return X, lab

    # ------------------------------------------------------------------ validation
    def test_sets(self, n_test):
        """(sigma-weighted events, uniform points) of n_test each, labelled exactly (kept per n_test)."""
        if n_test not in self._test_sets:
            rng = np.random.default_rng(self.seed + TEST_SEED_OFFSET)
            Xa = Integrator(self.domain, seed=self.seed + TEST_SEED_OFFSET, n_threads=self.n_threads).sample(
                self.xs, n_test, adapt_to=self.state, progress=False).points[:, :4]
            Xb = self.uniform_points(n_test, rng)
            self._test_sets[n_test] = ((Xa, self.label(Xa)), (Xb, self.label(Xb)))
        return self._test_sets[n_test]

    def _metrics(self, model, X, L, sigma_distributed):
        p = self._proba(model, X)
        out = classification_metrics(p, L, len(self.classes), sigma_distributed, self.multilabel)
        if self.probabilistic:
            out["probability"] = probability_metrics(p, L, sigma_distributed)
        return out

    def evaluate(self, n_test: int = 200_000) -> dict:
        """Metrics of the fitted map on two exactly labelled test sets of n_test points: "sigma_weighted" (events
        distributed as sigma of the state) and "uniform" (uniform in the domain, inside the cuts); see
        :func:`jpsi_fast.regions._metrics.classification_metrics`. The sigma-weighted accuracy is the plain
        accuracy on the first set and the sigma-weighted mean on the second (two independent estimates of the
        same number); ``boundary_sigma_fraction`` is the share of sigma in the boundary layer."""
        self._require_fit()
        (Xa, La), (Xb, Lb) = self.test_sets(int(n_test))
        return {"sigma_weighted": self._metrics(self.model, Xa, La, True),
                "uniform": self._metrics(self.model, Xb, Lb, False),
                "labels": int(len(self.X_)), "classes": list(self.classes), "target": self.target
                if not callable(self.target) else "callable", "state": self.state, "fit_time_s": self.fit_time_}

    # ------------------------------------------------------------------ studies
    def learning_curves(self, budgets, baselines=("uniform_grid", "uniform_random"), n_test: int = 50_000) -> dict:
        """sigma-weighted accuracy and boundary-layer accuracy on the sigma-weighted test set versus the number
        of labels, for the active loop (a model refitted on the first b acquired labels; budgets beyond the
        labels acquired by fit() are skipped) and for the baselines at the same budgets: "uniform_grid" (a grid
        over the box, the earlier study's design; the actual number of grid points inside the cuts is reported)
        and "uniform_random" (uniform points inside the cuts)."""
        self._require_fit()
        budgets = sorted(int(b) for b in budgets)
        (Xa, La), _ = self.test_sets(int(n_test))
        designs = ["active"] + list(baselines)
        for d in designs:
            if d not in ("active", "uniform_grid", "uniform_random"):
                raise ValueError(f"unknown baseline {d!r}; allowed: uniform_grid, uniform_random")
        out = {}
        for d in designs:
            rows = []
            rng = np.random.default_rng(self.seed + BASELINE_SEED_OFFSET)
            for b in budgets:
                if d == "active":
                    if b > len(self.X_):
                        continue
                    X, y = self.X_[:b], self._train_y(self.labels_)[:b]
                else:
                    X = self.grid_points(b) if d == "uniform_grid" else self.uniform_points(b, rng)
                    y = self._train_y(self.label(X))
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

    def fit_shares(self, estimator=None):
        """Regress every channel's share of sigma on the labelled points (default HistGradientBoostingRegressor
        per channel); returns the fitted multi-output regressor (also in ``share_model``)."""
        self._require_fit()
        from sklearn.base import clone
        from sklearn.ensemble import HistGradientBoostingRegressor
        from sklearn.multioutput import MultiOutputRegressor
        base = clone(estimator) if estimator is not None else HistGradientBoostingRegressor(
            max_iter=300, learning_rate=0.1, random_state=self.seed)
        with self._threads():
            self.share_model = MultiOutputRegressor(base).fit(self.features(self.X_), self.labels_.shares)
        return self.share_model

    def evaluate_shares(self, n_test: int = 200_000) -> dict:
        """R^2 and mean squared error of the share regression per channel on both test sets."""
        from sklearn.metrics import mean_squared_error, r2_score
        if self.share_model is None:
            self.fit_shares()
        out = {}
        for name, (X, L) in zip(("sigma_weighted", "uniform"), self.test_sets(int(n_test))):
            with self._threads():
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
            if self.share_model is None:
                self.fit_shares()
            est, target = self.share_model, L.shares
        elif model == "classifier":
            est, target = self.model, L.y
        else:
            raise ValueError(f"model must be 'classifier' or 'shares', got {model!r}")
        with self._threads():
            res = permutation_importance(est, F, target, n_repeats=n_repeats, random_state=self.seed)
        return {n: (float(m), float(s)) for n, m, s in zip(self.feature_names, res.importances_mean,
                                                           res.importances_std)}

    # ------------------------------------------------------------------ figures
    def map_grid(self, var_x="x", var_y="Q", fixed=None, resolution=200):
        """(grid_x, grid_y, predicted, truth, fixed) on a resolution x resolution grid of (var_x, var_y) with the
        other two variables fixed (default: the middle of the domain, P_T = 1 GeV); -1 / NaN outside the cuts.
        For target "share" the classes are the number of channels above the threshold."""
        self._require_fit()
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
        GX, GY = np.meshgrid(np.linspace(*bounds[var_x], resolution), np.linspace(*bounds[var_y], resolution))
        cols = {var_x: GX.ravel(), var_y: GY.ravel()}
        cols.update({k: np.full(GX.size, v) for k, v in fixed.items()})
        X = np.column_stack([cols[v] for v in VARIABLES])
        inside = self.domain.contains(*X.T, self.xs.params)
        pred = np.full(GX.size, -1.0)
        truth = np.full(GX.size, np.nan)
        if inside.any():
            p = self.predict(X[inside])
            t = self.label(X[inside]).y
            if self.multilabel:
                p, t = p.sum(axis=1), t.sum(axis=1)
            pred[inside] = p
            truth[inside] = t
        return GX, GY, pred.reshape(GX.shape), truth.reshape(GX.shape), fixed

    def plot_map(self, var_x="x", var_y="Q", path=None, fixed=None, resolution=200, ax=None):
        """Figure of the predicted classes over (var_x, var_y) with the true boundary as black lines and the
        region outside the cuts in grey (:func:`jpsi_fast.plotting.plot_region_map`); saved to ``path`` when
        given; returns the figure."""
        from ..plotting import plot_region_map
        GX, GY, pred, truth, fixed = self.map_grid(var_x, var_y, fixed, resolution)
        if self.multilabel:
            names = [f"{k} channels > {self.threshold:g}" for k in range(len(CHANNELS) + 1)]
        else:
            names = [CHANNEL_LABELS.get(c, c) for c in self.classes]
        target = self.target if not callable(self.target) else "target"
        return plot_region_map(GX, GY, pred, truth, names, var_x, var_y, fixed, f"predicted {target} ({self.state})",
                               path=path, ax=ax)

    @staticmethod
    def plot_learning_curves(curves, path=None, key="sigma_weighted_accuracy", level=0.99, ax=None):
        """See :func:`jpsi_fast.plotting.plot_learning_curves`."""
        from ..plotting import plot_learning_curves
        return plot_learning_curves(curves, path=path, key=key, level=level, ax=ax)

    @staticmethod
    def plot_feature_importance(importances, path=None, title="permutation importance", ax=None):
        """See :func:`jpsi_fast.plotting.plot_feature_importance`."""
        from ..plotting import plot_feature_importance
        return plot_feature_importance(importances, path=path, title=title, ax=ax)
