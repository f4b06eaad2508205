"""Physical parameters (docs/physics.md §2): the only place where a constant or default lives, with the ranges in
which every channel stays finite."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

LIGHT_FLAVOURS = ("u", "d", "s", "ubar", "dbar", "sbar")
TMD_PDF_MODELS = ("gaussian", "collinear")
#: GeV^-2 -> pb
GEV2_TO_PB = 0.3893794e9
#: the one-loop coupling must stay in (0, ALPHA_S_MAX] at every scale the model uses
ALPHA_S_MAX = 1.0

#: allowed (low, high, unit) of the numeric fields; both limits inclusive. The ranges keep every channel finite
#: for every accepted phase-space point (tests/test_robustness.py checks it with hypothesis).
FIELD_RANGES = {
    "sqrt_s": (1.0, 1e5, "GeV"),
    "M": (1.0, 20.0, "GeV"),
    "alpha_em": (1e-6, 1.0, ""),
    "lambda_qcd": (1e-3, 1.0, "GeV"),
    "n_f": (3, 6, ""),
    "n_c": (1, 10, ""),
    "mu_ff": (1e-3, 1e5, "GeV"),
    "mu_pgf": (1e-3, 1e5, "GeV"),
    "ldme_3s1_8": (0.0, 1e3, "GeV^3"),
    "ldme_1s0_8": (0.0, 1e3, "GeV^3"),
    "ldme_3p0_8_reduced": (0.0, 1e3, "GeV^3"),
    "ldme_3s1_1": (0.0, 1e3, "GeV^3"),
    "kt2_pdf": (1e-4, 25.0, "GeV^2"),
    "pt2_pgf": (1e-4, 25.0, "GeV^2"),
    "dz2_pgf": (1e-4, 1.0, ""),
}
#: numerical limits of the phase-space variables accepted by the kernels (beyond the physical 0 < x, z < 1,
#: Q > 0, P_T >= 0): the cross sections stay finite inside them
X_MIN = 1e-9
Z_MIN = 1e-9
Q_RANGE = (1e-3, 1e6)
PT_MAX = 1e6


def one_loop_alpha_s(mu, lambda_qcd, n_f):
    """alpha_s(mu) = 2 pi / ((11 - 2 n_f/3) ln(mu/Lambda)) (docs/physics.md eq. 2.1)."""
    return 2.0 * math.pi / ((11.0 - 2.0 * n_f / 3.0) * math.log(mu / lambda_qcd))


@dataclass(frozen=True)
class Params:
    """Parameters of the NRQCD + TMD model of J/psi production in SIDIS (docs/physics.md §2).

    Energies and masses in GeV, LDMEs in GeV^3 (GeV^5 for 3P0), widths in GeV^2. Change values with
    :meth:`replace`, e.g. ``Params().replace(sqrt_s=105.0, tmd_pdf="collinear")``. Every field is validated
    against :data:`FIELD_RANGES` (ValueError naming the field and its range; TypeError for a wrong type).

    Attributes
    ----------
    sqrt_s : e p centre-of-mass energy [GeV] (default 63; EIC-like 29, 45, 105, 141).
    M : J/psi mass = 2 m_c [GeV].
    alpha_em : fine-structure constant.
    lambda_qcd, n_f : one-loop alpha_s(mu) = 2 pi / ((11 - 2 n_f/3) ln(mu/Lambda)).
    n_c : number of colours.
    mu_ff : scale of alpha_s in the fragmentation functions [GeV]; None means M.
    mu_pgf : fixed scale of alpha_s in photon-gluon fusion [GeV].
    ldme_3s1_8, ldme_1s0_8, ldme_3s1_1 : <O(3S1[8])>, <O(1S0[8])>, <O(3S1[1])> [GeV^3].
    ldme_3p0_8_reduced : <O(3P0[8])> / m_c^2 [GeV^3]; see :attr:`ldme_3p0_8`.
    kt2_pdf : Gaussian TMD-PDF width w = <k_T^2> of the quarks [GeV^2].
    pt2_pgf, dz2_pgf : PGF transverse <P_T^2> [GeV^2] and longitudinal <delta z^2> smearing.
    flavours : light (anti)quarks summed in quark fragmentation, any subset of u, d, s, ubar, dbar, sbar.
    tmd_pdf : "gaussian" (default) or "collinear" (the w -> 0 limit) model of the FF channel.
    """

    sqrt_s: float = 63.0
    M: float = 3.1
    alpha_em: float = 1.0 / 137.036
    lambda_qcd: float = 0.2
    n_f: int = 5
    n_c: int = 3
    mu_ff: float | None = None
    mu_pgf: float = 30.0
    ldme_3s1_8: float = 0.30e-2
    ldme_1s0_8: float = 8.9e-2
    ldme_3p0_8_reduced: float = 0.56e-2
    ldme_3s1_1: float = 1.16
    kt2_pdf: float = 0.25
    pt2_pgf: float = 0.25
    dz2_pgf: float = 0.04
    flavours: tuple = LIGHT_FLAVOURS
    tmd_pdf: str = "gaussian"

    def __post_init__(self):
        for name, (lo, hi, unit) in FIELD_RANGES.items():
            v = getattr(self, name)
            if name == "mu_ff" and v is None:
                continue
            integer = name in ("n_f", "n_c")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and int(v) != v):
                kind = "an integer" if integer else "a real number"
                raise TypeError(f"Params.{name} must be {kind}, got {v!r}")
            if not (math.isfinite(v) and lo <= v <= hi):
                u = f" {unit}" if unit else ""
                raise ValueError(f"Params.{name} must be in [{lo:g}, {hi:g}]{u}, got {v!r}")
            object.__setattr__(self, name, int(v) if integer else float(v))
        for name, mu in (("mu_ff", self.mu_ff_value), ("mu_pgf", self.mu_pgf)):
            if mu <= self.lambda_qcd or one_loop_alpha_s(mu, self.lambda_qcd, self.n_f) > ALPHA_S_MAX:
                mu_min = self.lambda_qcd * math.exp(2.0 * math.pi / ((11.0 - 2.0 * self.n_f / 3.0) * ALPHA_S_MAX))
                what = "M" if name == "mu_ff" and self.mu_ff is None else name
                raise ValueError(f"Params.{what} = {mu:g} GeV gives alpha_s > {ALPHA_S_MAX:g}: it must be >= "
                                 f"{mu_min:.4g} GeV (lambda_qcd = {self.lambda_qcd:g} GeV, n_f = {self.n_f})")
        flavours = (self.flavours,) if isinstance(self.flavours, str) else tuple(self.flavours)
        bad = [f for f in flavours if f not in LIGHT_FLAVOURS]
        if bad or len(set(flavours)) != len(flavours) or not flavours:
            raise ValueError(f"Params.flavours must be distinct names from {LIGHT_FLAVOURS}, got {self.flavours!r}")
        object.__setattr__(self, "flavours", flavours)
        if self.tmd_pdf not in TMD_PDF_MODELS:
            raise ValueError(f"Params.tmd_pdf must be one of {TMD_PDF_MODELS}, got {self.tmd_pdf!r}")

    @property
    def m_c(self) -> float:
        """Charm-quark mass M/2 [GeV]."""
        return 0.5 * self.M

    @property
    def ldme_3p0_8(self) -> float:
        """<O(3P0[8])> = m_c^2 * ldme_3p0_8_reduced [GeV^5] (1.3454e-2 by default)."""
        return self.m_c ** 2 * self.ldme_3p0_8_reduced

    @property
    def mu_ff_value(self) -> float:
        """Scale of alpha_s in the fragmentation functions [GeV] (M unless mu_ff is set)."""
        return self.M if self.mu_ff is None else self.mu_ff

    @property
    def s(self) -> float:
        """Squared e p centre-of-mass energy [GeV^2]."""
        return self.sqrt_s ** 2

    def replace(self, **changes) -> "Params":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)
