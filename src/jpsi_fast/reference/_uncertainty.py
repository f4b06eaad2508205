"""PDF uncertainties and correlations with the conventions of LHAPDF 6.2.3's
``PDFSet::uncertainty`` and ``PDFSet::correlation`` (docs/physics.md §10.3), as plain NumPy
functions over an array of observables, and a small reader for LHAPDF ``.info`` files.

values[k] is the observable computed with member k (member 0 first); any trailing shape is
carried along element-wise.
"""

import collections
import math
import re

import numpy as np
from scipy import stats

#: 100 * erf(1/sqrt 2) = 68.2689...%: the one-sigma CL that LHAPDF uses as the nominal CL of
#: replica sets and as the default ErrorConfLevel of Hessian sets
CL_1SIGMA = 100.0 * math.erf(1.0 / math.sqrt(2.0))

PDFUncertainty = collections.namedtuple(
    "PDFUncertainty",
    ["central", "errplus", "errminus", "errsymm", "scale",
     "errplus_pdf", "errminus_pdf", "errsymm_pdf", "err_par"])
PDFUncertainty.__doc__ = """Result of :func:`pdf_uncertainty` (arrays of the observables' shape).

central, errplus, errminus, errsymm: the central value and the uncertainties, parameter
variations (if any) included in quadrature; errplus_pdf, errminus_pdf, errsymm_pdf: without
them; err_par: the parameter-variation part; scale: the CL rescaling factor applied (1 if none).
"""

_BASE_TYPES = ("replicas", "symmhessian", "hessian")


def _parse_error_type(error_type):
    """(base type, number of '+' parameter variations), e.g. 'hessian+as' -> ('hessian', 1)."""
    base = error_type.split("+", 1)[0]
    if base not in _BASE_TYPES:
        raise ValueError(f"ErrorType {error_type!r} not supported; expected one of {_BASE_TYPES} "
                         "(optionally with '+...' parameter variations)")
    return base, error_type.count("+")


def _members(values, error_type):
    values = np.asarray(values, dtype=float)
    if values.ndim < 1:
        raise ValueError("values must have the members along axis 0")
    base, npar = _parse_error_type(error_type)
    nmem = values.shape[0] - 1 - 2 * npar
    if nmem <= 0:
        raise ValueError("the set must contain more than the central member (and parameter variations)")
    if base == "hessian" and nmem % 2:
        raise ValueError(f"a hessian set needs an even number of error members, got {nmem}")
    return values, base, npar, nmem


def _round_half_away(v):
    """C++ std::round for v >= 0."""
    return int(math.floor(v + 0.5))


def _chi2_1dof_quantile(cl_percent):
    return float(stats.chi2.ppf(cl_percent / 100.0, 1))


def pdf_uncertainty(values, error_type, cl_set=68.27, cl_req=68.27, alternative=False):
    """PDF uncertainty of an observable over a PDF set, LHAPDF 6.2.3 conventions.

    values: array (n_members, ...), member 0 first; error_type: the set's ErrorType,
    "replicas", "symmhessian" or "hessian" (a '+xx' suffix per parameter variation, e.g.
    "hessian+as", marks the last 2 members per '+' as a variation pair, as LHAPDF does);
    cl_set: the set's ErrorConfLevel in % (for replicas LHAPDF's nominal value is
    100 erf(1/sqrt2) = CL_1SIGMA = 68.2689; the default 68.27 is the specification's); cl_req: the requested CL
    in %.  X_0 = member 0, X_k (k = 1..N) the error members:

    replicas:    central = (1/N) sum X_k;  delta = sqrt(N/(N-1) ((1/N) sum X_k^2 - central^2))
                 (0 if that is not > 0 or N = 1); errplus = errminus = errsymm = delta.
    symmhessian: central = X_0;  delta = sqrt(sum (X_k - X_0)^2) for all three.
    hessian:     central = X_0;  pairs (2k-1, 2k):
                 errplus  = sqrt(sum_k max(X_{2k-1} - X_0, X_{2k} - X_0, 0)^2),
                 errminus = sqrt(sum_k max(X_0 - X_{2k-1}, X_0 - X_{2k}, 0)^2),
                 errsymm  = 1/2 sqrt(sum_k (X_{2k-1} - X_{2k})^2).
    CL rescaling when cl_set != cl_req: all errors times sqrt(q(cl_req)/q(cl_set)), q the
    chi^2 quantile with 1 d.o.f.

    alternative=True (replicas only, else ValueError) -- LHAPDF's alternative prescription:
    the N replicas sorted increasingly, s_1 <= ... <= s_N; central = the median (s_{(N+1)/2} for
    odd N, (s_{N/2} + s_{N/2+1})/2 for even N); with CL = cl_req/100,
    upper = round(0.5 (1 + CL) N), lower = 1 + round(0.5 (1 - CL) N) (round half away from 0),
    errplus = s_upper - central, errminus = central - s_lower, errsymm = (errplus + errminus)/2;
    no chi^2 rescaling of these (the CL enters through the quantiles), as in LHAPDF.

    Parameter variations (npar pairs at the end): err_par = scale * 1/2 sqrt(sum (X_a - X_b)^2)
    over the pairs, added in quadrature to errplus, errminus, errsymm.
    Returns a PDFUncertainty.
    """
    values, base, npar, nmem = _members(values, error_type)
    if not (0.0 < cl_set < 100.0 and 0.0 < cl_req < 100.0):
        raise ValueError("confidence levels must be in (0, 100) percent")
    X0 = values[0]
    members = values[1:1 + nmem]
    central = X0

    if alternative:
        if base != "replicas":
            raise ValueError("alternative=True needs a replica set")
        s = np.sort(members, axis=0)          # s[i-1] is LHAPDF's sorted[i]
        if nmem % 2:
            central = s[nmem // 2]
        else:
            central = 0.5 * (s[nmem // 2 - 1] + s[nmem // 2])
        cl = cl_req / 100.0
        upper = _round_half_away(0.5 * (1 + cl) * nmem)
        lower = 1 + _round_half_away(0.5 * (1 - cl) * nmem)
        errplus = s[upper - 1] - central
        errminus = central - s[lower - 1]
        errsymm = 0.5 * (errplus + errminus)
    elif base == "replicas":
        av = members.sum(axis=0) / nmem
        sq = (members**2).sum(axis=0) / nmem
        var = nmem / (nmem - 1.0) * (sq - av**2) if nmem > 1 else np.zeros_like(av)
        sd = np.sqrt(np.where(var > 0.0, var, 0.0))
        central = av
        errplus = errminus = errsymm = sd
    elif base == "symmhessian":
        errsymm = np.sqrt(((members - X0) ** 2).sum(axis=0))
        errplus = errminus = errsymm
    else:  # hessian
        odd, even = members[0::2], members[1::2]   # X_{2k-1}, X_{2k}
        zero = np.zeros_like(odd)
        errplus = np.sqrt((np.maximum(np.maximum(odd - X0, even - X0), zero) ** 2).sum(axis=0))
        errminus = np.sqrt((np.maximum(np.maximum(X0 - odd, X0 - even), zero) ** 2).sum(axis=0))
        errsymm = 0.5 * np.sqrt(((odd - even) ** 2).sum(axis=0))

    scale = 1.0
    if cl_set != cl_req:
        scale = math.sqrt(_chi2_1dof_quantile(cl_req) / _chi2_1dof_quantile(cl_set))
        if not alternative:
            errplus, errminus, errsymm = errplus * scale, errminus * scale, errsymm * scale

    errplus_pdf, errminus_pdf, errsymm_pdf = errplus, errminus, errsymm
    err_par = np.zeros_like(np.asarray(X0, dtype=float))
    if npar:
        pairs = values[1 + nmem:]
        err_par = scale * 0.5 * np.sqrt(((pairs[0::2] - pairs[1::2]) ** 2).sum(axis=0))
        errplus = np.sqrt(errplus_pdf**2 + err_par**2)
        errminus = np.sqrt(errminus_pdf**2 + err_par**2)
        errsymm = np.sqrt(errsymm_pdf**2 + err_par**2)

    def out(a):
        return np.asarray(a, dtype=float)[()]

    return PDFUncertainty(out(central), out(errplus), out(errminus), out(errsymm), scale,
                          out(errplus_pdf), out(errminus_pdf), out(errsymm_pdf), out(err_par))


def pdf_correlation(a, b, error_type):
    """PDF correlation of two observables, LHAPDF 6.2.3 conventions (CL-independent; parameter
    variations excluded), element-wise over the trailing shape:

    replicas:    [(1/N) sum A_k B_k - <A><B>] / (dA dB) * N/(N-1)   (0 for N = 1)
    symmhessian: sum (A_k - A_0)(B_k - B_0) / (dA dB)
    hessian:     sum_k (A_{2k-1} - A_{2k})(B_{2k-1} - B_{2k}) / (4 dA dB)
    with d the errsymm of :func:`pdf_uncertainty` without rescaling and <A> its central.
    """
    a, base, _, nmem = _members(a, error_type)
    b, _, _, _ = _members(b, error_type)
    if a.shape[0] != b.shape[0]:
        raise ValueError("a and b must have the same number of members")
    ua = pdf_uncertainty(a, error_type)
    ub = pdf_uncertainty(b, error_type)
    A, B = a[1:1 + nmem], b[1:1 + nmem]
    with np.errstate(invalid="ignore", divide="ignore"):
        if base == "replicas":
            if nmem <= 1:
                return np.zeros(np.broadcast(a[0], b[0]).shape)[()]
            cor = ((A * B).sum(axis=0) / nmem - ua.central * ub.central) / (
                ua.errsymm_pdf * ub.errsymm_pdf) * nmem / (nmem - 1.0)
        elif base == "symmhessian":
            cor = ((A - a[0]) * (B - b[0])).sum(axis=0) / (ua.errsymm_pdf * ub.errsymm_pdf)
        else:
            cor = ((A[0::2] - A[1::2]) * (B[0::2] - B[1::2])).sum(axis=0) / (
                4.0 * ua.errsymm_pdf * ub.errsymm_pdf)
    return np.asarray(cor, dtype=float)[()]


# ------------------------------------------------------------------------------ .info reader

_INT = re.compile(r"[+-]?\d+\Z")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)\Z")


def _strip_comment(line):
    """Drop a '#' comment (at line start or after whitespace) that is outside quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def _split_list_items(body):
    """Split the inside of [ ... ] at top-level commas (quotes respected)."""
    items, cur, quote, depth = [], [], None, 0
    for ch in body:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        items.append("".join(cur))
    return items


def _scalar(text):
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'":
        inner = t[1:-1]
        return inner.replace("''", "'") if t[0] == "'" else inner.replace('\\"', '"')
    if t.startswith("["):
        if not t.endswith("]"):
            raise ValueError(f"unterminated list: {t!r}")
        return [_scalar(item) for item in _split_list_items(t[1:-1])]
    if _INT.match(t):
        return int(t)
    if _FLOAT.match(t):
        return float(t)
    if t in ("true", "True", "TRUE"):
        return True
    if t in ("false", "False", "FALSE"):
        return False
    if t in ("", "~", "null", "Null", "NULL"):
        return None
    return t


def _complete(value_text):
    """True if a value text has balanced quotes and brackets."""
    quote, depth = None, 0
    for ch in value_text:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
    return quote is None and depth <= 0


def read_info(path):
    """Read an LHAPDF ``.info`` file (the YAML subset these files use) into a dict.

    Supported: ``Key: value`` lines; '#' comments; values that are integers, floats, true/false,
    quoted ("..." or '...') or unquoted strings, and inline lists [a, b, ...] (items of the same
    kinds, nested lists allowed); a quoted string or list may continue over following lines,
    and an indented line continues a plain scalar (joined with a space).  A document marker
    '---' is ignored.
    """
    entries = {}
    key, buf = None, None
    with open(path) as fh:
        lines = fh.read().splitlines()

    def flush():
        if key is not None:
            entries[key] = _scalar(buf)

    for raw in lines:
        line = _strip_comment(raw).rstrip()
        if key is not None and not _complete(buf):
            buf += (" " if buf.rstrip()[-1:] not in "[," else "") + line.strip()
            continue
        if not line.strip() or line.strip() in ("---", "..."):
            continue
        if raw[:1] in " \t" and key is not None:
            buf = buf.rstrip() + " " + line.strip()   # folded continuation of a plain scalar
            continue
        m = re.match(r"\s*([^:\s][^:]*?)\s*:(\s+|$)(.*)\Z", line)
        if not m:
            raise ValueError(f"{path}: cannot parse line {raw!r}")
        flush()
        key, buf = m.group(1), m.group(3)
    if key is not None and not _complete(buf):
        raise ValueError(f"{path}: unterminated value for {key!r}")
    flush()
    return entries
