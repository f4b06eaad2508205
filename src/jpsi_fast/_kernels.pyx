# cython: language_level=3
"""Cross-section kernels: one pass per point evaluates the PDFs once, then every requested channel and kernel
element (docs/physics.md §4-5), writing the base components of a :class:`jpsi_fast.components.Layout` as
dsigma/(dx dQ^2 dz dP_T^2) in pb/GeV^4.

``evaluate_into`` runs an OpenMP ``prange`` over fixed chunks of points (static schedule); each point is
independent, so results are bit-identical for any thread count and any chunking of the input.
"""
import numpy as np
from cython.parallel cimport prange
from libc.math cimport exp, sqrt, M_PI
from libc.float cimport DBL_MAX

from ._fragmentation cimport (FFConst, alpha_s_one_loop, fill_ff_const, ff_states_LT,
                              gaussian_convolution_LT)
from ._kinematics cimport inelasticity
from ._pdf cimport PDFView, PDFCore, pdf_charge_sum_gluon, pdf_range_code

#: kernel parton order and squared charges
PARTON_NAMES = ("g", "u", "d", "s", "ubar", "dbar", "sbar")
QUARK_CHARGE2 = {"u": 4.0 / 9.0, "d": 1.0 / 9.0, "s": 1.0 / 9.0, "ubar": 4.0 / 9.0, "dbar": 1.0 / 9.0,
                 "sbar": 1.0 / 9.0}
#: points per parallel chunk of evaluate_into
CHUNK = 256


cdef class KernelConfig:
    """C parameter block built from a :class:`jpsi_fast.Params` (the only source of the numbers) and the
    :class:`jpsi_fast.components.Layout` whose components the kernel writes: its base components
    (``derived=False``, for the integrand) or all of them (``derived=True``, T = U - L included)."""

    def __init__(self, params, layout, bint derived=False):
        cdef int k
        from .params import GEV2_TO_PB, PT_MAX, Q_RANGE, X_MIN, Z_MIN
        offsets, src, coef = layout.kernel_terms(derived)
        self._keep = (offsets, src, coef)
        cdef const int[::1] ov = offsets
        cdef const int[::1] sv = src
        cdef const double[::1] cv = coef
        self.kp.n_out = offsets.shape[0] - 1
        if not 0 < self.kp.n_out <= MAX_OUT or src.shape[0] == 0:
            raise ValueError(f"a kernel writes 1 to {MAX_OUT} values per point, got {self.kp.n_out}")
        self.kp.out_offset = &ov[0]
        self.kp.term_src = &sv[0]
        self.kp.term_coef = &cv[0]
        self.kp.channel_mask = 0
        for k in range(src.shape[0]):
            self.kp.channel_mask |= 1 << (sv[k] // N_ELEMENTS)
        self.kp.s_had = params.sqrt_s ** 2
        self.kp.muf2_factor = params.mu_f_factor ** 2
        self.kp.x_min, self.kp.z_min = X_MIN, Z_MIN
        self.kp.q_min, self.kp.q_max = Q_RANGE
        self.kp.pt_max = PT_MAX
        self.kp.gev2pb = GEV2_TO_PB
        self.kp.alpha_em = params.alpha_em
        self.kp.M = params.M
        fill_ff_const(&self.kp.ff, params.M,
                      alpha_s_one_loop(params.mu_ff_value, params.lambda_qcd, params.n_f),
                      params.ldme_3s1_8, params.n_c)
        self.kp.gaussian = 1 if params.tmd_pdf == "gaussian" else 0
        self.kp.w = params.kt2_pdf
        for k, name in enumerate(PARTON_NAMES):
            self.kp.eq2[k] = QUARK_CHARGE2[name] if name in params.flavours else 0.0
        self.kp.all_light = len(set(params.flavours)) == 6
        self.kp.alpha_s_pgf = alpha_s_one_loop(params.mu_pgf, params.lambda_qcd, params.n_f)
        self.kp.ldme_1s0_8 = params.ldme_1s0_8
        self.kp.ldme_3p0_8 = params.ldme_3p0_8
        self.kp.ldme_3s1_1 = params.ldme_3s1_1
        self.kp.pt2_pgf = params.pt2_pgf
        self.kp.dz2_pgf = params.dz2_pgf
        # pre-multiplied constant factors of docs/physics.md §4-5 (pb conversion included)
        self.kp.inv_s_had = 1.0 / self.kp.s_had
        self.kp.M2 = params.M ** 2
        self.kp.inv_pt2_pgf = 1.0 / params.pt2_pgf
        self.kp.inv_dz2_pgf = 1.0 / params.dz2_pgf
        aem2 = params.alpha_em ** 2
        smear = 1.0 / (M_PI * params.pt2_pgf * sqrt(M_PI * params.dz2_pgf))     # G_T G_z normalisation
        self.kp.c_ff = 4.0 * M_PI ** 2 * aem2 * GEV2_TO_PB
        self.kp.c_1s0 = (32.0 * M_PI ** 3 * aem2 * self.kp.alpha_s_pgf * params.ldme_1s0_8 * GEV2_TO_PB * smear
                         / (9.0 * params.M))
        self.kp.c_3pj = (64.0 * M_PI ** 3 * aem2 * self.kp.alpha_s_pgf * params.ldme_3p0_8 * GEV2_TO_PB * smear
                         / (9.0 * params.M ** 3))
        self.kp.c_3s1 = (512.0 * M_PI * aem2 * self.kp.alpha_s_pgf ** 2 * params.ldme_3s1_1 * GEV2_TO_PB
                         / (243.0 * params.M))

    @property
    def n_out(self):
        """Base components written per point."""
        return self.kp.n_out


cdef inline void channel_elements(const KernelParams* kp, const PDFView* pdf, double x, double z, double Q,
                                  double PT, double* cl) noexcept nogil:
    """cl[N_ELEMENTS * channel + element] = dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4] of elements U, L of every
    channel in kp.channel_mask (others untouched); all zero for y > 1 (docs/physics.md §1). Constant factors are
    pre-multiplied in KernelConfig (c_ff, c_1s0, c_3pj, c_3s1); few divisions per point."""
    cdef double Q2 = Q * Q, inv_x = 1.0 / x, y = inelasticity(x, Q, kp.s_had)
    cdef double iQ2, iQ6, ym, Yf, sumq, xg, fg, tz, itz, itz2, omz, omz2, PT2, dL, dT, pre, ide, U, L
    cdef int k
    for k in range(N_CHANNELS * N_ELEMENTS):
        cl[k] = 0.0
    if y > 1.0:
        return
    pdf_charge_sum_gluon(pdf, x, Q2 * kp.muf2_factor, kp.eq2, kp.all_light, &sumq, &xg)
    iQ2 = 1.0 / Q2
    ym = 1.0 - y
    Yf = ym + 0.5 * y * y                                    # 1 - y + y^2/2
    PT2 = PT * PT
    if kp.channel_mask & (1 << CH_FF):
        # pi sigma0 sum_q e_q^2 f_q C[D],  sigma0 = 4 pi alpha^2 Yf / Q^4              (§4)
        pre = kp.c_ff * Yf * iQ2 * iQ2 * sumq * inv_x
        if kp.gaussian:
            gaussian_convolution_LT(z, PT, kp.w, &kp.ff, &dL, &dT)
        else:
            ff_states_LT(z, PT2 / (z * z), &kp.ff, &dL, &dT)
        cl[2 * CH_FF + 1] = pre * dL
        cl[2 * CH_FF] = pre * dL + pre * dT
    if not (kp.channel_mask & ~(1 << CH_FF)):
        return
    fg = xg * inv_x
    iQ6 = iQ2 * iQ2 * iQ2
    tz = 2.0 - z
    itz = 1.0 / tz
    itz2 = itz * itz
    omz = 1.0 - z
    omz2 = omz * omz
    if kp.channel_mask & ((1 << CH_1S0_8) | (1 << CH_3PJ_8)):
        # z alpha^2 alpha_s fg G_T G_z / Q^6 with G_T G_z = exp(-P_T^2/<P_T^2> - (1-z)^2/<dz^2>) / norms
        pre = z * fg * iQ6 * exp(-PT2 * kp.inv_pt2_pgf - omz2 * kp.inv_dz2_pgf)
        if kp.channel_mask & (1 << CH_1S0_8):                # §5, 1S0[8]: L = U/3
            U = kp.c_1s0 * Yf * pre * itz2 * itz
            cl[2 * CH_1S0_8] = U
            cl[2 * CH_1S0_8 + 1] = U * (1.0 / 3.0)
        if kp.channel_mask & (1 << CH_3PJ_8):                # §5, 3PJ[8] summed over J
            pre = kp.c_3pj * pre * itz2 * itz2 * itz
            cl[2 * CH_3PJ_8] = pre * (y * y * (8.0 - 8.0 * z + 3.0 * z * z) + 8.0 * ym * tz
                                      - 2.0 * ym * z * tz * tz)
            cl[2 * CH_3PJ_8 + 1] = pre * z * z * ((2.0 - y) * (2.0 - y) - 2.0 * z * ym)
    if kp.channel_mask & (1 << CH_3S1_1):                    # §5, 3S1[1], gamma* g -> J/psi g
        ide = 1.0 / (PT2 + omz2 * kp.M2)
        pre = kp.c_3s1 * omz * Yf * fg * iQ6 * itz2 / z * ide * ide
        L = pre * PT2
        cl[2 * CH_3S1_1] = L + pre * omz2 * kp.M2 * (1.0 + omz2)
        cl[2 * CH_3S1_1 + 1] = L


cdef void cross_section_point(const KernelParams* kp, const PDFView* pdf, double x, double z, double Q,
                              double PT, double* out) noexcept nogil:
    """out[i], i < kp.n_out: output i of the layout (a sparse combination of channel elements, see
    Layout.kernel_terms) in pb/GeV^4 at a valid point (check with point_error first)."""
    cdef double cl[N_CHANNELS * N_ELEMENTS]
    cdef double v
    cdef int i, t
    channel_elements(kp, pdf, x, z, Q, PT, cl)
    for i in range(kp.n_out):
        t = kp.out_offset[i]
        v = kp.term_coef[t] * cl[kp.term_src[t]]
        for t in range(t + 1, kp.out_offset[i + 1]):
            v += kp.term_coef[t] * cl[kp.term_src[t]]
        out[i] = v


cdef int point_error(const KernelParams* kp, const PDFView* pdf, double x, double z, double Q,
                     double PT) noexcept nogil:
    """0 for a valid point, else the code of the first bad argument (see kinematic_errors()). The PDF's range
    is only required where the point is kinematically allowed (y <= 1): forbidden points are 0 anyway."""
    if not (x >= kp.x_min and x < 1.0):
        return 1
    if not (z >= kp.z_min and z < 1.0):
        return 2
    if not (Q >= kp.q_min and Q <= kp.q_max):
        return 3
    if not (PT >= 0.0 and PT <= kp.pt_max):
        return 4
    if inelasticity(x, Q, kp.s_had) <= 1.0:
        return pdf_range_code(pdf, x, Q * Q * kp.muf2_factor)
    return 0


cdef void evaluate_chunk(const KernelParams* kp, const PDFView* pdf, const double* x, const double* z,
                         const double* Q, const double* PT, Py_ssize_t start, Py_ssize_t stop, Py_ssize_t n,
                         double* out, int* err_code, Py_ssize_t* err_index) noexcept nogil:
    cdef double buf[MAX_OUT]
    cdef Py_ssize_t i, a
    cdef int code
    for i in range(start, stop):
        code = point_error(kp, pdf, x[i], z[i], Q[i], PT[i])
        if code:
            if err_code[0] == 0:
                err_code[0] = code
                err_index[0] = i
            for a in range(kp.n_out):
                buf[a] = 0.0
        else:
            cross_section_point(kp, pdf, x[i], z[i], Q[i], PT[i], buf)
        for a in range(kp.n_out):
            out[a * n + i] = buf[a]


def kinematic_errors():
    """Error codes of evaluate_into -> (argument, allowed range) (limits from jpsi_fast.params)."""
    from .params import PT_MAX, Q_RANGE, X_MIN, Z_MIN
    return {1: ("x", f"[{X_MIN:g}, 1)"), 2: ("z", f"[{Z_MIN:g}, 1)"), 3: ("Q", f"[{Q_RANGE[0]:g}, {Q_RANGE[1]:g}] GeV"),
            4: ("PT", f"[0, {PT_MAX:g}] GeV"), 5: ("x", "the PDF's x range"), 6: ("Q", "the PDF's Q range")}


def evaluate_into(KernelConfig cfg, PDFCore pdf, const double[::1] x, const double[::1] z,
                  const double[::1] Q, const double[::1] PT, double[:, ::1] out, Py_ssize_t start,
                  Py_ssize_t stop, int n_threads):
    """Fill out[component, i] for start <= i < stop (1-D contiguous inputs; see CrossSection.evaluate).

    Inputs are validated inside the parallel loop; returns (0, -1) when all are valid, else
    (error code, index of the first invalid point) with codes from kinematic_errors() (columns of invalid points
    are zero)."""
    cdef Py_ssize_t n = x.shape[0], nchunks = (stop - start + CHUNK - 1) // CHUNK, c
    cdef Py_ssize_t chunk = CHUNK
    if out.shape[0] != cfg.kp.n_out or out.shape[1] != n:
        raise ValueError(f"out must have shape ({cfg.kp.n_out}, {n})")
    if stop <= start:
        return 0, -1
    codes = np.zeros(nchunks, dtype=np.intc)
    where = np.full(nchunks, -1, dtype=np.intp)
    cdef int[::1] cv = codes
    cdef Py_ssize_t[::1] wv = where
    for c in prange(nchunks, nogil=True, schedule="static", num_threads=n_threads):
        evaluate_chunk(&cfg.kp, &pdf.view, &x[0], &z[0], &Q[0], &PT[0], start + c * chunk,
                       min(start + (c + 1) * chunk, stop), n, &out[0, 0], &cv[c], &wv[c])
    bad = np.flatnonzero(codes)
    if bad.size:
        return int(codes[bad[0]]), int(where[bad[0]])
    return 0, -1
