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
    return RegionMapper(xs, target="dominant", batch_size=600, budget=3000, seed=3).fit()


def test_synthetic_target_reaches_99_percent(xs):
    rm = RegionMapper(xs, target=ring_target, batch_size=500, budget=4000, seed=1).fit()
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
