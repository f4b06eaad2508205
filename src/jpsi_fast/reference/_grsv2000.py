"""GRSV 2000 LO polarized (helicity) parton distributions from the authors' grid files
(docs/physics.md §11), and the positivity clamp |x Delta f| <= x f.

Grid: 41 x knots (1e-4 ... 0.9) x 30 Q^2 knots (0.8 ... 1e6 GeV^2), x outer, Q^2 inner,
8 columns per line: x Du, x Dd, x Dubar, x Ddbar, x Ds (= x Dsbar), x Dg, g1p, g1n.
A zero row is appended at x = 1.

Interpolation (as the authors' reader, CERNLIB E104 linear interpolation in 2-d):
each column is divided by x^a (1-x)^b at the knots, then interpolated bilinearly in
(ln x, ln Q^2) on the knot interval [j-1, j], with j the first knot >= the argument
(j = 1 at the lower edge, the last knot above the grid: linear extrapolation from the
edge intervals), and multiplied back by x^a (1-x)^b at the argument.
"""

import os
from pathlib import Path

import numpy as np

#: the x knots of the grid files (x = 1 is the appended zero row)
GRSV_X_KNOTS = np.array([
    1e-4, 1.5e-4, 2.2e-4, 3.2e-4, 4.8e-4, 7e-4,
    1e-3, 1.5e-3, 2.2e-3, 3.2e-3, 4.8e-3, 7e-3,
    1e-2, 1.5e-2, 2.2e-2, 3.2e-2, 5.0e-2, 7.5e-2,
    0.1, 0.125, 0.15, 0.175, 0.2, 0.225, 0.25, 0.275,
    0.3, 0.325, 0.35, 0.375, 0.4, 0.45, 0.5, 0.55,
    0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0,
])
#: the Q^2 knots [GeV^2]
GRSV_Q2_KNOTS = np.array([
    0.8, 1.0, 1.25, 1.5, 2.0, 2.5, 4.0, 6.4, 10.0, 15.0, 25.0, 40.0, 64.0,
    1e2, 1.8e2, 3.2e2, 5.8e2, 1e3, 1.8e3, 3.2e3, 5.8e3, 1e4, 1.8e4, 3.2e4, 5.8e4,
    1e5, 1.8e5, 3.2e5, 5.8e5, 1e6,
])

#: column name -> (column index in the file, a, b): the column is divided by x^a (1-x)^b
_COLUMNS = {
    "u": (0, 1.0, 3), "d": (1, 1.0, 4), "ubar": (2, 0.5, 8), "dbar": (3, 0.5, 8),
    "s": (4, 0.5, 8), "g": (5, 0.5, 5), "g1p": (6, 0.0, 3), "g1n": (7, 0.0, 3),
}
#: PDG id -> column name; +-3 both give Delta s; 0 and 21 the gluon
_PID_COLUMN = {2: "u", 1: "d", -2: "ubar", -1: "dbar", 3: "s", -3: "s", 21: "g", 0: "g"}

X_RANGE = (1e-4, 1.0)
Q2_RANGE = (0.8, 1e6)


def default_grsv_path(scenario="std"):
    """Path of the GRSV 2000 LO grid of ``scenario`` ("std" or "val") in ../shared
    (or $JPSI_FAST_SHARED) beside the checkout."""
    if scenario not in ("std", "val"):
        raise ValueError(f"scenario must be 'std' or 'val', not {scenario!r}")
    shared = os.environ.get("JPSI_FAST_SHARED")
    if shared is None:
        # src/jpsi_fast/reference/_grsv2000.py -> <checkout>/../shared
        shared = Path(__file__).resolve().parents[4] / "shared"
    return Path(shared) / "pdfsets" / "grsv2000" / f"{scenario}2000_lo_g1.grid"


def _edge_interval(knots_log, arg_log):
    """Index j (>= 1) and weight of knot j for linear interpolation on [j-1, j]:
    j = first knot with arg <= knot; j = 1 below the first knot; j = n-1 above the last."""
    n = len(knots_log)
    j = np.searchsorted(knots_log, arg_log, side="left")  # first index with knot >= arg
    j = np.clip(j, 1, n - 1)
    lo, hi = knots_log[j - 1], knots_log[j]
    weight_hi = (arg_log - lo) / (hi - lo)  # = 1 - D of E104
    return j, weight_hi


class GRSV2000:
    """GRSV 2000 LO helicity PDFs read from a grid file (``path``; default: the standard
    scenario in ../shared).  xfxQ2(pid, x, Q2) -> x * Delta f, numpy broadcasting.

    PDG ids: 2 u, 1 d, -2 ubar, -1 dbar, +-3 s (= sbar), 21 (or 0) gluon; the grid has no
    charm or heavier flavours: +-4, +-5, +-6 give 0.  g1p/g1n: structure functions g1 (not x g1).
    Range 1e-4 <= x <= 1, 0.8 <= Q^2 <= 1e6 GeV^2, else ValueError.
    """

    def __init__(self, path=None):
        self.path = str(default_grsv_path() if path is None else path)
        rows = []
        with open(self.path) as fh:
            for line in fh:
                if line.strip():
                    rows.append([float(v) for v in line.split()])
        table = np.array(rows, dtype=float)
        nx, nq = len(GRSV_X_KNOTS) - 1, len(GRSV_Q2_KNOTS)
        if table.shape != (nx * nq, 8):
            raise ValueError(f"{self.path}: expected {nx * nq} lines of 8 numbers, got {table.shape}")
        table = table.reshape(nx, nq, 8)  # x outer, Q^2 inner
        self._logx = np.log(GRSV_X_KNOTS)
        self._logq2 = np.log(GRSV_Q2_KNOTS)
        xk = GRSV_X_KNOTS[:-1, None]
        self._reduced = {}
        for name, (col, a, b) in _COLUMNS.items():
            red = np.zeros((nx + 1, nq))
            red[:-1] = table[:, :, col] / (xk**a * (1.0 - xk) ** b)
            self._reduced[name] = red  # row x = 1 stays 0

    def _column(self, name, x, Q2):
        x, Q2 = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(Q2, dtype=float))
        if not np.all(np.isfinite(x)) or not np.all(np.isfinite(Q2)):
            raise ValueError("x and Q2 must be finite")
        if np.any((x < X_RANGE[0]) | (x > X_RANGE[1])):
            raise ValueError(f"x outside the GRSV 2000 range [{X_RANGE[0]}, {X_RANGE[1]}]")
        if np.any((Q2 < Q2_RANGE[0]) | (Q2 > Q2_RANGE[1])):
            raise ValueError(f"Q2 outside the GRSV 2000 range [{Q2_RANGE[0]}, {Q2_RANGE[1]}] GeV^2")
        _, a, b = _COLUMNS[name]
        red = self._reduced[name]
        jx, tx = _edge_interval(self._logx, np.log(x))
        jq, tq = _edge_interval(self._logq2, np.log(Q2))
        value = ((1 - tx) * (1 - tq) * red[jx - 1, jq - 1] + tx * (1 - tq) * red[jx, jq - 1]
                 + (1 - tx) * tq * red[jx - 1, jq] + tx * tq * red[jx, jq])
        return (value * x**a * (1.0 - x) ** b)[()]

    def xfxQ2(self, pid, x, Q2):
        """x * Delta f_pid(x, Q^2), Q2 in GeV^2."""
        pid = int(pid)
        if pid in (4, -4, 5, -5, 6, -6):
            x, Q2 = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(Q2, dtype=float))
            self._column("u", x, Q2)  # range checks
            return np.zeros(x.shape)[()]
        if pid not in _PID_COLUMN:
            raise ValueError(f"unknown PDG id {pid}")
        return self._column(_PID_COLUMN[pid], x, Q2)

    def xfxQ(self, pid, x, Q):
        """x * Delta f_pid(x, Q), Q in GeV (= xfxQ2(pid, x, Q*Q))."""
        Q = np.asarray(Q, dtype=float)
        return self.xfxQ2(pid, x, Q * Q)

    def g1p(self, x, Q2):
        """Proton structure function g1 (not x g1) from the grid."""
        return self._column("g1p", x, Q2)

    def g1n(self, x, Q2):
        """Neutron structure function g1 (not x g1) from the grid."""
        return self._column("g1n", x, Q2)


def clamp_positivity(x_delta_f, x_f):
    """Positivity clamp per flavour: sign(Delta f) * min(|Delta f|, f), with f < 0 taken as 0
    (so |result| <= max(f, 0)).  Works on x*f and x*Delta f alike (numpy broadcasting)."""
    d = np.asarray(x_delta_f, dtype=float)
    f = np.maximum(np.asarray(x_f, dtype=float), 0.0)
    return (np.sign(d) * np.minimum(np.abs(d), f))[()]

