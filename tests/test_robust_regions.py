"""Robust region maps: the pure-NumPy dominance helpers on hand-made arrays, the exact labels of the targets
"robust_dominant" and "dominance_probability" against a brute-force loop over CrossSection.evaluate(variations=),
tiny RegionMapper fits, and argument errors."""
import warnings

import numpy as np
import pytest

import jpsi_fast as jf
from jpsi_fast.components import dominant_channel
from jpsi_fast.regions import (AMBIGUOUS, NO_DOMINANT, RegionMapper, default_variations, dominance_probability,
                               dominant_by_variation, robust_dominant, robust_margin)
from jpsi_fast.regions._labels import DOMINANT_MARGIN

# --------------------------------------------------------------------------- helpers on hand-made arrays
# 3 variations x 3 channels x 7 points; columns: what the point tests
V = np.zeros((3, 3, 7))
V[:, :, 0] = [[5, 1, 1], [4, 2, 1], [3, 1, 2]]          # channel 0 under every variation -> 0
V[:, :, 1] = [[1, 1, 6], [0, 2, 3], [1, 0, 9]]          # channel 2 everywhere -> 2
V[:, :, 2] = [[5, 1, 1], [1, 5, 1], [5, 1, 1]]          # 0, 1, 0 -> ambiguous
V[:, :, 3] = 0.0                                         # forbidden (sigma = 0 everywhere) -> no dominant
V[:, :, 4] = [[-1, 3, 2], [-2, 4, 1], [-3, 1, 5]]        # signed: a negative channel never wins; 1, 1, 2 -> ambig.
V[:, :, 5] = [[2, 2, 1], [3, 3, 0], [1, 1, 0]]           # exact ties: the first channel (argmax) -> 0
V[:, :, 6] = [[-5, 1, 1], [4, 1, 1], [-5, 1, 1]]         # sum < 0 under 2 variations, > 0 under 1 -> ambiguous


def test_dominant_by_variation_exact():
    d = dominant_by_variation(V)
    assert d.shape == (3, 7)
    assert d.tolist() == [[0, 2, 0, -1, 1, 0, -1],
                          [0, 2, 1, -1, 1, 0, 0],
                          [0, 2, 0, -1, 2, 0, -1]]


def test_robust_dominant_exact_classes():
    assert robust_dominant(V).tolist() == [0, 2, AMBIGUOUS, NO_DOMINANT, AMBIGUOUS, 0, AMBIGUOUS]
    assert (AMBIGUOUS, NO_DOMINANT) == (-2, -1)
    # the codes the RegionMapper uses: ambiguous = n_channels, forbidden = 0 (as target "dominant")
    assert robust_dominant(V, ambiguous=3, no_dominant=0).tolist() == [0, 2, 3, 0, 3, 0, 3]
    # any leading point shape: (3, 3, 7) -> (3, 3, 7, 1) keeps the labels
    assert robust_dominant(V[..., None])[:, 0].tolist() == robust_dominant(V).tolist()
    # one variation: exactly components.dominant_channel
    rng = np.random.default_rng(0)
    A = rng.random((1, 4, 500))
    A[:, :, :20] = 0.0
    assert np.array_equal(robust_dominant(A), dominant_channel(A[0]))


def test_robust_margin_exact():
    m = robust_margin(V)
    # point 0: leads of channel 0 per variation 4/7, 2/7, 1/6 -> min 1/6 (the robust lead)
    assert m[0] == pytest.approx(1 / 6)
    # point 1: channel 2's leads 5/8, 1/5, 8/10 -> 1/5
    assert m[1] == pytest.approx(1 / 5)
    # point 2: channel 0 loses by 4/7 under variation 1, channel 1 by 4/7 under 0 and 2 -> -4/7
    assert m[2] == pytest.approx(-4 / 7)
    assert m[3] == 0.0 and m[5] == 0.0                    # forbidden; exact tie
    assert m[2] < 0 and m[4] < 0 and m[6] <= 0
    # sign agrees with robustness (ties aside)
    rng = np.random.default_rng(1)
    A = rng.random((5, 4, 2000)) ** 3
    rob = robust_dominant(A) >= 0
    assert np.array_equal(rob, robust_margin(A) > 0)
    # one variation: the gap between the top two shares (boundary measure of "dominant")
    s = np.sort(A[0] / A[0].sum(axis=0), axis=0)
    np.testing.assert_allclose(robust_margin(A[:1]), s[-1] - s[-2], rtol=1e-12)


def test_dominance_probability_exact():
    p = dominance_probability(V)
    assert p.shape == (3, 7)
    np.testing.assert_allclose(p[:, 0], [1, 0, 0])
    np.testing.assert_allclose(p[:, 2], [2 / 3, 1 / 3, 0])
    np.testing.assert_allclose(p[:, 3], [0, 0, 0])                   # forbidden: no channel
    np.testing.assert_allclose(p[:, 4], [0, 2 / 3, 1 / 3])
    np.testing.assert_allclose(p[:, 6], [1 / 3, 0, 0])               # 2 variations without a dominant channel
    pw = dominance_probability(V, weights=[1.0, 2.0, 1.0])
    np.testing.assert_allclose(pw[:, 2], [0.5, 0.5, 0])
    np.testing.assert_allclose(pw[:, 4], [0, 0.75, 0.25])


@pytest.mark.parametrize("fn", [robust_dominant, robust_margin, dominance_probability, dominant_by_variation])
def test_helpers_reject_bad_values(fn):
    with pytest.raises(ValueError, match="shape"):
        fn(np.ones(4))
    with pytest.raises(ValueError, match="shape"):
        fn(np.ones((0, 3, 2)))
    bad = np.ones((2, 3, 4))
    bad[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match="finite"):
        fn(bad)


def test_helpers_reject_bad_options():
    for w in ([1.0, 1.0], [1.0, -1.0, 1.0], [0.0, 0.0, 0.0], [1.0, np.inf, 1.0]):
        with pytest.raises(ValueError, match="weights"):
            dominance_probability(V, weights=w)
    with pytest.raises(ValueError, match="ambiguous"):
        robust_dominant(V, ambiguous=None)
    with pytest.raises(ValueError, match="no_dominant"):
        robust_dominant(V, no_dominant=1.5)


# --------------------------------------------------------------------------- exact labels vs brute force
@pytest.fixture(scope="module")
def xs():
    return jf.CrossSection(jf.Params(tmd_pdf="collinear"))


@pytest.fixture(scope="module")
def points(xs):
    """300 points: 150 sigma-weighted, 145 uniform inside the cuts, 5 forbidden (y > 1)."""
    rm = RegionMapper(xs, batch_size=100, budget=100, seed=5)
    Xs = rm.sigma_points(150)
    Xu = rm.uniform_points(145, np.random.default_rng(2))
    Xf = np.array([[0.15, 0.6, 25.0, 3.0], [0.11, 0.3, 40.0, 1.0], [0.2, 0.5, 45.0, 0.5], [0.12, 0.7, 30.0, 2.0],
                   [0.1, 0.2, 50.0, 0.1]])
    return np.concatenate([Xs, Xu, Xf])


def brute_force(xs, X, v, sources=None):
    """Per point: the dominant channel under each variation by a plain Python loop over
    Result.by_variation(channels=c) (None where the channel sum is <= 0)."""
    r = xs.evaluate(*X.T, variations=v, states="U")
    names = [var.name for var in r.layout.variations]
    srcs = [var.source for var in r.layout.variations]
    per = {c: r.by_variation(channels=c, state="U") for c in jf.CHANNELS}
    out = []
    for i in range(len(X)):
        doms = []
        for k in range(len(names)):
            if sources is not None and srcs[k] not in sources:
                continue
            vals = {c: float(per[c][k, i]) for c in jf.CHANNELS}
            if sum(vals.values()) <= 0:
                doms.append(None)
            else:
                best = max(vals.values())
                doms.append(next(c for c in jf.CHANNELS if vals[c] == best))
        out.append(doms)
    return out, names


@pytest.mark.parametrize("variations", [None, jf.Variations(scales="7-point", ldme_sets=("bckl2014", "pythia8"))])
def test_robust_labels_match_brute_force(xs, points, variations):
    rm = RegionMapper(xs, target="robust_dominant", variations=variations, batch_size=100, budget=100)
    v = variations if variations is not None else jf.Variations(scales="7-point", ldme_sets="positive")
    assert rm.variations == v
    lab = rm.label(points)
    doms, names = brute_force(xs, points, v)
    assert len(names) == (12 if variations is None else 9)
    expect = []
    for d in doms:
        if all(c is None for c in d):
            expect.append("ff")                       # forbidden: as target "dominant" (class 0)
        elif all(c == d[0] for c in d):
            expect.append(d[0])
        else:
            expect.append("ambiguous")
    assert [rm.classes[k] for k in lab.y] == expect
    assert rm.classes == jf.CHANNELS + ("ambiguous",)
    counts = {c: expect.count(c) for c in set(expect)}
    assert counts.get("ambiguous", 0) > 10 and counts.get("pgf_3s1_1", 0) > 10, counts
    if variations is not None:                          # without chao2012_set3 (no 3S1[8]) ff survives somewhere
        assert counts.get("ff", 0) > 5, counts
    # the forbidden points: same label and boundary flag as target "dominant"
    dom = RegionMapper(xs, target="dominant", batch_size=100, budget=100).label(points[-5:])
    assert np.array_equal(lab.y[-5:], dom.y) and lab.boundary[-5:].all() and np.all(lab.sigma[-5:] == 0)
    # robust points carry the central dominant channel; sigma and shares are the central ones
    central = xs.evaluate(*points.T, states="U")
    rob = (lab.y < 4) & (lab.sigma > 0)
    assert rob.sum() > 10 and np.array_equal(lab.y[rob], central.dominant("U")[rob])
    np.testing.assert_allclose(lab.sigma, central.values[:, 0].sum(axis=0), rtol=1e-12)
    # boundary layer = |robust margin| < DOMINANT_MARGIN
    values = xs.evaluate(*points.T, variations=v, states="U").values[:, :, 0]
    assert np.array_equal(lab.boundary, np.abs(robust_margin(values)) < DOMINANT_MARGIN)


def test_probability_labels_match_brute_force(xs, points):
    v = default_variations()
    rm = RegionMapper(xs, target="dominance_probability", batch_size=100, budget=100)
    lab = rm.label(points)
    doms, names = brute_force(xs, points, v, sources=("central", "ldme"))
    n_sets = 1 + sum(n.startswith("ldme:") for n in names)
    assert n_sets == len(jf.params.POSITIVE_LDME_SETS)           # the central chao2012 is one of them
    assert lab.proba.shape == (len(points), 4)
    for i, d in enumerate(doms):
        assert len(d) == n_sets
        if all(c is None for c in d):
            expect = [1.0, 0.0, 0.0, 0.0]
        else:
            expect = [sum(c == ch for c in d) / n_sets for ch in jf.CHANNELS]
        np.testing.assert_allclose(lab.proba[i], expect, atol=1e-12, err_msg=str(i))
        assert lab.proba[i, lab.y[i]] == max(expect)
    np.testing.assert_allclose(lab.proba.sum(axis=1), 1.0)
    assert len(np.unique(lab.proba.round(6), axis=0)) >= 3      # not a trivial target on these points
    # Labels.take / concatenate carry the probabilities
    both = type(lab).concatenate([lab.take(slice(0, 10)), lab.take(slice(10, None))])
    assert np.array_equal(both.proba, lab.proba) and np.array_equal(both.y, lab.y)


def test_negative_ldme_sets_use_signed_values(xs, points):
    v = jf.Variations(ldme_sets=("bk2011_a", "gwwz2013"), allow_negative_ldme=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        rm = RegionMapper(xs, target="robust_dominant", variations=v, batch_size=100, budget=100)
        lab = rm.label(points[:150])
        doms, _ = brute_force(xs, points[:150], v)
        r = xs.evaluate(*points[:150].T, variations=v, states="U")
    ff = r.by_variation(channels="ff", state="U")
    assert (ff < 0).any()                                        # gwwz2013: negative 3S1[8] -> ff < 0
    expect = ["ff" if all(c is None for c in d) else d[0] if all(c == d[0] for c in d) else "ambiguous"
              for d in doms]
    assert [rm.classes[k] for k in lab.y] == expect


# --------------------------------------------------------------------------- tiny fits
def test_tiny_fits_predict_valid_classes(xs, points, tmp_path):
    rm = RegionMapper(xs, target="robust_dominant", batch_size=200, budget=400, seed=1, n_validation=500).fit()
    pred = rm.predict(points)
    assert pred.shape == (len(points),) and set(pred.tolist()) <= set(range(5))
    p = rm.predict_proba(points)
    assert p.shape == (len(points), 5)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    ev = rm.evaluate(n_test=2000)
    assert ev["classes"] == list(jf.CHANNELS) + ["ambiguous"] and ev["target"] == "robust_dominant"
    assert ev["sigma_weighted"]["accuracy"] > 0.8
    assert np.array_equal(rm.labels_.y, rm.label(rm.X_).y)
    import matplotlib.pyplot as plt
    fig = rm.plot_map("z", "PT", tmp_path / "robust.png", fixed={"x": 0.3, "Q": 15.0}, resolution=40)
    assert (tmp_path / "robust.png").read_bytes()[:4] == b"\x89PNG"
    plt.close(fig)

    rp = RegionMapper(xs, target="dominance_probability", batch_size=200, budget=400, seed=1,
                      n_validation=500).fit()
    p = rp.predict_proba(points)
    assert p.shape == (len(points), 4) and np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert set(rp.predict(points).tolist()) <= set(range(4))
    ev = rp.evaluate(n_test=2000)
    pm = ev["sigma_weighted"]["probability"]
    assert set(pm) == {"brier", "mae", "tv_distance", "mae_per_class", "max_abs_error"}
    assert 0 <= pm["tv_distance"] < 0.3 and 0 <= rp.history[-1]["val_accuracy"] <= 1
    # the probability metrics are what they say
    (Xa, La), _ = rp.test_sets(2000)
    d = rp.predict_proba(Xa) - La.proba
    assert pm["brier"] == pytest.approx(np.mean((d ** 2).sum(axis=1)), rel=1e-12)
    assert pm["tv_distance"] == pytest.approx(np.mean(0.5 * np.abs(d).sum(axis=1)), rel=1e-12)


# --------------------------------------------------------------------------- errors
def test_bad_variation_arguments(xs):
    with pytest.raises(TypeError, match="variations"):
        RegionMapper(xs, target="robust_dominant", variations="7-point")
    with pytest.raises(ValueError, match="only applies"):
        RegionMapper(xs, target="dominant", variations=default_variations())
    with pytest.raises(ValueError, match="only applies"):
        RegionMapper(xs, target=lambda X: np.zeros(len(X), dtype=int), variations=default_variations())
    with pytest.raises(ValueError, match="vary something"):
        RegionMapper(xs, target="robust_dominant", variations=jf.Variations())
    with pytest.raises(ValueError, match="LDME set"):
        RegionMapper(xs, target="dominance_probability", variations=jf.Variations(scales="7-point"))
    with pytest.raises(ValueError, match="LDME set"):       # only the central set: nothing varied
        RegionMapper(xs, target="dominance_probability", variations=jf.Variations(ldme_sets=("chao2012",)))
    from sklearn.neighbors import KNeighborsClassifier
    with pytest.raises(ValueError, match="sample_weight"):
        RegionMapper(xs, target="dominance_probability", estimator=KNeighborsClassifier())
    with pytest.raises(ValueError, match="allow_negative_ldme"):
        jf.Variations(ldme_sets=("gwwz2013",))
    # defaults: the variation targets get the 7-point + positive-sets variations, others none
    assert RegionMapper(xs, target="robust_dominant", batch_size=100, budget=100).variations == default_variations()
    assert RegionMapper(xs, batch_size=100, budget=100).variations is None
    with pytest.raises(ValueError, match="target"):
        RegionMapper(xs, target="robust")


def test_cli_regions_robust_targets(tmp_path, capsys):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    from jpsi_fast.cli import main
    base = ["regions", "--budget", "600", "--batch", "300", "--n-test", "2000", "--tmd-pdf", "collinear",
            "--out", str(tmp_path)]
    assert main(base + ["--target", "robust_dominant", "--scale-variation", "3"]) == 0
    assert "robust_dominant (U)" in capsys.readouterr().out
    assert (tmp_path / "regions_map_z_PT.png").stat().st_size > 0
    assert main(base + ["--target", "dominance_probability", "--ldme-sets", "bckl2014,pythia8"]) == 0
    assert "Brier" in capsys.readouterr().out
    assert main(base + ["--target", "dominant", "--scale-variation", "3"]) == 2
    assert "apply to --target" in capsys.readouterr().err
