"""Python API contract: parameters, result object, broadcasting, dtypes, errors, threads."""
import numpy as np
import pytest

import jpsi_fast as jf


def test_params_defaults_and_replace():
    p = jf.Params()
    assert (p.sqrt_s, p.M, p.mu_pgf, p.tmd_pdf) == (63.0, 3.1, 30.0, "gaussian")
    assert p.ldme_3p0_8 == pytest.approx(1.3454e-2, rel=1e-4)
    assert p.mu_ff_value == 3.1 and p.s == 63.0 ** 2
    q = p.replace(sqrt_s=105.0, tmd_pdf="collinear")
    assert (q.sqrt_s, q.tmd_pdf, p.sqrt_s) == (105.0, "collinear", 63.0)
    with pytest.raises(Exception):
        p.sqrt_s = 1.0                                       # frozen


@pytest.mark.parametrize("change, word", [(dict(sqrt_s=-1.0), "sqrt_s"), (dict(kt2_pdf=0.0), "kt2_pdf"),
                                          (dict(tmd_pdf="lorentzian"), "tmd_pdf"), (dict(flavours=("c",)), "flavours"),
                                          (dict(M=float("nan")), "M"), (dict(mu_ff=0.1), "mu_ff"),
                                          (dict(mu_ff=0.3), "alpha_s"), (dict(alpha_em=1e155), "alpha_em"),
                                          (dict(pt2_pgf=5e-324), "pt2_pgf"), (dict(ldme_3s1_1=1e308), "ldme_3s1_1"),
                                          (dict(sqrt_s=1e300), "sqrt_s"), (dict(flavours=()), "flavours")])
def test_params_validation(change, word):
    with pytest.raises(ValueError, match=word):
        jf.Params(**change)


@pytest.mark.parametrize("change, word", [(dict(n_f=4.5), "n_f"), (dict(sqrt_s="63"), "sqrt_s"),
                                          (dict(M=True), "M")])
def test_params_types(change, word):
    with pytest.raises(TypeError, match=word):
        jf.Params(**change)


def test_result_object():
    xs = jf.CrossSection()
    x = np.array([0.2, 0.5, 0.3, 0.15])
    r = xs.evaluate(x, np.array([0.3, 0.75, 0.9, 0.6]), np.array([12, 20, 15, 25.0]), np.array([0.5, 1, 0.2, 3.0]))
    assert r.values.shape == (4, 3, 4) and r.channels == jf.CHANNELS and r.states == jf.STATES
    assert np.array_equal(r["ff", "U"], r.values[0, 0]) and r["pgf_3s1_1"].shape == (3, 4)
    np.testing.assert_allclose(r.total("U"), r.values[:, 0].sum(axis=0))
    f = r.fractions("U")
    np.testing.assert_allclose(f[:, :3].sum(axis=0), 1.0)
    assert np.all(f[:, 3] == 0)                              # y > 1
    assert list(r.dominant("U")) == [3, 0, 1, -1]
    assert list(r.dominant_names("U")) == ["pgf_3s1_1", "ff", "pgf_1s0_8", "none"]
    lam = r.lambda_theta()
    L, T = r.total("L"), r.total("T")
    np.testing.assert_allclose(lam[:3], ((T - 2 * L)[:3] / (T + 2 * L)[:3]))
    assert np.all((lam[:3] >= -1) & (lam[:3] <= 1)) and np.isnan(lam[3])
    assert r.lambda_theta("pgf_1s0_8")[0] == pytest.approx(0.0, abs=1e-14)    # L = U/3 -> isotropic
    np.testing.assert_allclose(r.per_dQ_dPT()[0, 0], 4 * np.array([12, 20, 15, 25.0]) * np.array([0.5, 1, 0.2, 3.0])
                               * r["ff", "U"])
    with pytest.raises(KeyError, match="channel"):
        r["gluon", "U"]
    # derived states when only some are evaluated
    r2 = xs.evaluate(x, 0.4, 12.0, 1.0, states=("L", "T"))
    r3 = xs.evaluate(x, 0.4, 12.0, 1.0)
    np.testing.assert_allclose(r2.total("U"), r3.total("U"), rtol=1e-15)
    with pytest.raises(KeyError, match="state"):
        xs.evaluate(0.3, 0.4, 12.0, 1.0, states="U").total("L")


def test_broadcasting_dtypes_layouts():
    xs = jf.CrossSection()
    x = np.linspace(0.2, 0.9, 6)[:, None]
    Q = np.linspace(10, 20, 5)[None, :]
    r = xs.evaluate(x, 0.4, Q, 1.0, channels=("ff", "pgf_1s0_8"), states="U")
    assert r.values.shape == (2, 1, 6, 5) and r.shape == (6, 5)
    flat = xs.evaluate(np.repeat(x, 5, axis=1).ravel(), 0.4, np.repeat(Q, 6, axis=0).ravel(), 1.0,
                       channels=("ff", "pgf_1s0_8"), states="U")
    assert np.array_equal(flat.values.reshape(2, 1, 6, 5), r.values)
    # float32, ints, Fortran order and strided views are converted once
    big = np.asfortranarray(np.tile(np.linspace(0.2, 0.9, 7), (4, 1)))
    for xx in (big.astype(np.float32), big[:, ::2], big.T):
        r1 = xs.evaluate(xx, 0.4, 12, 1)
        r2 = xs.evaluate(np.array(xx, dtype=np.float64, order="C"), 0.4, 12.0, 1.0)
        assert np.array_equal(r1.values, r2.values)
    assert xs.evaluate(0.3, 0.4, 12.0, 1.0).values.shape == (4, 3)
    assert xs.evaluate(np.empty(0), 0.4, 12.0, 1.0).values.shape == (4, 3, 0)


@pytest.mark.parametrize("args, word", [((0.0, 0.4, 12.0, 1.0), "x"), ((1.0, 0.4, 12.0, 1.0), "x"),
                                        ((np.nan, 0.4, 12.0, 1.0), "x"), ((0.3, 1.0, 12.0, 1.0), "z"),
                                        ((0.3, -0.1, 12.0, 1.0), "z"), ((0.3, 0.4, 0.0, 1.0), "Q"),
                                        ((0.3, 0.4, np.inf, 1.0), "Q"), ((0.3, 0.4, 12.0, -1e-9), "PT"),
                                        ((0.3, 0.4, 12.0, np.nan), "PT")])
def test_bad_kinematics_raise(args, word):
    xs = jf.CrossSection()
    with pytest.raises(ValueError, match=rf"^{word} must be finite and in"):
        xs.evaluate(*args)
    # also when buried in a large array evaluated on several threads
    big = [np.full(10_000, a) for a in (0.3, 0.4, 12.0, 1.0)]
    which = ("x", "z", "Q", "PT").index(word)
    big[which][7777] = args[which]
    with pytest.raises(ValueError, match=r"flat index 7777"):
        xs.evaluate(*big, n_threads=2)


def test_bad_arguments_raise():
    xs = jf.CrossSection()
    with pytest.raises(ValueError, match="channels"):
        xs.evaluate(0.3, 0.4, 12.0, 1.0, channels="gluon")
    with pytest.raises(ValueError, match="states"):
        xs.evaluate(0.3, 0.4, 12.0, 1.0, states=("U", "U"))
    with pytest.raises(ValueError, match="n_threads"):
        xs.evaluate(0.3, 0.4, 12.0, 1.0, n_threads=0)
    with pytest.raises(TypeError, match="n_threads"):
        xs.evaluate(0.3, 0.4, 12.0, 1.0, n_threads=1.5)
    with pytest.raises(TypeError, match="x"):
        xs.evaluate("a", 0.4, 12.0, 1.0)
    with pytest.raises(TypeError, match="params"):
        jf.CrossSection(params={"sqrt_s": 63})
    with pytest.raises(TypeError, match="pdf"):
        jf.CrossSection(pdf="GRV94LO")


def test_grid_range_through_cross_section(nnpdf_path):
    xs = jf.CrossSection(pdf=jf.pdf.LHAGrid(nnpdf_path))
    with pytest.raises(ValueError, match="PDF"):
        xs.evaluate(0.3, 0.4, 1.0, 1.0, n_threads=1)       # Q below the grid
    near = jf.CrossSection(pdf=jf.pdf.LHAGrid(nnpdf_path, extrapolate="nearest"))
    assert np.all(np.isfinite(near.evaluate(0.3, 0.4, 12.0, 1.0).values))
    # a forbidden point (y > 1) needs no PDF and is 0 even outside the grid
    assert np.all(xs.evaluate(0.001, 0.4, 12.0, 1.0).values == 0)


def test_openmp_helpers():
    assert isinstance(jf.openmp_enabled(), bool)
    assert jf.resolve_n_threads(1) == 1
    assert jf.resolve_n_threads(None) >= 1 and jf.resolve_n_threads(-1) >= 1
    if jf.openmp_enabled():
        assert jf.resolve_n_threads(3) == 3
