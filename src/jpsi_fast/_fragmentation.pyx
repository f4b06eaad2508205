# cython: language_level=3
"""TMD fragmentation functions q -> J/psi via 3S1[8] (docs/physics.md §3) and their Gaussian convolution with
the TMD PDF (docs/physics.md §4), as nogil C functions with thin vectorised Python wrappers.

Gaussian convolution C[D](z, P_T) = int d^2k_T  G_w(k_T + P_T/z) D(z, k_T), G_w(p) = exp(-p^2/w)/(pi w)
(normalised: multiply by f_q(x, Q) for the specification's C[f_q, D]). Two quadratures:

* b = m^2/w >= 10, m^2 = M^2(1-z)/z^2 the distance of D's pole (at k_T^2 = -m^2): 2-D Gauss-Hermite
  (12 x 6 nodes, symmetric half) in the Gaussian variable p = k_T + P_T/z. D is then a rational function of
  p that is smooth on the Gaussian's scale; measured error < 1e-8 relative (tests: < 1e-7 against an
  adaptive reference). Costs 72 rational evaluations, no transcendental function.
* b < 10 (z close to 1, where D's pole approaches the real axis): the radial integral
  (1/w) int du exp(-(sqrt(u) - a)^2/w) I0e(2 a sqrt(u)/w) D(u), a = P_T/z, u = k_T^2, in the variable
  tau = ln(1 + u/m^2) which removes the pole's scale; composite 16-point Gauss-Legendre on >= 8 panels of
  width <= 1 over sqrt(u) in [a - 8 sqrt(w), a + 8 sqrt(w)] (the Gaussian beyond is < e^-64). Error ~1e-13.
"""
import numpy as np
from libc.math cimport log, exp, expm1, sqrt, ceil, M_PI

include "_quadrature_rules.pxi"

cdef double GH_X[GH_NX]
cdef double GH_XW[GH_NX]
cdef double GH_Y2[GH_NY]
cdef double GH_YW[GH_NY]
cdef double GL_X[GL_N]
cdef double GL_W[GL_N]
cdef double I0E_LOW[I0E_NLOW]
cdef double I0E_HIGH[I0E_NHIGH]


def _init_rules():
    cdef int i
    for i in range(GH_NX):
        GH_X[i] = GH_X_FLAT[i]
        GH_XW[i] = GH_XW_FLAT[i]
    for i in range(GH_NY):
        GH_Y2[i] = GH_Y_FLAT[i] ** 2
        GH_YW[i] = GH_YW_FLAT[i]
    for i in range(GL_N):
        GL_X[i] = GL_X_FLAT[i]
        GL_W[i] = GL_W_FLAT[i]
    for i in range(I0E_NLOW):
        I0E_LOW[i] = I0E_LOW_FLAT[i]
    for i in range(I0E_NHIGH):
        I0E_HIGH[i] = I0E_HIGH_FLAT[i]


_init_rules()

#: the 18 leading-twist quark TMD FFs of a spin-1 hadron (docs/physics.md §3), in this order
TMD_FF_NAMES = ("D1", "D1T_perp", "G1L", "G1T", "H1_perp", "H1L_perp", "H1T", "H1T_perp",
                "D1LL", "D1LT", "D1TT", "G1LT", "G1TT", "H1LL_perp", "H1LT", "H1LT_perp", "H1TT", "H1TT_perp")
cdef enum:
    FF_D1 = 0
    FF_G1L = 2
    FF_G1T = 3
    FF_D1LL = 8
    FF_D1LT = 9
    FF_D1TT = 10
cdef double GAUSS_HERMITE_MIN_B = 10.0     # switch between the two convolution quadratures (module docstring)


cdef double alpha_s_one_loop(double mu, double lambda_qcd, int n_f) noexcept nogil:
    """alpha_s(mu) = 2 pi / ((11 - 2 n_f/3) ln(mu/Lambda)) (docs/physics.md §2)."""
    return 2.0 * M_PI / ((11.0 - 2.0 * n_f / 3.0) * log(mu / lambda_qcd))


cdef void fill_ff_const(FFConst* c, double M, double alpha_s, double ldme_3s1_8, double n_c) noexcept nogil:
    c.M = M
    c.M2 = M * M
    c.norm = alpha_s * alpha_s * ldme_3s1_8 / (9.0 * M_PI)
    c.n_c = n_c


cdef double tmd_ff_value(int which, double z, double kT2, const FFConst* c) noexcept nogil:
    """One quark TMD FF (index into TMD_FF_NAMES) at (z, k_T^2) [GeV^-2]; zero ones return 0 (docs/physics.md §3)."""
    cdef double delta = z * z * kT2 + c.M2 * (1.0 - z)
    cdef double inv2 = 1.0 / (delta * delta)
    cdef double cz = ff_cz(z, c)
    cdef double poly = kT2 * z * z * (z * z - 2.0 * z + 2.0)
    if which == FF_D1:
        return cz * (poly + 2.0 * c.M2 * (1.0 - z) * (1.0 - z)) * inv2
    if which == FF_D1LL:
        return cz * (poly - 4.0 * c.M2 * (1.0 - z) * (1.0 - z)) * inv2
    if which == FF_D1LT:
        return -2.0 * c.norm * (2.0 - z) * (1.0 - z) / c.M * inv2
    if which == FF_D1TT:
        return -2.0 * c.norm * z * (1.0 - z) / c.M * inv2
    if which == FF_G1L:
        return c.norm * kT2 * z * z * (2.0 - z) / (c.M * c.M2) * inv2
    if which == FF_G1T:                 # sign fixed by a full-amplitude check (docs/physics.md §3)
        return -2.0 * c.norm * z * (1.0 - z) / c.M * inv2
    return 0.0


cdef double bessel_i0e(double x) noexcept nogil:
    """exp(-|x|) I0(x) from Chebyshev fits (tools/gen_constants.py; rel. error < 1e-13)."""
    cdef const double* c
    cdef int n, k
    cdef double y, b0 = 0.0, b1 = 0.0, b2 = 0.0
    if x < 0:
        x = -x
    if x <= 8.0:
        c, n, y = I0E_LOW, I0E_NLOW, 0.25 * x - 1.0
    else:
        c, n, y = I0E_HIGH, I0E_NHIGH, 16.0 / x - 1.0
    for k in range(n - 1, 0, -1):
        b2 = b1
        b1 = b0
        b0 = c[k] + 2.0 * y * b1 - b2
    b0 = c[0] + y * b0 - b1
    return b0 if x <= 8.0 else b0 / sqrt(x)


cdef void gaussian_convolution_LT(double z, double PT, double w, const FFConst* c,
                                  double* outL, double* outT) noexcept nogil:
    """C[D_L] and C[D_T] for a normalised Gaussian TMD PDF of width w = <k_T^2> [GeV^2] (module docstring)."""
    cdef double a = PT / z, m2 = c.M2 * (1.0 - z) / (z * z), sw = sqrt(w)
    cdef double cL, cT, accL = 0.0, accT = 0.0, px, X, k2, delta, inv2, wt
    cdef double klo, khi, tlo, thi, h, t0, tau, et, u, k, g
    cdef int i, j, npan, p
    ff_state_coefficients(z, c, &cL, &cT)
    if m2 >= GAUSS_HERMITE_MIN_B * w:
        for i in range(GH_NX):
            px = sw * GH_X[i] - a
            X = px * px
            for j in range(GH_NY):
                k2 = X + w * GH_Y2[j]
                delta = z * z * k2 + c.M2 * (1.0 - z)
                inv2 = GH_XW[i] * GH_YW[j] / (delta * delta)
                accL += inv2
                accT += k2 * inv2
        outL[0] = cL * accL
        outT[0] = cT * accT
        return
    klo = a - 8.0 * sw
    if klo < 0.0:
        klo = 0.0
    khi = a + 8.0 * sw
    tlo = log(1.0 + klo * klo / m2)
    thi = log(1.0 + khi * khi / m2)
    npan = <int>ceil(thi - tlo)
    if npan < 8:
        npan = 8
    h = (thi - tlo) / npan
    for p in range(npan):
        t0 = tlo + (p + 0.5) * h
        for j in range(GL_N):
            tau = t0 + 0.5 * h * GL_X[j]
            et = exp(tau)
            u = m2 * expm1(tau)
            k = sqrt(u)
            # (1/w) du Gauss(k) I0e D(u), du = m^2 e^tau dtau, Delta = z^2 m^2 e^tau
            g = (0.5 * h * GL_W[j]) * exp(-(k - a) * (k - a) / w) * bessel_i0e(2.0 * k * a / w) * m2 * et / w
            delta = z * z * m2 * et
            inv2 = g / (delta * delta)
            accL += inv2
            accT += u * inv2
    outL[0] = cL * accL
    outT[0] = cT * accT


# ------------------------------------------------------------------ vectorised Python wrappers (no checks)
def _alpha_s(const double[::1] mu, double lambda_qcd, int n_f):
    out = np.empty(mu.shape[0])
    cdef double[::1] o = out
    cdef Py_ssize_t i
    for i in range(mu.shape[0]):
        o[i] = alpha_s_one_loop(mu[i], lambda_qcd, n_f)
    return out


def _tmd_ff(int which, const double[::1] z, const double[::1] kT, double M, double alpha_s,
            double ldme_3s1_8, double n_c):
    cdef FFConst c
    cdef Py_ssize_t i
    fill_ff_const(&c, M, alpha_s, ldme_3s1_8, n_c)
    out = np.empty(z.shape[0])
    cdef double[::1] o = out
    with nogil:
        for i in range(z.shape[0]):
            o[i] = tmd_ff_value(which, z[i], kT[i] * kT[i], &c)
    return out


def _gaussian_convolution(const double[::1] z, const double[::1] PT, double w, double M, double alpha_s,
                          double ldme_3s1_8, double n_c):
    """(C[D_L], C[D_T]) arrays for a normalised Gaussian of width w (testing / diagnostics)."""
    cdef FFConst c
    cdef Py_ssize_t i
    fill_ff_const(&c, M, alpha_s, ldme_3s1_8, n_c)
    L = np.empty(z.shape[0])
    T = np.empty(z.shape[0])
    cdef double[::1] l = L, t = T
    with nogil:
        for i in range(z.shape[0]):
            gaussian_convolution_LT(z[i], PT[i], w, &c, &l[i], &t[i])
    return L, T


def _bessel_i0e(const double[::1] x):
    out = np.empty(x.shape[0])
    cdef double[::1] o = out
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        o[i] = bessel_i0e(x[i])
    return out
