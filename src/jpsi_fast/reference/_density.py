"""The J/psi spin density matrix and the dilepton decay parameters, unpolarized beams
(docs/physics.md §12).

Helicity frame, Condon-Shortley states; sigma_{lambda lambda'} in the basis (+1, 0, -1),
normalized like the cross section (pb/GeV^4): sigma_++ + sigma_00 + sigma_-- = U,
sigma_00 = L.  After the lepton-azimuth integration the matrix is real with
sigma_-- = sigma_++, sigma_-0 = -sigma_+0, sigma_-+ = sigma_+-, so four numbers per channel:
S00 = sigma_00, Spp = sigma_++, Sp0 = sigma_+0, Spm = sigma_+-.
"""

import math

import numpy as np

from ._common import Kinematics, charge_weighted_pdf, ff_norm, singlet_k_prime
from ._gaussconv import ff_convolution
from ._params import get_param
from ._xsec import CHANNELS, _pgf_channels, resolve_pdf

ELEMENTS = ("S00", "Spp", "Sp0", "Spm")


def _ff_elements(kin, pdf, params):
    """ff channel, docs/physics.md §12: N = pi sigma0 sum_q e_q^2 f_q(x, mu_F),
    S00 = N R00[D1 - D1LL], Spp = N R00[D1 + D1LL/2], Sp0 = -N R11[D1LT]/sqrt2, Spm = N R22[D1TT]
    (collinear model: R_{n,p}[D] = (P_T/(zM))^p D(z, P_T/z))."""
    model = get_param(params, "tmd_pdf")
    w = get_param(params, "kt2_pdf")
    N = ff_norm(kin.Q, params) * kin.A * charge_weighted_pdf(pdf, kin.x, kin.mu_F, params)

    def R(name, n, p):
        return ff_convolution(name, n, p, kin.z, kin.PT, w, params, model=model)

    return {
        "S00": N * R("D0", 0, 0),
        "Spp": N * R("Dpm", 0, 0),
        "Sp0": -N * R("D1LT", 1, 1) / math.sqrt(2.0),
        "Spm": N * R("D1TT", 2, 2),
    }


def _singlet_elements(kin, pdf, params):
    """pgf_3s1_1, docs/physics.md §12: K = K' (1-y+y^2/2) f_g, den = P_T^2 + (1-z)^2 M^2;
    S00 = K P_T^2/den^2, Spp = K (1-z)^2 M^2 (1+(1-z)^2)/(2 den^2),
    Sp0 = -K (2-z)(1-z) M P_T/(2 sqrt2 den^2), Spm = 0."""
    M = get_param(params, "M")
    z, PT = kin.z, kin.PT
    f_g = pdf.xfxQ(21, kin.x, kin.mu_F) / kin.x
    K = singlet_k_prime(z, kin.Q, params) * kin.A * f_g
    den = PT**2 + (1.0 - z) ** 2 * M**2
    return {
        "S00": K * PT**2 / den**2,
        "Spp": K * (1.0 - z) ** 2 * M**2 * (1.0 + (1.0 - z) ** 2) / (2.0 * den**2),
        "Sp0": -K * (2.0 - z) * (1.0 - z) * M * PT / (2.0 * math.sqrt(2.0) * den**2),
        "Spm": np.zeros(z.shape),
    }


def density_matrix(x, z, Q, PT, params=None, pdf=None):
    """Spin density matrix per channel, docs/physics.md §12, unpolarized beams.

    x, z, Q [GeV], PT [GeV]: numpy broadcasting, validated as ``evaluate``; y > 1 gives 0.
    The ff model is params.tmd_pdf ("gaussian": R_{n,p} integrals with width kt2_pdf;
    "collinear"); pdf as in ``evaluate``; PDFs at mu_F = mu_f_factor * Q.
    Returns {channel: {"S00", "Spp", "Sp0", "Spm": array of the broadcast shape}} in pb/GeV^4
    for every channel of CHANNELS.

    pgf_1s0_8: U/3 times the unit matrix; pgf_3pj_8 (smearing model): S00 = L, Spp = (U-L)/2,
    off-diagonal 0.  (Polarized beams: not covered; only unpolarized beams.)
    """
    kin = Kinematics(x, z, Q, PT, params)
    pdf = resolve_pdf(pdf)
    result = {c: {e: np.zeros(kin.shape) for e in ELEMENTS} for c in CHANNELS}
    if not np.any(kin.physical):
        return result
    per_channel = {"ff": _ff_elements(kin, pdf, params),
                   "pgf_3s1_1": _singlet_elements(kin, pdf, params)}
    octets = _pgf_channels(kin.x, kin.z, kin.Q, kin.PT, kin.y, pdf, params)
    U, _ = octets["pgf_1s0_8"]
    zero = np.zeros(U.shape)
    per_channel["pgf_1s0_8"] = {"S00": U / 3.0, "Spp": U / 3.0, "Sp0": zero, "Spm": zero}
    U, L = octets["pgf_3pj_8"]
    per_channel["pgf_3pj_8"] = {"S00": L, "Spp": (U - L) / 2.0, "Sp0": zero, "Spm": zero}
    for c in CHANNELS:
        for e in ELEMENTS:
            result[c][e] = kin.scatter(per_channel[c][e])
    return result


def sum_density_matrices(matrices, channels=None):
    """Element-wise sum of the density matrices of ``channels`` (default all in ``matrices``)."""
    channels = tuple(matrices) if channels is None else tuple(channels)
    return {e: sum(matrices[c][e] for c in channels) for e in ELEMENTS}


def lambdas(S00, Spp, Sp0, Spm):
    """Decay parameters of J/psi -> l+ l- from the density matrix (docs/physics.md §12), rho = sigma/Tr sigma,
    Tr = S00 + 2 Spp:

        lambda_theta   = (1 - 3 rho00)/(1 + rho00)          = (Spp - S00)/(Spp + S00)
        lambda_phi     = 2 rho_{+-}/(1 + rho00)             = Spm/(Spp + S00)
        lambda_thetaphi = sqrt2 (rho_{+0} - rho_{-0})/(1 + rho00) = sqrt2 Sp0/(Spp + S00)
        lambda_tilde   = (lambda_theta + 3 lambda_phi)/(1 - lambda_phi)

    Returns {"theta", "phi", "thetaphi", "tilde"} (numpy arrays; NaN where Tr = 0, e.g. y > 1).
    For a sum of channels pass the summed elements (``sum_density_matrices``).  The formulas are
    applied as they are; with an LDME set that makes a channel negative the result need not
    satisfy the positivity bounds (nothing is clipped).
    """
    S00, Spp, Sp0, Spm = (np.asarray(v, dtype=float) for v in (S00, Spp, Sp0, Spm))
    tr = S00 + 2.0 * Spp
    with np.errstate(invalid="ignore", divide="ignore"):
        rho00 = S00 / tr
        rhopm = Spm / tr
        rhop0 = Sp0 / tr
        den = 1.0 + rho00
        theta = (1.0 - 3.0 * rho00) / den
        phi = 2.0 * rhopm / den
        thetaphi = math.sqrt(2.0) * (rhop0 - (-rhop0)) / den
        tilde = (theta + 3.0 * phi) / (1.0 - phi)
    return {"theta": theta[()], "phi": phi[()], "thetaphi": thetaphi[()], "tilde": tilde[()]}
