# Light-quark -> J/psi TMD fragmentation functions (SPEC section 3), the one-loop coupling and the Gaussian
# TMD convolution (SPEC section 4). cimport jpsi_fast._fragmentation to use them in nogil code.

cdef struct FFConst:
    double M            # J/psi mass [GeV]
    double M2
    double norm         # alpha_s(mu_FF)^2 <O(3S1[8])> / (9 pi)   [GeV^3]
    double n_c

cdef double alpha_s_one_loop(double mu, double lambda_qcd, int n_f) noexcept nogil
cdef void fill_ff_const(FFConst* c, double M, double alpha_s, double ldme_3s1_8, double n_c) noexcept nogil
cdef double tmd_ff_value(int which, double z, double kT2, const FFConst* c) noexcept nogil
cdef void ff_states_LT(double z, double kT2, const FFConst* c, double* dL, double* dT) noexcept nogil
cdef void gaussian_convolution_LT(double z, double PT, double w, const FFConst* c,
                                  double* cL, double* cT) noexcept nogil
cdef double bessel_i0e(double x) noexcept nogil
