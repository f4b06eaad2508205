# C-level parton distributions shared by the kernels (cimport jpsi_fast._pdf).
# All functions return x*f(x, Q^2) and run without the GIL; arguments are validated in Python first.
# The hot-path functions are `cdef inline` here so that modules cimporting them (the kernels) can inline them.
# Physics: docs/physics.md section 6 (PDFs) and section 10.3 (PDF sets).
from libc.math cimport log, exp

cdef enum:
    N_PARTONS = 7          # kernel order of pdf_partons(): g, u, d, s, ubar, dbar, sbar
    PDF_GRV94_EXACT = 0
    PDF_GRV94_TABLE = 1
    PDF_LHAGRID = 2
    MAX_SUBGRIDS = 16
    MAX_EXTRA_PIDS = 8     # lhagrid1 flavours outside -6..6 (and 21), e.g. the photon 22
    LHA_MAX_TERMS = 16     # log-bicubic value = sum of <= 4 x 4 knot values times weights
    PDF_RANGE_OK = 0       # pdf_range_code(): inside the PDF's range (or extrapolating)
    PDF_RANGE_X = 5        # x outside the PDF's x range (same codes as the kernels' KINEMATIC_ERRORS)
    PDF_RANGE_Q = 6        # Q^2 outside the PDF's Q^2 range

cdef struct LHASubgrid:
    int nx
    int nq
    const double* logx         # ln x knots [nx]
    const double* logq2        # ln Q^2 knots [nq]
    const double* xf           # x*f values [nx][nq][nflav]

cdef struct LHAWeights:
    # what the log-bicubic interpolation needs from (x, Q^2) and the knots only: the value of any flavour
    # (of any member with the same knots) is sum_t w[t] * xf[knot[t]] (docs/physics.md section 6)
    int isub                   # subgrid
    int cell                   # knot cell ix * (nq - 1) + iq containing the point (x_ix <= x <= x_ix+1, ...)
    int nterm                  # number of terms (<= LHA_MAX_TERMS)
    int knot[LHA_MAX_TERMS]    # knot index ix * nq + iq inside the subgrid
    double w[LHA_MAX_TERMS]

cdef struct PDFView:
    int kind
    # validity range of every kind, docs/physics.md section 6 (GRV94: its published range; lhagrid1: the knots,
    # narrowed by the set's .info XMin/XMax/QMin/QMax); outside it pdf_range_code() != 0 unless extrapolating
    double xmin
    double xmax
    double q2min
    double q2max
    int extrapolate_nearest    # 1: x and Q^2 are frozen at the range edges (pdf_clamp)
    int force_positive         # LHAPDF ForcePositive: 0 none, 1 x f < 0 -> 0, 2 x f < 1e-10 -> 1e-10 (lhagrid1)
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
    int slot[13]               # column of PDG id -6..6 (index pid+6; gluon stored at 6), -1 if absent
    int n_extra                # further flavours: PDG id extra_pid[k] is column extra_slot[k]
    int extra_pid[MAX_EXTRA_PIDS]
    int extra_slot[MAX_EXTRA_PIDS]
    LHASubgrid sub[MAX_SUBGRIDS]
    double sub_q2lo[MAX_SUBGRIDS]

cdef class PDFCore:
    cdef PDFView view
    cdef object _keep
    cdef void _set_range(self, double xmin, double xmax, double q2min, double q2max, bint nearest)

cdef void pdf_partons(const PDFView* pdf, double x, double q2, double* out) noexcept nogil
cdef void pdf_quarks(const PDFView* pdf, double x, double q2, double* out) noexcept nogil
cdef double pdf_xfx(const PDFView* pdf, int pid, double x, double q2) noexcept nogil
cdef void lha_weights(const PDFView* pdf, double x, double q2, LHAWeights* w) noexcept nogil


cdef enum:
    TAB_G = 0           # functions tabulated (as ln x*f) per knot, in this order
    TAB_CHARGE_SUM = 1  # sum over u, d, s, ubar, dbar, sbar of e_q^2 x f_q (the FF channel's PDF factor)
    TAB_U = 2           # then u, d, s, ubar, dbar
    TAB_N = 8           # 7 functions + 1 padding: a knot's g and charge sum share one 64-byte cache line
    LANE_BLOCK = 16     # lanes interpolated together (in registers) by lha_dot
    LUMI_CHUNK = 128    # most members per chunk of lumi_set_eval (stack buffers of N_LIGHT * LUMI_CHUNK)
    LUMI_LANE_ALIGN = 8 # chunk sizes are multiples of this: x g + charge-sum lanes fill whole LANE_BLOCKs

cdef extern from *:
    """
    #define JPSI_FAST_FORCE_POSITIVE_FLOOR 1e-10 /* x f floor of LHAPDF ForcePositive = 2 */
    """
    const double FORCE_POSITIVE_FLOOR "JPSI_FAST_FORCE_POSITIVE_FLOOR"


cdef inline int pdf_range_code(const PDFView* pdf, double x, double q2) noexcept nogil:
    """PDF_RANGE_OK (0) inside the PDF's validity range or when it extrapolates, PDF_RANGE_X (5) for x outside,
    PDF_RANGE_Q (6) for Q^2 outside (x is checked first; NaN counts as outside)."""
    if pdf.extrapolate_nearest:
        return PDF_RANGE_OK
    if not (x >= pdf.xmin and x <= pdf.xmax):
        return PDF_RANGE_X
    if not (q2 >= pdf.q2min and q2 <= pdf.q2max):
        return PDF_RANGE_Q
    return PDF_RANGE_OK


cdef inline void pdf_clamp(const PDFView* pdf, double* x, double* q2) noexcept nogil:
    """extrapolate="nearest": freeze x and Q^2 at the edges of the PDF's range (no-op otherwise)."""
    if pdf.extrapolate_nearest:
        if x[0] < pdf.xmin:
            x[0] = pdf.xmin
        elif x[0] > pdf.xmax:
            x[0] = pdf.xmax
        if q2[0] < pdf.q2min:
            q2[0] = pdf.q2min
        elif q2[0] > pdf.q2max:
            q2[0] = pdf.q2max


cdef inline double force_positive(double v, int level) noexcept nogil:
    """LHAPDF 6.2 PDF::xfxQ2 positivity forcing of one interpolated x f (level 0, 1 or 2)."""
    if level == 1:
        if v < 0.0:
            return 0.0
    elif level == 2:
        if v < FORCE_POSITIVE_FLOOR:
            return FORCE_POSITIVE_FLOOR
    return v


cdef inline void lha_dot_block(const LHAWeights* w, const double* const* term, int k0, int nb,
                               double* out) noexcept nogil:
    """Lanes k0 .. k0+nb-1 (nb <= LANE_BLOCK) of lha_dot: nb independent sums accumulated term by term
    (term[t] points at lane 0 of term t's knot)."""
    cdef int t, k
    cdef double wt
    cdef double acc[LANE_BLOCK]
    cdef const double* p
    for k in range(nb):
        acc[k] = 0.0
    for t in range(w.nterm):
        wt = w.w[t]
        p = term[t] + k0
        for k in range(nb):
            acc[k] = acc[k] + wt * p[k]
    for k in range(nb):
        out[k0 + k] = acc[k]


cdef inline void lha_dot(const LHAWeights* w, const double* data, Py_ssize_t knot_stride, int nlanes,
                         double* out) noexcept nogil:
    """out[k] = sum_t w.w[t] * data[w.knot[t] * knot_stride + k] for lanes k < nlanes, terms summed in order t.

    The one interpolation loop of the package: the flavours of one member are lanes; the members of a set with
    shared knots are contiguous lanes. Every lane sees the same operations in the same order, so a value is
    bit-identical however many lanes are evaluated together (where the compiler does not contract mul + add into
    FMA differently, as on x86-64 without -mfma). Blocks of LANE_BLOCK lanes: a constant trip count the compiler
    vectorizes, with LANE_BLOCK independent sums in flight. (An AVX2 variant selected at run time was measured
    slower here, 2.5 vs 1.6 us per 101-member point.)"""
    cdef int k0 = 0, t
    cdef const double* term[LHA_MAX_TERMS]
    for t in range(w.nterm):
        term[t] = data + w.knot[t] * knot_stride
    while k0 + LANE_BLOCK <= nlanes:
        lha_dot_block(w, term, k0, LANE_BLOCK, out)
        k0 += LANE_BLOCK
    if k0 < nlanes:
        lha_dot_block(w, term, k0, nlanes - k0, out)


cdef inline void hermite_basis(double t, double* h) noexcept nogil:
    """Cubic Hermite basis: h[0] value at 0, h[1] slope at 0, h[2] value at 1, h[3] slope at 1."""
    cdef double t2 = t * t, t3 = t2 * t
    h[0] = 2.0 * t3 - 3.0 * t2 + 1.0
    h[1] = t3 - 2.0 * t2 + t
    h[2] = -2.0 * t3 + 3.0 * t2
    h[3] = t3 - t2


cdef inline bint table_u_part(const PDFView* pdf, double x, int* i, double* hu) noexcept nogil:
    """The x part of table_interp: cell i in u = ln(x/(1-x)) and the Hermite basis hu[4] (scaled to the unit
    cell's derivative). False when x is outside the table."""
    cdef double fu = (log(x / (1.0 - x)) - pdf.u0) * pdf.inv_du
    if not (fu >= 0.0 and fu <= pdf.nu - 1):
        return False
    i[0] = <int>fu
    if i[0] > pdf.nu - 2:
        i[0] = pdf.nu - 2
    hermite_basis(fu - i[0], hu)
    hu[1] *= pdf.du
    hu[3] *= pdf.du
    return True


cdef inline bint table_interp_u(const PDFView* pdf, int i, const double* hu, double log_q2, int first, int count,
                                double* out) noexcept nogil:
    """table_interp at ln Q^2 given the x part (table_u_part); points at several Q^2 and one x share it."""
    cdef double fv = (log_q2 - pdf.v0) * pdf.inv_dv
    cdef int j, k, a, b, c
    cdef double acc
    cdef double hv[4]
    cdef double w[16]
    cdef const double* knot
    if not (fv >= 0.0 and fv <= pdf.nv - 1):
        return False
    j = <int>fv
    if j > pdf.nv - 2:
        j = pdf.nv - 2
    hermite_basis(fv - j, hv)
    # weights of (value, d/du, d/dv, d2/dudv) at the four corner knots, derivatives scaled to unit cells
    for a in range(2):
        for b in range(2):
            c = 4 * (2 * a + b)
            w[c + 0] = hu[2 * a] * hv[2 * b]
            w[c + 1] = hu[2 * a + 1] * hv[2 * b]
            w[c + 2] = hu[2 * a] * hv[2 * b + 1] * pdf.dv
            w[c + 3] = hu[2 * a + 1] * hv[2 * b + 1] * pdf.dv
    for k in range(count):
        acc = 0.0
        for a in range(2):
            for b in range(2):
                knot = pdf.table + (((i + a) * pdf.nv + (j + b)) * TAB_N + first + k) * 4
                c = 4 * (2 * a + b)
                acc += w[c] * knot[0] + w[c + 1] * knot[1] + w[c + 2] * knot[2] + w[c + 3] * knot[3]
        out[k] = exp(acc)
    return True


cdef inline bint table_interp(const PDFView* pdf, double x, double q2, int first, int count,
                              double* out) noexcept nogil:
    """x*f of tabulated functions [first, first+count) at (x, Q^2) by bicubic Hermite interpolation of
    ln(x f) in u = ln(x/(1-x)), v = ln Q^2. False (nothing written) when the point is outside the table."""
    cdef int i
    cdef double hu[4]
    return table_u_part(pdf, x, &i, hu) and table_interp_u(pdf, i, hu, log(q2), first, count, out)


cdef inline void pdf_charge_sum_gluon(const PDFView* pdf, double x, double q2, const double* eq2, bint all_light,
                               double* charge_sum, double* xg) noexcept nogil:
    """charge_sum = sum_q eq2[q] x f_q (kernel parton order, eq2[0] ignored) and xg = x g at (x, Q^2).
    ``all_light``: eq2 holds the charges of all six light (anti)quarks, which the GRV94 table has
    pre-summed (two interpolations instead of six)."""
    cdef double buf[N_PARTONS]
    cdef int k
    cdef double xc = x, q2c = q2
    pdf_clamp(pdf, &xc, &q2c)
    if all_light and pdf.kind == PDF_GRV94_TABLE and table_interp(pdf, xc, q2c, TAB_G, 2, buf):
        xg[0] = buf[0]
        charge_sum[0] = buf[1]
        return
    pdf_partons(pdf, x, q2, buf)
    xg[0] = buf[0]
    charge_sum[0] = 0.0
    for k in range(1, N_PARTONS):
        charge_sum[0] += eq2[k] * buf[k]


# ---------------------------------------------------------------- many members at once (PDF sets, section 10.3)
cdef enum:
    N_LIGHT = 6            # light (anti)quarks u, d, s, ubar, dbar, sbar = kernel partons 1..6
    LUMI_G = 0             # per-knot lanes of PDFLumiSet.fast: x g, then the pre-summed charge sum
    LUMI_SUMQ = 1
    LUMI_FAST_N = 2

cdef struct PDFLumiSet:
    int n_members
    int shared                 # 1: all members lhagrid1 with identical knots, flavours, range and options
    # range of the set: the intersection of the members' ranges; extrapolate_nearest when all members extrapolate
    double xmin
    double xmax
    double q2min
    double q2max
    int extrapolate_nearest
    # shared == 1: member 0's view gives knots, range and ForcePositive. Members are stored in n_chunks chunks of
    # `chunk` lanes (n_members, rounded up to LUMI_LANE_ALIGN from LUMI_LANE_ALIGN members on, at most
    # LUMI_CHUNK; lanes past n_members are zero), per subgrid and chunk:
    #   fast[isub]   [n_chunks][nx][nq][LUMI_FAST_N][chunk]: x g and sum_q eq2_sum[q] x f_q at the knots
    #   quarks[isub] [n_chunks][nx][nq][N_LIGHT][chunk]: x f of u, d, s, ubar, dbar, sbar
    #   safe[isub]   [(nx-1)(nq-1)]: bit q-1 set where ForcePositive provably changes quark q of no member
    #                inside the cell (all bits for ForcePositive 0)
    # lumi_set_eval interpolates the pre-summed charge sum (2 lanes per member instead of 7) when eq2 equals
    # eq2_sum, plus a ForcePositive correction for each quark not safe in the point's cell; for other eq2 the
    # six quarks, ForcePositive applied to each.
    const PDFView* geometry
    int chunk
    int n_chunks
    const double* fast[MAX_SUBGRIDS]
    const double* quarks[MAX_SUBGRIDS]
    const unsigned char* safe[MAX_SUBGRIDS]
    double eq2_sum[N_PARTONS]
    int has_parton[N_PARTONS]
    # shared == 0: every member evaluated on its own
    const PDFView** members


cdef void lumi_set_eval(const PDFLumiSet* s, double x, double q2, const double* eq2, double* sumq,
                        double* xg) noexcept nogil


cdef inline int lumi_set_range_code(const PDFLumiSet* s, double x, double q2) noexcept nogil:
    """pdf_range_code() of a whole set: 0 when every member may be evaluated at (x, Q^2), else 5 (x) or 6 (Q)."""
    if s.extrapolate_nearest:
        return PDF_RANGE_OK
    if not (x >= s.xmin and x <= s.xmax):
        return PDF_RANGE_X
    if not (q2 >= s.q2min and q2 <= s.q2max):
        return PDF_RANGE_Q
    return PDF_RANGE_OK


cdef class LumiSetCore:
    cdef PDFLumiSet lumi
    cdef object _pdfs
    cdef object _keep
    cdef bint _allow_shared
    cdef object _eq2
    cdef const PDFView** _member_views


cdef inline void pdf_charge_sum_gluon_scales(const PDFView* pdf, double x, double q2, const double* scale2,
                                             const double* log_scale2, int n, const double* eq2, bint all_light,
                                             double* charge_sum, double* xg) noexcept nogil:
    """pdf_charge_sum_gluon at (x, scale2[m] Q^2) for m < n (factorization-scale variations, docs/physics.md
    §10.2; log_scale2[m] = ln scale2[m]): the same values up to rounding, with the x part of the GRV94 table
    interpolation and ln Q^2 computed once."""
    cdef double buf[2]
    cdef double hu[4]
    cdef double lq2
    cdef int m, i
    if all_light and pdf.kind == PDF_GRV94_TABLE and n > 1 and not pdf.extrapolate_nearest:
        if table_u_part(pdf, x, &i, hu):
            lq2 = log(q2)
            for m in range(n):
                if table_interp_u(pdf, i, hu, lq2 + log_scale2[m], TAB_G, 2, buf):
                    xg[m] = buf[0]
                    charge_sum[m] = buf[1]
                else:
                    pdf_charge_sum_gluon(pdf, x, q2 * scale2[m], eq2, all_light, &charge_sum[m], &xg[m])
            return
    for m in range(n):
        pdf_charge_sum_gluon(pdf, x, q2 * scale2[m], eq2, all_light, &charge_sum[m], &xg[m])


# ---------------------------------------------------------------- helicity PDFs: GRSV 2000 LO (docs/physics.md §11)
cdef enum:
    GRSV_U = 0             # columns of the embedded GRSV 2000 LO tables (the grid file's order): x Du, x Dd,
    GRSV_D = 1             # x Dubar, x Ddbar, x Ds (= x Dsbar), x Dg; Du, Dd total (valence + sea quarks)
    GRSV_UBAR = 2
    GRSV_DBAR = 3
    GRSV_S = 4
    GRSV_G = 5

cdef enum:
    HELICITY_PLUS_ID_OFFSET = 900   # LHAPDF ids of Dq+ = Dq + Dqbar in polarized sets: 901 d, 902 u, 903 s

cdef enum:
    GRSV_LUT_N = 512          # bins of the knot look-up tables, uniform in ln x and in ln Q^2

cdef struct KnotLUT:
    # first knot >= v by one table look-up and at most a few compares (bins finer than the knot spacing)
    double lo                 # ln of the first knot
    double inv_width          # bins per unit of ln
    int first[GRSV_LUT_N]     # first knot index >= the bin's lower edge

cdef struct GRSVView:
    # one scenario of GRSV 2000 LO: x Df / (x^a (1-x)^b) at the knots, interpolated bilinearly in (ln x, ln Q^2)
    int nx                     # 42 x knots: 1e-4 ... 0.9 and the zero row x = 1
    int nq                     # 30 Q^2 knots: 0.8 ... 1e6 GeV^2
    const double* logx         # ln x knots [nx]
    const double* logq2        # ln Q^2 knots [nq]
    const double* reduced      # [nx][nq][6 columns GRSV_U .. GRSV_G], static data of _pdf (never freed)
    double xmin                # validity range: 1e-4 <= x <= 1, 0.8 <= Q^2 <= 1e6 GeV^2 (the knot range)
    double xmax
    double q2min
    double q2max
    const KnotLUT* xlut        # knot look-up tables of logx and logq2
    const KnotLUT* qlut

cdef class GRSV2000Table:
    cdef GRSVView view
    cdef readonly str scenario

cdef int grsv_xdelta(const GRSVView* t, double x, double q2, double* xdf6) noexcept nogil
cdef int grsv_flavours(const GRSVView* t, double x, double q2, double* xdf7) noexcept nogil


cdef inline int grsv_range_code(const GRSVView* t, double x, double q2) noexcept nogil:
    """PDF_RANGE_OK (0) inside the helicity PDF's range, PDF_RANGE_X (5) for x outside, PDF_RANGE_Q (6) for
    Q^2 outside (x first; NaN counts as outside): the codes of pdf_range_code()."""
    if not (x >= t.xmin and x <= t.xmax):
        return PDF_RANGE_X
    if not (q2 >= t.q2min and q2 <= t.q2max):
        return PDF_RANGE_Q
    return PDF_RANGE_OK


cdef inline double positivity_clamp(double xdf, double xf) noexcept nogil:
    """docs/physics.md (11.19): sign(x Df) min(|x Df|, x f), with x f < 0 taken as 0 (so |result| <= max(x f, 0));
    x Df itself where |x Df| <= x f already."""
    if xf < 0.0:
        xf = 0.0
    if xdf > xf:
        return xf
    if xdf < -xf:
        return -xf
    return xdf


cdef inline void helicity_combine(const double* xdf, const double* xf, const double* eq2, double* charge_sum,
                                  double* xdg) noexcept nogil:
    """From the seven x Df of grsv_flavours() (kernel order g, u, d, s, ubar, dbar, sbar): charge_sum =
    sum_q eq2[q] x Df_q over the quarks with eq2[q] != 0 (eq2[0] ignored) and xdg = x Dg. ``xf``: the unpolarized
    x f of the same seven partons at the same (x, mu_F^2) -- each flavour is clamped, |x Df| <= x f (11.19),
    before the sum -- or NULL for no clamp."""
    cdef int k
    cdef double v
    charge_sum[0] = 0.0
    for k in range(1, N_PARTONS):
        if eq2[k] != 0.0:
            v = xdf[k] if xf == NULL else positivity_clamp(xdf[k], xf[k])
            charge_sum[0] += eq2[k] * v
    xdg[0] = xdf[0] if xf == NULL else positivity_clamp(xdf[0], xf[0])


cdef inline void helicity_clamped_sum(const double* xdf, const PDFView* pdf, double x, double q2, const double* eq2,
                                      bint clamp_quarks, bint clamp_gluon, double xg, double* charge_sum,
                                      double* xdg) noexcept nogil:
    """helicity_combine of the seven x Df ``xdf`` with the positivity clamp (11.19): with ``clamp_quarks`` every
    quark against x q of ``pdf`` at (x, Q^2) (pdf_quarks) and the gluon against ``xg`` (x g of ``pdf`` there);
    else no quark clamp, and the gluon against ``xg`` with ``clamp_gluon``."""
    cdef double xf[N_PARTONS]
    if clamp_quarks:
        pdf_quarks(pdf, x, q2, xf)
        xf[0] = xg
        helicity_combine(xdf, xf, eq2, charge_sum, xdg)
        return
    helicity_combine(xdf, NULL, eq2, charge_sum, xdg)
    if clamp_gluon:
        xdg[0] = positivity_clamp(xdf[0], xg)


cdef inline void helicity_charge_sum_gluon(const GRSVView* t, const PDFView* pdf, double x, double q2,
                                           const double* eq2, bint clamp, const unsigned char* clamp_cells,
                                           double xg, double* charge_sum, double* xdg) noexcept nogil:
    """The helicity PDF factors of the kernels at (x, Q^2 = mu_F^2): charge_sum = sum_q eq2[q] x Df_q (the ff
    channel's sum_q e_q^2 x (Dq + Dqbar) for eq2 = the squared charges of the summed quarks and antiquarks) and
    xdg = x Dg (the PGF channels). ``clamp``: |x Df| <= x f per flavour (11.19) against ``pdf`` -- the gluon
    against ``xg`` (x g of ``pdf`` at the same point, which the kernels have anyway), the quarks against
    pdf_partons, evaluated only in the helicity-grid cells flagged in ``clamp_cells`` (NULL: every cell; see
    jpsi_fast.xsec.CrossSection.helicity_clamp_cells: elsewhere the clamp cannot act). No range check
    (grsv_range_code)."""
    cdef double xdf[N_PARTONS]
    cdef int cell = grsv_flavours(t, x, q2, xdf)
    helicity_clamped_sum(xdf, pdf, x, q2, eq2, clamp and (clamp_cells == NULL or clamp_cells[cell]), clamp, xg,
                         charge_sum, xdg)


cdef inline void helicity_from_grid(const PDFView* hp, bint plus_only, const PDFView* pdf, double x, double q2,
                                    const double* eq2, bint clamp, double xg, double* charge_sum,
                                    double* xdg) noexcept nogil:
    """helicity_charge_sum_gluon for helicity PDFs given as an LHAPDF lhagrid1 set ``hp`` (x Df per PDG id):
    with ``plus_only`` the set gives Dq+ = Dq + Dqbar under the ids 900 + |pid| (901 d, 902 u, 903 s), and
    charge_sum = sum over the quarks q with eq2[q] != 0 of eq2[q] x Dq+ (the caller checks that q and qbar are
    summed together), each clamped against x (q + qbar) of ``pdf``; else as helicity_charge_sum_gluon with every
    flavour clamped. The gluon (id 21) is clamped against ``xg``. No range check (pdf_range_code(hp, ...))."""
    cdef double xdf[N_PARTONS]
    cdef double xf[N_PARTONS]
    cdef double v
    cdef int k, pid
    if not plus_only:
        pdf_partons(hp, x, q2, xdf)
        helicity_clamped_sum(xdf, pdf, x, q2, eq2, clamp, clamp, xg, charge_sum, xdg)
        return
    if clamp:
        pdf_quarks(pdf, x, q2, xf)
    charge_sum[0] = 0.0
    for k in range(1, 4):                   # kernel partons u, d, s; their antiquarks are k + 3
        if eq2[k] == 0.0:
            continue
        pid = 2 if k == 1 else (1 if k == 2 else 3)
        v = pdf_xfx(hp, HELICITY_PLUS_ID_OFFSET + pid, x, q2)
        if clamp:
            v = positivity_clamp(v, xf[k] + xf[k + 3])
        charge_sum[0] += eq2[k] * v
    xdg[0] = pdf_xfx(hp, 21, x, q2)
    if clamp:
        xdg[0] = positivity_clamp(xdg[0], xg)
