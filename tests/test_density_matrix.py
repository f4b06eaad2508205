"""J/psi spin density matrix and dilepton decay parameters (docs/physics.md §12): kernels against the independent
NumPy reference, the SPEC §12 check values, properties and limits, the Bessel functions of the Gaussian R_{n,n}
convolutions, integrated and binned lambdas from summed elements with propagated errors."""
import numpy as np
import pytest
from scipy import integrate, special

import jpsi_fast as jf
from jpsi_fast import _fragmentation
from jpsi_fast import reference as ref
from jpsi_fast.components import DENSITY_STATES, Layout, state_combination
from conftest import random_points

EXACT = jf.pdf.GRV94LO(exact=True)
DM_STATES = ("U", "L", "S00", "Spp", "Sp0", "Spm")

# SPEC §12 check values: (x, z, Q, PT) -> {model or channel: (lambda_theta, lambda_phi, lambda_thetaphi)}
SPEC12 = [
    ((0.2, 0.3, 12, 0.5), {"ff collinear": (-0.9612143, -0.0182215, +0.1920544),
                           "ff gaussian": (-0.9582998, -0.0179636, +0.1905470),
                           "pgf_3s1_1": (+0.8669551, 0.0, -0.2454013),
                           "sum gaussian": (+0.5294125, -0.0033219, -0.1647809)}),
    ((0.6, 0.5, 40, 2.0), {"ff collinear": (-0.3155373, -0.2737851, +0.6365503),
                           "ff gaussian": (-0.3211577, -0.2673012, +0.6302784),
                           "pgf_3s1_1": (-0.4541323, 0.0, -0.4226072),
                           "sum gaussian": (-0.3271988, -0.2551575, +0.5824452)}),
]


def _lambda_triplet(lam):
    return tuple(float(lam[k]) for k in ("theta", "phi", "thetaphi"))


@pytest.mark.parametrize("point, expected", SPEC12)
def test_spec12_check_values(point, expected):
    for key, want in expected.items():
        model = "collinear" if "collinear" in key else "gaussian"
        r = jf.CrossSection(jf.Params(sqrt_s=63.0, tmd_pdf=model)).evaluate(*point, states=DM_STATES)
        channel = None if key.startswith("sum") else key.split()[0]
        got = _lambda_triplet(r.lambdas(channel))
        np.testing.assert_allclose(got, want, atol=6e-8, err_msg=key)


def _compare_density(params, pts, rtol):
    """Every element of every channel against the reference, relative to the channel's U."""
    r = jf.CrossSection(params, EXACT).evaluate(*pts, states=DM_STATES)
    theirs = ref.density_matrix(*pts, params=params, pdf=EXACT)
    worst = 0.0
    for ch in jf.CHANNELS:
        U = r[ch, "U"]
        np.testing.assert_array_equal(r[ch, "S00"], r[ch, "L"])
        for e in DENSITY_STATES:
            diff = np.abs(r[ch, e] - theirs[ch][e])
            ok = U > 0
            assert np.all(diff[~ok] == 0), (ch, e)
            if ok.any():
                dev = float(np.max(diff[ok] / U[ok]))
                worst = max(worst, dev)
                assert dev <= rtol, (ch, e, dev)
    return worst


@pytest.mark.parametrize("wide", [False, True])
def test_collinear_density_matrix_matches_reference(wide):
    pts = random_points(10_000, seed=31 + wide, wide=wide)
    _compare_density(jf.Params(tmd_pdf="collinear"), pts, 1e-12)


@pytest.mark.parametrize("wide", [False, True])
def test_gaussian_density_matrix_matches_reference(wide):
    """Both quadratures (z near 1 takes the log-panel one with I1e, I2e; wide=True oversamples it)."""
    pts = random_points(2_500, seed=41 + wide, wide=wide)
    _compare_density(jf.Params(), pts, 1e-7)


@pytest.mark.slow
@pytest.mark.parametrize("wide", [False, True])
def test_gaussian_density_matrix_matches_reference_1e4(wide):
    pts = random_points(10_000, seed=51 + wide, wide=wide)
    _compare_density(jf.Params(), pts, 1e-7)


def test_gaussian_off_diagonal_convolutions_against_adaptive_quadrature():
    """-R11[D1LT]/sqrt2 and R22[D1TT] of both quadratures against scipy quad of the radial integral of §12."""
    M, a_s, O8, nc = 3.1, 0.2990127, 0.003, 3
    g = a_s ** 2 * O8 / (9 * np.pi)
    rng = np.random.default_rng(17)
    cases = list(zip(rng.uniform(0.05, 0.999, 80), rng.uniform(0, 12, 80), 10 ** rng.uniform(-2, 0.5, 80)))
    cases += [(0.5, 0.0, 0.25), (0.9999, 3.0, 0.25), (0.1, 30.0, 0.25), (0.95, 1e-3, 0.25), (0.97, 0.05, 0.25)]
    for zi, pti, wi in cases:
        _, _, p0, pm = _fragmentation._gaussian_convolution(np.array([zi]), np.array([pti]), wi, M, a_s, O8, nc)
        a = pti / zi

        def radial(k, n, coef):
            delta = zi ** 2 * k * k + M * M * (1 - zi)
            return (2 / wi) * k * (k / M) ** n * np.exp(-(k - a) ** 2 / wi) * special.ive(n, 2 * k * a / wi) \
                * coef / delta ** 2

        lo, hi = max(0.0, a - 12 * np.sqrt(wi)), a + 12 * np.sqrt(wi)
        pts = sorted({p for p in (a, M * np.sqrt(1 - zi) / zi) if lo < p < hi}) or None
        c_lt = -2 * g * (2 - zi) * (1 - zi) / M
        c_tt = -2 * g * zi * (1 - zi) / M
        r11 = integrate.quad(radial, lo, hi, args=(1, c_lt), points=pts, epsabs=0, epsrel=1e-13, limit=500)[0]
        r22 = integrate.quad(radial, lo, hi, args=(2, c_tt), points=pts, epsabs=0, epsrel=1e-13, limit=500)[0]
        # scale: the diagonal convolution's size (off-diagonal elements vanish at P_T = 0)
        scale = abs(c_lt) / (M * M * (1 - zi)) ** 2
        assert abs(p0[0] + r11 / np.sqrt(2)) <= 1e-7 * max(abs(r11), 1e-6 * scale), (zi, pti, wi)
        assert abs(pm[0] - r22) <= 1e-7 * max(abs(r22), 1e-6 * scale), (zi, pti, wi)


def test_bessel_functions():
    x = np.concatenate([np.linspace(0, 8, 2001), np.geomspace(8, 1e7, 2001), np.geomspace(1e-8, 2.5, 500)])
    for order in (0, 1, 2):
        mine = _fragmentation._bessel_ine(order, x)
        np.testing.assert_allclose(mine, special.ive(order, x), rtol=3e-13, atol=1e-300, err_msg=f"order {order}")
    with pytest.raises(ValueError, match="order"):
        _fragmentation._bessel_ine(3, x)


# ---------------------------------------------------------------- properties (docs/physics.md §12)
@pytest.fixture(scope="module", params=["collinear", "gaussian"])
def dm_result(request):
    pts = random_points(4000, seed=61, wide=True)
    r = jf.CrossSection(jf.Params(tmd_pdf=request.param), EXACT).evaluate(*pts, states=DM_STATES + ("T",))
    return request.param, r


def test_trace_and_positivity(dm_result):
    _, r = dm_result
    for ch in jf.CHANNELS:
        S00, Spp, Sp0, Spm = (r[ch, e] for e in DENSITY_STATES)
        U = r[ch, "U"]
        tol = 1e-12 * U
        np.testing.assert_allclose(S00 + 2 * Spp, U, rtol=1e-13, atol=0)
        assert np.all(S00 >= 0) and np.all(Spp + tol >= np.abs(Spm)), ch
        assert np.all(2 * Sp0 ** 2 <= S00 * (Spp - Spm) * (1 + 1e-10) + tol ** 2), ch
        lam = r.lambdas(ch)
        ok = U > 0
        th, ph, tp = lam["theta"][ok], lam["phi"][ok], lam["thetaphi"][ok]
        assert np.all(np.abs(th) <= 1 + 1e-12) and np.all(np.abs(ph) <= (1 + th) / 2 + 1e-12), ch
        assert np.all(tp ** 2 <= (1 - th) * (1 + th - 2 * ph) / 4 * (1 + 1e-9) + 1e-15), ch
        assert np.all(np.isnan(lam["theta"][~ok])), ch


def test_channel_properties(dm_result):
    model, r = dm_result
    ok = r["ff", "U"] > 0
    ff = {k: v[ok] for k, v in r.lambdas("ff").items()}
    assert np.all(ff["phi"] <= 1e-15) and np.all(ff["thetaphi"] >= -1e-15)
    if model == "collinear":                       # saturation of the positivity bound
        np.testing.assert_allclose(4 * ff["thetaphi"] ** 2, (1 - ff["theta"]) * (1 + ff["theta"] - 2 * ff["phi"]),
                                   rtol=1e-9, atol=1e-12)
    s = {k: v[ok] for k, v in r.lambdas("pgf_3s1_1").items()}
    assert np.all(s["phi"] == 0) and np.all(s["thetaphi"] <= 0)
    np.testing.assert_allclose(s["tilde"], s["theta"], rtol=1e-13, atol=1e-15)
    o = {k: v[ok] for k, v in r.lambdas("pgf_1s0_8").items()}
    for k in ("theta", "phi", "thetaphi", "tilde"):
        np.testing.assert_allclose(o[k], 0.0, atol=1e-14)
    p = r.lambdas("pgf_3pj_8")
    assert np.all(p["phi"][ok] == 0) and np.all(p["thetaphi"][ok] == 0)


def test_channel_sum_is_weighted_mean(dm_result):
    """Channel-sum lambdas = the (U_k + L_k)-weighted means of the channels' lambdas (density matrices added)."""
    _, r = dm_result
    tot = r.lambdas()
    w = np.array([r[ch, "U"] + r[ch, "L"] for ch in jf.CHANNELS])
    ok = w.sum(axis=0) > 0
    for k in ("theta", "phi", "thetaphi"):
        per = np.array([np.nan_to_num(r.lambdas(ch)[k]) for ch in jf.CHANNELS])
        mean = (w * per).sum(axis=0)[ok] / w.sum(axis=0)[ok]
        np.testing.assert_allclose(tot[k][ok], mean, rtol=1e-11, atol=1e-13)
    dm = r.density_matrix(("ff", "pgf_3s1_1"))
    np.testing.assert_allclose(dm["Sp0"], r["ff", "Sp0"] + r["pgf_3s1_1", "Sp0"], rtol=0, atol=0)


def test_limits():
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    z = np.array([0.3, 0.5, 0.8])
    lo = xs.evaluate(0.3, z, 20.0, 1e-4, states=DM_STATES)
    np.testing.assert_allclose(lo.lambdas("ff")["theta"], -1.0, atol=1e-8)
    np.testing.assert_allclose(lo.lambdas("pgf_3s1_1")["theta"], 1.0, atol=1e-8)
    hi = xs.evaluate(0.3, z, 20.0, 300.0, states=DM_STATES)
    lam = hi.lambdas("ff")
    np.testing.assert_allclose(lam["theta"], 1.0, atol=1e-3)
    np.testing.assert_allclose(lam["phi"], -2 * (1 - z) / (z * z - 2 * z + 2), atol=1e-3)
    # the closed forms of §12 for the ff collinear model at any P_T
    PT = np.array([0.5, 2.0, 5.0])
    r = xs.evaluate(0.3, z, 20.0, PT, states=DM_STATES)
    M = xs.params.M
    A_T, B_L = PT ** 2 * (z * z - 2 * z + 2), 4 * M * M * (1 - z) ** 2
    lam = r.lambdas("ff")
    np.testing.assert_allclose(lam["theta"], (A_T - B_L) / (A_T + B_L), rtol=1e-13)
    np.testing.assert_allclose(lam["phi"], -2 * (1 - z) * PT ** 2 / (A_T + B_L), rtol=1e-13)
    np.testing.assert_allclose(lam["thetaphi"], 2 * M * (2 - z) * (1 - z) * PT / (A_T + B_L), rtol=1e-13)


def test_gaussian_off_diagonal_vanish_at_zero_pt_and_collinear_limit():
    r = jf.CrossSection(jf.Params()).evaluate(0.3, [0.3, 0.6, 0.95], 20.0, 0.0, states=DM_STATES)
    for ch in jf.CHANNELS:
        assert np.all(r[ch, "Sp0"] == 0) and np.all(r[ch, "Spm"] == 0)
    # w -> 0 gives the collinear model
    pts = (0.3, np.array([0.3, 0.6, 0.95]), 20.0, np.array([0.7, 2.0, 1.0]))
    narrow = jf.CrossSection(jf.Params(kt2_pdf=1e-4)).evaluate(*pts, states=DM_STATES).lambdas("ff")
    coll = jf.CrossSection(jf.Params(tmd_pdf="collinear")).evaluate(*pts, states=DM_STATES).lambdas("ff")
    for k in ("theta", "phi", "thetaphi"):
        np.testing.assert_allclose(narrow[k], coll[k], atol=1e-4)


def test_density_states_do_not_change_default_outputs():
    pts = random_points(500, seed=71, wide=True)
    xs = jf.CrossSection()
    plain = xs.evaluate(*pts)
    full = xs.evaluate(*pts, states=("U", "L", "T") + DENSITY_STATES)
    assert plain.states == ("U", "L", "T")
    np.testing.assert_array_equal(plain.values, full.values[:, :3])
    np.testing.assert_allclose(plain.lambda_theta(), full.lambdas()["theta"], rtol=1e-14, atol=1e-15)


def test_thread_independence_of_off_diagonal():
    pts = random_points(3000, seed=81, wide=True)
    xs = jf.CrossSection()
    a = xs.evaluate(*pts, states=DENSITY_STATES, n_threads=1).values
    b = xs.evaluate(*pts, states=DENSITY_STATES, n_threads=2).values
    np.testing.assert_array_equal(a, b)


def test_state_combination_and_errors():
    assert state_combination("Spp", ("U", "T")) == {"T": 0.5}
    assert state_combination("U", ("S00", "Spp")) == {"S00": 1.0, "Spp": 2.0}
    with pytest.raises(ValueError, match="cannot be formed"):
        state_combination("Sp0", ("U", "L"))
    with pytest.raises(ValueError, match="states"):
        Layout(states=("U", "Sxx"))
    r = jf.CrossSection().evaluate(0.3, 0.5, 20.0, 1.0)
    with pytest.raises(KeyError, match="Sp0"):
        r.lambdas()
    # lambdas from U, L via T/2 = Spp
    r = jf.CrossSection().evaluate(0.3, 0.5, 20.0, 1.0, states=("T", "S00", "Sp0", "Spm"))
    assert np.isfinite(r.lambdas()["theta"])


# ---------------------------------------------------------------- integrated and binned lambdas
def test_integrated_lambdas_from_summed_elements_with_propagated_errors():
    """lambdas of the integrated density matrix equal decay_lambdas of the integrated elements; their errors
    (propagated with the elements' Monte Carlo covariance) match the spread over independent seeds."""
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    states = ("U", "L", "S00", "Spp", "Sp0", "Spm")
    pulls = {k: [] for k in ("theta", "phi", "thetaphi", "tilde")}
    runs = []
    for seed in range(10):
        res = jf.Integrator(jf.Domain(), seed=seed).integrate(xs, nitn=4, neval=20_000, warmup=2, states=states)
        runs.append(res)
    ref_run = jf.Integrator(jf.Domain(), seed=99).integrate(xs, nitn=10, neval=200_000, warmup=3, states=states)
    exact = ref_run.lambdas()
    for res in runs:
        lam = res.lambdas()
        tot = {e: sum(res[ch, e].mean for ch in jf.CHANNELS) for e in DENSITY_STATES}
        direct = jf.xsec.decay_lambdas(**tot)
        for k in pulls:
            assert lam[k].mean == pytest.approx(float(direct[k]), rel=1e-12, abs=1e-15)
            pulls[k].append((lam[k].mean - exact[k].mean) / np.hypot(lam[k].sdev, exact[k].sdev))
    for k, p in pulls.items():
        rms = float(np.sqrt(np.mean(np.square(p))))
        assert 0.35 < rms < 2.0, (k, rms)                  # 10 runs: the rms of unit pulls is 1 +- ~0.25
    one = runs[0].lambdas("pgf_3s1_1")
    assert one["phi"].mean == 0 and one["thetaphi"].mean < 0
    with pytest.raises(ValueError, match="density-matrix states"):
        jf.Integrator(jf.Domain(), seed=1).integrate(xs, nitn=2, neval=5000, warmup=1).lambdas()


def test_histogram_lambdas_per_bin():
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    states = ("U", "L", "S00", "Spp", "Sp0", "Spm")
    h = jf.Integrator(jf.Domain(), seed=3).histogram(xs, nitn=3, neval=30_000, warmup=2, states=states,
                                                      pt_edges=np.linspace(0, 6, 5))
    vals, errs = h.lambdas()
    S = {e: h.values()[:, h.states.index(e)].sum(axis=0) for e in DENSITY_STATES}
    direct = jf.xsec.decay_lambdas(**S)
    for k in ("theta", "phi", "thetaphi", "tilde"):
        ok = np.isfinite(direct[k])
        np.testing.assert_allclose(vals[k][ok], direct[k][ok], rtol=1e-10, atol=1e-13)
        assert np.all(errs[k][ok] >= 0) and np.all(np.isfinite(errs[k][ok]))
    ff_vals, _ = h.lambdas("ff")
    ok = np.isfinite(ff_vals["phi"])
    assert np.all(ff_vals["phi"][ok] <= 0) and np.all(ff_vals["thetaphi"][ok] >= 0)
    # channel-sum errors with the channels' covariance (same points): >= 0 and finite
    tot, err = h.total("U")
    assert np.all(np.isfinite(err)) and np.all(err >= 0)
    # the propagated errors of the P_T-summed lambdas describe the spread over seeds
    pulls = []
    runs = [jf.Integrator(jf.Domain(), seed=s).histogram(xs, nitn=2, neval=15_000, warmup=1, states=states,
                                                         pt_edges=np.linspace(0, 6, 3)).lambdas(sum_over="PT")
            for s in range(8)]
    best = jf.Integrator(jf.Domain(), seed=100).histogram(xs, nitn=6, neval=150_000, warmup=2, states=states,
                                                          pt_edges=np.linspace(0, 6, 3)).lambdas(sum_over="PT")
    for vals_s, errs_s in runs:
        for k in ("theta", "thetaphi"):
            pulls.append((vals_s[k] - best[0][k]) / np.hypot(errs_s[k], best[1][k]))
    rms = float(np.sqrt(np.mean(np.square(pulls))))
    assert 0.4 < rms < 2.0, rms
    with pytest.raises(ValueError, match="density-matrix states"):
        jf.Integrator(jf.Domain(), seed=3).histogram(xs, nitn=2, neval=5000, warmup=1).lambdas()


def test_region_target_lambda_separation():
    """RegionMapper(target="lambda_separation"): exact labels |lambda_theta(ff) - lambda_theta(PGF)| > threshold
    (PGF density matrices added), and a small map learns them."""
    xs = jf.CrossSection()
    rm = jf.RegionMapper(xs, target="lambda_separation", threshold=0.4, batch_size=500, budget=2000, seed=1)
    X = np.column_stack(random_points(3000, seed=7))
    L = rm.label(X)
    r = xs.evaluate(*X.T, states=("U", "L", "Sp0", "Spm"))
    ff = r.lambdas("ff")["theta"]
    pgf = r.lambdas(("pgf_1s0_8", "pgf_3pj_8", "pgf_3s1_1"))["theta"]
    gap = np.nan_to_num(np.abs(ff - pgf), nan=0.0)
    np.testing.assert_array_equal(L.y, (gap > 0.4).astype(int))
    assert rm.classes == ("similar", "separated") and 0 < L.y.mean() < 1
    rm.fit()
    assert rm.evaluate(n_test=5000)["sigma_weighted"]["sigma_weighted_accuracy"] > 0.95
