"""Theory variations and uncertainty bands (docs/physics.md §10).

A :class:`Variations` names what to vary -- the scales (3- or 7-point), LDME sets and the quoted uncertainties
of the central set, every member of an LHAPDF set, the TMD widths -- and resolves, for given :class:`Params`,
into the :class:`~jpsi_fast.components.Variation` list of a :class:`~jpsi_fast.components.Layout`. The kernels
then evaluate all of them in the same pass as the central value: alpha_s and LDME variations are exact channel
rescalings (free), a factorization-scale or width variation is one more *base set* (same kinematics and FFs), and
all members of a PDF set share one knot search and one set of interpolation weights per point.

:func:`band` turns values per variation into ``(central, low, high)`` per source (docs/physics.md §10.4):

* ``"scale"``: [min, max] over the scale variations (central included);
* ``"ldme"``: the envelope [min, max] over the chosen LDME sets (central included) -- not a statistical error;
* ``"ldme_fit"``: the quoted uncertainties of the central set, varied one at a time, half-shifts in quadrature;
* ``"pdf"``: the PDF set's uncertainty at 68.27 % CL as LHAPDF 6.2.3 (central: member 0, or the replica mean);
* ``"width"``: [min, max] over the TMD-width variations;
* ``"total"``: central +- the quadrature sum of the symmetric half-widths of scale, ldme_fit, pdf (the set's
  symmetric error: delta_sym for Hessian sets) and width (the LDME-set envelope stays separate, §10.4).

The "ldme" envelope includes the central set (the Params' LDMEs) besides the chosen sets.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .components import CENTRAL, Variation
from .params import LDME_FIELDS, LDME_MAX, LDME_SET_UNCERTAINTIES, LDME_SETS, POSITIVE_LDME_SETS, Params

__all__ = ["Variations", "SCALE_POINTS", "WIDTH_FIELDS", "BAND_SOURCES", "band", "band_sources", "band_table",
           "shown_band_sources", "band_column_names", "layout_band"]

#: (xi_R, xi_F) of the scale-variation sets (docs/physics.md §10.2), central first
SCALE_POINTS = {
    "3-point": ((1.0, 1.0), (2.0, 2.0), (0.5, 0.5)),
    "7-point": ((1.0, 1.0), (2.0, 2.0), (0.5, 0.5), (2.0, 1.0), (1.0, 2.0), (0.5, 1.0), (1.0, 0.5)),
}
#: the TMD widths a width variation rescales (Params fields) [GeV^2, GeV^2, 1]
WIDTH_FIELDS = ("kt2_pdf", "pt2_pgf", "dz2_pgf")
#: the sources a band can be asked for
BAND_SOURCES = ("scale", "ldme", "ldme_fit", "pdf", "width", "total")
#: sources whose symmetric half-widths make the "total" band (the LDME-set envelope is shown separately)
TOTAL_SOURCES = ("scale", "ldme_fit", "pdf", "width")


def _scale_name(scales):
    """The canonical name ("3-point", "7-point") of a scale-variation choice, or None."""
    if scales is None:
        return None
    try:
        key = {3: "3-point", 7: "7-point", "3": "3-point", "7": "7-point"}.get(scales, scales)
    except TypeError:
        key = None
    if isinstance(scales, bool) or key not in SCALE_POINTS:
        raise ValueError(f"Variations.scales must be None, '3-point' or '7-point' (or 3, 7), got {scales!r}")
    return key


def _scale_points(scales):
    return SCALE_POINTS[scales][1:] if scales else ()


def _ldme_sets(ldme_sets):
    if ldme_sets is None:
        return ()
    if isinstance(ldme_sets, str):
        if ldme_sets in ("positive", "all"):
            return POSITIVE_LDME_SETS if ldme_sets == "positive" else tuple(LDME_SETS)
        ldme_sets = (ldme_sets,)
    out = []
    for s in ldme_sets:
        if isinstance(s, str):
            if s not in LDME_SETS:
                raise ValueError(f"Variations.ldme_sets: unknown LDME set {s!r}; named sets: {tuple(LDME_SETS)}, "
                                 "or 'positive' / 'all', or dicts of the four LDMEs")
        elif isinstance(s, dict):
            if set(s) != set(LDME_FIELDS):
                raise ValueError(f"Variations.ldme_sets: a user set is a dict with exactly the keys {LDME_FIELDS}")
            for f, v in s.items():
                if (isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))
                        or not math.isfinite(v) or abs(v) > LDME_MAX):
                    raise ValueError(f"Variations.ldme_sets: {f} = {v!r} must be a finite number with |value| <= "
                                     f"{LDME_MAX:g} GeV^3")
            s = {f: float(v) for f, v in s.items()}
        else:
            raise TypeError(f"Variations.ldme_sets: a set is a name or a dict, got {s!r}")
        out.append(s)
    keys = [s if isinstance(s, str) else tuple(sorted(s.items())) for s in out]
    if len(set(keys)) != len(keys):
        raise ValueError(f"Variations.ldme_sets has duplicates: {ldme_sets!r}")
    return tuple(out)


@dataclass(frozen=True, eq=False)
class Variations:
    """What to vary around the central prediction (docs/physics.md §10).

    Parameters
    ----------
    scales : None, "3-point" or "7-point" (or 3, 7)
        (xi_R, xi_F) variations: xi_R rescales alpha_s of every channel (mu_FF = xi_R M, mu_PGF = xi_R 30 GeV by
        default), xi_F moves the PDFs to mu_F = xi_F mu_f_factor Q (§10.2).
    ldme_sets : names, dicts or "positive" / "all"
        LDME sets (:data:`jpsi_fast.LDME_SETS`) whose envelope is the "ldme" band; a set equal to the central one
        is skipped. Sets with a negative element need ``allow_negative_ldme=True`` (then warn).
    ldme_uncertainties : bool
        Also vary each LDME of the central named set by its quoted +-1 sigma, one at a time ("ldme_fit" band).
    pdf_set : PDFSet or set name, optional
        Every member of this LHAPDF set ("pdf" band, uncertainty as LHAPDF 6.2.3 at ``cl`` %).
    widths : float, optional
        A factor f > 1: each TMD width (:data:`WIDTH_FIELDS`) times f and divided by f, one at a time ("width"
        band). Only meaningful for the Gaussian TMD model (kt2_pdf) and the PGF smearing (pt2_pgf, dz2_pgf).
    allow_negative_ldme : bool
        Accept LDME sets with a negative element (NLO fits; their LO channel is negative).
    cl : float
        Confidence level [%] of the PDF band (default 68.27).
    """

    scales: object = None
    ldme_sets: object = ()
    pdf_set: object = None
    widths: float | None = None
    ldme_uncertainties: bool = False
    allow_negative_ldme: bool = False
    cl: float = 68.27

    def __post_init__(self):
        object.__setattr__(self, "ldme_sets", _ldme_sets(self.ldme_sets))
        object.__setattr__(self, "scales", _scale_name(self.scales))
        if isinstance(self.pdf_set, str):
            from .pdf import load_set
            object.__setattr__(self, "pdf_set", load_set(self.pdf_set))
        if self.pdf_set is not None and not hasattr(self.pdf_set, "uncertainty"):
            raise TypeError(f"Variations.pdf_set must be a jpsi_fast.pdf.PDFSet or a set name, got {self.pdf_set!r}")
        if self.widths is not None:
            f = self.widths
            if isinstance(f, bool) or not isinstance(f, (int, float)) or not math.isfinite(f) or not 1.0 < f <= 10.0:
                raise ValueError(f"Variations.widths must be a factor in (1, 10], got {f!r}")
        if not isinstance(self.cl, (int, float)) or not 0.0 < self.cl < 100.0:
            raise ValueError(f"Variations.cl must be a confidence level in (0, 100) %, got {self.cl!r}")
        if not self.allow_negative_ldme:
            for s in self.ldme_sets:
                values = LDME_SETS[s] if isinstance(s, str) else s
                neg = [f for f in LDME_FIELDS if values[f] < 0]
                if neg:
                    raise ValueError(f"Variations.ldme_sets: set {s if isinstance(s, str) else 'user set'!r} has "
                                     f"negative {neg} (an NLO fit: its LO channel is negative); pass "
                                     "allow_negative_ldme=True to use it anyway")

    def __eq__(self, other):
        return isinstance(other, Variations) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def _key(self):
        sets = tuple(s if isinstance(s, str) else tuple(sorted(s.items())) for s in self.ldme_sets)
        pset = None if self.pdf_set is None else (self.pdf_set.path, self.pdf_set.name, self.pdf_set.fingerprint,
                                                  self.pdf_set.extrapolate)
        return (self.scales, sets, pset, self.widths, self.ldme_uncertainties, self.allow_negative_ldme, self.cl)

    @property
    def empty(self) -> bool:
        """True when nothing is varied."""
        return not (self.scales or self.ldme_sets or self.pdf_set is not None or self.widths
                    or self.ldme_uncertainties)

    def resolve(self, params: Params) -> tuple:
        """The :class:`~jpsi_fast.components.Variation` list for ``params`` (central first)."""
        out = [CENTRAL]
        for xi_r, xi_f in _scale_points(self.scales):
            out.append(Variation(f"scale:{xi_r:g},{xi_f:g}", "scale", xi_r=xi_r, xi_f=xi_f))
        central = tuple(params.ldme_values[f] for f in LDME_FIELDS)
        for s in self.ldme_sets:
            values = LDME_SETS[s] if isinstance(s, str) else s
            ldme = tuple(float(values[f]) for f in LDME_FIELDS)
            if ldme == central:
                continue
            name = s if isinstance(s, str) else "user" + str(sum(1 for v in out if v.source == "ldme"))
            if min(ldme) < 0:
                import warnings
                warnings.warn(f"LDME set {name!r} has a negative element: its channel is negative at LO; band "
                              "envelopes use the signed values", UserWarning, stacklevel=2)
            out.append(Variation(f"ldme:{name}", "ldme", ldme=ldme))
        if self.ldme_uncertainties:
            if not isinstance(params.ldme_set, str):
                raise ValueError("ldme_uncertainties needs a named central LDME set (Params.ldme_set)")
            unc = LDME_SET_UNCERTAINTIES[params.ldme_set]
            for k, f in enumerate(LDME_FIELDS):
                if unc[f] == 0:
                    continue
                for sign, tag in ((1.0, "+"), (-1.0, "-")):
                    ldme = list(central)
                    ldme[k] += sign * unc[f]      # may cross 0: sigma is linear in the LDME (§10.1, eq. 10.3)
                    out.append(Variation(f"ldme_fit:{f}{tag}", "ldme_fit", ldme=tuple(ldme)))
        if self.pdf_set is not None:
            out.extend(Variation(f"pdf:{k}", "pdf", member=k) for k in range(len(self.pdf_set)))
        if self.widths:
            base = tuple(getattr(params, f) for f in WIDTH_FIELDS)
            for k, f in enumerate(WIDTH_FIELDS):
                if f == "kt2_pdf" and params.tmd_pdf != "gaussian":
                    continue
                for factor, tag in ((self.widths, "up"), (1.0 / self.widths, "down")):
                    w = list(base)
                    w[k] *= factor
                    out.append(Variation(f"width:{f}:{tag}", "width", widths=tuple(w)))
        return tuple(out)

    def __repr__(self):
        parts = [f"{k}={getattr(self, k)!r}" for k in ("scales", "ldme_sets", "widths", "ldme_uncertainties")
                 if getattr(self, k)]
        if self.pdf_set is not None:
            parts.append(f"pdf_set={self.pdf_set.name!r} ({len(self.pdf_set)} members)")
        return f"Variations({', '.join(parts)})"


def band(values, variations, source="total", pdf_set=None, cl=68.27):
    """(central, low, high) of ``values`` (shape (n_variations, ...), one entry per variation, central first)
    for one ``source`` of :data:`BAND_SOURCES` (docs/physics.md §10.4; see the module docstring). Raises
    ValueError when the variations hold nothing of that source."""
    values = np.asarray(values, dtype=float)
    variations = tuple(variations)
    if source not in BAND_SOURCES:
        raise ValueError(f"band source must be one of {BAND_SOURCES}, got {source!r}")
    if values.shape[0] != len(variations):
        raise ValueError(f"values have {values.shape[0]} variations, the layout {len(variations)}")
    central = values[0]
    if source == "total":
        have = [s for s in TOTAL_SOURCES if any(v.source == s for v in variations)]
        if not have:
            raise ValueError("no scale, ldme_fit, pdf or width variations: a total band needs at least one")
        half2 = np.zeros_like(central)
        for s in have:
            if s == "pdf":                      # the set's symmetric error (delta_sym of Hessian sets, §10.3)
                half2 = half2 + _pdf_uncertainty(values, variations, pdf_set, cl).errsymm ** 2
                continue
            _, lo, hi = band(values, variations, s, pdf_set, cl)
            half2 = half2 + (0.5 * (hi - lo)) ** 2
        half = np.sqrt(half2)
        return central, central - half, central + half
    idx = [i for i, v in enumerate(variations) if v.source == source]
    if not idx:
        raise ValueError(f"these results carry no {source!r} variations (have "
                         f"{sorted({v.source for v in variations} - {'central'})}); ask for them with "
                         "jpsi_fast.Variations")
    if source in ("scale", "ldme", "width"):
        sel = values[[0] + idx]
        return central, sel.min(axis=0), sel.max(axis=0)
    if source == "ldme_fit":
        # each LDME varied by +-1 sigma: half-shift (v+ - v-)/2 per LDME, added in quadrature (§10.1)
        by_field = {}
        for i in idx:
            field, tag = variations[i].name.split(":", 1)[1][:-1], variations[i].name[-1]
            by_field.setdefault(field, {})[tag] = values[i]
        half2 = np.zeros_like(central)
        for pair in by_field.values():
            half2 = half2 + (0.5 * (pair["+"] - pair["-"])) ** 2
        half = np.sqrt(half2)
        return central, central - half, central + half
    u = _pdf_uncertainty(values, variations, pdf_set, cl)
    return u.central, u.central - u.errminus, u.central + u.errplus


def _pdf_uncertainty(values, variations, pdf_set, cl):
    """The PDF set's uncertainty (LHAPDF 6.2.3, §10.3) of the member variations' values."""
    if pdf_set is None:
        raise ValueError("a PDF band needs the PDF set")
    idx = [i for i, v in enumerate(variations) if v.source == "pdf"]
    return pdf_set.uncertainty(np.asarray(values)[idx], cl=cl)


def band_sources(variations) -> tuple:
    """The band sources (of :data:`BAND_SOURCES`) that a list of variations supports, in that order."""
    have = {v.source for v in variations} - {"central"}
    return tuple(s for s in BAND_SOURCES if s in have or (s == "total" and have & set(TOTAL_SOURCES)))


def shown_band_sources(variations) -> tuple:
    """The sources worth showing side by side: :func:`band_sources` without "total" when it would only repeat
    a single source."""
    have = band_sources(variations)
    if len([s for s in have if s in TOTAL_SOURCES]) < 2:
        have = tuple(s for s in have if s != "total")
    return have


def band_column_names(variations) -> tuple:
    """Dataset columns of the bands: ``sigma_U_<source>_lo`` / ``_hi`` for every source of :func:`band_sources`."""
    return tuple(f"sigma_U_{s}_{t}" for s in band_sources(variations) for t in ("lo", "hi"))


def layout_band(layout, values, source, cl=None):
    """:func:`band` of ``values`` (n_variations, ...) with a layout's variations, PDF set and (default) confidence
    level: the one call behind Result/IntegrationResult/Histogram/Events ``band``."""
    return band(values, layout.variations, source, layout.pdf_set, layout.cl if cl is None else cl)


def band_table(values, variations, pdf_set=None, cl=68.27):
    """{source: (central, low, high)} for every source the variations support (:func:`band_sources`)."""
    return {s: band(values, variations, s, pdf_set, cl) for s in band_sources(variations)}
