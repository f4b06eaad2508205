"""Reference (test oracle) for exact DIS event kinematics of ``e p -> e' J/psi X``, ``J/psi -> l+ l-``.

Pure NumPy plus the scikit-hep ``vector`` library; nothing else of ``jpsi_fast`` is used.  All energies, momenta and
masses are in GeV, angles in radians, and every four-vector is an ``(n, 4)`` float64 array ``[E, px, py, pz]``.

Conventions (exact, all masses kept)
------------------------------------
* Lab frame, head-on beams: the proton ``P`` (mass ``m_p``, energy ``E_p``) moves along ``+z``, the electron ``k``
  (mass ``m_e``, energy ``E_e``) along ``-z``.
* ``k'`` is the scattered electron, ``q = k - k'`` the virtual photon, ``Q^2 = -q^2``, ``x = Q^2 / (2 P.q)``,
  ``y = P.q / P.k``; ``phi_e`` is the lab azimuth of ``k'``.
* J/psi (mass ``M``): ``z = P.P_psi / P.q``; ``P_T`` and ``phi_h`` are the magnitude and the Trento azimuth of the
  J/psi momentum transverse to the photon-proton axis in a frame where ``q`` and ``P`` are collinear (``phi_h``
  measured from the lepton plane, ``x_h`` along the part of ``k`` transverse to ``q``, ``y_h = z_h x x_h``).
* ``X = P + q - P_psi``.
* Helicity frame of the decay: reached from the gamma*-proton c.m. frame by a pure boost along the J/psi momentum;
  ``zhat`` = J/psi direction in the gamma*p c.m. frame, ``yhat`` = unit(``q x P_psi``) there, ``xhat = yhat x zhat``.
* gamma*p frame: the rest frame of ``P + q`` rotated so that ``q`` is along ``+z`` and ``k`` lies in the x-z plane
  with ``k_x > 0``.  Breit frame: the same rotation convention in the frame where ``q = (0, 0, 0, +Q)`` (the rest
  frame of ``n = P + (P.q / Q^2) q``, the part of ``P`` orthogonal to ``q``); the proton moves along ``-z``.

Construction
------------
:func:`lab_event_reference` builds the event *covariantly* in the lab frame (no boosts):

1. ``k'`` from the two linear conditions ``k.k' = m_e^2 + Q^2/2`` and ``P.k' = P.k - Q^2/(2x)`` (which fix its energy
   and ``p_z``) plus ``k'^2 = m_e^2`` (which fixes its transverse momentum), at lab azimuth ``phi_e``.
2. A transverse pair: ``P, k, k', q`` span the lab subspace (t, rho, z) with ``rho`` the direction of ``k'_T``, so
   ``e_y = (0, sin phi_e, -cos phi_e, 0)`` exactly and ``e_x`` is the (2+1)-dimensional cross product of ``P`` and
   ``q`` there; ``e_x`` points along the part of ``k`` orthogonal to ``P`` and ``q`` and ``e_y`` equals unit
   ``eps(., P, q, e_x)`` (``eps_{0123} = +1``), i.e. ``x_h`` and ``y_h = z_h x x_h`` in any frame with ``q`` along
   ``+z``.  (A Gram projection of ``k`` on ``P``, ``q`` would cancel lab components of ~1e6 GeV at small y.)
3. ``P_psi = a P + b q + P_T (cos phi_h e_x + sin phi_h e_y)`` with ``P.P_psi = z P.q`` and ``P_psi^2 = M^2``, i.e.
   with ``nu = P.q``, ``kappa = 1 + Q^2 m_p^2 / nu^2``, ``M_T^2 = M^2 + P_T^2``:
   ``m_p^2 kappa a^2 - 2 z nu kappa a + (Q^2 z^2 + M_T^2) = 0`` and ``b = z - a m_p^2 / nu``.  The physical (small)
   root ``a = (Q^2 z^2 + M_T^2) / (kappa z nu + sqrt(kappa (z^2 nu^2 - m_p^2 M_T^2)))`` tends to the massless-proton
   solution ``a = (Q^2 z^2 + M_T^2)/(2 z nu)``, ``b = z``; it exists iff ``z nu >= m_p M_T``.
4. The gamma*p c.m. tetrad ``e_t = (P+q)/W``, ``e_z`` = unit part of ``q`` orthogonal to ``e_t``, with the J/psi
   c.m. energy ``E*``, longitudinal momentum ``pL*`` and ``p* = hypot(pL*, P_T)`` from invariants; the helicity axes
   as four-vectors are ``Y = cos phi_h e_y - sin phi_h e_x`` (= unit ``q x P_psi`` in the c.m.),
   ``X = (pL* e_T - P_T e_z)/p*`` (= ``Y x Z``, ``e_T = cos phi_h e_x + sin phi_h e_y``) and
   ``Z = (p*/M) e_t + (E*/M) (P_T e_T + pL* e_z)/p*`` (the boosted c.m. direction of the J/psi); then
   ``l+ = P_psi/2 + p_l (sin th cos ph X + sin th sin ph Y + cos th Z)`` with ``p_l = sqrt(M^2/4 - m_lep^2)`` and
   ``l- = P_psi - l+``.

The inverse direction -- :func:`invariants_reference`, :func:`decay_angles_reference` and the frame transforms -- uses
``vector``'s boosts (``boostCM_of_p4`` / ``boost_p4``) and rotations (``rotateZ`` / ``rotateY``) instead, so the two
directions are independent routes and the tests check one against the other.
"""

from __future__ import annotations

import numpy as np
import vector

__all__ = [
    "EVENT_KEYS",
    "lab_event_reference",
    "invariants_reference",
    "decay_angles_reference",
    "helicity_axes_reference",
    "to_gamma_p_frame",
    "from_gamma_p_frame",
    "to_breit_frame",
    "from_breit_frame",
]

#: four-vector keys of the dict returned by :func:`lab_event_reference` (plus the boolean ``"valid"``)
EVENT_KEYS = ("beam_e", "beam_p", "e_out", "gamma", "jpsi", "lep_plus", "lep_minus", "X")


# ----------------------------------------------------------------------------------------------- small helpers


def _p4(E, px, py, pz):
    """Stack components into an ``(n, 4)`` array ``[E, px, py, pz]``."""
    return np.stack(np.broadcast_arrays(E, px, py, pz), axis=-1).astype(np.float64)


def _vec(p4):
    """``(n, 4)`` array -> ``vector`` MomentumNumpy4D (NumPy backend)."""
    p4 = np.asarray(p4, dtype=np.float64)
    return vector.array({"E": p4[..., 0], "px": p4[..., 1], "py": p4[..., 2], "pz": p4[..., 3]})


def _arr(v):
    """``vector`` four-momentum array -> ``(n, 4)`` float64 array ``[E, px, py, pz]``."""
    return np.stack([np.asarray(v.E), np.asarray(v.px), np.asarray(v.py), np.asarray(v.pz)], axis=-1).astype(
        np.float64)


def _three(v):
    """Spatial part of a ``vector`` four-momentum array, as a ``vector`` 3D momentum array."""
    return vector.array({"px": np.asarray(v.px), "py": np.asarray(v.py), "pz": np.asarray(v.pz)})


def _as_n4(*p4s):
    """Broadcast ``(..., 4)`` arrays against each other and flatten to ``(n, 4)``; returns (arrays, batch shape)."""
    arrs = np.broadcast_arrays(*[np.asarray(p, dtype=np.float64) for p in p4s])
    shape = arrs[0].shape[:-1]
    return [a.reshape(-1, 4) for a in arrs], shape


# ----------------------------------------------------------------------------------------------- event builder

def lab_event_reference(E_e, E_p, m_e, m_p, M, m_lep, x, Q, z, PT, phi_e, phi_h, cos_theta, phi):
    """Exact lab-frame four-momenta of ``e(k) p(P) -> e(k') J/psi X`` with ``J/psi -> l+ l-``.

    Parameters (broadcast against each other, float64):
        E_e, E_p : beam energies of electron (along -z) and proton (along +z), GeV.
        m_e, m_p, M, m_lep : electron, proton, J/psi and decay-lepton masses, GeV.
        x, Q : Bjorken x and Q = sqrt(Q^2) (GeV).
        z, PT : J/psi energy fraction ``P.P_psi/P.q`` and its transverse momentum (GeV) relative to the gamma*-p axis.
        phi_e : lab azimuth of the scattered electron (rad).
        phi_h : Trento azimuth of the J/psi about q, from the lepton plane (rad).
        cos_theta, phi : polar angle cosine and azimuth (rad) of l+ in the J/psi helicity frame.

    Returns:
        dict of ``(n, 4)`` float64 arrays ``[E, px, py, pz]`` (GeV), ``n`` = broadcast size, with keys
        ``beam_e, beam_p, e_out, gamma, jpsi, lep_plus, lep_minus, X`` and ``"valid"``: bool ``(n,)``.
        A point is valid when every input and output is finite, the scattered electron exists, ``y <= 1``, the J/psi
        solution exists (``z nu >= m_p M_T``), ``X^2 >= m_p^2`` and the energies of e_out, J/psi, X, l+ and l- are
        positive (the photon energy ``q^0`` may be either sign in the lab).  Rows of invalid points are NaN except
        the two beams.
    """
    args = np.broadcast_arrays(*[np.asarray(a, dtype=np.float64)
                                 for a in (E_e, E_p, m_e, m_p, M, m_lep, x, Q, z, PT, phi_e, phi_h, cos_theta, phi)])
    (E_e, E_p, m_e, m_p, M, m_lep, x, Q, z, PT, phi_e, phi_h, cos_theta, phi) = [a.ravel() for a in args]
    zero = np.zeros_like(E_e)

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # beams
        pe = np.sqrt((E_e - m_e) * (E_e + m_e))
        pp = np.sqrt((E_p - m_p) * (E_p + m_p))
        k = _p4(E_e, zero, zero, -pe)
        P = _p4(E_p, zero, zero, pp)

        # scattered electron: k.k' = A, P.k' = B fix (E', pz'); k'^2 = m_e^2 fixes |k'_T|
        Q2 = Q * Q
        nu = Q2 / (2.0 * x)                      # P.q
        Pk = E_e * E_p + pe * pp                 # P.k
        y = nu / Pk
        A = m_e * m_e + 0.5 * Q2                 # k.k'
        B = Pk - nu                              # P.k'
        den = E_e * pp + pe * E_p
        E_out = (A * pp + B * pe) / den
        pz_out = (A * E_p - B * E_e) / den
        pT2_out = (E_out - pz_out) * (E_out + pz_out) - m_e * m_e
        pT_out = np.sqrt(pT2_out)
        kp = _p4(E_out, pT_out * np.cos(phi_e), pT_out * np.sin(phi_e), pz_out)
        q = k - kp

        # transverse tetrad.  P, k, k', q all lie in the lab subspace spanned by t, z and rho = (cos phi_e, sin
        # phi_e, 0), so e_y (orthogonal to P, q and k) is purely spatial, +-(0, -sin phi_e, cos phi_e, 0), and e_x is
        # the (2+1)-dimensional cross product of P and q in (t, rho, z), w = (p_p pT', E_p q_z - p_p q^0, E_p pT'),
        # with -w.w = m_p^2 pT'^2 + (E_p q_z - p_p q^0)^2 (no cancellation).  The signs make e_x.k < 0 (e_x along
        # the part of k orthogonal to P and q) and e_y = unit eps(., P, q, e_x) (determinant worked out by hand:
        # eps(., P, q, e_x) = N (0, sin phi_e, -cos phi_e, 0) with N = sqrt(-w.w) > 0).
        D = E_p * q[:, 3] - pp * q[:, 0]
        N = np.sqrt(m_p * m_p * pT2_out + D * D)
        cos_e, sin_e = np.cos(phi_e), np.sin(phi_e)
        e_x = -_p4(pp * pT_out, D * cos_e, D * sin_e, E_p * pT_out) / N[:, None]
        e_y = _p4(zero, sin_e, -cos_e, zero)

        # J/psi: P_psi = a P + b q + PT (cos phi_h e_x + sin phi_h e_y), small root of the quadratic in a
        MT2 = M * M + PT * PT
        kappa = 1.0 + Q2 * m_p * m_p / (nu * nu)
        disc = z * z * nu * nu - m_p * m_p * MT2
        a = (Q2 * z * z + MT2) / (kappa * z * nu + np.sqrt(kappa * disc))
        b = z - a * m_p * m_p / nu
        ch, sh = np.cos(phi_h), np.sin(phi_h)
        psi = a[:, None] * P + b[:, None] * q + PT[:, None] * (ch[:, None] * e_x + sh[:, None] * e_y)
        X = P + q - psi
        # X^2 from invariants: W^2 - 2 (P+q).P_psi + M^2 with P.P_psi = z nu, q.P_psi = a nu - b Q^2
        W2 = m_p * m_p + 2.0 * nu - Q2
        X2 = W2 - 2.0 * (z * nu + a * nu - b * Q2) + M * M

        # gamma*p c.m. tetrad (e_t, e_x, e_y, e_z): e_t = (P+q)/W, e_z = unit part of q orthogonal to e_t
        W = np.sqrt(W2)
        e_t = (P + q) / W[:, None]
        q0_cm = (nu - Q2) / W                                        # q.e_t: photon energy in the c.m.
        q_cm = np.sqrt(q0_cm * q0_cm + Q2)                           # |q| in the c.m.
        e_z = (q - q0_cm[:, None] * e_t) / q_cm[:, None]
        q_psi = a * nu - b * Q2                                      # q.P_psi
        E_star = (z * nu + q_psi) / W                                # J/psi energy in the c.m.
        pL_star = (q0_cm * E_star - q_psi) / q_cm                    # J/psi momentum along q in the c.m.
        p_star = np.hypot(pL_star, PT)                               # |J/psi momentum| in the c.m.
        # helicity axes as four-vectors (in the c.m., with e_x, e_y, e_z as axes: zhat = (PT e_T + pL e_z)/p*,
        # yhat = unit(q x P_psi) = e_T rotated by +90 degrees, xhat = yhat x zhat); the pure boost to the J/psi rest
        # frame leaves X, Y unchanged and turns (0, zhat) into Z = (p*/M) e_t + (E*/M) zhat
        e_T = ch[:, None] * e_x + sh[:, None] * e_y
        Y_ax = ch[:, None] * e_y - sh[:, None] * e_x
        zhat = (PT[:, None] * e_T + pL_star[:, None] * e_z) / p_star[:, None]
        Z_ax = (p_star / M)[:, None] * e_t + (E_star / M)[:, None] * zhat
        X_ax = (pL_star[:, None] * e_T - PT[:, None] * e_z) / p_star[:, None]
        p_lep = np.sqrt((0.5 * M - m_lep) * (0.5 * M + m_lep))
        sin_theta = np.sqrt((1.0 - cos_theta) * (1.0 + cos_theta))
        n_hat = ((sin_theta * np.cos(phi))[:, None] * X_ax + (sin_theta * np.sin(phi))[:, None] * Y_ax
                 + cos_theta[:, None] * Z_ax)
        lep_plus = 0.5 * psi + p_lep[:, None] * n_hat
        lep_minus = psi - lep_plus

        out = {"beam_e": k, "beam_p": P, "e_out": kp, "gamma": q, "jpsi": psi,
               "lep_plus": lep_plus, "lep_minus": lep_minus, "X": X}
        valid = (pT2_out >= 0.0) & (y <= 1.0) & (disc >= 0.0) & (X2 >= m_p * m_p)
        for key in ("e_out", "jpsi", "X", "lep_plus", "lep_minus"):
            valid &= out[key][:, 0] > 0.0
        for key in EVENT_KEYS:
            valid &= np.all(np.isfinite(out[key]), axis=-1)

    for key in EVENT_KEYS[2:]:
        out[key] = np.where(valid[:, None], out[key], np.nan)
    out["valid"] = valid
    return out


# ----------------------------------------------------------------------------------------------- frames

def _frame(beam_e, beam_p, gamma, kind):
    """Booster four-vector and rotation angles of the gamma*p ('gp') or Breit ('breit') frame.

    The frame is ``rotateZ(-phi_k) o rotateY(-theta_q) o rotateZ(-phi_q) o boostCM_of_p4(booster)`` applied to lab
    vectors; ``booster`` is ``P + q`` (gamma*p) or ``P + (P.q/Q^2) q`` (Breit: the vector at rest there)."""
    P, k, q = _vec(beam_p), _vec(beam_e), _vec(gamma)
    if kind == "gp":
        booster = P + q
    else:
        c = P.dot(q) / (-q.dot(q))
        booster = _vec(np.asarray(beam_p) + c[:, None] * np.asarray(gamma))
    q_b = q.boostCM_of_p4(booster)
    phi_q, theta_q = np.asarray(q_b.phi), np.asarray(q_b.theta)
    k_r = k.boostCM_of_p4(booster).rotateZ(-phi_q).rotateY(-theta_q)
    return booster, phi_q, theta_q, np.asarray(k_r.phi)


def _to_frame(p4, beam_e, beam_p, gamma, kind):
    (p4, beam_e, beam_p, gamma), shape = _as_n4(p4, beam_e, beam_p, gamma)
    booster, phi_q, theta_q, phi_k = _frame(beam_e, beam_p, gamma, kind)
    v = _vec(p4).boostCM_of_p4(booster).rotateZ(-phi_q).rotateY(-theta_q).rotateZ(-phi_k)
    return _arr(v).reshape(shape + (4,))


def _from_frame(p4, beam_e, beam_p, gamma, kind):
    (p4, beam_e, beam_p, gamma), shape = _as_n4(p4, beam_e, beam_p, gamma)
    booster, phi_q, theta_q, phi_k = _frame(beam_e, beam_p, gamma, kind)
    v = _vec(p4).rotateZ(phi_k).rotateY(theta_q).rotateZ(phi_q).boost_p4(booster)
    return _arr(v).reshape(shape + (4,))


def to_gamma_p_frame(p4, beam_e, beam_p, gamma):
    """Lab four-vectors ``p4`` (``(n, 4)``, GeV) -> gamma*-proton c.m. frame.

    Boost to the rest frame of ``beam_p + gamma``, then rotate so that ``gamma`` is along ``+z`` and ``beam_e`` lies in
    the x-z plane with positive ``px``.  ``beam_e``, ``beam_p``, ``gamma`` are the lab ``k``, ``P``, ``q`` (``(n, 4)``
    or broadcastable).  Returns ``(n, 4)`` [E, px, py, pz] in GeV."""
    return _to_frame(p4, beam_e, beam_p, gamma, "gp")


def from_gamma_p_frame(p4, beam_e, beam_p, gamma):
    """Inverse of :func:`to_gamma_p_frame`: gamma*p-frame four-vectors -> lab (GeV); the beams and ``gamma`` are
    given in the lab."""
    return _from_frame(p4, beam_e, beam_p, gamma, "gp")


def to_breit_frame(p4, beam_e, beam_p, gamma):
    """Lab four-vectors ``p4`` (``(n, 4)``, GeV) -> Breit frame, where ``q = (0, 0, 0, +Q)`` and the proton moves
    along ``-z`` with ``P_z = -Q/(2x)``; rotation convention as in :func:`to_gamma_p_frame` (``k`` in the x-z plane,
    ``k_x > 0``).  Built as the rest frame of ``P + (P.q/Q^2) q`` followed by the rotations."""
    return _to_frame(p4, beam_e, beam_p, gamma, "breit")


def from_breit_frame(p4, beam_e, beam_p, gamma):
    """Inverse of :func:`to_breit_frame`: Breit-frame four-vectors -> lab (GeV); beams and ``gamma`` in the lab."""
    return _from_frame(p4, beam_e, beam_p, gamma, "breit")


# ----------------------------------------------------------------------------------------------- inverse direction

def invariants_reference(beam_e, beam_p, e_out, jpsi):
    """DIS and J/psi variables computed directly from lab four-vectors (``(n, 4)``, GeV).

    Returns dict of ``(n,)`` arrays: ``x``, ``Q2`` (GeV^2), ``y``, ``z``, ``PT`` (GeV, the J/psi momentum transverse to
    the gamma*-p axis, from :func:`to_gamma_p_frame`) and ``phi_h`` (rad, in ``(-pi, pi]``, its azimuth there)."""
    (beam_e, beam_p, e_out, jpsi), _ = _as_n4(beam_e, beam_p, e_out, jpsi)
    k, P, kp, psi = _vec(beam_e), _vec(beam_p), _vec(e_out), _vec(jpsi)
    q = k - kp
    Q2 = -np.asarray(q.dot(q))
    Pq = np.asarray(P.dot(q))
    gamma = _arr(q)
    psi_f = to_gamma_p_frame(jpsi, beam_e, beam_p, gamma)
    return {
        "x": Q2 / (2.0 * Pq),
        "Q2": Q2,
        "y": Pq / np.asarray(P.dot(k)),
        "z": np.asarray(P.dot(psi)) / Pq,
        "PT": np.hypot(psi_f[:, 1], psi_f[:, 2]),
        "phi_h": np.arctan2(psi_f[:, 2], psi_f[:, 1]),
    }


def helicity_axes_reference(beam_p, gamma, jpsi):
    """Helicity-frame axes ``(xhat, yhat, zhat)``, each ``(n, 3)``, as 3-vectors in the gamma*p c.m. frame (the rest
    frame of ``beam_p + gamma`` reached from the lab by ``vector``'s ``boostCM_of_p4``, *without* the rotations of
    :func:`to_gamma_p_frame`): ``zhat`` = unit J/psi momentum, ``yhat`` = unit(``q x P_psi``), ``xhat = yhat x zhat``.
    Undefined (NaN) when the J/psi is collinear with q (``PT = 0``)."""
    (beam_p, gamma, jpsi), _ = _as_n4(beam_p, gamma, jpsi)
    P, q, psi = _vec(beam_p), _vec(gamma), _vec(jpsi)
    booster = P + q
    q3 = _three(q.boostCM_of_p4(booster))
    psi3 = _three(psi.boostCM_of_p4(booster))
    zhat = psi3.unit()
    yhat = q3.cross(psi3).unit()
    xhat = yhat.cross(zhat)
    as3 = lambda v: np.stack([np.asarray(v.px), np.asarray(v.py), np.asarray(v.pz)], axis=-1)  # noqa: E731
    return as3(xhat), as3(yhat), as3(zhat)


def decay_angles_reference(beam_p, gamma, jpsi, lep_plus):
    """``(cos_theta, phi)`` (``(n,)`` each, phi in rad in ``(-pi, pi]``) of the positive lepton in the J/psi helicity
    frame, from lab four-vectors (``(n, 4)``, GeV).

    Boost the lab vectors to the gamma*p c.m. frame (``boostCM_of_p4(P + q)``), then ``l+`` to the J/psi rest frame
    by the pure boost ``boostCM_of_p4(P_psi^cm)``, and project its momentum on the axes of
    :func:`helicity_axes_reference`."""
    (beam_p, gamma, jpsi, lep_plus), _ = _as_n4(beam_p, gamma, jpsi, lep_plus)
    P, q, psi, lp = _vec(beam_p), _vec(gamma), _vec(jpsi), _vec(lep_plus)
    booster = P + q
    psi_c = psi.boostCM_of_p4(booster)
    l_rest = _arr(lp.boostCM_of_p4(booster).boostCM_of_p4(psi_c))[:, 1:]
    xhat, yhat, zhat = helicity_axes_reference(beam_p, gamma, jpsi)
    lx, ly, lz = (np.sum(l_rest * e, axis=-1) for e in (xhat, yhat, zhat))
    return lz / np.sqrt(lx * lx + ly * ly + lz * lz), np.arctan2(ly, lx)
