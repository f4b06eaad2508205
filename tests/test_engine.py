"""The VEGAS+ engine and its interfaces: the component layout, the compiled integrand interface (J/psi, callables,
a user's Cython integrand), thread independence of every reported number, reset(), pickling across processes,
many components."""
import os
import pickle
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pytest

import jpsi_fast as jf
from jpsi_fast.components import KERNEL_ELEMENTS, GenericLayout, Layout

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------------------ layout
def test_layout_registry():
    lay = Layout()
    assert lay.names[:3] == ("ff:U", "ff:L", "ff:T") and lay.n_components == 12 and lay.n_base == 8
    assert lay.base[:2] == ((0, "ff", "U"), (0, "ff", "L")) and lay.elements == KERNEL_ELEMENTS[:2] == ("U", "L")
    t = lay.index("pgf_3s1_1", "T")
    np.testing.assert_array_equal(lay.derive[t], lay.derive[lay.index("pgf_3s1_1", "U")]
                                  - lay.derive[lay.index("pgf_3s1_1", "L")])
    # a T-only layout still has the kernel write U and L
    sub = Layout(channels=("pgf_1s0_8",), states=("T",))
    assert sub.base == ((0, "pgf_1s0_8", "U"), (0, "pgf_1s0_8", "L")) and sub.derive.tolist() == [[1.0, -1.0]]
    pairs = {tuple(p) for p in lay.pairs().tolist()}
    assert (0, 1) in pairs and (0, 7) in pairs and len(pairs) == 8 * 9 // 2
    assert {tuple(p) for p in lay.pairs(tracked=False).tolist()} == {(i, j) for c in range(4) for i in (2 * c, 2 * c + 1)
                                                                      for j in (2 * c, 2 * c + 1) if i <= j}
    assert pickle.loads(pickle.dumps(lay)) == lay and Layout(states=("U",)) != lay
    with pytest.raises(ValueError, match="channels"):
        Layout(channels=("nope",))
    with pytest.raises(ValueError, match="duplicates"):
        Layout(states=("U", "U"))


def test_kernels_write_the_layouts_base_components():
    xs = jf.CrossSection()
    rng = np.random.default_rng(0)
    pts = (rng.uniform(0.1, 0.9, 50), rng.uniform(0.1, 0.9, 50), rng.uniform(10, 40, 50), rng.uniform(0, 5, 50))
    full = xs.evaluate(*pts)
    part = xs.evaluate(*pts, channels=("pgf_3s1_1", "ff"), states=("T", "L"))
    for ci, c in enumerate(part.channels):
        for si, s in enumerate(part.states):
            np.testing.assert_array_equal(part.values[ci, si], full[c, s])
    np.testing.assert_array_equal(full.values[:, 2], full.values[:, 0] - full.values[:, 1])


def test_one_definition_of_y_and_the_cuts():
    p = jf.Params()
    dom = jf.Domain(y=(0.05, 0.9))
    rng = np.random.default_rng(1)
    x, z, Q, PT = rng.uniform(0.05, 0.99, 20_000), rng.uniform(0.05, 0.95, 20_000), rng.uniform(5, 60, 20_000), \
        rng.uniform(0, 8, 20_000)
    y = dom.inelasticity(x, Q, p)
    np.testing.assert_array_equal(y, Q * Q / (x * p.s))
    inside = dom.contains(x, z, Q, PT, p)
    box = ((x >= 0.1) & (x <= 0.99) & (z >= 0.1) & (z <= 0.8) & (Q >= 10) & (Q <= 50) & (PT <= 6))
    np.testing.assert_array_equal(inside, box & (y >= 0.05) & (y <= 0.9) & (PT <= 0.5 * z * Q))
    # every point the integrand generates is inside the cuts (cut-adapted coordinates, rounding corrected)
    ig = jf.CrossSection(p).integrand(dom)
    obs, vals = ig.evaluate_points(rng.random((20_000, 4)))
    live = vals[:, 0] > 0
    assert live.mean() > 0.99 and np.all(dom.contains(*obs[live, :4].T, p))
    np.testing.assert_array_equal(obs[:, 4], dom.inelasticity(obs[:, 0], obs[:, 2], p))
    # kinematically forbidden points: every channel exactly 0, and y computed the same way
    r = jf.CrossSection(p).evaluate(x, z, Q, PT)
    assert np.all(r.values[..., y > 1] == 0) and np.all(r.values[0, 0, y <= 1] > 0)


# ------------------------------------------------------------------------------------------------ determinism
def _everything(n_threads, seed=21):
    xs = jf.CrossSection()
    integ = jf.Integrator(jf.Domain(), seed=seed, n_threads=n_threads)
    r = integ.integrate(xs, nitn=3, neval=40_000, warmup=2)
    h = integ.histogram(xs, nitn=2, neval=30_000, warmup=1)
    ev = integ.sample(xs, 20_000)
    wev = integ.sample(xs, 5000, unweighted=False)
    return dict(mean=r.mean, sdev=r.sdev, cov=r.cov, chi2=r.chi2, itn=r.itn_mean, neval=r.neval,
                hv=h.values(), he=h.variances(), hn=h.neval, points=ev.points, weight=ev.weight, eff=ev.efficiency,
                trials=ev.n_trials, over=ev.n_overweight, wmax=ev.max_weight, wpoints=wev.points,
                wweight=wev.weight, edges=integ.edges)


def test_every_reported_number_is_thread_independent():
    ref = _everything(1)
    for nt in (2, 3):
        other = _everything(nt)
        for key, value in ref.items():
            assert np.array_equal(np.asarray(other[key]), np.asarray(value)), key
    assert not np.array_equal(_everything(2, seed=22)["mean"], ref["mean"])


def test_event_batches_equal_one_sample():
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    whole = jf.Integrator(seed=3).sample(xs, 30_000)
    parts = list(jf.Integrator(seed=3).iter_events(xs, 30_000, 7000))
    assert [len(p) for p in parts] == [7000, 7000, 7000, 7000, 2000]
    np.testing.assert_array_equal(np.concatenate([p.points for p in parts]), whole.points)
    last = parts[-1]
    assert (last.efficiency, last.n_trials, last.n_overweight) == (whole.efficiency, whole.n_trials,
                                                                    whole.n_overweight)
    assert whole.n_trials == round(30_000 / whole.efficiency)


def test_reset_restores_the_fresh_state():
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    used = jf.Integrator(seed=5)
    used.integrate(xs, nitn=2, neval=20_000, warmup=2)
    used.sample(xs, 2000)
    used.reset()
    fresh = jf.Integrator(seed=5)
    assert set(vars(used)) == set(vars(fresh))
    for k, v in vars(fresh).items():
        assert np.array_equal(np.asarray(vars(used)[k], dtype=object), np.asarray(v, dtype=object)), k
    a = used.sample(xs, 5000)                      # after reset() the sampler adapts again, as when fresh
    b = fresh.sample(xs, 5000)
    np.testing.assert_array_equal(a.points, b.points)
    assert a.efficiency == b.efficiency > 0.05


def test_sampler_adapts_by_value_not_identity():
    integ = jf.Integrator(seed=7)
    integ.integrate(jf.CrossSection(jf.Params(tmd_pdf="collinear")), nitn=1, neval=20_000, warmup=3)
    edges = integ.edges.copy()
    integ.sample(jf.CrossSection(jf.Params(tmd_pdf="collinear")), 1000)     # an equal cross section: no re-adapting
    np.testing.assert_array_equal(edges, integ.edges)
    integ.sample(jf.CrossSection(jf.Params(tmd_pdf="collinear", sqrt_s=105.0)), 1000)   # a different one: adapts
    assert not np.array_equal(edges, integ.edges)


# ------------------------------------------------------------------------------------------------ pickling
def _integrate_pickled(payload):
    """Runs in a fresh process: unpickle, integrate, sample, evaluate; return the numbers."""
    xs, integ, dom = pickle.loads(payload)
    r = integ.integrate(xs, nitn=2, neval=20_000, warmup=0)
    ev = integ.sample(xs, 2000, warmup=0)
    pts = xs.evaluate(0.3, 0.5, 20.0, 1.0).values
    return r.mean, r.sdev, ev.points, pts, dom.volume(xs.params)


def test_pickle_roundtrip_and_other_process(tmp_path):
    p = jf.Params(sqrt_s=105.0, tmd_pdf="collinear")
    xs = jf.CrossSection(p)
    dom = jf.Domain(Q=(10.0, 40.0))
    integ = jf.Integrator(dom, seed=9, n_threads=1)
    res = integ.integrate(xs, nitn=2, neval=20_000, warmup=3)
    h = integ.histogram(xs, nitn=1, neval=20_000, warmup=0)
    ev = integ.sample(xs, 1000, warmup=0)
    for obj in (p, xs.pdf, jf.pdf.GRV94LO(exact=True), xs, dom, res, h, ev, jf.Layout()):
        clone = pickle.loads(pickle.dumps(obj))
        assert type(clone) is type(obj)
    r2 = pickle.loads(pickle.dumps(res))
    assert np.array_equal(r2.mean, res.mean) and np.array_equal(r2.cov, res.cov, equal_nan=True)
    h2 = pickle.loads(pickle.dumps(h))
    assert np.array_equal(h2.values(), h.values()) and np.array_equal(h2.pair_cov, h.pair_cov)
    assert h2.bins == h.bins and all(np.array_equal(a, b) for a, b in zip(h2.total("U"), h.total("U")))
    assert np.array_equal(pickle.loads(pickle.dumps(ev)).x, ev.x)
    payload = pickle.dumps((xs, integ, dom))
    here = _integrate_pickled(payload)
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        there = pool.submit(_integrate_pickled, payload).result()
    for a, b in zip(here, there):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


# ------------------------------------------------------------------------------------------------ components
def test_many_components_callable():
    k = 2000
    scale = np.arange(1, k + 1, dtype=float)

    def f(X):
        g = np.exp(-((X - 0.5) ** 2).sum(axis=1) / 0.02)
        return g[:, None] * scale[None, :]

    r = jf.Integrator([(0.0, 1.0)] * 2, seed=1).integrate(f, nitn=3, neval=4000, warmup=2)
    assert r.mean.shape == (k,) and r.sdev.shape == (k,)
    np.testing.assert_allclose(r.mean / r.mean[0], scale, rtol=1e-12)
    np.testing.assert_allclose(r.sdev / r.sdev[0], scale, rtol=1e-9)
    assert np.isnan(r.cov[0, k - 1]) and r.cov[0, 1] > 0        # full covariance only for the tracked ones
    assert isinstance(jf.Integrator([(0, 1)]).integrand(f).layout, GenericLayout)


def test_integrand_interface_and_errors():
    ig = jf.CrossSection().integrand(jf.Domain())
    assert isinstance(ig, jf.Integrand) and ig.dim == 4 and ig.n_components == 8
    assert ig.observable_names == ("x", "z", "Q", "PT", "y") and not ig.needs_python
    cig = jf.CallableIntegrand(lambda X: X[:, 0], [(0, 2), (0, 1)])
    assert cig.needs_python and cig.n_components == 1
    r = jf.Integrator([(0, 2), (0, 1)], seed=1).integrate(cig, nitn=2, neval=2000)
    assert r[0].mean == pytest.approx(2.0, rel=1e-3)
    with pytest.raises(ValueError, match="dimension"):
        jf.Integrator([(0, 1)] * 3).integrate(cig)
    with pytest.raises(ValueError, match="no phase space"):
        jf.CrossSection().integrand(jf.Domain(x=(0.1, 0.11), Q=(45.0, 50.0)))
    with pytest.raises(ValueError, match="bounds"):
        jf.CallableIntegrand(lambda X: X[:, 0], [(1, 0)])


def test_no_global_matplotlib_state(tmp_path):
    mpl = pytest.importorskip("matplotlib")
    before = mpl.get_backend()
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    h = jf.Integrator(seed=1).histogram(xs, nitn=1, neval=10_000, warmup=1)
    fig = h.plot(tmp_path / "h.png")
    assert mpl.get_backend() == before and (tmp_path / "h.png").stat().st_size > 5000
    assert fig.axes
    import matplotlib.pyplot as plt
    plt.close(fig)
    src = "\n".join(p.read_text() for p in (ROOT / "src" / "jpsi_fast").rglob("*.py"))
    assert "matplotlib.use(" not in src


# ------------------------------------------------------------------------------------------------ user Cython
@pytest.mark.slow
def test_user_written_cython_integrand(tmp_path):
    pytest.importorskip("Cython")
    work = tmp_path / "user_integrand"
    shutil.copytree(ROOT / "examples" / "user_integrand", work)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(work), os.environ.get("PYTHONPATH")])))
    build = subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=work, env=env,
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    run = subprocess.run([sys.executable, "run.py"], cwd=work, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "first moment / integral = 0.300" in run.stdout
    probe = subprocess.run([sys.executable, "-c", (
        "import pickle, jpsi_fast as jf; from gaussian_peak import GaussianPeak; g = GaussianPeak(3, 0.4, 0.05);"
        "r = jf.Integrator([(0, 1)] * 3, seed=2).integrate(g, nitn=6, neval=20000);"
        "r1 = jf.Integrator([(0, 1)] * 3, seed=2, n_threads=1).integrate(pickle.loads(pickle.dumps(g)), nitn=6, "
        "neval=20000); assert (r.mean == r1.mean).all(); print(r[0].mean, r[0].sdev)")],
        cwd=work, env=env, capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr[-3000:]
    mean, sdev = map(float, probe.stdout.split())
    assert abs(mean - 1.0) < 4 * sdev and sdev < 2e-3
