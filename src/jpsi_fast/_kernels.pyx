# cython: language_level=3
"""Cross-section kernels: one pass per point evaluates the kinematics and FFs once, the PDFs once per factorization
scale (and once for all members of a PDF set), then every requested channel and kernel element of every base set
(docs/physics.md §4-5, §10), writing the base components of a :class:`jpsi_fast.components.Layout` as
dsigma/(dx dQ^2 dz dP_T^2) in pb/GeV^4.

``evaluate_into`` runs an OpenMP ``prange`` over fixed chunks of points (static schedule); each point is
independent, so results are bit-identical for any thread count and any chunking of the input.
"""
import numpy as np
from cython.parallel cimport prange
from libc.math cimport exp, log, sqrt, M_PI, NAN
from libc.stdlib cimport malloc, free

from ._fragmentation cimport (FFConst, alpha_s_one_loop, fill_ff_const, ff_states_LT,
                              gaussian_convolution_LT)
from ._kinematics cimport inelasticity
from ._pdf cimport (PDFView, PDFCore, LumiSetCore, lumi_set_eval, lumi_set_range_code,
                   pdf_charge_sum_gluon_scales, pdf_range_code)

#: kernel parton order and squared charges
PARTON_NAMES = ("g", "u", "d", "s", "ubar", "dbar", "sbar")
QUARK_CHARGE2 = {"u": 4.0 / 9.0, "d": 1.0 / 9.0, "s": 1.0 / 9.0, "ubar": 4.0 / 9.0, "dbar": 1.0 / 9.0,
                 "sbar": 1.0 / 9.0}
#: points per parallel chunk of evaluate_into
CHUNK = 256
#: error code of evaluate_into when the per-point scratch could not be allocated
NO_MEMORY = ERR_NO_MEMORY


cdef class KernelConfig:
    """C parameter block built from a :class:`jpsi_fast.Params` (the only source of the numbers) and the
    :class:`jpsi_fast.components.Layout` whose components the kernel writes: its base components
    (``derived=False``, for the integrand and for results with variations) or all of them (``derived=True``,
    T = U - L included). The layout's base sets (docs/physics.md §10: factorization scales, PDF-set members,
    TMD widths) are evaluated in the same pass; ``members`` is the :class:`jpsi_fast.pdf.LumiSetCore` of the
    layout's PDF set (needed when a base set names a member)."""

    def __init__(self, params, layout, bint derived=False, members=None):
        cdef int k, b
        cdef LumiSetCore lumi
        from .params import GEV2_TO_PB, PT_MAX, Q_RANGE, X_MIN, Z_MIN
        offsets, src, coef = layout.kernel_terms(derived)
        self.kp.n_out = offsets.shape[0] - 1
        if self.kp.n_out <= 0 or src.shape[0] == 0:
            raise ValueError(f"a kernel writes at least one value per point, got {self.kp.n_out}")
        cdef const int[::1] ov = offsets
        cdef const int[::1] sv = src
        cdef const double[::1] cv = coef
        self.kp.out_offset = &ov[0]
        self.kp.term_src = &sv[0]
        self.kp.term_coef = &cv[0]
        self.kp.channel_mask = 0
        for k in range(src.shape[0]):
            self.kp.channel_mask |= 1 << ((sv[k] // N_ELEMENTS) % N_CHANNELS)
        self.kp.x_min, self.kp.z_min = X_MIN, Z_MIN
        self.kp.q_min, self.kp.q_max = Q_RANGE
        self.kp.pt_max = PT_MAX
        self.kp.s_had = params.sqrt_s ** 2
        self.kp.inv_s_had = 1.0 / self.kp.s_had
        self.kp.gev2pb = GEV2_TO_PB
        self.kp.alpha_em = params.alpha_em
        self.kp.M = params.M
        self.kp.M2 = params.M ** 2
        fill_ff_const(&self.kp.ff, params.M,
                      alpha_s_one_loop(params.mu_ff_value, params.lambda_qcd, params.n_f),
                      params.ldme_3s1_8, params.n_c)
        self.kp.gaussian = 1 if params.tmd_pdf == "gaussian" else 0
        for k, name in enumerate(PARTON_NAMES):
            self.kp.eq2[k] = QUARK_CHARGE2[name] if name in params.flavours else 0.0
        self.kp.all_light = len(set(params.flavours)) == 6
        self.kp.alpha_s_pgf = alpha_s_one_loop(params.mu_pgf, params.lambda_qcd, params.n_f)
        self.kp.ldme_1s0_8 = params.ldme_1s0_8
        self.kp.ldme_3p0_8 = params.ldme_3p0_8
        self.kp.ldme_3s1_1 = params.ldme_3s1_1
        # central widths (a base set may replace them)
        self.kp.w = params.kt2_pdf
        self.kp.pt2_pgf = params.pt2_pgf
        self.kp.dz2_pgf = params.dz2_pgf
        aem2 = params.alpha_em ** 2
        self.kp.c_ff = 4.0 * M_PI ** 2 * aem2 * GEV2_TO_PB
        self.kp.c_3s1 = (512.0 * M_PI * aem2 * self.kp.alpha_s_pgf ** 2 * params.ldme_3s1_1 * GEV2_TO_PB
                         / (243.0 * params.M))
        # base sets: PDF slot (scale or member) and width group of each
        sets = layout.base_sets
        mufs = []
        for xi_f, member, widths in sets:
            if member is None and xi_f not in mufs:
                mufs.append(xi_f)
        if not mufs:
            mufs.append(1.0)
        if len(mufs) > MAX_MUF:
            raise ValueError(f"at most {MAX_MUF} distinct factorization scales per evaluation, got {len(mufs)}")
        if any(m is not None for _, m, _ in sets):
            if members is None:
                raise ValueError("the layout has PDF-set members: pass the set's LumiSetCore as members")
            lumi = members
            self.kp.members = &lumi.lumi
            self.kp.n_members = lumi.lumi.n_members
        else:
            self.kp.members = NULL
            self.kp.n_members = 0
        self.kp.n_muf = len(mufs)
        for k, m in enumerate(mufs):
            self.kp.muf2[k] = (m * params.mu_f_factor) ** 2
            self.kp.log_muf2[k] = log(self.kp.muf2[k])
        self.kp.n_lumi = self.kp.n_muf + self.kp.n_members
        set_lumi, set_group, groups, ffw = [], [], [], []
        for xi_f, member, widths in sets:
            if member is not None:
                if xi_f != 1.0:
                    raise ValueError("PDF-set members are evaluated at the central factorization scale only")
                if not 0 <= member < self.kp.n_members:
                    raise ValueError(f"PDF member {member} not in the set's {self.kp.n_members} members")
                set_lumi.append(len(mufs) + member)
            else:
                set_lumi.append(mufs.index(xi_f))
            w = tuple(widths) if widths is not None else (params.kt2_pdf, params.pt2_pgf, params.dz2_pgf)
            if w not in groups:
                groups.append(w)
            set_group.append(groups.index(w))
        group_ffw = np.empty(len(groups), dtype=np.intc)
        group_pgf = np.empty((len(groups), PGF_SET_N))
        for g, (kt2, pt2, dz2) in enumerate(groups):
            if kt2 not in ffw:
                ffw.append(kt2)
            group_ffw[g] = ffw.index(kt2)
            smear = 1.0 / (M_PI * pt2 * sqrt(M_PI * dz2))          # G_T G_z normalisation
            group_pgf[g, 0] = 1.0 / pt2
            group_pgf[g, 1] = 1.0 / dz2
            group_pgf[g, 2] = (32.0 * M_PI ** 3 * aem2 * self.kp.alpha_s_pgf * params.ldme_1s0_8 * GEV2_TO_PB
                               * smear / (9.0 * params.M))
            group_pgf[g, 3] = (64.0 * M_PI ** 3 * aem2 * self.kp.alpha_s_pgf * params.ldme_3p0_8 * GEV2_TO_PB
                               * smear / (9.0 * params.M ** 3))
        # per output term: its unit value and its PDF factor
        per_set = N_CHANNELS * N_ELEMENTS
        b_of = src // per_set
        r_of = src % per_set
        ch_of = r_of // N_ELEMENTS
        term_unit = (np.asarray(set_group, dtype=np.intc)[b_of] * per_set + r_of).astype(np.intc)
        slot = np.asarray(set_lumi, dtype=np.intc)[b_of]
        term_lumi = np.where(ch_of == CH_FF, slot, self.kp.n_lumi + slot).astype(np.intc)
        ffw = np.array(ffw, dtype=np.float64)
        cdef const int[::1] gfv = group_ffw
        cdef const double[:, ::1] gpv = group_pgf
        cdef const double[::1] fwv = ffw
        cdef const int[::1] tuv = term_unit
        cdef const int[::1] tlv = term_lumi
        self.kp.n_groups = len(groups)
        self.kp.group_ffw = &gfv[0]
        self.kp.group_pgf = &gpv[0, 0]
        self.kp.n_ffw = len(ffw)
        self.kp.ffw = &fwv[0]
        self.kp.term_unit = &tuv[0]
        self.kp.term_lumi = &tlv[0]
        single_terms = bool(np.all(np.diff(offsets) == 1) and np.all(coef == 1.0))
        n_sets = len(sets)
        n_ce = self.kp.n_out // n_sets if self.kp.n_out % n_sets == 0 else 0
        self.kp.set_major = bool(single_terms and n_ce > 0
                                 and np.array_equal(b_of, np.repeat(np.arange(n_sets), n_ce))
                                 and np.all(r_of.reshape(n_sets, n_ce) == r_of[:n_ce]))
        ce_unit = np.ascontiguousarray(r_of[:max(n_ce, 1)], dtype=np.intc)
        ce_is_ff = np.ascontiguousarray(ch_of[:max(n_ce, 1)] == CH_FF, dtype=np.float64)
        set_group_a = np.asarray(set_group, dtype=np.intc)
        set_lumi_a = np.asarray(set_lumi, dtype=np.intc)
        cdef const int[::1] cuv = ce_unit
        cdef const double[::1] cfv = ce_is_ff
        cdef const int[::1] sgv = set_group_a
        cdef const int[::1] slv = set_lumi_a
        self.kp.n_sets = n_sets
        self.kp.n_ce = n_ce
        self.kp.ce_unit = &cuv[0]
        self.kp.ce_is_ff = &cfv[0]
        self.kp.set_group = &sgv[0]
        self.kp.set_lumi = &slv[0]
        self.kp.n_scratch = (2 * self.kp.n_lumi + 2 * self.kp.n_ffw + per_set * self.kp.n_groups
                             + 2 * n_ce * self.kp.n_groups)
        self._keep = (offsets, src, coef, group_ffw, group_pgf, ffw, term_unit, term_lumi, members, ce_unit,
                      ce_is_ff, set_group_a, set_lumi_a)

    @property
    def n_out(self):
        """Base components written per point."""
        return self.kp.n_out


cdef void unit_elements(const KernelParams* kp, int g, double dL, double dT, double x, double z, double PT2,
                        double y, double* cl) noexcept nogil:
    """cl[N_ELEMENTS * channel + element] = dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4] of elements U, L of every
    channel in kp.channel_mask (others 0) for width group g (docs/physics.md §4-5) with unit PDF factors: the ff
    elements per unit sum_q e_q^2 x f_q, the PGF elements per unit x g. dL, dT: the FF channel's L and T
    convolutions at the group's width."""
    cdef double Q2 = x * y * kp.s_had, iQ2 = 1.0 / Q2, iQ6, ym = 1.0 - y, Yf = ym + 0.5 * y * y, inv_x = 1.0 / x
    cdef double tz, itz, itz2, omz, omz2, pre, ide, U, L
    cdef const double* pg = kp.group_pgf + g * PGF_SET_N
    cdef int k
    for k in range(N_CHANNELS * N_ELEMENTS):
        cl[k] = 0.0
    if kp.channel_mask & (1 << CH_FF):
        # pi sigma0 sum_q e_q^2 f_q C[D],  sigma0 = 4 pi alpha^2 Yf / Q^4              (§4)
        pre = kp.c_ff * Yf * iQ2 * iQ2 * inv_x
        cl[2 * CH_FF + 1] = pre * dL
        cl[2 * CH_FF] = pre * dL + pre * dT
    if not (kp.channel_mask & ~(1 << CH_FF)):
        return
    iQ6 = iQ2 * iQ2 * iQ2 * inv_x                            # 1/Q^6 times 1/x of f_g = x g / x
    tz = 2.0 - z
    itz = 1.0 / tz
    itz2 = itz * itz
    omz = 1.0 - z
    omz2 = omz * omz
    if kp.channel_mask & ((1 << CH_1S0_8) | (1 << CH_3PJ_8)):
        # z alpha^2 alpha_s fg G_T G_z / Q^6 with G_T G_z = exp(-P_T^2/<P_T^2> - (1-z)^2/<dz^2>) / norms
        pre = z * iQ6 * exp(-PT2 * pg[0] - omz2 * pg[1])
        if kp.channel_mask & (1 << CH_1S0_8):                # §5, 1S0[8]: L = U/3
            U = pg[2] * Yf * pre * itz2 * itz
            cl[2 * CH_1S0_8] = U
            cl[2 * CH_1S0_8 + 1] = U * (1.0 / 3.0)
        if kp.channel_mask & (1 << CH_3PJ_8):                # §5, 3PJ[8] summed over J
            pre = pg[3] * pre * itz2 * itz2 * itz
            cl[2 * CH_3PJ_8] = pre * (y * y * (8.0 - 8.0 * z + 3.0 * z * z) + 8.0 * ym * tz
                                      - 2.0 * ym * z * tz * tz)
            cl[2 * CH_3PJ_8 + 1] = pre * z * z * ((2.0 - y) * (2.0 - y) - 2.0 * z * ym)
    if kp.channel_mask & (1 << CH_3S1_1):                    # §5, 3S1[1], gamma* g -> J/psi g
        ide = 1.0 / (PT2 + omz2 * kp.M2)
        pre = kp.c_3s1 * omz * Yf * iQ6 * itz2 / z * ide * ide
        L = pre * PT2
        cl[2 * CH_3S1_1] = L + pre * omz2 * kp.M2 * (1.0 + omz2)
        cl[2 * CH_3S1_1 + 1] = L


cdef int cross_section_point(const KernelParams* kp, const PDFView* pdf, double x, double z, double Q,
                             double PT, double* out, Py_ssize_t stride) noexcept nogil:
    """out[i * stride], i < kp.n_out: output i of the layout (a sparse combination of the base sets' channel
    elements, see Layout.kernel_terms) in pb/GeV^4 at a valid point (check with point_error first); all zero
    for y > 1 (docs/physics.md §1). Returns 0, or ERR_NO_MEMORY (outputs NaN) when the scratch of a layout with
    very many base sets cannot be allocated. Kinematics once; PDFs once per distinct mu_F plus once for all PDF-set
    members (shared interpolation weights); the FF convolution once per distinct TMD width."""
    cdef double stack[STACK_SCRATCH]
    cdef double* scratch = stack
    cdef double* lumi
    cdef double* ffLT
    cdef double* unit
    cdef double v, sq, gl, Q2 = Q * Q, y = inelasticity(x, Q, kp.s_had), PT2 = PT * PT
    cdef double* ab
    cdef double* a_g
    cdef double* b_g
    cdef double* o
    cdef int i, t, g, m, b, k, nce, nl = kp.n_lumi
    if y > 1.0:
        for i in range(kp.n_out):
            out[i * stride] = 0.0
        return 0
    if kp.n_scratch > STACK_SCRATCH:
        scratch = <double*>malloc(kp.n_scratch * sizeof(double))
        if scratch == NULL:
            for i in range(kp.n_out):
                out[i * stride] = NAN
            return ERR_NO_MEMORY
    lumi = scratch                    # [charge sums of the nl PDF slots][gluons of the nl slots]
    ffLT = scratch + 2 * nl
    unit = ffLT + 2 * kp.n_ffw
    pdf_charge_sum_gluon_scales(pdf, x, Q2, kp.muf2, kp.log_muf2, kp.n_muf, kp.eq2, kp.all_light, lumi, lumi + nl)
    if kp.n_members:
        lumi_set_eval(kp.members, x, Q2 * kp.muf2[0], kp.eq2, lumi + kp.n_muf, lumi + nl + kp.n_muf)
    for m in range(2 * kp.n_ffw):
        ffLT[m] = 0.0
    if kp.channel_mask & (1 << CH_FF):
        for m in range(kp.n_ffw):
            if kp.gaussian:
                gaussian_convolution_LT(z, PT, kp.ffw[m], &kp.ff, &ffLT[2 * m], &ffLT[2 * m + 1])
            else:
                ff_states_LT(z, PT2 / (z * z), &kp.ff, &ffLT[2 * m], &ffLT[2 * m + 1])
    for g in range(kp.n_groups):
        m = kp.group_ffw[g]
        unit_elements(kp, g, ffLT[2 * m], ffLT[2 * m + 1], x, z, PT2, y, unit + g * N_CHANNELS * N_ELEMENTS)
    if kp.set_major:
        # A_g[k] = unit of element k if it is an ff element else 0, B_g[k] the other way round: per base set
        # out = A * charge sum + B * gluon (the zero product adds exactly 0), a contiguous, vectorizable loop
        ab = unit + kp.n_groups * N_CHANNELS * N_ELEMENTS
        nce = kp.n_ce
        for g in range(kp.n_groups):
            for k in range(nce):
                v = unit[g * N_CHANNELS * N_ELEMENTS + kp.ce_unit[k]]
                ab[2 * g * nce + k] = v * kp.ce_is_ff[k]
                ab[(2 * g + 1) * nce + k] = v * (1.0 - kp.ce_is_ff[k])
        for b in range(kp.n_sets):
            a_g = ab + 2 * kp.set_group[b] * nce
            b_g = a_g + nce
            sq = lumi[kp.set_lumi[b]]
            gl = lumi[nl + kp.set_lumi[b]]
            o = out + b * nce * stride
            for k in range(nce):
                o[k * stride] = a_g[k] * sq + b_g[k] * gl
        if scratch != stack:
            free(scratch)
        return 0
    for i in range(kp.n_out):                     # a row may have no terms (a channel rescaled by 0): 0
        v = 0.0
        for t in range(kp.out_offset[i], kp.out_offset[i + 1]):
            v += kp.term_coef[t] * unit[kp.term_unit[t]] * lumi[kp.term_lumi[t]]
        out[i * stride] = v
    if scratch != stack:
        free(scratch)
    return 0


cdef int point_error(const KernelParams* kp, const PDFView* pdf, double x, double z, double Q,
                     double PT) noexcept nogil:
    """0 for a valid point, else the code of the first bad argument (see kinematic_errors()). The PDFs' range
    (at every factorization scale, and of the PDF-set members) is only required where the point is kinematically
    allowed (y <= 1): forbidden points are 0 anyway."""
    cdef int m, code
    if not (x >= kp.x_min and x < 1.0):
        return 1
    if not (z >= kp.z_min and z < 1.0):
        return 2
    if not (Q >= kp.q_min and Q <= kp.q_max):
        return 3
    if not (PT >= 0.0 and PT <= kp.pt_max):
        return 4
    if inelasticity(x, Q, kp.s_had) <= 1.0:
        for m in range(kp.n_muf):
            code = pdf_range_code(pdf, x, Q * Q * kp.muf2[m])
            if code:
                return code
        if kp.n_members:
            return lumi_set_range_code(kp.members, x, Q * Q * kp.muf2[0])
    return 0


cdef void evaluate_chunk(const KernelParams* kp, const PDFView* pdf, const double* x, const double* z,
                         const double* Q, const double* PT, Py_ssize_t start, Py_ssize_t stop, Py_ssize_t n,
                         bint point_major, double* out, int* err_code, Py_ssize_t* err_index) noexcept nogil:
    """Points [start, stop) into out: component-major out[a * n + i] or point-major out[i * n_out + a]."""
    cdef Py_ssize_t i, a, stride = 1 if point_major else n
    cdef double* row
    cdef int code
    for i in range(start, stop):
        row = out + (i * kp.n_out if point_major else i)
        code = point_error(kp, pdf, x[i], z[i], Q[i], PT[i])
        if code:
            if err_code[0] == 0:
                err_code[0] = code
                err_index[0] = i
            for a in range(kp.n_out):
                row[a * stride] = 0.0
        else:
            code = cross_section_point(kp, pdf, x[i], z[i], Q[i], PT[i], row, stride)
            if code and err_code[0] == 0:
                err_code[0] = code
                err_index[0] = i


def kinematic_errors():
    """Error codes of evaluate_into -> (argument, allowed range) (limits from jpsi_fast.params)."""
    from .params import PT_MAX, Q_RANGE, X_MIN, Z_MIN
    return {1: ("x", f"[{X_MIN:g}, 1)"), 2: ("z", f"[{Z_MIN:g}, 1)"), 3: ("Q", f"[{Q_RANGE[0]:g}, {Q_RANGE[1]:g}] GeV"),
            4: ("PT", f"[0, {PT_MAX:g}] GeV"), 5: ("x", "the PDF's x range"), 6: ("Q", "the PDF's Q range")}


def evaluate_into(KernelConfig cfg, PDFCore pdf, const double[::1] x, const double[::1] z,
                  const double[::1] Q, const double[::1] PT, double[:, ::1] out, Py_ssize_t start,
                  Py_ssize_t stop, int n_threads, bint point_major=False):
    """Fill out[component, i] (or, ``point_major``, out[i, component]: many components per point, e.g. PDF-set
    members, are then written contiguously) for start <= i < stop (1-D contiguous inputs; see
    CrossSection.evaluate).

    Inputs are validated inside the parallel loop; returns (0, -1) when all are valid, else
    (error code, index of the first invalid point) with codes from kinematic_errors() (columns of invalid points
    are zero)."""
    cdef Py_ssize_t n = x.shape[0], nchunks = (stop - start + CHUNK - 1) // CHUNK, c
    cdef Py_ssize_t chunk = CHUNK
    if point_major and (out.shape[0] != n or out.shape[1] != cfg.kp.n_out):
        raise ValueError(f"out must have shape ({n}, {cfg.kp.n_out})")
    if not point_major and (out.shape[0] != cfg.kp.n_out or out.shape[1] != n):
        raise ValueError(f"out must have shape ({cfg.kp.n_out}, {n})")
    if stop <= start:
        return 0, -1
    codes = np.zeros(nchunks, dtype=np.intc)
    where = np.full(nchunks, -1, dtype=np.intp)
    cdef int[::1] cv = codes
    cdef Py_ssize_t[::1] wv = where
    for c in prange(nchunks, nogil=True, schedule="static", num_threads=n_threads):
        evaluate_chunk(&cfg.kp, &pdf.view, &x[0], &z[0], &Q[0], &PT[0], start + c * chunk,
                       min(start + (c + 1) * chunk, stop), n, point_major, &out[0, 0], &cv[c], &wv[c])
    bad = np.flatnonzero(codes)
    if bad.size:
        return int(codes[bad[0]]), int(where[bad[0]])
    return 0, -1
