# C-level parton distributions shared by the kernels (cimport jpsi_fast._pdf).
# All functions return x*f(x, Q^2) and run without the GIL; arguments are validated in Python first.
# The hot-path functions are `cdef inline` here so that modules cimporting them (the kernels) can inline them.
from libc.math cimport log, exp

cdef enum:
    N_PARTONS = 7          # kernel order of pdf_partons(): g, u, d, s, ubar, dbar, sbar
    PDF_GRV94_EXACT = 0
    PDF_GRV94_TABLE = 1
    PDF_LHAGRID = 2
    MAX_SUBGRIDS = 16

cdef struct LHASubgrid:
    int nx
    int nq
    const double* logx         # ln x knots [nx]
    const double* logq2        # ln Q^2 knots [nq]
    const double* xf           # x*f values [nx][nq][nflav]
    const double* dxf_dlogx    # knot slopes d(x*f)/d ln x, same layout

cdef struct PDFView:
    int kind
    # tabulated GRV94: ln(x f) on a uniform grid in u = ln(x/(1-x)) and v = ln Q^2
    int nu
    int nv
    double u0
    double du
    double v0
    double dv
    double inv_du
    double inv_dv
    const double* table        # [nu][nv][8 functions][4]: f, df/du, df/dv, d2f/dudv  (f = ln x*f)
    # LHAPDF lhagrid1
    int nflav
    int nsub
    int extrapolate_nearest
    int slot[13]               # slot of PDG id -6..6 (index pid+6; gluon stored at 6), -1 if absent
    double xmin
    double xmax
    double q2min
    double q2max
    LHASubgrid sub[MAX_SUBGRIDS]
    double sub_q2lo[MAX_SUBGRIDS]

cdef class PDFCore:
    cdef PDFView view
    cdef object _keep

cdef void pdf_partons(const PDFView* pdf, double x, double q2, double* out) noexcept nogil
cdef double pdf_xfx(const PDFView* pdf, int pid, double x, double q2) noexcept nogil


cdef enum:
    TAB_G = 0           # functions tabulated (as ln x*f) per knot, in this order
    TAB_CHARGE_SUM = 1  # sum over u, d, s, ubar, dbar, sbar of e_q^2 x f_q (the FF channel's PDF factor)
    TAB_U = 2           # then u, d, s, ubar, dbar
    TAB_N = 8           # 7 functions + 1 padding: a knot's g and charge sum share one 64-byte cache line


cdef inline void hermite_basis(double t, double* h) noexcept nogil:
    """Cubic Hermite basis: h[0] value at 0, h[1] slope at 0, h[2] value at 1, h[3] slope at 1."""
    cdef double t2 = t * t, t3 = t2 * t
    h[0] = 2.0 * t3 - 3.0 * t2 + 1.0
    h[1] = t3 - 2.0 * t2 + t
    h[2] = -2.0 * t3 + 3.0 * t2
    h[3] = t3 - t2


cdef inline bint table_interp(const PDFView* pdf, double x, double q2, int first, int count,
                              double* out) noexcept nogil:
    """x*f of tabulated functions [first, first+count) at (x, Q^2) by bicubic Hermite interpolation of
    ln(x f) in u = ln(x/(1-x)), v = ln Q^2. False (nothing written) when the point is outside the table."""
    cdef double fu = (log(x / (1.0 - x)) - pdf.u0) * pdf.inv_du, fv = (log(q2) - pdf.v0) * pdf.inv_dv
    cdef int i, j, k, a, b, c
    cdef double acc
    cdef double hu[4]
    cdef double hv[4]
    cdef double w[16]
    cdef const double* knot
    if not (fu >= 0.0 and fu <= pdf.nu - 1 and fv >= 0.0 and fv <= pdf.nv - 1):
        return False
    i = <int>fu
    j = <int>fv
    if i > pdf.nu - 2:
        i = pdf.nu - 2
    if j > pdf.nv - 2:
        j = pdf.nv - 2
    hermite_basis(fu - i, hu)
    hermite_basis(fv - j, hv)
    # weights of (value, d/du, d/dv, d2/dudv) at the four corner knots, derivatives scaled to unit cells
    for a in range(2):
        for b in range(2):
            c = 4 * (2 * a + b)
            w[c + 0] = hu[2 * a] * hv[2 * b]
            w[c + 1] = hu[2 * a + 1] * pdf.du * hv[2 * b]
            w[c + 2] = hu[2 * a] * hv[2 * b + 1] * pdf.dv
            w[c + 3] = hu[2 * a + 1] * pdf.du * hv[2 * b + 1] * pdf.dv
    for k in range(count):
        acc = 0.0
        for a in range(2):
            for b in range(2):
                knot = pdf.table + (((i + a) * pdf.nv + (j + b)) * TAB_N + first + k) * 4
                c = 4 * (2 * a + b)
                acc += w[c] * knot[0] + w[c + 1] * knot[1] + w[c + 2] * knot[2] + w[c + 3] * knot[3]
        out[k] = exp(acc)
    return True


cdef inline void pdf_charge_sum_gluon(const PDFView* pdf, double x, double q2, const double* eq2, bint all_light,
                               double* charge_sum, double* xg) noexcept nogil:
    """charge_sum = sum_q eq2[q] x f_q (kernel parton order, eq2[0] ignored) and xg = x g at (x, Q^2).
    ``all_light``: eq2 holds the charges of all six light (anti)quarks, which the GRV94 table has
    pre-summed (two interpolations instead of six)."""
    cdef double buf[N_PARTONS]
    cdef int k
    if all_light and pdf.kind == PDF_GRV94_TABLE and table_interp(pdf, x, q2, TAB_G, 2, buf):
        xg[0] = buf[0]
        charge_sum[0] = buf[1]
        return
    pdf_partons(pdf, x, q2, buf)
    xg[0] = buf[0]
    charge_sum[0] = 0.0
    for k in range(1, N_PARTONS):
        charge_sum[0] += eq2[k] * buf[k]
