"""Physical parameters (docs/physics.md §2): the only place where a constant or default lives, with the ranges in
which every channel stays finite."""
from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass

LIGHT_FLAVOURS = ("u", "d", "s", "ubar", "dbar", "sbar")
TMD_PDF_MODELS = ("gaussian", "collinear")
#: GeV^-2 -> pb
GEV2_TO_PB = 0.3893794e9
#: the one-loop coupling must stay in (0, ALPHA_S_MAX] at every scale the model uses
ALPHA_S_MAX = 1.0

#: particle masses [GeV] (PDG 2024) for the exact event kinematics (docs/physics.md §13); the J/psi mass of the
#: kinematics is Params.M (= 2 m_c, the cross section's own), not the PDG value
M_PROTON = 0.93827208816
M_ELECTRON = 0.51099895000e-3
M_MUON = 0.1056583755
#: decay leptons: name -> (PDG id of l-, mass [GeV], branching ratio B(J/psi -> l+ l-), PDG 2024)
DECAY_LEPTONS = {"mumu": (13, M_MUON, 0.05961), "ee": (11, M_ELECTRON, 0.05971)}
#: PDG ids used in event records
PDG_ELECTRON, PDG_PROTON, PDG_PHOTON, PDG_JPSI = 11, 2212, 22, 443
#: 1 fb^-1 in pb^-1 (luminosities are given in fb^-1, cross sections in pb)
PB_INV_PER_FB_INV = 1e3

#: beam set-ups (electron energy, proton energy) [GeV]: the EIC design configurations and HERA
BEAM_PRESETS = {"5x41": (5.0, 41.0), "5x100": (5.0, 100.0), "10x100": (10.0, 100.0), "10x275": (10.0, 275.0),
                "18x275": (18.0, 275.0), "hera": (27.5, 920.0)}

#: the four LDMEs [GeV^3], in Params field names; <O(3P0[8])> = m_c^2 * ldme_3p0_8_reduced
LDME_FIELDS = ("ldme_3s1_1", "ldme_3s1_8", "ldme_1s0_8", "ldme_3p0_8_reduced")
#: channel -> the LDME it is proportional to (docs/physics.md §10.1)
CHANNEL_LDME = {"ff": "ldme_3s1_8", "pgf_1s0_8": "ldme_1s0_8", "pgf_3pj_8": "ldme_3p0_8_reduced",
                "pgf_3s1_1": "ldme_3s1_1"}


def _ldme(s1, s8, s0, p0):
    """(<O(3S1[1])>, <O(3S1[8])>, <O(1S0[8])>, <O(3P0[8])>/m_c^2) [GeV^3] -> Params fields."""
    return dict(zip(LDME_FIELDS, (s1, s8, s0, p0)))


#: named LDME sets (docs/physics.md §10.1), values as published: octets and P0 = <O(3P0[8])>/m_c^2 in GeV^3
LDME_SETS = {
    "chao2012": _ldme(1.16, 0.30e-2, 8.9e-2, 0.56e-2),
    "chao2012_set2": _ldme(1.16, 1.4e-2, 0.0, 2.4e-2),
    "chao2012_set3": _ldme(1.16, 0.0, 11.0e-2, 0.0),
    "bckl2014": _ldme(1.16, 1.1e-2, 9.9e-2, 0.49e-2),
    "sharma_vitev2013": _ldme(1.2, 0.13e-2, 1.8e-2, 1.8e-2),
    "pythia8": _ldme(1.16, 1.19e-2, 1.0e-2, 1.0e-2),
    "bk2011_a": _ldme(1.32, 0.224e-2, 4.97e-2, -0.716e-2),
    "bk2011_b": _ldme(1.32, 0.168e-2, 3.04e-2, -0.404e-2),
    "gwwz2013": _ldme(1.16, -0.46e-2, 9.7e-2, -0.95e-2),
}
#: the quoted one-sigma uncertainties of each set [GeV^3] (0 where none is published)
LDME_SET_UNCERTAINTIES = {
    "chao2012": _ldme(0.0, 0.12e-2, 0.98e-2, 0.21e-2),
    "chao2012_set2": _ldme(0.0, 0.0, 0.0, 0.0),
    "chao2012_set3": _ldme(0.0, 0.0, 0.0, 0.0),
    "bckl2014": _ldme(0.0, 1.0e-2, 2.2e-2, 0.44e-2),
    "sharma_vitev2013": _ldme(0.0, 0.13e-2, 0.87e-2, 0.87e-2),
    "pythia8": _ldme(0.0, 0.0, 0.0, 0.0),
    "bk2011_a": _ldme(0.0, 0.059e-2, 0.44e-2, 0.089e-2),
    "bk2011_b": _ldme(0.0, 0.046e-2, 0.35e-2, 0.072e-2),
    "gwwz2013": _ldme(0.0, 0.13e-2, 0.9e-2, 0.25e-2),
}
#: where each set comes from
LDME_SET_REFERENCES = {
    "chao2012": "Chao, Ma, Shao, Wang, Zhang, PRL 108, 242004 (2012)",
    "chao2012_set2": "Chao et al. (2012), Table I row 2 (extreme of the allowed direction)",
    "chao2012_set3": "Chao et al. (2012), Table I row 3 (extreme of the allowed direction)",
    "bckl2014": "Bodwin, Chung, Kim, Lee, PRL 113, 022001 (2014) (as tabulated by Butenschoen, He, Kniehl)",
    "sharma_vitev2013": "Sharma, Vitev, PRC 87, 044905 (2013), LO fit",
    "pythia8": "Pythia 8 defaults (generator default, not a fit)",
    "bk2011_a": "Butenschoen, Kniehl, PRD 84, 051501 (2011), set A (NLO fit, negative 3P0)",
    "bk2011_b": "Butenschoen, Kniehl, PRD 84, 051501 (2011), set B (NLO fit, negative 3P0)",
    "gwwz2013": "Gong, Wan, Wang, Zhang, PRL 110, 042002 (2013) (NLO fit, negative 3S1[8] and 3P0)",
}
#: sets without a negative element
POSITIVE_LDME_SETS = tuple(k for k, v in LDME_SETS.items() if min(v.values()) >= 0)
#: magnitude limit of an LDME [GeV^3]
LDME_MAX = 1e3

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
    "mu_f_factor": (0.1, 10.0, ""),
    "ldme_3s1_8": (0.0, LDME_MAX, "GeV^3"),
    "ldme_1s0_8": (0.0, LDME_MAX, "GeV^3"),
    "ldme_3p0_8_reduced": (0.0, LDME_MAX, "GeV^3"),
    "ldme_3s1_1": (0.0, LDME_MAX, "GeV^3"),
    "kt2_pdf": (1e-4, 25.0, "GeV^2"),
    "w_g1": (1e-4, 25.0, "GeV^2"),
    "pt2_pgf": (1e-4, 25.0, "GeV^2"),
    "dz2_pgf": (1e-4, 1.0, ""),
}
#: numerical limits of the phase-space variables accepted by the kernels (beyond the physical 0 < x, z < 1,
#: Q > 0, P_T >= 0): the cross sections stay finite inside them
X_MIN = 1e-9
Z_MIN = 1e-9
Q_RANGE = (1e-3, 1e6)
PT_MAX = 1e6
#: largest beam energy accepted [GeV]
BEAM_ENERGY_MAX = 5e4


def one_loop_alpha_s(mu, lambda_qcd, n_f):
    """alpha_s(mu) = 2 pi / ((11 - 2 n_f/3) ln(mu/Lambda)) (docs/physics.md eq. 2.1)."""
    return 2.0 * math.pi / ((11.0 - 2.0 * n_f / 3.0) * math.log(mu / lambda_qcd))


def _checked_number(name, v, lo, hi, unit, integer=False):
    """v as float (int for integer fields) if it is a real number in [lo, hi]; else TypeError / ValueError naming
    Params.<name>."""
    kind = "an integer" if integer else "a real number"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"Params.{name} must be {kind}, got {v!r}")
    u = f" {unit}" if unit else ""
    try:
        f = float(v)
    except OverflowError:
        raise ValueError(f"Params.{name} must be in [{lo:g}, {hi:g}]{u}, got an integer of {len(str(v))} digits")
    if not (math.isfinite(f) and lo <= f <= hi):
        raise ValueError(f"Params.{name} must be in [{lo:g}, {hi:g}]{u}, got {v!r}")
    if integer:
        if f != int(f):
            raise TypeError(f"Params.{name} must be an integer, got {v!r}")
        return int(f)
    return f


@dataclass(frozen=True)
class Beams:
    """Head-on electron and proton beams (docs/physics.md §13): electron along -z, proton along +z in the lab.

    Parameters
    ----------
    electron_energy, proton_energy : beam energies [GeV] (the electron's above its mass, the proton's above
        M_PROTON).
    name : a label (the preset name for :meth:`preset`).
    electron_polarization, proton_polarization : longitudinal polarizations lambda_e and S_N in [-1, 1]
        (docs/physics.md §11; default 0): with ``Params(beams=...)`` they are the default beam polarizations of
        ``CrossSection.evaluate`` and of ``Integrator.integrate/histogram`` (explicit ``lambda_e``/``S_N``/``beam``
        win). Lab-frame decays need unpolarized beams (the off-diagonal density-matrix elements are derived for
        unpolarized beams only, §12).

    ``sqrt_s`` = sqrt((p_e + p_p)^2) with the proton and electron masses [GeV]; ``Params(beams=...)`` takes it as the
    centre-of-mass energy of the (leading-power, massless-target) cross section, whose y = Q^2/(x s).
    """

    electron_energy: float
    proton_energy: float
    name: str = ""
    electron_polarization: float = 0.0
    proton_polarization: float = 0.0

    def __post_init__(self):
        for what, v, m in (("electron_energy", self.electron_energy, M_ELECTRON),
                           ("proton_energy", self.proton_energy, M_PROTON)):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise TypeError(f"Beams.{what} must be a real number [GeV], got {v!r}")
            if not (math.isfinite(v) and m < v <= BEAM_ENERGY_MAX):
                raise ValueError(f"Beams.{what} must be in ({m:g}, {BEAM_ENERGY_MAX:g}] GeV, got {v!r}")
            object.__setattr__(self, what, float(v))
        if not isinstance(self.name, str):
            raise TypeError(f"Beams.name must be a string, got {self.name!r}")
        for what in ("electron_polarization", "proton_polarization"):
            v = getattr(self, what)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and -1 <= v <= 1):
                raise ValueError(f"Beams.{what} must be a number in [-1, 1], got {v!r}")
            object.__setattr__(self, what, float(v))

    @property
    def polarization(self) -> tuple | None:
        """(lambda_e, S_N), or None for unpolarized beams."""
        pol = (self.electron_polarization, self.proton_polarization)
        return None if pol == (0.0, 0.0) else pol

    @classmethod
    def preset(cls, name: str) -> "Beams":
        """One of :data:`BEAM_PRESETS` ("5x41", "5x100", "10x100", "10x275", "18x275", "hera"); also accepts any
        "<E_e>x<E_p>" such as "18x275" or "27.5x920" [GeV]."""
        if not isinstance(name, str):
            raise TypeError(f"Beams.preset: name must be a string like '18x275', got {name!r}")
        key = name.strip().lower()
        if key in BEAM_PRESETS:
            return cls(*BEAM_PRESETS[key], name=key)
        parts = key.split("x")
        try:
            e, p = (float(t) for t in parts)
        except ValueError:
            raise ValueError(f"Beams.preset: unknown set-up {name!r}; presets {tuple(BEAM_PRESETS)} or "
                             "'<E_e>x<E_p>' in GeV") from None
        return cls(e, p, name=key)

    @property
    def electron_momentum(self) -> float:
        """|p_e| [GeV]."""
        return math.sqrt((self.electron_energy - M_ELECTRON) * (self.electron_energy + M_ELECTRON))

    @property
    def proton_momentum(self) -> float:
        """|p_p| [GeV]."""
        return math.sqrt((self.proton_energy - M_PROTON) * (self.proton_energy + M_PROTON))

    @property
    def s(self) -> float:
        """(p_e + p_p)^2 [GeV^2], with the masses."""
        return (M_ELECTRON ** 2 + M_PROTON ** 2
                + 2.0 * (self.electron_energy * self.proton_energy + self.electron_momentum * self.proton_momentum))

    @property
    def sqrt_s(self) -> float:
        """e p centre-of-mass energy [GeV]."""
        return math.sqrt(self.s)

    def __str__(self):
        pol = "" if self.polarization is None else (f", lambda_e = {self.electron_polarization:g}, "
                                                     f"S_N = {self.proton_polarization:g}")
        return f"{self.electron_energy:g}x{self.proton_energy:g} GeV (sqrt(s) = {self.sqrt_s:.2f} GeV{pol})"


def check_decay(value, what="decay") -> str:
    """A key of DECAY_LEPTONS ("mumu", "ee"); ValueError naming ``what`` otherwise."""
    if not isinstance(value, str) or value not in DECAY_LEPTONS:
        raise ValueError(f"{what} must be one of {tuple(DECAY_LEPTONS)}, got {value!r}")
    return value


def check_beams(value) -> Beams | None:
    """None, a :class:`Beams` or a preset name -> Beams (ValueError / TypeError naming ``beams``)."""
    if value is None or isinstance(value, Beams):
        return value
    if isinstance(value, str):
        return Beams.preset(value)
    if isinstance(value, dict):                    # from dataclasses.asdict (dataset metadata)
        return Beams(**value)
    raise TypeError(f"beams must be a jpsi_fast.Beams or a preset name like '18x275', got {value!r}")


def _checked_flavours(value):
    """The flavour tuple: distinct names from LIGHT_FLAVOURS (a single name allowed); errors name Params.flavours."""
    items = (value,) if isinstance(value, str) else value
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(f"Params.flavours must be a sequence of names from {LIGHT_FLAVOURS}, got {value!r}") from None
    if not items or any(not isinstance(f, str) or f not in LIGHT_FLAVOURS for f in items) \
            or len(set(items)) != len(items):
        raise ValueError(f"Params.flavours must be distinct names from {LIGHT_FLAVOURS}, got {value!r}")
    return items


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
    mu_f_factor : the PDFs' factorization scale mu_F = mu_f_factor * Q (xi_F of docs/physics.md §10.2).
    ldme_set : name of an LDME set from :data:`LDME_SETS` (default "chao2012") or a dict of the four LDMEs; it
        fills the LDME fields that are not given explicitly (explicit values win).
    ldme_3s1_8, ldme_1s0_8, ldme_3s1_1 : <O(3S1[8])>, <O(1S0[8])>, <O(3S1[1])> [GeV^3].
    ldme_3p0_8_reduced : <O(3P0[8])> / m_c^2 [GeV^3]; see :attr:`ldme_3p0_8`.
    allow_negative_ldme : LDMEs must be >= 0 (the LO channels are then >= 0) unless this is True; then a
        UserWarning says which channels can be negative (the NLO fits bk2011_a/b, gwwz2013 need it).
    kt2_pdf : Gaussian TMD-PDF width w = <k_T^2> of the quarks [GeV^2].
    w_g1 : Gaussian width <k_T^2> of the quark helicity TMD PDFs g1L [GeV^2] (docs/physics.md §11; polarized
        beams, Gaussian model).
    pt2_pgf, dz2_pgf : PGF transverse <P_T^2> [GeV^2] and longitudinal <delta z^2> smearing.
    flavours : light (anti)quarks summed in quark fragmentation, any subset of u, d, s, ubar, dbar, sbar.
    tmd_pdf : "gaussian" (default) or "collinear" (the w -> 0 limit) model of the FF channel.
    beams : a :class:`Beams` (or a preset name such as "18x275"): sets ``sqrt_s`` = beams.sqrt_s and gives events
        their lab frame (docs/physics.md §13); ``sqrt_s`` must then be left at its default (or equal).
        ``replace(sqrt_s=...)`` drops the beams, ``replace(beams=...)`` sets sqrt_s.
    """

    sqrt_s: float = 63.0
    M: float = 3.1
    alpha_em: float = 1.0 / 137.036
    lambda_qcd: float = 0.2
    n_f: int = 5
    n_c: int = 3
    mu_ff: float | None = None
    mu_pgf: float = 30.0
    mu_f_factor: float = 1.0
    ldme_set: str | dict = "chao2012"
    ldme_3s1_8: float | None = None
    ldme_1s0_8: float | None = None
    ldme_3p0_8_reduced: float | None = None
    ldme_3s1_1: float | None = None
    allow_negative_ldme: bool = False
    kt2_pdf: float = 0.25
    w_g1: float = 0.19
    pt2_pgf: float = 0.25
    dz2_pgf: float = 0.04
    flavours: tuple = LIGHT_FLAVOURS
    tmd_pdf: str = "gaussian"
    beams: Beams | None = None

    def __post_init__(self):
        beams = check_beams(self.beams)
        if beams is not None:
            default = dataclasses.fields(self)[0].default
            if self.sqrt_s != default and not math.isclose(self.sqrt_s, beams.sqrt_s, rel_tol=1e-12):
                raise ValueError(f"Params: sqrt_s = {self.sqrt_s!r} GeV contradicts beams {beams} (sqrt(s) = "
                                 f"{beams.sqrt_s!r} GeV): give one of them")
            object.__setattr__(self, "beams", beams)
            object.__setattr__(self, "sqrt_s", beams.sqrt_s)
        self._fill_ldmes()
        for name, (lo, hi, unit) in FIELD_RANGES.items():
            v = getattr(self, name)
            if name == "mu_ff" and v is None:
                continue
            if name in LDME_FIELDS and self.allow_negative_ldme:
                lo = -hi
            object.__setattr__(self, name, _checked_number(name, v, lo, hi, unit, integer=name in ("n_f", "n_c")))
        for name, mu in (("mu_ff", self.mu_ff_value), ("mu_pgf", self.mu_pgf)):
            if mu <= self.lambda_qcd or one_loop_alpha_s(mu, self.lambda_qcd, self.n_f) > ALPHA_S_MAX:
                mu_min = self.lambda_qcd * math.exp(2.0 * math.pi / ((11.0 - 2.0 * self.n_f / 3.0) * ALPHA_S_MAX))
                what = "M" if name == "mu_ff" and self.mu_ff is None else name
                raise ValueError(f"Params.{what} = {mu:g} GeV gives alpha_s > {ALPHA_S_MAX:g}: it must be >= "
                                 f"{mu_min:.4g} GeV (lambda_qcd = {self.lambda_qcd:g} GeV, n_f = {self.n_f})")
        object.__setattr__(self, "flavours", _checked_flavours(self.flavours))
        if not isinstance(self.tmd_pdf, str) or self.tmd_pdf not in TMD_PDF_MODELS:
            raise ValueError(f"Params.tmd_pdf must be one of {TMD_PDF_MODELS}, got {self.tmd_pdf!r}")
        negative = [f for f in LDME_FIELDS if getattr(self, f) < 0]
        if negative:
            where = [c for c, f in CHANNEL_LDME.items() if f in negative]
            warnings.warn(f"Params: negative LDME(s) {negative} ({self._set_label()}): channel(s) {where} are "
                          "negative at leading order; shares, the dominant mechanism and lambda_theta are computed "
                          "from the signed values, and unweighted sampling needs a positive component",
                          UserWarning, stacklevel=3)

    def _set_label(self):
        return f"LDME set {self.ldme_set!r}" if isinstance(self.ldme_set, str) else "user LDME set"

    def _fill_ldmes(self):
        """Fill the LDME fields that are None from ``ldme_set``; a set with a negative element needs
        allow_negative_ldme=True."""
        if not isinstance(self.allow_negative_ldme, (bool,)):
            raise TypeError(f"Params.allow_negative_ldme must be True or False, got {self.allow_negative_ldme!r}")
        s = self.ldme_set
        if isinstance(s, str):
            if s not in LDME_SETS:
                raise ValueError(f"Params.ldme_set: unknown LDME set {s!r}; named sets: {tuple(LDME_SETS)} "
                                 "(or give a dict of the four LDMEs)")
            values = LDME_SETS[s]
        elif isinstance(s, dict):
            if set(s) != set(LDME_FIELDS):
                raise ValueError(f"Params.ldme_set: a user set is a dict with exactly the keys {LDME_FIELDS}, got "
                                 f"{tuple(s)}")
            values = s
            object.__setattr__(self, "ldme_set", dict(s))
        else:
            raise TypeError(f"Params.ldme_set must be a set name or a dict of the four LDMEs, got {s!r}")
        for f in LDME_FIELDS:
            if getattr(self, f) is None:
                object.__setattr__(self, f, values[f])
        for f in LDME_FIELDS:
            v = getattr(self, f)
            if (isinstance(v, (int, float)) and not isinstance(v, bool) and -LDME_MAX <= v < 0
                    and not self.allow_negative_ldme):
                raise ValueError(f"Params.{f} = {v!r} is negative ({self._set_label()}; an NLO fit: the LO channel "
                                 "would be negative); pass allow_negative_ldme=True to use it anyway")

    def __hash__(self):
        return hash(tuple((f.name, tuple(sorted(v.items())) if isinstance(v, dict) else v)
                          for f in dataclasses.fields(self) for v in (getattr(self, f.name),)))

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
        """A copy with some fields changed (validated again). A new ``ldme_set`` refills the LDMEs that are not
        changed explicitly."""
        if "ldme_set" in changes:
            for f in LDME_FIELDS:
                changes.setdefault(f, None)
        if "beams" in changes and "sqrt_s" not in changes:
            changes["sqrt_s"] = dataclasses.fields(self)[0].default
        elif "sqrt_s" in changes and "beams" not in changes:
            changes["beams"] = None
        return dataclasses.replace(self, **changes)

    @property
    def ldme_values(self) -> dict:
        """The four LDMEs (Params field names -> GeV^3)."""
        return {f: getattr(self, f) for f in LDME_FIELDS}
