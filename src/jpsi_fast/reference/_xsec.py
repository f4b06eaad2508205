"""Cross sections dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4] for J/psi production in SIDIS
(docs/physics.md §1, §4 and §5): quark fragmentation via 3S1[8] ("ff") and photon-gluon
fusion via 1S0[8], 3PJ[8] and 3S1[1].
"""

import math

import numpy as np
from scipy import integrate, special

from ._ff import ff_c, tmd_ff_state_u_l
from ._grv94 import GRV94LO
from ._lhagrid import LHAGrid
from ._params import FLAVOUR_CHARGE2, FLAVOUR_PDG_ID, GEV2_TO_PB, alpha_s, get_param

CHANNELS = ("ff", "pgf_1s0_8", "pgf_3pj_8", "pgf_3s1_1")
STATES = ("U", "L", "T")

# Gaussian k integration: interval P -/+ _WIDTHS * sqrt(w) (clipped at 0), quad tolerances.
_WIDTHS = 10.0
_EPSREL = 1e-12
_LIMIT = 500


class ReferenceResult:
    """Cross sections on a broadcast grid of points.

    values:   ndarray (n_channels, n_states, *shape), dsigma/(dx dQ^2 dz dP_T^2) in pb/GeV^4
    channels: tuple of channel names (axis 0); states: tuple of state names (axis 1)
    result[channel, state] -> the array of that pair.
    """

    def __init__(self, values, channels, states):
        self.values = values
        self.channels = tuple(channels)
        self.states = tuple(states)

    def __getitem__(self, key):
        channel, state = key
        return self.values[self.channels.index(channel), self.states.index(state)]

    def __repr__(self):
        return (f"ReferenceResult(channels={self.channels}, states={self.states}, "
                f"shape={self.values.shape[2:]})")


# ----------------------------------------------------------------------------- inputs

def _check_inputs(x, z, Q, PT):
    """Validate (docs/physics.md §1) and broadcast; ValueError names the offending argument."""
    arrays = {}
    for name, value, ok in (
        ("x", x, lambda a: (a > 0.0) & (a < 1.0)),
        ("z", z, lambda a: (a > 0.0) & (a < 1.0)),
        ("Q", Q, lambda a: a > 0.0),
        ("PT", PT, lambda a: a >= 0.0),
    ):
        a = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} must be finite (got NaN or inf)")
        if not np.all(ok(a)):
            raise ValueError(f"{name} out of range")
        arrays[name] = a
    return np.broadcast_arrays(arrays["x"], arrays["z"], arrays["Q"], arrays["PT"])


def resolve_pdf(pdf):
    """The reference PDF object to use for ``pdf`` (see ``evaluate``)."""
    if pdf is None:
        return GRV94LO()
    if isinstance(pdf, (GRV94LO, LHAGrid)):
        return pdf
    path = getattr(pdf, "path", None)
    if path is not None:
        return LHAGrid(path, extrapolate=getattr(pdf, "extrapolate", None))
    if "GRV94" in type(pdf).__name__:
        return GRV94LO()
    raise TypeError(f"cannot build a reference PDF from {type(pdf).__name__!r}")


# ----------------------------------------------------------------- FF channel (docs/physics.md §4)

def _gaussian_k_integrals(z, PT, w, M):
    """For one (z, P_T) point, the integrals over the quark k_T [GeV]

        I_p = integral_0^inf dk k exp(-(k^2 + P^2)/w) I0(2 k P / w) S_p(z, k),   P = P_T / z,

    for the FF shapes S_U = 3[k^2 z^2 (z^2-2z+2) + 2M^2(1-z)^2]/Delta^2 and
    S_L = 6 M^2 (1-z)^2 / Delta^2 (so that D_p = c(z) S_p), Delta = z^2 k^2 + M^2 (1-z).
    exp(-(k^2+P^2)/w) I0(2kP/w) = exp(-(k-P)^2/w) * i0e(2kP/w), which cannot overflow.
    The integrand is negligible (< exp(-100)) outside P -/+ 10 sqrt(w).
    Returns (I_U, I_L), dimensionless (S_p is in GeV^-2, k dk in GeV^2).
    """
    P = PT / z
    sw = math.sqrt(w)
    lo = max(0.0, P - _WIDTHS * sw)
    hi = P + _WIDTHS * sw
    M2 = M * M
    one_z = 1.0 - z
    z2 = z * z
    u_poly = z2 * (z2 - 2.0 * z + 2.0)

    def gauss_bessel(k):
        return k * math.exp(-(k - P) ** 2 / w) * special.i0e(2.0 * k * P / w)

    def shape_u(k):
        delta = z2 * k * k + M2 * one_z
        return 3.0 * (k * k * u_poly + 2.0 * M2 * one_z ** 2) / (delta * delta)

    def shape_l(k):
        delta = z2 * k * k + M2 * one_z
        return 6.0 * M2 * one_z ** 2 / (delta * delta)

    # break points: the Gaussian peak region and the scale of Delta, k0 = M sqrt(1-z) / z
    k0 = M * math.sqrt(one_z) / z
    candidates = [P + n * sw for n in (-4, -2, -1, -0.5, 0, 0.5, 1, 2, 4)]
    candidates += [k0 * f for f in (0.25, 0.5, 1.0, 2.0, 4.0)]
    points = sorted({p for p in candidates if lo < p < hi})

    results = []
    for shape in (shape_u, shape_l):
        value, abserr = integrate.quad(
            lambda k: gauss_bessel(k) * shape(k), lo, hi,
            points=points or None, epsabs=0.0, epsrel=_EPSREL, limit=_LIMIT)
        if not abserr <= 1e-10 * abs(value) + 1e-300:
            raise RuntimeError(f"k_T integral not converged at z={z}, PT={PT}: "
                               f"{value} +- {abserr}")
        results.append(value)
    return tuple(results)


def ff_kernels(z, PT, params=None):
    """The FF convolution per unit collinear PDF, K_p = C[f_q, D_p] / f_q(x, Q) [GeV^-2],
    for p = U and L, at z, PT (numpy broadcasting).

    gaussian:  K_p = (2/w) integral_0^inf dk k exp(-(k^2 + P_T^2/z^2)/w) I0(2kP_T/(zw)) D_p(z, k)
    collinear: K_p = D_p(z, P_T/z)
    """
    z, PT = np.broadcast_arrays(np.asarray(z, dtype=float), np.asarray(PT, dtype=float))
    model = get_param(params, "tmd_pdf")
    if model == "collinear":
        return tmd_ff_state_u_l(z, PT / z, params)
    if model != "gaussian":
        raise ValueError(f"tmd_pdf must be 'gaussian' or 'collinear', not {model!r}")
    w = float(get_param(params, "kt2_pdf"))
    if not w > 0.0:
        raise ValueError("kt2_pdf must be > 0 for the gaussian TMD-PDF model")
    M = float(get_param(params, "M"))

    c = ff_c(z, params)  # D_p(z, k) = c(z) * S_p(z, k)
    # the integrals depend only on (z, P_T): compute each distinct pair once
    pairs, inverse = np.unique(np.stack([z.ravel(), PT.ravel()], axis=1), axis=0,
                               return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    I = np.array([_gaussian_k_integrals(zz, pp, w, M) for zz, pp in pairs]).reshape(-1, 2)
    I_U = I[inverse, 0].reshape(z.shape)
    I_L = I[inverse, 1].reshape(z.shape)
    return 2.0 / w * c * I_U, 2.0 / w * c * I_L


def _ff_channel(x, z, Q, PT, y, pdf, params):
    """FF channel (docs/physics.md §4): pi sigma0 sum_q e_q^2 C[f_q, D_p], pb/GeV^4, for p = U, L."""
    alpha_em = get_param(params, "alpha_em")
    flavours = tuple(get_param(params, "flavours"))
    for q in flavours:
        if q not in FLAVOUR_PDG_ID:
            raise ValueError(f"unknown flavour {q!r}; expected a subset of {tuple(FLAVOUR_PDG_ID)}")
    sigma0 = 4.0 * math.pi * alpha_em**2 / Q**4 * (1.0 - y + y**2 / 2.0)   # GeV^-6
    # sum_q e_q^2 f_q(x, mu_F), f = (x f)/x, mu_F = mu_f_factor * Q
    mu_F = get_param(params, "mu_f_factor") * Q
    charge_weighted_f = np.zeros(x.shape)
    for q in flavours:
        charge_weighted_f += FLAVOUR_CHARGE2[q] * pdf.xfxQ(FLAVOUR_PDG_ID[q], x, mu_F) / x
    K_U, K_L = ff_kernels(z, PT, params)
    U = math.pi * sigma0 * charge_weighted_f * K_U * GEV2_TO_PB
    L = math.pi * sigma0 * charge_weighted_f * K_L * GEV2_TO_PB
    return U, L


# --------------------------------------------------------------- PGF channels (docs/physics.md §5)

def _pgf_channels(x, z, Q, PT, y, pdf, params):
    """Photon-gluon-fusion channels; returns {channel: (U, L)} in pb/GeV^4."""
    pi = math.pi
    alpha_em = get_param(params, "alpha_em")
    M = get_param(params, "M")
    a_s = float(alpha_s(get_param(params, "mu_pgf"), params))
    O_1s0 = get_param(params, "ldme_1s0_8")
    O_3p0 = (M / 2.0) ** 2 * get_param(params, "ldme_3p0_8_reduced")     # GeV^5
    O_3s1_1 = get_param(params, "ldme_3s1_1")
    pt2 = get_param(params, "pt2_pgf")
    dz2 = get_param(params, "dz2_pgf")

    mu_F = get_param(params, "mu_f_factor") * Q                     # PDF scale (docs/physics.md §10.2)
    f_g = pdf.xfxQ(21, x, mu_F) / x                                 # gluon PDF at mu_F
    G_T = np.exp(-PT**2 / pt2) / (pi * pt2)                          # GeV^-2
    G_z = np.exp(-(1.0 - z) ** 2 / dz2) / math.sqrt(pi * dz2)
    Q6 = Q**6
    lepton = 1.0 - y + y**2 / 2.0

    # 1S0[8]
    U_1s0 = (lepton * 32.0 * pi**3 * z * alpha_em**2 * a_s * O_1s0
             / (9.0 * M * Q6 * (2.0 - z) ** 3) * f_g * G_z * G_T)
    L_1s0 = U_1s0 / 3.0

    # 3PJ[8], J = 0, 1, 2 summed
    pref_3pj = 64.0 * pi**3 * alpha_em**2 * a_s * O_3p0 / (9.0 * M**3 * Q6 * (2.0 - z) ** 5)
    U_3pj = (pref_3pj * z
             * (y**2 * (8.0 - 8.0 * z + 3.0 * z**2) + 8.0 * (1.0 - y) * (2.0 - z)
                - 2.0 * (1.0 - y) * z * (2.0 - z) ** 2)
             * f_g * G_z * G_T)
    L_3pj = pref_3pj * z**3 * ((2.0 - y) ** 2 - 2.0 * z * (1.0 - y)) * f_g * G_z * G_T

    # 3S1[1]: gamma* g -> J/psi g, no smearing
    K = (512.0 * pi * (1.0 - z) * alpha_em**2 * a_s**2 * O_3s1_1
         / (243.0 * M * Q6 * z * (2.0 - z) ** 2) * lepton * f_g)
    m2 = (1.0 - z) ** 2 * M**2
    U_3s1 = K * (PT**2 + m2 * (1.0 + (1.0 - z) ** 2)) / (PT**2 + m2) ** 2
    L_3s1 = K * PT**2 / (PT**2 + m2) ** 2

    pb = GEV2_TO_PB
    return {
        "pgf_1s0_8": (U_1s0 * pb, L_1s0 * pb),
        "pgf_3pj_8": (U_3pj * pb, L_3pj * pb),
        "pgf_3s1_1": (U_3s1 * pb, L_3s1 * pb),
    }


# ------------------------------------------------------------------------ evaluate

def evaluate(x, z, Q, PT, params=None, pdf=None, channels=None, states=("U", "L", "T")):
    """Reference dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4] for every requested channel and state.

    x: Bjorken x, z: J/psi energy fraction, Q [GeV], PT [GeV] (numpy broadcasting;
    0 < x < 1, 0 < z < 1, Q > 0, PT >= 0, finite, else ValueError).
    params: duck-typed parameter object (None -> DEFAULTS).
    pdf: None -> GRV94LO(); a reference GRV94LO/LHAGrid as is; an object with a non-None
         ``path`` -> LHAGrid(path, extrapolate=obj.extrapolate); a class named *GRV94* ->
         GRV94LO(); anything else TypeError.
    channels: subset of CHANNELS (None = all); states: subset of STATES; T = U - L.
    Points with y = Q^2/(x s) > 1 are exactly 0.
    Returns a ReferenceResult with values of shape (n_channels, n_states, *broadcast shape).
    """
    channels = CHANNELS if channels is None else tuple(channels)
    states = tuple(states)
    for c in channels:
        if c not in CHANNELS:
            raise ValueError(f"unknown channel {c!r}; expected one of {CHANNELS}")
    for s in states:
        if s not in STATES:
            raise ValueError(f"unknown state {s!r}; expected one of {STATES}")
    x, z, Q, PT = _check_inputs(x, z, Q, PT)
    shape = x.shape
    pdf = resolve_pdf(pdf)

    s = get_param(params, "sqrt_s") ** 2
    y = Q**2 / (x * s)
    physical = y <= 1.0

    values = np.zeros((len(channels), len(states)) + shape)
    if not np.any(physical):
        return ReferenceResult(values, channels, states)

    # compute on the physical points only (1-d arrays)
    xp, zp, Qp, PTp, yp = (a[physical] for a in (x, z, Q, PT, y))
    per_channel = {}
    if "ff" in channels:
        per_channel["ff"] = _ff_channel(xp, zp, Qp, PTp, yp, pdf, params)
    if any(c != "ff" for c in channels):
        per_channel.update(_pgf_channels(xp, zp, Qp, PTp, yp, pdf, params))

    for ci, c in enumerate(channels):
        U, L = per_channel[c]
        by_state = {"U": U, "L": L, "T": U - L}
        for si, st in enumerate(states):
            values[ci, si, ...][physical] = by_state[st]
    return ReferenceResult(values, channels, states)
