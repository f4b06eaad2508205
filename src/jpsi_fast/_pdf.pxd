# C-level parton distributions shared by the kernels (cimport jpsi_fast._pdf).
# All functions return x*f(x, Q^2) and run without the GIL; arguments are validated in Python first.

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
cdef void pdf_charge_sum_gluon(const PDFView* pdf, double x, double q2, const double* eq2, bint all_light,
                               double* charge_sum, double* xg) noexcept nogil
cdef double pdf_xfx(const PDFView* pdf, int pid, double x, double q2) noexcept nogil
