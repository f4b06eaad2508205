"""RegionMapper: synthetic target, metrics against direct scikit-learn computations, reproducibility, errors."""
import numpy as np
import pytest

import jpsi_fast as jf
from jpsi_fast.regions import FEATURE_NAMES, RegionMapper

sklearn = pytest.importorskip("sklearn")
from sklearn import metrics  # noqa: E402


def ring_target(X):
    """Known boundary: class 1 inside the ellipse (z-0.45)^2/0.2^2 + (Q-30)^2/12^2 < 1, class 0 outside."""
    r2 = ((X[:, 1] - 0.45) / 0.2) ** 2 + ((X[:, 2] - 30.0) / 12.0) ** 2
    return (r2 < 1).astype(int), np.abs(r2 - 1) < 0.05


@pytest.fixture(scope="module")
def xs():
    return jf.CrossSection(jf.Params(tmd_pdf="collinear"))


@pytest.fixture(scope="module")
def fitted(xs):
    return RegionMapper(xs, target="dominant", batch_size=600, budget=3000, seed=3, strategy="active").fit()


def test_synthetic_target_reaches_99_percent(xs):
    rm = RegionMapper(xs, target=ring_target, batch_size=500, budget=4000, seed=1, strategy="active").fit()
    ev = rm.evaluate(n_test=20_000)
    assert ev["uniform"]["accuracy"] >= 0.99, ev["uniform"]["accuracy"]
    assert ev["sigma_weighted"]["accuracy"] >= 0.99
    assert rm.classes == ("0", "1")
    # the active design concentrates labels near the boundary compared with uniform points
    r2 = ((rm.X_[:, 1] - 0.45) / 0.2) ** 2 + ((rm.X_[:, 2] - 30.0) / 12.0) ** 2
    later = r2[1000:]
    uni = rm.uniform_points(20_000, np.random.default_rng(0))
    r2u = ((uni[:, 1] - 0.45) / 0.2) ** 2 + ((uni[:, 2] - 30.0) / 12.0) ** 2
    assert np.mean(np.abs(later - 1) < 0.2) > 2 * np.mean(np.abs(r2u - 1) < 0.2)


def test_metrics_match_direct_sklearn(fitted):
    ev = fitted.evaluate(n_test=20_000)
    (Xa, La), (Xb, Lb) = fitted.test_sets(20_000)
    for name, X, L, w in (("sigma_weighted", Xa, La, None), ("uniform", Xb, Lb, Lb.sigma)):
        pred = fitted.predict(X)
        m = ev[name]
        assert m["accuracy"] == pytest.approx(metrics.accuracy_score(L.y, pred), abs=1e-12)
        assert m["balanced_accuracy"] == pytest.approx(metrics.balanced_accuracy_score(L.y, pred), abs=1e-12)
        assert m["sigma_weighted_accuracy"] == pytest.approx(metrics.accuracy_score(L.y, pred, sample_weight=w),
                                                             abs=1e-12)
        assert m["confusion_matrix"] == metrics.confusion_matrix(L.y, pred, labels=[0, 1, 2, 3]).tolist()
        b = L.boundary
        assert m["boundary_accuracy"] == pytest.approx(metrics.accuracy_score(L.y[b], pred[b]), abs=1e-12)
        # boundary layer: top-two shares within 0.1
        top2 = np.sort(L.shares, axis=1)[:, -2:]
        assert np.array_equal(b, top2[:, 1] - top2[:, 0] < 0.1)
        cal = m["calibration"]
        assert 0 <= cal["ece"] < 0.05 and sum(row[2] for row in cal["bins"]) == len(X)
    # labels are exact: the dominant channel from CrossSection.evaluate
    r = fitted.xs.evaluate(*Xb[:100].T, states="U")
    assert np.array_equal(Lb.y[:100], r.dominant("U"))
    assert ev["sigma_weighted"]["accuracy"] > 0.97
    assert ev["labels"] == 3000 and len(fitted.history) == 5


def test_reproducible_with_seed(xs):
    a = RegionMapper(xs, batch_size=400, budget=1200, seed=7).fit()
    b = RegionMapper(xs, batch_size=400, budget=1200, seed=7).fit()
    assert np.array_equal(a.X_, b.X_) and np.array_equal(a.labels_.y, b.labels_.y)
    pts = a.uniform_points(2000, np.random.default_rng(1))
    assert np.array_equal(a.predict_proba(pts), b.predict_proba(pts))
    ea, eb = a.evaluate(n_test=5000), b.evaluate(n_test=5000)
    assert ea["sigma_weighted"] == eb["sigma_weighted"] and ea["uniform"] == eb["uniform"]
    assert [h["val_accuracy"] for h in a.history] == [h["val_accuracy"] for h in b.history]
    c = RegionMapper(xs, batch_size=400, budget=1200, seed=8).fit()
    assert not np.array_equal(a.X_, c.X_)


def test_other_targets(xs):
    for target in ("ff_vs_pgf", "large", "share"):
        rm = RegionMapper(xs, target=target, batch_size=400, budget=800, seed=2, uncertainty="margin").fit()
        ev = rm.evaluate(n_test=5000)
        assert ev["sigma_weighted"]["accuracy"] > 0.85, (target, ev["sigma_weighted"]["accuracy"])
        p = rm.predict_proba(rm.X_[:10])
        if target == "share":
            assert p.shape == (10, 4, 2) and rm.predict(rm.X_[:10]).shape == (10, 4)
        else:
            assert p.shape == (10, 2)
            np.testing.assert_allclose(p.sum(axis=1), 1.0)
    rm = RegionMapper(xs, target="large", large_threshold=1e-6, batch_size=300, budget=600, seed=1)
    assert rm.large_threshold == 1e-6
    lab = rm.label(np.array([[0.2, 0.3, 12.0, 0.5]]))
    assert lab.y[0] == 1                                   # sigma_U = 2e-4 pb/GeV^4 there


def test_committee_and_custom_estimator(xs):
    from sklearn.ensemble import RandomForestClassifier
    rm = RegionMapper(xs, estimator=RandomForestClassifier(n_estimators=30), committee=3, batch_size=300,
                      budget=900, seed=4).fit()
    assert isinstance(rm.model, RandomForestClassifier) and rm.model.random_state == 4
    assert rm.evaluate(n_test=5000)["sigma_weighted"]["accuracy"] > 0.9


def test_learning_curves_and_importance(fitted, tmp_path):
    lc = fitted.learning_curves([600, 1800, 3000], n_test=10_000)
    assert [r["labels"] for r in lc["active"]] == [600, 1800, 3000]
    assert len(lc["uniform_grid"]) == 3 and len(lc["uniform_random"]) == 3
    assert all(0 < r["sigma_weighted_accuracy"] <= 1 for rows in lc.values() for r in rows)
    assert RegionMapper.labels_to_reach(lc["active"], 0.0) == 600
    assert RegionMapper.labels_to_reach(lc["active"], 1.01) is None
    imp = fitted.feature_importance(n_test=5000, n_repeats=2)
    assert tuple(imp) == FEATURE_NAMES
    shares = fitted.evaluate_shares(n_test=5000)
    assert set(shares) == {"sigma_weighted", "uniform"} and shares["uniform"]["pgf_3s1_1"]["r2"] > 0.8
    import matplotlib.pyplot as plt
    for path, fig in ((tmp_path / "m.png", fitted.plot_map("x", "Q", tmp_path / "m.png")),
                      (tmp_path / "m2.png", fitted.plot_map("z", "PT", tmp_path / "m2.png", fixed={"x": 0.3, "Q": 15.0})),
                      (tmp_path / "lc.png", RegionMapper.plot_learning_curves(lc, tmp_path / "lc.png")),
                      (tmp_path / "fi.png", RegionMapper.plot_feature_importance(imp, tmp_path / "fi.png"))):
        data = open(path, "rb").read()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
        assert fig.axes
        plt.close(fig)


def test_bad_arguments(xs):
    for kwargs, word in [(dict(target="nope"), "target"), (dict(state="X"), "state"), (dict(batch_size=0), "batch_size"),
                         (dict(budget=5, batch_size=10), "budget"), (dict(threshold=2.0), "threshold"),
                         (dict(uncertainty="luck"), "uncertainty"), (dict(features="all"), "features"),
                         (dict(large_threshold=-1.0), "large_threshold"), (dict(patience=0), "patience")]:
        with pytest.raises(ValueError, match=word):
            RegionMapper(xs, **kwargs)
    with pytest.raises(TypeError, match="xs"):
        RegionMapper("xs")
    with pytest.raises(TypeError, match="estimator"):
        RegionMapper(xs, estimator=object())
    rm = RegionMapper(xs, batch_size=100, budget=200)
    with pytest.raises(RuntimeError, match="fit"):
        rm.predict(np.zeros((1, 4)))
    with pytest.raises(ValueError, match="shape"):
        rm.label(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="callable target"):
        RegionMapper(xs, target=lambda X: np.full(len(X), -1), batch_size=100, budget=200).fit()


def test_bad_plot_arguments(fitted, tmp_path):
    with pytest.raises(ValueError, match="variables"):
        fitted.plot_map("x", "w", tmp_path / "a.png")
    with pytest.raises(ValueError, match="differ"):
        fitted.plot_map("x", "x", tmp_path / "a.png")


def test_strategies_one_shot_auto_and_target_accuracy(xs):
    one = RegionMapper(xs, batch_size=400, budget=2000, seed=5, strategy="one_shot").fit()
    assert one.strategy_ == "one_shot" and len(one.X_) == 2000 and len(one.history) == 2
    assert one.evaluate(n_test=5000)["sigma_weighted"]["accuracy"] > 0.97
    # kernel labels cost ~1e-6 s, a fit ~0.1 s: "auto" takes one fit on many labels
    auto = RegionMapper(xs, batch_size=400, budget=2000, seed=5).fit()
    assert auto.strategy == "auto" and auto.strategy_ == "one_shot"
    assert auto.label_cost_ < 1e-3 < auto.fit_cost_ * 10
    np.testing.assert_array_equal(auto.X_, one.X_)                   # the same route: the same design
    # the cost model: expensive labels favour the active loop, cheap ones a single fit
    pt = one.predicted_times(label_cost=1e-3, fit_cost=0.1)
    assert pt["active"] < pt["one_shot"]
    pt = one.predicted_times(label_cost=1e-7, fit_cost=0.1)
    assert pt["one_shot"] < pt["active"]
    # target accuracy: both routes stop once the sigma-weighted validation accuracy reaches it
    for strategy in ("one_shot", "active"):
        rm = RegionMapper(xs, batch_size=300, budget=30_000, seed=6, strategy=strategy, target_accuracy=0.97).fit()
        assert rm.history[-1]["val_accuracy"] >= 0.97 and len(rm.X_) < 30_000, (strategy, len(rm.X_))
    with pytest.raises(ValueError, match="strategy"):
        RegionMapper(xs, strategy="greedy")
    with pytest.raises(ValueError, match="target_accuracy"):
        RegionMapper(xs, target_accuracy=1.0)
    with pytest.raises(ValueError, match="refit_growth"):
        RegionMapper(xs, refit_growth=-1)


def test_refits_grow_geometrically_and_selection_is_diverse(xs):
    rm = RegionMapper(xs, batch_size=200, budget=2000, seed=2, strategy="active", refit_growth=0.5).fit()
    sizes = [h["labels"] for h in rm.history]
    assert sizes[0] == 200 and sizes[-1] == 2000
    assert all(b >= 1.5 * a or b == 2000 for a, b in zip(sizes, sizes[1:])), sizes
    every = RegionMapper(xs, batch_size=200, budget=1000, seed=2, strategy="active", refit_growth=0).fit()
    assert [h["labels"] for h in every.history] == [200, 400, 600, 800, 1000]
    from jpsi_fast.regions._active import select_diverse
    rng = np.random.default_rng(0)
    cand = rng.random((8000, 4))
    score = np.exp(-((cand - 0.3) ** 2).sum(axis=1) / 0.01)          # uncertainty peaked in one corner
    pick = select_diverse(cand, score, 400, 0.1, np.random.default_rng(1))
    assert len(pick) == 400 and len(np.unique(pick)) == 400
    top = np.argsort(-score)[:400]                                    # the plain top-400 is one tight cluster
    spread = lambda idx: np.mean(np.std(cand[idx], axis=0))           # noqa: E731
    assert spread(pick) > 1.3 * spread(top)
    assert np.mean(score[pick[:360]]) > np.mean(score)                # still the uncertain points first
