"""Tests of the reference implementation's SPEC sections 10 (theory variations and
uncertainties), 11 (longitudinally polarized beams, GRSV 2000 helicity PDFs) and 12 (J/psi
spin density matrix): every printed check value, the listed properties on random points, and
hand-computed examples of the uncertainty formulas."""

import dataclasses
import math
from decimal import Decimal

import numpy as np
import pytest
from scipy import special, stats

from conftest import SHARED, random_points, shared_path
from jpsi_fast import reference as ref

GRSV_STD = SHARED / "pdfsets" / "grsv2000" / "std2000_lo_g1.grid"
GRSV_VAL = SHARED / "pdfsets" / "grsv2000" / "val2000_lo_g1.grid"
needs_grsv = pytest.mark.shared("pdfsets/grsv2000/std2000_lo_g1.grid")

COLLINEAR = ref.make_params(tmd_pdf="collinear")


def assert_printed(value, printed, slack=1.0001):
    """``value`` rounds to the printed decimal string (within half a unit of its last digit)."""
    d = Decimal(printed)
    half_ulp = 0.5 * 10.0 ** d.as_tuple().exponent
    assert abs(float(value) - float(d)) <= half_ulp * slack, (value, printed)


@pytest.fixture(scope="module")
def grsv():
    return ref.GRSV2000(shared_path("pdfsets/grsv2000/std2000_lo_g1.grid"))


# ================================================================== section 10.1 LDME sets

LDME_TABLE = {  # name: (3S1[1] GeV^3, 3S1[8], 1S0[8], P0) with octets and P0 in 1e-2 GeV^3
    "chao2012": ("1.16", "0.30", "8.9", "0.56"),
    "chao2012_set2": ("1.16", "1.4", "0", "2.4"),
    "chao2012_set3": ("1.16", "0", "11", "0"),
    "bckl2014": ("1.16", "1.1", "9.9", "0.49"),
    "sharma_vitev2013": ("1.2", "0.13", "1.8", "1.8"),
    "pythia8": ("1.16", "1.19", "1.0", "1.0"),
    "bk2011_a": ("1.32", "0.224", "4.97", "-0.716"),
    "bk2011_b": ("1.32", "0.168", "3.04", "-0.404"),
    "gwwz2013": ("1.16", "-0.46", "9.7", "-0.95"),
}
LDME_UNC_TABLE = {  # name: (3S1[8], 1S0[8], P0) +- in 1e-2 GeV^3; absent = 0
    "chao2012": ("0.12", "0.98", "0.21"),
    "bckl2014": ("1.0", "2.2", "0.44"),
    "sharma_vitev2013": ("0.13", "0.87", "0.87"),
    "bk2011_a": ("0.059", "0.44", "0.089"),
    "bk2011_b": ("0.046", "0.35", "0.072"),
    "gwwz2013": ("0.13", "0.9", "0.25"),
}
KEYS = ("ldme_3s1_1", "ldme_3s1_8", "ldme_1s0_8", "ldme_3p0_8_reduced")


def test_ldme_set_table():
    assert set(ref.LDME_SETS) == set(LDME_TABLE) == set(ref.LDME_SET_UNCERTAINTIES)
    for name, row in LDME_TABLE.items():
        expected = [float(row[0])] + [float(v + "e-2") for v in row[1:]]
        got = [ref.LDME_SETS[name][k] for k in KEYS]
        np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)
        unc = LDME_UNC_TABLE.get(name, ("0", "0", "0"))
        got_unc = [ref.LDME_SET_UNCERTAINTIES[name][k] for k in KEYS]
        np.testing.assert_allclose(got_unc, [0.0] + [float(v + "e-2") for v in unc], rtol=1e-15, atol=0)
    # the default set is chao2012, <O(3P0[8])> = (M/2)^2 P0
    for k in KEYS:
        assert ref.LDME_SETS["chao2012"][k] == getattr(ref.DEFAULTS, k)


def test_ldme_set_params_negative_sets():
    p = ref.ldme_set_params("bckl2014")
    assert p.ldme_3s1_8 == 1.1e-2 and p.ldme_1s0_8 == 9.9e-2 and p.sqrt_s == 63.0
    for name in ("bk2011_a", "bk2011_b", "gwwz2013"):
        with pytest.raises(ValueError, match=name):
            ref.ldme_set_params(name)
        with pytest.warns(UserWarning, match=name):
            p = ref.ldme_set_params(name, allow_negative_ldme=True)
        assert p.ldme_3p0_8_reduced < 0
    with pytest.raises(ValueError):
        ref.ldme_set_params("nope")
    # other fields are kept from the given params
    assert ref.ldme_set_params("pythia8", ref.make_params(sqrt_s=141.0)).sqrt_s == 141.0


def test_ldme_half_width_hand_example():
    # chao2012: c_n = value/LDME_n, delta = sqrt(sum (c_n delta_n)^2)
    vals = {"ff": 3.0, "pgf_1s0_8": 8.9, "pgf_3pj_8": 0.56, "pgf_3s1_1": 100.0}
    expected = math.sqrt((3.0 / 0.30 * 0.12) ** 2 + (8.9 / 8.9 * 0.98) ** 2 + (0.56 / 0.56 * 0.21) ** 2)
    assert ref.ldme_set_half_width(vals, "chao2012") == pytest.approx(expected, rel=1e-14)
    assert ref.ldme_set_half_width({"pgf_3s1_1": 5.0}, "chao2012") == 0.0
    assert ref.ldme_set_half_width(vals, "pythia8") == 0.0
    np.testing.assert_allclose(ref.ldme_set_half_width({"ff": np.array([1.0, -2.0])}, "gwwz2013"),
                               np.array([1.0, 2.0]) / 0.46 * 0.13, rtol=1e-14)


@pytest.mark.parametrize("name", ["chao2012", "bckl2014", "sharma_vitev2013"])
def test_ldme_half_width_equals_one_at_a_time_shifts(name):
    """Linearity: shifting each LDME by its delta changes sigma by exactly c_n delta_n."""
    x, z, Q, PT = (np.array(v) for v in ([0.2, 0.5, 0.6], [0.3, 0.75, 0.5], [12.0, 20.0, 40.0],
                                         [0.5, 1.0, 2.0]))
    p = dataclasses.replace(ref.ldme_set_params(name), tmd_pdf="collinear")
    central = ref.evaluate(x, z, Q, PT, params=p)
    per_channel = {c: central[c, "U"] for c in ref.CHANNELS}
    total = sum(per_channel.values())
    shifts2 = 0.0
    for k in KEYS:
        d = ref.LDME_SET_UNCERTAINTIES[name][k]
        shifted = ref.evaluate(x, z, Q, PT, params=dataclasses.replace(p, **{k: getattr(p, k) + d}))
        shifts2 = shifts2 + (shifted.values[:, 0].sum(axis=0) - total) ** 2
    np.testing.assert_allclose(ref.ldme_set_half_width(per_channel, name), np.sqrt(shifts2), rtol=1e-9)


# ================================================================== section 10.2 scales

def test_scale_variation_sets():
    assert ref.SCALE_VARIATIONS["3-point"][0] == (1, 1)
    assert sorted(ref.SCALE_VARIATIONS["3-point"]) == [(0.5, 0.5), (1, 1), (2, 2)]
    assert ref.SCALE_VARIATIONS["7-point"][0] == (1, 1)
    assert sorted(ref.SCALE_VARIATIONS["7-point"]) == sorted(
        [(1, 1), (2, 2), (0.5, 0.5), (2, 1), (1, 2), (0.5, 1), (1, 0.5)])


ALPHA_POWER = {"ff": 2, "pgf_1s0_8": 1, "pgf_3pj_8": 1, "pgf_3s1_1": 2}


@pytest.mark.parametrize("model", ["collinear", "gaussian"])
@pytest.mark.parametrize("xi_R", [0.5, 2.0])
def test_alpha_s_variation_is_exact_rescaling(model, xi_R):
    x, z, Q, PT = random_points(40, seed=101)
    p = ref.make_params(tmd_pdf=model)
    central = ref.evaluate(x, z, Q, PT, params=p)
    varied = ref.evaluate_scale_variation(x, z, Q, PT, xi_R, 1.0, params=p)
    assert varied.values.shape == central.values.shape
    assert varied.channels == central.channels and varied.states == central.states
    for ci, c in enumerate(ref.CHANNELS):
        mu = 3.1 if c == "ff" else 30.0
        ratio = (ref.alpha_s(xi_R * mu) / ref.alpha_s(mu)) ** ALPHA_POWER[c]
        np.testing.assert_allclose(varied.values[ci], central.values[ci] * ratio, rtol=1e-12, atol=0)
    assert np.any(central.values > 0)


class _ScaledGRV(ref.GRV94LO):
    """GRV94 LO evaluated at xi * Q (an independent way to move the PDF scale)."""

    def __init__(self, xi):
        self.xi = xi

    def xfxQ(self, pid, x, Q):
        return ref.GRV94LO.xfxQ(self, pid, x, self.xi * np.asarray(Q))


@pytest.mark.parametrize("xi_R, xi_F", [(2.0, 2.0), (0.5, 0.5), (1.0, 2.0), (1.0, 0.5), (2.0, 1.0)])
def test_scale_variation_direct(xi_R, xi_F):
    x, z, Q, PT = random_points(30, seed=102)
    p = ref.make_params(tmd_pdf="collinear")
    got = ref.evaluate_scale_variation(x, z, Q, PT, xi_R, xi_F, params=p)
    p2 = ref.make_params(tmd_pdf="collinear", mu_ff=xi_R * 3.1, mu_pgf=xi_R * 30.0)
    expected = ref.evaluate(x, z, Q, PT, params=p2, pdf=_ScaledGRV(xi_F))
    np.testing.assert_allclose(got.values, expected.values, rtol=1e-13, atol=0)
    if xi_F != 1.0:  # the PDF scale really moves, the kinematic Q does not (y and zeros unchanged)
        central = ref.evaluate(x, z, Q, PT, params=p)
        phys = central.values[0, 0] > 0
        assert np.all(np.abs(got.values[:, 0][:, phys] / central.values[:, 0][:, phys] - 1) > 1e-6)
        np.testing.assert_array_equal(got.values == 0, central.values == 0)


def test_scale_variation_pdf_validity_and_band():
    with pytest.raises(ValueError):
        ref.evaluate_scale_variation(0.3, 0.5, 1.0, 0.5, 1.0, 0.5)   # (0.5 GeV)^2 < 0.4 GeV^2
    ref.evaluate_scale_variation(0.3, 0.5, 2.0, 0.5, 1.0, 0.5)
    vals = [np.array([1.0, 5.0]), np.array([2.0, 3.0]), np.array([0.5, 6.0])]
    c, lo, hi = ref.scale_band(vals)
    np.testing.assert_array_equal(c, [1.0, 5.0])
    np.testing.assert_array_equal(lo, [0.5, 3.0])
    np.testing.assert_array_equal(hi, [2.0, 6.0])
    c2, lo2, hi2 = ref.scale_band(dict(zip([(2, 2), (1, 1), (0.5, 0.5)], vals)))
    np.testing.assert_array_equal(c2, [2.0, 3.0])
    np.testing.assert_array_equal(lo2, lo)
    # a real 7-point band contains the central value
    x, z, Q, PT = random_points(10, seed=103)
    res = [ref.evaluate_scale_variation(x, z, Q, PT, r, f, params=COLLINEAR).values
           for r, f in ref.SCALE_VARIATIONS["7-point"]]
    c, lo, hi = ref.scale_band(res)
    assert np.all(lo <= c) and np.all(c <= hi) and np.any(lo < hi)


# ================================================================== section 10.3 PDF uncertainties

def test_replicas_hand_example():
    v = np.array([10.0, 1.0, 2.0, 3.0, 4.0])   # member 0 is not used for replicas
    u = ref.pdf_uncertainty(v, "replicas")
    assert u.central == pytest.approx(2.5, rel=1e-15)
    sd = math.sqrt(4 / 3 * ((1 + 4 + 9 + 16) / 4 - 2.5**2))   # = sample std = sqrt(5/3)
    assert sd == pytest.approx(math.sqrt(5 / 3))
    for e in (u.errplus, u.errminus, u.errsymm):
        assert e == pytest.approx(sd, rel=1e-14)
    # chi^2(1 dof) quantiles as printed in LHAPDF's PDFSet.cc: 0.68 -> 0.988946, 1 sigma -> 1,
    # 0.90 -> 2.70554, 0.95 -> 3.84146
    for cl, q in ((68.0, 0.988946), (ref.CL_1SIGMA, 1.0), (90.0, 2.70554), (95.0, 3.84146)):
        assert stats.chi2.ppf(cl / 100, 1) == pytest.approx(q, abs=5e-6)
    # CL rescaling 68.27 -> 90: sqrt(q(0.90) / q(0.6827))
    u90 = ref.pdf_uncertainty(v, "replicas", cl_req=90.0)
    factor = math.sqrt(stats.chi2.ppf(0.9, 1) / stats.chi2.ppf(0.6827, 1))
    assert u90.scale == pytest.approx(factor, rel=1e-14)
    # the set's CL equal to the requested one: no rescaling at all
    assert ref.pdf_uncertainty(v, "replicas", cl_set=ref.CL_1SIGMA, cl_req=ref.CL_1SIGMA).scale == 1.0
    assert u90.errsymm == pytest.approx(sd * factor, rel=1e-14) and u90.central == u.central
    # vectorised over a trailing axis; constant replicas give 0
    vv = np.stack([v, np.full(5, 7.0)], axis=1)
    uv = ref.pdf_uncertainty(vv, "replicas")
    np.testing.assert_allclose(uv.errsymm, [sd, 0.0], rtol=1e-14)
    np.testing.assert_allclose(uv.central, [2.5, 7.0], rtol=1e-15)


def test_replicas_alternative_hand_example():
    # 10 replicas 1..10 (shuffled); median = 5.5; CL 68.27: upper = round(0.5*1.6827*10) = 8,
    # lower = 1 + round(0.5*0.3173*10) = 3 -> errplus = 8 - 5.5, errminus = 5.5 - 3
    reps = np.array([7, 2, 9, 4, 10, 1, 6, 3, 8, 5], dtype=float)
    v = np.concatenate([[100.0], reps])
    u = ref.pdf_uncertainty(v, "replicas", alternative=True)
    assert (u.central, u.errplus, u.errminus, u.errsymm) == (5.5, 2.5, 2.5, 2.5)
    # odd count: 9 replicas 1..9: median 5; upper = round(0.5*1.6827*9 = 7.57) = 8,
    # lower = 1 + round(1.43) = 2 -> +3, -3
    u = ref.pdf_uncertainty(np.concatenate([[0.0], np.arange(9.0, 0, -1)]), "replicas", alternative=True)
    assert (u.central, u.errplus, u.errminus) == (5.0, 3.0, 3.0)
    # 90% CL on 10, in double precision as LHAPDF evaluates it: upper = round(0.5*1.9*10 = 9.5) = 10
    # (half away from zero); lower = 1 + round(0.5*(1-0.9)*10 = 0.49999999999999989) = 1
    u = ref.pdf_uncertainty(v, "replicas", cl_req=90.0, alternative=True)
    assert (u.errplus, u.errminus) == (10 - 5.5, 5.5 - 1)
    # 60% CL on 10: upper = round(8.0) = 8, lower = 1 + round(2.0) = 3; no chi^2 rescaling
    u = ref.pdf_uncertainty(v, "replicas", cl_req=60.0, alternative=True)
    assert (u.errplus, u.errminus) == (8 - 5.5, 5.5 - 3)
    with pytest.raises(ValueError):
        ref.pdf_uncertainty(v, "hessian", alternative=True)


def test_symmhessian_hand_example():
    v = np.array([5.0, 6.0, 3.0, 5.5])
    u = ref.pdf_uncertainty(v, "symmhessian")
    d = math.sqrt(1 + 4 + 0.25)
    assert u.central == 5.0
    assert (u.errplus, u.errminus, u.errsymm) == pytest.approx((d, d, d), rel=1e-15)
    u68 = ref.pdf_uncertainty(v, "symmhessian", cl_set=90.0, cl_req=68.27)
    f = math.sqrt(stats.chi2.ppf(0.6827, 1) / stats.chi2.ppf(0.90, 1))
    assert u68.errsymm == pytest.approx(d * f, rel=1e-14) and u68.scale == pytest.approx(f)


def test_hessian_hand_example():
    # X0 = 10; pairs (12, 9), (8, 7), (10.5, 11)
    v = np.array([10.0, 12.0, 9.0, 8.0, 7.0, 10.5, 11.0])
    u = ref.pdf_uncertainty(v, "hessian")
    assert u.central == 10.0
    assert u.errplus == pytest.approx(math.sqrt(2**2 + 0 + 1**2), rel=1e-15)
    assert u.errminus == pytest.approx(math.sqrt(1**2 + 3**2 + 0), rel=1e-15)
    assert u.errsymm == pytest.approx(0.5 * math.sqrt(3**2 + 1**2 + 0.5**2), rel=1e-15)
    # CL 90 set -> 68.27 requested (CT-style)
    u1 = ref.pdf_uncertainty(v, "hessian", cl_set=90.0)
    f = math.sqrt(stats.chi2.ppf(0.6827, 1) / stats.chi2.ppf(0.9, 1))
    np.testing.assert_allclose([u1.errplus, u1.errminus, u1.errsymm],
                               np.array([u.errplus, u.errminus, u.errsymm]) * f, rtol=1e-14)
    # one parameter-variation pair at the end ("hessian+as"): added in quadrature
    w = np.concatenate([v, [10.4, 9.8]])
    u2 = ref.pdf_uncertainty(w, "hessian+as")
    assert u2.err_par == pytest.approx(0.3, rel=1e-14)
    assert u2.errplus == pytest.approx(math.hypot(u.errplus, 0.3), rel=1e-14)
    assert u2.errsymm_pdf == pytest.approx(u.errsymm, rel=1e-15)
    with pytest.raises(ValueError):
        ref.pdf_uncertainty(v[:-1], "hessian")          # odd number of error members
    with pytest.raises(ValueError):
        ref.pdf_uncertainty(v, "montecarlo")


def test_correlations_hand_examples():
    a = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    b = np.array([9.0, 2.0, 4.0, 6.0, 8.0])
    assert ref.pdf_correlation(a, b, "replicas") == pytest.approx(1.0, rel=1e-14)
    assert ref.pdf_correlation(a, -b, "replicas") == pytest.approx(-1.0, rel=1e-14)
    # explicit replica formula
    c = np.array([0.0, 1.0, 0.0, 2.0, 1.0])
    A, C = a[1:], c[1:]
    dA, dC = np.std(A, ddof=1), np.std(C, ddof=1)
    expected = (np.mean(A * C) - A.mean() * C.mean()) / (dA * dC) * 4 / 3
    assert ref.pdf_correlation(a, c, "replicas") == pytest.approx(expected, rel=1e-13)
    # symmhessian: sum (A_k - A0)(B_k - B0) / (dA dB)
    a = np.array([1.0, 2.0, 0.0, 1.5])
    b = np.array([2.0, 2.0, 3.0, 1.0])
    da = math.sqrt(1 + 1 + 0.25)
    db = math.sqrt(0 + 1 + 1)
    assert ref.pdf_correlation(a, b, "symmhessian") == pytest.approx((0 - 1 - 0.5) / (da * db), rel=1e-14)
    # hessian: sum_k (A+ - A-)(B+ - B-) / (4 dA dB)
    a = np.array([1.0, 2.0, 0.0, 1.5, 1.0])
    b = np.array([2.0, 3.0, 2.5, 1.0, 2.0])
    da = 0.5 * math.sqrt(2**2 + 0.5**2)
    db = 0.5 * math.sqrt(0.5**2 + 1**2)
    assert ref.pdf_correlation(a, b, "hessian") == pytest.approx(
        (2 * 0.5 + 0.5 * -1) / (4 * da * db), rel=1e-14)
    # vectorised over a trailing axis and independent of the CL
    ab = np.stack([a, b], axis=1)
    np.testing.assert_allclose(ref.pdf_correlation(ab, ab, "hessian"), [1.0, 1.0], rtol=1e-14)


def test_read_info(tmp_path):
    text = """# a comment
SetDesc: "NNPDF3.1 LO: a: b # not a comment"
SetIndex: 315000
Authors: NNPDF Collaboration   # trailing comment
Reference: 'arXiv:1706.00428'
Format: lhagrid1
DataVersion: 1
NumMembers: 101
Particle: 2212
Flavors: [-5, -4, -3, -2, -1, 21, 1, 2, 3, 4, 5]
OrderQCD: 0
ForcePositive: 1
ErrorType: replicas
ErrorConfLevel: 68.27
XMin: 1.000000e-09
XMax: 1
QMin: 1.650000e+00
QMax: 1.000000e+05
MZ: 91.1876
AlphaS_MZ: 0.118
AlphaS_Qs: [1.65, 2.0,
            3.0, 1.0E+05]
AlphaS_Vals: [0.3, .25, 0.2, 0.08]
Names: ["a b", c]
Flag: true
"""
    path = tmp_path / "X.info"
    path.write_text(text)
    info = ref.read_info(path)
    assert info["SetDesc"] == "NNPDF3.1 LO: a: b # not a comment"
    assert info["SetIndex"] == 315000 and isinstance(info["SetIndex"], int)
    assert info["Authors"] == "NNPDF Collaboration"
    assert info["Reference"] == "arXiv:1706.00428"
    assert info["Format"] == "lhagrid1" and info["NumMembers"] == 101
    assert info["Flavors"] == [-5, -4, -3, -2, -1, 21, 1, 2, 3, 4, 5]
    assert info["ForcePositive"] == 1 and info["ErrorType"] == "replicas"
    assert info["ErrorConfLevel"] == 68.27 and info["XMin"] == 1e-9 and info["XMax"] == 1
    assert info["QMin"] == 1.65 and info["AlphaS_MZ"] == 0.118
    assert info["AlphaS_Qs"] == [1.65, 2.0, 3.0, 1e5]
    assert info["AlphaS_Vals"] == [0.3, 0.25, 0.2, 0.08]
    assert info["Names"] == ["a b", "c"] and info["Flag"] is True


# ================================================================== section 11 helicity PDFs

@needs_grsv
@pytest.mark.parametrize("pid, x, Q2, printed", [
    (2, 0.2, 144.0, "0.2735517"), (1, 0.2, 144.0, "-0.09913672"), (-2, 0.2, 144.0, "-0.002328364"),
    (21, 0.2, 144.0, "0.1183045"), (2, 0.5, 400.0, "0.1140098"), (21, 0.5, 400.0, "0.01110782"),
])
def test_grsv_check_values(grsv, pid, x, Q2, printed):
    assert_printed(grsv.xfxQ2(pid, x, Q2), printed)
    assert grsv.xfxQ(pid, x, math.sqrt(Q2)) == pytest.approx(grsv.xfxQ2(pid, x, Q2), rel=1e-14)


def _grid_rows(path):
    return np.loadtxt(path).reshape(41, 30, 8)


@needs_grsv
def test_grsv_knots_flavours_range(grsv):
    from jpsi_fast.reference._grsv2000 import GRSV_Q2_KNOTS, GRSV_X_KNOTS
    rows = _grid_rows(GRSV_STD)
    assert rows[0, 0, 0] == 3.4686e-03          # first number of the LO standard grid
    xk, qk = GRSV_X_KNOTS[:-1], GRSV_Q2_KNOTS
    X, Q2 = np.meshgrid(xk, qk, indexing="ij")
    for pid, col in ((2, 0), (1, 1), (-2, 2), (-1, 3), (3, 4), (-3, 4), (21, 5)):
        np.testing.assert_allclose(grsv.xfxQ2(pid, X, Q2), rows[:, :, col], rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(grsv.g1p(X, Q2), rows[:, :, 6], rtol=1e-13)
    np.testing.assert_array_equal(grsv.xfxQ2(3, 0.3, 10.0), grsv.xfxQ2(-3, 0.3, 10.0))
    assert grsv.xfxQ2(0, 0.3, 10.0) == grsv.xfxQ2(21, 0.3, 10.0)
    assert grsv.xfxQ2(4, 0.3, 10.0) == 0.0 and grsv.xfxQ2(-5, 0.3, 10.0) == 0.0
    assert grsv.xfxQ2(2, 1.0, 10.0) == 0.0 and grsv.xfxQ2(21, 1.0, 1e6) == 0.0
    for bad in ((1e-5, 10.0), (1.01, 10.0), (0.3, 0.7), (0.3, 1.1e6), (float("nan"), 10.0)):
        with pytest.raises(ValueError):
            grsv.xfxQ2(2, *bad)
    # bilinear in (ln x, ln Q^2) of x Du / (x (1-x)^3) inside a cell
    x0, x1, q0, q1 = 0.2, 0.225, 100.0, 180.0
    tx, tq = 0.3, 0.6
    x = math.exp((1 - tx) * math.log(x0) + tx * math.log(x1))
    q2 = math.exp((1 - tq) * math.log(q0) + tq * math.log(q1))
    red = lambda xx, qq: grsv.xfxQ2(2, xx, qq) / (xx * (1 - xx) ** 3)  # noqa: E731
    expected = ((1 - tx) * (1 - tq) * red(x0, q0) + tx * (1 - tq) * red(x1, q0)
                + (1 - tx) * tq * red(x0, q1) + tx * tq * red(x1, q1))
    assert red(x, q2) == pytest.approx(expected, rel=1e-13)
    if GRSV_VAL.exists():
        val = ref.GRSV2000(GRSV_VAL)
        assert val.xfxQ2(2, 1e-4, 0.8) == pytest.approx(2.4395e-04, rel=1e-12)


def test_clamp_positivity():
    d = np.array([0.5, -0.5, 2.0, -2.0, 0.0, 1.0])
    f = np.array([1.0, 1.0, 1.0, 1.0, 1.0, -1.0])
    np.testing.assert_array_equal(ref.clamp_positivity(d, f), [0.5, -0.5, 1.0, -1.0, 0.0, 0.0])


# ================================================================== section 11 polarized beams

ALL_POINTS = [(0.2, 0.3, 12.0, 0.5), (0.5, 0.75, 20.0, 1.0)]
ALL_TABLE = [("0.197536", "0.0707415", "0.0602085", "0.0613381"),
             ("0.221372", "0.1310725", "0.1559016", "0.1428373")]


@needs_grsv
@pytest.mark.parametrize("i", range(2))
def test_a_ll_check_values(grsv, i):
    x, z, Q, PT = ALL_POINTS[i]
    d_y, a_ff, a_s1, a_sum = ALL_TABLE[i]
    assert_printed(ref.depolarization(Q**2 / (x * 63.0**2)), d_y)
    sf = ref.polarized_structure_functions(x, z, Q, PT, params=COLLINEAR, helicity_pdf=grsv)
    a = ref.double_spin_asymmetry(sf, ["ff"])
    for s in "ULT":
        assert_printed(a[s], a_ff)
    assert a["U"] == pytest.approx(a["L"], rel=1e-13) and a["U"] == pytest.approx(a["T"], rel=1e-13)
    a = ref.double_spin_asymmetry(sf, ["pgf_3s1_1"])
    for s in "ULT":
        assert_printed(a[s], a_s1)
    assert_printed(ref.double_spin_asymmetry(sf)["U"], a_sum)
    # the positivity clamp does not act at these points (x <= 0.6)
    sf2 = ref.polarized_structure_functions(x, z, Q, PT, params=COLLINEAR, helicity_pdf=grsv,
                                            positivity=True)
    for c in ref.CHANNELS:
        for t in ("UU", "LU", "UL", "LL"):
            np.testing.assert_array_equal(sf2[c][t], sf[c][t])


@pytest.fixture(scope="module")
def polarized_random(grsv):
    pts = random_points(200, seed=111)
    out = {"points": pts}
    for model in ("collinear", "gaussian"):
        p = ref.make_params(tmd_pdf=model)
        out[model] = (ref.polarized_structure_functions(*pts, params=p, helicity_pdf=grsv),
                      ref.evaluate(*pts, params=p))
    return out


@needs_grsv
@pytest.mark.parametrize("model", ["collinear", "gaussian"])
def test_polarized_unpolarized_part_and_single_spin_cancellation(polarized_random, model):
    sf, unpol = polarized_random[model]
    for ci, c in enumerate(ref.CHANNELS):
        assert sf[c]["UU"].shape == (3, 200)
        for si, s in enumerate(ref.STATES):
            np.testing.assert_allclose(ref.state_sum(sf[c]["UU"], s), unpol.values[ci, si],
                                       rtol=1e-12, atol=1e-300)
            for t in ("LU", "UL"):  # single-spin terms cancel in every U, L, T yield
                assert np.all(np.abs(ref.state_sum(sf[c][t], s)) <= 1e-15 * unpol.values[ci, 0])
        # the helicity-0 single-spin terms vanish identically; +-1 are opposite
        for t in ("LU", "UL"):
            assert np.all(sf[c][t][1] == 0)
            np.testing.assert_array_equal(sf[c][t][0], -sf[c][t][2])
        # F_UU is positive, the +-1 helicities equal
        np.testing.assert_array_equal(sf[c]["UU"][0], sf[c]["UU"][2])
    # vector polarization shows up in ff and singlet only
    assert np.any(sf["ff"]["LU"][0] != 0) and np.any(sf["pgf_3s1_1"]["UL"][0] != 0)
    for c in ("pgf_1s0_8", "pgf_3pj_8"):
        assert np.all(sf[c]["LU"] == 0) and np.all(sf[c]["UL"] == 0)


@needs_grsv
def test_polarized_a_ll_collinear_formulas(polarized_random, grsv):
    sf, _ = polarized_random["collinear"]
    x, z, Q, PT = polarized_random["points"]
    y = Q**2 / (x * 63.0**2)
    phys = y <= 1
    D = y * (1 - y / 2) / (1 - y + y**2 / 2)
    pdf = ref.GRV94LO()
    e2 = {2: 4 / 9, -2: 4 / 9, 1: 1 / 9, -1: 1 / 9, 3: 1 / 9, -3: 1 / 9}
    num = sum(e * grsv.xfxQ(pid, x, Q) for pid, e in e2.items())
    den = sum(e * pdf.xfxQ(pid, x, Q) for pid, e in e2.items())
    a = ref.double_spin_asymmetry(sf, ["ff"])
    for s in "ULT":
        np.testing.assert_allclose(a[s][phys], (D * num / den)[phys], rtol=1e-12)
        assert np.all(np.isnan(a[s][~phys]))
    dg_g = grsv.xfxQ(21, x, Q) / pdf.xfxQ(21, x, Q)
    for c in ("pgf_1s0_8", "pgf_3pj_8", "pgf_3s1_1"):
        a = ref.double_spin_asymmetry(sf, [c])
        for s in "ULT":
            np.testing.assert_allclose(a[s][phys], (D * dg_g)[phys], rtol=1e-12)
    # y > 1: exactly 0
    for c in ref.CHANNELS:
        for t in ("UU", "LU", "UL", "LL"):
            assert np.all(sf[c][t][:, ~phys] == 0)
    assert np.any(~phys) and np.any(phys)


@needs_grsv
@pytest.mark.parametrize("model", ["collinear", "gaussian"])
def test_helicity_transfer(model):
    """A fully polarized quark (Delta q = q, same width): [s(+h) - s(-h)]/[s(+1) + s(-1)]
    = z(2-z)/(z^2-2z+2); from the lepton side times D(y)."""
    x, z, Q, PT = random_points(60, seed=112)
    p = ref.make_params(tmd_pdf=model, w_g1=0.25)
    sf = ref.polarized_structure_functions(x, z, Q, PT, params=p, helicity_pdf=ref.GRV94LO())
    ff = sf["ff"]
    y = Q**2 / (x * 63.0**2)
    ok = (y <= 1) & (ff["UU"][0] > 0)
    transfer = z * (2 - z) / (z * z - 2 * z + 2)
    sigma = (ff["UU"] + ff["UL"])[:, ok]   # S_N = +1, unpolarized lepton
    np.testing.assert_allclose((sigma[0] - sigma[2]) / (sigma[0] + sigma[2]), transfer[ok], rtol=1e-11)
    D = y * (1 - y / 2) / (1 - y + y**2 / 2)
    LU, UU = ff["LU"][:, ok], ff["UU"][:, ok]
    np.testing.assert_allclose((LU[0] - LU[2]) / (UU[0] + UU[2]), (D * transfer)[ok], rtol=1e-11)
    # Delta q = q and the same width: F_LL = D(y) F_UU exactly
    np.testing.assert_allclose(ff["LL"][:, ok], (D * ff["UU"])[:, ok], rtol=1e-12)


@needs_grsv
def test_polarized_cross_section_and_positivity(grsv):
    x, z, Q, PT = random_points(150, seed=113)
    x = np.concatenate([x, [0.9, 0.95, 0.8]])
    z, Q, PT = (np.concatenate([a, [0.5, 0.6, 0.3]]) for a in (z, Q, PT))
    Q[-3:] = [10.0, 12.0, 15.0]
    sf = ref.polarized_structure_functions(x, z, Q, PT, params=COLLINEAR, helicity_pdf=grsv,
                                           positivity=True)
    total = 0
    for le in (1, -1):
        for sn in (1, -1):
            xs = ref.polarized_cross_section(sf, le, sn)
            for c in ref.CHANNELS:
                expected = sf[c]["UU"] + le * sf[c]["LU"] + sn * sf[c]["UL"] + le * sn * sf[c]["LL"]
                np.testing.assert_array_equal(xs[c], expected)
                assert np.all(xs[c] >= -1e-12 * sf[c]["UU"])   # |Df| <= f: no negative rates
            total = total + xs["ff"]
    np.testing.assert_allclose(total / 4, sf["ff"]["UU"], rtol=1e-13, atol=0)
    for c in ref.CHANNELS:
        a = ref.double_spin_asymmetry(sf, [c])
        for s in "ULT":
            fin = np.isfinite(a[s])
            assert np.all(np.abs(a[s][fin]) <= 1 + 1e-12)
    # unclamped GRSV exceeds GRV94 at large x: the clamp acts there
    raw = ref.polarized_structure_functions(x[-3:], z[-3:], Q[-3:], PT[-3:], params=COLLINEAR,
                                            helicity_pdf=grsv)
    assert np.any(raw["pgf_3s1_1"]["LL"] != sf["pgf_3s1_1"]["LL"][:, -3:])


@needs_grsv
def test_polarized_gaussian_tends_to_collinear(grsv):
    x, z, Q, PT = np.array([0.2, 0.5, 0.6]), np.array([0.3, 0.75, 0.5]), \
        np.array([12.0, 20.0, 40.0]), np.array([0.5, 1.0, 2.0])
    coll = ref.polarized_structure_functions(x, z, Q, PT, params=COLLINEAR, helicity_pdf=grsv)["ff"]
    prev = None
    for w in (1e-2, 1e-3, 1e-4):
        g = ref.polarized_structure_functions(x, z, Q, PT, params=ref.make_params(kt2_pdf=w, w_g1=w),
                                              helicity_pdf=grsv)["ff"]
        dev = max(np.max(np.abs(g[t][[0, 1]] / coll[t][[0, 1]] - 1)) for t in ("UU", "LL"))
        dev = max(dev, max(np.max(np.abs(g[t][0] / coll[t][0] - 1)) for t in ("LU", "UL")))
        if prev is not None:
            assert dev < prev / 5
        prev = dev
    assert prev < 1e-3
    # the helicity-PDF width enters only F_UL, F_LL
    a = ref.polarized_structure_functions(x, z, Q, PT, params=ref.make_params(w_g1=0.1), helicity_pdf=grsv)
    b = ref.polarized_structure_functions(x, z, Q, PT, params=ref.make_params(w_g1=0.3), helicity_pdf=grsv)
    np.testing.assert_array_equal(a["ff"]["UU"], b["ff"]["UU"])
    np.testing.assert_array_equal(a["ff"]["LU"], b["ff"]["LU"])
    assert np.all(a["ff"]["LL"][1] != b["ff"]["LL"][1])


# ================================================================== section 12 density matrix

LAMBDA_POINTS = [(0.2, 0.3, 12.0, 0.5), (0.6, 0.5, 40.0, 2.0)]
LAMBDA_TABLE = [
    {"ffc": ("-0.9612143", "-0.0182215", "+0.1920544"), "ffg": ("-0.9582998", "-0.0179636", "+0.1905470"),
     "s1": ("+0.8669551", "0", "-0.2454013"), "sum": ("+0.5294125", "-0.0033219", "-0.1647809")},
    {"ffc": ("-0.3155373", "-0.2737851", "+0.6365503"), "ffg": ("-0.3211577", "-0.2673012", "+0.6302784"),
     "s1": ("-0.4541323", "0", "-0.4226072"), "sum": ("-0.3271988", "-0.2551575", "+0.5824452")},
]


@pytest.fixture(scope="module")
def lambda_points():
    x, z, Q, PT = (np.array(v) for v in zip(*LAMBDA_POINTS))
    return ref.density_matrix(x, z, Q, PT, params=COLLINEAR), ref.density_matrix(x, z, Q, PT)


@pytest.mark.parametrize("i", range(2))
def test_lambda_check_values(lambda_points, i):
    coll, gauss = lambda_points
    cases = {"ffc": coll["ff"], "ffg": gauss["ff"], "s1": gauss["pgf_3s1_1"],
             "sum": ref.sum_density_matrices(gauss)}
    for key, printed in LAMBDA_TABLE[i].items():
        lam = ref.lambdas(**cases[key])
        for name, p in zip(("theta", "phi", "thetaphi"), printed):
            if p == "0":
                assert lam[name][i] == 0.0
            else:
                assert_printed(lam[name][i], p)
    # the singlet does not depend on the ff model
    for e in ("S00", "Spp", "Sp0", "Spm"):
        assert coll["pgf_3s1_1"][e][i] == gauss["pgf_3s1_1"][e][i]


def _check_density_properties(dm, unpol, tol=1e-12):
    lam_all = {}
    for ci, c in enumerate(ref.CHANNELS):
        S00, Spp, Sp0, Spm = (dm[c][e] for e in ("S00", "Spp", "Sp0", "Spm"))
        U, L = unpol.values[ci, 0], unpol.values[ci, 1]
        np.testing.assert_allclose(S00 + 2 * Spp, U, rtol=1e-13, atol=1e-300)
        np.testing.assert_allclose(S00, L, rtol=1e-13, atol=1e-300)
        scale = U + 1e-300
        assert np.all(S00 >= 0) and np.all(Spp >= np.abs(Spm) - tol * scale)
        assert np.all(2 * Sp0**2 <= S00 * (Spp - Spm) + tol * scale**2)
        lam = ref.lambdas(S00, Spp, Sp0, Spm)
        ok = U > 0
        th, ph, tp = lam["theta"][ok], lam["phi"][ok], lam["thetaphi"][ok]
        assert np.all(np.abs(th) <= 1 + tol)
        assert np.all(np.abs(ph) <= (1 + th) / 2 + tol)
        assert np.all(tp**2 <= (1 - th) * (1 + th - 2 * ph) / 4 + tol)
        np.testing.assert_allclose(lam["tilde"][ok], ((th + 3 * ph) / (1 - ph)), rtol=1e-14)
        lam_all[c] = lam
    ok = unpol.values[:, 0].sum(axis=0) > 0
    # ff: lambda_phi <= 0, lambda_thetaphi >= 0
    assert np.all(lam_all["ff"]["phi"][ok] <= 0) and np.all(lam_all["ff"]["thetaphi"][ok] >= 0)
    # singlet: lambda_phi = 0, tilde = theta, lambda_thetaphi <= 0
    s = lam_all["pgf_3s1_1"]
    assert np.all(s["phi"][ok] == 0) and np.all(s["thetaphi"][ok] <= 0)
    np.testing.assert_allclose(s["tilde"][ok], s["theta"][ok], rtol=1e-14)
    # 1S0[8]: isotropic; 3PJ[8]: no phi terms
    for name in ("theta", "phi", "thetaphi", "tilde"):
        assert np.all(np.abs(lam_all["pgf_1s0_8"][name][ok]) <= 1e-15)
    assert np.all(lam_all["pgf_3pj_8"]["phi"][ok] == 0) and np.all(lam_all["pgf_3pj_8"]["thetaphi"][ok] == 0)
    # channel sum = (U_k + L_k)-weighted mean of the channel lambdas
    lam_sum = ref.lambdas(**ref.sum_density_matrices(dm))
    weights = (unpol.values[:, 0] + unpol.values[:, 1])[:, ok]
    for name in ("theta", "phi", "thetaphi"):
        mean = sum(weights[ci] * np.nan_to_num(lam_all[c][name][ok]) for ci, c in enumerate(ref.CHANNELS))
        np.testing.assert_allclose(lam_sum[name][ok], mean / weights.sum(axis=0), rtol=1e-11, atol=1e-14)
    # unphysical points: all zero
    for c in ref.CHANNELS:
        for e in ("S00", "Spp", "Sp0", "Spm"):
            assert np.all(dm[c][e][~ok] == 0)
    return lam_all


@pytest.mark.parametrize("model", ["collinear", "gaussian"])
def test_density_matrix_properties(model):
    pts = random_points(300, seed=121)
    p = ref.make_params(tmd_pdf=model)
    dm = ref.density_matrix(*pts, params=p)
    unpol = ref.evaluate(*pts, params=p)
    lam = _check_density_properties(dm, unpol)
    if model == "collinear":  # saturates the positivity bound, closed forms in z, P_T only
        x, z, Q, PT = pts
        ok = unpol.values[0, 0] > 0
        th, ph, tp = (lam["ff"][k][ok] for k in ("theta", "phi", "thetaphi"))
        np.testing.assert_allclose(4 * tp**2, (1 - th) * (1 + th - 2 * ph), rtol=1e-11, atol=1e-14)
        M = 3.1
        AT = PT**2 * (z * z - 2 * z + 2)
        BL = 4 * M**2 * (1 - z) ** 2
        np.testing.assert_allclose(th, ((AT - BL) / (AT + BL))[ok], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(ph, (-2 * (1 - z) * PT**2 / (AT + BL))[ok], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(tp, (2 * M * (2 - z) * (1 - z) * PT / (AT + BL))[ok], rtol=1e-12, atol=1e-15)


def test_density_matrix_wide_region_robust():
    """z near 1, P_T = 0, large P_T/z, y > 1: finite, positive, consistent (Gaussian model)."""
    pts = random_points(150, seed=122, wide=True)
    dm = ref.density_matrix(*pts)
    unpol = ref.evaluate(*pts)
    for c in ref.CHANNELS:
        for e in ("S00", "Spp", "Sp0", "Spm"):
            assert np.all(np.isfinite(dm[c][e]))
    _check_density_properties(dm, unpol, tol=1e-11)
    x, z, Q, PT = pts
    zero = PT == 0
    assert np.any(zero)
    for e in ("Sp0", "Spm"):   # P_T = 0: off-diagonal elements vanish
        assert np.all(dm["ff"][e][zero] == 0)


def test_density_matrix_limits():
    z = np.array([0.2, 0.5, 0.8, 0.95])
    # ff collinear: P_T -> 0 gives lambda_theta -> -1
    for PT in (1e-2, 1e-4, 1e-6):   # 1 + lambda_theta ~ P_T^2 (z^2-2z+2) / (2 M^2 (1-z)^2)
        lam = ref.lambdas(**ref.density_matrix(0.3, z, 15.0, PT, params=COLLINEAR)["ff"])
        assert np.all(np.abs(lam["theta"] + 1) <= PT**2 / (3.1**2 * (1 - z) ** 2))
    # P_T >> M: lambda_theta -> 1, lambda_phi -> -2(1-z)/(z^2-2z+2)
    for PT in (1e2, 1e4):   # corrections ~ 8 M^2 (1-z)^2 / (P_T^2 (z^2-2z+2)) < 10 M^2 / P_T^2
        lam = ref.lambdas(**ref.density_matrix(0.9, z, 50.0, PT, params=COLLINEAR)["ff"])
        np.testing.assert_allclose(lam["theta"], 1.0, rtol=0, atol=10 * 3.1**2 / PT**2)
        np.testing.assert_allclose(lam["phi"], -2 * (1 - z) / (z * z - 2 * z + 2), rtol=0,
                                   atol=10 * 3.1**2 / PT**2)
    # singlet: P_T -> 0 gives lambda_theta -> +1
    for PT in (1e-2, 1e-4, 1e-6):   # 1 - lambda_theta ~ 4 P_T^2 / (M^2 (1-z)^2 (1 + (1-z)^2))
        lam = ref.lambdas(**ref.density_matrix(0.3, z, 15.0, PT)["pgf_3s1_1"])
        assert np.all(np.abs(lam["theta"] - 1) <= 4 * PT**2 / (3.1**2 * (1 - z) ** 2))
    lam = ref.lambdas(**ref.density_matrix(0.3, z, 15.0, 0.0)["pgf_3s1_1"])
    np.testing.assert_array_equal(lam["theta"], 1.0)


@needs_grsv
def test_chunking_independence_and_shapes(grsv):
    x, z, Q, PT = random_points(12, seed=141)
    whole = ref.density_matrix(x, z, Q, PT)
    pol = ref.polarized_structure_functions(x, z, Q, PT, helicity_pdf=grsv)
    for i in range(12):
        one = ref.density_matrix(x[i], z[i], Q[i], PT[i])
        onep = ref.polarized_structure_functions(x[i], z[i], Q[i], PT[i], helicity_pdf=grsv)
        for c in ref.CHANNELS:
            for e in ("S00", "Spp", "Sp0", "Spm"):
                assert one[c][e].shape == () and one[c][e] == whole[c][e][i]
            for t in ("UU", "LU", "UL", "LL"):
                assert onep[c][t].shape == (3,)
                np.testing.assert_array_equal(onep[c][t], pol[c][t][:, i])
    grid = ref.density_matrix(np.array([0.2, 0.3])[:, None], 0.5, 12.0, np.array([0.0, 1.0, 2.0]))
    assert grid["ff"]["S00"].shape == (2, 3)
    with pytest.raises(ValueError, match="z"):
        ref.density_matrix(0.2, 1.0, 12.0, 1.0)
    with pytest.raises(ValueError, match="PT"):
        ref.polarized_structure_functions(0.2, 0.5, 12.0, -1.0, helicity_pdf=grsv)


def test_density_gaussian_tends_to_collinear():
    x, z, Q, PT = (np.array(v) for v in ([0.2, 0.5, 0.3, 0.6], [0.3, 0.75, 0.9, 0.5],
                                         [12.0, 20.0, 15.0, 40.0], [0.5, 1.0, 0.2, 2.0]))
    coll = ref.density_matrix(x, z, Q, PT, params=COLLINEAR)["ff"]
    prev = None
    for w in (1e-2, 1e-3, 1e-4, 1e-5):
        g = ref.density_matrix(x, z, Q, PT, params=ref.make_params(kt2_pdf=w))["ff"]
        dev = max(np.max(np.abs(g[e] / coll[e] - 1)) for e in ("S00", "Spp", "Sp0", "Spm"))
        if prev is not None:
            assert dev < prev / 5   # deviation ~ w
        prev = dev
    assert prev < 1e-3   # at w = 1e-5 (largest for the off-diagonal elements at small a = P_T/z)


# ----------------------------------------------------------- R_{n,p} accuracy and consistency

def test_r00_equals_section4_convolution():
    """R_{0,0}[3 D1], R_{0,0}[D1 - D1LL] agree with the section 4 code (a separate quad setup)."""
    x, z, Q, PT = random_points(120, seed=131, wide=True)
    KU, KL = ref.ff_kernels(z, PT)
    np.testing.assert_allclose(ref.ff_convolution("DU", 0, 0, z, PT, 0.25), KU, rtol=1e-10)
    np.testing.assert_allclose(ref.ff_convolution("D0", 0, 0, z, PT, 0.25), KL, rtol=1e-10)


def test_ff_combinations_equal_section3():
    z = np.linspace(0.05, 0.99, 9)[:, None]
    k = np.linspace(0.0, 6.0, 7)[None, :]
    D1, D1LL = ref.tmd_ff("D1", z, k), ref.tmd_ff("D1LL", z, k)
    scale = np.abs(D1)
    np.testing.assert_allclose(ref.ff_combination("D0", z, k), D1 - D1LL, rtol=1e-12, atol=1e-13 * scale.max())
    np.testing.assert_allclose(ref.ff_combination("Dpm", z, k), D1 + D1LL / 2, rtol=1e-12, atol=1e-13 * scale.max())
    np.testing.assert_allclose(ref.ff_combination("DU", z, k), 3 * D1, rtol=1e-14)
    for name in ("G1L", "D1LT", "D1TT"):   # printed signs: G1L > 0, D1LT, D1TT < 0
        np.testing.assert_allclose(ref.ff_combination(name, z, k), ref.tmd_ff(name, z, k), rtol=1e-14)


R_CASES = [(0.3, 0.5, 0.25), (0.5, 2.0, 0.25), (0.999, 0.3, 0.25), (0.95, 6.0, 0.25), (0.1, 6.0, 0.25),
           (0.7, 0.05, 0.19), (0.5, 1.0, 1e-3)]


@pytest.mark.parametrize("z, PT, w", R_CASES)
def test_r_np_vs_mpmath(z, PT, w):
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    M = mp.mpf("3.1")
    zz, a, ww = mp.mpf(z), mp.mpf(PT) / mp.mpf(z), mp.mpf(w)
    a_s = 2 * mp.pi / ((11 - mp.mpf(10) / 3) * mp.log(M / mp.mpf("0.2")))
    g = a_s**2 * mp.mpf("0.003") / (9 * mp.pi)

    def D(name, k):
        delta = zz**2 * k**2 + M**2 * (1 - zz)
        if name == "D1LT":
            return -2 * g * (2 - zz) * (1 - zz) / (M * delta**2)
        if name == "D1TT":
            return -2 * g * zz * (1 - zz) / (M * delta**2)
        return g * k**2 * zz**2 * (2 - zz) / (M**3 * delta**2)   # G1L

    sw = mp.sqrt(ww)
    k0 = M * mp.sqrt(1 - zz) / zz
    pts = sorted({mp.mpf(0)} | {q for q in [a + m * sw for m in (-8, -4, -2, -1, 0, 1, 2, 4, 8)]
                                + [k0 * f for f in (0.1, 0.3, 1, 3, 10)] if q > 0} | {a + 30 * sw})
    for name, n, p in (("D1LT", 1, 1), ("D1TT", 2, 2), ("G1L", 0, 0)):
        def f(k):
            return (2 / ww) * k * (k / M) ** p * mp.exp(-(k * k + a * a) / ww) * mp.besseli(n, 2 * a * k / ww) * D(name, k)
        expected = float(mp.quad(f, pts) + mp.quad(f, [a + 30 * sw, mp.inf]))
        got = float(ref.ff_convolution(name, n, p, z, PT, w))
        if PT == 0:
            assert got == expected
        else:
            assert got == pytest.approx(expected, rel=1e-11), (name, n, p)


@pytest.mark.parametrize("z, PT", [(0.3, 0.5), (0.6, 1.5), (0.8, 0.3)])
def test_r_np_vs_two_dimensional_integral(z, PT):
    """The angular reduction: R_{n,p}[D] = (1/(pi w)) int d^2k exp(-|k - a e_x|^2/w) (k/M)^p
    cos(n phi) D(k), integrated on a Cartesian Gauss-Legendre grid."""
    w, M = 0.25, 3.1
    a = PT / z
    half = 9 * math.sqrt(w)
    nodes, weights = np.polynomial.legendre.leggauss(120)
    edges = np.linspace(-half, half, 9)
    u = np.concatenate([0.5 * (e1 - e0) * nodes + 0.5 * (e0 + e1) for e0, e1 in zip(edges[:-1], edges[1:])])
    wu = np.concatenate([0.5 * (e1 - e0) * weights for e0, e1 in zip(edges[:-1], edges[1:])])
    kx, ky = np.meshgrid(a + u, u, indexing="ij")
    W = np.outer(wu, wu)
    k = np.hypot(kx, ky)
    phi = np.arctan2(ky, kx)
    gauss = np.exp(-((kx - a) ** 2 + ky**2) / w) / (math.pi * w)
    for name, n, p in (("D1LT", 1, 1), ("D1TT", 2, 2), ("D0", 0, 0), ("Dpm", 0, 0), ("G1L", 0, 0)):
        expected = np.sum(W * gauss * (k / M) ** p * np.cos(n * phi) * ref.ff_combination(name, z, k))
        got = float(ref.ff_convolution(name, n, p, z, PT, w))
        assert got == pytest.approx(expected, rel=1e-9), (name, n, p)


def test_bessel_weight_is_overflow_free():
    # the ive form at large 2ak/w: no overflow, no NaN
    v = ref.ff_convolution("D1TT", 2, 2, 0.05, 9.0, 1e-3)
    assert np.isfinite(v) and v < 0
    assert special.ive(2, 1e6) > 0
