# Light-quark -> J/psi TMD fragmentation functions (docs/physics.md §3), the one-loop coupling and the Gaussian
# TMD convolution (docs/physics.md §4). cimport jpsi_fast._fragmentation to use them in nogil code.
from libc.math cimport M_SQRT2

cdef struct FFConst:
    double M            # J/psi mass [GeV]
    double M2
    double norm         # alpha_s(mu_FF)^2 <O(3S1[8])> / (9 pi)   [GeV^3]
    double n_c

cdef struct GaussHermiteRule:
    # the Gauss-Hermite branch of gaussian_convolution_states: nodes x (weights xw) along P_T, squared nodes y2
    # (weights yw, doubled: the positive half) across it; taken where m^2 = M^2 (1-z)/z^2 >= min_b <k_T^2>
    int nx
    int ny
    const double* x
    const double* xw
    const double* y2
    const double* yw
    double min_b

cdef GaussHermiteRule gauss_hermite_rule() noexcept nogil
cdef double alpha_s_one_loop(double mu, double lambda_qcd, int n_f) noexcept nogil
cdef void fill_ff_const(FFConst* c, double M, double alpha_s, double ldme_3s1_8, double n_c) noexcept nogil
cdef double tmd_ff_value(int which, double z, double kT2, const FFConst* c) noexcept nogil
cdef enum:
    # per-unit-PDF ff convolutions written by ff_states / gaussian_convolution_states (docs/physics.md §4, §12)
    FF_OUT_L = 0        # C[D1 - D1LL]            (helicity 0)
    FF_OUT_T = 1        # C[2 D1 + D1LL]          (helicities +-1 summed)
    FF_OUT_P0 = 2       # -R_{1,1}[D1LT] / sqrt2  (sigma_{+0} per unit N)
    FF_OUT_PM = 3       # R_{2,2}[D1TT]           (sigma_{+-} per unit N)
    FF_OUT_N = 4

cdef bint gaussian_convolution_states(double z, double PT, double w, const FFConst* c, bint offdiag, double* out,
                                      const double* second, double* out2) noexcept nogil
cdef double bessel_i0e(double x) noexcept nogil
cdef double bessel_i1e(double x) noexcept nogil
cdef double bessel_i2e(double x, double i0e, double i1e) noexcept nogil


cdef inline double ff_cz(double z, const FFConst* c) noexcept nogil:
    """c(z) = 2 alpha_s^2 O8 / (9 pi N_c M^3 z) of docs/physics.md §3."""
    return 2.0 * c.norm / (c.n_c * c.M * c.M2 * z)


cdef inline void ff_state_coefficients(double z, const FFConst* c, double* cL, double* cT) noexcept nogil:
    """D_L = cL / Delta^2 and D_T = cT k_T^2 / Delta^2 with cL = 6 c(z) M^2 (1-z)^2, cT = 3 c(z) z^2 (z^2-2z+2)."""
    cdef double cz = ff_cz(z, c)
    cL[0] = 6.0 * cz * c.M2 * (1.0 - z) * (1.0 - z)
    cT[0] = 3.0 * cz * z * z * (z * z - 2.0 * z + 2.0)


cdef inline void ff_states(double z, double PT, const FFConst* c, bint offdiag, double* out) noexcept nogil:
    """Collinear model (k_T = P_T/z, docs/physics.md §4, §12): out[FF_OUT_L] = D1 - D1LL (helicity 0),
    out[FF_OUT_T] = 2 D1 + D1LL (helicities +-1; U = L + T) and, with ``offdiag``, out[FF_OUT_P0] =
    -P_T D1LT / (sqrt2 z M), out[FF_OUT_PM] = P_T^2 D1TT / (z^2 M^2) (else 0)."""
    cdef double cL, cT, kT2 = PT * PT / (z * z), delta = z * z * kT2 + c.M2 * (1.0 - z)
    cdef double inv2 = 1.0 / (delta * delta)
    ff_state_coefficients(z, c, &cL, &cT)
    out[FF_OUT_L] = cL * inv2
    out[FF_OUT_T] = cT * kT2 * inv2
    out[FF_OUT_P0] = 0.0
    out[FF_OUT_PM] = 0.0
    if offdiag:
        # D1LT = -2 norm (2-z)(1-z) / (M Delta^2), D1TT = -2 norm z (1-z) / (M Delta^2)   (§3)
        out[FF_OUT_P0] = 2.0 * c.norm * (2.0 - z) * (1.0 - z) * PT * inv2 / (M_SQRT2 * z * c.M2)
        out[FF_OUT_PM] = -2.0 * c.norm * (1.0 - z) * PT * PT * inv2 / (z * c.M * c.M2)
