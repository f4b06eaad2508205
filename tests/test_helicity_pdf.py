"""GRSV 2000 LO helicity PDFs (docs/physics.md §11.3-11.4): the embedded Cython table and interpolator against the
independent NumPy reader of the authors' grids (jpsi_fast.reference.GRSV2000, which reads ../shared), the SPEC
check values (from the embedded table alone), argument checking, pickling, broadcasting, the positivity clamp and
the kernels' charge-sum helper."""
import importlib.util
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

import jpsi_fast as jf
from jpsi_fast import _pdf
from jpsi_fast.pdf import GRSV2000LO, GRV94LO, enforce_positivity
from jpsi_fast.reference import GRSV2000, clamp_positivity
from jpsi_fast.reference._grsv2000 import GRSV_Q2_KNOTS, GRSV_X_KNOTS

from conftest import shared_path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {"standard": "std", "valence": "val"}
#: kernel parton order of GRSV2000Table.flavours (PARTON_NAMES of _kernels.pyx) and their PDG ids
KERNEL_PIDS = (21, 2, 1, 3, -2, -1, -3)
#: every PDG id GRSV2000LO evaluates (0 and 21: gluon; heavy flavours give 0)
ALL_PIDS = (1, 2, 3, -1, -2, -3, 21, 0, 4, -4, 5, -5, 6, -6)
#: squared quark charges in the kernel order (g first, ignored)
EQ2 = (0.0, 4.0 / 9.0, 1.0 / 9.0, 1.0 / 9.0, 4.0 / 9.0, 1.0 / 9.0, 1.0 / 9.0)
#: Cython vs reference: |c - r| <= RTOL |r| + ATOL
RTOL, ATOL = 1e-12, 1e-15
X_MIN, X_MAX, Q2_MIN, Q2_MAX = 1e-4, 1.0, 0.8, 1e6
#: SPEC §11 check values (x, Q^2 [GeV^2], PDG id, x Delta f printed to 7 significant digits)
SPEC_CHECKS = [(0.2, 144.0, 2, 0.2735517), (0.2, 144.0, 1, -0.09913672), (0.2, 144.0, -2, -0.002328364),
               (0.2, 144.0, 21, 0.1183045), (0.5, 400.0, 2, 0.1140098), (0.5, 400.0, 21, 0.01110782)]
SPEC_DIGITS = 7
#: below this x the clamp never acts against GRV94 LO anywhere in the grid's Q^2 range (measured onset 0.6497)
NO_CLAMP_BELOW_X = 0.649


def reference(scenario):
    return GRSV2000(shared_path(f"pdfsets/grsv2000/{SCENARIOS[scenario]}2000_lo_g1.grid"))


def comparison_points(table, n_random=12000, seed=7):
    """Random (x, Q^2) over the whole range (log-uniform), plus every knot, knots +- 1 ulp and +- 1e-9 relative,
    the range edges and x near 1 and near 0.9 (the last grid knot before the zero row)."""
    rng = np.random.default_rng(seed)
    xk, qk = table.x_knots, table.q2_knots
    lx = rng.uniform(np.log(X_MIN), np.log(X_MAX), n_random)
    lq = rng.uniform(np.log(Q2_MIN), np.log(Q2_MAX), n_random)
    x_near = np.concatenate([xk, np.nextafter(xk, 0), np.nextafter(xk, 2), xk * (1 - 1e-9), xk * (1 + 1e-9),
                             1 - 10.0 ** rng.uniform(-12, -1, 50), 0.9 + rng.uniform(-1e-3, 1e-3, 20)])
    q_near = np.concatenate([qk, np.nextafter(qk, 0), np.nextafter(qk, np.inf), qk * (1 - 1e-9), qk * (1 + 1e-9)])
    x_near = x_near[(x_near >= X_MIN) & (x_near <= X_MAX)]
    q_near = q_near[(q_near >= Q2_MIN) & (q_near <= Q2_MAX)]
    xg, qg = np.meshgrid(x_near, q_near)
    x = np.concatenate([np.exp(lx), xg.ravel(), rng.choice(x_near, n_random)])
    q2 = np.concatenate([np.exp(lq), qg.ravel(), np.exp(rng.uniform(np.log(Q2_MIN), np.log(Q2_MAX), n_random))])
    x = np.clip(x, X_MIN, X_MAX)
    q2 = np.clip(q2, Q2_MIN, Q2_MAX)
    return x, q2


# ---------------------------------------------------------------- the embedded table and the interpolator
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_embedded_table_is_the_grid(scenario):
    """The committed divided knot values and knots are bit-identical to the reference reader's."""
    ref = reference(scenario)
    t = _pdf.GRSV2000Table(scenario)
    red = t.reduced
    assert red.shape == (42, 30, 6)
    for k, name in enumerate(("u", "d", "ubar", "dbar", "s", "g")):
        np.testing.assert_array_equal(red[:, :, k], ref._reduced[name])
    np.testing.assert_array_equal(red[-1], 0.0)
    lx, lq = t.log_knots
    np.testing.assert_array_equal(lx, ref._logx)
    np.testing.assert_array_equal(lq, ref._logq2)
    np.testing.assert_array_equal(t.x_knots, GRSV_X_KNOTS)
    np.testing.assert_array_equal(t.q2_knots, GRSV_Q2_KNOTS)


def test_generated_pxi_is_up_to_date():
    """tools/gen_constants.py regenerates exactly the committed _grsv2000_tables.pxi from ../shared."""
    grid_dir = shared_path("pdfsets/grsv2000/std2000_lo_g1.grid").parent
    shared_path("pdfsets/grsv2000/val2000_lo_g1.grid")
    if not (ROOT / "tools" / "gen_constants.py").exists():
        pytest.skip("tools/gen_constants.py is not beside the tests (installed-wheel run)")
    spec = importlib.util.spec_from_file_location("gen_constants", ROOT / "tools" / "gen_constants.py")
    gen = importlib.util.module_from_spec(spec)
    sys.modules["gen_constants"] = gen
    try:
        spec.loader.exec_module(gen)
        text = gen.grsv2000_pxi(grid_dir)
    finally:
        del sys.modules["gen_constants"]
    committed = ROOT / "src" / "jpsi_fast" / "_grsv2000_tables.pxi"
    assert text == committed.read_text(), "regenerate with: python tools/gen_constants.py"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_cython_matches_reference(scenario):
    """>= 1e4 points over the full range, near knots and edges, every flavour: <= 1e-12 relative (1e-15 absolute
    near zeros). Measured: <= 7.2e-14 relative (near sign changes; <= 1e-15 elsewhere), <= 3.4e-16 absolute."""
    ref = reference(scenario)
    pdf = GRSV2000LO(scenario)
    x, q2 = comparison_points(pdf.core)
    assert x.size >= 10_000
    flav = pdf.core.flavours(x, q2)
    for pid in ALL_PIDS:
        got = pdf.xfxQ2(pid, x, q2)
        want = ref.xfxQ2(pid, x, q2)
        dev = np.abs(got - want)
        worst = np.argmax(dev - RTOL * np.abs(want))
        assert np.all(dev <= RTOL * np.abs(want) + ATOL), \
            f"pid {pid}: x={x[worst]!r} Q2={q2[worst]!r}: {got[worst]!r} vs {want[worst]!r}"
        if pid in KERNEL_PIDS:
            np.testing.assert_array_equal(flav[KERNEL_PIDS.index(pid)], got)
        if pid == 0:
            np.testing.assert_array_equal(got, pdf.xfxQ2(21, x, q2))
    np.testing.assert_array_equal(flav[3], flav[6])             # Delta sbar = Delta s


def test_cython_matches_reference_in_q():
    ref = reference("standard")
    pdf = GRSV2000LO()
    x, q2 = comparison_points(pdf.core, n_random=2000, seed=3)
    Q = np.sqrt(q2)
    inside = (Q * Q >= Q2_MIN) & (Q * Q <= Q2_MAX)      # the reference rejects sqrt(0.8)**2 < 0.8
    x, Q = x[inside], Q[inside]
    for pid in KERNEL_PIDS:
        np.testing.assert_allclose(pdf.xfxQ(pid, x, Q), ref.xfxQ(pid, x, Q), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("x,q2,pid,expected", SPEC_CHECKS)
def test_spec_check_values(x, q2, pid, expected):
    """SPEC §11 check values to the printed digits, from the embedded table (no ../shared needed)."""
    got = GRSV2000LO().xfxQ2(pid, x, q2)
    assert float(f"{got:.{SPEC_DIGITS}g}") == expected
    assert float(f"{GRSV2000LO('std').xfxQ(pid, x, np.sqrt(q2)):.{SPEC_DIGITS}g}") == expected


def test_edges_and_zero_row():
    pdf = GRSV2000LO()
    for pid in ALL_PIDS:
        assert pdf.xfxQ2(pid, X_MAX, [Q2_MIN, 10.0, Q2_MAX]).tolist() == [0.0, 0.0, 0.0]
        assert np.all(np.isfinite(pdf.xfxQ2(pid, [X_MIN, 0.9, X_MAX], [[Q2_MIN], [Q2_MAX]])))
    assert GRSV2000LO("valence").xfxQ2(2, 0.3, 10.0) != pdf.xfxQ2(2, 0.3, 10.0)


def test_range_codes():
    t = _pdf.GRSV2000Table()
    x = np.array([X_MIN, X_MAX, 0.3, np.nextafter(X_MIN, 0), np.nextafter(X_MAX, 2), 0.3, 0.3, np.nan, 0.3])
    q2 = np.array([Q2_MIN, Q2_MAX, 10, 10, 10, np.nextafter(Q2_MIN, 0), np.nextafter(Q2_MAX, np.inf), 10, np.nan])
    assert t.range_codes(x, q2).tolist() == [0, 0, 0, 5, 5, 6, 6, 5, 6]
    assert t.x_range == (X_MIN, X_MAX) and t.q2_range == (Q2_MIN, Q2_MAX)


# ---------------------------------------------------------------- the Python interface
def test_attributes_and_export():
    pdf = jf.pdf.GRSV2000LO()
    assert "GRSV2000LO" in jf.pdf.__all__ and "enforce_positivity" in jf.pdf.__all__
    assert pdf.scenario == "standard" and GRSV2000LO("val").scenario == "valence"
    assert GRSV2000LO("std").scenario == "standard" and GRSV2000LO("valence").scenario == "valence"
    assert pdf.x_range == (X_MIN, X_MAX)
    assert pdf.q2_range == (Q2_MIN, Q2_MAX)
    assert pdf.Q_range == pytest.approx((np.sqrt(Q2_MIN), np.sqrt(Q2_MAX)))
    assert "Glück" in GRSV2000LO.__doc__ or "Glueck" in GRSV2000LO.__doc__
    assert "hep-ph/0011215" in GRSV2000LO.__doc__


@pytest.mark.parametrize("bad", ["foo", "STD", "", None, 0, "grsv"])
def test_bad_scenario(bad):
    with pytest.raises(ValueError, match=r"scenario must be one of 'standard', 'std', 'valence', 'val'"):
        GRSV2000LO(bad)
    with pytest.raises((ValueError, TypeError)):
        _pdf.GRSV2000Table(bad)


@pytest.mark.parametrize("pid", [7, -7, 11, 22, 90, 901, -21, 2 ** 31 - 1])
def test_bad_pid(pid):
    with pytest.raises(ValueError, match=r"pid must be a PDG id in"):
        GRSV2000LO().xfxQ2(pid, 0.1, 10.0)
    with pytest.raises(ValueError, match=r"pid"):
        GRSV2000LO().xfxQ2([2, pid], 0.1, 10.0)


def test_pid_types():
    pdf = GRSV2000LO()
    with pytest.raises(TypeError, match="pid"):
        pdf.xfxQ2(2.0, 0.1, 10.0)
    with pytest.raises(ValueError, match="pid"):
        pdf.xfxQ2(2 ** 40, 0.1, 10.0)
    for pid in (4, -4, 5, -5, 6, -6):
        assert pdf.xfxQ2(pid, 0.1, 10.0) == 0.0
    assert pdf.xfxQ2(np.int64(21), 0.1, 10.0) == pdf.xfxQ2(0, 0.1, 10.0)


@pytest.mark.parametrize("x,q2,match", [
    (np.nextafter(X_MIN, 0), 10.0, r"^x must be in \[0\.0001, 1\.0\] \(validity range of GRSV2000LO"),
    (1.0 + 1e-12, 10.0, r"^x must be in \[0\.0001, 1\.0\]"),
    (0.0, 10.0, r"^x must be in"),
    (-0.3, 10.0, r"^x must be in"),
    (np.nan, 10.0, r"^x must be finite"),
    (np.inf, 10.0, r"^x must be finite"),
    (0.3, np.nextafter(Q2_MIN, 0), r"^Q2 must be in \[0\.8, 1000000\.0\] GeV\^2 \(validity range of GRSV2000LO"),
    (0.3, 1.0000001e6, r"^Q2 must be in \[0\.8, 1000000\.0\] GeV\^2"),
    (0.3, -1.0, r"^Q2 must be in"),
    (0.3, np.nan, r"^Q2 must be finite"),
    ([0.3, 0.5, 2.0], 10.0, r"got 2\.0 \(1 of 3 values out of range\)"),
])
def test_range_errors(x, q2, match):
    with pytest.raises(ValueError, match=match):
        GRSV2000LO().xfxQ2(2, x, q2)


def test_range_errors_in_q():
    pdf = GRSV2000LO()
    with pytest.raises(ValueError, match=r"^Q must be in \[0\.894427\d*, 1000\.0\] GeV \(validity range"):
        pdf.xfxQ(2, 0.3, 0.8)
    with pytest.raises(ValueError, match=r"^Q must be in \[0\.894427\d*, 1000\.0\] GeV"):
        pdf.xfxQ(2, 0.3, 1000.001)
    with pytest.raises(ValueError, match=r"^Q must be finite"):
        pdf.xfxQ(2, 0.3, np.nan)
    with pytest.raises(TypeError, match="x must be real"):
        pdf.xfxQ(2, "0.3", 10.0)
    assert pdf.xfxQ(2, 0.3, 1000.0) == pdf.xfxQ2(2, 0.3, 1e6)
    # the range edges in Q are accepted although sqrt(0.8)**2 < 0.8 in floating point
    assert pdf.xfxQ(2, 0.3, pdf.Q_range[0]) == pdf.xfxQ2(2, 0.3, Q2_MIN)
    with pytest.raises(ValueError, match=r"^Q must be in"):
        pdf.xfxQ(2, 0.3, np.nextafter(pdf.Q_range[0], 0))


def test_broadcasting():
    pdf = GRSV2000LO()
    assert isinstance(pdf.xfxQ2(2, 0.1, 10.0), float)
    assert isinstance(pdf.xfxQ(21, 0.1, 3.0), float)
    x = np.array([[0.01], [0.1], [0.5]])
    pids = [1, 2, 21, 4]
    out = pdf.xfxQ2(pids, x, 10.0)
    assert out.shape == (3, 4)
    for i, xi in enumerate(x[:, 0]):
        for j, p in enumerate(pids):
            assert out[i, j] == pdf.xfxQ2(p, xi, 10.0)
    assert pdf.xfxQ2(2, np.full((2, 3, 4), 0.2), np.full((3, 1), 100.0)).shape == (2, 3, 4)
    assert pdf.xfxQ2(2, np.zeros((0,)) + 0.2, 10.0).shape == (0,)
    # non-contiguous views and integer arrays
    xs = np.linspace(0.01, 0.9, 20)[::3]
    np.testing.assert_array_equal(pdf.xfxQ2(2, xs, np.arange(1, 8)), [pdf.xfxQ2(2, a, b) for a, b in
                                                                     zip(xs, range(1, 8))])


@pytest.mark.parametrize("scenario", ["standard", "valence"])
def test_pickle(scenario):
    pdf = GRSV2000LO(scenario)
    back = pickle.loads(pickle.dumps(pdf))
    assert type(back) is GRSV2000LO and back.scenario == scenario and back.key() == pdf.key()
    x = np.geomspace(1e-4, 1, 50)
    for pid in KERNEL_PIDS:
        np.testing.assert_array_equal(back.xfxQ2(pid, x, 30.0), pdf.xfxQ2(pid, x, 30.0))
    core = pickle.loads(pickle.dumps(pdf.core))
    assert core.scenario == scenario
    np.testing.assert_array_equal(core.reduced, pdf.core.reduced)


# ---------------------------------------------------------------- positivity (11.19)
def test_enforce_positivity():
    rng = np.random.default_rng(11)
    d = rng.normal(0, 1, 5000)
    f = rng.normal(0.5, 1, 5000)
    got = enforce_positivity(d, f)
    assert np.all(np.abs(got) <= np.maximum(f, 0.0))
    ok = np.abs(d) <= f
    assert ok.any() and (~ok).any()
    np.testing.assert_array_equal(got[ok], d[ok])                       # unchanged where already satisfied
    np.testing.assert_array_equal(np.sign(got[~ok & (f > 0)]), np.sign(d[~ok & (f > 0)]))
    np.testing.assert_array_equal(got, clamp_positivity(d, f))
    assert enforce_positivity(-0.3, 0.2) == -0.2 and enforce_positivity(0.1, 0.2) == 0.1
    assert enforce_positivity(0.1, -1.0) == 0.0
    assert isinstance(enforce_positivity(0.1, 0.2), float)
    assert enforce_positivity([[0.5], [-0.5]], [0.1, 0.7]).tolist() == [[0.1, 0.5], [-0.1, -0.5]]
    with pytest.raises(ValueError, match="xf must be finite"):
        enforce_positivity(0.1, np.nan)
    with pytest.raises(ValueError):
        enforce_positivity([0.1, 0.2], [0.1, 0.2, 0.3])


def test_cython_clamp_matches_numpy():
    """positivity_clamp (the kernels' per-flavour clamp) through GRSV2000Table.flavours(xf=...)."""
    rng = np.random.default_rng(5)
    n = 4000
    x, q2 = rng.uniform(0.3, 1.0, n), np.exp(rng.uniform(np.log(Q2_MIN), np.log(Q2_MAX), n))
    t = _pdf.GRSV2000Table()
    raw = t.flavours(x, q2)
    xf = np.abs(raw) * rng.uniform(0.0, 2.0, raw.shape) - (rng.uniform(size=raw.shape) < 0.05)
    clamped = t.flavours(x, q2, xf=xf)
    np.testing.assert_array_equal(clamped, enforce_positivity(raw, xf))
    assert np.all(np.abs(clamped) <= np.maximum(xf, 0.0))


def test_positivity_against_grv94():
    pdf, grv = GRSV2000LO(), GRV94LO()
    x = np.linspace(0.6, 1.0, 401)
    for pid in KERNEL_PIDS:
        raw = pdf.xfxQ2(pid, x, 100.0)
        clamped = pdf.xfxQ2(pid, x, 100.0, positivity=True)
        f = np.append(grv.xfxQ2(pid, x[:-1], 100.0), 0.0)
        assert np.all(np.abs(clamped) <= f)
        np.testing.assert_array_equal(clamped, enforce_positivity(raw, f))
        np.testing.assert_array_equal(pdf.xfxQ2(pid, x, 100.0, positivity=grv), clamped)
        assert pdf.xfxQ2(pid, x, 100.0, positivity=False).tolist() == raw.tolist()
    # measured onsets (docs/physics.md §11.4): standard, gluon at Q^2 = 10 GeV^2 from x = 0.6713
    assert pdf.xfxQ2(21, 0.671, 10.0, positivity=True) == pdf.xfxQ2(21, 0.671, 10.0)
    assert pdf.xfxQ2(21, 0.672, 10.0, positivity=True) < pdf.xfxQ2(21, 0.672, 10.0)
    with pytest.raises(TypeError, match="positivity"):
        pdf.xfxQ2(2, 0.3, 10.0, positivity="GRV94")


def test_positivity_never_acts_at_small_x():
    """The documented bound: against GRV94 LO the clamp acts nowhere below x = 0.649 (both scenarios)."""
    rng = np.random.default_rng(17)
    n = 20000
    x = np.concatenate([np.exp(rng.uniform(np.log(X_MIN), np.log(NO_CLAMP_BELOW_X), n)),
                        rng.uniform(0.5, NO_CLAMP_BELOW_X, n)])
    q2 = np.exp(rng.uniform(np.log(Q2_MIN), np.log(Q2_MAX), 2 * n))
    q2[::7] = Q2_MAX
    xf = GRV94LO().core.partons(x, q2)
    for scenario in SCENARIOS:
        t = _pdf.GRSV2000Table(scenario)
        np.testing.assert_array_equal(t.flavours(x, q2, xf=xf), t.flavours(x, q2))


# ---------------------------------------------------------------- the kernels' helper
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_charge_sum_gluon(scenario):
    """helicity_charge_sum_gluon: sum_q eq2[q] x Df_q and x Dg, with and without the per-flavour clamp, as the
    NumPy sums of the flavours (same summation order: equal to rounding)."""
    rng = np.random.default_rng(23)
    n = 5000
    x = np.exp(rng.uniform(np.log(X_MIN), 0.0, n))
    q2 = np.exp(rng.uniform(np.log(Q2_MIN), np.log(Q2_MAX), n))
    t = _pdf.GRSV2000Table(scenario)
    flav = t.flavours(x, q2)
    grv = GRV94LO().core.partons(np.minimum(x, np.nextafter(1.0, 0)), q2)
    subsets = [EQ2, (0.0, 4 / 9, 1 / 9, 0.0, 4 / 9, 1 / 9, 0.0), (7.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)]
    for eq2 in subsets:
        for xf in (None, grv):
            sumq, xdg = t.charge_sum_gluon(x, q2, eq2, xf)
            f = flav if xf is None else enforce_positivity(flav, xf)
            want = np.zeros(n)
            for k in range(1, 7):
                if eq2[k]:
                    want = want + eq2[k] * f[k]
            np.testing.assert_allclose(sumq, want, rtol=1e-15, atol=1e-18)
            np.testing.assert_array_equal(xdg, f[0])
    # the ff channel's sum: sum_q e_q^2 x (Dq + Dqbar) over u, d, s
    sumq, _ = t.charge_sum_gluon(x, q2, EQ2)
    pdf = GRSV2000LO(scenario)
    ff = sum(e * (pdf.xfxQ2(q, x, q2) + pdf.xfxQ2(-q, x, q2)) for q, e in ((2, 4 / 9), (1, 1 / 9), (3, 1 / 9)))
    np.testing.assert_allclose(sumq, ff, rtol=1e-14, atol=1e-16)
    with pytest.raises(ValueError, match="eq2"):
        t.charge_sum_gluon(x, q2, EQ2[:6])
    with pytest.raises(ValueError, match="xf"):
        t.charge_sum_gluon(x, q2, EQ2, grv[:, :10])
