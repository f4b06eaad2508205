"""Tests of the pure NumPy + ``vector`` reference for exact DIS event kinematics (jpsi_fast.reference._lab), and of
the compiled ``jpsi_fast._lab.lab_kinematics_array`` against it (skipped while that module does not exist).

The reference builds events covariantly in the lab (no boosts) and reads them back with ``vector``'s boosts and
rotations, so the self-consistency tests below compare two independent routes.  Precision note: an event stored as
lab four-vectors carries absolute rounding ~1e-16 x (lab energy) x (boost to the gamma*p frame), ~1e-12 GeV at
18 x 275 GeV, so relative checks of P_T and angles use P_T >= 0.25 GeV and small P_T is checked in absolute terms.
"""

import numpy as np
import pytest

from jpsi_fast.reference._lab import (
    EVENT_KEYS,
    decay_angles_reference,
    from_breit_frame,
    from_gamma_p_frame,
    helicity_axes_reference,
    invariants_reference,
    lab_event_reference,
    to_breit_frame,
    to_gamma_p_frame,
)

M_E = 0.51099895e-3       # GeV
M_P = 0.93827208816       # GeV
M_PSI = 3.1               # GeV (model value, not the PDG 3.0969)
M_MU = 0.1056583755       # GeV
BEAMS = [(18.0, 275.0), (5.0, 41.0), (10.0, 100.0)]
BEAM_IDS = [f"{int(a)}x{int(b)}" for a, b in BEAMS]
REL = 1e-10


def draw(E_e, E_p, n, seed, pt=(0.25, 5.0), z=(0.1, 0.95)):
    """Random inputs of lab_event_reference: x in [0.05, 0.9], Q in [2, 30] GeV with y <= 0.95 enforced through
    x >= Q^2 / (0.95 (s - m_p^2 - m_e^2)); P_T, z uniform in the given ranges; all angles uniform."""
    rng = np.random.default_rng(seed)
    p_e = np.sqrt(E_e ** 2 - M_E ** 2)
    p_p = np.sqrt(E_p ** 2 - M_P ** 2)
    two_Pk = 2.0 * (E_e * E_p + p_e * p_p)          # s - m_p^2 - m_e^2
    Q = rng.uniform(2.0, min(30.0, np.sqrt(0.95 * 0.9 * two_Pk)), n)
    x = rng.uniform(np.maximum(0.05, Q ** 2 / (0.95 * two_Pk)), 0.9)
    return dict(E_e=E_e, E_p=E_p, m_e=M_E, m_p=M_P, M=M_PSI, m_lep=M_MU, x=x, Q=Q,
                z=rng.uniform(*z, n), PT=rng.uniform(*pt, n),
                phi_e=rng.uniform(-np.pi, np.pi, n), phi_h=rng.uniform(-np.pi, np.pi, n),
                cos_theta=rng.uniform(-1.0, 1.0, n), phi=rng.uniform(-np.pi, np.pi, n))


def event(E_e, E_p, n=4000, seed=0, **kw):
    inp = draw(E_e, E_p, n, seed, **kw)
    ev = lab_event_reference(**inp)
    v = ev["valid"]
    assert v.mean() > 0.3, v.mean()
    return inp, ev, v


def dphi(a, b):
    """|a - b| modulo 2 pi."""
    return np.abs(np.angle(np.exp(1j * (np.asarray(a) - np.asarray(b)))))


def msq(p):
    return p[..., 0] ** 2 - p[..., 1] ** 2 - p[..., 2] ** 2 - p[..., 3] ** 2


def mdot(a, b):
    return a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1] - a[..., 2] * b[..., 2] - a[..., 3] * b[..., 3]


# ------------------------------------------------------------------------------ compiled kernel vs the reference

@pytest.mark.parametrize("beams", BEAMS, ids=BEAM_IDS)
def test_cython_lab_kinematics_matches_reference(beams):
    lab = pytest.importorskip("jpsi_fast._lab")
    E_e, E_p = beams
    # P_T down to 0.05 GeV and z up to 1 so that some points are invalid (X^2 < m_p^2)
    inp = draw(E_e, E_p, 5000, seed=11, pt=(0.05, 6.0), z=(0.05, 1.0))
    ref = lab_event_reference(**inp)
    arrays = {k: np.ascontiguousarray(np.broadcast_to(inp[k], inp["x"].shape), dtype=np.float64)
              for k in ("x", "Q", "z", "PT", "phi_e", "phi_h", "cos_theta", "phi")}
    scalars = [float(inp[k]) for k in ("E_e", "E_p", "m_e", "m_p", "M", "m_lep")]
    args = scalars + [arrays[k] for k in ("x", "Q", "z", "PT", "phi_e", "phi_h", "cos_theta", "phi")]
    out = lab.lab_kinematics_array(*args, n_threads=1)
    assert set(out) >= set(EVENT_KEYS) | {"valid"}
    valid = np.asarray(out["valid"])
    assert valid.dtype == np.bool_ and valid.shape == ref["valid"].shape
    assert 0 < ref["valid"].sum() < ref["valid"].size
    np.testing.assert_array_equal(valid, ref["valid"])
    tol = 1e-10 * max(E_e, E_p)
    for key in EVENT_KEYS:
        got = np.asarray(out[key])
        assert got.shape == (valid.size, 4) and got.dtype == np.float64, key
        np.testing.assert_allclose(got[valid], ref[key][valid], rtol=0, atol=tol, err_msg=key)
    out2 = lab.lab_kinematics_array(*args, n_threads=2)
    for key in EVENT_KEYS + ("valid",):
        assert np.array_equal(np.asarray(out2[key]), np.asarray(out[key]), equal_nan=True), key


# ------------------------------------------------------------------------------ constants

def test_constants_are_pdg_values():
    particle = pytest.importorskip("particle")
    for pdgid, value in ((11, M_E), (13, M_MU), (2212, M_P)):
        pdg = particle.Particle.from_pdgid(pdgid).mass / 1000.0       # MeV -> GeV
        assert abs(value / pdg - 1.0) < 1e-6, (pdgid, value, pdg)
    assert abs(particle.Particle.from_pdgid(443).mass / 1000.0 - M_PSI) < 0.01   # J/psi: M = 3.1 is a model value


# ------------------------------------------------------------------------------ self-consistency

@pytest.mark.parametrize("beams", BEAMS, ids=BEAM_IDS)
def test_invariants_recover_inputs(beams):
    inp, ev, v = event(*beams)
    inv = invariants_reference(ev["beam_e"][v], ev["beam_p"][v], ev["e_out"][v], ev["jpsi"][v])
    for name, want in (("x", inp["x"]), ("Q2", inp["Q"] ** 2), ("z", inp["z"]), ("PT", inp["PT"])):
        np.testing.assert_allclose(inv[name], want[v], rtol=REL, atol=0, err_msg=name)
    assert dphi(inv["phi_h"], inp["phi_h"][v]).max() <= REL
    # y = Q^2 / (x (s - m_p^2 - m_e^2)) and the cut y <= 0.95 of the draw
    E_e, E_p = beams
    two_Pk = 2.0 * (E_e * E_p + np.sqrt(E_e ** 2 - M_E ** 2) * np.sqrt(E_p ** 2 - M_P ** 2))
    np.testing.assert_allclose(inv["y"], inp["Q"][v] ** 2 / (inp["x"][v] * two_Pk), rtol=REL)
    assert inv["y"].max() <= 0.95 * (1 + 1e-12)
    # the scattered electron's lab azimuth is phi_e
    assert dphi(np.arctan2(ev["e_out"][v, 2], ev["e_out"][v, 1]), inp["phi_e"][v]).max() <= REL


@pytest.mark.parametrize("beams", BEAMS, ids=BEAM_IDS)
def test_small_pt_absolute(beams):
    inp, ev, v = event(*beams, pt=(1e-3, 0.25))
    inv = invariants_reference(ev["beam_e"][v], ev["beam_p"][v], ev["e_out"][v], ev["jpsi"][v])
    np.testing.assert_allclose(inv["PT"], inp["PT"][v], rtol=0, atol=1e-10)
    assert (inp["PT"][v] * dphi(inv["phi_h"], inp["phi_h"][v])).max() <= 1e-10


@pytest.mark.parametrize("beams", BEAMS, ids=BEAM_IDS)
def test_four_momentum_conservation_and_masses(beams):
    inp, ev, v = event(*beams)
    scale = max(beams)
    tol = 1e-10 * scale
    initial = ev["beam_e"] + ev["beam_p"]
    final = ev["e_out"] + ev["jpsi"] + ev["X"]
    np.testing.assert_allclose(final[v], initial[v], rtol=0, atol=tol)
    np.testing.assert_allclose((ev["lep_plus"] + ev["lep_minus"])[v], ev["jpsi"][v], rtol=0, atol=tol)
    np.testing.assert_allclose(ev["gamma"][v], (ev["beam_e"] - ev["e_out"])[v], rtol=0, atol=tol)
    # beams exactly as specified
    E_e, E_p = beams
    np.testing.assert_allclose(ev["beam_e"], [[E_e, 0, 0, -np.sqrt(E_e ** 2 - M_E ** 2)]] * len(v), rtol=1e-15)
    np.testing.assert_allclose(ev["beam_p"], [[E_p, 0, 0, np.sqrt(E_p ** 2 - M_P ** 2)]] * len(v), rtol=1e-15)
    # masses: p^2 = m^2 up to the rounding of the components (absolute ~1e-14 E_beam), i.e. 1e-13 E_beam E
    for key, m in (("beam_e", M_E), ("beam_p", M_P), ("e_out", M_E), ("jpsi", M_PSI),
                   ("lep_plus", M_MU), ("lep_minus", M_MU)):
        p = ev[key][v]
        assert np.all(np.abs(msq(p) - m * m) <= 1e-13 * scale * p[:, 0]), key
    # the photon is spacelike with -q^2 = Q^2, X is a physical state of mass >= m_p, energies positive
    np.testing.assert_allclose(-msq(ev["gamma"][v]), inp["Q"][v] ** 2, rtol=REL)
    assert np.all(msq(ev["X"][v]) >= M_P ** 2 - 1e-13 * scale * ev["X"][v, 0])
    for key in ("e_out", "jpsi", "X", "lep_plus", "lep_minus"):
        assert np.all(ev[key][v, 0] > 0), key
    # the lepton momentum in the J/psi rest frame
    assert np.allclose(mdot(ev["lep_plus"][v], ev["jpsi"][v]), 0.5 * M_PSI ** 2, rtol=REL)


@pytest.mark.parametrize("beams", BEAMS, ids=BEAM_IDS)
def test_decay_angles_recovered(beams):
    inp, ev, v = event(*beams)
    c, p = decay_angles_reference(ev["beam_p"][v], ev["gamma"][v], ev["jpsi"][v], ev["lep_plus"][v])
    np.testing.assert_allclose(c, inp["cos_theta"][v], rtol=0, atol=REL)
    assert dphi(p, inp["phi"][v]).max() <= REL
    # l- is back to back: cos -> -cos, phi -> phi + pi
    cm, pm = decay_angles_reference(ev["beam_p"][v], ev["gamma"][v], ev["jpsi"][v], ev["lep_minus"][v])
    np.testing.assert_allclose(cm, -inp["cos_theta"][v], rtol=0, atol=REL)
    assert dphi(pm, inp["phi"][v] + np.pi).max() <= REL


@pytest.mark.parametrize("beams", BEAMS, ids=BEAM_IDS)
def test_helicity_axes(beams):
    inp, ev, v = event(*beams, n=1000)
    P, q, psi = ev["beam_p"][v], ev["gamma"][v], ev["jpsi"][v]
    xh, yh, zh = helicity_axes_reference(P, q, psi)
    for a in (xh, yh, zh):
        np.testing.assert_allclose(np.sum(a * a, axis=1), 1.0, rtol=0, atol=1e-14)
    for a, b in ((xh, yh), (yh, zh), (zh, xh)):
        np.testing.assert_allclose(np.sum(a * b, axis=1), 0.0, rtol=0, atol=1e-14)
    np.testing.assert_allclose(np.cross(xh, yh), zh, rtol=0, atol=1e-14)      # right-handed
    # zhat along the J/psi in the gamma*p c.m. frame, yhat along q x P_psi there
    import vector
    booster = vector.array({"E": (P + q)[:, 0], "px": (P + q)[:, 1], "py": (P + q)[:, 2], "pz": (P + q)[:, 3]})
    cm3 = []
    for p4 in (q, psi):
        w = vector.array({"E": p4[:, 0], "px": p4[:, 1], "py": p4[:, 2], "pz": p4[:, 3]}).boostCM_of_p4(booster)
        cm3.append(np.stack([w.px, w.py, w.pz], axis=1))
    q3, psi3 = cm3
    np.testing.assert_allclose(psi3 / np.linalg.norm(psi3, axis=1)[:, None], zh, rtol=0, atol=1e-12)
    n = np.cross(q3, psi3)
    np.testing.assert_allclose(n / np.linalg.norm(n, axis=1)[:, None], yh, rtol=0, atol=1e-10)


@pytest.mark.parametrize("beams", BEAMS, ids=BEAM_IDS)
def test_frames(beams):
    inp, ev, v = event(*beams, n=1000)
    k, P, q = ev["beam_e"][v], ev["beam_p"][v], ev["gamma"][v]
    Q = inp["Q"][v]
    everything = np.stack([ev[key][v] for key in EVENT_KEYS], axis=0)        # (8, n, 4)
    escale = np.abs(everything[..., 0]).max()
    tol = REL * max(beams)
    for to, back in ((to_gamma_p_frame, from_gamma_p_frame), (to_breit_frame, from_breit_frame)):
        f = {key: to(ev[key][v], k, P, q) for key in EVENT_KEYS}
        # round trip
        for key in EVENT_KEYS:
            np.testing.assert_allclose(back(f[key], k, P, q), ev[key][v], rtol=0, atol=REL * escale, err_msg=key)
        # Lorentz products are preserved
        for a, b in (("beam_p", "jpsi"), ("gamma", "jpsi"), ("beam_e", "e_out"), ("lep_plus", "X")):
            np.testing.assert_allclose(mdot(f[a], f[b]), mdot(ev[a][v], ev[b][v]), rtol=1e-9, atol=1e-9)
        # q along +z, P along -z, k in the x-z plane with k_x > 0, P_T and phi_h are the J/psi's azimuthal coords
        for key in ("gamma", "beam_p"):
            np.testing.assert_allclose(f[key][:, 1:3], 0.0, rtol=0, atol=tol, err_msg=key)
        assert np.all(f["gamma"][:, 3] > 0) and np.all(f["beam_p"][:, 3] < 0)
        np.testing.assert_allclose(f["beam_e"][:, 2], 0.0, rtol=0, atol=tol)
        assert np.all(f["beam_e"][:, 1] > 0)
        np.testing.assert_allclose(np.hypot(f["jpsi"][:, 1], f["jpsi"][:, 2]), inp["PT"][v], rtol=REL)
        assert dphi(np.arctan2(f["jpsi"][:, 2], f["jpsi"][:, 1]), inp["phi_h"][v]).max() <= REL
        # q = k - k' still holds
        np.testing.assert_allclose(f["gamma"], f["beam_e"] - f["e_out"], rtol=0, atol=tol)
    # gamma*p frame: zero total 3-momentum of q + P, and the c.m. momentum of the two-body state
    g = {key: to_gamma_p_frame(ev[key][v], k, P, q) for key in ("gamma", "beam_p", "jpsi")}
    np.testing.assert_allclose((g["gamma"] + g["beam_p"])[:, 1:], 0.0, rtol=0, atol=tol)
    W2 = M_P ** 2 + Q ** 2 * (1 / inp["x"][v] - 1)
    lam = (W2 + Q ** 2 + M_P ** 2) ** 2 - 4 * W2 * M_P ** 2     # Kallen lambda(W^2, -Q^2, m_p^2)
    np.testing.assert_allclose(g["gamma"][:, 3], np.sqrt(lam) / (2 * np.sqrt(W2)), rtol=1e-9)
    # Breit frame: q = (0, 0, 0, +Q), P_z = -Q/(2x)
    b = {key: to_breit_frame(ev[key][v], k, P, q) for key in EVENT_KEYS}
    np.testing.assert_allclose(b["gamma"], np.stack([0 * Q, 0 * Q, 0 * Q, Q], axis=1), rtol=0, atol=tol)
    np.testing.assert_allclose(b["beam_p"][:, 3], -Q / (2 * inp["x"][v]), rtol=1e-9)
    # the two frames differ by a boost along z with beta = q0/qz (of the gamma*p frame)
    import vector
    beta = g["gamma"][:, 0] / g["gamma"][:, 3]
    for key in EVENT_KEYS:
        gk = to_gamma_p_frame(ev[key][v], k, P, q)
        w = vector.array({"E": gk[:, 0], "px": gk[:, 1], "py": gk[:, 2], "pz": gk[:, 3]}).boostZ(beta=-beta)
        np.testing.assert_allclose(np.stack([w.E, w.px, w.py, w.pz], axis=1), b[key], rtol=0,
                                   atol=REL * escale, err_msg=key)


@pytest.mark.parametrize("beams", BEAMS, ids=BEAM_IDS)
def test_trento_phi_h_in_proton_rest_frame(beams):
    """phi_h sign convention checked without the reference's frame code: in the proton rest frame (q and P trivially
    collinear) the Trento formulas cos = (q^ x k).(q^ x P_h) / (|q^ x k| |q^ x P_h|), sin = (k x P_h).q^ / (...)."""
    import vector
    inp, ev, v = event(*beams, n=1000)

    def rest(p4):
        P = ev["beam_p"][v]
        w = vector.array({"E": p4[:, 0], "px": p4[:, 1], "py": p4[:, 2], "pz": p4[:, 3]}).boostCM_of_p4(
            vector.array({"E": P[:, 0], "px": P[:, 1], "py": P[:, 2], "pz": P[:, 3]}))
        return np.stack([w.px, w.py, w.pz], axis=1)

    k, q, ph = rest(ev["beam_e"][v]), rest(ev["gamma"][v]), rest(ev["jpsi"][v])
    qh = q / np.linalg.norm(q, axis=1)[:, None]
    a, b = np.cross(qh, k), np.cross(qh, ph)
    norm = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    cos = np.sum(a * b, axis=1) / norm
    sin = np.sum(np.cross(k, ph) * qh, axis=1) / norm
    assert dphi(np.arctan2(sin, cos), inp["phi_h"][v]).max() <= 1e-9
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), inp["PT"][v], rtol=1e-9)


def test_massless_proton_limit_selects_physical_root():
    """With m_p -> 0 the J/psi tends to a P + z q + P_T (massless solution a = (M_T^2 + z^2 Q^2)/(2 z P.q)), so
    q.P_psi -> (M_T^2 - z^2 Q^2) / (2 z)."""
    inp = draw(10.0, 100.0, 500, seed=3)
    for m_p, rtol in ((1e-5, 1e-8), (M_P, None)):
        ev = lab_event_reference(**{**inp, "m_p": m_p})
        v = ev["valid"]
        qpsi = mdot(ev["gamma"][v], ev["jpsi"][v])
        MT2 = M_PSI ** 2 + inp["PT"][v] ** 2
        z, Q2 = inp["z"][v], inp["Q"][v] ** 2
        massless = (MT2 - z * z * Q2) / (2 * z)
        if rtol:
            np.testing.assert_allclose(qpsi, massless, rtol=rtol, atol=1e-8)
        else:   # the physical mass changes it smoothly; the other root would give q.P_psi ~ 2 z nu^2 / m_p^2
            assert np.all(np.abs(qpsi - massless) < 0.1 * np.abs(massless) + 2.0)


def test_invalid_points_and_broadcasting():
    base = dict(E_e=18.0, E_p=275.0, m_e=M_E, m_p=M_P, M=M_PSI, m_lep=M_MU, x=0.2, Q=5.0, z=0.5, PT=1.0,
                phi_e=0.3, phi_h=-1.0, cos_theta=0.2, phi=2.0)
    ev = lab_event_reference(**base)                      # all scalars -> n = 1
    assert ev["valid"].shape == (1,) and ev["valid"][0]
    for key in EVENT_KEYS:
        assert ev[key].shape == (1, 4) and ev[key].dtype == np.float64
    cases = [
        dict(x=0.9, Q=2.0),                 # W = 1.13 GeV < M + m_p: no room for the J/psi
        dict(z=1.0, PT=3.0),                # X^2 < m_p^2
        dict(x=0.0003, Q=3.0),              # y = 1.5 > 1
        dict(z=0.02),                       # z P.q < m_p M_T: no J/psi solution
    ]
    for case in cases:
        ev = lab_event_reference(**{**base, **case})
        assert not ev["valid"][0], case
        for key in EVENT_KEYS[2:]:
            assert np.all(np.isnan(ev[key])), (case, key)
        assert np.all(np.isfinite(ev["beam_e"])) and np.all(np.isfinite(ev["beam_p"]))
    # broadcasting of arrays of different shapes
    ev = lab_event_reference(**{**base, "z": np.array([0.3, 0.5, 0.7]), "phi": np.array([[0.0], [1.0]])})
    assert ev["valid"].shape == (6,) and ev["jpsi"].shape == (6, 4)
