# cython: language_level=3
"""Parton distributions evaluated in C without the GIL (SPEC section 6).

* GRV94 LO, analytic (``PDF_GRV94_EXACT``) and tabulated (``PDF_GRV94_TABLE``): ln(x f) of g, u, d, s, ubar,
  dbar and of the charge-weighted light-quark sum tabulated as bicubic Hermite data (value and derivatives,
  the derivatives by central differences of the analytic form) on a uniform grid in u = ln(x/(1-x)) and
  v = ln Q^2; outside the table and for c, b the analytic form is used.
* LHAPDF ``lhagrid1`` (``PDF_LHAGRID``): LHAPDF 6.2 ``LogBicubicInterpolator``, re-implemented from the
  description in SPEC section 6.

The Python classes in :mod:`jpsi_fast.pdf` wrap these cores, parse files and validate arguments.
"""
import numpy as np
cimport numpy as cnp
from libc.math cimport log, exp, sqrt, pow

include "_grv94_coefficients.pxi"

cnp.import_array()

# ---------------------------------------------------------------- GRV94 LO, analytic
cdef enum:
    D_UV = 0
    D_DV = 1
    D_UDBAR = 2
    D_DELTA = 3
    D_G = 4
    D_SBAR = 5
    D_CBAR = 6
    D_BBAR = 7
    P_N = 0
    P_A_EXP = 1      # "a"
    P_B_EXP = 2      # "b"
    P_A = 3          # "A"
    P_B = 4          # "B"
    P_C = 5
    P_D = 6
    P_ALPHA = 7
    P_BETA = 8
    P_E = 9
    P_EPRIME = 10
    P_STH = 11

cdef double GRV_COEF[GRV_N_DIST][GRV_N_PAR][GRV_N_POW]
cdef int GRV_FORM[GRV_N_DIST]
cdef double GRV_LAMBDA2 = GRV_LAMBDA * GRV_LAMBDA
cdef double GRV_LOG_MU0 = log(GRV_MU0_SQ / (GRV_LAMBDA * GRV_LAMBDA))


def _init_grv_tables():
    cdef int i, j, k, n = 0
    for i in range(GRV_N_DIST):
        GRV_FORM[i] = GRV_FORMS[i]
        for j in range(GRV_N_PAR):
            for k in range(GRV_N_POW):
                GRV_COEF[i][j][k] = GRV_COEF_FLAT[n]
                n += 1


_init_grv_tables()


cdef inline double grv_s(double q2) noexcept nogil:
    """GRV evolution variable s = ln[ln(Q^2/Lambda^2) / ln(mu0^2/Lambda^2)], 0 for Q^2 <= mu0^2."""
    if q2 <= GRV_MU0_SQ:
        return 0.0
    return log(log(q2 / GRV_LAMBDA2) / GRV_LOG_MU0)


cdef inline double grv_par(int d, int p, const double* spow) noexcept nogil:
    cdef const double* c = &GRV_COEF[d][p][0]
    return c[0] + c[1] * spow[1] + c[2] * spow[2] + c[3] * spow[3] + c[4] * spow[4]


cdef double grv_distribution(int d, double x, double s, const double* spow, double lx) noexcept nogil:
    """x * (distribution d) in the GRV94 functional forms; lx = ln(1/x)."""
    cdef double a, b, A, B, C, D, al, be, E, Ep, sth
    cdef int form = GRV_FORM[d]
    a = grv_par(d, P_A_EXP, spow)
    A = grv_par(d, P_A, spow)
    B = grv_par(d, P_B, spow)
    D = grv_par(d, P_D, spow)
    if form == 0:                      # valence: N x^a (1 + A x^b + x (B + C sqrt x)) (1-x)^D
        b = grv_par(d, P_B_EXP, spow)
        C = grv_par(d, P_C, spow)
        return (grv_par(d, P_N, spow) * pow(x, a) * (1.0 + A * pow(x, b) + x * (B + C * sqrt(x)))
                * pow(1.0 - x, D))
    al = grv_par(d, P_ALPHA, spow)
    be = grv_par(d, P_BETA, spow)
    E = grv_par(d, P_E, spow)
    Ep = grv_par(d, P_EPRIME, spow)
    if form == 1:                      # sea / gluon
        b = grv_par(d, P_B_EXP, spow)
        C = grv_par(d, P_C, spow)
        return ((pow(x, a) * (A + B * x + C * x * x) * pow(lx, b)
                 + pow(s, al) * exp(-E + sqrt(Ep * pow(s, be) * lx))) * pow(1.0 - x, D))
    sth = grv_par(d, P_STH, spow)      # heavy / strange, zero below threshold
    if s <= sth:
        return 0.0
    return (pow(s - sth, al) / pow(lx, a) * (1.0 + A * sqrt(x) + B * x) * pow(1.0 - x, D)
            * exp(-E + sqrt(Ep * pow(s, be) * lx)))


cdef inline void grv_spow(double s, double* spow) noexcept nogil:
    spow[0] = 1.0
    spow[1] = sqrt(s)
    spow[2] = s
    spow[3] = s * s
    spow[4] = s * s * s


cdef void grv94_partons_at_s(double x, double s, double* out) noexcept nogil:
    """Kernel partons (g, u, d, s, ubar, dbar, sbar) of analytic GRV94 at evolution variable s."""
    cdef double spow[5]
    cdef double lx = log(1.0 / x)
    cdef double uv, dv, udbar, delta, ubar, dbar, strange
    grv_spow(s, spow)
    uv = grv_distribution(D_UV, x, s, spow, lx)
    dv = grv_distribution(D_DV, x, s, spow, lx)
    udbar = grv_distribution(D_UDBAR, x, s, spow, lx)
    delta = grv_distribution(D_DELTA, x, s, spow, lx)
    ubar = 0.5 * (udbar - delta)
    dbar = 0.5 * (udbar + delta)
    strange = grv_distribution(D_SBAR, x, s, spow, lx)
    out[0] = grv_distribution(D_G, x, s, spow, lx)
    out[1] = uv + ubar
    out[2] = dv + dbar
    out[3] = strange
    out[4] = ubar
    out[5] = dbar
    out[6] = strange


cdef double grv94_heavy(int pid, double x, double q2) noexcept nogil:
    cdef double spow[5]
    cdef double s = grv_s(q2)
    grv_spow(s, spow)
    return grv_distribution(D_CBAR if (pid == 4 or pid == -4) else D_BBAR, x, s, spow, log(1.0 / x))


# ---------------------------------------------------------------- tabulated GRV94
cdef inline bint table_partons(const PDFView* pdf, double x, double q2, double* out) noexcept nogil:
    """Kernel partons from the table: g, then u, d, s, ubar, dbar, and sbar = s (GRV94)."""
    if not table_interp(pdf, x, q2, TAB_U, 5, out + 1):
        return False
    table_interp(pdf, x, q2, TAB_G, 1, out)
    out[6] = out[3]
    return True


# ---------------------------------------------------------------- LHAPDF lhagrid1, log-bicubic
cdef inline int find_interval(const double* knots, int n, double v) noexcept nogil:
    """Largest i with knots[i] <= v, clamped to [0, n - 2]."""
    cdef int lo = 0, hi = n - 1, mid
    if v >= knots[n - 1]:
        return n - 2
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if knots[mid] <= v:
            lo = mid
        else:
            hi = mid
    return lo


cdef inline double hermite(double t, double vl, double dl, double vh, double dh) noexcept nogil:
    cdef double t2 = t * t, t3 = t2 * t
    return ((2.0 * t3 - 3.0 * t2 + 1.0) * vl + (t3 - 2.0 * t2 + t) * dl
            + (-2.0 * t3 + 3.0 * t2) * vh + (t3 - t2) * dh)


cdef inline double lha_xline(const LHASubgrid* g, int nflav, int fl, int ix, int jq, double tx,
                             double dlx) noexcept nogil:
    """x-direction Hermite interpolation at Q knot jq (slopes d f / d ln x times the interval)."""
    cdef int lo = (ix * g.nq + jq) * nflav + fl, hi = ((ix + 1) * g.nq + jq) * nflav + fl
    return hermite(tx, g.xf[lo], g.dxf_dlogx[lo] * dlx, g.xf[hi], g.dxf_dlogx[hi] * dlx)


cdef double lha_xfx_slot(const PDFView* pdf, int fl, double x, double q2) noexcept nogil:
    cdef int isub = 0, k, ix, iq
    cdef const LHASubgrid* g
    cdef double lx, lq2, dlx, tx, tq, dq0, dq1, dq2, vl, vh, sl, dl, dh
    if pdf.extrapolate_nearest:
        x = min(max(x, pdf.xmin), pdf.xmax)
        q2 = min(max(q2, pdf.q2min), pdf.q2max)
    for k in range(1, pdf.nsub):
        if pdf.sub_q2lo[k] <= q2:
            isub = k
    g = &pdf.sub[isub]
    lx = log(x)
    lq2 = log(q2)
    ix = find_interval(g.logx, g.nx, lx)
    iq = find_interval(g.logq2, g.nq, lq2)
    dlx = g.logx[ix + 1] - g.logx[ix]
    tx = (lx - g.logx[ix]) / dlx
    dq1 = g.logq2[iq + 1] - g.logq2[iq]
    tq = (lq2 - g.logq2[iq]) / dq1
    vl = lha_xline(g, pdf.nflav, fl, ix, iq, tx, dlx)
    vh = lha_xline(g, pdf.nflav, fl, ix, iq + 1, tx, dlx)
    if g.nq < 4:
        return vl + tq * (vh - vl)
    sl = (vh - vl) / dq1
    if iq == 0:
        dl = sl
    else:
        dq0 = g.logq2[iq] - g.logq2[iq - 1]
        dl = 0.5 * (sl + (vl - lha_xline(g, pdf.nflav, fl, ix, iq - 1, tx, dlx)) / dq0)
    if iq + 1 == g.nq - 1:
        dh = sl
    else:
        dq2 = g.logq2[iq + 2] - g.logq2[iq + 1]
        dh = 0.5 * (sl + (lha_xline(g, pdf.nflav, fl, ix, iq + 2, tx, dlx) - vh) / dq2)
    return hermite(tq, vl, dl * dq1, vh, dh * dq1)


# ---------------------------------------------------------------- dispatch (the .pxd interface)
cdef int KERNEL_PIDS[N_PARTONS]
KERNEL_PIDS[:] = [21, 2, 1, 3, -2, -1, -3]


cdef inline int kernel_index(int pid) noexcept nogil:
    """Index of a PDG id in the kernel order g, u, d, s, ubar, dbar, sbar; -1 for c, b, t."""
    if pid == 21 or pid == 0:
        return 0
    if pid == 2:
        return 1
    if pid == 1:
        return 2
    if pid == 3:
        return 3
    if pid == -2:
        return 4
    if pid == -1:
        return 5
    if pid == -3:
        return 6
    return -1


cdef void pdf_partons(const PDFView* pdf, double x, double q2, double* out) noexcept nogil:
    """x*f of g, u, d, s, ubar, dbar, sbar at (x, Q^2) into out[0..6]."""
    cdef int k, slot
    if pdf.kind == PDF_GRV94_TABLE:
        if table_partons(pdf, x, q2, out):
            return
        grv94_partons_at_s(x, grv_s(q2), out)
    elif pdf.kind == PDF_GRV94_EXACT:
        grv94_partons_at_s(x, grv_s(q2), out)
    else:
        for k in range(N_PARTONS):
            slot = pdf.slot[KERNEL_PIDS[k] + 6 if KERNEL_PIDS[k] != 21 else 6]
            out[k] = lha_xfx_slot(pdf, slot, x, q2) if slot >= 0 else 0.0


cdef double pdf_xfx(const PDFView* pdf, int pid, double x, double q2) noexcept nogil:
    """x*f(x, Q^2) of one parton (PDG id; 21 or 0 = gluon); 0 for flavours the PDF does not have."""
    cdef double buf[N_PARTONS]
    cdef int k
    if pid == 21:
        pid = 0
    if pid < -6 or pid > 6:
        return 0.0
    if pdf.kind == PDF_LHAGRID:
        k = pdf.slot[pid + 6]
        return lha_xfx_slot(pdf, k, x, q2) if k >= 0 else 0.0
    k = kernel_index(pid)
    if k < 0:
        return grv94_heavy(pid, x, q2) if (pid != 6 and pid != -6) else 0.0
    pdf_partons(pdf, x, q2, buf)
    return buf[k]


# ---------------------------------------------------------------- Python-visible cores
cdef class PDFCore:
    """C data of one PDF; subclasses fill ``view``. Evaluate with :meth:`xfx_q2` (arrays, no validation)."""

    def xfx_q2(self, const int[::1] pid, const double[::1] x, const double[::1] q2, double[::1] out):
        cdef Py_ssize_t i, n = x.shape[0]
        cdef const PDFView* v = &self.view
        with nogil:
            for i in range(n):
                out[i] = pdf_xfx(v, pid[i], x[i], q2[i])

    def partons(self, const double[::1] x, const double[::1] q2):
        """(7, n) array of x*f for g, u, d, s, ubar, dbar, sbar (the kernels' order)."""
        cdef Py_ssize_t i, k, n = x.shape[0]
        out = np.empty((N_PARTONS, n))
        cdef double[:, ::1] o = out
        cdef double buf[N_PARTONS]
        with nogil:
            for i in range(n):
                pdf_partons(&self.view, x[i], q2[i], buf)
                for k in range(N_PARTONS):
                    o[k, i] = buf[k]
        return out

    @property
    def kind(self):
        return self.view.kind


cdef class GRV94Core(PDFCore):
    """GRV94 LO; ``exact=False`` builds the ln(x f) table (nu x nv knots in ln(x/(1-x)) and ln Q^2) over
    x in [xmin, xmax], Q in [qmin, qmax] GeV."""
    cdef public double xmin, xmax, qmin, qmax

    def __init__(self, bint exact=False, int nu=256, int nv=48, double xmin=1e-5, double xmax=0.999,
                 double qmin=1.0, double qmax=1000.0):
        self.xmin, self.xmax, self.qmin, self.qmax = xmin, xmax, qmin, qmax
        self.view.kind = PDF_GRV94_EXACT
        if not exact:
            self._build_table(nu, nv)

    def _build_table(self, int nu, int nv):
        cdef double u0 = log(self.xmin / (1.0 - self.xmin)), u1 = log(self.xmax / (1.0 - self.xmax))
        cdef double v0 = log(self.qmin * self.qmin), v1 = log(self.qmax * self.qmax)
        cdef double du = (u1 - u0) / (nu - 1), dv = (v1 - v0) / (nv - 1), h = 1e-4
        cdef int i, j, k, a, b
        cdef double p[N_PARTONS]
        cdef double f[3][3][TAB_N]
        table = np.zeros((nu, nv, TAB_N, 4))
        cdef double[:, :, :, ::1] t = table
        with nogil:
            for i in range(nu):
                for j in range(nv):
                    for a in range(3):
                        for b in range(3):
                            grv94_partons_at_s(1.0 / (1.0 + exp(-(u0 + i * du + (a - 1) * h))),
                                               grv_s(exp(v0 + j * dv + (b - 1) * h)), p)
                            f[a][b][TAB_G] = log(p[0])
                            f[a][b][TAB_CHARGE_SUM] = log(4.0 / 9.0 * (p[1] + p[4]) + (p[2] + p[3] + p[5] + p[6]) / 9.0)
                            for k in range(5):
                                f[a][b][TAB_U + k] = log(p[1 + k])
                    for k in range(TAB_N - 1):       # value and central-difference derivatives of ln(x f)
                        t[i, j, k, 0] = f[1][1][k]
                        t[i, j, k, 1] = (f[2][1][k] - f[0][1][k]) / (2 * h)
                        t[i, j, k, 2] = (f[1][2][k] - f[1][0][k]) / (2 * h)
                        t[i, j, k, 3] = (f[2][2][k] - f[2][0][k] - f[0][2][k] + f[0][0][k]) / (4 * h * h)
        if not np.all(np.isfinite(table)):
            raise RuntimeError("GRV94 table: non-positive parton density inside the tabulated range")
        self._keep = table
        self.view.kind = PDF_GRV94_TABLE
        self.view.nu, self.view.nv = nu, nv
        self.view.u0, self.view.du, self.view.v0, self.view.dv = u0, du, v0, dv
        self.view.inv_du, self.view.inv_dv = 1.0 / du, 1.0 / dv
        self.view.table = &t[0, 0, 0, 0]


cdef class LHAGridCore(PDFCore):
    """lhagrid1 data: ``subgrids`` is a list of (x_knots, Q_knots [GeV], values[nx*nq, nflav]) with Q fastest."""

    def __init__(self, list subgrids, pids, bint extrapolate_nearest=False):
        cdef int k, i, j, f, nx, nq, nflav = len(pids)
        cdef double[:, :, ::1] xf, dxf
        cdef double[::1] lx
        if not 1 <= len(subgrids) <= MAX_SUBGRIDS:
            raise ValueError(f"lhagrid1: between 1 and {MAX_SUBGRIDS} subgrids supported, got {len(subgrids)}")
        self.view.kind = PDF_LHAGRID
        self.view.nflav = nflav
        self.view.nsub = len(subgrids)
        self.view.extrapolate_nearest = extrapolate_nearest
        for k in range(13):
            self.view.slot[k] = -1
        for k, pid in enumerate(pids):
            pid = 0 if pid == 21 else int(pid)
            if -6 <= pid <= 6:
                self.view.slot[pid + 6] = k
        keep = []
        for k, (xk, qk, values) in enumerate(subgrids):
            nx, nq = len(xk), len(qk)
            arr_lx = np.array([log(v) for v in xk], dtype=np.float64)
            arr_lq = np.array([2.0 * log(v) for v in qk], dtype=np.float64)
            arr_xf = np.ascontiguousarray(values, dtype=np.float64).reshape(nx, nq, nflav)
            arr_d = np.empty_like(arr_xf)
            xf, dxf, lx = arr_xf, arr_d, arr_lx
            for i in range(nx):              # knot slopes d f / d ln x (SPEC 6)
                for j in range(nq):
                    for f in range(nflav):
                        if i == 0:
                            dxf[i, j, f] = (xf[1, j, f] - xf[0, j, f]) / (lx[1] - lx[0])
                        elif i == nx - 1:
                            dxf[i, j, f] = (xf[i, j, f] - xf[i - 1, j, f]) / (lx[i] - lx[i - 1])
                        else:
                            dxf[i, j, f] = 0.5 * ((xf[i + 1, j, f] - xf[i, j, f]) / (lx[i + 1] - lx[i])
                                                  + (xf[i, j, f] - xf[i - 1, j, f]) / (lx[i] - lx[i - 1]))
            keep.append((arr_lx, arr_lq, arr_xf, arr_d))
            self.view.sub[k].nx = nx
            self.view.sub[k].nq = nq
            self.view.sub[k].logx = <const double*>cnp.PyArray_DATA(arr_lx)
            self.view.sub[k].logq2 = <const double*>cnp.PyArray_DATA(arr_lq)
            self.view.sub[k].xf = <const double*>cnp.PyArray_DATA(arr_xf)
            self.view.sub[k].dxf_dlogx = <const double*>cnp.PyArray_DATA(arr_d)
            self.view.sub_q2lo[k] = qk[0] * qk[0]
        self._keep = keep
        self.view.xmin = min(float(s[0][0]) for s in subgrids)
        self.view.xmax = max(float(s[0][len(s[0]) - 1]) for s in subgrids)
        last_q = subgrids[len(subgrids) - 1][1]
        self.view.q2min = float(subgrids[0][1][0]) ** 2
        self.view.q2max = float(last_q[len(last_q) - 1]) ** 2
