# cython: language_level=3
"""Cross-section kernels: one pass per point evaluates the PDFs once, then every requested channel and
polarisation state (SPEC sections 4-5), writing dsigma/(dx dQ^2 dz dP_T^2) in pb/GeV^4.

``evaluate_into`` runs an OpenMP ``prange`` over fixed chunks of points (static schedule); each point is
independent, so results are bit-identical for any thread count and any chunking of the input.
"""
import numpy as np
from cython.parallel cimport prange
from libc.math cimport exp, sqrt, M_PI

from ._fragmentation cimport (FFConst, alpha_s_one_loop, fill_ff_const, ff_states_LT,
                              gaussian_convolution_LT)
from ._pdf cimport PDFView, PDFCore, pdf_partons, N_PARTONS

#: kernel parton order and squared charges
PARTON_NAMES = ("g", "u", "d", "s", "ubar", "dbar", "sbar")
QUARK_CHARGE2 = {"u": 4.0 / 9.0, "d": 1.0 / 9.0, "s": 1.0 / 9.0, "ubar": 4.0 / 9.0, "dbar": 1.0 / 9.0,
                 "sbar": 1.0 / 9.0}
CHUNK = 256


cdef class KernelConfig:
    """C parameter block built from a :class:`jpsi_fast.Params` (the only source of the numbers)."""

    def __init__(self, params, channels=(0, 1, 2, 3)):
        cdef int k
        from .params import GEV2_TO_PB
        self.kp.s_had = params.sqrt_s ** 2
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
        self.kp.alpha_s_pgf = alpha_s_one_loop(params.mu_pgf, params.lambda_qcd, params.n_f)
        self.kp.ldme_1s0_8 = params.ldme_1s0_8
        self.kp.ldme_3p0_8 = params.ldme_3p0_8
        self.kp.ldme_3s1_1 = params.ldme_3s1_1
        self.kp.pt2_pgf = params.pt2_pgf
        self.kp.dz2_pgf = params.dz2_pgf
        self.kp.channel_mask = 0
        for k in channels:
            self.kp.channel_mask |= 1 << int(k)


cdef void cross_section_point(const KernelParams* kp, const PDFView* pdf, double x, double z, double Q,
                              double PT, double* out) noexcept nogil:
    """out[3*channel + state] = dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4]; channels ff, 1S0[8], 3PJ[8], 3S1[1],
    states U, L, T. All zero for y > 1 (SPEC 1). Channels not in kp.channel_mask are left at zero."""
    cdef double Q2 = Q * Q, y = Q2 / (x * kp.s_had), ym, Yf, xf[N_PARTONS], sumq, fg
    cdef double dL, dT, pre, Q6, GT, Gz, aem2 = kp.alpha_em * kp.alpha_em, omz = 1.0 - z, den, U, L, T
    cdef int k
    for k in range(N_CHANNELS * N_STATES):
        out[k] = 0.0
    if y > 1.0:
        return
    pdf_partons(pdf, x, Q2, xf)
    ym = 1.0 - y
    Yf = ym + 0.5 * y * y                                    # 1 - y + y^2/2
    Q6 = Q2 * Q2 * Q2
    if kp.channel_mask & (1 << CH_FF):
        # pi * sigma0 * sum_q e_q^2 f_q * C[D]  with sigma0 = 4 pi alpha^2 Yf / Q^4     (SPEC 4)
        sumq = 0.0
        for k in range(1, N_PARTONS):
            sumq += kp.eq2[k] * xf[k]
        pre = M_PI * 4.0 * M_PI * aem2 * Yf / (Q2 * Q2) * (sumq / x) * kp.gev2pb
        if kp.gaussian:
            gaussian_convolution_LT(z, PT, kp.w, &kp.ff, &dL, &dT)
        else:
            ff_states_LT(z, PT * PT / (z * z), &kp.ff, &dL, &dT)
        out[0 * 3 + 1] = pre * dL
        out[0 * 3 + 2] = pre * dT
        out[0 * 3 + 0] = out[1] + out[2]
    if not (kp.channel_mask & ~(1 << CH_FF)):
        return
    fg = xf[0] / x
    if kp.channel_mask & ((1 << CH_1S0_8) | (1 << CH_3PJ_8)):
        GT = exp(-PT * PT / kp.pt2_pgf) / (M_PI * kp.pt2_pgf)
        Gz = exp(-omz * omz / kp.dz2_pgf) / sqrt(M_PI * kp.dz2_pgf)
        pre = M_PI * M_PI * M_PI * z * aem2 * kp.alpha_s_pgf * fg * GT * Gz * kp.gev2pb / (9.0 * Q6)
        if kp.channel_mask & (1 << CH_1S0_8):                # SPEC 5, 1S0[8]: L = U/3
            U = Yf * 32.0 * pre * kp.ldme_1s0_8 / (kp.M * (2.0 - z) ** 3)
            out[3 + 0] = U
            out[3 + 1] = U / 3.0
            out[3 + 2] = 2.0 * U / 3.0
        if kp.channel_mask & (1 << CH_3PJ_8):                # SPEC 5, 3PJ[8] summed over J
            pre = 64.0 * pre * kp.ldme_3p0_8 / (kp.M * kp.M * kp.M * (2.0 - z) ** 5)
            U = pre * (y * y * (8.0 - 8.0 * z + 3.0 * z * z) + 8.0 * ym * (2.0 - z)
                       - 2.0 * ym * z * (2.0 - z) ** 2)
            L = pre * z * z * ((2.0 - y) ** 2 - 2.0 * z * ym)
            out[6 + 0] = U
            out[6 + 1] = L
            out[6 + 2] = U - L
    if kp.channel_mask & (1 << CH_3S1_1):                    # SPEC 5, 3S1[1], gamma* g -> J/psi g
        pre = (512.0 * M_PI * omz * aem2 * kp.alpha_s_pgf * kp.alpha_s_pgf * kp.ldme_3s1_1 * Yf * fg * kp.gev2pb
               / (243.0 * kp.M * Q6 * z * (2.0 - z) ** 2))
        den = PT * PT + omz * omz * kp.M * kp.M
        T = pre * omz * omz * kp.M * kp.M * (1.0 + omz * omz) / (den * den)
        L = pre * PT * PT / (den * den)
        out[9 + 0] = L + T
        out[9 + 1] = L
        out[9 + 2] = T


cdef void evaluate_chunk(const KernelParams* kp, const PDFView* pdf, const double* x, const double* z,
                         const double* Q, const double* PT, Py_ssize_t start, Py_ssize_t stop, Py_ssize_t n,
                         const int* ch_sel, int n_ch, const int* st_sel, int n_st, double* out) noexcept nogil:
    cdef double buf[N_CHANNELS * N_STATES]
    cdef Py_ssize_t i
    cdef int a, b
    for i in range(start, stop):
        cross_section_point(kp, pdf, x[i], z[i], Q[i], PT[i], buf)
        for a in range(n_ch):
            for b in range(n_st):
                out[(a * n_st + b) * n + i] = buf[ch_sel[a] * N_STATES + st_sel[b]]


def evaluate_into(KernelConfig cfg, PDFCore pdf, const double[::1] x, const double[::1] z,
                  const double[::1] Q, const double[::1] PT, const int[::1] ch_sel, const int[::1] st_sel,
                  double[:, :, ::1] out, int n_threads):
    """Fill out[channel, state, i] for 1-D contiguous, validated inputs (see CrossSection.evaluate)."""
    cdef Py_ssize_t n = x.shape[0], nchunks = (n + CHUNK - 1) // CHUNK, c
    cdef int n_ch = ch_sel.shape[0], n_st = st_sel.shape[0]
    cdef Py_ssize_t chunk = CHUNK
    if n == 0:
        return
    for c in prange(nchunks, nogil=True, schedule="static", num_threads=n_threads):
        evaluate_chunk(&cfg.kp, &pdf.view, &x[0], &z[0], &Q[0], &PT[0], c * chunk,
                       min((c + 1) * chunk, n), n, &ch_sel[0], n_ch, &st_sel[0], n_st, &out[0, 0, 0])
