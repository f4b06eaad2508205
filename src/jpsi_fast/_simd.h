/* Vectorized cross-section kernel of jpsi_fast (docs/physics.md §4-5, §10, §12): the SIMD path of
 * jpsi_fast._kernels.evaluate_into for the collinear and the Gaussian TMD models with the tabulated GRV94.
 *
 * The scalar kernel (cross_section_point in _kernels.pyx) evaluates one point at a time. Here a block of
 * JF_BLOCK points is processed as a structure of arrays, in loops the compiler vectorizes (`#pragma omp simd`):
 *
 *   1. ln(x/(1-x)) and ln(mu_F^2) of every point                       (libm, see jf_exp's note)
 *   2. the bicubic Hermite interpolation of the GRV94 table in (ln(x/(1-x)), ln Q^2): ln(x g) and
 *      ln(sum_q e_q^2 x f_q) at every factorization scale                (gathers)
 *   3. x g and the charge sum (vector exp); the ff channel's convolutions: the collinear FFs, or the
 *      Gauss-Hermite sums of the Gaussian model with the points in the inner loop
 *   4. every channel element (U, L and the off-diagonal Sp0, Spm; the PGF smearing by vector exp) and the
 *      layout's outputs (base-set-major, or any sum of terms such as T = U - L).
 *
 * Steps 1-4 are the scalar kernel's formulas in the same operation order and the build has no fused
 * multiply-adds (-ffp-contract=off), so the two paths differ only by the rounding of jf_exp against libm's exp:
 * <= 2e-15 relative (1e-14 guaranteed, tests/test_simd.py), and the SIMD levels agree with each other bit for
 * bit. Points that are invalid, forbidden (y > 1), outside the PDF's range or table, or (Gaussian model) outside
 * the Gauss-Hermite branch are flagged; the caller evaluates them with the scalar kernel.
 *
 * Dispatch: the block function is compiled three times in this translation unit -- for the build's baseline ISA
 * (x86-64: SSE2, 2 lanes; aarch64: NEON, 2 lanes; elsewhere generic) and, on x86-64 with GCC or clang, for AVX2
 * (4 lanes) and AVX-512 F/DQ/VL (8 lanes) through __attribute__((target)) -- and jf_simd_level() picks the best
 * one the CPU runs. The wheel therefore stays portable (x86-64 baseline) while newer CPUs get wider vectors, as
 * numpy's own dispatch does. Results are identical for any number of threads and chunking (each point is
 * computed independently) and on every machine, whichever level it takes.
 */
#ifndef JPSI_FAST_SIMD_H
#define JPSI_FAST_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(_MSC_VER)
#define JF_INLINE static __forceinline
#else
#define JF_INLINE static inline __attribute__((always_inline))
#endif

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define JF_X86_DISPATCH 1
#define JF_TARGET_AVX2 __attribute__((target("avx2")))
#define JF_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,prefer-vector-width=512")))
#else
#define JF_X86_DISPATCH 0
#endif

#if defined(_OPENMP) || defined(JF_OPENMP_SIMD)
#define JF_PRAGMA_SIMD _Pragma("omp simd")
#else
#define JF_PRAGMA_SIMD
#endif

/* SIMD levels (jf_simd_level): what evaluate_into runs */
#define JF_SIMD_SCALAR 0      /* the scalar kernel (JPSI_FAST_SIMD=0, or no vector path for the layout) */
#define JF_SIMD_BASELINE 1    /* the block kernel for the build's baseline ISA (SSE2 / NEON) */
#define JF_SIMD_AVX2 2        /* the block kernel for AVX2 */
#define JF_SIMD_AVX512 3      /* the block kernel for AVX-512 (F, DQ, VL) */

/* points per block: the structure-of-arrays buffers of one block stay in L1/L2 */
#define JF_BLOCK 64
#define JF_MAX_MUF 8
#define JF_MAX_GROUPS 2     /* width groups of a layout that is not base-set-major (derived components) */
#define JF_MAX_FFW 4        /* distinct TMD widths of the Gaussian model */
#define JF_FF_N 4           /* ff convolutions per width: FF_OUT_L, FF_OUT_T, FF_OUT_P0, FF_OUT_PM */
#define JF_N_CHANNELS 4
#define JF_N_ELEMENTS 8
#define JF_UNIT_N (JF_N_CHANNELS * JF_N_ELEMENTS)

/* ------------------------------------------------------------------------------------------------- exp
 * jf_exp, branch-free (selects only) so that loops calling it vectorize: Cody-Waite reduction x = k ln2 + r (ln2
 * split in a 32-bit high part, so k ln2_hi is exact), the degree-13 Taylor polynomial of e^r on |r| <= ln2/2
 * (truncation < 5e-18 relative), 2^k from the exponent bits (two factors when the result is subnormal or near
 * overflow). Within 1 ulp of libm's exp (tests/test_simd.py); 0 below -745.2, inf above 709.79, NaN for NaN.
 * The logarithms stay libm's (two per point): the PDFs amplify a last-bit difference of ln(x/(1-x)) or ln Q^2
 * up to ~30-fold (near x -> 1, and in the Q^2 evolution), which a vector log within 1 ulp turned into 1.4e-14
 * relative differences from the scalar kernel -- beyond the 1e-14 this path guarantees. */
#define JF_LN2_HI 6.93147180369123816490e-01
#define JF_LN2_LO 1.90821492927058770002e-10
#define JF_LOG2E 1.44269504088896338700e+00
#define JF_SHIFTER 6755399441055744.0          /* 1.5 * 2^52: adding it rounds to an integer */
#define JF_SQRT2 1.41421356237309514547e+00      /* used by the density-matrix elements */
#define JF_EXP_LO (-746.0)
#define JF_EXP_HI 710.0

JF_INLINE uint64_t jf_as_u64(double d) { uint64_t u; memcpy(&u, &d, sizeof u); return u; }
JF_INLINE double jf_as_f64(uint64_t u) { double d; memcpy(&d, &u, sizeof d); return d; }

JF_INLINE double jf_exp(double x)
{
    double xc = x < JF_EXP_LO ? JF_EXP_LO : x;           /* NaN passes through both selects */
    xc = xc > JF_EXP_HI ? JF_EXP_HI : xc;
    double k = (xc * JF_LOG2E + JF_SHIFTER) - JF_SHIFTER;   /* nearest integer to x / ln2 */
    double r = (xc - k * JF_LN2_HI) - k * JF_LN2_LO;
    double p = 1.0 / 6227020800.0;                           /* 1/13! */
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    /* 2^k = 2^ka * post with ka in the normal range */
    double ka = k < -1020.0 ? k + 1000.0 : (k > 1020.0 ? k - 1000.0 : k);
    double post = k < -1020.0 ? 0x1p-1000 : (k > 1020.0 ? 0x1p1000 : 1.0);
    /* the low mantissa bits of ka + 1.5 * 2^52 are 2^51 + ka; shifting by 52 drops the exponent field */
    double scale = jf_as_f64((jf_as_u64(ka + JF_SHIFTER) + (uint64_t)(1023 - (INT64_C(1) << 51))) << 52);
    return p * scale * post;
}

/* ---------------------------------------------------------------------------------------- the block kernel */
typedef struct {
    /* filled by KernelConfig from its KernelParams (_kernels.pxd documents every field) */
    double s_had, c_ff, M, M2, c_3s1;
    double ff_norm, ff_n_c;              /* FFConst: alpha_s^2 <O(3S1[8])> / (9 pi), N_c */
    int channel_mask, offdiag;
    int n_groups;
    const double* group_pgf;             /* [n_groups][4]: 1/<P_T^2>, 1/<dz^2>, c_1s0, c_3pj */
    int n_muf;
    double muf2[JF_MAX_MUF];
    double log_muf2[JF_MAX_MUF];
    int n_lumi;
    int n_sets, n_ce;
    const int* ce_unit;                  /* [n_ce] N_ELEMENTS * channel + element */
    const double* ce_is_ff;              /* [n_ce] */
    const int* set_group;                /* [n_sets] */
    const int* set_lumi;                 /* [n_sets] PDF slot (= scale index: no members on this path) */
    int set_major;                       /* 1: the outputs are the base sets' elements (KernelParams.set_major) */
    int n_out;                           /* otherwise output a = sum of its terms out_offset[a] .. [a+1]-1: */
    const int* out_offset;
    const int* term_unit;                /* group * N_CHANNELS * N_ELEMENTS + N_ELEMENTS * channel + element */
    const int* term_lumi;                /* PDF slot (charge sum) or n_lumi + slot (gluon) */
    const double* term_coef;
    /* the TMD model of the ff channel: collinear (k_T = P_T/z), or a Gaussian TMD PDF of the distinct widths
     * ffw[n_ffw] (group g uses ffw[group_ffw[g]]) convolved by the Gauss-Hermite rule gh_* where
     * m^2 = M^2 (1-z)/z^2 >= gh_min_b <k_T^2> (gaussian_convolution_states of _fragmentation.pyx; other points
     * are flagged for the scalar kernel) */
    int gaussian;
    int n_ffw;
    const double* ffw;
    const int* group_ffw;
    int gh_nx, gh_ny;
    const double* gh_x;
    const double* gh_xw;
    const double* gh_y2;
    const double* gh_yw;
    double gh_min_b;
    /* input limits (point_error of _kernels.pyx) and the PDF's validity range */
    double x_min, z_min, q_min, q_max, pt_max;
    double pdf_xmin, pdf_xmax, pdf_q2min, pdf_q2max;
    /* the GRV94 table (PDFView of a tabulated GRV94LO): ln(x f) and its derivatives at the knots */
    const double* table;                 /* [nu][nv][tab_n][4] */
    int nu, nv, tab_n, tab_g, tab_charge_sum;
    double u0, du, v0, dv, inv_du, inv_dv;
} jf_collinear_block;

/* cubic Hermite basis: value at 0, slope at 0, value at 1, slope at 1 (hermite_basis of _pdf.pxd) */
#define JF_HERMITE(t, h0, h1, h2, h3) do { double t2_ = (t) * (t), t3_ = t2_ * (t); \
    h0 = 2.0 * t3_ - 3.0 * t2_ + 1.0; h1 = t3_ - 2.0 * t2_ + (t); h2 = -2.0 * t3_ + 3.0 * t2_; h3 = t3_ - t2_; \
    } while (0)

/* unit rows jf_unit_elements writes: U, L of every channel, Sp0 and Spm of ff, Sp0 of 3S1[1] */
JF_INLINE int jf_unit_written(int k)
{
    int channel = k / JF_N_ELEMENTS, element = k % JF_N_ELEMENTS;
    return element < 2 || (channel == 0 && element < 4) || (channel == 3 && element == 2);
}

/* The ff channel's convolutions per unit PDF factor, ff[FF_OUT_*][i] (ff_states of _fragmentation.pxd, the
 * collinear model, expression by expression): L = D1 - D1LL, T = 2 D1 + D1LL and, with offdiag, Sp0 and Spm. */
JF_INLINE void jf_ff_collinear(const jf_collinear_block* restrict bp, const int offdiag, int n,
                               const double* restrict z, const double* restrict PT, double (*restrict ff)[JF_BLOCK])
{
    const double M = bp->M, M2 = bp->M2, norm = bp->ff_norm, n_c = bp->ff_n_c;
    int i;
    JF_PRAGMA_SIMD
    for (i = 0; i < n; i++) {
        double zi = z[i], PTi = PT[i];
        double kT2 = PTi * PTi / (zi * zi), delta = zi * zi * kT2 + M2 * (1.0 - zi);
        double inv2 = 1.0 / (delta * delta);
        double cz = 2.0 * norm / (n_c * M * M2 * zi);
        double cL = 6.0 * cz * M2 * (1.0 - zi) * (1.0 - zi);
        double cT = 3.0 * cz * zi * zi * (zi * zi - 2.0 * zi + 2.0);
        ff[0][i] = cL * inv2;
        ff[1][i] = cT * kT2 * inv2;
        if (offdiag) {
            ff[2][i] = 2.0 * norm * (2.0 - zi) * (1.0 - zi) * PTi * inv2 / (JF_SQRT2 * zi * M2);
            ff[3][i] = -2.0 * norm * (1.0 - zi) * PTi * PTi * inv2 / (zi * M * M2);
        }
    }
}

/* The same for a Gaussian TMD PDF of width w [GeV^2]: the Gauss-Hermite branch of gaussian_convolution_states
 * (_fragmentation.pyx), its nodes in the outer loops and the points in the vectorized inner one, so every point
 * sums its nodes in the scalar kernel's order. scalar[i] |= 1 where that branch does not apply. */
JF_INLINE void jf_ff_gaussian(const jf_collinear_block* restrict bp, const int offdiag, double w, int n,
                              const double* restrict z, const double* restrict PT, double (*restrict ff)[JF_BLOCK],
                              unsigned char* restrict scalar)
{
    const double M = bp->M, M2 = bp->M2, norm = bp->ff_norm, n_c = bp->ff_n_c, sw = sqrt(w);
    double a[JF_BLOCK], zz[JF_BLOCK], d0[JF_BLOCK], accL[JF_BLOCK], accT[JF_BLOCK], accP0[JF_BLOCK],
           accPM[JF_BLOCK];
    int i, j, p;
    JF_PRAGMA_SIMD
    for (p = 0; p < n; p++) {
        double zp = z[p], m2 = M2 * (1.0 - zp) / (zp * zp);
        a[p] = PT[p] / zp;
        zz[p] = zp * zp;
        d0[p] = M2 * (1.0 - zp);
        accL[p] = accT[p] = accP0[p] = accPM[p] = 0.0;
        scalar[p] |= !(m2 >= bp->gh_min_b * w);
    }
    for (i = 0; i < bp->gh_nx; i++) {
        const double xi = sw * bp->gh_x[i], xw = bp->gh_xw[i];
        for (j = 0; j < bp->gh_ny; j++) {
            const double wy2 = w * bp->gh_y2[j], wt = xw * bp->gh_yw[j];
            if (offdiag) {
                JF_PRAGMA_SIMD
                for (p = 0; p < n; p++) {
                    double px = xi - a[p], X = px * px, k2 = X + wy2, delta = zz[p] * k2 + d0[p];
                    double inv2 = wt / (delta * delta);
                    accL[p] += inv2;
                    accT[p] += k2 * inv2;
                    accP0[p] += px * inv2;
                    accPM[p] += (X - wy2) * inv2;
                }
            } else {
                JF_PRAGMA_SIMD
                for (p = 0; p < n; p++) {
                    double px = xi - a[p], X = px * px, k2 = X + wy2, delta = zz[p] * k2 + d0[p];
                    double inv2 = wt / (delta * delta);
                    accL[p] += inv2;
                    accT[p] += k2 * inv2;
                }
            }
        }
    }
    JF_PRAGMA_SIMD
    for (p = 0; p < n; p++) {
        double zp = z[p];
        double cz = 2.0 * norm / (n_c * M * M2 * zp);
        double cL = 6.0 * cz * M2 * (1.0 - zp) * (1.0 - zp);
        double cT = 3.0 * cz * zp * zp * (zp * zp - 2.0 * zp + 2.0);
        ff[0][p] = cL * accL[p];
        ff[1][p] = cT * accT[p];
        if (offdiag) {
            double iso = a[p] == 0.0 ? 0.0 : 1.0;       /* isotropic: the angular moments vanish exactly */
            double c_lt = -2.0 * norm * (2.0 - zp) * (1.0 - zp) / M, c_tt = -2.0 * norm * zp * (1.0 - zp) / M;
            ff[2][p] = c_lt * (accP0[p] * iso) / (JF_SQRT2 * M);
            ff[3][p] = c_tt * (accPM[p] * iso) / M2;
        }
    }
}

/* cl[N_ELEMENTS * channel + element][i]: dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4] per unit PDF factor of every
 * channel's U and L (and, with offdiag, Sp0 and Spm) for width group g: unit_elements of _kernels.pyx,
 * expression by expression; ff: the ff channel's convolutions at the group's width. */
JF_INLINE void jf_unit_elements(const jf_collinear_block* restrict bp, int g, const int offdiag, int n,
                                const double* restrict x, const double* restrict z, const double* restrict Q,
                                const double* restrict PT, const double (*restrict ff)[JF_BLOCK],
                                double (*restrict cl)[JF_BLOCK])
{
    const double* pg = bp->group_pgf + 4 * g;
    const double pg0 = pg[0], pg1 = pg[1], pg2 = pg[2], pg3 = pg[3];
    const double s_had = bp->s_had, c_ff = bp->c_ff, M = bp->M, M2 = bp->M2, c_3s1 = bp->c_3s1;
    int i;
    JF_PRAGMA_SIMD
    for (i = 0; i < n; i++) {
        double xi = x[i], zi = z[i], PTi = PT[i];
        double y = Q[i] * Q[i] / (xi * s_had), PT2 = PTi * PTi;
        double Q2 = xi * y * s_had, iQ2 = 1.0 / Q2, ym = 1.0 - y, Yf = ym + 0.5 * y * y, inv_x = 1.0 / xi;
        /* ff (§4, §12) */
        double pre = c_ff * Yf * iQ2 * iQ2 * inv_x;
        cl[1][i] = pre * ff[0][i];
        cl[0][i] = pre * ff[0][i] + pre * ff[1][i];
        if (offdiag) {
            cl[2][i] = pre * ff[2][i];
            cl[3][i] = pre * ff[3][i];
        }
        /* PGF (§5) */
        double iQ6 = iQ2 * iQ2 * iQ2 * inv_x, tz = 2.0 - zi, itz = 1.0 / tz, itz2 = itz * itz;
        double omz = 1.0 - zi, omz2 = omz * omz;
        double pre8 = zi * iQ6 * jf_exp(-PT2 * pg0 - omz2 * pg1);
        double U = pg2 * Yf * pre8 * itz2 * itz;                          /* 1S0[8]: L = U/3 */
        cl[8][i] = U;
        cl[9][i] = U * (1.0 / 3.0);
        double p3 = pg3 * pre8 * itz2 * itz2 * itz;                       /* 3PJ[8] summed over J */
        cl[16][i] = p3 * (y * y * (8.0 - 8.0 * zi + 3.0 * zi * zi) + 8.0 * ym * tz - 2.0 * ym * zi * tz * tz);
        cl[17][i] = p3 * zi * zi * ((2.0 - y) * (2.0 - y) - 2.0 * zi * ym);
        double ide = 1.0 / (PT2 + omz2 * M2);                             /* 3S1[1] */
        double p1 = c_3s1 * omz * Yf * iQ6 * itz2 / zi * ide * ide;
        double L = p1 * PT2;
        cl[24][i] = L + p1 * omz2 * M2 * (1.0 + omz2);
        cl[25][i] = L;
        if (offdiag)
            cl[26][i] = -p1 * tz * omz * M * sqrt(PT2) / (2.0 * JF_SQRT2);
    }
}

/* the ff convolutions of width group g in jf_collinear_block_body */
#define JF_GROUP_FF(g) ((const double (*)[JF_BLOCK])ff[bp->gaussian ? bp->group_ffw[g] : 0])

JF_INLINE void jf_collinear_block_body(const jf_collinear_block* restrict bp, int n, const double* restrict x,
                                       const double* restrict z, const double* restrict Q,
                                       const double* restrict PT, double* restrict out, ptrdiff_t stride_c,
                                       ptrdiff_t stride_p, unsigned char* restrict scalar)
{
    double u[JF_BLOCK], lq[JF_MAX_MUF][JF_BLOCK], xg[JF_MAX_MUF][JF_BLOCK], cs[JF_MAX_MUF][JF_BLOCK];
    double cl[JF_MAX_GROUPS][JF_UNIT_N][JF_BLOCK], ff[JF_MAX_FFW][JF_FF_N][JF_BLOCK];
    unsigned char off[JF_BLOCK];
    const int nm = bp->n_muf;
    const double fu_max = bp->nu - 1, fv_max = bp->nv - 1;
    int i, m, k, b, g, needed[JF_UNIT_N];

    /* 1. ln(x/(1-x)) and ln(mu_F^2), as the scalar path: ln(Q^2 muf2) for one scale, ln Q^2 + ln muf2 for more */
    for (i = 0; i < n; i++) {
        u[i] = log(x[i] / (1.0 - x[i]));
        lq[0][i] = log(Q[i] * Q[i] * (nm == 1 ? bp->muf2[0] : 1.0));
    }
    if (nm > 1) {
        for (m = nm - 1; m >= 0; m--) {
            JF_PRAGMA_SIMD
            for (i = 0; i < n; i++)
                lq[m][i] = lq[0][i] + bp->log_muf2[m];
        }
    }
    /* 2. ln(x g) and ln(charge sum) by bicubic Hermite interpolation (table_interp_u of _pdf.pxd); points
     *    outside the table are flagged (and read a clamped cell), as are points that are invalid, forbidden
     *    (y > 1) or outside the PDF's range: the scalar kernel (and point_error) takes them */
    JF_PRAGMA_SIMD
    for (i = 0; i < n; i++) {
        double xi = x[i], Qi = Q[i], Q2 = Qi * Qi;
        int ok = (xi >= bp->x_min) & (xi < 1.0) & (z[i] >= bp->z_min) & (z[i] < 1.0) & (Qi >= bp->q_min)
                 & (Qi <= bp->q_max) & (PT[i] >= 0.0) & (PT[i] <= bp->pt_max) & (Q2 / (xi * bp->s_had) <= 1.0)
                 & (xi >= bp->pdf_xmin) & (xi <= bp->pdf_xmax);
        off[i] = !ok;
    }
    for (m = 0; m < nm; m++) {
        const double f2 = bp->muf2[m];
        JF_PRAGMA_SIMD
        for (i = 0; i < n; i++) {
            double q2 = Q[i] * Q[i] * f2;
            off[i] |= !((q2 >= bp->pdf_q2min) & (q2 <= bp->pdf_q2max));
        }
    }
    for (m = 0; m < nm; m++) {
        const double* restrict lqm = lq[m];
        JF_PRAGMA_SIMD
        for (i = 0; i < n; i++) {
            double fu = (u[i] - bp->u0) * bp->inv_du, fv = (lqm[i] - bp->v0) * bp->inv_dv;
            int inside = (fu >= 0.0) & (fu <= fu_max) & (fv >= 0.0) & (fv <= fv_max);
            double fuc = fu >= 0.0 ? fu : 0.0, fvc = fv >= 0.0 ? fv : 0.0;     /* NaN -> 0 */
            fuc = fuc <= fu_max ? fuc : fu_max;
            fvc = fvc <= fv_max ? fvc : fv_max;
            int iu = (int)fuc, jv = (int)fvc;
            iu = iu > bp->nu - 2 ? bp->nu - 2 : iu;
            jv = jv > bp->nv - 2 ? bp->nv - 2 : jv;
            double h0, h1, h2, h3, v0, v1, v2, v3;
            JF_HERMITE(fuc - iu, h0, h1, h2, h3);
            h1 *= bp->du;
            h3 *= bp->du;
            JF_HERMITE(fvc - jv, v0, v1, v2, v3);
            /* weights of (value, d/du, d/dv, d2/dudv) at the corners (a, c) = (0,0), (0,1), (1,0), (1,1) */
            const double dv = bp->dv;
            const double w00 = h0 * v0, w01 = h1 * v0, w02 = h0 * v1 * dv, w03 = h1 * v1 * dv;
            const double w10 = h0 * v2, w11 = h1 * v2, w12 = h0 * v3 * dv, w13 = h1 * v3 * dv;
            const double w20 = h2 * v0, w21 = h3 * v0, w22 = h2 * v1 * dv, w23 = h3 * v1 * dv;
            const double w30 = h2 * v2, w31 = h3 * v2, w32 = h2 * v3 * dv, w33 = h3 * v3 * dv;
            const ptrdiff_t row = (ptrdiff_t)bp->nv * bp->tab_n * 4, col = (ptrdiff_t)bp->tab_n * 4;
            const double* k00 = bp->table + (ptrdiff_t)iu * row + (ptrdiff_t)jv * col;
            const double* k01 = k00 + col;
            const double* k10 = k00 + row;
            const double* k11 = k10 + col;
            const ptrdiff_t fg = 4 * bp->tab_g, fq = 4 * bp->tab_charge_sum;
            double accg = 0.0, accq = 0.0;
            accg += w00 * k00[fg] + w01 * k00[fg + 1] + w02 * k00[fg + 2] + w03 * k00[fg + 3];
            accg += w10 * k01[fg] + w11 * k01[fg + 1] + w12 * k01[fg + 2] + w13 * k01[fg + 3];
            accg += w20 * k10[fg] + w21 * k10[fg + 1] + w22 * k10[fg + 2] + w23 * k10[fg + 3];
            accg += w30 * k11[fg] + w31 * k11[fg + 1] + w32 * k11[fg + 2] + w33 * k11[fg + 3];
            accq += w00 * k00[fq] + w01 * k00[fq + 1] + w02 * k00[fq + 2] + w03 * k00[fq + 3];
            accq += w10 * k01[fq] + w11 * k01[fq + 1] + w12 * k01[fq + 2] + w13 * k01[fq + 3];
            accq += w20 * k10[fq] + w21 * k10[fq + 1] + w22 * k10[fq + 2] + w23 * k10[fq + 3];
            accq += w30 * k11[fq] + w31 * k11[fq + 1] + w32 * k11[fq + 2] + w33 * k11[fq + 3];
            double acc2[2] = {accg, accq};
            xg[m][i] = acc2[0];
            cs[m][i] = acc2[1];
            off[i] |= !inside;
        }
    }
    /* 3. exp of the interpolated logarithms */
    for (m = 0; m < nm; m++) {
        double* restrict xgm = xg[m];
        double* restrict csm = cs[m];
        JF_PRAGMA_SIMD
        for (i = 0; i < n; i++) {
            xgm[i] = jf_exp(xgm[i]);
            csm[i] = jf_exp(csm[i]);
        }
    }
    /* 3b. the ff channel's convolutions, per distinct TMD width (one set for the collinear model) */
    if (bp->gaussian) {
        for (m = 0; m < bp->n_ffw; m++)
            if (bp->offdiag)
                jf_ff_gaussian(bp, 1, bp->ffw[m], n, z, PT, ff[m], off);
            else
                jf_ff_gaussian(bp, 0, bp->ffw[m], n, z, PT, ff[m], off);
    } else if (bp->offdiag) {
        jf_ff_collinear(bp, 1, n, z, PT, ff[0]);
    } else {
        jf_ff_collinear(bp, 0, n, z, PT, ff[0]);
    }
    for (i = 0; i < n; i++)
        scalar[i] = off[i];
    /* 4. channel elements (unit_elements of _kernels.pyx, same operation order; every channel is computed, the
     *    layout reads what it needs; rows the block does not write -- the PGF octets' off-diagonal elements,
     *    sigma_{+-} of 3S1[1] -- are 0), then the outputs */
    if (bp->set_major) {
        /* per width group: out = (unit x is_ff) x charge sum + (unit x (1 - is_ff)) x gluon per base set */
        for (k = 0; k < JF_UNIT_N; k++)
            needed[k] = 0;
        for (k = 0; k < bp->n_ce; k++)
            needed[bp->ce_unit[k]] = 1;
        for (k = 0; k < JF_UNIT_N; k++)
            if (needed[k] && !jf_unit_written(k))
                for (i = 0; i < n; i++)
                    cl[0][k][i] = 0.0;
        for (g = 0; g < bp->n_groups; g++) {
            if (bp->offdiag)
                jf_unit_elements(bp, g, 1, n, x, z, Q, PT, JF_GROUP_FF(g), cl[0]);
            else
                jf_unit_elements(bp, g, 0, n, x, z, Q, PT, JF_GROUP_FF(g), cl[0]);
            for (b = 0; b < bp->n_sets; b++) {
                if (bp->set_group[b] != g)
                    continue;
                const double* restrict sq = cs[bp->set_lumi[b]];
                const double* restrict gl = xg[bp->set_lumi[b]];
                for (k = 0; k < bp->n_ce; k++) {
                    const double f = bp->ce_is_ff[k], fo = 1.0 - f;
                    const double* restrict v = cl[0][bp->ce_unit[k]];
                    double* o = out + (ptrdiff_t)(b * bp->n_ce + k) * stride_c;
                    if (stride_p == 1) {
                        JF_PRAGMA_SIMD
                        for (i = 0; i < n; i++)
                            o[i] = (v[i] * f) * sq[i] + (v[i] * fo) * gl[i];
                    } else {
                        for (i = 0; i < n; i++)
                            o[i * stride_p] = (v[i] * f) * sq[i] + (v[i] * fo) * gl[i];
                    }
                }
            }
        }
        return;
    }
    /* any other layout (derived components such as T = U - L and channel sums): output a = sum over its terms
     * of coef x unit x PDF factor, the scalar kernel's term loop */
    for (g = 0; g < bp->n_groups; g++) {
        if (bp->offdiag)
            jf_unit_elements(bp, g, 1, n, x, z, Q, PT, JF_GROUP_FF(g), cl[g]);
        else
            jf_unit_elements(bp, g, 0, n, x, z, Q, PT, JF_GROUP_FF(g), cl[g]);
    }
    for (k = 0; k < bp->out_offset[bp->n_out]; k++) {
        int r = bp->term_unit[k] % JF_UNIT_N;
        if (!jf_unit_written(r))
            for (i = 0; i < n; i++)
                cl[bp->term_unit[k] / JF_UNIT_N][r][i] = 0.0;
    }
    for (k = 0; k < bp->n_out; k++) {
        double acc[JF_BLOCK];
        int t;
        for (i = 0; i < n; i++)
            acc[i] = 0.0;
        for (t = bp->out_offset[k]; t < bp->out_offset[k + 1]; t++) {
            const double coef = bp->term_coef[t];
            const int slot = bp->term_lumi[t];
            const double* restrict v = cl[bp->term_unit[t] / JF_UNIT_N][bp->term_unit[t] % JF_UNIT_N];
            const double* restrict lum = slot < bp->n_lumi ? cs[slot] : xg[slot - bp->n_lumi];
            JF_PRAGMA_SIMD
            for (i = 0; i < n; i++)
                acc[i] += coef * v[i] * lum[i];
        }
        double* o = out + (ptrdiff_t)k * stride_c;
        if (stride_p == 1) {
            JF_PRAGMA_SIMD
            for (i = 0; i < n; i++)
                o[i] = acc[i];
        } else {
            for (i = 0; i < n; i++)
                o[i * stride_p] = acc[i];
        }
    }
}

#define JF_BLOCK_LOOP(bp, n, x, z, Q, PT, out, stride_c, stride_p, scalar) do { \
    int s_; \
    for (s_ = 0; s_ < (n); s_ += JF_BLOCK) \
        jf_collinear_block_body((bp), (n) - s_ < JF_BLOCK ? (n) - s_ : JF_BLOCK, (x) + s_, (z) + s_, (Q) + s_, \
                                (PT) + s_, (out) + (ptrdiff_t)s_ * (stride_p), (stride_c), (stride_p), \
                                (scalar) + s_); \
    } while (0)

static void jf_collinear_baseline(const jf_collinear_block* bp, int n, const double* x, const double* z,
                                  const double* Q, const double* PT, double* out, ptrdiff_t stride_c,
                                  ptrdiff_t stride_p, unsigned char* scalar)
{
    JF_BLOCK_LOOP(bp, n, x, z, Q, PT, out, stride_c, stride_p, scalar);
}

#if JF_X86_DISPATCH
JF_TARGET_AVX2 static void jf_collinear_avx2(const jf_collinear_block* bp, int n, const double* x,
                                             const double* z, const double* Q, const double* PT, double* out,
                                             ptrdiff_t stride_c, ptrdiff_t stride_p, unsigned char* scalar)
{
    JF_BLOCK_LOOP(bp, n, x, z, Q, PT, out, stride_c, stride_p, scalar);
}
JF_TARGET_AVX512 static void jf_collinear_avx512(const jf_collinear_block* bp, int n, const double* x,
                                                 const double* z, const double* Q, const double* PT, double* out,
                                                 ptrdiff_t stride_c, ptrdiff_t stride_p, unsigned char* scalar)
{
    JF_BLOCK_LOOP(bp, n, x, z, Q, PT, out, stride_c, stride_p, scalar);
}
#endif

/* The best SIMD level this CPU runs (JF_SIMD_AVX2 or JF_SIMD_BASELINE). */
static int jf_simd_level(void)
{
#if JF_X86_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl"))
        return JF_SIMD_AVX512;
    if (__builtin_cpu_supports("avx2"))
        return JF_SIMD_AVX2;
#endif
    return JF_SIMD_BASELINE;
}

/* n points (n >= 0) of one chunk at the given level (JF_SIMD_BASELINE or JF_SIMD_AVX2): out[a * stride_c +
 * i * stride_p] for the layout's outputs a; scalar[i] = 1 where the point lies outside the table (the caller
 * evaluates those, and invalid or forbidden points, with the scalar kernel). */
static void jf_collinear_points(int level, const jf_collinear_block* bp, int n, const double* x, const double* z,
                                const double* Q, const double* PT, double* out, ptrdiff_t stride_c,
                                ptrdiff_t stride_p, unsigned char* scalar)
{
#if JF_X86_DISPATCH
    if (level == JF_SIMD_AVX512) {
        jf_collinear_avx512(bp, n, x, z, Q, PT, out, stride_c, stride_p, scalar);
        return;
    }
    if (level == JF_SIMD_AVX2) {
        jf_collinear_avx2(bp, n, x, z, Q, PT, out, stride_c, stride_p, scalar);
        return;
    }
#endif
    (void)level;
    jf_collinear_baseline(bp, n, x, z, Q, PT, out, stride_c, stride_p, scalar);
}

/* "avx2+fma", "sse2", "neon" or "generic": the instruction set of a level, for `jpsi-fast info` */
static const char* jf_simd_name(int level)
{
    if (level == JF_SIMD_AVX512)
        return "avx512";
    if (level == JF_SIMD_AVX2)
        return "avx2";
    if (level == JF_SIMD_SCALAR)
        return "scalar";
#if defined(__x86_64__) || defined(_M_X64)
    return "sse2";
#elif defined(__aarch64__)
    return "neon";
#else
    return "generic";
#endif
}

#endif
