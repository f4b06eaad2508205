"""Longitudinally polarized beams (docs/physics.md §11): the F_UU, F_LU, F_UL, F_LL structure of every channel in
the kernels against the independent NumPy reference, the SPEC §11 check values of A_LL, the properties (vanishing
single-spin asymmetries of U, L, T; A_LL = D(y) Dg/g for PGF and D(y) sum e^2 Dq / sum e^2 q for collinear ff;
helicity transfer), positivity clamping, errors."""
import numpy as np
import pytest

import jpsi_fast as jf
from jpsi_fast import reference as ref
from jpsi_fast.components import Layout
from conftest import random_points

EXACT = jf.pdf.GRV94LO(exact=True)
GRSV_GRID = ref._grsv2000.default_grsv_path("std")
needs_grid = pytest.mark.skipif(not GRSV_GRID.is_file(), reason="../shared GRSV 2000 grid not present")
POL_STATES = ("U", "L", "T", "U_LL", "L_LL", "T_LL", "V_LU", "V_UL")

# SPEC §11 check values (sqrt s = 63 GeV, GRV94 LO, GRSV 2000 LO std without positivity clamping, collinear ff):
# (x, z, Q, PT) -> D(y), A_LL ff (U = L = T), A_LL 3S1[1], A_LL of the channel sum (U)
SPEC11 = [((0.2, 0.3, 12, 0.5), 0.197536, 0.0707415, 0.0602085, 0.0613381),
          ((0.5, 0.75, 20, 1.0), 0.221372, 0.1310725, 0.1559016, 0.1428373)]


def _xs(model="collinear", positivity=False, **kw):
    return jf.CrossSection(jf.Params(tmd_pdf=model, **kw), EXACT, helicity_positivity=positivity)


@pytest.mark.parametrize("point, dy, ff, singlet, total", SPEC11)
def test_spec11_check_values(point, dy, ff, singlet, total):
    r = _xs().evaluate(*point, lambda_e=1, S_N=1)
    for state in ("U", "L", "T"):
        assert float(r.A_LL(state, "ff")) == pytest.approx(ff, abs=6e-8)
    assert float(r.A_LL("U", "pgf_3s1_1")) == pytest.approx(singlet, abs=6e-8)
    assert float(r.A_LL("U")) == pytest.approx(total, abs=6e-8)
    for ch in ("pgf_1s0_8", "pgf_3pj_8"):
        got = float(r.A_LL("U", ch))
        ratio = got / dy                                   # = Dg/g, the same for every PGF channel
        assert ratio == pytest.approx(float(r.A_LL("U", "pgf_3s1_1")) / dy, rel=1e-12)


def _compare(xs, pts, rtol, positivity):
    """Kernel elements against reference.polarized_structure_functions, relative to the channel's F_UU sum."""
    r = xs.evaluate(*pts, states=POL_STATES, lambda_e=0.0, S_N=0.0)
    sf = ref.polarized_structure_functions(*pts, params=xs.params, pdf=EXACT, positivity=positivity)
    worst = 0.0
    for ch in jf.CHANNELS:
        t = sf[ch]
        want = {"U": t["UU"].sum(axis=0), "L": t["UU"][1], "U_LL": t["LL"].sum(axis=0), "L_LL": t["LL"][1],
                "V_LU": t["LU"][0] - t["LU"][2], "V_UL": t["UL"][0] - t["UL"][2]}
        want["T"], want["T_LL"] = want["U"] - want["L"], want["U_LL"] - want["L_LL"]
        scale = np.abs(want["U"])
        ok = scale > 0
        for state, w in want.items():
            diff = np.abs(r[ch, state] - w)
            assert np.all(diff[~ok] == 0), (ch, state)
            if ok.any():
                dev = float(np.max(diff[ok] / scale[ok]))
                worst = max(worst, dev)
                assert dev <= rtol, (ch, state, dev)
    return worst


@needs_grid
@pytest.mark.parametrize("positivity", [False, True])
@pytest.mark.parametrize("wide", [False, True])
def test_collinear_polarized_matches_reference(wide, positivity):
    pts = random_points(10_000, seed=91 + wide, wide=wide)
    pts = (np.maximum(pts[0], 1.001e-4), pts[1], np.maximum(pts[2], 0.9), pts[3])   # inside GRSV's range
    _compare(_xs(positivity=positivity), pts, 1e-12, positivity)


@needs_grid
@pytest.mark.parametrize("wide", [False, True])
def test_gaussian_polarized_matches_reference(wide):
    pts = random_points(1_500, seed=95 + wide, wide=wide)
    pts = (np.maximum(pts[0], 1.001e-4), pts[1], np.maximum(pts[2], 0.9), pts[3])
    _compare(_xs("gaussian", positivity=True), pts, 1e-7, True)


@needs_grid
@pytest.mark.slow
def test_gaussian_polarized_matches_reference_1e4():
    pts = random_points(10_000, seed=97, wide=False)
    _compare(_xs("gaussian", positivity=True, w_g1=0.3), pts, 1e-7, True)


def test_beam_combinations_and_single_spin_asymmetries():
    """U, L, T = F_UU + lambda_e S_N F_LL: no dependence on lambda_e or S_N alone (the single-spin terms cancel
    in the helicity sums); V = lambda_e V_LU + S_N V_UL."""
    xs = _xs("gaussian", positivity=True)
    pts = random_points(2000, seed=99)
    unpol = xs.evaluate(*pts)
    base = xs.evaluate(*pts, states=POL_STATES, lambda_e=0, S_N=0)
    for le, sn in ((1, 0), (0, -1), (0.7, 0.0), (1, 1), (-1, 1), (0.8, -0.6)):
        r = xs.evaluate(*pts, lambda_e=le, S_N=sn)
        for ch in jf.CHANNELS:
            for st in ("U", "L", "T"):
                want = unpol[ch, st] + le * sn * base[ch, st + "_LL"]
                np.testing.assert_allclose(r[ch, st], want, rtol=1e-12, atol=0)
                np.testing.assert_allclose(r.A_LL(st, ch), base.A_LL(st, ch), rtol=1e-12, equal_nan=True)
            terms = (le * base[ch, "V_LU"], sn * base[ch, "V_UL"])
            assert np.all(np.abs(r.vector_polarization(ch) - terms[0] - terms[1])
                          <= 1e-12 * (np.abs(terms[0]) + np.abs(terms[1]))), (ch, le, sn)
    np.testing.assert_array_equal(unpol.values, base.values[:, :3])


def test_asymmetry_properties():
    xs = _xs("collinear", positivity=False)
    pts = random_points(3000, seed=101)
    r = xs.evaluate(*pts, states=POL_STATES, lambda_e=0, S_N=0)
    x, z, Q, PT = (np.asarray(a) for a in pts)
    y = Q ** 2 / (x * xs.params.sqrt_s ** 2)
    ok = y <= 1
    dep = y * (1 - y / 2) / (1 - y + y * y / 2)
    hel = jf.pdf.GRSV2000LO()
    mu = Q * xs.params.mu_f_factor
    # every PGF channel: A_LL = D(y) Dg/g for U, L and T
    ratio_g = hel.xfxQ(21, x, mu) / EXACT.xfxQ(21, x, mu)
    for ch in ("pgf_1s0_8", "pgf_3pj_8", "pgf_3s1_1"):
        for st in ("U", "L", "T"):
            # T = U - L and T_LL = U_LL - L_LL cancel where L ~ U: rounding shows at ~1e-11 there
            np.testing.assert_allclose(r.A_LL(st, ch)[ok], (dep * ratio_g)[ok], rtol=1e-10 if st == "T" else 1e-12)
    # collinear ff: A_LL = D(y) sum e^2 x Dq / sum e^2 x q for U, L, T alike
    e2 = {1: 1 / 9, 2: 4 / 9, 3: 1 / 9}
    num = sum(e2[abs(p)] * hel.xfxQ(p, x, mu) for p in (1, 2, 3, -1, -2, -3))
    den = sum(e2[abs(p)] * EXACT.xfxQ(p, x, mu) for p in (1, 2, 3, -1, -2, -3))
    for st in ("U", "L", "T"):
        # (sum e^2 x Dq has cancellations between Du and Dd: summation order shows at ~1e-11)
        np.testing.assert_allclose(r.A_LL(st, "ff")[ok], (dep * num / den)[ok], rtol=1e-10)
    # helicity transfer of the ff channel: (sigma(+1) - sigma(-1)) / T = z (2 - z) / (z^2 - 2z + 2), per unit
    # lambda_e with B/A and the unpolarized PDFs
    transfer = z * (2 - z) / (z * z - 2 * z + 2)
    # (T = U - L cancels where L ~ U, at small P_T: rounding at ~1e-11)
    np.testing.assert_allclose(r["ff", "V_LU"][ok] / r["ff", "T"][ok], (dep * transfer)[ok], rtol=1e-10)


def test_positivity_clamp_acts_at_large_x_only():
    pts = (np.array([0.3, 0.5, 0.9, 0.95]), 0.5, 20.0, 1.0)
    clamped = _xs(positivity=True).evaluate(*pts, lambda_e=1, S_N=1)
    raw = _xs(positivity=False).evaluate(*pts, lambda_e=1, S_N=1)
    np.testing.assert_array_equal(clamped.A_LL("U")[:2], raw.A_LL("U")[:2])
    for ch in jf.CHANNELS:
        a = clamped.A_LL("U", ch)
        assert np.all(np.abs(a[np.isfinite(a)]) <= 1 + 1e-12), ch      # |Df| <= f and D(y) <= 1
    assert np.any(np.abs(raw.A_LL("U", "pgf_3s1_1")) > np.abs(clamped.A_LL("U", "pgf_3s1_1")))


def test_valence_scenario_and_errors():
    std = jf.CrossSection(helicity_pdf=jf.pdf.GRSV2000LO("standard")).evaluate(0.3, 0.5, 20.0, 1.0, lambda_e=1,
                                                                                 S_N=1)
    val = jf.CrossSection(helicity_pdf=jf.pdf.GRSV2000LO("valence")).evaluate(0.3, 0.5, 20.0, 1.0, lambda_e=1,
                                                                                S_N=1)
    assert float(std.A_LL("U")) != float(val.A_LL("U"))
    with pytest.raises(ValueError, match="lambda_e"):
        jf.CrossSection().evaluate(0.3, 0.5, 20.0, 1.0, lambda_e=1.5, S_N=0)
    with pytest.raises(ValueError, match="unpolarized beams only"):
        jf.CrossSection().evaluate(0.3, 0.5, 20.0, 1.0, lambda_e=1, S_N=1, states=("U", "Sp0"))
    with pytest.raises(ValueError, match="not supported"):
        jf.CrossSection().evaluate(0.3, 0.5, 20.0, 1.0, lambda_e=1, S_N=1,
                                   variations=jf.Variations(scales="3-point"))
    with pytest.raises(TypeError, match="helicity_pdf"):
        jf.CrossSection(helicity_pdf=EXACT)
    with pytest.raises(ValueError, match="helicity PDF"):          # Q^2 below GRSV's 0.8 GeV^2
        jf.CrossSection().evaluate(0.01, 0.5, 0.85, 0.1, lambda_e=1, S_N=1)
    with pytest.raises(ValueError, match="U_LL"):
        jf.CrossSection().evaluate(0.3, 0.5, 20.0, 1.0).A_LL("U")
    with pytest.raises(ValueError, match="'V'"):
        jf.CrossSection().evaluate(0.3, 0.5, 20.0, 1.0, states=("U", "V"))
    for bad in ("1", True, np.array([1.0, 0.5])):
        with pytest.raises(TypeError, match="lambda_e"):
            jf.CrossSection().evaluate(0.3, 0.5, 20.0, 1.0, lambda_e=bad, S_N=0)
    # lambda_e alone: no V_UL part, U etc. unchanged, V = V_LU
    r = jf.CrossSection().evaluate(0.3, 0.5, 20.0, 1.0, lambda_e=-1)
    assert float(r.vector_polarization()) == pytest.approx(-float(r.total("V_LU") if "V_LU" in r.states else
                                                                   jf.CrossSection().evaluate(
                                                                       0.3, 0.5, 20.0, 1.0, states=("V_LU",),
                                                                       lambda_e=0, S_N=0).total("V_LU")),
                                                           rel=1e-13)


def test_polarized_integration_and_pickle():
    import pickle
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    assert pickle.loads(pickle.dumps(xs)).key() == xs.key()
    lay = Layout(states=("U", "U_LL"), beam=(1, -1))
    res = jf.Integrator(jf.Domain(), seed=2).integrate(xs.integrand(jf.Domain(), layout=lay), nitn=3, neval=20_000,
                                                       warmup=2)
    a_ll = res.total("U_LL").mean / (res.total("U").mean + res.total("U_LL").mean)   # U holds F_UU - F_LL here
    assert 0 < a_ll < 1
    est = res.A_LL("U")
    assert est.mean == pytest.approx(a_ll, rel=1e-12) and 0 < est.sdev < 0.01 * est.mean
    # independent estimate: unweighted events ~ F_UU, A_LL = <F_LL / F_UU> over them (its own sampling error)
    ev = jf.Integrator(jf.Domain(), seed=11).sample(xs, 40_000)
    r = xs.evaluate(ev.x, ev.z, ev.Q, ev.PT, states=("U", "U_LL"), lambda_e=0, S_N=0)
    ratio = r.total("U_LL") / r.total("U")
    independent = ratio.mean()
    sd = np.hypot(ratio.std() / np.sqrt(len(ratio)), est.sdev)
    assert abs(est.mean - independent) < 5 * sd, (est, independent, sd)
    # the same through integrate(states=, beam=); channel asymmetries too, errors from the covariance
    res2 = jf.Integrator(jf.Domain(), seed=2).integrate(xs, nitn=3, neval=20_000, warmup=2,
                                                        states=("U", "L", "U_LL", "L_LL"), beam=(0.5, 0.5))
    assert res2.A_LL("U").mean == pytest.approx(est.mean, rel=0.02)
    assert res2.A_LL("L", "pgf_3s1_1").sdev > 0
    with pytest.raises(ValueError, match="U, L, T"):
        res2.A_LL("Sp0")
    pts = random_points(2000, seed=5)
    one = xs.evaluate(*pts, lambda_e=1, S_N=1, n_threads=1).values
    two = xs.evaluate(*pts, lambda_e=1, S_N=1, n_threads=2).values
    np.testing.assert_array_equal(one, two)


def test_histogram_A_LL_per_bin():
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    h = jf.Integrator(jf.Domain(), seed=4).histogram(xs, nitn=3, neval=30_000, warmup=2, states=("U", "U_LL"),
                                                      beam=(1, 1), pt_edges=np.linspace(0, 6, 4))
    a, e = h.A_LL("U")
    k_u, k_ll = h.states.index("U"), h.states.index("U_LL")
    ll = h.values()[:, k_ll].sum(axis=0)
    direct = ll / (h.values()[:, k_u].sum(axis=0) - ll)
    ok = np.isfinite(direct)
    np.testing.assert_allclose(a[ok], direct[ok], rtol=1e-12)
    assert np.all(e[ok] > 0) and np.all(e[ok] < 0.05)
    a_bin, e_bin = h.A_LL("U", sum_over="PT")
    assert a_bin.shape == (len(h.bins),) and np.all((a_bin > 0) & (a_bin < 1))
    a_ff, _ = h.A_LL("U", ("ff",))
    assert np.all(np.isfinite(a_ff[ok]))


class _PlusOnly:
    """GRSV 2000 as a Dq+ = Dq + Dqbar set: ids 901 (d), 902 (u), 903 (s) and 21."""

    def __init__(self):
        self.grsv = jf.pdf.GRSV2000LO()

    def xfxQ(self, pid, x, Q):
        if pid == 21:
            return self.grsv.xfxQ(21, x, Q)
        q = pid - 900
        return self.grsv.xfxQ(q, x, Q) + self.grsv.xfxQ(-q, x, Q)


def _lhapdf_helicity_sets(tmp_path):
    """GRSV 2000 written as lhagrid1 members: one with x Df per PDG id, one with Dq+ under 901-903."""
    xk = np.concatenate([np.geomspace(1e-4, 0.1, 30), np.linspace(0.12, 0.9, 40), [1.0]])
    qk = [np.geomspace(0.9, 300.0, 30)]
    per_id = jf.pdf.write_lhagrid(tmp_path / "GRSVPOL_0000.dat", jf.pdf.GRSV2000LO(), xk, qk,
                                  pids=(-3, -2, -1, 21, 1, 2, 3))
    plus = jf.pdf.write_lhagrid(tmp_path / "GRSVPLUS_0000.dat", _PlusOnly(), xk, qk, pids=(901, 902, 903, 21))
    return per_id, plus


@pytest.mark.parametrize("positivity", [False, True])
def test_lhapdf_helicity_sets_match_reference(tmp_path, positivity):
    """Any lhagrid1 polarized set as the helicity PDFs, per PDG id or as Dq+ (ids 901-903): kernels against the
    reference with its own lhagrid1 reader, 1e-12 of F_UU."""
    for path in _lhapdf_helicity_sets(tmp_path):
        hel = jf.pdf.LHAGrid(path)
        xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"), EXACT, helicity_pdf=hel, helicity_positivity=positivity)
        pts = random_points(3000, seed=123)
        r = xs.evaluate(*pts, states=POL_STATES, lambda_e=0.0, S_N=0.0)
        sf = ref.polarized_structure_functions(*pts, params=xs.params, pdf=EXACT, helicity_pdf=ref.LHAGrid(path),
                                               positivity=positivity)
        for ch in jf.CHANNELS:
            U = r[ch, "U"]
            ok = U > 0
            for state, want in (("U_LL", sf[ch]["LL"].sum(axis=0)), ("V_UL", sf[ch]["UL"][0] - sf[ch]["UL"][2])):
                # relative to F_UU or to the value itself (without the clamp Dg/g reaches ~100 at x -> 1)
                scale = np.maximum(U, np.abs(want))[ok]
                dev = np.max(np.abs(r[ch, state] - want)[ok] / scale)
                assert dev <= 1e-12, (path.name, ch, state, dev)
    # the per-id set reproduces the GRSV tables up to its interpolation
    per_id = jf.CrossSection(helicity_pdf=jf.pdf.LHAGrid(_lhapdf_helicity_sets(tmp_path)[0])).evaluate(
        0.3, 0.5, 20.0, 1.0, lambda_e=1, S_N=1)
    grsv = jf.CrossSection().evaluate(0.3, 0.5, 20.0, 1.0, lambda_e=1, S_N=1)
    assert float(per_id.A_LL("U")) == pytest.approx(float(grsv.A_LL("U")), rel=2e-3)


def test_plus_only_set_needs_quark_antiquark_pairs(tmp_path):
    _, plus = _lhapdf_helicity_sets(tmp_path)
    xs = jf.CrossSection(jf.Params(flavours=("u", "d", "s", "ubar")), helicity_pdf=jf.pdf.LHAGrid(plus))
    with pytest.raises(ValueError, match="both or neither"):
        xs.evaluate(0.3, 0.5, 20.0, 1.0, lambda_e=1, S_N=1)
    with pytest.raises(ValueError, match="helicity PDF"):           # outside the set's Q range (300 GeV)
        jf.CrossSection(jf.Params(sqrt_s=1000.0), helicity_pdf=jf.pdf.LHAGrid(plus)).evaluate(
            0.5, 0.5, 400.0, 1.0, lambda_e=1, S_N=1)
