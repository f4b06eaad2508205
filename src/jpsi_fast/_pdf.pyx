# cython: language_level=3
"""Parton distributions evaluated in C without the GIL (SPEC section 6).

* GRV94 LO, analytic (``PDF_GRV94_EXACT``) and tabulated (``PDF_GRV94_TABLE``): ln(x f) of g, u, d, s, ubar,
  dbar and of the charge-weighted light-quark sum tabulated as bicubic Hermite data (value and derivatives,
  the derivatives by central differences of the analytic form) on a uniform grid in u = ln(x/(1-x)) and
  v = ln Q^2; outside the table and for c, b the analytic form is used.
* LHAPDF ``lhagrid1`` (``PDF_LHAGRID``): LHAPDF 6.2 ``LogBicubicInterpolator``, re-implemented from the
  description in docs/physics.md section 6, written as a weighted sum of <= 16 knot values whose weights depend
  only on (x, Q^2) and the knots (``lha_weights``), evaluated by the one loop ``lha_dot``; ForcePositive after.
* GRSV 2000 LO helicity PDFs (``GRSV2000Table``, ``grsv_flavours``, docs/physics.md section 11.3): the
  authors' grids embedded as divided knot values (``_grsv2000_tables.pxi``), bilinear in (ln x, ln Q^2); the
  kernels' factors and the positivity clamp (11.19) are ``helicity_charge_sum_gluon`` / ``helicity_combine``.
* Many members at once (``lumi_set_eval``, docs/physics.md section 10.3): for a set whose members share their
  knots the weights are computed once per point and applied to all members, stored member-contiguous.

Every PDF carries its validity range and extrapolation mode in ``PDFView`` (``pdf_range_code``, ``pdf_clamp``).

The Python classes in :mod:`jpsi_fast.pdf` wrap these cores, parse files and validate arguments.
"""
import numpy as np
cimport numpy as cnp
from libc.math cimport log, exp, sqrt, pow, fabs, INFINITY
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from libc.string cimport memcpy

include "_grv94_coefficients.pxi"
include "_grsv2000_tables.pxi"

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


# ---------------------------------------------------------------- LHAPDF lhagrid1, log-bicubic as knot weights
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


cdef inline void add_knot_slope(const double* k, int n, int j, int base, double s, double* c) noexcept nogil:
    """c[i - base] += s * (coefficient of knot value i in the slope at knot j): the slope d f / d(knot variable)
    is the forward difference at the first knot, the backward one at the last and the mean of both inside
    (LHAPDF 6.2, docs/physics.md section 6; the same rule in ln x and in ln Q^2)."""
    cdef double a
    if 0 < j < n - 1:
        s = 0.5 * s
    if j < n - 1:
        a = s / (k[j + 1] - k[j])
        c[j + 1 - base] += a
        c[j - base] -= a
    if j > 0:
        a = s / (k[j] - k[j - 1])
        c[j - base] += a
        c[j - 1 - base] -= a


cdef inline int axis_weights(const double* k, int n, double v, bint cubic, int* base, int* width,
                             double* c) noexcept nogil:
    """Weights c[0..width) of the knot values base..base+width-1 giving the 1-D interpolant at v: the cubic
    Hermite with knot slopes (add_knot_slope) of docs/physics.md section 6, or linear (cubic False).
    Returns the knot interval i (k[i] <= v <= k[i+1], clamped to [0, n-2])."""
    cdef int i = find_interval(k, n, v), a
    cdef double d = k[i + 1] - k[i], t = (v - k[i]) / d
    cdef double h[4]
    if not cubic:
        base[0] = i
        width[0] = 2
        c[0] = 1.0 - t
        c[1] = t
        return i
    width[0] = n if n < 4 else 4
    base[0] = min(max(i - 1, 0), n - width[0])
    for a in range(width[0]):
        c[a] = 0.0
    hermite_basis(t, h)
    c[i - base[0]] += h[0]
    c[i + 1 - base[0]] += h[2]
    add_knot_slope(k, n, i, base[0], h[1] * d, c)
    add_knot_slope(k, n, i + 1, base[0], h[3] * d, c)
    return i


cdef void lha_weights(const PDFView* pdf, double x, double q2, LHAWeights* w) noexcept nogil:
    """Subgrid (the one with the largest lower Q^2 edge <= Q^2), knot stencil and weights of the log-bicubic
    interpolation at (x, Q^2): Hermite in ln x, Hermite in ln Q^2 (linear for subgrids of < 4 Q knots)."""
    cdef int isub = 0, k, a, b, bx, wx, bq, wq, ix, iq
    cdef double cx[4]
    cdef double cq[4]
    cdef const LHASubgrid* g
    for k in range(1, pdf.nsub):
        if pdf.sub_q2lo[k] <= q2:
            isub = k
    g = &pdf.sub[isub]
    ix = axis_weights(g.logx, g.nx, log(x), True, &bx, &wx, cx)
    iq = axis_weights(g.logq2, g.nq, log(q2), g.nq >= 4, &bq, &wq, cq)
    w.isub = isub
    w.cell = ix * (g.nq - 1) + iq
    k = 0
    for a in range(wx):
        for b in range(wq):
            w.knot[k] = (bx + a) * g.nq + bq + b
            w.w[k] = cx[a] * cq[b]
            k += 1
    w.nterm = k


cdef inline int lha_column(const PDFView* pdf, int pid) noexcept nogil:
    """Column of PDG id ``pid`` (0 = gluon) in the grid's values, -1 if the PDF does not have it."""
    cdef int k
    if -6 <= pid <= 6:
        return pdf.slot[pid + 6]
    for k in range(pdf.n_extra):
        if pdf.extra_pid[k] == pid:
            return pdf.extra_slot[k]
    return -1


cdef inline double lha_value(const PDFView* pdf, const LHAWeights* w, int column) noexcept nogil:
    """x f of one column at the point of ``w``, ForcePositive applied (0 for column -1)."""
    cdef double v
    if column < 0:
        return 0.0
    lha_dot(w, pdf.sub[w.isub].xf + column, pdf.nflav, 1, &v)
    return force_positive(v, pdf.force_positive)


# ---------------------------------------------------------------- dispatch (the .pxd interface)
cdef int KERNEL_PIDS[N_PARTONS]
KERNEL_PIDS[:] = [0, 2, 1, 3, -2, -1, -3]       # g (stored as 0), u, d, s, ubar, dbar, sbar


cdef inline int kernel_index(int pid) noexcept nogil:
    """Index of a PDG id (0 = gluon) in the kernel order g, u, d, s, ubar, dbar, sbar; -1 for others."""
    cdef int k
    for k in range(N_PARTONS):
        if KERNEL_PIDS[k] == pid:
            return k
    return -1


cdef void pdf_partons(const PDFView* pdf, double x, double q2, double* out) noexcept nogil:
    """x*f of g, u, d, s, ubar, dbar, sbar at (x, Q^2) into out[0..6] (x, Q^2 frozen at the range edges when
    the PDF extrapolates)."""
    cdef int k
    cdef LHAWeights w
    pdf_clamp(pdf, &x, &q2)
    if pdf.kind == PDF_GRV94_TABLE:
        if table_partons(pdf, x, q2, out):
            return
        grv94_partons_at_s(x, grv_s(q2), out)
    elif pdf.kind == PDF_GRV94_EXACT:
        grv94_partons_at_s(x, grv_s(q2), out)
    else:
        lha_weights(pdf, x, q2, &w)
        for k in range(N_PARTONS):
            out[k] = lha_value(pdf, &w, pdf.slot[KERNEL_PIDS[k] + 6])


cdef void pdf_quarks(const PDFView* pdf, double x, double q2, double* out) noexcept nogil:
    """pdf_partons without the gluon where it costs extra (the GRV94 table: one interpolation call instead of
    two): out[1..6] = x*f of u, d, s, ubar, dbar, sbar; out[0] = x g or 0."""
    cdef double xc = x, q2c = q2
    pdf_clamp(pdf, &xc, &q2c)
    if pdf.kind == PDF_GRV94_TABLE and table_interp(pdf, xc, q2c, TAB_U, 5, out + 1):
        out[0] = 0.0
        out[6] = out[3]
        return
    pdf_partons(pdf, x, q2, out)


cdef double pdf_xfx(const PDFView* pdf, int pid, double x, double q2) noexcept nogil:
    """x*f(x, Q^2) of one parton (PDG id; 21 or 0 = gluon); 0 for flavours the PDF does not have."""
    cdef double buf[N_PARTONS]
    cdef int k
    cdef LHAWeights w
    if pid == 21:
        pid = 0
    pdf_clamp(pdf, &x, &q2)
    if pdf.kind == PDF_LHAGRID:
        k = lha_column(pdf, pid)
        if k < 0:
            return 0.0
        lha_weights(pdf, x, q2, &w)
        return lha_value(pdf, &w, k)
    if pid < -6 or pid > 6:
        return 0.0
    k = kernel_index(pid)
    if k < 0:
        return grv94_heavy(pid, x, q2) if (pid != 6 and pid != -6) else 0.0
    pdf_partons(pdf, x, q2, buf)
    return buf[k]


cdef inline bint same_charges(const double* a, const double* b) noexcept nogil:
    cdef int p
    for p in range(1, N_PARTONS):
        if a[p] != b[p]:
            return False
    return True


cdef void lumi_set_eval(const PDFLumiSet* s, double x, double q2, const double* eq2, double* sumq,
                        double* xg) noexcept nogil:
    """For every member k < s.n_members: sumq[k] = sum_q eq2[q] x f_q^(k) over u, d, s, ubar, dbar, sbar
    (eq2 in kernel parton order, eq2[0] ignored) and xg[k] = x g^(k), at (x, Q^2), as the per-member
    pdf_partons() values combined in the same order (docs/physics.md section 10.3).

    Shared knots: one lha_weights() for all members; x g is bit-identical to the per-member value. sumq: when
    eq2 == s.eq2_sum, the pre-summed charge sum is interpolated and, for each quark that ForcePositive may change
    inside the point's cell (s.safe), corrected by e_q (FP(x f_q) - x f_q): equal to the per-member sum up to the
    rounding of another summation order (~1e-16 of the size of the interpolation's terms); for other eq2 the six
    quarks are interpolated and summed as pdf_charge_sum_gluon does (bit-identical)."""
    cdef LHAWeights w
    cdef int n = s.n_members, cs = s.chunk, k, p, c, c0, nc, fp
    cdef double e
    cdef double buf[N_PARTONS]
    cdef double tmp[N_LIGHT * LUMI_CHUNK]
    cdef const LHASubgrid* g
    cdef const double* fast
    cdef const double* quarks
    cdef Py_ssize_t nknots
    cdef bint presummed
    cdef unsigned char safe
    if not s.shared:
        for k in range(n):
            pdf_partons(s.members[k], x, q2, buf)
            xg[k] = buf[0]
            sumq[k] = 0.0
            for p in range(1, N_PARTONS):
                sumq[k] += eq2[p] * buf[p]
        return
    pdf_clamp(s.geometry, &x, &q2)
    lha_weights(s.geometry, x, q2, &w)
    g = &s.geometry.sub[w.isub]
    nknots = g.nx * g.nq
    fp = s.geometry.force_positive
    presummed = same_charges(eq2, s.eq2_sum)
    safe = s.safe[w.isub][w.cell]
    for c in range(s.n_chunks):
        c0 = c * cs
        nc = min(cs, n - c0)
        fast = s.fast[w.isub] + c * nknots * LUMI_FAST_N * cs
        quarks = s.quarks[w.isub] + c * nknots * N_LIGHT * cs
        # x g in tmp[0, cs), and the pre-summed charge sum in tmp[cs, 2 cs) (adjacent lanes: one pass)
        lha_dot(&w, fast, LUMI_FAST_N * cs, (LUMI_FAST_N if presummed else 1) * cs, tmp)
        if s.has_parton[0] and fp == 0:
            memcpy(xg + c0, tmp, nc * sizeof(double))
        elif s.has_parton[0]:
            for k in range(nc):
                xg[c0 + k] = force_positive(tmp[k], fp)
        else:
            for k in range(nc):
                xg[c0 + k] = 0.0
        if presummed:
            # the sum of the unforced quarks, corrected by the quarks ForcePositive may change in this cell
            memcpy(sumq + c0, tmp + LUMI_SUMQ * cs, nc * sizeof(double))
            for p in range(1, N_PARTONS):
                e = eq2[p]
                if (safe >> (p - 1)) & 1 or not s.has_parton[p] or e == 0.0:
                    continue
                lha_dot(&w, quarks + (p - 1) * cs, N_LIGHT * cs, cs, tmp)
                for k in range(nc):
                    sumq[c0 + k] += e * (force_positive(tmp[k], fp) - tmp[k])
            continue
        lha_dot(&w, quarks, N_LIGHT * cs, N_LIGHT * cs, tmp)
        for k in range(nc):
            sumq[c0 + k] = 0.0
        for p in range(1, N_PARTONS):
            e = eq2[p]
            if not s.has_parton[p] or e == 0.0:      # adds exactly 0 in the per-member sum
                continue
            for k in range(nc):
                sumq[c0 + k] += e * force_positive(tmp[(p - 1) * cs + k], fp)


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

    def range_codes(self, const double[::1] x, const double[::1] q2):
        """pdf_range_code() of each point (0 inside or extrapolating, 5 x outside, 6 Q^2 outside)."""
        cdef Py_ssize_t i, n = x.shape[0]
        out = np.empty(n, dtype=np.intc)
        cdef int[::1] o = out
        with nogil:
            for i in range(n):
                o[i] = pdf_range_code(&self.view, x[i], q2[i])
        return out

    @property
    def kind(self):
        return self.view.kind

    @property
    def x_range(self):
        """(xmin, xmax) of the validity range."""
        return (self.view.xmin, self.view.xmax)

    @property
    def q2_range(self):
        """(Q^2 min, Q^2 max) of the validity range [GeV^2]."""
        return (self.view.q2min, self.view.q2max)

    @property
    def extrapolate_nearest(self):
        return bool(self.view.extrapolate_nearest)

    @property
    def force_positive(self):
        return self.view.force_positive

    cdef void _set_range(self, double xmin, double xmax, double q2min, double q2max, bint nearest):
        self.view.xmin, self.view.xmax, self.view.q2min, self.view.q2max = xmin, xmax, q2min, q2max
        self.view.extrapolate_nearest = nearest


cdef class GRV94Table:
    """ln(x f) of GRV94 LO as bicubic Hermite data (value and central-difference derivatives of the analytic
    form) on nu x nv knots uniform in u = ln(x/(1-x)) and v = ln Q^2, x in [xmin, xmax], Q in [qmin, qmax] GeV."""
    cdef readonly object table
    cdef readonly int nu, nv
    cdef readonly double u0, du, v0, dv

    def __init__(self, int nu, int nv, double xmin, double xmax, double qmin, double qmax, double step):
        cdef double u1 = log(xmax / (1.0 - xmax)), v1 = log(qmax * qmax)
        cdef double u0 = log(xmin / (1.0 - xmin)), v0 = log(qmin * qmin)
        cdef double du = (u1 - u0) / (nu - 1), dv = (v1 - v0) / (nv - 1), h = step
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
        table.setflags(write=False)
        self.table = table
        self.nu, self.nv, self.u0, self.du, self.v0, self.dv = nu, nv, u0, du, v0, dv


cdef class GRV94Core(PDFCore):
    """GRV94 LO: analytic (``table`` None) or tabulated (a :class:`GRV94Table`, the analytic form outside it),
    valid for x in [xmin, xmax], Q^2 in [q2min, q2max] GeV^2; ``extrapolate_nearest`` freezes x, Q^2 there."""

    def __init__(self, GRV94Table table, double xmin, double xmax, double q2min, double q2max,
                 bint extrapolate_nearest=False):
        cdef const double[:, :, :, ::1] t
        self._set_range(xmin, xmax, q2min, q2max, extrapolate_nearest)
        self.view.kind = PDF_GRV94_EXACT
        if table is None:
            return
        t = table.table
        self._keep = table
        self.view.kind = PDF_GRV94_TABLE
        self.view.nu, self.view.nv = table.nu, table.nv
        self.view.u0, self.view.du, self.view.v0, self.view.dv = table.u0, table.du, table.v0, table.dv
        self.view.inv_du, self.view.inv_dv = 1.0 / table.du, 1.0 / table.dv
        self.view.table = &t[0, 0, 0, 0]


cdef class LHAGridCore(PDFCore):
    """lhagrid1 data, already validated by :mod:`jpsi_fast.pdf`: ``subgrids`` is a list of (x_knots,
    Q_knots [GeV], values[nx*nq, nflav]) with Q fastest and columns in the order of ``pids``; flavours not in
    ``enabled`` give 0 (LHAPDF's ``Flavors``); range [xmin, xmax] x [q2min, q2max]; ForcePositive level."""

    def __init__(self, list subgrids, pids, enabled, double xmin, double xmax, double q2min, double q2max,
                 bint extrapolate_nearest=False, int force_positive=0):
        cdef int k, nx, nq, nflav = len(pids), pid
        if not 1 <= len(subgrids) <= MAX_SUBGRIDS:
            raise ValueError(f"lhagrid1: between 1 and {MAX_SUBGRIDS} subgrids supported, got {len(subgrids)}")
        if force_positive not in (0, 1, 2):
            raise ValueError(f"force_positive must be 0, 1 or 2, got {force_positive}")
        self._set_range(xmin, xmax, q2min, q2max, extrapolate_nearest)
        self.view.kind = PDF_LHAGRID
        self.view.force_positive = force_positive
        self.view.nflav = nflav
        self.view.nsub = len(subgrids)
        self.view.n_extra = 0
        for k in range(13):
            self.view.slot[k] = -1
        for k, p in enumerate(pids):
            pid = 0 if p == 21 else int(p)
            if p not in enabled:
                continue
            if -6 <= pid <= 6:
                self.view.slot[pid + 6] = k
            elif self.view.n_extra < MAX_EXTRA_PIDS:
                self.view.extra_pid[self.view.n_extra] = pid
                self.view.extra_slot[self.view.n_extra] = k
                self.view.n_extra += 1
            else:
                raise ValueError(f"lhagrid1: at most {MAX_EXTRA_PIDS} flavours outside -6..6 and 21 supported")
        keep = []
        for k, (xk, qk, values) in enumerate(subgrids):
            nx, nq = len(xk), len(qk)
            arr_lx = np.log(np.asarray(xk, dtype=np.float64))
            arr_lq = 2.0 * np.log(np.asarray(qk, dtype=np.float64))
            arr_xf = np.ascontiguousarray(values, dtype=np.float64).reshape(nx, nq, nflav)
            keep.append((arr_lx, arr_lq, arr_xf))
            self.view.sub[k].nx = nx
            self.view.sub[k].nq = nq
            self.view.sub[k].logx = <const double*>cnp.PyArray_DATA(arr_lx)
            self.view.sub[k].logq2 = <const double*>cnp.PyArray_DATA(arr_lq)
            self.view.sub[k].xf = <const double*>cnp.PyArray_DATA(arr_xf)
            self.view.sub_q2lo[k] = float(qk[0]) * float(qk[0])
        self._keep = keep

    def weights(self, double x, double q2):
        """(subgrid, knot indices ix * nq + iq, weights) of the interpolation at (x, Q^2) (for tests)."""
        cdef LHAWeights w
        pdf_clamp(&self.view, &x, &q2)
        lha_weights(&self.view, x, q2, &w)
        return w.isub, [w.knot[k] for k in range(w.nterm)], [w.w[k] for k in range(w.nterm)]


# ---------------------------------------------------------------- many members (PDF sets)
#: squared charges of u, d, s, ubar, dbar, sbar in the kernel order (g first, ignored): the charge sum that
#: LumiSetCore pre-sums by default (all six light flavours, docs/physics.md section 2)
LIGHT_QUARK_EQ2 = (0.0, 4.0 / 9.0, 1.0 / 9.0, 1.0 / 9.0, 4.0 / 9.0, 1.0 / 9.0, 1.0 / 9.0)
#: a cell is ForcePositive-safe for a quark when the lower bound of its interpolant exceeds the threshold by this
#: fraction of (the largest knot value in the stencil x LHA_MAX_TERMS): covers the rounding of the interpolation
cdef double SAFETY_RTOL = 1e-12


cdef void cell_bernstein(const double* k, int n, int i, bint cubic, int* base, int* width,
                         double* B) noexcept nogil:
    """Cubic Bernstein coefficients B[4 a + m] of the 1-D weights of axis_weights() over the knot interval i:
    weight a (of knot base + a) is c_a(t) = sum_m B[4 a + m] C(3, m) t^m (1-t)^(3-m), t in [0, 1]. From the
    Hermite form c_a = alpha h0 + beta h1 + gamma h2 + delta h3: (alpha, alpha + beta/3, gamma - delta/3, gamma);
    linear weights: 1 - t = (1, 2/3, 1/3, 0), t = (0, 1/3, 2/3, 1)."""
    cdef double alpha[4]
    cdef double beta[4]
    cdef double gamma[4]
    cdef double delta[4]
    cdef double d = k[i + 1] - k[i]
    cdef int a
    if not cubic:
        base[0], width[0] = i, 2
        B[0], B[1], B[2], B[3] = 1.0, 2.0 / 3.0, 1.0 / 3.0, 0.0
        B[4], B[5], B[6], B[7] = 0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0
        return
    width[0] = n if n < 4 else 4
    base[0] = min(max(i - 1, 0), n - width[0])
    for a in range(4):
        alpha[a] = beta[a] = gamma[a] = delta[a] = 0.0
    alpha[i - base[0]] = 1.0
    gamma[i + 1 - base[0]] = 1.0
    add_knot_slope(k, n, i, base[0], d, beta)
    add_knot_slope(k, n, i + 1, base[0], d, delta)
    for a in range(width[0]):
        B[4 * a + 0] = alpha[a]
        B[4 * a + 1] = alpha[a] + beta[a] / 3.0
        B[4 * a + 2] = gamma[a] - delta[a] / 3.0
        B[4 * a + 3] = gamma[a]


def force_positive_safe_cells(const double[::1] logx, const double[::1] logq2, const double[:, :, :, ::1] values,
                              int level):
    """uint8 array [(nx-1)*(nq-1)] of bit masks: bit p is set for the knot cells where ForcePositive ``level``
    provably changes none of the interpolated values[:, :, p, m] (any member m) anywhere inside the cell (p < 8).

    Inside a cell the interpolant is a bicubic polynomial; its minimum is at least the smallest of its 16
    Bernstein coefficients (convex hull property), which must exceed the ForcePositive threshold (0 or 1e-10)
    by a rounding margin."""
    cdef int nx = logx.shape[0], nq = logq2.shape[0], nfl = values.shape[2], nm = values.shape[3]
    cdef int ix, iq, a, b, m, j, p, bx, wx, bq, wq, lanes = nfl * nm
    cdef double thr = 0.0 if level == 1 else FORCE_POSITIVE_FLOOR, f, bern
    cdef double BX[16]
    cdef double BQ[16]
    cdef unsigned char bits
    cdef const double* knot
    if nfl > 8:
        raise ValueError("at most 8 flavours per safety mask")
    safe = np.full((nx - 1) * (nq - 1), (1 << nfl) - 1, dtype=np.uint8)
    if level == 0:
        return safe
    cdef unsigned char[::1] sv = safe
    xm_arr, lb_arr, mag_arr = np.empty((4, 4, lanes)), np.empty(lanes), np.empty(lanes)
    cdef double[:, :, ::1] xm = xm_arr           # [m][b][lane]: sum_a BX[a][m] f[bx + a, bq + b]
    cdef double[::1] lb = lb_arr
    cdef double[::1] mag = mag_arr
    with nogil:
        for ix in range(nx - 1):
            cell_bernstein(&logx[0], nx, ix, True, &bx, &wx, BX)
            for iq in range(nq - 1):
                cell_bernstein(&logq2[0], nq, iq, nq >= 4, &bq, &wq, BQ)
                for j in range(lanes):
                    mag[j] = 0.0
                    for m in range(4):
                        for b in range(wq):
                            xm[m, b, j] = 0.0
                for a in range(wx):
                    for b in range(wq):
                        knot = &values[bx + a, bq + b, 0, 0]
                        for m in range(4):
                            for j in range(lanes):
                                xm[m, b, j] += BX[4 * a + m] * knot[j]
                        for j in range(lanes):
                            mag[j] = max(mag[j], fabs(knot[j]))
                for j in range(lanes):
                    lb[j] = INFINITY
                for m in range(4):
                    for p in range(4):              # p: Bernstein index in Q
                        for j in range(lanes):
                            bern = 0.0
                            for b in range(wq):
                                bern += BQ[4 * b + p] * xm[m, b, j]
                            lb[j] = min(lb[j], bern)
                bits = 0
                for p in range(nfl):
                    bits |= <unsigned char>(1 << p)
                    for j in range(p * nm, (p + 1) * nm):
                        if not (lb[j] >= thr + SAFETY_RTOL * LHA_MAX_TERMS * mag[j]):
                            bits &= <unsigned char>~(1 << p)
                            break
                sv[ix * (nq - 1) + iq] = bits
    return safe


cdef bint same_geometry(PDFCore a, PDFCore b):
    """True when two lhagrid1 cores have identical knots, kernel flavours present, range and options."""
    cdef int k, p
    cdef const PDFView* u = &a.view
    cdef const PDFView* v = &b.view
    if u.kind != PDF_LHAGRID or v.kind != PDF_LHAGRID or u.nsub != v.nsub:
        return False
    if (u.xmin != v.xmin or u.xmax != v.xmax or u.q2min != v.q2min or u.q2max != v.q2max
            or u.extrapolate_nearest != v.extrapolate_nearest or u.force_positive != v.force_positive):
        return False
    for p in range(N_PARTONS):
        if (u.slot[KERNEL_PIDS[p] + 6] < 0) != (v.slot[KERNEL_PIDS[p] + 6] < 0):
            return False
    for k in range(u.nsub):
        if u.sub[k].nx != v.sub[k].nx or u.sub[k].nq != v.sub[k].nq or u.sub_q2lo[k] != v.sub_q2lo[k]:
            return False
        if not (np.array_equal(a._keep[k][0], b._keep[k][0]) and np.array_equal(a._keep[k][1], b._keep[k][1])):
            return False
    return True


cdef class LumiSetCore:
    """Charge-weighted light-quark sums and gluons of many PDFs (e.g. all members of a set) at once
    (docs/physics.md section 10.3): C interface ``lumi_set_eval(&core.lumi, ...)``; :meth:`eval` for tests.

    Parameters
    ----------
    pdfs : PDFSet or sequence of PDF
        The members (any :class:`jpsi_fast.pdf.PDF`, or their ``core``). All must have the same extrapolation
        mode. When all are lhagrid1 grids with identical knots, flavours, range and ForcePositive (one LHAPDF
        set), the interpolation weights are computed once per point and the members' knot values are stored
        member-contiguous ([nx][nq][7 partons][members] per subgrid); otherwise each member is evaluated alone.
    allow_shared : bool
        False forces the member-by-member evaluation (for tests and timings); the values are the same.
    """

    def __cinit__(self):
        self._member_views = NULL

    def __init__(self, pdfs, eq2=None, bint allow_shared=True):
        cdef int k, n, p
        cdef PDFCore c0, c
        self._pdfs = pdfs
        self._eq2 = eq2
        self._allow_shared = allow_shared
        members = list(pdfs.members) if hasattr(pdfs, "members") else list(pdfs)
        if not members:
            raise ValueError("LumiSetCore needs at least one PDF")
        eq2_sum = np.asarray(LIGHT_QUARK_EQ2 if eq2 is None else eq2, dtype=np.float64)
        if eq2_sum.shape != (N_PARTONS,) or not np.all(np.isfinite(eq2_sum)):
            raise ValueError(f"eq2 must hold {N_PARTONS} finite squared charges (g, u, d, s, ubar, dbar, sbar)")
        cores = []
        for k, m in enumerate(members):
            core = m if isinstance(m, PDFCore) else getattr(m, "core", None)
            if not isinstance(core, PDFCore):
                raise TypeError(f"pdfs[{k}] is not a jpsi_fast PDF (got {type(m).__name__})")
            cores.append(core)
        n = len(cores)
        c0 = cores[0]
        self.lumi.n_members = n
        self.lumi.extrapolate_nearest = c0.view.extrapolate_nearest
        self.lumi.xmin, self.lumi.xmax = c0.view.xmin, c0.view.xmax
        self.lumi.q2min, self.lumi.q2max = c0.view.q2min, c0.view.q2max
        self.lumi.shared = allow_shared
        for c in cores:
            if c.view.extrapolate_nearest != c0.view.extrapolate_nearest:
                raise ValueError("all PDFs of a LumiSetCore must have the same extrapolate mode")
            self.lumi.xmin, self.lumi.xmax = max(self.lumi.xmin, c.view.xmin), min(self.lumi.xmax, c.view.xmax)
            self.lumi.q2min = max(self.lumi.q2min, c.view.q2min)
            self.lumi.q2max = min(self.lumi.q2max, c.view.q2max)
            self.lumi.shared = self.lumi.shared and same_geometry(c0, c)
        self._member_views = <const PDFView**>PyMem_Malloc(n * sizeof(PDFView*))
        if self._member_views == NULL:
            raise MemoryError()
        for k in range(n):
            c = cores[k]
            self._member_views[k] = &c.view
        self.lumi.members = self._member_views
        self.lumi.geometry = &c0.view
        for p in range(N_PARTONS):
            self.lumi.eq2_sum[p] = eq2_sum[p]
            self.lumi.has_parton[p] = c0.view.slot[KERNEL_PIDS[p] + 6] >= 0
        self._keep = [cores]
        self.lumi.chunk = n if n < LUMI_LANE_ALIGN else \
            min(<int>LUMI_CHUNK, (n + LUMI_LANE_ALIGN - 1) // LUMI_LANE_ALIGN * LUMI_LANE_ALIGN)
        self.lumi.n_chunks = (n + self.lumi.chunk - 1) // self.lumi.chunk
        if self.lumi.shared:
            for k in range(c0.view.nsub):
                self._add_shared_subgrid(k, cores, eq2_sum)

    def _add_shared_subgrid(self, int k, list cores, eq2_sum):
        """Member-contiguous, chunked copies of subgrid k: x g and the charge sum (fast), the six quarks, and
        the ForcePositive-safe cells."""
        cdef PDFCore c
        cdef int m, p, col, n = len(cores), cs = self.lumi.chunk
        cdef PDFCore c0 = cores[0]
        nx, nq = c0.view.sub[k].nx, c0.view.sub[k].nq
        quarks = np.zeros((nx, nq, N_LIGHT, self.lumi.n_chunks * cs))
        fast = np.zeros((nx, nq, LUMI_FAST_N, self.lumi.n_chunks * cs))
        for m in range(n):
            c = cores[m]
            for p in range(N_PARTONS):
                col = c.view.slot[KERNEL_PIDS[p] + 6]
                if col < 0:
                    continue
                if p == 0:
                    fast[:, :, LUMI_G, m] = c._keep[k][2][:, :, col]
                else:
                    quarks[:, :, p - 1, m] = c._keep[k][2][:, :, col]
        for p in range(1, N_PARTONS):
            fast[:, :, LUMI_SUMQ, :] += eq2_sum[p] * quarks[:, :, p - 1, :]
        safe = force_positive_safe_cells(c0._keep[k][0], c0._keep[k][1], np.ascontiguousarray(quarks[..., :n]),
                                         c0.view.force_positive)
        # chunk-major: [n_chunks][nx][nq][lanes][cs]
        fast = np.ascontiguousarray(fast.reshape(nx, nq, LUMI_FAST_N, -1, cs).transpose(3, 0, 1, 2, 4))
        quarks = np.ascontiguousarray(quarks.reshape(nx, nq, N_LIGHT, -1, cs).transpose(3, 0, 1, 2, 4))
        self._keep.append((fast, quarks, safe))
        self.lumi.fast[k] = <const double*>cnp.PyArray_DATA(fast)
        self.lumi.quarks[k] = <const double*>cnp.PyArray_DATA(quarks)
        self.lumi.safe[k] = <const unsigned char*>cnp.PyArray_DATA(safe)

    def __dealloc__(self):
        PyMem_Free(self._member_views)

    def __reduce__(self):
        return (LumiSetCore, (self._pdfs, self._eq2, self._allow_shared))

    @property
    def n_members(self):
        return self.lumi.n_members

    @property
    def shared(self):
        """True when the weights are computed once for all members (identical knots)."""
        return bool(self.lumi.shared)

    @property
    def safe_fraction(self):
        """Fraction of (knot cell, light quark) pairs where ForcePositive provably changes no member (no
        correction of the pre-summed charge sum needed there); 0 when the members are evaluated one by one."""
        if not self.lumi.shared:
            return 0.0
        cells = np.concatenate([keep[2] for keep in self._keep[1:]])
        return float(np.unpackbits(cells[:, None], axis=1)[:, -N_LIGHT:].mean())

    @property
    def x_range(self):
        return (self.lumi.xmin, self.lumi.xmax)

    @property
    def q2_range(self):
        return (self.lumi.q2min, self.lumi.q2max)

    def _points(self, x, q2, eq2):
        """Validated contiguous (x, q2, eq2) for eval and eval_sum."""
        cdef const double[::1] xv = np.ascontiguousarray(x, dtype=np.float64).ravel()
        cdef const double[::1] qv = np.ascontiguousarray(q2, dtype=np.float64).ravel()
        cdef Py_ssize_t i, n = xv.shape[0]
        cdef int code
        ev = np.ascontiguousarray(eq2, dtype=np.float64).ravel()
        if qv.shape[0] != n:
            raise ValueError(f"x and q2 must have the same length, got {n} and {qv.shape[0]}")
        if ev.shape[0] != N_PARTONS or not np.all(np.isfinite(ev)):
            raise ValueError(f"eq2 must hold {N_PARTONS} finite squared charges (g, u, d, s, ubar, dbar, sbar)")
        xa, qa = np.asarray(xv), np.asarray(qv)
        bad = ~((xa > 0) & (xa < 1))
        if bad.any():
            raise ValueError(f"x must be finite and in (0, 1); got {xa[bad][0]!r}")
        bad = ~((qa > 0) & np.isfinite(qa))
        if bad.any():
            raise ValueError(f"q2 must be finite and > 0 GeV^2; got {qa[bad][0]!r}")
        for i in range(n):
            code = lumi_set_range_code(&self.lumi, xv[i], qv[i])
            if code == PDF_RANGE_X:
                raise ValueError(f"x must be in [{self.lumi.xmin}, {self.lumi.xmax}] (the PDFs' common range); "
                                 f"got {xv[i]!r}")
            if code == PDF_RANGE_Q:
                raise ValueError(f"q2 must be in [{self.lumi.q2min}, {self.lumi.q2max}] GeV^2 (the PDFs' common "
                                 f"range); got {qv[i]!r}")
        return xa, qa, ev

    def eval_sum(self, x, q2, eq2):
        """(sum over points of sumq, of xg), each shape (n_members,): the per-point values of :meth:`eval`
        summed in point order, computed into one reused buffer as the kernels do (for timings and tests)."""
        xa, qa, ea = self._points(x, q2, eq2)
        cdef const double[::1] xv = xa
        cdef const double[::1] qv = qa
        cdef const double[::1] ev = ea
        cdef Py_ssize_t i, n = xv.shape[0]
        cdef int k, nm = self.lumi.n_members
        tot = np.zeros((2, nm))
        buf = np.empty((2, nm))
        cdef double[:, ::1] t = tot
        cdef double[:, ::1] b = buf
        with nogil:
            for i in range(n):
                lumi_set_eval(&self.lumi, xv[i], qv[i], &ev[0], &b[0, 0], &b[1, 0])
                for k in range(nm):
                    t[0, k] += b[0, k]
                    t[1, k] += b[1, k]
        return tot[0], tot[1]

    def eval(self, x, q2, eq2):
        """(sumq, xg), each (n, n_members): sum_q eq2[q] x f_q and x g of every member at the points (x[i],
        Q^2[i] [GeV^2]); eq2: 7 squared charges in the kernel order g, u, d, s, ubar, dbar, sbar (eq2[0]
        ignored). ValueError naming x or Q2 for points outside the set's range (unless extrapolating)."""
        xa, qa, ea = self._points(x, q2, eq2)
        cdef const double[::1] xv = xa
        cdef const double[::1] qv = qa
        cdef const double[::1] ev = ea
        cdef Py_ssize_t i, n = xv.shape[0]
        cdef int nm = self.lumi.n_members
        sumq = np.empty((n, nm))
        xg = np.empty((n, nm))
        cdef double[:, ::1] sv = sumq
        cdef double[:, ::1] gv = xg
        if n == 0:
            return sumq, xg
        with nogil:
            for i in range(n):
                lumi_set_eval(&self.lumi, xv[i], qv[i], &ev[0], &sv[i, 0], &gv[i, 0])
        return sumq, xg


# ---------------------------------------------------------------- helicity PDFs: GRSV 2000 LO (docs/physics.md §11.3)
#: (a, b) of the factor x^a (1-x)^b of each column GRSV_U .. GRSV_G that grsv_xdelta multiplies back (written out
#: as products there); must equal the generator's GRSV_POWERS in _grsv2000_tables.pxi (checked at import)
GRSV_FACTOR_POWERS = [(1.0, 3), (1.0, 4), (0.5, 8), (0.5, 8), (0.5, 8), (0.5, 5)]
if GRSV_POWERS != GRSV_FACTOR_POWERS or GRSV_G + 1 != GRSV_NCOL:
    raise ImportError("_grsv2000_tables.pxi does not match _pdf.pyx (columns or powers x^a (1-x)^b); "
                      "regenerate it with tools/gen_constants.py")
#: scenario names of GRSV2000Table -> the embedded table
GRSV_SCENARIO_NAMES = ("standard", "valence")
#: kernel parton (g, u, d, s, ubar, dbar, sbar) -> GRSV column (Dsbar = Ds)
cdef int GRSV_KERNEL_COLUMN[N_PARTONS]
GRSV_KERNEL_COLUMN[:] = [GRSV_G, GRSV_U, GRSV_D, GRSV_S, GRSV_UBAR, GRSV_DBAR, GRSV_S]


cdef KnotLUT GRSV_XLUT
cdef KnotLUT GRSV_QLUT


cdef void fill_knot_lut(KnotLUT* lut, const double* k, int n) noexcept:
    """lut.first[b] = the first knot index with k >= the lower edge of bin b of GRSV_LUT_N uniform bins over
    [k[0], k[n-1]] (exact: every argument in bin b has its answer >= lut.first[b])."""
    cdef int b, j = 0
    cdef double edge
    lut.lo = k[0]
    lut.inv_width = GRSV_LUT_N / (k[n - 1] - k[0])
    for b in range(GRSV_LUT_N):
        edge = k[0] + b / lut.inv_width
        while j < n - 1 and k[j] < edge:
            j += 1
        lut.first[b] = j


fill_knot_lut(&GRSV_XLUT, GRSV_LOGX, GRSV_NX)
fill_knot_lut(&GRSV_QLUT, GRSV_LOGQ2, GRSV_NQ)


cdef inline int grsv_knot(const double* k, int n, const KnotLUT* lut, double v) noexcept nogil:
    """j of the interpolation interval [j-1, j]: the first knot with k[j] >= v, clamped to [1, n-1] (below the
    first knot the first interval, above the last knot the last one: linear extrapolation, CERNLIB DFINT). The
    look-up table gives a lower bound of j; a few compares finish it (the same j as a bisection)."""
    cdef double fb = (v - lut.lo) * lut.inv_width
    cdef int j
    if not (fb >= 0.0):
        return 1
    if fb >= GRSV_LUT_N:
        j = lut.first[GRSV_LUT_N - 1]
    else:
        j = lut.first[<int>fb]
    while j < n and k[j] < v:
        j += 1
    if j < 1:
        return 1
    if j > n - 1:
        return n - 1
    return j


cdef int grsv_xdelta(const GRSVView* t, double x, double q2, double* xdf6) noexcept nogil:
    """x Df of the six columns GRSV_U .. GRSV_G (u, d, ubar, dbar, s = sbar, g) at (x, Q^2 [GeV^2]), docs/physics.md
    (11.17)-(11.18): one knot search in ln x and one in ln Q^2, bilinear interpolation of the divided values on
    the cell, times x^a (1-x)^b at x. No range check (grsv_range_code). Returns the grid cell used,
    (jx - 1) (nq - 1) + (jq - 1) for the interval [jx - 1, jx] in x and [jq - 1, jq] in Q^2."""
    cdef double lx = log(x), lq = log(q2)
    cdef int jx = grsv_knot(t.logx, t.nx, t.xlut, lx), jq = grsv_knot(t.logq2, t.nq, t.qlut, lq), c
    cdef double tx = (lx - t.logx[jx - 1]) / (t.logx[jx] - t.logx[jx - 1])
    cdef double tq = (lq - t.logq2[jq - 1]) / (t.logq2[jq] - t.logq2[jq - 1])
    cdef double w00 = (1.0 - tx) * (1.0 - tq), w10 = tx * (1.0 - tq), w01 = (1.0 - tx) * tq, w11 = tx * tq
    cdef const double* r00 = t.reduced + ((jx - 1) * t.nq + (jq - 1)) * GRSV_NCOL
    cdef const double* r01 = r00 + GRSV_NCOL
    cdef const double* r10 = r00 + t.nq * GRSV_NCOL
    cdef const double* r11 = r10 + GRSV_NCOL
    cdef double sx = sqrt(x), o = 1.0 - x, o2, o4, sea
    for c in range(GRSV_NCOL):
        xdf6[c] = w00 * r00[c] + w10 * r10[c] + w01 * r01[c] + w11 * r11[c]
    # x^a (1-x)^b of GRSV_FACTOR_POWERS
    o2 = o * o
    o4 = o2 * o2
    sea = sx * (o4 * o4)
    xdf6[GRSV_U] *= x * (o2 * o)
    xdf6[GRSV_D] *= x * o4
    xdf6[GRSV_UBAR] *= sea
    xdf6[GRSV_DBAR] *= sea
    xdf6[GRSV_S] *= sea
    xdf6[GRSV_G] *= sx * (o4 * o)
    return (jx - 1) * (t.nq - 1) + (jq - 1)


cdef int grsv_flavours(const GRSVView* t, double x, double q2, double* xdf7) noexcept nogil:
    """x Df of the kernel partons g, u, d, s, ubar, dbar, sbar (sbar = s) at (x, Q^2 [GeV^2]) into xdf7[0..6]
    (grsv_xdelta reordered); returns grsv_xdelta's grid cell. No range check (grsv_range_code)."""
    cdef double v[GRSV_NCOL]
    cdef int k, cell = grsv_xdelta(t, x, q2, v)
    for k in range(N_PARTONS):
        xdf7[k] = v[GRSV_KERNEL_COLUMN[k]]
    return cell


cdef inline double grsv_xfx(const GRSVView* t, int pid, double x, double q2) noexcept nogil:
    """x Df of one PDG id (21 or 0 = gluon); 0 for the flavours the grids lack (c, b, t and others)."""
    cdef double v[N_PARTONS]
    cdef int k = kernel_index(0 if pid == 21 else pid)
    if k < 0:
        return 0.0
    grsv_flavours(t, x, q2, v)
    return v[k]


cdef class GRSV2000Table:
    """C data of one GRSV 2000 LO scenario (docs/physics.md §11.3) embedded in the package: the knots and the
    divided knot values of ``_grsv2000_tables.pxi``; the kernels read ``view`` (``grsv_flavours``,
    ``helicity_charge_sum_gluon``). :class:`jpsi_fast.pdf.GRSV2000LO` wraps it and validates arguments; the
    methods here take contiguous float64 arrays and check nothing but shapes.

    Parameters
    ----------
    scenario : {"standard", "valence"}
        GRSV's flavour-symmetric polarized sea (``std2000_lo_g1.grid``) or the broken-sea valence scenario
        (``val2000_lo_g1.grid``).
    """

    def __init__(self, str scenario="standard"):
        if scenario not in GRSV_SCENARIO_NAMES:
            raise ValueError(f"scenario must be one of {GRSV_SCENARIO_NAMES}, got {scenario!r}")
        self.scenario = scenario
        self.view.nx = GRSV_NX
        self.view.nq = GRSV_NQ
        self.view.logx = GRSV_LOGX
        self.view.logq2 = GRSV_LOGQ2
        self.view.xlut = &GRSV_XLUT
        self.view.qlut = &GRSV_QLUT
        self.view.reduced = &GRSV_STD[0] if scenario == "standard" else &GRSV_VAL[0]
        self.view.xmin, self.view.xmax = GRSV_X_KNOTS_LIST[0], GRSV_X_KNOTS_LIST[GRSV_NX - 1]
        self.view.q2min, self.view.q2max = GRSV_Q2_KNOTS_LIST[0], GRSV_Q2_KNOTS_LIST[GRSV_NQ - 1]

    def __reduce__(self):
        return (GRSV2000Table, (self.scenario,))

    @property
    def x_range(self):
        """(xmin, xmax) = (1e-4, 1) of the grids, both included."""
        return (self.view.xmin, self.view.xmax)

    @property
    def q2_range(self):
        """(Q^2 min, Q^2 max) = (0.8, 1e6) GeV^2 of the grids, both included."""
        return (self.view.q2min, self.view.q2max)

    @property
    def x_knots(self):
        """The 42 x knots (the last, x = 1, is the appended zero row)."""
        return np.array(GRSV_X_KNOTS_LIST)

    @property
    def q2_knots(self):
        """The 30 Q^2 knots [GeV^2]."""
        return np.array(GRSV_Q2_KNOTS_LIST)

    @property
    def log_knots(self):
        """(ln x knots, ln Q^2 knots) as embedded."""
        return (np.array(<const double[:GRSV_NX]>GRSV_LOGX), np.array(<const double[:GRSV_NQ]>GRSV_LOGQ2))

    @property
    def reduced(self):
        """Copy of the embedded divided knot values, shape (42, 30, 6): columns u, d, ubar, dbar, s, g divided by
        x^a (1-x)^b (GRSV_FACTOR_POWERS)."""
        return np.array(<const double[:GRSV_NX * GRSV_NQ * GRSV_NCOL]>self.view.reduced).reshape(
            GRSV_NX, GRSV_NQ, GRSV_NCOL)

    def xfx_q2(self, const int[::1] pid, const double[::1] x, const double[::1] q2, double[::1] out):
        """out[i] = x Df_pid[i](x[i], Q^2[i]) (PDG ids, 21 or 0 = gluon, 0 for c, b, t); no validation."""
        cdef Py_ssize_t i, n = x.shape[0]
        if pid.shape[0] != n or q2.shape[0] != n or out.shape[0] != n:
            raise ValueError("pid, x, q2 and out must have the same length")
        with nogil:
            for i in range(n):
                out[i] = grsv_xfx(&self.view, pid[i], x[i], q2[i])

    def flavours(self, const double[::1] x, const double[::1] q2, xf=None):
        """(7, n) array of x Df of g, u, d, s, ubar, dbar, sbar (the kernels' order) at (x[i], Q^2[i] [GeV^2]);
        with ``xf`` (7, n) unpolarized x f, each clamped by positivity_clamp (11.19)."""
        cdef Py_ssize_t i, k, n = x.shape[0]
        cdef const double[:, ::1] f
        cdef bint clamp = xf is not None
        cdef double buf[N_PARTONS]
        if q2.shape[0] != n:
            raise ValueError("x and q2 must have the same length")
        if clamp:
            f = np.ascontiguousarray(xf, dtype=np.float64)
            if f.shape[0] != N_PARTONS or f.shape[1] != n:
                raise ValueError(f"xf must have shape ({N_PARTONS}, {n})")
        out = np.empty((N_PARTONS, n))
        cdef double[:, ::1] o = out
        with nogil:
            for i in range(n):
                grsv_flavours(&self.view, x[i], q2[i], buf)
                for k in range(N_PARTONS):
                    o[k, i] = positivity_clamp(buf[k], f[k, i]) if clamp else buf[k]
        return out

    def charge_sum_gluon(self, const double[::1] x, const double[::1] q2, eq2, xf=None):
        """(charge_sum, xdg), each (n,): grsv_flavours + helicity_combine (the kernels' helicity factors) at
        (x[i], Q^2[i] [GeV^2]) with the squared charges ``eq2`` (7 values, kernel order, eq2[0] ignored) and, when
        given, the unpolarized ``xf`` (7, n) for the per-flavour positivity clamp."""
        cdef Py_ssize_t i, n = x.shape[0]
        cdef double buf[N_PARTONS]
        cdef const double[::1] e = np.ascontiguousarray(eq2, dtype=np.float64).ravel()
        cdef const double[::1, :] f
        cdef const double* fp = NULL
        cdef bint clamp = xf is not None
        if q2.shape[0] != n:
            raise ValueError("x and q2 must have the same length")
        if e.shape[0] != N_PARTONS:
            raise ValueError(f"eq2 must hold {N_PARTONS} squared charges (g, u, d, s, ubar, dbar, sbar)")
        if clamp:
            f = np.asfortranarray(xf, dtype=np.float64)        # the 7 partons of a point contiguous
            if f.shape[0] != N_PARTONS or f.shape[1] != n:
                raise ValueError(f"xf must have shape ({N_PARTONS}, {n})")
        sumq, xdg = np.empty(n), np.empty(n)
        cdef double[::1] sv = sumq
        cdef double[::1] gv = xdg
        with nogil:
            for i in range(n):
                if clamp:
                    fp = &f[0, i]
                grsv_flavours(&self.view, x[i], q2[i], buf)
                helicity_combine(buf, fp, &e[0], &sv[i], &gv[i])
        return sumq, xdg

    def range_codes(self, const double[::1] x, const double[::1] q2):
        """grsv_range_code() of each point (0 inside, 5 x outside, 6 Q^2 outside)."""
        cdef Py_ssize_t i, n = x.shape[0]
        out = np.empty(n, dtype=np.intc)
        cdef int[::1] o = out
        with nogil:
            for i in range(n):
                o[i] = grsv_range_code(&self.view, x[i], q2[i])
        return out
