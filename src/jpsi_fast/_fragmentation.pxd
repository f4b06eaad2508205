# Light-quark -> J/psi TMD fragmentation functions (docs/physics.md §3), the one-loop coupling and the Gaussian
# TMD convolution (docs/physics.md §4). cimport jpsi_fast._fragmentation to use them in nogil code.

cdef struct FFConst:
    double M            # J/psi mass [GeV]
    double M2
    double norm         # alpha_s(mu_FF)^2 <O(3S1[8])> / (9 pi)   [GeV^3]
    double n_c

cdef double alpha_s_one_loop(double mu, double lambda_qcd, int n_f) noexcept nogil
cdef void fill_ff_const(FFConst* c, double M, double alpha_s, double ldme_3s1_8, double n_c) noexcept nogil
cdef double tmd_ff_value(int which, double z, double kT2, const FFConst* c) noexcept nogil
cdef void gaussian_convolution_LT(double z, double PT, double w, const FFConst* c,
                                  double* cL, double* cT) noexcept nogil
cdef double bessel_i0e(double x) noexcept nogil


cdef inline double ff_cz(double z, const FFConst* c) noexcept nogil:
    """c(z) = 2 alpha_s^2 O8 / (9 pi N_c M^3 z) of docs/physics.md §3."""
    return 2.0 * c.norm / (c.n_c * c.M * c.M2 * z)


cdef inline void ff_state_coefficients(double z, const FFConst* c, double* cL, double* cT) noexcept nogil:
    """D_L = cL / Delta^2 and D_T = cT k_T^2 / Delta^2 with cL = 6 c(z) M^2 (1-z)^2, cT = 3 c(z) z^2 (z^2-2z+2)."""
    cdef double cz = ff_cz(z, c)
    cL[0] = 6.0 * cz * c.M2 * (1.0 - z) * (1.0 - z)
    cT[0] = 3.0 * cz * z * z * (z * z - 2.0 * z + 2.0)


cdef inline void ff_states_LT(double z, double kT2, const FFConst* c, double* dL, double* dT) noexcept nogil:
    """Helicity-0 (D1 - D1LL) and helicity +-1 (2 D1 + D1LL) fragmentation at (z, k_T^2); U = L + T."""
    cdef double cL, cT, delta = z * z * kT2 + c.M2 * (1.0 - z)
    ff_state_coefficients(z, c, &cL, &cT)
    dL[0] = cL / (delta * delta)
    dT[0] = cT * kT2 / (delta * delta)
