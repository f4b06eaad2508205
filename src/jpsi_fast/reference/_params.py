"""Default parameters (docs/physics.md §2), one-loop alpha_s, and parameter look-up.

Units: GeV for masses/momenta/scales, GeV^2 for widths, GeV^3 (GeV^5 for P-wave)
for the NRQCD long-distance matrix elements (LDMEs).
"""

import dataclasses
import math

import numpy as np

#: GeV^-2 -> pb conversion factor, (hbar c)^2 = 0.3893794 GeV^2 mb.
GEV2_TO_PB = 0.3893794e9

#: Squared electric charges of the light (anti)quarks and their PDG ids.
FLAVOUR_CHARGE2 = {
    "u": 4.0 / 9.0, "d": 1.0 / 9.0, "s": 1.0 / 9.0,
    "ubar": 4.0 / 9.0, "dbar": 1.0 / 9.0, "sbar": 1.0 / 9.0,
}
FLAVOUR_PDG_ID = {"u": 2, "d": 1, "s": 3, "ubar": -2, "dbar": -1, "sbar": -3}


@dataclasses.dataclass(frozen=True)
class Params:
    """Physics parameters (docs/physics.md §2).  Use ``dataclasses.replace(DEFAULTS, ...)``
    or :func:`make_params` to change some of them.

    sqrt_s      e p centre-of-mass energy [GeV]
    M           J/psi mass [GeV] (m_c = M/2)
    alpha_em    fine-structure constant
    lambda_qcd  Lambda of the one-loop alpha_s [GeV]
    n_f         active flavours in the one-loop beta function
    n_c         number of colours
    mu_ff       alpha_s scale of the quark fragmentation functions [GeV]; None -> M
    mu_pgf      alpha_s scale of photon-gluon fusion [GeV]
    ldme_3s1_8  <O(3S1[8])> [GeV^3]
    ldme_1s0_8  <O(1S0[8])> [GeV^3]
    ldme_3p0_8_reduced  <O(3P0[8])>/m_c^2 [GeV^3]; <O(3P0[8])> = (M/2)^2 * this [GeV^5]
    ldme_3s1_1  <O(3S1[1])> [GeV^3]
    kt2_pdf     Gaussian TMD-PDF width w = <k_T^2> [GeV^2]
    pt2_pgf     PGF transverse smearing <P_T^2> [GeV^2]
    dz2_pgf     PGF longitudinal smearing <delta z^2>
    flavours    light (anti)quarks in the fragmentation sum
    tmd_pdf     "gaussian" or "collinear"
    w_g1        Gaussian TMD width of the helicity PDFs (docs/physics.md §11) [GeV^2]
    mu_f_factor PDF factorization scale mu_F = mu_f_factor * Q (docs/physics.md §10.2: xi_F)
    """

    sqrt_s: float = 63.0
    M: float = 3.1
    alpha_em: float = 1.0 / 137.036
    lambda_qcd: float = 0.2
    n_f: int = 5
    n_c: int = 3
    mu_ff: object = None
    mu_pgf: float = 30.0
    ldme_3s1_8: float = 0.30e-2
    ldme_1s0_8: float = 8.9e-2
    ldme_3p0_8_reduced: float = 0.56e-2
    ldme_3s1_1: float = 1.16
    kt2_pdf: float = 0.25
    pt2_pgf: float = 0.25
    dz2_pgf: float = 0.04
    flavours: tuple = ("u", "d", "s", "ubar", "dbar", "sbar")
    tmd_pdf: str = "gaussian"
    w_g1: float = 0.19
    mu_f_factor: float = 1.0


#: The docs/physics.md §2 defaults.
DEFAULTS = Params()


def make_params(**overrides):
    """Return a :class:`Params` equal to DEFAULTS except for ``overrides``."""
    return dataclasses.replace(DEFAULTS, **overrides)


def get_param(params, name):
    """Read parameter ``name`` from a duck-typed ``params`` object.

    ``params is None`` means DEFAULTS; an attribute the object lacks falls back to
    its DEFAULTS value.
    """
    if params is None:
        params = DEFAULTS
    return getattr(params, name, getattr(DEFAULTS, name))


def alpha_s(mu, params=None):
    """One-loop strong coupling alpha_s(mu) = 2 pi / ((11 - 2 n_f/3) ln(mu/Lambda)).

    mu in GeV (array-like, numpy broadcasting); uses params.n_f and params.lambda_qcd.
    """
    n_f = get_param(params, "n_f")
    lam = get_param(params, "lambda_qcd")
    mu = np.asarray(mu, dtype=float)
    result = 2.0 * math.pi / ((11.0 - 2.0 * n_f / 3.0) * np.log(mu / lam))
    return result[()]


def mu_ff_value(params):
    """The alpha_s scale of the fragmentation functions [GeV]: mu_ff, or M if mu_ff is None."""
    mu = get_param(params, "mu_ff")
    return get_param(params, "M") if mu is None else mu
