"""VEGAS+ integrator, histograms and sampler: analytic integrals, pulls, physics totals against an independent
plain Monte Carlo of the NumPy reference, sample distributions, reproducibility, errors."""
import math

import hist
import numpy as np
import pytest
from scipy import special, stats

import jpsi_fast as jf
from jpsi_fast import _vegas


def gaussians_4d(X):
    """Two narrow Gaussians (vegas's classic test), exact integral over [0, 1]^4 below."""
    s = 0.04
    g1 = np.exp(-((X - 0.33) ** 2).sum(axis=1) / (2 * s * s))
    g2 = np.exp(-((X - 0.67) ** 2).sum(axis=1) / (2 * s * s))
    return (g1 + 2 * g2) / (2 * np.pi * s * s) ** 2


def gaussians_exact():
    s = 0.04
    one = lambda c: 0.5 * (special.erf((1 - c) / (s * np.sqrt(2))) + special.erf(c / (s * np.sqrt(2))))
    return one(0.33) ** 4 + 2 * one(0.67) ** 4


RIDGE_W = 0.01


def ridge_3d(X):
    """A sharp ridge along the diagonal x0 = x1 (width 0.01), flat in x2."""
    return np.exp(-((X[:, 0] - X[:, 1]) ** 2) / (2 * RIDGE_W ** 2)) * (1 + X[:, 2])


def ridge_exact():
    s = RIDGE_W
    return 1.5 * 2 * (s * np.sqrt(np.pi / 2) * special.erf(1 / (s * np.sqrt(2))) - s * s * (1 - np.exp(-1 / (2 * s * s))))


def ball_3d(X):
    """Discontinuous: 1 + x0 inside the sphere |X| < 0.8, 0 outside."""
    return np.where((X ** 2).sum(axis=1) < 0.64, 1.0 + X[:, 0], 0.0)


def ball_exact():
    r = 0.8
    # octant of the ball: volume pi r^3/6; int x0 over it: pi r^4 / 16
    return np.pi * r ** 3 / 6 + np.pi * r ** 4 / 16


@pytest.mark.parametrize("f, exact, dim", [(gaussians_4d, gaussians_exact(), 4), (ridge_3d, ridge_exact(), 3),
                                           (ball_3d, ball_exact(), 3)])
def test_analytic_integrals(f, exact, dim):
    integ = jf.Integrator([(0.0, 1.0)] * dim, seed=11)
    r = integ.integrate(f, nitn=10, neval=40_000, warmup=5)
    est = r[0]
    assert abs(est.mean - exact) <= 3 * est.sdev, (est, exact)
    assert est.rel < 2e-2
    assert r.chi2_dof < 3


def smooth_gaussian_4d(X):
    """exp(-100 |x - 0.5|^2) on [0, 1]^4 (vegas's examples/simple.py), exact below."""
    return np.exp(-100.0 * ((X - 0.5) ** 2).sum(axis=1)) * (100.0 / np.pi) ** 2


SMOOTH_EXACT = special.erf(5.0) ** 4


@pytest.mark.parametrize("neval", [2000, 20_000])
def test_pull_distribution_over_seeds(neval):
    """vegas-style pulls of the callable path: unbiased with honest errors (vegas 6.4 on the same protocol:
    mean pull within +-0.2, width 0.8-1.1)."""
    pulls = []
    for seed in range(40):
        r = jf.Integrator([(0.0, 1.0)] * 4, seed=seed, n_threads=1).integrate(smooth_gaussian_4d, nitn=10,
                                                                              neval=neval, warmup=5)
        pulls.append((r[0].mean - SMOOTH_EXACT) / r[0].sdev)
    pulls = np.array(pulls)
    assert abs(pulls.mean()) < 0.5, pulls.mean()
    assert 0.7 < pulls.std(ddof=1) < 1.35, pulls.std(ddof=1)


def test_constant_integrand_is_exact():
    """A constant keeps the map uniform (the map is trained on per-increment averages) and has no error."""
    for neval in (1000, 10_000):
        r = jf.Integrator([(0.0, 2.0), (-1.0, 1.0)], seed=3).integrate(lambda X: np.full(len(X), 4.0), nitn=10,
                                                                       neval=neval, warmup=5)
        assert r[0].mean == pytest.approx(16.0, rel=1e-12) and r[0].sdev < 1e-10


def test_vector_integrand_and_covariance():
    def f(X):
        g = gaussians_4d(X)
        return np.column_stack([g, 2 * g, np.ones(len(X))])
    r = jf.Integrator([(0.0, 1.0)] * 4, seed=3).integrate(f, nitn=6, neval=20_000, warmup=3)
    assert r.mean.shape == (3,) and r.cov.shape == (3, 3)
    assert r[1].mean == pytest.approx(2 * r[0].mean, rel=1e-12)
    assert abs(r[2].mean - 1.0) <= 3 * r[2].sdev         # a constant is hard for a map adapted to the peaks
    corr = r.cov[0, 1] / np.sqrt(r.cov[0, 0] * r.cov[1, 1])
    assert corr == pytest.approx(1.0, abs=1e-9)
    # adapting to another component
    r2 = jf.Integrator([(0.0, 1.0)] * 4, seed=3).integrate(f, nitn=3, neval=20_000, warmup=2, adapt_to=1)
    assert np.allclose(r2.adapt_base, [0, 1, 0])


def test_frozen_map_unweighted_average():
    integ = jf.Integrator([(0.0, 1.0)] * 4, seed=5)
    integ.integrate(gaussians_4d, nitn=1, neval=30_000, warmup=5)
    edges = integ.edges.copy()
    r = integ.integrate(gaussians_4d, nitn=6, neval=30_000, warmup=0, adapt=False)
    assert np.array_equal(edges, integ.edges) and not r.weighted
    assert abs(r[0].mean - gaussians_exact()) <= 3 * r[0].sdev
    assert "unweighted" in r.summary()


def test_rtol_stops_early():
    r = jf.Integrator([(0.0, 1.0)] * 4, seed=2).integrate(gaussians_4d, nitn=50, neval=20_000, warmup=3, rtol=5e-3)
    assert r[0].rel <= 5e-3 and len(r.itn_mean) < 50


def plain_mc_reference_total(n, seed, params):
    """Independent estimate of the total sigma_U in the default domain: plain (uniform) Monte Carlo of the NumPy
    reference, 4 Q P_T dsigma/(dx dQ^2 dz dP_T^2) inside the cuts."""
    rng = np.random.default_rng(seed)
    dom = jf.Domain()
    lo, hi = dom.bounds.T
    X = lo + (hi - lo) * rng.random((n, 4))
    inside = dom.contains(*X.T, params)
    f = np.zeros(n)
    x, z, Q, PT = X[inside].T
    vals = jf.reference.evaluate(x, z, Q, PT, params=params, states=("U",)).values.sum(axis=0)[0]
    f[inside] = 4 * Q * PT * vals
    vol = np.prod(hi - lo)
    return vol * f.mean(), vol * f.std(ddof=1) / np.sqrt(n)


def test_physics_total_against_independent_plain_mc():
    p = jf.Params(tmd_pdf="collinear")
    xs = jf.CrossSection(p, jf.pdf.GRV94LO(exact=True))
    r = jf.Integrator(jf.Domain(), seed=1).integrate(xs, nitn=8, neval=100_000, warmup=5)
    tot = r.total("U")
    ref_mean, ref_sd = plain_mc_reference_total(1_500_000, seed=7, params=p)
    assert abs(tot.mean - ref_mean) <= 3 * math.hypot(tot.sdev, ref_sd), (tot, ref_mean, ref_sd)
    assert tot.rel < 1e-3 and ref_sd / ref_mean < 1e-2
    # the channel x state table is consistent: U = L + T, totals = channel sums
    np.testing.assert_allclose(r.mean[:, 0], r.mean[:, 1] + r.mean[:, 2], rtol=1e-12)
    assert tot.mean == pytest.approx(r.mean[:, 0].sum(), rel=1e-14)
    assert np.all(r.mean[:, 1] <= r.mean[:, 0])


def test_histogram_consistent_with_total():
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    integ = jf.Integrator(jf.Domain(), seed=4)
    h = integ.histogram(xs, nitn=4, neval=100_000, warmup=4)
    assert isinstance(h, hist.Hist) and h.axes.name == ("channel", "state", "bin", "PT")
    assert h.values().shape == (4, 3, 4, 24) and h.variances().shape == h.values().shape
    binned = h.values()[:, 0].sum()
    err = np.sqrt(h.variances()[:, 0].sum())
    r = integ.integrate(xs, nitn=4, neval=100_000, warmup=0)
    assert abs(binned - r.total("U").mean) <= 4 * math.hypot(err, r.total("U").sdev)
    assert np.all(h.values() >= 0) and np.all(h.values()[:, 1] <= h.values()[:, 0] + 1e-300)
    # dsigma/dP_T: the values divided by the P_T widths; the channel sum with the channels' covariance
    tot, tot_err = h.total("U", differential=True)
    assert np.allclose(tot * np.diff(h.pt_edges), h.values()[:, 0].sum(axis=0), rtol=1e-9, atol=0)
    assert np.all(tot_err[tot > 0] > 0) and np.all(tot_err >= 0)
    # the TMD cut P_T <= z Q / 2: no P_T above 0.4 * 30 / 2 = 6 ... but z < 0.4 and Q < 30 gives P_T < 6 only near
    # the corner; in the bin z < 0.4, Q < 30 the last P_T bin is nearly empty compared with the first ones
    assert h.values()[:, 0, 0, -1].sum() < 1e-3 * h.values()[:, 0, 0, :8].sum()


def test_unweighted_samples_follow_the_cross_section():
    p = jf.Params(tmd_pdf="collinear")
    xs = jf.CrossSection(p)
    integ = jf.Integrator(jf.Domain(), seed=8)
    n = 40_000
    ev = integ.sample(xs, n, unweighted=True)
    assert len(ev) == n and 0 < ev.efficiency <= 1 and ev.n_overweight <= 0.001 * ev.n_trials
    assert np.all(jf.Domain().contains(ev.x, ev.z, ev.Q, ev.PT, p))
    assert ev.weight.sum() == pytest.approx(
        jf.Integrator(jf.Domain(), seed=9).integrate(xs, nitn=4, neval=100_000).total("U").mean, rel=0.01)
    # chi^2 of the P_T and z distributions against the integrated dsigma/dP_T and dsigma/dz
    pt_edges = np.linspace(0, 6, 13)
    whole = jf.Bin((0.1, 0.8 + 1e-9), (10.0, 50.0 + 1e-9))
    h = jf.Integrator(jf.Domain(), seed=10).histogram(xs, bins=[whole], pt_edges=pt_edges, nitn=5, neval=200_000)
    expected_pt = h.values()[:, 0, 0].sum(axis=0)
    z_edges = np.linspace(0.1, 0.8, 8)
    zbins = [jf.Bin((a, b + (1e-9 if b == 0.8 else 0)), (10.0, 50.0 + 1e-9)) for a, b in zip(z_edges[:-1], z_edges[1:])]
    hz = jf.Integrator(jf.Domain(), seed=12).histogram(xs, bins=zbins, pt_edges=[0.0, 6.0 + 1e-9], nitn=5, neval=200_000)
    expected_z = hz.values()[:, 0, :, 0].sum(axis=0)
    for values, edges, expected in ((ev.PT, pt_edges, expected_pt), (ev.z, z_edges, expected_z)):
        obs, _ = np.histogram(values, bins=edges)
        exp = n * expected / expected.sum()
        keep = exp > 5
        chi2 = (((obs - exp) ** 2 / exp)[keep]).sum()
        pval = stats.chi2.sf(chi2, keep.sum() - 1)
        assert pval > 1e-3, (chi2, keep.sum(), obs, exp)
    # not in hypercube order: consecutive events are uncorrelated
    assert abs(np.corrcoef(ev.z[:-1], ev.z[1:])[0, 1]) < 0.03


def test_weighted_samples():
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    integ = jf.Integrator(jf.Domain(), seed=13)
    ev = integ.sample(xs, 200_000, unweighted=False)
    tot = jf.Integrator(jf.Domain(), seed=14).integrate(xs, nitn=4, neval=100_000).total("U")
    assert ev.weight.sum() == pytest.approx(tot.mean, rel=0.02)
    assert not ev.unweighted and np.all(ev.weight >= 0)


def test_bit_identical_for_any_thread_count():
    xs = jf.CrossSection()
    res, hists, samples = [], [], []
    for nt in (1, 2, 3):
        integ = jf.Integrator(jf.Domain(), seed=21, n_threads=nt)
        res.append(integ.integrate(xs, nitn=2, neval=30_000, warmup=2))
        hists.append(integ.histogram(xs, nitn=2, neval=30_000, warmup=1))
        samples.append(integ.sample(xs, 3000))
    for r, h, s in zip(res[1:], hists[1:], samples[1:]):
        assert np.array_equal(r.mean, res[0].mean) and np.array_equal(r.cov, res[0].cov)
        assert np.array_equal(h.values(), hists[0].values()) and np.array_equal(h.variances(), hists[0].variances())
        assert np.array_equal(s.points, samples[0].points)
    # a different seed gives different numbers
    other = jf.Integrator(jf.Domain(), seed=22, n_threads=2).integrate(xs, nitn=2, neval=30_000, warmup=2)
    assert not np.array_equal(other.mean, res[0].mean)


def test_domain_cuts():
    p = jf.Params(tmd_pdf="collinear")
    xs = jf.CrossSection(p)
    base = jf.Integrator(jf.Domain(), seed=1).integrate(xs, nitn=3, neval=50_000).total("U").mean
    nocut = jf.Integrator(jf.Domain(tmd_cut=False), seed=1).integrate(xs, nitn=3, neval=50_000).total("U").mean
    ywin = jf.Integrator(jf.Domain(y=(0.01, 0.5)), seed=1).integrate(xs, nitn=3, neval=50_000).total("U").mean
    assert nocut > base > ywin > 0
    m = jf.Domain(y=(0.01, 0.5)).contains([0.2, 0.2, 0.2], [0.5, 0.5, 0.1], [12, 30, 12], [1.0, 1.0, 1.0], p)
    assert list(m) == [True, False, False]          # y = 0.18; y = 1.13; P_T > z Q / 2


def test_philox_known_answers():
    # Random123 known-answer vectors for philox4x32-10
    assert _vegas.philox_words(0, 0, 0, 0, 0) == (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)
    assert _vegas.philox_words(2 ** 64 - 1, *(4 * [2 ** 32 - 1])) == (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)


@pytest.mark.parametrize("kwargs, word", [(dict(x=(0.5, 0.2)), "x"), (dict(z=(0.1, 1.0)), "z"), (dict(Q=(0, 10)), "Q"),
                                          (dict(PT=(-1, 2)), "PT"), (dict(y=(0.1, 1.5)), "y"), (dict(x=0.3), "x")])
def test_domain_validation(kwargs, word):
    with pytest.raises(ValueError, match=word):
        jf.Domain(**kwargs)


def test_bad_integrator_arguments():
    with pytest.raises(ValueError, match="ninc"):
        jf.Integrator(ninc=0)
    with pytest.raises(ValueError, match="alpha"):
        jf.Integrator(alpha=-1)
    with pytest.raises(ValueError, match="beta"):
        jf.Integrator(beta=2)
    with pytest.raises(ValueError, match="seed"):
        jf.Integrator(seed=-3)
    with pytest.raises(ValueError, match="bounds"):
        jf.Integrator([(0, 1), (2, 1)])
    with pytest.raises(ValueError, match="n_threads"):
        jf.Integrator(n_threads=0)
    integ = jf.Integrator([(0, 1)] * 2)
    with pytest.raises(ValueError, match="neval"):
        integ.integrate(lambda X: X[:, 0], neval=10)
    with pytest.raises(ValueError, match="shape"):
        integ.integrate(lambda X: np.ones((len(X), 2))[:10], nitn=1, neval=1000)
    with pytest.raises(ValueError, match="non-finite"):
        integ.integrate(lambda X: np.full(len(X), np.nan), nitn=1, neval=1000)
    with pytest.raises(TypeError, match="integrand"):
        integ.integrate("not a function")
    with pytest.raises(TypeError, match="Domain"):
        integ.integrate(jf.CrossSection())
    dom_integ = jf.Integrator(jf.Domain())
    with pytest.raises(TypeError, match="CrossSection"):
        dom_integ.histogram(lambda X: X[:, 0])
    with pytest.raises(ValueError, match="z, Q, PT"):
        integ.histogram(lambda X: X[:, 0])
    with pytest.raises(ValueError, match="pt_edges"):
        dom_integ.histogram(jf.CrossSection(), pt_edges=[1.0, 0.5])
    with pytest.raises(ValueError, match="adapt_to"):
        dom_integ.integrate(jf.CrossSection(), nitn=1, neval=1000, adapt_to="X")
    with pytest.raises(ValueError, match="n must be"):
        dom_integ.sample(jf.CrossSection(), 0)
    with pytest.raises(TypeError, match="tmd_cut"):
        jf.Domain(tmd_cut="no")


def test_trial_run_in_blocks_gives_the_same_events(monkeypatch):
    """The sampler's trial run (envelope, sigma) is drawn in blocks (bounded memory for 1e8 events): the events do
    not depend on the block size."""
    from jpsi_fast import integrate
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    runs = []
    for block in (1, 7, 64):
        monkeypatch.setattr(integrate, "TRIAL_BLOCK_CHUNKS", block)
        ev = jf.Integrator(jf.Domain(), seed=3).sample(xs, 60_000, neval=20_000, warmup=2)
        runs.append(ev)
    for ev in runs[1:]:
        assert np.array_equal(ev.points, runs[0].points) and ev.max_weight == runs[0].max_weight
        assert ev.sigma == pytest.approx(runs[0].sigma, rel=1e-12) and ev.n_trials == runs[0].n_trials
