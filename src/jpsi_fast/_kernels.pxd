# Cross-section kernels (docs/physics.md §4-5): dsigma/(dx dQ^2 dz dP_T^2) in pb/GeV^4 of every requested base
# component (channel x kernel element, in the order of jpsi_fast.components.Layout.base) at one point, without the
# GIL. cimport jpsi_fast._kernels to call them from other Cython code (the physics integrand does).
from ._fragmentation cimport FFConst
from ._pdf cimport PDFView, PDFLumiSet, GRSVView

cdef enum:
    N_CHANNELS = 4          # ff, pgf_1s0_8, pgf_3pj_8, pgf_3s1_1 (components.CHANNELS)
    N_ELEMENTS = 8          # components.KERNEL_ELEMENTS
    EL_U = 0                # dsigma summed over the J/psi helicities
    EL_L = 1                # helicity 0 (= sigma_00)
    EL_P0 = 2               # sigma_{+0} of the density matrix (docs/physics.md §12)
    EL_PM = 3               # sigma_{+-}
    EL_ULL = 4              # F_LL summed over the J/psi helicities (docs/physics.md §11), per unit helicity PDF
    EL_LLL = 5              # F_LL of helicity 0
    EL_VLU = 6              # F_LU(+1) - F_LU(-1): vector polarization per unit lambda_e (unpolarized PDFs)
    EL_VUL = 7              # F_UL(+1) - F_UL(-1): per unit S_N (helicity PDFs)
    CH_FF = 0
    CH_1S0_8 = 1
    CH_3PJ_8 = 2
    CH_3S1_1 = 3
    ERR_NO_MEMORY = 7       # cross_section_point could not allocate its scratch (kinematic_errors() codes 1-6)
    ERR_HELICITY_X = 8      # x outside the helicity PDF's range
    ERR_HELICITY_Q = 9      # mu_F^2 outside the helicity PDF's range
    MAX_MUF = 8             # distinct factorization-scale factors xi_F per kernel (docs/physics.md §10.2)
    STACK_SCRATCH = 2048    # per-point scratch (doubles) kept on the stack; larger needs are malloc'ed
    PGF_SET_N = 4           # per width group: 1/<P_T^2>, 1/<dz^2>, c_1s0, c_3pj (the PGF smearing widths)
    HELICITY_LUMI = 2       # helicity-PDF factors per point: charge sum, gluon (central mu_F)
    KERNEL_CHUNK = 256      # points per parallel chunk of evaluate_into (fixed: results never depend on threads)

cdef struct KernelParams:
    double s_had            # e p centre-of-mass energy squared [GeV^2]
    # base sets (jpsi_fast.components.Layout.base_sets, docs/physics.md §10): what needs its own computation per
    # point -- a factorization scale, a PDF-set member, TMD widths. Kinematics and FFs are computed once per point,
    # the PDFs once per distinct scale (the central PDF) plus once for all members (lumi_set_eval).
    # Every channel is linear in one PDF factor (sum_q e_q^2 x f_q for ff, x g for PGF), so per point the kernel
    # computes each channel element once per *width group* for unit PDF factors ("unit" values) and every output
    # term is coef x unit[term_unit] x lumi[term_lumi], lumi = (charge sums of all PDF slots, then gluons).
    int n_muf               # distinct (mu_F / Q)^2 values, muf2[0] the central one
    double muf2[MAX_MUF]
    double log_muf2[MAX_MUF]
    int n_groups            # distinct TMD widths (kt2_pdf, pt2_pgf, dz2_pgf)
    const int* group_ffw    # [n_groups] index into ffw
    const double* group_pgf # [n_groups][PGF_SET_N] PGF smearing of each group
    int n_ffw
    const double* ffw       # [n_ffw] distinct <k_T^2> of the Gaussian TMD PDF [GeV^2]
    const PDFLumiSet* members   # PDF-set members (NULL: none)
    int n_members
    int n_lumi              # PDF slots: n_muf scales of the own PDF, then the members (at muf2[0])
    const int* term_unit    # [terms] group * N_CHANNELS * N_ELEMENTS + N_ELEMENTS * channel + element
    const int* term_lumi    # [terms] slot (charge sum) or n_lumi + slot (gluon)
    int n_scratch           # doubles of per-point scratch
    # outputs that are single channel elements with coefficient 1, in base-set-major order, every base set writing
    # the same n_ce elements (the base components of any Layout): out[b * n_ce + k] = A_g[k] * charge_sum_b +
    # B_g[k] * gluon_b, a contiguous loop; other layouts use the general term loop
    int set_major
    int n_sets
    int n_ce
    const int* ce_unit      # [n_ce] N_ELEMENTS * channel + element of each element written per base set
    const double* ce_is_ff  # [n_ce] 1.0 for the ff channel's elements (charge-sum factor), else 0.0 (gluon)
    const int* set_group    # [n_sets] width group of each base set
    const int* set_lumi     # [n_sets] PDF slot of each base set
    double alpha_em
    double gev2pb           # GeV^-2 -> pb (params.GEV2_TO_PB)
    double M                # J/psi mass [GeV]
    FFConst ff              # fragmentation constants at alpha_s(mu_FF)
    int gaussian            # 1: Gaussian TMD PDF, 0: collinear
    double w                # <k_T^2> of the TMD PDF [GeV^2]
    double eq2[7]           # e_q^2 per kernel parton (g, u, d, s, ubar, dbar, sbar); 0 = not summed
    int all_light           # all six light flavours summed (lets a PDF use a pre-summed table)
    double alpha_s_pgf      # alpha_s(mu_PGF)
    double ldme_1s0_8       # <O(1S0[8])> [GeV^3]
    double ldme_3p0_8       # <O(3P0[8])> [GeV^5]
    double ldme_3s1_1       # <O(3S1[1])> [GeV^3]
    double pt2_pgf          # <P_T^2> [GeV^2]
    double dz2_pgf          # <delta z^2>
    int channel_mask        # bit c set: compute channel c
    int offdiag             # 1: some output needs the off-diagonal elements Sp0, Spm
    int polarized           # 1: some output needs the beam-polarization elements EL_ULL .. EL_VUL (§11)
    const GRSVView* hel     # helicity PDFs (NULL unless an output needs them); lumi slots 2 n_lumi (charge sum
                            # sum_q e_q^2 x (Dq + Dqbar)) and 2 n_lumi + 1 (x Dg), at the central mu_F
    const PDFView* hel_grid # helicity PDFs from an LHAPDF lhagrid1 set instead (NULL unless used)
    int hel_plus            # 1: hel_grid gives Dq + Dqbar under the ids 901-903
    int hel_clamp           # 1: |x Df| <= x f per flavour before summing (docs/physics.md §11 positivity)
    const unsigned char* clamp_cells    # helicity-grid cells where the quark clamp can act (NULL: all)
    double w_g1             # Gaussian width of the helicity TMD PDFs [GeV^2]
    const double* g1_reweight   # node factors giving the w_g1 convolution from the w nodes (NULL: separately)
    double x_min            # numerical input limits (params.X_MIN, Z_MIN, Q_RANGE, PT_MAX)
    double z_min
    double q_min
    double q_max
    double pt_max
    int n_out               # values written per point (Layout.kernel_terms)
    const int* out_offset   # [n_out + 1] terms of output i: out_offset[i] .. out_offset[i + 1] - 1
    const int* term_src     # [terms] (set * N_CHANNELS + channel) * N_ELEMENTS + element of each term (Layout)
    const double* term_coef # [terms] its coefficient
    # derived constants (filled by KernelConfig from the above)
    double inv_s_had
    double M2
    double c_ff             # 4 pi^2 alpha_em^2 [pb]: pi sigma0 = c_ff (1 - y + y^2/2) / Q^4
    # c_1s0 = 32 pi^3 alpha_em^2 alpha_s <O(1S0[8])> / (9 M) and c_3pj = 64 pi^3 alpha_em^2 alpha_s
    # <O(3P0[8])> / (9 M^3) times the Gaussian norms [pb]: per width group in group_pgf
    double c_3s1            # 512 pi alpha_em^2 alpha_s^2 <O(3S1[1])> / (243 M) [pb]

cdef extern from "_simd.h" nogil:
    # the vectorized collinear kernel (SIMD path of evaluate_into; _simd.h documents it)
    enum:
        JF_SIMD_SCALAR
        JF_SIMD_BASELINE
        JF_SIMD_AVX2
        JF_SIMD_AVX512
        JF_MAX_MUF
        JF_MAX_GROUPS
        JF_MAX_FFW
    ctypedef struct jf_collinear_block:
        double s_had, c_ff, M, M2, c_3s1
        double ff_norm, ff_n_c
        int channel_mask, offdiag
        int n_groups
        const double* group_pgf
        int n_muf
        double muf2[JF_MAX_MUF]
        double log_muf2[JF_MAX_MUF]
        int n_lumi
        int n_sets, n_ce
        const int* ce_unit
        const double* ce_is_ff
        const int* set_group
        const int* set_lumi
        int set_major
        int n_out
        const int* out_offset
        const int* term_unit
        const int* term_lumi
        const double* term_coef
        int gaussian
        int n_ffw
        const double* ffw
        const int* group_ffw
        int gh_nx, gh_ny
        const double* gh_x
        const double* gh_xw
        const double* gh_y2
        const double* gh_yw
        double gh_min_b
        double x_min, z_min, q_min, q_max, pt_max
        double pdf_xmin, pdf_xmax, pdf_q2min, pdf_q2max
        const double* table
        int nu, nv, tab_n, tab_g, tab_charge_sum
        double u0, du, v0, dv, inv_du, inv_dv
    int jf_simd_level()
    const char* jf_simd_name(int level)
    void jf_collinear_points(int level, const jf_collinear_block* bp, int n, const double* x, const double* z,
                             const double* Q, const double* PT, double* out, Py_ssize_t stride_c,
                             Py_ssize_t stride_p, unsigned char* scalar)
    double jf_exp(double x)

cdef class KernelConfig:
    cdef KernelParams kp
    cdef jf_collinear_block block   # the SIMD path's constants (the table pointer is set per PDF at evaluation)
    cdef int simd_path              # SIMD level of evaluate_into: JF_SIMD_SCALAR when this layout has no vector path
    cdef object _keep
    cdef void _fill_block(self, int level)

cdef int cross_section_point(const KernelParams* kp, const PDFView* pdf, double x, double z, double Q,
                             double PT, double* out, Py_ssize_t stride) noexcept nogil
cdef int point_error(const KernelParams* kp, const PDFView* pdf, double x, double z, double Q, double PT) noexcept nogil
