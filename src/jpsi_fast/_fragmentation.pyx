# cython: language_level=3
"""TMD fragmentation functions q -> J/psi via 3S1[8] (docs/physics.md §3) and their Gaussian convolution with
the TMD PDF (docs/physics.md §4), as nogil C functions with thin vectorised Python wrappers.

Gaussian convolution C[D](z, P_T) = int d^2k_T  G_w(k_T + P_T/z) D(z, k_T), G_w(p) = exp(-p^2/w)/(pi w)
(normalised: multiply by f_q(x, Q) for the specification's C[f_q, D]), and its angular moments
R_{n,n}[D] = int d^2k_T G_w(k_T + P_T/z) (k_T/M)^n cos(n phi) D(z, k_T) (phi the azimuth of k_T about -P_T) for the
off-diagonal density-matrix elements (docs/physics.md §12; R_{0,0} = C). Two quadratures:

* b = m^2/w >= 10, m^2 = M^2(1-z)/z^2 the distance of D's pole (at k_T^2 = -m^2): 2-D Gauss-Hermite
  (12 x 6 nodes, symmetric half) in the Gaussian variable p = k_T + P_T/z. D is then a rational function of
  p that is smooth on the Gaussian's scale; measured error < 1e-8 relative (tests: < 1e-7 against an
  adaptive reference). Costs 72 rational evaluations, no transcendental function.
* b < 10 (z close to 1, where D's pole approaches the real axis): the radial integral
  (1/w) int du exp(-(sqrt(u) - a)^2/w) I0e(2 a sqrt(u)/w) D(u), a = P_T/z, u = k_T^2, in the variable
  tau = ln(1 + u/m^2) which removes the pole's scale; composite 16-point Gauss-Legendre on >= 8 panels of
  width <= 1 over sqrt(u) in [a - 8 sqrt(w), a + 8 sqrt(w)] (the Gaussian beyond is < e^-64). Error ~1e-13.
  R_{1,1} and R_{2,2} weigh the same nodes with (k/M) I1e and (k/M)^2 I2e instead of I0e.
"""
import numpy as np
from libc.math cimport log, exp, expm1, sqrt, ceil, M_PI, M_SQRT2

include "_quadrature_rules.pxi"

cdef double GH_X[GH_NX]
cdef double GH_XW[GH_NX]
cdef double GH_Y2[GH_NY]
cdef double GH_YW[GH_NY]
cdef double GL_X[GL_N]
cdef double GL_W[GL_N]
cdef double I0E_LOW[I0E_NLOW]
cdef double I0E_HIGH[I0E_NHIGH]
cdef double I1E_LOW[I1E_NLOW]
cdef double I1E_HIGH[I1E_NHIGH]


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
    for i in range(I1E_NLOW):
        I1E_LOW[i] = I1E_LOW_FLAT[i]
    for i in range(I1E_NHIGH):
        I1E_HIGH[i] = I1E_HIGH_FLAT[i]


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
cdef double BESSEL_I2_SERIES_MAX = 2.0     # below: I2 from its power series (the recurrence would cancel)
cdef int BESSEL_I2_SERIES_TERMS = 14       # (x/2)^2 <= 1: the 14th term is < 1e-20 of the first
#: largest |w/w2 - 1| for which a second width is taken from the same Gauss-Hermite nodes (gh_reweight_factors),
#: and the smallest b = m^2/w at which that is done (below, the second width is computed on its own)
GH_REWEIGHT_MAX = 0.35
cdef double GH_REWEIGHT_MIN_B = 40.0


cdef GaussHermiteRule gauss_hermite_rule() noexcept nogil:
    """The 2-D Gauss-Hermite rule and branch threshold of gaussian_convolution_states (for the SIMD kernel, which
    runs the same sums for many points at once)."""
    cdef GaussHermiteRule r
    r.nx, r.ny = GH_NX, GH_NY
    r.x, r.xw, r.y2, r.yw = GH_X, GH_XW, GH_Y2, GH_YW
    r.min_b = GAUSS_HERMITE_MIN_B
    return r


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


cdef inline double chebyshev_sum(const double* c, int n, double y) noexcept nogil:
    """sum_k c_k T_k(y) (Clenshaw)."""
    cdef double b0 = 0.0, b1 = 0.0, b2 = 0.0
    cdef int k
    for k in range(n - 1, 0, -1):
        b2 = b1
        b1 = b0
        b0 = c[k] + 2.0 * y * b1 - b2
    return c[0] + y * b0 - b1


cdef double bessel_i0e(double x) noexcept nogil:
    """exp(-|x|) I0(x) from Chebyshev fits (tools/gen_constants.py; rel. error < 1e-13)."""
    if x < 0:
        x = -x
    if x <= 8.0:
        return chebyshev_sum(I0E_LOW, I0E_NLOW, 0.25 * x - 1.0)
    return chebyshev_sum(I0E_HIGH, I0E_NHIGH, 16.0 / x - 1.0) / sqrt(x)


cdef double bessel_i1e(double x) noexcept nogil:
    """exp(-x) I1(x) for x >= 0 from Chebyshev fits (tools/gen_constants.py; rel. error < 1e-13)."""
    if x <= 8.0:
        return x * chebyshev_sum(I1E_LOW, I1E_NLOW, 0.25 * x - 1.0)
    return chebyshev_sum(I1E_HIGH, I1E_NHIGH, 16.0 / x - 1.0) / sqrt(x)


cdef double bessel_i2e(double x, double i0e, double i1e) noexcept nogil:
    """exp(-x) I2(x) for x >= 0 given i0e = exp(-x) I0(x), i1e = exp(-x) I1(x): the recurrence
    I2 = I0 - 2 I1 / x for x >= BESSEL_I2_SERIES_MAX (at most one digit lost), else the power series
    I2(x) = sum_k (x/2)^(2k+2) / (k! (k+2)!) to double precision."""
    cdef double h2, term, acc
    cdef int k
    if x >= BESSEL_I2_SERIES_MAX:
        return i0e - 2.0 * i1e / x
    h2 = 0.25 * x * x
    term = 0.5 * h2
    acc = term
    for k in range(1, BESSEL_I2_SERIES_TERMS):
        term *= h2 / (k * (k + 2.0))
        acc += term
    return acc * exp(-x)


cdef bint gaussian_convolution_states(double z, double PT, double w, const FFConst* c, bint offdiag, double* out,
                                      const double* second, double* out2) noexcept nogil:
    """The ff channel's per-unit-PDF FF convolutions for a normalised Gaussian TMD PDF of width w = <k_T^2>
    [GeV^2] (module docstring): out[FF_OUT_L] = C[D_L], out[FF_OUT_T] = C[D_T] and, with ``offdiag``,
    out[FF_OUT_P0] = -R_{1,1}[D1LT]/sqrt2 and out[FF_OUT_PM] = R_{2,2}[D1TT] (docs/physics.md §12; else 0).
    ``second``: NULL, or the node factors of a second width w2 (gh_reweight_factors(w, w2)); when the
    Gauss-Hermite branch is taken with b = m^2/w >= GH_REWEIGHT_MIN_B, C[D_L], C[D_T] at w2 go to out2 from the
    same nodes, each weighted with G_w2/G_w, and the function returns True; else False (nothing written to out2).
    """
    cdef double a = PT / z, m2 = c.M2 * (1.0 - z) / (z * z), sw = sqrt(w)
    cdef double cL, cT, accL = 0.0, accT = 0.0, accP0 = 0.0, accPM = 0.0, px, X, k2, delta, inv2, wt
    cdef double accL2 = 0.0, accT2 = 0.0, fx
    cdef double klo, khi, tlo, thi, h, t0, tau, et, u, k, g, t, i0, i1
    cdef double c_lt = -2.0 * c.norm * (2.0 - z) * (1.0 - z) / c.M      # D1LT = c_lt / Delta^2   (§3)
    cdef double c_tt = -2.0 * c.norm * z * (1.0 - z) / c.M              # D1TT = c_tt / Delta^2
    cdef int i, j, npan, p
    ff_state_coefficients(z, c, &cL, &cT)
    if m2 < GH_REWEIGHT_MIN_B * w:      # D varies too fast on the Gaussian's scale for the reweighted rule
        second = NULL
    if m2 >= GAUSS_HERMITE_MIN_B * w:
        # nodes in p = k_T + P_T/z: k_T = (px, py), px = sqrt(w) X - a, the Gaussian centred at k_T = -P_T/z,
        # so k cos(phi) = -px, k^2 cos(2 phi) = px^2 - py^2 with py^2 = w Y^2
        for i in range(GH_NX):
            px = sw * GH_X[i] - a
            X = px * px
            for j in range(GH_NY):
                k2 = X + w * GH_Y2[j]
                delta = z * z * k2 + c.M2 * (1.0 - z)
                inv2 = GH_XW[i] * GH_YW[j] / (delta * delta)
                accL += inv2
                accT += k2 * inv2
                if offdiag:
                    accP0 += px * inv2
                    accPM += (X - w * GH_Y2[j]) * inv2
                if second != NULL:
                    wt = second[i] * second[GH_NX + j] * inv2
                    accL2 += wt
                    accT2 += k2 * wt
        out[FF_OUT_L] = cL * accL
        out[FF_OUT_T] = cT * accT
        if second != NULL:
            out2[FF_OUT_L] = cL * accL2 * second[GH_NX + GH_NY]
            out2[FF_OUT_T] = cT * accT2 * second[GH_NX + GH_NY]
            out2[FF_OUT_P0] = 0.0
            out2[FF_OUT_PM] = 0.0
        if a == 0.0:            # isotropic: the angular moments vanish exactly (the rule leaves ~1e-19 of U)
            accP0 = 0.0
            accPM = 0.0
        # -R11[D1LT]/sqrt2 = -<(-px/M) D1LT>/sqrt2,  R22[D1TT] = <(px^2 - py^2)/M^2 D1TT>
        out[FF_OUT_P0] = c_lt * accP0 / (M_SQRT2 * c.M)
        out[FF_OUT_PM] = c_tt * accPM / c.M2
        return second != NULL
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
            t = 2.0 * k * a / w
            # (1/w) du Gauss(k) Ine D(u), du = m^2 e^tau dtau, Delta = z^2 m^2 e^tau
            g = (0.5 * h * GL_W[j]) * exp(-(k - a) * (k - a) / w) * m2 * et / w
            delta = z * z * m2 * et
            inv2 = g / (delta * delta)
            i0 = bessel_i0e(t)
            accL += inv2 * i0
            accT += u * inv2 * i0
            if offdiag:
                i1 = bessel_i1e(t)
                accP0 += k * inv2 * i1
                accPM += u * inv2 * bessel_i2e(t, i0, i1)
    out[FF_OUT_L] = cL * accL
    out[FF_OUT_T] = cT * accT
    out[FF_OUT_P0] = -c_lt * accP0 / (M_SQRT2 * c.M)
    out[FF_OUT_PM] = c_tt * accPM / c.M2
    return False


def gh_reweight_factors(double w, double w2):
    """Node factors that let the Gauss-Hermite branch of gaussian_convolution_states at width w [GeV^2] also give
    the convolution at width w2: G_w2(p)/G_w(p) = (w/w2) exp(-(w/w2 - 1)(X_i^2 + Y_j^2)) at the nodes
    p = sqrt(w) (X_i, Y_j), as [f(X_i) for the GH_NX x nodes, f(Y_j) for the GH_NY y nodes, w/w2] (a float64 array),
    or None when |w/w2 - 1| > GH_REWEIGHT_MAX (the rule would lose accuracy: compute w2 separately). With
    |w/w2 - 1| <= 0.35 the reweighted 12-node rule integrates the Gaussian itself to < 1e-9."""
    cdef int i
    c = w / w2 - 1.0
    if abs(c) > GH_REWEIGHT_MAX:
        return None
    out = np.empty(GH_NX + GH_NY + 1)
    for i in range(GH_NX):
        out[i] = np.exp(-c * GH_X[i] * GH_X[i])
    for i in range(GH_NY):
        out[GH_NX + i] = np.exp(-c * GH_Y2[i])
    out[GH_NX + GH_NY] = w / w2
    return out


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
                          double ldme_3s1_8, double n_c, bint offdiag=True):
    """(C[D_L], C[D_T], -R11[D1LT]/sqrt2, R22[D1TT]) arrays for a normalised Gaussian of width w (testing)."""
    cdef FFConst c
    cdef Py_ssize_t i
    fill_ff_const(&c, M, alpha_s, ldme_3s1_8, n_c)
    out = np.zeros((z.shape[0], FF_OUT_N))
    cdef double[:, ::1] o = out
    with nogil:
        for i in range(z.shape[0]):
            gaussian_convolution_states(z[i], PT[i], w, &c, offdiag, &o[i, 0], NULL, NULL)
    return tuple(out.T)


def _bessel_ine(int order, const double[::1] x):
    """exp(-x) I_order(x), order 0, 1, 2 (testing; x >= 0 for orders 1, 2)."""
    out = np.empty(x.shape[0])
    cdef double[::1] o = out
    cdef Py_ssize_t i
    cdef double i0, i1
    if order not in (0, 1, 2):
        raise ValueError(f"order must be 0, 1 or 2, got {order}")
    for i in range(x.shape[0]):
        i0 = bessel_i0e(x[i])
        if order == 0:
            o[i] = i0
            continue
        i1 = bessel_i1e(x[i])
        o[i] = i1 if order == 1 else bessel_i2e(x[i], i0, i1)
    return out
