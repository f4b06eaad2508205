"""Longitudinally polarized lepton and proton beams (docs/physics.md §11).

    dsigma(lambda_e, S_N, lambda) = F_UU(lambda) + lambda_e F_LU(lambda) + S_N F_UL(lambda)
                                    + lambda_e S_N F_LL(lambda)

per channel and J/psi helicity lambda in (+1, 0, -1), pb/GeV^4, with A = 1 - y + y^2/2,
B = y (1 - y/2), D(y) = B/A.

ff:  F_UU = pi (4 pi a^2/Q^4) A sum_q e_q^2 C_w   [f_q  D_lambda]
     F_LU = pi (4 pi a^2/Q^4) B sum_q e_q^2 C_w   [f_q  lambda G1L]
     F_UL = pi (4 pi a^2/Q^4) A sum_q e_q^2 C_wg1 [Dq   lambda G1L]
     F_LL = pi (4 pi a^2/Q^4) B sum_q e_q^2 C_wg1 [Dq   D_lambda]
     D_0 = D1 - D1LL, D_{+-1} = D1 + D1LL/2; C_w = R_{0,0} with width w = kt2_pdf (collinear
     model: the FF at k_T = P_T/z), C_wg1 with width w_g1 for the helicity PDFs.
pgf_3s1_1: K' = docs/physics.md §5's K without (1-y+y^2/2) and f_g, den = P_T^2 + (1-z)^2 M^2,
     X_0 = P_T^2/den^2, X_{+-1} = (1-z)^2 M^2 [1 + (1-z)^2]/(2 den^2), Y = -(1-z)^3 M^2/den^2,
     F_UU = K' A g X_l, F_LL = K' B Dg X_l, F_LU = K' B g l Y, F_UL = K' A Dg l Y.
pgf_1s0_8, pgf_3pj_8: F_UU per helicity from docs/physics.md §5's U, L (1S0: U/3 each; 3PJ: L for 0,
     (U-L)/2 for each of +-1), F_LL = D(y) (Dg/g) F_UU, F_LU = F_UL = 0.
"""

from pathlib import Path

import numpy as np

from ._common import Kinematics, checked_flavours, ff_norm, singlet_k_prime
from ._gaussconv import ff_convolution
from ._grsv2000 import GRSV2000, clamp_positivity
from ._params import FLAVOUR_CHARGE2, FLAVOUR_PDG_ID, get_param
from ._xsec import CHANNELS, _pgf_channels, resolve_pdf

HELICITIES = (1, 0, -1)
TERMS = ("UU", "LU", "UL", "LL")
_LAMBDA = np.array([1.0, 0.0, -1.0])[:, None]   # helicity factor lambda, axis 0


def resolve_helicity_pdf(helicity_pdf):
    """None -> GRSV2000() (standard scenario in ../shared); a str/Path -> GRSV2000(path);
    anything with an xfxQ(pid, x, Q) method is used as it is."""
    if helicity_pdf is None:
        return GRSV2000()
    if isinstance(helicity_pdf, (str, Path)):
        return GRSV2000(helicity_pdf)
    if hasattr(helicity_pdf, "xfxQ"):
        return helicity_pdf
    raise TypeError(f"cannot use {type(helicity_pdf).__name__!r} as a helicity PDF")


def _quark_sums(kin, pdf, hpdf, params, positivity):
    """(sum_q e_q^2 f_q, sum_q e_q^2 Delta q) at (x, mu_F) over params.flavours (f, not x f).

    Helicity PDFs with separate quark and antiquark ids (GRSV: +-1, +-2, +-3) are used per
    flavour; a set that only has the Dq+ = Dq + Dqbar ids 901..903 (``pids`` attribute) is used
    as sum over q of e_q^2 Dq+, which needs q and qbar both or neither in params.flavours.
    positivity=True clamps |x Dq| <= x q per flavour (for Dq+: against x (q + qbar)).
    """
    x, mu = kin.x, kin.mu_F
    flavours = checked_flavours(params)
    f_sum = np.zeros(x.shape)
    d_sum = np.zeros(x.shape)
    pids = getattr(hpdf, "pids", None)
    plus_only = pids is not None and 901 in pids and 2 not in pids and -2 not in pids
    for q in flavours:
        f_sum += FLAVOUR_CHARGE2[q] * pdf.xfxQ(FLAVOUR_PDG_ID[q], x, mu) / x
    if not plus_only:
        for q in flavours:
            pid = FLAVOUR_PDG_ID[q]
            xdq = hpdf.xfxQ(pid, x, mu)
            if positivity:
                xdq = clamp_positivity(xdq, pdf.xfxQ(pid, x, mu))
            d_sum += FLAVOUR_CHARGE2[q] * xdq / x
        return f_sum, d_sum
    for q in ("u", "d", "s"):
        qbar = q + "bar"
        if (q in flavours) != (qbar in flavours):
            raise ValueError(f"a Delta q+ helicity set needs {q} and {qbar} both or neither in flavours")
        if q not in flavours:
            continue
        pid = FLAVOUR_PDG_ID[q]
        xdq = hpdf.xfxQ(900 + pid, x, mu)
        if positivity:
            xdq = clamp_positivity(xdq, pdf.xfxQ(pid, x, mu) + pdf.xfxQ(-pid, x, mu))
        d_sum += FLAVOUR_CHARGE2[q] * xdq / x
    return f_sum, d_sum


def _ff_terms(kin, f_sum, d_sum, params):
    model = get_param(params, "tmd_pdf")
    w = get_param(params, "kt2_pdf")
    w_g1 = get_param(params, "w_g1")
    norm = ff_norm(kin.Q, params)

    def R(name, width):
        return ff_convolution(name, 0, 0, kin.z, kin.PT, width, params, model=model)

    # helicity (+1, 0, -1) on axis 0
    D_w = np.stack([R("Dpm", w), R("D0", w), R("Dpm", w)])
    G_w = _LAMBDA * R("G1L", w)
    if model == "collinear":
        D_g1, G_g1 = D_w, G_w
    else:
        D_g1 = np.stack([R("Dpm", w_g1), R("D0", w_g1), R("Dpm", w_g1)])
        G_g1 = _LAMBDA * R("G1L", w_g1)
    return {
        "UU": norm * kin.A * f_sum * D_w,
        "LU": norm * kin.B * f_sum * G_w,
        "UL": norm * kin.A * d_sum * G_g1,
        "LL": norm * kin.B * d_sum * D_g1,
    }


def _singlet_terms(kin, g, dg, params):
    M = get_param(params, "M")
    z, PT = kin.z, kin.PT
    Kp = singlet_k_prime(z, kin.Q, params)
    den = PT**2 + (1.0 - z) ** 2 * M**2
    X_pm = (1.0 - z) ** 2 * M**2 * (1.0 + (1.0 - z) ** 2) / (2.0 * den**2)
    X = np.stack([X_pm, PT**2 / den**2, X_pm])
    Y = _LAMBDA * (-(1.0 - z) ** 3 * M**2 / den**2)
    return {
        "UU": Kp * kin.A * g * X,
        "LL": Kp * kin.B * dg * X,
        "LU": Kp * kin.B * g * Y,
        "UL": Kp * kin.A * dg * Y,
    }


def polarized_structure_functions(x, z, Q, PT, params=None, pdf=None, helicity_pdf=None,
                                  positivity=False):
    """F_UU, F_LU, F_UL, F_LL per channel and J/psi helicity (docs/physics.md §11), pb/GeV^4.

    x, z, Q, PT: numpy broadcasting, validated like ``evaluate``; y > 1 gives 0.
    params: the ff model is params.tmd_pdf (widths kt2_pdf for f_q, w_g1 for Delta q); PDFs
    and helicity PDFs at mu_F = mu_f_factor * Q.  pdf as in ``evaluate``; helicity_pdf: see
    ``resolve_helicity_pdf`` (default GRSV 2000 LO standard).  positivity: clamp
    |x Delta f| <= x f per flavour and for the gluon (default off, as the specification's check values).
    Returns {channel: {term: array of shape (3, *broadcast shape)}}, axis 0 = helicity (+1, 0, -1).
    """
    kin = Kinematics(x, z, Q, PT, params)
    pdf = resolve_pdf(pdf)
    hpdf = resolve_helicity_pdf(helicity_pdf)
    result = {c: {t: np.zeros((3,) + kin.shape) for t in TERMS} for c in CHANNELS}
    if not np.any(kin.physical):
        return result

    f_sum, d_sum = _quark_sums(kin, pdf, hpdf, params, positivity)
    xg = pdf.xfxQ(21, kin.x, kin.mu_F)
    xdg = hpdf.xfxQ(21, kin.x, kin.mu_F)
    if positivity:
        xdg = clamp_positivity(xdg, xg)
    g, dg = xg / kin.x, xdg / kin.x

    per_channel = {"ff": _ff_terms(kin, f_sum, d_sum, params),
                   "pgf_3s1_1": _singlet_terms(kin, g, dg, params)}
    octets = _pgf_channels(kin.x, kin.z, kin.Q, kin.PT, kin.y, pdf, params)
    depol_ratio = kin.B / kin.A * dg / g      # D(y) Delta g / g
    zero = np.zeros((3,) + kin.x.shape)
    U, L = octets["pgf_1s0_8"]
    uu = np.stack([U / 3.0, U / 3.0, U / 3.0])
    per_channel["pgf_1s0_8"] = {"UU": uu, "LU": zero, "UL": zero, "LL": depol_ratio * uu}
    U, L = octets["pgf_3pj_8"]
    uu = np.stack([(U - L) / 2.0, L, (U - L) / 2.0])
    per_channel["pgf_3pj_8"] = {"UU": uu, "LU": zero, "UL": zero, "LL": depol_ratio * uu}

    for c in CHANNELS:
        for t in TERMS:
            result[c][t] = kin.scatter(per_channel[c][t], leading=(3,))
    return result


def polarized_cross_section(structure_functions, lambda_e, S_N):
    """F_UU + lambda_e F_LU + S_N F_UL + lambda_e S_N F_LL per channel: {channel: (3, ...) array}
    (helicities +1, 0, -1).  lambda_e, S_N: helicities +-1, or beam polarizations P_e, P_N."""
    return {c: sf["UU"] + lambda_e * sf["LU"] + S_N * sf["UL"] + lambda_e * S_N * sf["LL"]
            for c, sf in structure_functions.items()}


def state_sum(per_helicity, state):
    """Sum a (3, ...) per-helicity array (+1, 0, -1) to a state: U (all), L (0), T (+-1)."""
    a = np.asarray(per_helicity)
    if state == "U":
        return a[0] + a[1] + a[2]
    if state == "L":
        return a[1]
    if state == "T":
        return a[0] + a[2]
    raise ValueError(f"state must be 'U', 'L' or 'T', not {state!r}")


def double_spin_asymmetry(structure_functions, channels=None, states=("U", "L", "T")):
    """A_LL = sum F_LL / sum F_UU over ``channels`` (default all) and the helicities of each
    state.  Returns {state: array}; NaN where the denominator is 0 (y > 1)."""
    channels = tuple(structure_functions) if channels is None else tuple(channels)
    out = {}
    for s in states:
        num = sum(state_sum(structure_functions[c]["LL"], s) for c in channels)
        den = sum(state_sum(structure_functions[c]["UU"], s) for c in channels)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[s] = (num / den)[()]
    return out


def depolarization(y):
    """D(y) = y (1 - y/2) / (1 - y + y^2/2)."""
    y = np.asarray(y, dtype=float)
    return (y * (1.0 - y / 2.0) / (1.0 - y + y**2 / 2.0))[()]
