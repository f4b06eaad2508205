"""Parton distribution functions: embedded GRV94 LO and LHAPDF ``lhagrid1`` grids (SPEC section 6).

Both classes share LHAPDF's Python interface: ``pdf.xfxQ(pid, x, Q)`` and ``pdf.xfxQ2(pid, x, Q2)`` return
x*f(x, Q) with NumPy broadcasting over all three arguments; PDG ids, 21 (or 0) = gluon; Q in GeV, Q2 in GeV^2.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import _pdf
from ._validate import as_float_array, check_interval

__all__ = ["PDF", "GRV94LO", "LHAGrid", "load", "write_lhagrid", "PDFFileError", "default_pdf"]


class PDFFileError(ValueError):
    """A PDF data file that cannot be read; the message names the file and the line."""


class PDF:
    """Common interface of the PDFs; ``core`` is the C object the kernels evaluate."""

    name = "PDF"
    core: _pdf.PDFCore
    #: lhagrid1 member file for grid PDFs, else None (the reference implementation re-reads it)
    path = None
    extrapolate = None

    def _check_kinematics(self, x: np.ndarray, Q2: np.ndarray, xname="x", qname="Q2") -> None:
        """Validate x and Q^2 (raise ValueError naming the argument and the allowed range)."""
        check_interval(xname, x, 0.0, 1.0, hi_open=True)
        check_interval(qname, Q2, 0.0, None, unit="GeV^2" if qname == "Q2" else "GeV")

    def xfxQ2(self, pid, x, Q2):
        """x*f(x, Q^2) for PDG id(s) ``pid`` (21 = gluon), Bjorken x in (0, 1) and Q^2 in GeV^2 (arrays broadcast)."""
        pid_arr = np.asarray(pid)
        if pid_arr.dtype.kind not in "iu":
            raise TypeError(f"pid must be integer PDG ids, got dtype {pid_arr.dtype}")
        x = as_float_array("x", x)
        Q2 = as_float_array("Q2", Q2)
        self._check_kinematics(x, Q2)
        p, xb, qb = np.broadcast_arrays(pid_arr, x, Q2)
        out = np.empty(xb.shape)
        self.core.xfx_q2(np.ascontiguousarray(p, dtype=np.intc).ravel(), np.ascontiguousarray(xb).ravel(),
                         np.ascontiguousarray(qb).ravel(), out.reshape(-1))
        return out if out.ndim else float(out)

    def xfxQ(self, pid, x, Q):
        """x*f(x, Q) with Q in GeV (see :meth:`xfxQ2`)."""
        Q = as_float_array("Q", Q)
        check_interval("Q", Q, 0.0, None, unit="GeV")
        return self.xfxQ2(pid, x, Q * Q)

    def key(self):
        """A value identifying the PDF: type, name, member file and options."""
        return (type(self).__name__, self.name, self.path, self.extrapolate, getattr(self, "exact", None))

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}>"


class GRV94LO(PDF):
    """GRV94 LO (Glueck, Reya, Vogt, Z. Phys. C67 (1995) 433), embedded, no data files.

    Parameters
    ----------
    exact : bool
        False (default): the fast tabulated form. ln(x f) of g, u, d, s, ubar, dbar is tabulated once
        (256 x 32 knots with derivatives, bicubic Hermite, ~1.6 MB) over x in [1e-5, 0.999],
        Q in [1, 1000] GeV; accuracy <= 1e-5 relative to the analytic form over x in [1e-4, 0.99],
        Q in [2, 200] GeV (measured ~2e-6; tests check 1e-5). Outside the table, and for c and b, the
        analytic form is used. True: the analytic form everywhere (~40 transcendental calls per point).

    The parametrisation is meant for 1e-5 < x < 1 and 0.4 < Q^2 < 1e6 GeV^2; it is evaluated (not
    rejected) outside that range.
    """

    def __init__(self, exact: bool = False):
        self.exact = bool(exact)
        self.name = "GRV94LO" + (" (analytic)" if self.exact else " (tabulated)")
        self.core = _shared_grv94_core(self.exact)


@lru_cache(maxsize=2)
def _shared_grv94_core(exact: bool) -> _pdf.GRV94Core:
    return _pdf.GRV94Core(exact)


def default_pdf() -> GRV94LO:
    """The package default: tabulated GRV94 LO."""
    return GRV94LO()


class LHAGrid(PDF):
    """An LHAPDF ``lhagrid1`` PDF member with LHAPDF 6.2's log-bicubic interpolation (SPEC section 6).

    Parameters
    ----------
    path : str or Path
        A member file ``NAME_0000.dat``, a set directory (``NAME/``, member ``member`` is read), or an
        ``.info`` file. Set names are resolved by :func:`load`.
    member : int
        Member number when ``path`` is a directory or ``.info`` file.
    extrapolate : None or "nearest"
        None (default): x or Q outside the grid raise ValueError. "nearest": freeze x and Q at the grid edge.
    """

    def __init__(self, path, member: int = 0, extrapolate=None):
        if extrapolate not in (None, "nearest"):
            raise ValueError(f"extrapolate must be None or 'nearest', got {extrapolate!r}")
        path = Path(path)
        if path.is_dir():
            path = path / f"{path.name}_{member:04d}.dat"
        elif path.suffix == ".info":
            path = path.with_name(f"{path.stem}_{member:04d}.dat")
        if not path.is_file():
            raise FileNotFoundError(f"lhagrid1 member file not found: {path}")
        self.path = str(path)
        self.extrapolate = extrapolate
        self.name = path.stem
        self.subgrids, self.pids = read_lhagrid1(path)
        self.core = _pdf.LHAGridCore(self.subgrids, list(self.pids), extrapolate == "nearest")
        self.x_range = (min(s[0][0] for s in self.subgrids), max(s[0][-1] for s in self.subgrids))
        self.Q_range = (self.subgrids[0][1][0], self.subgrids[-1][1][-1])

    def _check_kinematics(self, x, Q2, xname="x", qname="Q2"):
        super()._check_kinematics(x, Q2, xname, qname)
        if self.extrapolate == "nearest":
            return
        (xlo, xhi), (qlo, qhi) = self.x_range, self.Q_range
        check_interval(f"{xname} (grid {self.name})", x, xlo, xhi, lo_open=False, hi_open=False)
        if qname == "Q2":
            check_interval(f"Q2 (grid {self.name})", Q2, qlo ** 2, qhi ** 2, lo_open=False, hi_open=False,
                           unit="GeV^2")
        else:
            check_interval(f"{qname} (grid {self.name})", np.sqrt(Q2), qlo, qhi, lo_open=False, hi_open=False,
                           unit="GeV")


def _floats(text: str, path, lineno: int, what: str) -> np.ndarray:
    try:
        vals = np.array([float(t) for t in text.split()], dtype=np.float64)
    except ValueError as exc:
        raise PDFFileError(f"{path}:{lineno}: cannot read {what}: {exc}") from None
    if vals.size == 0:
        raise PDFFileError(f"{path}:{lineno}: expected {what}, found an empty line")
    if not np.all(np.isfinite(vals)):
        raise PDFFileError(f"{path}:{lineno}: {what} contain non-finite numbers")
    return vals


def read_lhagrid1(path):
    """Parse an lhagrid1 member file -> (subgrids, pids); subgrids = [(x_knots, Q_knots, values[nx*nq, nfl])]."""
    path = Path(path)
    lines = path.read_text().splitlines()
    seps = [i for i, line in enumerate(lines) if line.strip() == "---"]
    if not seps:
        raise PDFFileError(f"{path}:1: no '---' separator: not an lhagrid1 member file")
    header = "\n".join(lines[:seps[0]])
    m = re.search(r"^\s*Format\s*:\s*(\S+)", header, re.M)
    if m and m.group(1) != "lhagrid1":
        raise PDFFileError(f"{path}:1: Format is {m.group(1)!r}, only 'lhagrid1' is supported")
    subgrids, pids = [], None
    for start, stop in zip(seps[:-1], seps[1:]):
        block = lines[start + 1:stop]
        ln0 = start + 2                                   # 1-based line number of the block's first line
        if len(block) < 4:
            raise PDFFileError(f"{path}:{ln0}: subgrid block has {len(block)} lines, need x knots, Q knots, "
                               "flavours and values")
        xk = _floats(block[0], path, ln0, "x knots")
        qk = _floats(block[1], path, ln0 + 1, "Q knots")
        try:
            fl = [int(t) for t in block[2].split()]
        except ValueError:
            raise PDFFileError(f"{path}:{ln0 + 2}: flavour line must hold integer PDG ids") from None
        for arr, what, ln in ((xk, "x knots", ln0), (qk, "Q knots", ln0 + 1)):
            if arr.size < 2 or np.any(np.diff(arr) <= 0) or arr[0] <= 0:
                raise PDFFileError(f"{path}:{ln}: {what} must be >= 2 positive, strictly increasing numbers")
        if xk[-1] > 1:
            raise PDFFileError(f"{path}:{ln0}: x knots must not exceed 1")
        if pids is None:
            pids = fl
        elif sorted(fl) != sorted(pids):
            raise PDFFileError(f"{path}:{ln0 + 2}: flavours {fl} differ from the first subgrid's {pids}")
        nrows = xk.size * qk.size
        if len(block) - 3 != nrows:
            raise PDFFileError(f"{path}:{ln0 + 3}: expected {xk.size} x {qk.size} = {nrows} value lines, "
                               f"found {len(block) - 3}")
        values = np.empty((nrows, len(fl)))
        for r, text in enumerate(block[3:]):
            row = _floats(text, path, ln0 + 3 + r, "x*f values")
            if row.size != len(fl):
                raise PDFFileError(f"{path}:{ln0 + 3 + r}: expected {len(fl)} values, found {row.size}")
            values[r] = row
        order = [fl.index(p) for p in pids]               # same column order in every subgrid
        subgrids.append((xk, qk, values[:, order]))
    if not subgrids:
        raise PDFFileError(f"{path}:{seps[0] + 1}: no subgrid blocks after the header")
    for k in range(1, len(subgrids)):
        if subgrids[k][1][0] < subgrids[k - 1][1][0]:
            raise PDFFileError(f"{path}: subgrids must be ordered by increasing Q")
    return subgrids, tuple(pids)


def write_lhagrid(path, pdf: PDF, x_knots, Q_subgrids, pids=(-3, -2, -1, 21, 1, 2, 3)) -> Path:
    """Write ``pdf`` tabulated at the knots as an lhagrid1 member file (one subgrid per list of Q knots [GeV])."""
    path = Path(path)
    x_knots = np.asarray(x_knots, dtype=float)
    lines = ["PdfType: central", "Format: lhagrid1", "---"]
    for qk in Q_subgrids:
        qk = np.asarray(qk, dtype=float)
        xx, qq = np.meshgrid(x_knots, qk, indexing="ij")     # Q runs fastest
        cols = [pdf.xfxQ(p, np.minimum(xx, 1 - 1e-12).ravel(), qq.ravel()) for p in pids]
        cols = [np.where(xx.ravel() >= 1.0, 0.0, c) for c in cols]
        lines.append(" ".join(repr(float(v)) for v in x_knots))
        lines.append(" ".join(repr(float(v)) for v in qk))
        lines.append(" ".join(str(p) for p in pids))
        lines.extend(" ".join(f"{v: .16e}" for v in row) for row in np.column_stack(cols))
        lines.append("---")
    path.write_text("\n".join(lines) + "\n")
    return path


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
        return GRV94LO()
    p = Path(name)
    if p.exists():
        return LHAGrid(p, member=member, extrapolate=extrapolate)
    for d in _search_path():
        for cand in (d / name, d / f"{name}_{member:04d}.dat"):
            if cand.exists():
                return LHAGrid(cand, member=member, extrapolate=extrapolate)
    raise FileNotFoundError(f"PDF {name!r} not found: not a file, and not in LHAPDF_DATA_PATH "
                            f"({os.pathsep.join(map(str, _search_path())) or 'unset'})")
