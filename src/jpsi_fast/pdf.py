"""Parton distribution functions: embedded GRV94 LO, LHAPDF ``lhagrid1`` members and whole sets
(docs/physics.md section 6 for the PDFs, section 10.3 for sets and their uncertainties).

Both PDF classes share LHAPDF's Python interface: ``pdf.xfxQ(pid, x, Q)`` and ``pdf.xfxQ2(pid, x, Q2)`` return
x*f(x, Q) with NumPy broadcasting over all three arguments; PDG ids, 21 (or 0) = gluon; Q in GeV, Q2 in GeV^2.

Every PDF has a validity range (``x_range``, ``Q_range``): outside it a ``ValueError`` names the argument and the
range, unless the PDF was made with ``extrapolate="nearest"`` (x and Q^2 frozen at the edge). PDFs are values:
they pickle by their options (GRV94 LO) or by file path and a fingerprint of the file contents (grids, sets),
and are re-read on unpickling; a file that changed since raises :class:`PDFFileError`.

The helicity PDFs :class:`GRSV2000LO` (GRSV 2000 LO, embedded; docs/physics.md section 11.3) have the same
``xfxQ``/``xfxQ2`` interface and return x*Delta f; :func:`enforce_positivity` is the clamp |x Delta f| <= x f
(section 11.4).

Files are read strictly: a member file that is truncated, has a missing separator, duplicate or inconsistent
flavour ids, a value that is not a finite number, knots out of order or out of range, a wrong number of values,
or bytes that are not UTF-8, raises :class:`PDFFileError` naming the file and the 1-based line.
"""
from __future__ import annotations

import hashlib
import math
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from statistics import NormalDist

import numpy as np

from . import _pdf
from ._pdf import LumiSetCore
from ._validate import as_float_array, check_interval

__all__ = ["PDF", "GRV94LO", "GRSV2000LO", "enforce_positivity", "LHAGrid", "PDFSet", "PDFUncertainty", "load",
           "load_set", "write_lhagrid", "read_lhagrid1", "parse_info", "pdf_uncertainty", "pdf_correlation",
           "PDFFileError", "default_pdf", "available_sets", "LumiSetCore", "EXTRAPOLATE_MODES"]

#: accepted values of the ``extrapolate`` option
EXTRAPOLATE_MODES = (None, "nearest")
#: GRV94 LO validity (docs/physics.md section 6): 1e-5 <= x < 1 (largest double below 1), 0.4 <= Q^2 <= 1e6 GeV^2
GRV94_X_MIN = 1e-5
GRV94_X_MAX = float(np.nextafter(1.0, 0.0))
GRV94_Q2_MIN = 0.4
GRV94_Q2_MAX = 1e6
#: the tabulated GRV94 form: knots in u = ln(x/(1-x)) and ln Q^2, its x and Q [GeV] range, derivative step
GRV94_TABLE_NU = 256
GRV94_TABLE_NV = 48
GRV94_TABLE_X = (1e-5, 0.999)
GRV94_TABLE_Q = (1.0, 1000.0)
GRV94_TABLE_STEP = 1e-4
#: PDG ids are C ints on the C side
PID_MIN, PID_MAX = -(2 ** 31), 2 ** 31 - 1
#: LHAPDF ForcePositive levels (docs/physics.md section 10.3)
FORCE_POSITIVE_LEVELS = (0, 1, 2)
#: a set's QMin/QMax may differ from its member grid's Q knots by this relative amount (rounding in the .info)
INFO_RANGE_RTOL = 1e-6
#: confidence level [%] of a set without ErrorConfLevel and the default requested level (docs/physics.md 10.3)
DEFAULT_CL = 68.27
#: error types of docs/physics.md section 10.3 (LHAPDF: an ErrorType starting with one of them; each '+'
#: after it, as in "hessian+as", adds one pair of parameter-variation members at the end of the set)
ERROR_TYPES = ("replicas", "symmhessian", "hessian")
#: the lhagrid1 formats read
LHAGRID_FORMAT = "lhagrid1"
SEPARATOR = "---"
MAX_SUBGRIDS = 16
MAX_EXTRA_FLAVOURS = 8
GLUON = 21


class PDFFileError(ValueError):
    """A PDF data file that cannot be read, or that changed since a PDF was pickled; the message names the file
    and, where there is one, the 1-based line."""


def _check_extrapolate(extrapolate):
    if extrapolate not in EXTRAPOLATE_MODES:
        raise ValueError(f"extrapolate must be None or 'nearest', got {extrapolate!r}")


def _as_pids(pid) -> np.ndarray:
    """``pid`` as an integer array in the C int range: TypeError for non-integers, ValueError outside the range."""
    arr = np.asarray(pid)
    if arr.dtype == object:
        flat = arr.ravel().tolist()
        if flat and all(isinstance(v, int) and not isinstance(v, bool) for v in flat):
            bad = next(v for v in flat if not PID_MIN <= v <= PID_MAX)
            raise ValueError(f"pid must be a PDG id in [{PID_MIN}, {PID_MAX}], got {bad}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"pid must be integer PDG ids, got dtype {arr.dtype}")
    if arr.size and (int(arr.min()) < PID_MIN or int(arr.max()) > PID_MAX):
        bad = arr.ravel()[np.flatnonzero((arr.ravel() < PID_MIN) | (arr.ravel() > PID_MAX))[0]]
        raise ValueError(f"pid must be a PDG id in [{PID_MIN}, {PID_MAX}], got {int(bad)}")
    return arr


#: the remedy _range_error names by default (PDFs with an ``extrapolate`` option)
EXTRAPOLATE_HINT = "or use extrapolate='nearest'"


def _range_error(name: str, arr: np.ndarray, bad: np.ndarray, lo: float, hi: float, unit: str, what: str,
                 hint: str | None = EXTRAPOLATE_HINT):
    first = float(arr.ravel()[np.flatnonzero(bad.ravel())[0]])
    u = f" {unit}" if unit else ""
    h = f"; {hint}" if hint else ""
    raise ValueError(f"{name} must be in [{lo!r}, {hi!r}]{u} ({what}{h}); got "
                     f"{first!r} ({int(bad.sum())} of {arr.size} values out of range)")


class PDF:
    """Common interface of the PDFs (docs/physics.md section 6); ``core`` is the C object the kernels evaluate.

    Attributes
    ----------
    x_range : (float, float)
        Validity range in x, both ends included.
    Q_range : (float, float)
        Validity range in Q [GeV], both ends included (the check is made on Q^2 against the squares).
    extrapolate : None or "nearest"
        None: points outside the range raise ValueError; "nearest": x and Q^2 are frozen at the range edge.
    """

    name = "PDF"
    core: _pdf.PDFCore
    #: lhagrid1 member file for grid PDFs, else None (the reference implementation re-reads it)
    path = None
    extrapolate = None

    def _init_range(self):
        xlo, xhi = self.core.x_range
        q2lo, q2hi = self.core.q2_range
        self.x_range = (float(xlo), float(xhi))
        self.Q_range = (math.sqrt(q2lo), math.sqrt(q2hi))

    def _check_kinematics(self, x: np.ndarray, Q2: np.ndarray, qname: str = "Q2") -> None:
        """Validate x and Q^2 (ValueError naming the argument, x or Q/Q2, and the allowed range)."""
        check_interval("x", x, 0.0, 1.0, hi_open=True)
        if qname == "Q2":
            check_interval("Q2", Q2, 0.0, None, unit="GeV^2")
        if self.extrapolate is not None:
            return
        q2lo, q2hi = self.core.q2_range
        what = f"validity range of {self.name}"
        bad = ~((x >= self.x_range[0]) & (x <= self.x_range[1]))
        if bad.any():
            _range_error("x", x, bad, *self.x_range, "", what)
        bad = ~((Q2 >= q2lo) & (Q2 <= q2hi))
        if bad.any():
            if qname == "Q2":
                _range_error("Q2", Q2, bad, q2lo, q2hi, "GeV^2", what)
            _range_error("Q", np.sqrt(Q2), bad, *self.Q_range, "GeV", what)

    def xfxQ2(self, pid, x, Q2):
        """x*f(x, Q^2), the momentum density (docs/physics.md §6).

        Parameters
        ----------
        pid : int or array_like of int
            PDG ids (21 or 0 = gluon; 1..6 quarks, negative: antiquarks). Flavours the PDF lacks give 0.
        x : float or array_like
            Bjorken x, inside ``x_range``.
        Q2 : float or array_like
            Factorization scale squared [GeV^2], inside ``Q_range`` squared.

        Returns
        -------
        float or ndarray
            x f, broadcast over the three arguments (a float for scalar arguments).

        Raises
        ------
        TypeError
            ``pid`` not integer, x or Q2 not real.
        ValueError
            ``pid`` outside the C int range; x or Q2 not finite or outside the validity range (the message
            names the argument and the range), unless ``extrapolate="nearest"``.
        """
        return self._evaluate(pid, x, Q2, "Q2")

    def xfxQ(self, pid, x, Q):
        """x*f(x, Q) with Q in GeV (see :meth:`xfxQ2`)."""
        Q = as_float_array("Q", Q)
        check_interval("Q", Q, 0.0, None, unit="GeV")
        return self._evaluate(pid, x, Q * Q, "Q")

    def _evaluate(self, pid, x, Q2, qname):
        pid_arr = _as_pids(pid)
        x = as_float_array("x", x)
        Q2 = as_float_array("Q2", Q2)
        xb, qb = np.broadcast_arrays(x, Q2)
        self._check_kinematics(xb, qb, qname)
        p, xb, qb = np.broadcast_arrays(pid_arr, x, Q2)
        out = np.empty(xb.shape)
        self.core.xfx_q2(np.ascontiguousarray(p, dtype=np.intc).ravel(), np.ascontiguousarray(xb).ravel(),
                         np.ascontiguousarray(qb).ravel(), out.reshape(-1))
        return out if out.ndim else float(out)

    def key(self):
        """A value identifying the PDF: type, name, member file and options."""
        return (type(self).__name__, self.name, self.path, self.extrapolate, getattr(self, "exact", None))

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}>"


@lru_cache(maxsize=1)
def _grv94_table() -> _pdf.GRV94Table:
    """The GRV94 LO ln(x f) table, built once per process (immutable, shared by all tabulated GRV94LO)."""
    return _pdf.GRV94Table(GRV94_TABLE_NU, GRV94_TABLE_NV, *GRV94_TABLE_X, *GRV94_TABLE_Q, GRV94_TABLE_STEP)


class GRV94LO(PDF):
    """GRV94 LO (Glueck, Reya, Vogt, Z. Phys. C67 (1995) 433), embedded, no data files (docs/physics.md §6).

    Parameters
    ----------
    exact : bool
        False (default): the fast tabulated form. ln(x f) of g, u, d, s, ubar, dbar is tabulated once per
        process (256 x 48 knots with derivatives, bicubic Hermite, ~3 MB) over x in [1e-5, 0.999],
        Q in [1, 1000] GeV; accuracy <= 1e-5 relative to the analytic form over x in [1e-4, 0.99],
        Q in [2, 200] GeV (measured ~2e-6; tests check 1e-5). Inside the validity range but outside the table,
        and for c and b, the analytic form is used. True: the analytic form everywhere.
    extrapolate : None or "nearest"
        The parametrisation is valid for 1e-5 <= x < 1 and 0.4 <= Q^2 <= 1e6 GeV^2 (``x_range``, ``Q_range``).
        None (default): points outside raise ValueError naming x or Q and the range (the kernels report them
        the same way). "nearest": x and Q^2 are frozen at the edge of the range.

    Pickles by its options.
    """

    def __init__(self, exact: bool = False, extrapolate=None):
        _check_extrapolate(extrapolate)
        self.exact = bool(exact)
        self.extrapolate = extrapolate
        self.path = None
        self.name = "GRV94LO" + (" (analytic)" if self.exact else " (tabulated)")
        self.core = _pdf.GRV94Core(None if self.exact else _grv94_table(), GRV94_X_MIN, GRV94_X_MAX,
                                   GRV94_Q2_MIN, GRV94_Q2_MAX, extrapolate == "nearest")
        self._init_range()

    def __reduce__(self):
        return (GRV94LO, (self.exact, self.extrapolate))


def default_pdf() -> GRV94LO:
    """The package default: tabulated GRV94 LO."""
    return GRV94LO()


# ---------------------------------------------------------------- helicity PDFs (docs/physics.md section 11)
#: scenario names GRSV2000LO accepts -> the scenario
GRSV2000_SCENARIOS = {"standard": "standard", "std": "standard", "valence": "valence", "val": "valence"}
#: PDG ids of the GRSV 2000 grids (21 and 0: gluon; +-3: Ds = Dsbar) and the heavy flavours they lack (x Df = 0)
GRSV2000_PIDS = (1, 2, 3, -1, -2, -3, GLUON, 0)
GRSV2000_HEAVY_PIDS = (4, 5, 6, -4, -5, -6)


def enforce_positivity(xdf, xf):
    """The positivity clamp of docs/physics.md (11.19): x Df -> sign(Df) min(|x Df|, x f), per flavour.

    Parameters
    ----------
    xdf : float or array_like
        x * Delta f, the helicity (polarized) momentum density of one flavour.
    xf : float or array_like
        x * f, the unpolarized momentum density of the same flavour at the same (x, mu_F); x f < 0 (possible in
        LHAPDF sets) counts as 0.

    Returns
    -------
    float or ndarray
        The clamped x Delta f, broadcast over both arguments: |result| <= max(x f, 0), and equal to ``xdf``
        wherever |x Delta f| <= x f already (the kernels apply the same rule, ``positivity_clamp`` in _pdf.pxd).

    Raises
    ------
    TypeError
        Non-real input.
    ValueError
        Non-finite values, or shapes that do not broadcast.
    """
    d = as_float_array("xdf", xdf)
    f = as_float_array("xf", xf)
    check_interval("xdf", d)
    check_interval("xf", f)
    f = np.maximum(f, 0.0)
    out = np.clip(*np.broadcast_arrays(d, -f, f))
    return out if out.ndim else float(out)


class GRSV2000LO:
    """GRSV 2000 LO helicity parton distributions x*Delta f(x, Q^2), embedded (docs/physics.md section 11.3).

    M. Glueck, E. Reya, M. Stratmann, W. Vogelsang, "Models for the polarized parton distributions of the
    nucleon", Phys. Rev. D 63 (2001) 094005, hep-ph/0011215 -- the LO sets. The authors' grids
    ``std2000_lo_g1.grid`` and ``val2000_lo_g1.grid`` (provenance: ../shared/pdfsets/grsv2000/PROVENANCE.md,
    byte-identical to the files of github.com/miyachi-yu/Mellin beside the authors' reader grsv2000pdf_g1.f; no
    licence is stated in them) are compiled into the package (``_grsv2000_tables.pxi``, written by
    tools/gen_constants.py); nothing is read at run time. Interpolation as the authors' reader: each column
    divided by x^a (1-x)^b, bilinear in (ln x, ln Q^2), multiplied back (eqs. 11.17-11.18); agrees with the
    reference reader :class:`jpsi_fast.reference.GRSV2000` to 1e-15 relative (7e-14 next to sign changes,
    3e-16 absolute).

    Parameters
    ----------
    scenario : {"standard", "std", "valence", "val"}
        "standard" (default): flavour-symmetric polarized sea; "valence": broken sea.

    Attributes
    ----------
    scenario : str
        "standard" or "valence".
    x_range : (float, float)
        (1e-4, 1.0): validity range in x, both ends included (x Delta f = 0 at x = 1).
    q2_range : (float, float)
        (0.8, 1e6) GeV^2: validity range in Q^2, both ends included.
    Q_range : (float, float)
        The same range in Q [GeV].
    core : jpsi_fast._pdf.GRSV2000Table
        The C table the kernels evaluate (``grsv_flavours``, ``helicity_charge_sum_gluon`` in _pdf.pxd).

    Notes
    -----
    Flavours (PDG ids): 2 u, 1 d, -2 ubar, -1 dbar, 3 s and -3 sbar (= s), 21 or 0 gluon; Delta u and Delta d
    are the total quark densities (valence + sea quarks). The grids have no charm or heavier quarks: ids +-4, +-5,
    +-6 give 0. Other ids raise ValueError.

    Positivity (docs/physics.md section 11.4): GRSV 2000 was fitted with GRV98 as its unpolarized partner;
    against this package's :class:`GRV94LO` (tabulated and analytic alike), |x Delta f| > x f at large x. Where
    the clamp |x Delta f| <= x f starts to act, measured (x step 1e-5):

    ======== =========== ======= ======= ======= ======= ======= =======================
    scenario Q^2 [GeV^2]  g       u       d       ubar    dbar    s = sbar
    ======== =========== ======= ======= ======= ======= ======= =======================
    standard 10          0.671   0.830   0.831   0.758   0.801   never
    standard 1000        0.708   0.794   0.795   0.706   0.752   0.828 (gap 0.833-0.851)
    valence  10          never   never   never   0.878   0.864   never
    valence  1000        0.865   0.893   never   0.852   0.851   never
    ======== =========== ======= ======= ======= ======= ======= =======================

    (up to x ~ 0.92-1). Over the whole grid range it acts nowhere below x = 0.649 (the lowest onset, x = 0.6497:
    ubar, standard scenario, Q^2 = 1e6 GeV^2). :meth:`xfxQ2` returns the unclamped values unless ``positivity``
    is given; :func:`enforce_positivity` clamps given values.

    Pickles by its scenario.
    """

    def __init__(self, scenario: str = "standard"):
        if not isinstance(scenario, str) or scenario not in GRSV2000_SCENARIOS:
            raise ValueError(f"scenario must be one of {', '.join(map(repr, GRSV2000_SCENARIOS))}, "
                             f"got {scenario!r}")
        self.scenario = GRSV2000_SCENARIOS[scenario]
        self.name = f"GRSV2000LO ({self.scenario})"
        self.core = _pdf.GRSV2000Table(self.scenario)
        xlo, xhi = self.core.x_range
        q2lo, q2hi = self.core.q2_range
        self.x_range = (float(xlo), float(xhi))
        self.q2_range = (float(q2lo), float(q2hi))
        self.Q_range = (math.sqrt(q2lo), math.sqrt(q2hi))

    def __reduce__(self):
        return (GRSV2000LO, (self.scenario,))

    def __repr__(self):
        return f"<GRSV2000LO {self.scenario}>"

    def key(self):
        """A value identifying the helicity PDF: type and scenario."""
        return (type(self).__name__, self.scenario)

    def xfxQ2(self, pid, x, Q2, positivity=None):
        """x*Delta f(x, Q^2), the helicity momentum density (docs/physics.md §11.3).

        Parameters
        ----------
        pid : int or array_like of int
            PDG ids: 1, 2, 3, -1, -2, -3, 21 or 0 (gluon); +-4, +-5, +-6 give 0.
        x : float or array_like
            Bjorken x, 1e-4 <= x <= 1.
        Q2 : float or array_like
            Factorization scale squared [GeV^2], 0.8 <= Q2 <= 1e6.
        positivity : None, False, True or PDF
            None or False (default): the GRSV values. True: clamped per flavour to |x Delta f| <= x f of the
            package default :func:`default_pdf` (GRV94 LO) at the same (pid, x, Q^2) (:func:`enforce_positivity`,
            eq. 11.19); a :class:`PDF`: clamped against that unpolarized PDF (its range applies).

        Returns
        -------
        float or ndarray
            x Delta f, broadcast over the three arguments (a float for scalar arguments).

        Raises
        ------
        TypeError
            ``pid`` not integer, x or Q2 not real, ``positivity`` not None, bool or a PDF.
        ValueError
            A PDG id other than the above; x or Q2 not finite or outside the range (the message names the
            argument and the allowed range).
        """
        return self._evaluate(pid, x, Q2, "Q2", positivity)

    def xfxQ(self, pid, x, Q, positivity=None):
        """x*Delta f(x, Q) with Q in GeV, 0.894 <= Q <= 1000 (see :meth:`xfxQ2`)."""
        return self._evaluate(pid, x, Q, "Q", positivity)

    def _check(self, pid: np.ndarray, x: np.ndarray, q: np.ndarray, qname: str) -> None:
        """ValueError naming the argument and its allowed values or range (q: Q2 [GeV^2] or Q [GeV], qname)."""
        bad = ~np.isin(pid, GRSV2000_PIDS + GRSV2000_HEAVY_PIDS)
        if bad.any():
            raise ValueError(f"pid must be a PDG id in {GRSV2000_PIDS} (21 or 0: gluon) or {GRSV2000_HEAVY_PIDS} "
                             f"(give 0), got {int(pid.ravel()[np.flatnonzero(bad.ravel())[0]])}")
        check_interval("x", x)
        unit, (lo, hi) = ("GeV^2", self.q2_range) if qname == "Q2" else ("GeV", self.Q_range)
        check_interval(qname, q, unit=unit)
        what = f"validity range of {self.name}"
        bad = ~((x >= self.x_range[0]) & (x <= self.x_range[1]))
        if bad.any():
            _range_error("x", x, bad, *self.x_range, "", what, hint=None)
        bad = ~((q >= lo) & (q <= hi))
        if bad.any():
            _range_error(qname, q, bad, lo, hi, unit, what, hint=None)

    def _evaluate(self, pid, x, q, qname, positivity):
        if not (positivity is None or isinstance(positivity, (bool, PDF))):
            raise TypeError(f"positivity must be None, True, False or a jpsi_fast.pdf.PDF, got "
                            f"{type(positivity).__name__}")
        pid_arr = _as_pids(pid)
        x = as_float_array("x", x)
        q = as_float_array(qname, q)
        p, xb, qb = np.broadcast_arrays(pid_arr, x, q)
        self._check(p, xb, qb, qname)
        if qname == "Q":                     # Q inside Q_range: Q^2 inside q2_range up to the rounding of Q * Q
            qb = np.clip(qb * qb, *self.q2_range)
        out = np.empty(xb.shape)
        self.core.xfx_q2(np.ascontiguousarray(p, dtype=np.intc).ravel(), np.ascontiguousarray(xb).ravel(),
                         np.ascontiguousarray(qb).ravel(), out.reshape(-1))
        if positivity is not None and positivity is not False:
            unpolarized = default_pdf() if positivity is True else positivity
            act = out != 0.0                 # x Delta f = 0 needs no clamp (and x = 1 is outside GRV94's range)
            if act.any():
                out[act] = enforce_positivity(out[act], unpolarized.xfxQ2(p[act], xb[act], qb[act]))
        return out if out.ndim else float(out)


# ---------------------------------------------------------------- .info (YAML subset)
_KEY_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*:(?:[ \t]+(.*))?$")
_INT_SCALAR_RE = re.compile(r"[-+]?[0-9]+")
_FLOAT_SCALAR_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_SPECIAL_SCALARS = {"~": None, "null": None, "Null": None, "NULL": None,
                    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
                    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf, "+.inf": math.inf, "-.inf": -math.inf,
                    "-.Inf": -math.inf, ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan}
_DQ_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
               "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_BLOCK_SCALARS = ("|", ">", "|-", ">-")


def _plain_scalar(text: str):
    """Typed value of a plain YAML scalar (YAML 1.2 core schema: null, bool, int, float, else string)."""
    text = text.strip()
    if text == "" or text in _SPECIAL_SCALARS:
        return _SPECIAL_SCALARS.get(text)
    if _INT_SCALAR_RE.fullmatch(text):
        return int(text)
    if _FLOAT_SCALAR_RE.fullmatch(text):
        return float(text)
    return text


def _strip_comment(line: str) -> str:
    """``line`` without a trailing ``# comment`` (a '#' at the start or after whitespace, outside quotes)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'" and (i == 0 or line[i - 1] in " \t[,:"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


class _YAMLSubsetParser:
    """Recursive-descent parser of the flow constructs of the .info subset over one string: quoted scalars
    (may span lines, folded as YAML does) and flow sequences ``[a, "b", [c]]`` (may span lines)."""

    def __init__(self, text: str, path, first_line: int):
        self.s, self.pos, self.path, self.first_line = text, 0, path, first_line

    def error(self, msg, pos=None):
        line = self.first_line + self.s.count("\n", 0, self.pos if pos is None else pos)
        raise PDFFileError(f"{self.path}:{line}: {msg}")

    def skip_space(self):
        s = self.s
        while self.pos < len(s):
            ch = s[self.pos]
            if ch in " \t\r\n":
                self.pos += 1
            elif ch == "#" and (self.pos == 0 or s[self.pos - 1] in " \t\r\n"):
                end = s.find("\n", self.pos)
                self.pos = len(s) if end < 0 else end
            else:
                break

    def value(self):
        self.skip_space()
        if self.pos >= len(self.s):
            self.error("unexpected end of the file: a value is missing")
        ch = self.s[self.pos]
        if ch == "[":
            return self.sequence()
        if ch in "\"'":
            return self.quoted()
        if ch in "{}":
            self.error("flow mappings {...} are not supported in .info files")
        return self.plain_in_flow()

    def sequence(self):
        start = self.pos
        self.pos += 1
        items = []
        while True:
            self.skip_space()
            if self.pos >= len(self.s):
                self.error("unclosed '[' list", start)
            if self.s[self.pos] == "]":
                self.pos += 1
                return items
            items.append(self.value())
            self.skip_space()
            if self.pos >= len(self.s):
                self.error("unclosed '[' list", start)
            if self.s[self.pos] == ",":
                self.pos += 1
            elif self.s[self.pos] != "]":
                self.error("expected ',' or ']' in a list")

    def plain_in_flow(self):
        start = self.pos
        s = self.s
        while self.pos < len(s) and s[self.pos] not in ",[]{}":
            if s[self.pos] == "#" and s[self.pos - 1] in " \t\r\n":
                break
            self.pos += 1
        words = " ".join(part.strip() for part in s[start:self.pos].split("\n") if part.strip())
        if not words:
            self.error("empty list item")
        return _plain_scalar(words)

    def quoted(self):
        s, q, start = self.s, self.s[self.pos], self.pos
        self.pos += 1
        out, pending = [], ""
        while True:
            if self.pos >= len(s):
                self.error(f"unclosed {q} quote", start)
            ch = s[self.pos]
            if ch == q:
                if q == "'" and s.startswith("''", self.pos):
                    out.append("'")
                    self.pos += 2
                    continue
                self.pos += 1
                return "".join(out)
            if ch == "\n":                              # line folding: one break -> space, k+1 breaks -> k "\n"
                while out and out[-1] in (" ", "\t"):
                    out.pop()
                breaks = 0
                while self.pos < len(s) and s[self.pos] in " \t\r\n":
                    breaks += s[self.pos] == "\n"
                    self.pos += 1
                out.append(pending + (" " if breaks == 1 else "\n" * (breaks - 1)))
                pending = ""
                continue
            if ch == "\\" and q == '"':
                self.pos += 1
                esc = s[self.pos] if self.pos < len(s) else ""
                if esc == "\n":                         # escaped line break: joined without a space
                    self.pos += 1
                    while self.pos < len(s) and s[self.pos] in " \t":
                        self.pos += 1
                    continue
                if esc in _HEX_ESCAPES:
                    digits = s[self.pos + 1:self.pos + 1 + _HEX_ESCAPES[esc]]
                    if len(digits) != _HEX_ESCAPES[esc] or not re.fullmatch(r"[0-9A-Fa-f]+", digits):
                        self.error(f"bad \\{esc} escape in a quoted string")
                    out.append(chr(int(digits, 16)))
                    self.pos += 1 + len(digits)
                    continue
                if esc not in _DQ_ESCAPES:
                    self.error(f"unknown escape \\{esc} in a quoted string")
                out.append(_DQ_ESCAPES[esc])
                self.pos += 1
                continue
            out.append(ch)
            self.pos += 1


def _is_indented(line: str) -> bool:
    return line[:1] in (" ", "\t")


def parse_info(text: str, path="<info>", first_line: int = 1) -> dict:
    """Parse the YAML subset of LHAPDF ``.info`` files and member-file headers into a dict.

    Supported: ``Key: value`` lines at column 0; comments (``#`` at the start of a line or after whitespace);
    scalars typed as in YAML 1.2's core schema (int, float, true/false, null/~, .inf/.nan, else string;
    LHAPDF converts on use, so e.g. ``1e-9`` is a float here); single- and double-quoted strings (escapes,
    several lines folded); inline lists ``[a, b, ...]`` (nested, and spanning several lines); block lists
    (indented ``- item`` lines); plain scalars continued on indented lines; ``|``/``>`` block scalars.
    Not supported (PDFFileError): nested mappings, flow mappings, anchors/tags, duplicate keys.

    Parameters
    ----------
    text : str
        The document.
    path : str or Path
        Named in error messages.
    first_line : int
        Line number of the first line of ``text`` in the file (for error messages).

    Raises
    ------
    PDFFileError
        Naming ``path`` and the 1-based line of the first problem.
    """
    lines = text.split("\n")
    out: dict = {}
    i = 0
    while i < len(lines):
        line = _strip_comment(lines[i]).rstrip()
        ln = first_line + i
        if not line.strip() or (line == SEPARATOR and not out) or line == "..." or line.startswith("%"):
            i += 1
            continue
        if _is_indented(line):
            raise PDFFileError(f"{path}:{ln}: unexpected indented line (nested mappings are not supported)")
        m = _KEY_RE.match(line)
        if not m:
            raise PDFFileError(f"{path}:{ln}: expected 'Key: value', got {line[:60]!r}")
        key, rest = m.group(1), (m.group(2) or "").strip()
        if key in out:
            raise PDFFileError(f"{path}:{ln}: duplicate key {key!r}")
        out[key], i = _info_value(lines, i, lines[i].index(":", len(key)) + 1, rest, path, first_line)
    return out


def _info_value(lines, i, col, rest, path, first_line):
    """The value of the key on line ``i`` (text after column ``col``; ``rest`` comment-stripped) and the index
    of the next line to read."""
    ln = first_line + i
    if rest[:1] in ("[", '"', "'"):
        tail = lines[i][col:]
        parser = _YAMLSubsetParser("\n".join([tail, *lines[i + 1:]]), path, ln)
        value = parser.value()
        consumed = parser.s.count("\n", 0, parser.pos)
        after = parser.s[parser.pos:].split("\n", 1)[0]
        if _strip_comment(after).strip():
            raise PDFFileError(f"{path}:{ln + consumed}: unexpected text after the value: {after.strip()[:40]!r}")
        return value, i + consumed + 1
    if rest[:1] in ("{", "&", "*", "!"):
        raise PDFFileError(f"{path}:{ln}: YAML construct {rest[:1]!r} is not supported in .info files")
    cont = _continuation(lines, i)
    j = i + 1 + len(cont)
    if rest in _BLOCK_SCALARS:
        text = ("\n" if rest[0] == "|" else " ").join(c.strip() for c in cont)
        return (text if rest.endswith("-") else text + "\n"), j
    items = [(k, _strip_comment(c).strip()) for k, c in enumerate(cont, start=i + 1)]
    items = [(k, c) for k, c in items if c]
    if not rest and items and items[0][1].startswith("-"):
        return [_block_item(c, path, first_line + k) for k, c in items], j
    if any(c.startswith("- ") or c == "-" for _, c in items):
        raise PDFFileError(f"{path}:{ln}: a key with a value cannot be followed by a '- item' list")
    if not rest and any(_KEY_RE.match(c) for _, c in items):
        raise PDFFileError(f"{path}:{ln + 1}: nested mappings are not supported in .info files")
    return _plain_scalar(" ".join([rest, *(c for _, c in items)]).strip()), j


def _continuation(lines, i) -> list:
    """The indented (or blank) lines after line i, without blank lines at their end."""
    j = i + 1
    while j < len(lines) and (_is_indented(lines[j]) or not lines[j].strip()):
        j += 1
    while j > i + 1 and not lines[j - 1].strip():
        j -= 1
    return lines[i + 1:j]


def _block_item(text: str, path, ln: int):
    if not text.startswith("-") or (len(text) > 1 and text[1] not in " \t"):
        raise PDFFileError(f"{path}:{ln}: expected '- item' in a block list, got {text[:40]!r}")
    item = text[1:].strip()
    if item[:1] in ("[", '"', "'"):
        parser = _YAMLSubsetParser(item, path, ln)
        value = parser.value()
        parser.skip_space()
        if parser.pos != len(item):
            raise PDFFileError(f"{path}:{ln}: unexpected text after a list item")
        return value
    return _plain_scalar(item)


# ---------------------------------------------------------------- typed metadata
def _meta_real(info, key, where, lo=None, hi=None):
    v = info.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
            or (lo is not None and v <= lo) or (hi is not None and v > hi):
        rng = f" in ({lo}, {hi}]" if lo is not None and hi is not None else (f" > {lo}" if lo is not None else "")
        raise PDFFileError(f"{where}: {key} must be a finite number{rng}, got {v!r}")
    return float(v)


def _meta_int(info, key, where, allowed=None, lo=None):
    v = info.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or (allowed is not None and v not in allowed) \
            or (lo is not None and v < lo):
        need = f"one of {allowed}" if allowed is not None else f"an integer >= {lo}"
        raise PDFFileError(f"{where}: {key} must be {need}, got {v!r}")
    return v


def _meta_reals(info, key, where):
    v = info.get(key)
    if v is None:
        return None
    if not isinstance(v, list) or not v or not all(isinstance(a, (int, float)) and not isinstance(a, bool)
                                                   and math.isfinite(a) for a in v):
        raise PDFFileError(f"{where}: {key} must be a list of finite numbers, got {v!r}")
    return [float(a) for a in v]


def _meta_pids(info, key, where):
    v = info.get(key)
    if v is None:
        return None
    if not isinstance(v, list) or not all(isinstance(a, int) and not isinstance(a, bool) for a in v):
        raise PDFFileError(f"{where}: {key} must be a list of integer PDG ids, got {v!r}")
    pids = [GLUON if a == 0 else a for a in v]
    if len(set(pids)) != len(pids):
        raise PDFFileError(f"{where}: {key} lists a flavour twice: {v}")
    return pids


# ---------------------------------------------------------------- lhagrid1 member files
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PID_RE = re.compile(r"[+-]?[0-9]+")
_NON_FINITE_RE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_NOT_A_NUMBER_CHAR = re.compile(r"[^0-9eE+\-. \t\r\n]")
_NOT_A_PID_CHAR = re.compile(r"[^0-9+\- \t\r]")


def _numbers(line: str, path, lineno: int, what: str) -> np.ndarray:
    """The numbers of one line (C/Python float syntax with ASCII digits; no nan/inf, no '_'), all finite."""
    bad = _NOT_A_NUMBER_CHAR.search(line)
    if bad and not _NON_FINITE_RE.search(line):
        raise PDFFileError(f"{path}:{lineno}: cannot read {what}: unexpected character {bad.group()!r} at column "
                           f"{bad.start() + 1}")
    tokens = line.split()
    if not tokens:
        raise PDFFileError(f"{path}:{lineno}: expected {what}, found an empty line")
    for tok in tokens:
        if _NON_FINITE_RE.fullmatch(tok):
            raise PDFFileError(f"{path}:{lineno}: {what} contain a non-finite number {tok!r}")
        if not _NUMBER_RE.fullmatch(tok):
            raise PDFFileError(f"{path}:{lineno}: cannot read {what}: {tok[:40]!r} is not a number")
    vals = np.array([float(t) for t in tokens])
    if not np.all(np.isfinite(vals)):
        raise PDFFileError(f"{path}:{lineno}: {what} contain non-finite numbers")
    return vals


def _knots(line: str, path, lineno: int, what: str, x_axis: bool) -> np.ndarray:
    k = _numbers(line, path, lineno, what)
    if k.size < 2 or np.any(np.diff(k) <= 0):
        raise PDFFileError(f"{path}:{lineno}: {what} must be >= 2 strictly increasing numbers")
    if k[0] <= 0 or (x_axis and k[-1] > 1):
        raise PDFFileError(f"{path}:{lineno}: {what} must lie in {'(0, 1]' if x_axis else '(0, inf) GeV'}")
    return k


def _flavour_ids(line: str, path, lineno: int) -> list:
    tokens = line.split()
    if not tokens or not all(_PID_RE.fullmatch(t) for t in tokens) or _NOT_A_PID_CHAR.search(line):
        raise PDFFileError(f"{path}:{lineno}: flavour line must hold integer PDG ids, got {line.strip()[:60]!r}")
    pids = [int(t) for t in tokens]
    if any(not PID_MIN <= p <= PID_MAX for p in pids):
        raise PDFFileError(f"{path}:{lineno}: PDG ids must lie in [{PID_MIN}, {PID_MAX}]")
    norm = [GLUON if p == 0 else p for p in pids]
    if len(set(norm)) != len(norm):
        dup = next(p for p in norm if norm.count(p) > 1)
        raise PDFFileError(f"{path}:{lineno}: flavour id {dup} appears twice (0 and 21 both mean the gluon)")
    return norm


def _value_block(lines, start: int, nrows: int, nflav: int, path) -> np.ndarray:
    """nrows lines of nflav finite numbers from lines[start:]: one vectorised read, and a line-by-line one
    that names the first bad line when anything is wrong."""
    block = lines[start:start + nrows]
    text = "\n".join(block)
    if not _NOT_A_NUMBER_CHAR.search(text) and all(len(b.split()) == nflav for b in block):
        try:
            vals = np.array(text.split(), dtype=np.float64)
        except ValueError:
            vals = None
        if vals is not None and np.all(np.isfinite(vals)):
            return vals.reshape(nrows, nflav)
    for r, line in enumerate(block):
        row = _numbers(line, path, start + r + 1, "x*f values")
        if row.size != nflav:
            raise PDFFileError(f"{path}:{start + r + 1}: expected {nflav} values (one per flavour), found {row.size}")
    raise PDFFileError(f"{path}:{start + 1}: unreadable x*f values")          # pragma: no cover


def _decode(raw: bytes, path) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise PDFFileError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                           f"{exc.start})") from None
    return text[1:] if text.startswith("\ufeff") else text


def _is_separator(line: str) -> bool:
    return line.strip() == SEPARATOR


def _parse_member(raw: bytes, path):
    """Strictly parse an lhagrid1 member file -> (header dict, subgrids, pids); subgrids = [(x_knots, Q_knots
    [GeV], values[nx*nq, nflav])] with Q running fastest, pids the flavour columns (0 read as 21)."""
    lines = _decode(raw, path).split("\n")
    while lines and not lines[-1].strip():         # blank lines at the end (and the final newline)
        lines.pop()
    seps = next((i for i, line in enumerate(lines) if _is_separator(line)), None)
    if seps is None:
        raise PDFFileError(f"{path}:1: no '---' separator: not an lhagrid1 member file")
    header = parse_info("\n".join(lines[:seps]), path)
    fmt = header.get("Format")
    if fmt is not None and fmt != LHAGRID_FORMAT:
        raise PDFFileError(f"{path}:1: Format is {fmt!r}, only 'lhagrid1' is supported")
    subgrids, pids, pos = [], None, seps + 1
    while pos < len(lines):
        sub, fl, ln0, pos = _parse_block(lines, pos, path)
        if pids is None:
            pids = fl
        elif fl != pids:
            raise PDFFileError(f"{path}:{ln0 + 2}: flavour ids {fl} differ from the first subgrid's {pids} "
                               "(they must be the same, in the same order)")
        if subgrids and sub[1][0] != subgrids[-1][1][-1]:
            raise PDFFileError(f"{path}:{ln0 + 1}: subgrid starts at Q = {sub[1][0]} GeV, not at the previous "
                               f"subgrid's last Q knot {subgrids[-1][1][-1]} GeV (subgrids must be ordered and "
                               "contiguous in Q)")
        subgrids.append(sub)
        if len(subgrids) > MAX_SUBGRIDS:
            raise PDFFileError(f"{path}:{ln0}: more than {MAX_SUBGRIDS} subgrids are not supported")
    if not subgrids:
        raise PDFFileError(f"{path}:{seps + 1}: no subgrid blocks after the header (truncated file?)")
    if sum(1 for p in pids if not -6 <= p <= 6 and p != GLUON) > MAX_EXTRA_FLAVOURS:
        raise PDFFileError(f"{path}: at most {MAX_EXTRA_FLAVOURS} flavours outside -6..6 and 21 are supported")
    return header, subgrids, tuple(pids)


def _parse_block(lines, pos: int, path):
    """One subgrid block starting at lines[pos] -> ((x_knots, Q_knots, values), flavour ids, its first line
    number, next position)."""
    n, ln0 = len(lines), pos + 1
    for j in range(3):
        if pos + j >= n or _is_separator(lines[pos + j]):
            found = "the end of the file" if pos + j >= n else "'---'"
            raise PDFFileError(f"{path}:{ln0}: subgrid block has {j} lines before {found}: need x knots, "
                               "Q knots, flavour ids and values (truncated file?)")
    xk = _knots(lines[pos], path, ln0, "x knots", True)
    qk = _knots(lines[pos + 1], path, ln0 + 1, "Q knots", False)
    fl = _flavour_ids(lines[pos + 2], path, ln0 + 2)
    start, nrows = pos + 3, xk.size * qk.size
    end = start + nrows
    early = next((j for j in range(start, min(end, n)) if _is_separator(lines[j])), None)
    if early is not None:
        raise PDFFileError(f"{path}:{start + 1}: expected {xk.size} x {qk.size} = {nrows} value lines, found "
                           f"{early - start} before '---'")
    if end > n:
        raise PDFFileError(f"{path}:{n}: the file ends after {n - start} of the {xk.size} x {qk.size} = "
                           f"{nrows} value lines of the subgrid block starting at line {ln0} (truncated file?)")
    if end == n:
        raise PDFFileError(f"{path}:{n}: the subgrid block starting at line {ln0} must be closed by '---' after "
                           "its value lines; found the end of the file (truncated file?)")
    if not _is_separator(lines[end]):
        raise PDFFileError(f"{path}:{end + 1}: the subgrid block starting at line {ln0} must be closed by '---' "
                           f"after its {nrows} value lines; found {lines[end].strip()[:40]!r}")
    values = _value_block(lines, start, nrows, len(fl), path)
    return (xk, qk, values), fl, ln0, end + 1


def read_lhagrid1(path):
    """Parse an LHAPDF ``lhagrid1`` member file strictly (docs/physics.md §6).

    Parameters
    ----------
    path : str or Path
        The member file.

    Returns
    -------
    subgrids : list of (ndarray, ndarray, ndarray)
        Per subgrid: x knots, Q knots [GeV] and the x f values [nx * nq, nflav] with Q running fastest.
    pids : tuple of int
        The flavour of each value column (0 read as 21).

    Raises
    ------
    PDFFileError
        Naming the file and the 1-based line: a file that is not UTF-8 text, lacks the header separator, has a
        subgrid block not closed by ``---`` (a truncated file), a wrong number of value lines or of values in a
        line, a value or knot that is not a finite number, knots not strictly increasing or outside (0, 1] (x)
        or (0, inf) (Q), flavour ids that repeat or differ between subgrids, or subgrids not contiguous in Q.
    """
    path = Path(path)
    _, subgrids, pids = _parse_member(path.read_bytes(), path)
    return subgrids, pids


_MEMBER_NAME_RE = re.compile(r"(.+)_([0-9]{4})$")


def _member_path(path: Path, member) -> Path:
    if path.is_dir():
        return path / f"{path.name}_{_member_number(member):04d}.dat"
    if path.suffix == ".info":
        return path.with_name(f"{path.stem}_{_member_number(member):04d}.dat")
    return path


def _member_number(member) -> int:
    if isinstance(member, bool) or not isinstance(member, (int, np.integer)) or member < 0:
        raise ValueError(f"member must be an integer >= 0, got {member!r}")
    return int(member)


def _fingerprint(*blobs: bytes) -> str:
    h = hashlib.sha256()
    for b in blobs:
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


class LHAGrid(PDF):
    """An LHAPDF ``lhagrid1`` PDF member with LHAPDF 6.2's log-bicubic interpolation (docs/physics.md §6).

    Parameters
    ----------
    path : str or Path
        A member file ``NAME_0000.dat``, a set directory (``NAME/``, member ``member`` is read), or an
        ``.info`` file. Set names are resolved by :func:`load`.
    member : int
        Member number when ``path`` is a directory or ``.info`` file.
    extrapolate : None or "nearest"
        None (default): x or Q outside the grid raise ValueError. "nearest": freeze x and Q at the grid edge.

    Notes
    -----
    The set's ``NAME.info`` beside a member file ``NAME_NNNN.dat`` is read with it (LHAPDF's cascade: keys of
    the member file's header override those of the .info) and honoured as LHAPDF 6.2 does: ``ForcePositive``
    (0: none; 1: x f < 0 -> 0; 2: x f < 1e-10 -> 1e-10, per flavour after interpolation), ``Flavors``
    (flavours of the grid not listed give 0; listed flavours missing from the grid are an error),
    ``XMin``/``XMax``/``QMin``/``QMax`` (the range is the grid's knots narrowed to them; a grid whose Q knots
    end before the .info's QMax, or start after QMin, is rejected: that is how a member truncated at a subgrid
    boundary shows). A member file without a .info beside it uses its header only (usually ForcePositive 0,
    all flavours, the range of the knots): it cannot tell a file cut at a subgrid boundary from a smaller grid.

    Pickles by path, extrapolate and a SHA-256 fingerprint of the member and .info contents; unpickling re-reads
    the files and raises :class:`PDFFileError` if they changed.
    """

    def __init__(self, path, member: int = 0, extrapolate=None, *, _set_info=None):
        _check_extrapolate(extrapolate)
        path = _member_path(Path(path), member)
        if not path.is_file():
            raise FileNotFoundError(f"lhagrid1 member file not found: {path}")
        self.path = os.path.abspath(path)
        self.extrapolate = extrapolate
        self.name = path.stem
        m = _MEMBER_NAME_RE.fullmatch(path.stem)
        self.set_name = m.group(1) if m else None
        self.member = int(m.group(2)) if m else None
        raw = path.read_bytes()
        if _set_info is not None:
            set_info, self.info_path, info_raw = _set_info
        else:
            info_file = path.with_name(f"{self.set_name}.info") if m else None
            if info_file is not None and info_file.is_file():
                info_raw = info_file.read_bytes()
                self.info_path = os.path.abspath(info_file)
                set_info = parse_info(_decode(info_raw, info_file), info_file)
            else:
                info_raw, self.info_path, set_info = b"", None, {}
        self.fingerprint = _fingerprint(raw, info_raw)
        header, self.subgrids, self.pids = _parse_member(raw, path)
        self.info = {**set_info, **header}
        self.force_positive, self.flavors, xlim, q2lim = self._metadata()
        self.core = _pdf.LHAGridCore(self.subgrids, list(self.pids), set(self.flavors), *xlim, *q2lim,
                                     extrapolate == "nearest", self.force_positive)
        self._init_range()

    def _metadata(self):
        """(ForcePositive, enabled flavours, (xmin, xmax), (Q2min, Q2max)) from the grid and the metadata."""
        where = f"{self.path} (with {self.info_path})" if self.info_path else self.path
        info = self.info
        fp = _meta_int(info, "ForcePositive", where, allowed=FORCE_POSITIVE_LEVELS) or 0
        flavors = _meta_pids(info, "Flavors", where)
        if flavors is None:
            flavors = list(self.pids)
        missing = sorted(set(flavors) - set(self.pids))
        if missing:
            raise PDFFileError(f"{where}: Flavors lists {missing}, absent from the member's grid {list(self.pids)}")
        xlo = max(float(s[0][0]) for s in self.subgrids)
        xhi = min(float(s[0][-1]) for s in self.subgrids)
        qlo, qhi = float(self.subgrids[0][1][0]), float(self.subgrids[-1][1][-1])
        info_qlo = _meta_real(info, "QMin", where, lo=0.0)
        info_qhi = _meta_real(info, "QMax", where, lo=0.0)
        if info_qhi is not None and info_qhi > qhi * (1 + INFO_RANGE_RTOL):
            raise PDFFileError(f"{self.path}: the grid's Q knots end at {qhi} GeV but QMax = {info_qhi} GeV in "
                               f"{self.info_path}: member file truncated at a subgrid boundary?")
        if info_qlo is not None and info_qlo < qlo * (1 - INFO_RANGE_RTOL):
            raise PDFFileError(f"{self.path}: the grid's Q knots start at {qlo} GeV but QMin = {info_qlo} GeV in "
                               f"{self.info_path}")
        info_xlo = _meta_real(info, "XMin", where, lo=0.0, hi=1.0)
        info_xhi = _meta_real(info, "XMax", where, lo=0.0, hi=1.0)
        xlo, xhi = max(xlo, info_xlo or xlo), min(xhi, info_xhi or xhi)
        qlo, qhi = max(qlo, info_qlo or qlo), min(qhi, info_qhi or qhi)
        if not xlo < xhi or not qlo < qhi:
            raise PDFFileError(f"{where}: empty range x in [{xlo}, {xhi}], Q in [{qlo}, {qhi}] GeV")
        return fp, tuple(sorted(flavors)), (xlo, xhi), (qlo * qlo, qhi * qhi)

    def __reduce__(self):
        return (_restore_lhagrid, (self.path, self.extrapolate, self.fingerprint))


def _restore_lhagrid(path, extrapolate, fingerprint):
    pdf = LHAGrid(path, extrapolate=extrapolate)
    if pdf.fingerprint != fingerprint:
        raise PDFFileError(f"{path}: the member file (or its set's .info) changed since this PDF was pickled")
    return pdf


def write_lhagrid(path, pdf, x_knots, Q_subgrids, pids=(-3, -2, -1, 21, 1, 2, 3), header=None) -> Path:
    """Write ``pdf`` tabulated at the knots as an lhagrid1 member file (one subgrid per list of Q knots [GeV]).

    ``pdf`` is anything with ``xfxQ(pid, x, Q)``; x = 1 knots are written as 0. ``header``: metadata of the
    member (default ``{"PdfType": "central"}``; plain scalars). The file is written under a temporary name and
    renamed (atomic)."""
    path = Path(path)
    x_knots = np.asarray(x_knots, dtype=float)
    header = {"PdfType": "central"} if header is None else dict(header)
    lines = [f"{k}: {v}" for k, v in header.items() if k != "Format"] + [f"Format: {LHAGRID_FORMAT}", SEPARATOR]
    for qk in Q_subgrids:
        qk = np.asarray(qk, dtype=float)
        xx, qq = np.meshgrid(x_knots, qk, indexing="ij")     # Q runs fastest
        cols = [pdf.xfxQ(p, np.minimum(xx, GRV94_X_MAX).ravel(), qq.ravel()) for p in pids]
        cols = [np.where(xx.ravel() >= 1.0, 0.0, c) for c in cols]
        lines.append(" ".join(repr(float(v)) for v in x_knots))
        lines.append(" ".join(repr(float(v)) for v in qk))
        lines.append(" ".join(str(p) for p in pids))
        lines.extend(" ".join(f"{v: .16e}" for v in row) for row in np.column_stack(cols))
        lines.append(SEPARATOR)
    _write_atomic(path, "\n".join(lines) + "\n")
    return path


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------- sets, uncertainties, alpha_s
@dataclass(frozen=True)
class PDFUncertainty:
    """PDF uncertainty of an observable (docs/physics.md §10.3), arrays shaped like one member's values.

    ``central``: member 0 (Hessian), the replica mean (replicas) or median (replicas, alternative);
    ``errplus``/``errminus``/``errsymm``: positive errors at the requested confidence level (parameter
    variations, if the set has any, added in quadrature); ``scale``: the CL rescaling factor
    sqrt(q(CL_req)/q(CL_set)) (1 when the levels are equal); ``err_par``: the parameter-variation part."""
    central: np.ndarray
    errplus: np.ndarray
    errminus: np.ndarray
    errsymm: np.ndarray
    scale: float
    err_par: np.ndarray


def _chi2_1dof_quantile(p: float) -> float:
    """Quantile of the chi^2 distribution with one degree of freedom at probability p: (Phi^-1((1+p)/2))^2."""
    return NormalDist().inv_cdf(0.5 * (1.0 + p)) ** 2


def _error_kind(error_type) -> tuple:
    """(base error type, number of parameter-variation pairs) of an ErrorType such as "hessian+as"."""
    if not isinstance(error_type, str):
        raise ValueError(f"error_type must be one of {ERROR_TYPES} (optionally with '+' parameter variations), "
                         f"got {error_type!r}")
    base = next((t for t in ("symmhessian", "hessian", "replicas") if error_type.startswith(t)), None)
    if base is None:
        raise ValueError(f"ErrorType {error_type!r} is not supported: need one of {ERROR_TYPES}")
    return base, error_type.count("+")


def _check_cl(name, cl):
    if isinstance(cl, bool) or not isinstance(cl, (int, float, np.floating, np.integer)) or not 0 < cl < 100:
        raise ValueError(f"{name} must be a confidence level in percent, in (0, 100), got {cl!r}")
    return float(cl)


def _member_values(values, name="values") -> np.ndarray:
    arr = as_float_array(name, values)
    if arr.ndim < 1 or arr.shape[0] < 2:
        raise ValueError(f"{name} must have shape (n_members, ...) with n_members >= 2, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (one value per member, member 0 first)")
    return arr


def _n_error_members(n: int, base: str, npar: int) -> int:
    nmem = n - 1 - 2 * npar
    if nmem <= 0:
        raise ValueError(f"a set of {n} members with {npar} parameter-variation pairs has no error members")
    if base == "hessian" and nmem % 2:
        raise ValueError(f"hessian sets need pairs of error members; got {nmem}")
    return nmem


def _cpp_round(v: float) -> int:
    """C++ std::round (halves away from zero) of a non-negative number."""
    return int(math.floor(v + 0.5))


def pdf_uncertainty(values, error_type: str, cl_set: float | None = None, cl: float = DEFAULT_CL,
                    alternative: bool = False) -> PDFUncertainty:
    """PDF uncertainty of observables computed with every member of a set (docs/physics.md §10.3), as
    LHAPDF 6.2.3's ``PDFSet::uncertainty``.

    Parameters
    ----------
    values : array_like, shape (n_members, ...)
        One value (or array of values) per member, member 0 first.
    error_type : str
        The set's ``ErrorType``: "replicas", "symmhessian" or "hessian" (pairs 2k-1, 2k), optionally followed by
        "+..." parameter variations (one pair of members per '+', at the end of the set).
    cl_set : float, optional
        The set's ``ErrorConfLevel`` in percent; None: 68.27 (docs/physics.md §10.3; LHAPDF uses 1 sigma =
        68.2689 % and, for replicas, always 1 sigma).
    cl : float
        Requested confidence level in percent (default 68.27). If it differs from ``cl_set`` the errors are
        multiplied by sqrt(q(cl)/q(cl_set)), q the chi^2 quantile with one degree of freedom (also for
        replicas).
    alternative : bool
        Replicas only: central = median of the replicas, errors from the replica quantiles at ``cl`` (LHAPDF's
        indices: upper = round((1+cl)/2 N), lower = 1 + round((1-cl)/2 N) in the sorted replicas 1..N; no CL
        rescaling).

    Returns
    -------
    PDFUncertainty
    """
    arr = _member_values(values)
    base, npar = _error_kind(error_type)
    nmem = _n_error_members(arr.shape[0], base, npar)
    cl_set = DEFAULT_CL if cl_set is None else _check_cl("cl_set", cl_set)
    cl = _check_cl("cl", cl)
    x0, xk = arr[0], arr[1:nmem + 1]
    if alternative:
        if base != "replicas":
            raise ValueError(f"alternative=True needs a replica set, not ErrorType {error_type!r}")
        central, errplus, errminus = _replica_quantiles(xk, cl / 100.0)
        errsymm = 0.5 * (errplus + errminus)
    elif base == "replicas":
        central = np.sum(xk, axis=0) / nmem
        var = np.sum(xk * xk, axis=0) / nmem
        var = nmem / (nmem - 1.0) * (var - central * central) if nmem > 1 else np.zeros_like(central)
        errplus = errminus = errsymm = np.sqrt(np.where(var > 0.0, var, 0.0))
    elif base == "symmhessian":
        central = x0
        errplus = errminus = errsymm = np.sqrt(np.sum((xk - x0) ** 2, axis=0))
    else:
        central = x0
        up, down = xk[0::2] - x0, xk[1::2] - x0
        errplus = np.sqrt(np.sum(np.maximum(np.maximum(up, down), 0.0) ** 2, axis=0))
        errminus = np.sqrt(np.sum(np.maximum(np.maximum(-up, -down), 0.0) ** 2, axis=0))
        errsymm = 0.5 * np.sqrt(np.sum((xk[0::2] - xk[1::2]) ** 2, axis=0))
    scale = 1.0
    if cl != cl_set:
        scale = math.sqrt(_chi2_1dof_quantile(cl / 100.0) / _chi2_1dof_quantile(cl_set / 100.0))
        if not alternative:
            errplus, errminus, errsymm = errplus * scale, errminus * scale, errsymm * scale
    err_par = np.zeros_like(np.asarray(central, dtype=float))
    if npar:
        par = arr[nmem + 1:]
        err_par = scale * 0.5 * np.sqrt(np.sum((par[0::2] - par[1::2]) ** 2, axis=0))
        errplus, errminus, errsymm = (np.sqrt(e * e + err_par * err_par) for e in (errplus, errminus, errsymm))
    return PDFUncertainty(np.asarray(central, dtype=float), np.asarray(errplus, dtype=float),
                          np.asarray(errminus, dtype=float), np.asarray(errsymm, dtype=float), scale,
                          np.asarray(err_par, dtype=float))


def _replica_quantiles(xk: np.ndarray, cl: float):
    """LHAPDF's alternative replica estimate: median and the replicas at the CL quantiles (sorted 1..N)."""
    nmem = xk.shape[0]
    srt = np.sort(xk, axis=0)             # srt[j - 1] is LHAPDF's sorted[j]
    if nmem % 2:
        central = srt[nmem // 2]
    else:
        central = 0.5 * (srt[nmem // 2 - 1] + srt[nmem // 2])
    upper = _cpp_round(0.5 * (1 + cl) * nmem)
    lower = 1 + _cpp_round(0.5 * (1 - cl) * nmem)
    if not (1 <= upper <= nmem and 1 <= lower <= nmem):
        raise ValueError(f"cl = {100 * cl} % needs quantiles outside {nmem} replicas")
    return central, srt[upper - 1] - central, central - srt[lower - 1]


def pdf_correlation(a, b, error_type: str, undefined: str = "raise"):
    """Correlation of two observables over the members of a set (docs/physics.md §10.3; LHAPDF 6.2.3's
    ``PDFSet::correlation``): replicas [<AB> - <A><B>]/(dA dB) N/(N-1); symmhessian sum(A_k - A_0)(B_k - B_0)
    /(dA dB); hessian sum_k (A_2k-1 - A_2k)(B_2k-1 - B_2k)/(4 dA dB), with the symmetric errors d at the set's
    own confidence level.

    ``a``, ``b``: shape (n_members, ...), broadcast together. Where dA dB = 0 the correlation is undefined:
    ``undefined="raise"`` (default) raises ValueError, ``"nan"`` returns NaN there.
    """
    if undefined not in ("raise", "nan"):
        raise ValueError(f"undefined must be 'raise' or 'nan', got {undefined!r}")
    a, b = _member_values(a, "a"), _member_values(b, "b")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must have the same number of members, got {a.shape[0]} and {b.shape[0]}")
    a, b = np.broadcast_arrays(a, b)
    base, npar = _error_kind(error_type)
    nmem = _n_error_members(a.shape[0], base, npar)
    ua, ub = pdf_uncertainty(a[:nmem + 1], base), pdf_uncertainty(b[:nmem + 1], base)
    da, db = ua.errsymm, ub.errsymm
    ak, bk = a[1:nmem + 1], b[1:nmem + 1]
    if base == "replicas":
        if nmem < 2:
            raise ValueError("the correlation over replicas needs at least 2 replicas")
        num = (np.sum(ak * bk, axis=0) / nmem - ua.central * ub.central) * (nmem / (nmem - 1.0))
    elif base == "symmhessian":
        num = np.sum((ak - ua.central) * (bk - ub.central), axis=0)
    else:
        num = np.sum((ak[0::2] - ak[1::2]) * (bk[0::2] - bk[1::2]), axis=0) / 4.0
    den = da * db
    zero = den == 0.0
    if np.any(zero):
        if undefined == "raise":
            idx = np.unravel_index(int(np.flatnonzero(zero)[0]), zero.shape) if zero.ndim else ()
            raise ValueError(f"correlation undefined: zero PDF uncertainty of a or b at index {idx} "
                             "(pass undefined='nan' to get NaN there)")
        return np.where(zero, np.nan, num / np.where(zero, 1.0, den))
    return num / den


class _AlphaSIpol:
    """alpha_s(Q) from the .info's AlphaS_Qs/AlphaS_Vals as LHAPDF 6.2's ``AlphaS_Ipol``: cubic Hermite in
    ln Q^2 with knot slopes (forward at a subgrid's first knot, backward at its last, central inside), the knots
    split into subgrids at repeated Q values (flavour thresholds; a Q on a threshold uses the upper subgrid);
    below the first knot a power law in Q^2 through the first two distinct knots; above the last knot the last
    value. (A 2-knot subgrid is linear here; LHAPDF reads past the subgrid there.)"""

    def __init__(self, qs, vals, where):
        if len(qs) != len(vals) or len(qs) < 2:
            raise PDFFileError(f"{where}: AlphaS_Qs and AlphaS_Vals must have the same length >= 2")
        q2 = np.asarray(qs, dtype=float) ** 2
        if np.any(q2 <= 0) or np.any(np.diff(q2) < 0) or np.any(np.asarray(vals) <= 0):
            raise PDFFileError(f"{where}: AlphaS_Qs must be positive and non-decreasing, AlphaS_Vals positive")
        self.q2, self.vals = q2, np.asarray(vals, dtype=float)
        cuts = [0, *[i for i in range(1, len(q2)) if q2[i] == q2[i - 1]], len(q2)]
        self.subgrids = [(q2[lo:hi], np.log(q2[lo:hi]), self.vals[lo:hi]) for lo, hi in zip(cuts[:-1], cuts[1:])]
        if any(len(sq) < 2 for sq, _, _ in self.subgrids):
            raise PDFFileError(f"{where}: every alpha_s subgrid between thresholds needs >= 2 Q knots")
        self.starts = q2[cuts[:-1]]

    def __call__(self, q2: float) -> float:
        q2s, a = self.q2, self.vals
        if q2 < q2s[0]:
            nxt = int(np.argmax(q2s != q2s[0]))
            grad = math.log10(a[nxt] / a[0]) / math.log10(q2s[nxt] / q2s[0])
            return float(a[0] * (q2 / q2s[0]) ** grad)
        if q2 > q2s[-1]:
            return float(a[-1])
        sq, lq, av = self.subgrids[int(np.searchsorted(self.starts, q2, side="right")) - 1]
        n = len(lq)
        i = min(int(np.searchsorted(sq, q2, side="right")) - 1, n - 2)

        def slope(j):
            fwd = (av[j + 1] - av[j]) / (lq[j + 1] - lq[j]) if j < n - 1 else None
            bwd = (av[j] - av[j - 1]) / (lq[j] - lq[j - 1]) if j > 0 else None
            return fwd if bwd is None else (bwd if fwd is None else 0.5 * (fwd + bwd))

        d = lq[i + 1] - lq[i]
        t = (math.log(q2) - lq[i]) / d
        t2, t3 = t * t, t * t * t
        return float((2 * t3 - 3 * t2 + 1) * av[i] + (t3 - 2 * t2 + t) * slope(i) * d
                     + (-2 * t3 + 3 * t2) * av[i + 1] + (t3 - t2) * slope(i + 1) * d)


class PDFSet:
    """An LHAPDF set: ``NAME/NAME.info`` and members ``NAME_0000.dat`` ... (docs/physics.md §10.3).

    Parameters
    ----------
    path : str or Path
        The set directory or its ``.info`` file (names are resolved by :func:`load_set`).
    extrapolate : None or "nearest"
        Passed to every member (:class:`LHAGrid`).

    Attributes
    ----------
    name : str
    path : str
        The set directory.
    info : dict
        The parsed ``.info`` (:func:`parse_info`).
    members : list of LHAGrid
        ``NumMembers`` members, member 0 first, each with the set's metadata (ForcePositive, Flavors, ranges).
    error_type : str or None
        ``ErrorType``.
    error_conf_level : float
        ``ErrorConfLevel`` in percent, 68.27 when absent.
    alpha_s_mz : float or None
        ``AlphaS_MZ``.

    Pickles by directory, extrapolate and a fingerprint of all its files (re-read on unpickling).
    """

    def __init__(self, path, extrapolate=None):
        _check_extrapolate(extrapolate)
        path = Path(path)
        info_file = path if path.suffix == ".info" else path / f"{path.name}.info"
        if not info_file.is_file():
            raise FileNotFoundError(f"PDF set info file not found: {info_file}")
        self.name = info_file.stem
        self.path = os.path.abspath(info_file.parent)
        self.extrapolate = extrapolate
        info_raw = info_file.read_bytes()
        where = os.path.abspath(info_file)
        self.info = parse_info(_decode(info_raw, info_file), info_file)
        fmt = self.info.get("Format")
        if fmt is not None and fmt != LHAGRID_FORMAT:
            raise PDFFileError(f"{where}: Format is {fmt!r}, only 'lhagrid1' is supported")
        n = _meta_int(self.info, "NumMembers", where, lo=1)
        if n is None:
            raise PDFFileError(f"{where}: NumMembers is missing")
        self.error_type = self.info.get("ErrorType")
        if self.error_type is not None and not isinstance(self.error_type, str):
            raise PDFFileError(f"{where}: ErrorType must be a string, got {self.error_type!r}")
        self.error_conf_level = _meta_real(self.info, "ErrorConfLevel", where, lo=0.0, hi=100.0) or DEFAULT_CL
        self.alpha_s_mz = _meta_real(self.info, "AlphaS_MZ", where, lo=0.0)
        qs, vals = _meta_reals(self.info, "AlphaS_Qs", where), _meta_reals(self.info, "AlphaS_Vals", where)
        self._alpha_s = _AlphaSIpol(qs, vals, where) if qs is not None and vals is not None else None
        self._alpha_s_type = self.info.get("AlphaS_Type", "ipol")
        shared = (self.info, where, info_raw)
        files = [Path(self.path) / f"{self.name}_{k:04d}.dat" for k in range(n)]
        absent = [f for f in files if not f.is_file()]
        if absent:
            raise FileNotFoundError(f"PDF set {self.name}: NumMembers = {n} but {len(absent)} member files are "
                                    f"missing, e.g. {absent[0]}")
        self.members = [LHAGrid(f, extrapolate=extrapolate, _set_info=shared) for f in files]
        self.fingerprint = _fingerprint(*(m.fingerprint.encode() for m in self.members))
        #: LumiSetCore per tuple of squared charges (built once: it copies every member's knots)
        self._lumi_cores = {}

    def __len__(self):
        return len(self.members)

    def __getitem__(self, k):
        return self.members[k]

    def __iter__(self):
        return iter(self.members)

    def __repr__(self):
        return f"<PDFSet {self.name}: {len(self)} members, ErrorType {self.error_type}>"

    def __reduce__(self):
        return (_restore_set, (self.path, self.extrapolate, self.fingerprint))

    def uncertainty(self, values, cl: float = DEFAULT_CL, alternative: bool = False) -> PDFUncertainty:
        """PDF uncertainty of ``values`` (shape (len(set), ...), member 0 first) at confidence level ``cl``
        [%], as LHAPDF 6.2.3 (see :func:`pdf_uncertainty`; the set's ErrorType and ErrorConfLevel)."""
        arr = _member_values(values)
        if arr.shape[0] != len(self):
            raise ValueError(f"values must have one entry per member: {len(self)}, got {arr.shape[0]}")
        if self.error_type is None:
            raise ValueError(f"PDF set {self.name} has no ErrorType: its uncertainty is not defined")
        return pdf_uncertainty(arr, self.error_type, self.error_conf_level, cl, alternative)

    def correlation(self, a, b, undefined: str = "raise"):
        """Correlation of two observables over the members (see :func:`pdf_correlation`)."""
        for name, v in (("a", a), ("b", b)):
            if np.shape(v)[:1] != (len(self),):
                raise ValueError(f"{name} must have one entry per member ({len(self)}), got shape {np.shape(v)}")
        if self.error_type is None:
            raise ValueError(f"PDF set {self.name} has no ErrorType: correlations are not defined")
        return pdf_correlation(a, b, self.error_type, undefined)

    def alpha_s(self, Q):
        """alpha_s(Q) of the set, Q in GeV (array or scalar), interpolated from ``AlphaS_Qs``/``AlphaS_Vals``
        as LHAPDF 6.2's "ipol" alpha_s (cubic Hermite in ln Q^2, see ``_AlphaSIpol``). ValueError if the set
        tabulates no alpha_s or its AlphaS_Type is not "ipol", or Q is not finite and > 0."""
        if self._alpha_s is None:
            raise ValueError(f"PDF set {self.name} has no AlphaS_Qs/AlphaS_Vals in its .info")
        if self._alpha_s_type != "ipol":
            raise ValueError(f"PDF set {self.name}: AlphaS_Type {self._alpha_s_type!r} is not supported "
                             "(only 'ipol')")
        Q = as_float_array("Q", Q)
        check_interval("Q", Q, 0.0, None, unit="GeV")
        out = np.array([self._alpha_s(q * q) for q in Q.ravel()]).reshape(Q.shape)
        return out if out.ndim else float(out)

    def lumi_core(self, eq2=None) -> LumiSetCore:
        """The C evaluator of sum_q e_q^2 x f_q and x g of all members at once (:class:`LumiSetCore`; ``eq2``:
        the squared charges it pre-sums, default all six light flavours). Built once per ``eq2`` and kept."""
        key = None if eq2 is None else tuple(float(e) for e in eq2)
        if key not in self._lumi_cores:
            self._lumi_cores[key] = LumiSetCore(self, eq2)
        return self._lumi_cores[key]


def _restore_set(path, extrapolate, fingerprint):
    s = PDFSet(path, extrapolate=extrapolate)
    if s.fingerprint != fingerprint:
        raise PDFFileError(f"{path}: files of the PDF set changed since it was pickled")
    return s


# ---------------------------------------------------------------- finding sets
def _search_path():
    dirs = [d for d in os.environ.get("LHAPDF_DATA_PATH", "").split(os.pathsep) if d]
    dirs += [d for d in os.environ.get("LHAPATH", "").split(os.pathsep) if d]
    return [Path(d) for d in dirs]


def available_sets():
    """Names of the PDF sets found on LHAPDF_DATA_PATH (directories holding NAME.info or NAME_0000.dat)."""
    names = set()
    for d in _search_path():
        if d.is_dir():
            for sub in d.iterdir():
                if sub.is_dir() and ((sub / f"{sub.name}.info").exists() or (sub / f"{sub.name}_0000.dat").exists()):
                    names.add(sub.name)
    return sorted(names)


def load(name_or_path, member: int = 0, extrapolate=None) -> PDF:
    """A PDF by name or path: "GRV94LO" (embedded), a file/directory path, or an LHAPDF set name
    searched in ``LHAPDF_DATA_PATH`` (also ``NAME_0000.dat`` lying directly in one of its directories)."""
    name = str(name_or_path)
    if name.upper() in ("GRV94LO", "GRV94", "GRV94_LO"):
        if member not in (0, None):
            raise ValueError(f"member: GRV94LO is a single PDF (member 0), got member={member!r}")
        return GRV94LO(extrapolate=extrapolate)
    p = Path(name)
    if p.exists():
        return LHAGrid(p, member=member, extrapolate=extrapolate)
    for d in _search_path():
        for cand in (d / name, d / f"{name}_{_member_number(member):04d}.dat"):
            if cand.exists():
                return LHAGrid(cand, member=member, extrapolate=extrapolate)
    raise FileNotFoundError(f"PDF {name!r} not found: not a file, and not in LHAPDF_DATA_PATH "
                            f"({os.pathsep.join(map(str, _search_path())) or 'unset'})")


def load_set(name_or_path, extrapolate=None) -> PDFSet:
    """A whole LHAPDF set with all its members (docs/physics.md §10.3).

    Parameters
    ----------
    name_or_path : str or Path
        A set directory or its ``.info`` file, or a set name searched in the directories of
        ``LHAPDF_DATA_PATH`` (and ``LHAPATH``) like :func:`load`.
    extrapolate : None or "nearest"
        Passed to every member.

    Returns
    -------
    PDFSet

    Raises
    ------
    FileNotFoundError
        No such set, or member files missing.
    PDFFileError
        A defective .info or member file.
    """
    p = Path(str(name_or_path))
    if p.exists():
        return PDFSet(p, extrapolate=extrapolate)
    for d in _search_path():
        if (d / p).is_dir():
            return PDFSet(d / p, extrapolate=extrapolate)
    raise FileNotFoundError(f"PDF set {str(name_or_path)!r} not found: not a path, and not in LHAPDF_DATA_PATH "
                            f"({os.pathsep.join(map(str, _search_path())) or 'unset'})")
