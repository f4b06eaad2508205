"""Beams, the lab-frame integrand in acceptance, decayed events and rates (docs/physics.md §13)."""
import math
import pickle

import hist
import numpy as np
import pytest
from scipy import stats

import jpsi_fast as jf
from jpsi_fast.events import (EventGenerator, expected_counts, lab_kinematics, lambda_theta_information,
                              per_event_uniforms, rates_table)
from jpsi_fast.integrate import Acceptance
from jpsi_fast.params import BEAM_PRESETS, DECAY_LEPTONS, M_ELECTRON, M_MUON, M_PROTON
from jpsi_fast.reference import _lab as ref_lab


def _mdot(a, b):
    return a[..., 0] * b[..., 0] - (a[..., 1:] * b[..., 1:]).sum(axis=-1)


# ------------------------------------------------------------------------------------------------ beams
@pytest.mark.parametrize("name", sorted(BEAM_PRESETS))
def test_beam_presets(name):
    e, p = BEAM_PRESETS[name]
    b = jf.Beams.preset(name)
    pe, pp = math.sqrt(e * e - M_ELECTRON ** 2), math.sqrt(p * p - M_PROTON ** 2)
    s = (e + p) ** 2 - (pp - pe) ** 2
    assert b.sqrt_s == pytest.approx(math.sqrt(s), rel=1e-14)
    assert jf.Params(beams=name).sqrt_s == b.sqrt_s and jf.Params(beams=b).beams == b


def test_beam_values():
    assert jf.Beams.preset("18x275").sqrt_s == pytest.approx(140.7154, abs=1e-4)
    assert jf.Beams.preset("27.5x920") == jf.Beams(27.5, 920.0, name="27.5x920")
    p = jf.Params(beams="18x275")
    assert p.replace(sqrt_s=63.0).beams is None and p.replace(beams="5x41").sqrt_s == pytest.approx(28.6491, abs=1e-4)
    assert pickle.loads(pickle.dumps(p)) == p and hash(p) == hash(jf.Params(beams="18x275"))
    with pytest.raises(ValueError, match="contradicts"):
        jf.Params(sqrt_s=100.0, beams="18x275")
    for bad in ("18y275", "x", "0x275", "18x0.5"):
        with pytest.raises(ValueError, match="Beams"):
            jf.Beams.preset(bad)
    with pytest.raises(ValueError, match="electron_energy"):
        jf.Beams(-1.0, 275.0)
    with pytest.raises(TypeError, match="beams"):
        jf.Params(beams=18.0)


def test_acceptance_validation():
    a = Acceptance.typical()
    assert a.active and a.lepton == DECAY_LEPTONS["mumu"] and not Acceptance().active
    with pytest.raises(ValueError, match="lepton_eta"):
        Acceptance(lepton_eta=(3.5, -3.5))
    with pytest.raises(ValueError, match="decay"):
        Acceptance(decay="tautau")
    with pytest.raises(ValueError, match="lepton_pt_min"):
        Acceptance(lepton_pt_min=-1.0)
    with pytest.raises(TypeError, match="acceptance"):
        jf.Domain(acceptance="typical")
    with pytest.raises(ValueError, match="beams"):
        jf.Integrator(jf.Domain(acceptance=a)).integrate(jf.CrossSection(), nitn=1, neval=1000)


# ------------------------------------------------------------------------------------------------ integrals
@pytest.fixture(scope="module")
def eic():
    return jf.CrossSection(jf.Params(beams="18x275", tmd_pdf="collinear"))


def test_lab_integral_without_cuts_equals_the_4d_integral(eic):
    r4 = jf.Integrator(jf.Domain(), seed=1).integrate(eic, nitn=6, neval=100_000)
    r7 = jf.Integrator(jf.Domain(acceptance=Acceptance()), seed=2).integrate(eic, nitn=6, neval=100_000)
    for ch in r4.channels + (None,):
        a, b = (r4.total("U"), r7.total("U")) if ch is None else (r4[ch, "U"], r7[ch, "U"])
        # exact kinematics exclude ~2e-4 of sigma at 18x275 (docs/physics.md §13.2)
        assert abs(a.mean - b.mean) <= 4 * math.hypot(a.sdev, b.sdev) + 5e-4 * a.mean, (ch, a, b)
    assert r7.layout.states == ("U",)
    with pytest.raises(ValueError, match="sigma_U per channel"):
        jf.Integrator(jf.Domain(acceptance=Acceptance())).integrate(eic, nitn=1, neval=1000, states=("U", "L"))


def test_in_acceptance_integral_against_an_independent_monte_carlo(eic):
    """sigma_U in acceptance from the 7-D integrand vs weighted 4-D points decayed with the reference kinematics
    (tests' own decay sampling and cuts)."""
    acc = Acceptance.typical()
    r = jf.Integrator(jf.Domain(acceptance=acc), seed=3).integrate(eic, nitn=8, neval=100_000).total("U")
    full = jf.Integrator(jf.Domain(), seed=4).integrate(eic, nitn=6, neval=100_000).total("U")
    ev = jf.Integrator(jf.Domain(), seed=5).sample(eic, 100_000, unweighted=True)
    rng = np.random.default_rng(6)
    n, k = len(ev), 8                                  # k decays per point
    el = eic.evaluate(ev.x, ev.z, ev.Q, ev.PT, states=("U", "L", "Sp0", "Spm"))
    dens = {s: el.values[:, k].sum(axis=0) for k, s in enumerate(("U", "L", "Sp0", "Spm"))}
    b = jf.Beams.preset("18x275")
    accepted = np.zeros(n)
    for _ in range(k):
        c, phi = rng.uniform(-1, 1, n), rng.uniform(0, 2 * np.pi, n)
        w = 0.75 * ((dens["U"] + dens["L"]) + (dens["U"] - 3 * dens["L"]) * c * c
                    + 2 * dens["Spm"] * (1 - c * c) * np.cos(2 * phi)
                    + 4 * math.sqrt(2) * dens["Sp0"] * np.sqrt(1 - c * c) * c * np.cos(phi)) / dens["U"]
        out = ref_lab.lab_event_reference(b.electron_energy, b.proton_energy, M_ELECTRON, M_PROTON, 3.1, M_MUON,
                                          ev.x, ev.Q, ev.z, ev.PT, rng.uniform(0, 2 * np.pi, n),
                                          rng.uniform(0, 2 * np.pi, n), c, phi)
        ok = out["valid"].copy()
        for name in ("lep_plus", "lep_minus"):
            p = out[name]
            pt = np.hypot(p[:, 1], p[:, 2])
            eta = np.arcsinh(p[:, 3] / pt)
            ok &= (pt > 0.5) & (np.abs(eta) < 3.5)
        pe = out["e_out"]
        ok &= np.abs(np.arcsinh(pe[:, 3] / np.hypot(pe[:, 1], pe[:, 2]))) < 3.5
        accepted += np.where(ok, w, 0.0)
    frac = accepted / k
    est = full.mean * frac.mean()
    err = math.hypot(full.mean * frac.std() / math.sqrt(n), full.sdev * frac.mean())
    assert 0.5 < frac.mean() < 0.99
    assert abs(r.mean - est) <= 4 * math.hypot(r.sdev, err), (r, est, err)


def test_hist_histograms_of_lab_observables(eic):
    dom = jf.Domain(acceptance=Acceptance.typical())
    ax = hist.axis.Regular(14, -3.5, 3.5, name="lep_plus_eta", label=r"$\eta_{\mu^+}$")
    h = jf.Integrator(dom, seed=7).histogram(eic, axes=[ax], nitn=4, neval=100_000, warmup=3)
    assert isinstance(h, hist.Hist) and h.axes.name == ("channel", "state", "lep_plus_eta") and h.states == ("U",)
    assert h.kinematic_axes == ("lep_plus_eta",) and np.allclose(h.widths, 0.5)
    total = jf.Integrator(dom, seed=8).integrate(eic, nitn=4, neval=100_000).total("U")
    tot, err = h.total("U")
    assert abs(tot.sum() - total.mean) <= 4 * math.hypot(math.sqrt((err ** 2).sum()), total.sdev)
    # the events' eta distribution follows the histogram (chi^2)
    gen = EventGenerator(eic, dom, seed=9)
    ev = gen.generate(30_000)
    eta = np.arcsinh(ev.p4["lep_plus"][:, 3] / np.hypot(ev.p4["lep_plus"][:, 1], ev.p4["lep_plus"][:, 2]))
    np.testing.assert_allclose(eta, ev.lep_plus_eta, atol=1e-9)
    np.testing.assert_allclose(ev.lep_minus_E, ev.p4["lep_minus"][:, 0], rtol=1e-12)
    pe = ev.p4["e_out"]
    np.testing.assert_allclose(ev.e_theta, np.arctan2(np.hypot(pe[:, 1], pe[:, 2]), pe[:, 3]), atol=1e-12)
    obs, _ = np.histogram(eta, bins=ax.edges)
    exp = len(eta) * tot / tot.sum()
    keep = exp > 5
    chi2 = ((obs[keep] - exp[keep]) ** 2 / exp[keep]).sum()
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3, (obs, exp)
    # a 2-D histogram and its projection; errors: (name, edges) pairs; sliced histograms refuse covariance methods
    h2 = jf.Integrator(dom, seed=7).histogram(eic, axes=[("z", [0.1, 0.4, 0.8]), ("jpsi_eta", np.linspace(-4, 6, 6))],
                                              nitn=2, neval=20_000, warmup=1)
    assert h2.values().shape == (4, 1, 2, 5) and h2.project("z").values().shape == (2,)
    with pytest.raises(ValueError, match="as filled"):
        h2[:, :, 0, :].total("U")
    with pytest.raises(ValueError, match="not an observable"):
        jf.Integrator(dom, seed=7).histogram(eic, axes=[("eta_nonsense", [0, 1])], nitn=1, neval=1000)
    with pytest.raises(ValueError, match="not both"):
        jf.Integrator(dom, seed=7).histogram(eic, axes=[ax], pt_edges=[0, 1], nitn=1, neval=1000)


# ------------------------------------------------------------------------------------------------ events
@pytest.fixture(scope="module")
def decayed(eic):
    """Unweighted events without cuts (the lab frame and the decay) and the density matrix of the same region."""
    gen = EventGenerator(eic, jf.Domain(acceptance=Acceptance()), seed=11)
    ev = gen.generate(120_000)
    edges = np.array([0.0, 1.0, 2.0, 6.0])
    h = jf.Integrator(jf.Domain(), seed=12).histogram(eic, axes=[("PT", edges)], nitn=6, neval=200_000,
                                                      states=("U", "L", "Sp0", "Spm"))
    return gen, ev, edges, h


def test_events_kinematics_and_columns(decayed):
    gen, ev, _, _ = decayed
    p = ev.p4
    scale = 275.0
    np.testing.assert_allclose(p["beam_e"] + p["beam_p"], p["e_out"] + p["jpsi"] + p["X"], atol=1e-10 * scale)
    np.testing.assert_allclose(p["jpsi"], p["lep_plus"] + p["lep_minus"], atol=1e-10 * scale)
    np.testing.assert_allclose(_mdot(p["lep_plus"], p["lep_plus"]), M_MUON ** 2, atol=1e-12 * scale ** 2)
    inv = ref_lab.invariants_reference(p["beam_e"], p["beam_p"], p["e_out"], p["jpsi"])
    np.testing.assert_allclose(inv["x"], ev.x, rtol=1e-10)
    np.testing.assert_allclose(inv["z"], ev.z, rtol=1e-10)
    np.testing.assert_allclose(np.sqrt(inv["Q2"]), ev.Q, rtol=1e-10)
    np.testing.assert_allclose(inv["PT"], ev.PT, rtol=1e-9, atol=1e-10)
    cos_t, phi = ref_lab.decay_angles_reference(p["beam_p"], p["gamma"], p["jpsi"], p["lep_plus"])
    np.testing.assert_allclose(cos_t, ev.cos_theta, atol=1e-9)
    np.testing.assert_allclose(np.cos(phi), np.cos(ev.phi), atol=1e-8)
    assert np.allclose(ev.weight, ev.weight[0]) and ev.weight.sum() == pytest.approx(
        gen.sigma[0] * DECAY_LEPTONS["mumu"][2], rel=1e-12)
    assert set(np.unique(ev.channel)) <= set(range(4))


def test_decay_angles_refit_the_density_matrix(decayed):
    """lambda_theta, lambda_phi, lambda_thetaphi refitted (moments) from the generated angles in P_T bins agree with
    the integrated density matrix of the same bins; chi^2 of the cos theta and phi distributions."""
    _, ev, edges, h = decayed
    lam, lam_err = h.lambdas()
    c, phi = ev.cos_theta, ev.phi
    s2 = 1 - c * c
    for b in range(len(edges) - 1):
        m = (ev.PT >= edges[b]) & (ev.PT < edges[b + 1])
        n = m.sum()
        assert n > 3000
        f1, f2, f3 = c[m] ** 2, s2[m] * np.cos(2 * phi[m]), 2 * np.sqrt(s2[m]) * c[m] * np.cos(phi[m])
        m1 = f1.mean()
        lt = (5 - 15 * m1) / (5 * m1 - 3)
        lp = 5 * (3 + lt) * f2.mean() / 4
        ltp = 5 * (3 + lt) * f3.mean() / 4
        # standard errors: delta method for lambda_theta, moments' errors for the others
        e_lt = abs(-15 * (5 * m1 - 3) - 5 * (5 - 15 * m1)) / (5 * m1 - 3) ** 2 * f1.std() / math.sqrt(n)
        e_lp = 5 * (3 + lt) / 4 * f2.std() / math.sqrt(n)
        e_ltp = 5 * (3 + lt) / 4 * f3.std() / math.sqrt(n)
        for key, v, e in (("theta", lt, e_lt), ("phi", lp, e_lp), ("thetaphi", ltp, e_ltp)):
            assert abs(v - lam[key][b]) <= 4.5 * math.hypot(e, lam_err[key][b]), (b, key, v, lam[key][b], e)
    # the whole sample: cos theta and phi distributions against W with the sample's integrated lambdas
    tot = {k: None for k in ("theta", "phi")}
    lam_all, _ = h.lambdas(sum_over="PT")
    tot["theta"], tot["phi"] = float(lam_all["theta"]), float(lam_all["phi"])
    ce = np.linspace(-1, 1, 21)
    p_c = np.diff(ce + tot["theta"] * ce ** 3 / 3)
    pe = np.linspace(0, 2 * np.pi, 19)
    a = 2 * tot["phi"] / (3 + tot["theta"])
    p_phi = np.diff(pe + a * np.sin(2 * pe) / 2)
    for x, e, p in ((c, ce, p_c), (phi, pe, p_phi)):
        obs, _ = np.histogram(x, bins=e)
        exp = len(x) * p / p.sum()
        chi2 = ((obs - exp) ** 2 / exp).sum()
        assert stats.chi2.sf(chi2, len(obs) - 1) > 1e-3, (chi2, obs, exp)


def test_channel_attribution_follows_the_channels(decayed, eic):
    _, ev, _, _ = decayed
    r = jf.Integrator(jf.Domain(acceptance=Acceptance()), seed=13).integrate(eic, nitn=6, neval=100_000)
    share = np.array([r[ch, "U"].mean for ch in r.channels]) / r.total("U").mean
    counts = np.bincount(ev.channel, minlength=4)
    exp = len(ev) * share
    keep = exp > 5
    chi2 = (((counts - exp) ** 2 / exp)[keep]).sum()
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3, (counts, exp)


def test_events_do_not_depend_on_threads_or_batches(eic):
    dom = jf.Domain(acceptance=Acceptance.typical())
    runs = []
    for nt, batch in ((1, 5000), (2, 1234), (3, 5000)):
        gen = EventGenerator(eic, dom, seed=21, n_threads=nt, neval=20_000, warmup=2)
        parts = list(gen.iter_events(5000, batch))
        runs.append((np.concatenate([pt.p4["lep_plus"] for pt in parts]), np.concatenate([pt.channel for pt in parts]),
                     gen.sigma))
    for p4, ch, sigma in runs[1:]:
        assert np.array_equal(p4, runs[0][0]) and np.array_equal(ch, runs[0][1]) and sigma == runs[0][2]
    u = per_event_uniforms(5, 1, 0, 10_000)
    assert np.array_equal(u[4090:5000], per_event_uniforms(5, 1, 4090, 910))
    assert not np.array_equal(u[:100], per_event_uniforms(5, 2, 0, 100))
    gen = EventGenerator(eic, dom, seed=21, neval=20_000, warmup=2)
    gen.generate(100)
    clone = pickle.loads(pickle.dumps(gen))
    a, b = clone.generate(500), gen.generate(500)
    assert np.array_equal(a.p4["jpsi"], b.p4["jpsi"]) and np.array_equal(a.phi_e, b.phi_e)
    c = gen.generate(500)                                  # the next generation: independent events and azimuths
    assert not np.array_equal(c.phi_e, b.phi_e) and not np.array_equal(c.p4["jpsi"], b.p4["jpsi"])


def test_lab_kinematics_validation():
    with pytest.raises(ValueError, match="x must be"):
        lab_kinematics("18x275", 1.5, 10, 0.5, 1, 0, 0, 0, 0)
    with pytest.raises(ValueError, match="cos_theta"):
        lab_kinematics("18x275", 0.5, 10, 0.5, 1, 0, 0, 2, 0)
    with pytest.raises(ValueError, match="decay"):
        lab_kinematics("18x275", 0.5, 10, 0.5, 1, 0, 0, 0, 0, decay="tautau")
    out = lab_kinematics("18x275", [0.5, 0.5], [10.0, 10.0], [0.5, 0.999999], [1.0, 5.0], 0, 0, 0, 0)
    assert out["valid"].tolist() == [True, False] and np.isnan(out["jpsi"][1]).all()
    with pytest.raises(ValueError, match="lab frame"):
        EventGenerator(jf.CrossSection())


# ------------------------------------------------------------------------------------------------ rates
def test_lambda_theta_information():
    assert lambda_theta_information(0.0) == pytest.approx(4 / 45, rel=1e-12)
    # against a numerical second derivative of the expected log-likelihood
    lam, d = 0.4, 1e-4
    c, w = np.polynomial.legendre.leggauss(64)

    def expected_loglik(l_):
        W0 = (1 + lam * c * c) / (2 * (1 + lam / 3))
        return (w * W0 * np.log((1 + l_ * c * c) / (2 * (1 + l_ / 3)))).sum()
    second = (expected_loglik(lam + d) - 2 * expected_loglik(lam) + expected_loglik(lam - d)) / d ** 2
    assert lambda_theta_information(lam) == pytest.approx(-second, rel=1e-5)


def test_expected_counts_and_rates_table(eic):
    dom = jf.Domain.eic(Acceptance.typical())
    h = jf.Integrator(dom, seed=31).histogram(eic, axes=[("z", [0.1, 0.45, 0.8])], nitn=2, neval=20_000, warmup=2)
    rates = expected_counts(h, 10.0)
    sigma, _ = h.total("U")
    np.testing.assert_allclose(rates["counts"], sigma * DECAY_LEPTONS["mumu"][2] * 1e4, rtol=1e-12)
    np.testing.assert_allclose(rates["stat_error"], 1 / np.sqrt(rates["counts"]), rtol=1e-12)
    np.testing.assert_allclose(rates["lambda_theta_error"], 1 / np.sqrt(rates["counts"] * 4 / 45), rtol=1e-9)
    with pytest.raises(ValueError, match="lumi_fb"):
        expected_counts(h, -1.0)
    t = rates_table(eic, dom, 10.0, np.array([0.1, 0.45, 0.8]), np.array([0.0, 1.0, 6.0]), nitn=2, neval=20_000,
                    warmup=2)
    g = t["grid"]
    assert g["counts"].shape == (2, 2) and np.all(g["counts"] > 0) and np.all((g["acceptance"] > 0.3)
                                                                               & (g["acceptance"] <= 1.0 + 1e-2))
    assert t["columns"]["counts"].sum() == pytest.approx(t["sigma_acc_pb"] * DECAY_LEPTONS["mumu"][2] * 1e4,
                                                         rel=1e-9)
    assert "expected J/psi -> mumu events for 10 fb^-1" in t["text"]


def test_frames_round_trip_and_recover_the_invariants(decayed):
    pytest.importorskip("vector")
    from jpsi_fast.events import FrameTransform
    _, ev, _, _ = decayed
    sub = slice(0, 5000)
    p4 = {k: v[sub] for k, v in ev.p4.items()}
    for frame in ("gamma_p", "breit"):
        t = FrameTransform(p4["beam_e"], p4["beam_p"], p4["gamma"], frame)
        f = {k: t.forward(v) for k, v in p4.items()}
        for name, v in p4.items():
            scale = np.abs(f[name]).max(axis=1, keepdims=True) + np.abs(v).max(axis=1, keepdims=True)
            assert np.all(np.abs(t.inverse(f[name]) - v) <= 1e-12 * scale), (frame, name)
            assert np.all(np.abs(_mdot(f[name], f[name]) - _mdot(v, v)) <= 1e-12 * scale[:, 0] ** 2), (frame, name)
        q, P, k, psi = f["gamma"], f["beam_p"], f["beam_e"], f["jpsi"]
        assert np.all(np.abs(q[:, 1:3]) <= 1e-10 * q[:, 3:4]) and np.all(q[:, 3] > 0)
        assert np.all(np.abs(P[:, 1:3]) <= 1e-10 * P[:, :1]) and np.all(P[:, 3] < 0)
        assert np.all(np.abs(k[:, 2]) <= 1e-10 * k[:, 0]) and np.all(k[:, 1] > 0)
        np.testing.assert_allclose(np.hypot(psi[:, 1], psi[:, 2]), ev.PT[sub], rtol=1e-9, atol=1e-10)
        dphi = np.angle(np.exp(1j * (np.arctan2(psi[:, 2], psi[:, 1]) - ev.phi_h[sub])))
        assert np.all(np.abs(dphi[ev.PT[sub] > 1e-3]) < 1e-8)
        if frame == "breit":
            np.testing.assert_allclose(q[:, 0], 0.0, atol=1e-10 * ev.Q[sub].max())
            np.testing.assert_allclose(q[:, 3], ev.Q[sub], rtol=1e-10)
        else:
            np.testing.assert_allclose((q + P)[:, 1:], 0.0, atol=1e-10 * P[:, 0].max())
        ref = {"gamma_p": ref_lab.to_gamma_p_frame, "breit": ref_lab.to_breit_frame}[frame](
            p4["jpsi"], p4["beam_e"], p4["beam_p"], p4["gamma"])
        np.testing.assert_allclose(f["jpsi"], ref, atol=1e-10 * np.abs(ref).max())
    with pytest.raises(ValueError, match="frame"):
        FrameTransform(p4["beam_e"], p4["beam_p"], p4["gamma"], "helicity")
    assert set(ev.in_frame("breit")) == set(ev.p4)


def test_control_variate_integrand_is_unbiased(eic):
    """integrate() uses the decay-angle control variate (docs/physics.md §13.4): the same sigma_U in acceptance as
    the plain lab-frame integrand (which histograms and samples use), per channel."""
    dom = jf.Domain(acceptance=Acceptance.typical())
    plain = eic.integrand(dom)
    cv = eic.integrand(dom, control_variate=True)
    assert cv.control_variate and not plain.control_variate and cv.key() != plain.key()
    a = jf.Integrator(dom, seed=41).integrate(plain, nitn=8, neval=100_000)
    b = jf.Integrator(dom, seed=42).integrate(eic, nitn=8, neval=100_000)
    for ch in a.channels:
        x, y = a[ch, "U"], b[ch, "U"]
        assert abs(x.mean - y.mean) <= 4 * math.hypot(x.sdev, y.sdev), (ch, x, y)
    assert b.total("U").sdev < 0.7 * a.total("U").sdev          # the point of it
    # with no cut the control-variate integrand is sigma_U at every allowed point, whatever the angles
    u = np.random.default_rng(1).random((2000, 7))
    u2 = u.copy()
    u2[:, 4:] = np.random.default_rng(2).random((2000, 3))
    nocut = eic.integrand(jf.Domain(acceptance=Acceptance()), control_variate=True)
    np.testing.assert_array_equal(nocut.evaluate_points(u)[1], nocut.evaluate_points(u2)[1])


def test_region_map_of_enough_events(eic):
    """target "large" with a CountTarget: labels = at least min_counts expected events in the cell."""
    pytest.importorskip("sklearn")
    from jpsi_fast.events import CountTarget
    ct = CountTarget(lumi_fb=10.0, min_counts=10.0, cell=(0.05, 0.1, 2.0, 0.5))
    rm = jf.RegionMapper(eic, jf.Domain.eic(), target="large", count_target=ct, batch_size=500, budget=1500, seed=2)
    X = np.array([[0.05, 0.5, 6.0, 1.0], [0.5, 0.3, 40.0, 5.0]])
    lab = rm.label(X)
    n = ct.counts(lab.sigma, X)
    sig = eic.evaluate(*X.T).total("U")
    np.testing.assert_allclose(n, sig * 4 * X[:, 2] * X[:, 3] * 0.05 * 0.1 * 2.0 * 0.5 * DECAY_LEPTONS["mumu"][2] * 1e4,
                               rtol=1e-12)                 # P_T >= dP_T/2: the cell's dP_T^2 = 2 P_T dP_T
    at_zero = ct.counts(np.array([1.0]), np.array([[0.1, 0.5, 10.0, 0.0]]))
    assert at_zero[0] == pytest.approx(0.05 * 0.1 * 2 * 10.0 * 2.0 * 0.5 ** 2 * DECAY_LEPTONS["mumu"][2] * 1e4)
    assert lab.y.tolist() == (n >= 10).astype(int).tolist() and n[0] > 10 > n[1]
    rm.fit()
    assert rm.classes == ("small", "large") and len(rm.X_) == 1500
    with pytest.raises(ValueError, match="cell"):
        CountTarget(cell=(0.1, 0.1, 2.0))
    with pytest.raises(ValueError, match="count_target"):
        jf.RegionMapper(eic, jf.Domain.eic(), target="dominant", count_target=ct)


def test_event_files_identical_for_any_thread_count_and_atomic(eic, tmp_path, monkeypatch):
    dom = jf.Domain(acceptance=Acceptance.typical())
    for nt in (1, 2):
        s = jf.write_events(tmp_path / f"t{nt}.hepmc", eic, 3000, domain=dom, seed=4, n_threads=nt, batch=700)
        assert s["events"] == 3000 and s["sigma_pb"] > 0
    assert (tmp_path / "t1.hepmc").read_bytes() == (tmp_path / "t2.hepmc").read_bytes()

    class Boom(RuntimeError):
        pass

    def failing(*a, **k):
        raise Boom("stop")
    gen_iter = EventGenerator.iter_events

    def half(self, n, batch=100_000, unweighted=True, progress=None, chunk=None):
        it = gen_iter(self, n, batch, unweighted, progress, chunk)
        yield next(it)
        failing()
    monkeypatch.setattr(EventGenerator, "iter_events", half)
    with pytest.raises(Boom):
        jf.write_events(tmp_path / "broken.lhe", eic, 3000, domain=dom, seed=4, batch=700)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t1.hepmc", "t2.hepmc"]


def test_beam_polarizations_attach_to_the_beams():
    b = jf.Beams(10.0, 100.0, electron_polarization=0.7, proton_polarization=-0.6)
    assert b.polarization == (0.7, -0.6) and jf.Beams.preset("10x100").polarization is None and "lambda_e" in str(b)
    xs = jf.CrossSection(jf.Params(beams=b))
    plain = jf.CrossSection(jf.Params(beams="10x100"))
    r, r2 = xs.evaluate(0.3, 0.4, 15.0, 1.0), plain.evaluate(0.3, 0.4, 15.0, 1.0, lambda_e=0.7, S_N=-0.6)
    assert r.states == r2.states and float(r.A_LL()) == float(r2.A_LL()) and float(r["ff", "U"]) == float(r2["ff", "U"])
    a = jf.Integrator(jf.Domain(), seed=1).integrate(xs, nitn=2, neval=10_000)
    b2 = jf.Integrator(jf.Domain(), seed=1).integrate(plain, nitn=2, neval=10_000, beam=(0.7, -0.6))
    assert a.layout.beam == (0.7, -0.6) and a.total("U").mean == b2.total("U").mean
    with pytest.raises(ValueError, match="unpolarized beams"):
        EventGenerator(xs)
    with pytest.raises(ValueError, match="electron_polarization"):
        jf.Beams(10.0, 100.0, electron_polarization=1.5)
