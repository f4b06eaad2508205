"""Reader for LHAPDF ``lhagrid1`` member files and LHAPDF 6.2's LogBicubicInterpolator,
as specified in docs/physics.md §6.  Returns x*f; Q in GeV, Q2 in GeV^2.
"""

import numpy as np


def _hermite(t, v_l, d_l, v_h, d_h):
    """Cubic Hermite h(t; v_l, d_l, v_h, d_h) (LHAPDF's _interpolateCubic, same operation order)."""
    t2 = t * t
    t3 = t2 * t
    p0 = (2 * t3 - 3 * t2 + 1) * v_l
    m0 = (t3 - 2 * t2 + t) * d_l
    p1 = (-2 * t3 + 3 * t2) * v_h
    m1 = (t3 - t2) * d_h
    return p0 + m0 + p1 + m1


class _Subgrid:
    """One subgrid block: x knots, Q^2 knots (= file Q knots squared), and per flavour
    the x*f table f[ix, iq] plus the knot slopes g[ix, iq] = d(xf)/d(ln x)."""

    def __init__(self, xs, qs, pids, table):
        self.xs = np.array(xs, dtype=float)
        self.q2s = np.array(qs, dtype=float) ** 2  # LHAPDF stores Q*Q
        self.logxs = np.log(self.xs)
        self.logq2s = np.log(self.q2s)
        nx, nq = len(self.xs), len(self.q2s)
        table = np.asarray(table, dtype=float)
        if table.shape != (nx * nq, len(pids)):
            raise ValueError(f"lhagrid1 block: expected {nx * nq} rows of {len(pids)} values, "
                             f"got shape {table.shape}")
        self.f = {}
        self.g = {}
        for j, pid in enumerate(pids):
            f = table[:, j].reshape(nx, nq)  # Q runs fastest
            self.f[pid] = f
            self.g[pid] = self._slopes(f)

    def _slopes(self, f):
        """d f / d ln x at every knot: mean of left and right differences inside,
        forward difference at i = 0, backward at i = n_x - 1."""
        lx = self.logxs[:, None]
        g = np.empty_like(f)
        left = (f[1:-1] - f[:-2]) / (lx[1:-1] - lx[:-2])
        right = (f[2:] - f[1:-1]) / (lx[2:] - lx[1:-1])
        g[1:-1] = (left + right) / 2.0
        g[0] = (f[1] - f[0]) / (lx[1] - lx[0])
        g[-1] = (f[-1] - f[-2]) / (lx[-1] - lx[-2])
        return g

    def interpolate(self, pid, x, q2):
        """LogBicubicInterpolator for 1-d arrays x, q2 inside this subgrid's range."""
        f, g = self.f[pid], self.g[pid]
        nx, nq = len(self.xs), len(self.q2s)
        # knot intervals: x_ix <= x < x_ix+1, clamped to n-2 at the top (upper_bound - 1)
        ix = np.minimum(np.searchsorted(self.xs, x, side="right"), nx - 1) - 1
        iq = np.minimum(np.searchsorted(self.q2s, q2, side="right"), nq - 1) - 1
        logx = np.log(x)
        logq2 = np.log(q2)

        dlogx = self.logxs[ix + 1] - self.logxs[ix]
        tx = (logx - self.logxs[ix]) / dlogx

        def v(j):
            """Hermite interpolation in ln x at Q knot index j (array)."""
            j = np.clip(j, 0, nq - 1)  # out-of-range j only where the value is not used
            return _hermite(tx, f[ix, j], g[ix, j] * dlogx, f[ix + 1, j], g[ix + 1, j] * dlogx)

        v_l = v(iq)
        v_h = v(iq + 1)
        dlogq1 = self.logq2s[iq + 1] - self.logq2s[iq]
        tq = (logq2 - self.logq2s[iq]) / dlogq1

        if nq < 4:
            # fewer than 4 Q knots: linear in ln Q^2 between v(iq) and v(iq+1) (docs/physics.md §6)
            return v_l + tq * (v_h - v_l)

        iqm = np.maximum(iq - 1, 0)
        iqp = np.minimum(iq + 2, nq - 1)
        dlogq0 = np.where(iq > 0, self.logq2s[iq] - self.logq2s[iqm], 1.0)
        dlogq2 = np.where(iq + 1 < nq - 1, self.logq2s[iqp] - self.logq2s[iq + 1], 1.0)
        s = (v_h - v_l) / dlogq1
        d_l_inner = (s + (v_l - v(iq - 1)) / dlogq0) / 2.0
        d_h_inner = (s + (v(iq + 2) - v_h) / dlogq2) / 2.0
        at_low = iq == 0
        at_high = iq + 1 == nq - 1
        d_l = np.where(at_low, s, d_l_inner)
        d_h = np.where(at_high, s, d_h_inner)
        return _hermite(tq, v_l, d_l * dlogq1, v_h, d_h * dlogq1)


def _read_lhagrid1(path):
    """Parse a member file: header up to '---', then blocks each ended by '---'."""
    with open(path) as fh:
        lines = [ln.strip() for ln in fh]
    lines = [ln for ln in lines if not ln.startswith("#")]
    try:
        start = lines.index("---") + 1
    except ValueError:
        raise ValueError(f"{path}: no '---' header separator (not an lhagrid1 file?)") from None
    header = lines[:start - 1]
    subgrids = []
    block = []
    for ln in lines[start:]:
        if ln == "---":
            if block:
                xs = [float(t) for t in block[0].split()]
                qs = [float(t) for t in block[1].split()]
                pids = [int(t) for t in block[2].split()]
                table = [[float(t) for t in row.split()] for row in block[3:]]
                subgrids.append(_Subgrid(xs, qs, pids, table))
            block = []
        elif ln:
            block.append(ln)
    if block:
        raise ValueError(f"{path}: last block not terminated by '---'")
    if not subgrids:
        raise ValueError(f"{path}: no subgrid blocks")
    return header, subgrids


class LHAGrid:
    """An LHAPDF lhagrid1 member (.dat) with LHAPDF 6.2's LogBicubicInterpolator (docs/physics.md §6).

    xfxQ2(pid, x, Q2) / xfxQ(pid, x, Q) -> x*f, numpy broadcasting.  pid 0 means gluon (21);
    flavours absent from the file give 0.  Outside the grid's x or Q range: ValueError, unless
    ``extrapolate="nearest"``, which freezes x and Q^2 at the grid edge.
    """

    def __init__(self, path, extrapolate=None):
        if extrapolate not in (None, "nearest"):
            raise ValueError(f"extrapolate must be None or 'nearest', not {extrapolate!r}")
        self.path = str(path)
        self.extrapolate = extrapolate
        self.header, self.subgrids = _read_lhagrid1(self.path)
        # subgrid lower Q^2 edges, ascending
        self.subgrids.sort(key=lambda sg: sg.q2s[0])
        self._q2_lower_edges = np.array([sg.q2s[0] for sg in self.subgrids])
        self.x_min = min(sg.xs[0] for sg in self.subgrids)
        self.x_max = max(sg.xs[-1] for sg in self.subgrids)
        self.q2_min = self.subgrids[0].q2s[0]
        self.q2_max = self.subgrids[-1].q2s[-1]
        self.pids = tuple(sorted(set().union(*(sg.f.keys() for sg in self.subgrids))))

    def xfxQ2(self, pid, x, Q2):
        """x * f_pid(x, Q^2), Q2 in GeV^2."""
        pid = int(pid)
        if pid == 0:
            pid = 21
        x, Q2 = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(Q2, dtype=float))
        shape = x.shape
        x = x.ravel()
        Q2 = Q2.ravel()
        if not np.all(np.isfinite(x)) or not np.all(np.isfinite(Q2)):
            raise ValueError("x and Q2 must be finite")
        if self.extrapolate == "nearest":
            x = np.clip(x, self.x_min, self.x_max)
            Q2 = np.clip(Q2, self.q2_min, self.q2_max)
        else:
            if np.any((x < self.x_min) | (x > self.x_max)):
                raise ValueError(f"x outside the grid range [{self.x_min}, {self.x_max}]")
            if np.any((Q2 < self.q2_min) | (Q2 > self.q2_max)):
                raise ValueError(f"Q2 outside the grid range [{self.q2_min}, {self.q2_max}] GeV^2")
        result = np.zeros(x.shape)
        if pid not in self.pids:
            return result.reshape(shape)[()]
        # subgrid with the largest lower Q^2 edge <= Q2
        isub = np.searchsorted(self._q2_lower_edges, Q2, side="right") - 1
        for k, sg in enumerate(self.subgrids):
            sel = isub == k
            if np.any(sel) and pid in sg.f:
                result[sel] = sg.interpolate(pid, x[sel], Q2[sel])
        return result.reshape(shape)[()]

    def xfxQ(self, pid, x, Q):
        """x * f_pid(x, Q), Q in GeV (= xfxQ2(pid, x, Q*Q))."""
        Q = np.asarray(Q, dtype=float)
        return self.xfxQ2(pid, x, Q * Q)
