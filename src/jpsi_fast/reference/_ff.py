"""TMD fragmentation functions of light quarks (and gluons) into J/psi via 3S1[8]
at leading order (docs/physics.md §3, ref. [1]).

z is the J/psi momentum fraction, kT [GeV] the transverse momentum of the
fragmenting quark in the frame where the J/psi has none.  The quark TMD FFs are
in GeV^-2 (collinear D(z) = z^2 * integral d^2kT D(z, kT)).
"""

import math

import numpy as np

from ._params import alpha_s, get_param, mu_ff_value

#: The 18 leading-twist quark TMD FFs of a spin-1 hadron.
TMD_FF_NAMES = (
    "D1", "D1T_perp", "G1L", "G1T", "H1_perp", "H1L_perp", "H1T", "H1T_perp",
    "D1LL", "D1LT", "D1TT", "G1LT", "G1TT", "H1LL_perp", "H1LT", "H1LT_perp", "H1TT",
    "H1TT_perp",
)

_NONZERO_QUARK_FFS = ("D1", "D1LL", "D1LT", "D1TT", "G1L", "G1T")


def _ff_constants(params):
    """(alpha_s(mu_ff), O8 = <O(3S1[8])> [GeV^3], M [GeV], N_c)."""
    a_s = float(alpha_s(mu_ff_value(params), params))
    return (a_s, get_param(params, "ldme_3s1_8"), get_param(params, "M"),
            get_param(params, "n_c"))


def tmd_ff(name, z, kT, params=None):
    """Quark -> J/psi TMD fragmentation function ``name`` at (z, kT) [GeV^-2].

    z: momentum fraction, kT: quark transverse momentum [GeV]; numpy broadcasting.
    alpha_s is evaluated at params.mu_ff (None -> M).  The T-odd / chiral-odd FFs
    vanish at this order and return zeros of the broadcast shape.
    """
    if name not in TMD_FF_NAMES:
        raise ValueError(f"unknown TMD FF name {name!r}; expected one of {TMD_FF_NAMES}")
    z, kT = np.broadcast_arrays(np.asarray(z, dtype=float), np.asarray(kT, dtype=float))
    if name not in _NONZERO_QUARK_FFS:
        return np.zeros(z.shape)

    a_s, O8, M, n_c = _ff_constants(params)
    pi = math.pi
    Delta = z**2 * kT**2 + M**2 * (1.0 - z)            # Delta(z, kT)  [GeV^2]
    c = 2.0 * a_s**2 * O8 / (9.0 * pi * n_c * M**3 * z)  # c(z)          [GeV^0]

    if name == "D1":
        return c * (kT**2 * z**2 * (z**2 - 2.0 * z + 2.0) + 2.0 * M**2 * (1.0 - z)**2) / Delta**2
    if name == "D1LL":
        return c * (kT**2 * z**2 * (z**2 - 2.0 * z + 2.0) - 4.0 * M**2 * (1.0 - z)**2) / Delta**2
    if name == "D1LT":
        return -2.0 * a_s**2 * O8 * (2.0 - z) * (1.0 - z) / (9.0 * pi * M * Delta**2)
    if name == "D1TT":
        return -2.0 * a_s**2 * O8 * z * (1.0 - z) / (9.0 * pi * M * Delta**2)
    if name == "G1L":
        return a_s**2 * O8 * kT**2 * z**2 * (2.0 - z) / (9.0 * pi * M**3 * Delta**2)
    if name == "G1T":       # minus sign: fixed by a full-amplitude check (docs/physics.md §3)
        return -2.0 * a_s**2 * O8 * z * (1.0 - z) / (9.0 * pi * M * Delta**2)
    raise AssertionError("unreachable")


def ff_c(z, params=None):
    """c(z) = 2 alpha_s^2 O8 / (9 pi N_c M^3 z) [dimensionless], alpha_s at mu_ff."""
    a_s, O8, M, n_c = _ff_constants(params)
    return 2.0 * a_s**2 * O8 / (9.0 * math.pi * n_c * M**3 * np.asarray(z, dtype=float))


def tmd_ff_state_u_l(z, kT, params=None):
    """Polarization-state combinations used in the cross section [GeV^-2]:

    D_U = 3 D1 (all three helicities), D_L = D1 - D1LL = c * 6 M^2 (1-z)^2 / Delta^2
    (helicity 0; the simplified form of docs/physics.md, free of cancellation).
    """
    z, kT = np.broadcast_arrays(np.asarray(z, dtype=float), np.asarray(kT, dtype=float))
    M = get_param(params, "M")
    Delta = z**2 * kT**2 + M**2 * (1.0 - z)
    c = ff_c(z, params)
    D_U = 3.0 * c * (kT**2 * z**2 * (z**2 - 2.0 * z + 2.0) + 2.0 * M**2 * (1.0 - z)**2) / Delta**2
    D_L = c * 6.0 * M**2 * (1.0 - z)**2 / Delta**2
    return D_U, D_L


def gluon_tmd_ff(name, params=None):
    """Gluon -> J/psi fragmentation function at leading order (coefficient of delta(1-z); dimensionless).

    D1 = D1LL = pi alpha_s O8 / (9 M^3), G1L = pi alpha_s O8 / (6 M^3),
    H1TT = -pi alpha_s O8 / (6 M^3), all others 0.  alpha_s at params.mu_ff.
    Returns a Python float.
    """
    if name not in TMD_FF_NAMES:
        raise ValueError(f"unknown TMD FF name {name!r}; expected one of {TMD_FF_NAMES}")
    a_s, O8, M, _ = _ff_constants(params)
    base = math.pi * a_s * O8 / M**3
    if name in ("D1", "D1LL"):
        return float(base / 9.0)
    if name == "G1L":
        return float(base / 6.0)
    if name == "H1TT":
        return float(-base / 6.0)
    return 0.0
