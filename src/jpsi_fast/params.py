"""Physical parameters (SPEC section 2): the only place where a constant or default lives."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

LIGHT_FLAVOURS = ("u", "d", "s", "ubar", "dbar", "sbar")
TMD_PDF_MODELS = ("gaussian", "collinear")
#: GeV^-2 -> pb
GEV2_TO_PB = 0.3893794e9


@dataclass(frozen=True)
class Params:
    """Parameters of the NRQCD + TMD model of J/psi production in SIDIS (SPEC section 2).

    Energies and masses in GeV, LDMEs in GeV^3 (GeV^5 for 3P0), widths in GeV^2. Change values with
    :meth:`replace`, e.g. ``Params().replace(sqrt_s=105.0, tmd_pdf="collinear")``.

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
        positive = ["sqrt_s", "M", "alpha_em", "lambda_qcd", "mu_pgf", "ldme_3s1_8", "ldme_1s0_8",
                    "ldme_3p0_8_reduced", "ldme_3s1_1", "kt2_pdf", "pt2_pgf", "dz2_pgf"]
        for name in positive:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise ValueError(f"Params.{name} must be a finite number > 0, got {v!r}")
        if self.mu_ff is not None and (not math.isfinite(self.mu_ff) or self.mu_ff <= self.lambda_qcd):
            raise ValueError(f"Params.mu_ff must be None or a number > lambda_qcd = {self.lambda_qcd}, "
                             f"got {self.mu_ff!r}")
        if self.mu_pgf <= self.lambda_qcd or self.M <= self.lambda_qcd:
            raise ValueError("Params.mu_pgf and Params.M must exceed lambda_qcd (alpha_s must be finite)")
        if int(self.n_f) != self.n_f or not 3 <= self.n_f <= 6:
            raise ValueError(f"Params.n_f must be an integer in [3, 6], got {self.n_f!r}")
        if int(self.n_c) != self.n_c or self.n_c < 1:
            raise ValueError(f"Params.n_c must be a positive integer, got {self.n_c!r}")
        flavours = (self.flavours,) if isinstance(self.flavours, str) else tuple(self.flavours)
        bad = [f for f in flavours if f not in LIGHT_FLAVOURS]
        if bad or len(set(flavours)) != len(flavours):
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
