"""The SIMD kernel (_simd.h) against the scalar kernel: every SIMD level this CPU runs (the build's baseline ISA,
AVX2, AVX-512) agrees with JPSI_FAST_SIMD=0 to <= 1e-14 relative on every output, the levels agree with each
other bit for bit (no fused multiply-adds, our own exp), invalid and forbidden points behave as in the scalar path,
and results do not depend on the number of threads -- for the collinear and the Gaussian TMD model."""
import math

import numpy as np
import pytest

import jpsi_fast as jf
from jpsi_fast import _kernels

BEST = _kernels.simd_level("auto")
LEVELS = [lv for lv in (1, 2, 3) if lv <= BEST]
CHOICE = {0: "0", 1: "baseline", 2: "avx2", 3: "auto"}
TOL = 1e-14


def _points(n, seed=0):
    """Random points over and beyond the default domain: x from 1e-4 to 0.999, y up to 1.1 (forbidden beyond 1),
    Q from 1.3 GeV (inside GRV94's range at every factorization scale of the variations), P_T up to ~15 GeV."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(0.1, 0.999, n // 2), 10 ** rng.uniform(-4, -1, n - n // 2)])
    z = rng.uniform(0.05, 0.99, n)
    y = rng.uniform(0.0, 1.1, n)
    Q = np.maximum(np.sqrt(y * x * jf.Params().sqrt_s ** 2), 1.3)
    PT = np.abs(rng.normal(0.0, 3.0, n))
    return x, z, Q, PT


def _evaluate(monkeypatch, level, *args, model="collinear", **kw):
    monkeypatch.setenv(_kernels.SIMD_ENV, CHOICE[level])
    xs = jf.CrossSection(jf.Params(tmd_pdf=model))
    r = xs.evaluate(*args, **kw)
    return np.asarray(r.values if r.values is not None else r.base)


def _max_rel(a, b, scale=None):
    """Largest |a - b| / |scale| (scale: a itself by default)."""
    scale = np.abs(a) if scale is None else np.abs(scale)
    return float(np.max(np.abs(a - b) / np.maximum(scale, 1e-300)))


def _scale(values, states):
    """Per output the size of what it is computed from: |U| of the same channel for T = U - L (a difference,
    whose relative rounding grows as 1/(1 - L/U)), the value itself otherwise."""
    scale = np.abs(values).copy()
    if "T" in states:
        scale[:, states.index("T")] = np.abs(values[:, states.index("U")])
    return scale


def test_own_exp_within_one_ulp_of_libm():
    rng = np.random.default_rng(3)
    xe = np.concatenate([rng.uniform(-745.0, 709.7, 200_000), rng.uniform(-2.0, 2.0, 100_000)])
    ref = np.array([math.exp(v) for v in xe])
    got = _kernels.simd_exp(xe)
    normal = ref > np.finfo(float).tiny
    assert np.all(np.abs(got - ref)[normal] <= np.spacing(ref[normal]))
    assert np.all(np.abs(got - ref)[~normal] <= 2 * 5e-324)          # subnormal results
    special = np.array([-np.inf, -800.0, 710.0, np.inf, np.nan, 0.0, -745.0, 709.78])
    with np.errstate(over="ignore"):
        expect = np.exp(special)
    np.testing.assert_allclose(_kernels.simd_exp(special), expect, rtol=2e-16)


@pytest.mark.skipif(not LEVELS, reason="no SIMD level on this CPU/build")
@pytest.mark.parametrize("model", ["collinear", "gaussian"])
@pytest.mark.parametrize("states,variations", [
    (None, None),
    (("U", "L", "T"), None),
    (("U", "L", "Sp0", "Spm"), None),
    (("U", "L"), "7-point"),
    (("U", "L", "Sp0"), "3-point"),
])
def test_simd_levels_agree_with_the_scalar_kernel(monkeypatch, model, states, variations):
    pts = _points(40_000 if model == "collinear" else 10_000)
    v = None if variations is None else jf.Variations(scales=variations)
    kw = dict(states=states, variations=v, n_threads=1, model=model)
    scalar = _evaluate(monkeypatch, 0, *pts, **kw)
    assert np.count_nonzero(scalar) > 0.5 * scalar.size and np.all(np.isfinite(scalar))
    scale = _scale(scalar, states or jf.components.STATES) if v is None else None
    first = None
    for lv in LEVELS:
        got = _evaluate(monkeypatch, lv, *pts, **kw)
        assert _max_rel(scalar, got, scale) <= TOL, (lv, _max_rel(scalar, got, scale))
        np.testing.assert_array_equal(got == 0, scalar == 0)            # forbidden points: exactly 0 in both
        if first is None:
            first = got
        else:                                        # every ISA rounds alike: bit-identical levels
            np.testing.assert_array_equal(first, got)


@pytest.mark.skipif(not LEVELS, reason="no SIMD level on this CPU/build")
@pytest.mark.parametrize("channels", [("ff",), ("pgf_3s1_1",), ("pgf_1s0_8", "pgf_3pj_8")])
@pytest.mark.parametrize("model", ["collinear", "gaussian"])
def test_channel_subsets_and_width_variations(monkeypatch, channels, model):
    pts = _points(5_000, seed=1)
    for kw in (dict(channels=channels, states=("U", "L", "Sp0", "Spm")),
               dict(channels=channels, states=("U", "L"), variations=jf.Variations(widths=2.0))):
        scalar = _evaluate(monkeypatch, 0, *pts, model=model, **kw)
        got = _evaluate(monkeypatch, BEST, *pts, model=model, **kw)
        assert _max_rel(scalar, got) <= TOL


@pytest.mark.skipif(not LEVELS, reason="no SIMD level on this CPU/build")
def test_threads_chunks_and_broadcasting_do_not_change_simd_results(monkeypatch):
    pts = _points(100_003, seed=2)
    one = _evaluate(monkeypatch, BEST, *pts, n_threads=1)
    two = _evaluate(monkeypatch, BEST, *pts, n_threads=2)
    np.testing.assert_array_equal(one, two)
    part = _evaluate(monkeypatch, BEST, *(a[1234:1300] for a in pts), n_threads=2)
    np.testing.assert_array_equal(one[..., 1234:1300], part)
    single = _evaluate(monkeypatch, BEST, *(a[77] for a in pts))
    np.testing.assert_array_equal(one[..., 77], single)


@pytest.mark.skipif(not LEVELS, reason="no SIMD level on this CPU/build")
def test_invalid_points_raise_as_in_the_scalar_path(monkeypatch):
    x, z, Q, PT = (a[:1000].copy() for a in _points(1000, seed=4))
    for name, arr, bad in (("x", x, 1.0), ("z", z, -0.1), ("Q", Q, np.nan), ("PT", PT, 1e9)):
        saved = arr[500]
        arr[500] = bad
        messages = []
        for lv in (0, BEST):
            monkeypatch.setenv(_kernels.SIMD_ENV, CHOICE[lv])
            with pytest.raises(ValueError) as err:
                jf.CrossSection(jf.Params(tmd_pdf="collinear")).evaluate(x, z, Q, PT)
            messages.append(str(err.value))
        assert messages[0] == messages[1] and name in messages[0]
        arr[500] = saved


def test_simd_choice_and_eligible_layouts(monkeypatch):
    assert _kernels.simd_level("0") == 0 and _kernels.simd_level(False) == 0
    assert _kernels.simd_level("baseline") == min(1, BEST)
    assert _kernels.simd_level(True) == BEST
    assert _kernels.simd_level("avx2") <= BEST
    monkeypatch.setenv(_kernels.SIMD_ENV, "0")
    assert _kernels.simd_level() == 0
    monkeypatch.setenv(_kernels.SIMD_ENV, "fast please")
    with pytest.raises(ValueError, match="JPSI_FAST_SIMD"):
        _kernels.simd_level()
    monkeypatch.delenv(_kernels.SIMD_ENV)
    assert _kernels.simd_name(0) == "scalar" and _kernels.simd_name(BEST) in ("sse2", "neon", "generic", "avx2",
                                                                              "avx512")
    coll = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    gauss = jf.CrossSection(jf.Params(tmd_pdf="gaussian"))
    lay = coll.layout(None, ("U", "L"), None)
    assert coll.kernel_config(lay, derived=True).simd == BEST
    for states in (None, ("U", "L", "T", "Sp0", "Spm")):          # derived components (T = U - L) as well
        assert coll.kernel_config(coll.layout(None, states, None), derived=True).simd == BEST
    for v in (jf.Variations(scales="7-point"), jf.Variations(ldme_sets=("bckl2014",)),
              jf.Variations(widths=2.0)):
        assert coll.kernel_config(coll.layout(None, None, v), derived=False).simd == BEST
    assert gauss.kernel_config(gauss.layout(None, ("U", "L"), None), derived=True).simd == BEST
    # polarized beams (helicity PDFs) run the scalar kernel
    pol = gauss.layout(None, ("U", "U_LL"), None, beam=(1.0, 1.0))
    assert gauss.kernel_config(pol, derived=True).simd == 0
    # the analytic GRV94 (no table) runs the scalar kernel
    exact = jf.CrossSection(jf.Params(tmd_pdf="collinear"), pdf=jf.pdf.GRV94LO(exact=True))
    assert _kernels.simd_path(exact.kernel_config(lay, derived=True), exact.pdf.core) == 0
