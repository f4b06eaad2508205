"""Pieces shared by the section 11 (polarized beams) and section 12 (density matrix) code:
kinematics, the FF-channel normalisation and the colour-singlet prefactor."""

import math

import numpy as np

from ._params import FLAVOUR_CHARGE2, FLAVOUR_PDG_ID, GEV2_TO_PB, alpha_s, get_param
from ._xsec import _check_inputs, resolve_pdf


class Kinematics:
    """Validated, broadcast points and the physical (y <= 1) subset as 1-d arrays.

    shape: broadcast shape; physical: bool mask of that shape; x, z, Q, PT, y: 1-d arrays
    of the physical points; mu_F = mu_f_factor * Q on those points.
    """

    def __init__(self, x, z, Q, PT, params):
        x, z, Q, PT = _check_inputs(x, z, Q, PT)
        self.shape = x.shape
        y = Q**2 / (x * get_param(params, "sqrt_s") ** 2)
        self.physical = y <= 1.0
        self.x, self.z, self.Q, self.PT, self.y = (a[self.physical] for a in (x, z, Q, PT, y))
        self.mu_F = get_param(params, "mu_f_factor") * self.Q
        self.A = 1.0 - self.y + self.y**2 / 2.0     # 1 - y + y^2/2
        self.B = self.y * (1.0 - self.y / 2.0)        # y (1 - y/2)

    def scatter(self, values, leading=()):
        """Put ``values`` (..., n_physical) back on the full shape, 0 at unphysical points."""
        out = np.zeros(tuple(leading) + self.shape)
        out[..., self.physical] = values
        return out


def checked_flavours(params):
    flavours = tuple(get_param(params, "flavours"))
    for q in flavours:
        if q not in FLAVOUR_PDG_ID:
            raise ValueError(f"unknown flavour {q!r}; expected a subset of {tuple(FLAVOUR_PDG_ID)}")
    return flavours


def ff_norm(Q, params):
    """pi * 4 pi alpha_em^2 / Q^4 with GeV^-2 -> pb applied: the FF-channel factor without the
    lepton factor (A or B) and the PDFs [pb GeV^-2]; times a convolution [GeV^-2] -> pb/GeV^4."""
    alpha_em = get_param(params, "alpha_em")
    return math.pi * 4.0 * math.pi * alpha_em**2 / Q**4 * GEV2_TO_PB


def charge_weighted_pdf(pdf, x, mu_F, params):
    """sum_q e_q^2 f_q(x, mu_F) over params.flavours (f, not x f)."""
    total = np.zeros(np.shape(x))
    for q in checked_flavours(params):
        total += FLAVOUR_CHARGE2[q] * pdf.xfxQ(FLAVOUR_PDG_ID[q], x, mu_F) / x
    return total


def singlet_k_prime(z, Q, params):
    """K' = 512 pi (1-z) alpha_em^2 alpha_s(mu_PGF)^2 <O(3S1[1])> / (243 M Q^6 z (2-z)^2), in pb
    units (docs/physics.md §5's K without (1 - y + y^2/2) and without f_g)."""
    M = get_param(params, "M")
    a_s = float(alpha_s(get_param(params, "mu_pgf"), params))
    alpha_em = get_param(params, "alpha_em")
    O1 = get_param(params, "ldme_3s1_1")
    return (512.0 * math.pi * (1.0 - z) * alpha_em**2 * a_s**2 * O1
            / (243.0 * M * Q**6 * z * (2.0 - z) ** 2) * GEV2_TO_PB)


__all__ = ["Kinematics", "checked_flavours", "ff_norm", "charge_weighted_pdf", "singlet_k_prime",
           "resolve_pdf"]
