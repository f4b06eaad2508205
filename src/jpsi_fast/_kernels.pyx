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
from libc.math cimport exp, log, sqrt, M_PI, M_SQRT2, NAN
from libc.stdlib cimport malloc, free
from libc.string cimport memset

from ._fragmentation cimport (FFConst, FF_OUT_N, FF_OUT_L, FF_OUT_T, FF_OUT_P0, FF_OUT_PM, alpha_s_one_loop,
                              GaussHermiteRule, gauss_hermite_rule,
                              fill_ff_const, ff_states, gaussian_convolution_states)
from ._fragmentation import gh_reweight_factors
from ._kinematics cimport inelasticity
from ._pdf cimport (PDFView, PDFCore, LumiSetCore, GRSV2000Table, lumi_set_eval, lumi_set_range_code,
                   pdf_charge_sum_gluon_scales, pdf_range_code, helicity_charge_sum_gluon, helicity_from_grid,
                   grsv_range_code, PDF_RANGE_X, PDF_GRV94_TABLE, TAB_G, TAB_CHARGE_SUM, TAB_N)

#: kernel parton order and squared charges
PARTON_NAMES = ("g", "u", "d", "s", "ubar", "dbar", "sbar")
QUARK_CHARGE2 = {"u": 4.0 / 9.0, "d": 1.0 / 9.0, "s": 1.0 / 9.0, "ubar": 4.0 / 9.0, "dbar": 1.0 / 9.0,
                 "sbar": 1.0 / 9.0}
#: points per parallel chunk of evaluate_into
CHUNK = KERNEL_CHUNK
#: error code of evaluate_into when the per-point scratch could not be allocated
NO_MEMORY = ERR_NO_MEMORY
#: error codes of evaluate_into for points outside the helicity PDF's range (x, Q)
HELICITY_RANGE = (ERR_HELICITY_X, ERR_HELICITY_Q)
#: environment variable choosing the kernels' SIMD path: 0 (the scalar kernel), baseline (the block kernel for
#: the build's baseline ISA), 1 or unset (the best one this CPU runs)
SIMD_ENV = "JPSI_FAST_SIMD"
_SIMD_CHOICES = {"0": JF_SIMD_SCALAR, "off": JF_SIMD_SCALAR, "scalar": JF_SIMD_SCALAR,
                 "baseline": JF_SIMD_BASELINE, "avx2": JF_SIMD_AVX2, "1": -1, "auto": -1, "": -1}


def simd_level(choice=None):
    """The SIMD level (0 scalar, 1 baseline ISA, 2 AVX2 + FMA) that ``choice`` selects on this CPU.

    ``choice``: None (the environment variable ``JPSI_FAST_SIMD``, default ``1``), True/``"1"``/``"auto"``
    (the best level this CPU runs), False/``"0"``/``"scalar"`` (the scalar kernel), ``"baseline"`` (the block
    kernel for the build's baseline ISA: SSE2 on x86-64, NEON on aarch64) or ``"avx2"`` (at most AVX2).
    Levels: 0 scalar, 1 baseline, 2 AVX2, 3 AVX-512; never above what this CPU runs."""
    import os
    if choice is None:
        choice = os.environ.get(SIMD_ENV, "1")
    if choice is True or choice is False:
        choice = "1" if choice else "0"
    key = str(choice).strip().lower()
    if key not in _SIMD_CHOICES:
        raise ValueError(f"{SIMD_ENV} / simd must be one of 0, 1, auto, avx2, baseline, scalar, off; "
                         f"got {choice!r}")
    level = _SIMD_CHOICES[key]
    return jf_simd_level() if level < 0 else min(level, jf_simd_level())


def simd_name(int level):
    """The instruction set of a SIMD level: 'scalar', 'sse2', 'neon', 'generic' or 'avx2+fma'."""
    return jf_simd_name(level).decode()


cdef class KernelConfig:
    """C parameter block built from a :class:`jpsi_fast.Params` (the only source of the numbers) and the
    :class:`jpsi_fast.components.Layout` whose components the kernel writes: its base components
    (``derived=False``, for the integrand and for results with variations) or all of them (``derived=True``,
    T = U - L included). The layout's base sets (docs/physics.md §10: factorization scales, PDF-set members,
    TMD widths) are evaluated in the same pass; ``members`` is the :class:`jpsi_fast.pdf.LumiSetCore` of the
    layout's PDF set (needed when a base set names a member); ``helicity`` the
    :class:`jpsi_fast._pdf.GRSV2000Table` or the :class:`jpsi_fast._pdf.PDFCore` of an LHAPDF set (with
    ``helicity_plus``: Dq + Dqbar under the ids 901-903) of the helicity PDFs (needed when the layout has
    polarized-beam states, docs/physics.md §11), ``helicity_clamp`` whether |x Df| <= x f is enforced per flavour and ``clamp_cells`` the
    (n_x - 1) (n_Q2 - 1) helicity-grid cells where the quark clamp can act (None: all; see
    CrossSection.helicity_clamp_cells)."""

    def __init__(self, params, layout, bint derived=False, members=None, helicity=None, bint helicity_clamp=True,
                 clamp_cells=None, bint helicity_plus=False, simd=None):
        cdef int k, b
        cdef LumiSetCore lumi
        cdef GRSV2000Table hel_table
        cdef PDFCore hel_core
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
        self.kp.offdiag = 0
        self.kp.polarized = 0
        need_hel = False
        for k in range(src.shape[0]):
            self.kp.channel_mask |= 1 << ((sv[k] // N_ELEMENTS) % N_CHANNELS)
            if sv[k] % N_ELEMENTS in (EL_P0, EL_PM):
                self.kp.offdiag = 1
            if sv[k] % N_ELEMENTS >= EL_ULL:
                self.kp.polarized = 1
            if sv[k] % N_ELEMENTS in (EL_ULL, EL_LLL, EL_VUL):
                need_hel = True
        self.kp.hel = NULL
        self.kp.hel_grid = NULL
        self.kp.hel_plus = helicity_plus
        self.kp.hel_clamp = helicity_clamp
        self.kp.clamp_cells = NULL
        cdef const unsigned char[::1] ccv
        if clamp_cells is not None:
            clamp_cells = np.ascontiguousarray(clamp_cells, dtype=np.uint8)
            ccv = clamp_cells
            self.kp.clamp_cells = &ccv[0]
        self.kp.w_g1 = params.w_g1
        if need_hel and helicity is None:
            raise ValueError("the layout's polarized-beam states need helicity PDFs: pass helicity=")
        if need_hel and isinstance(helicity, PDFCore):
            hel_core = helicity
            self.kp.hel_grid = &hel_core.view
        elif need_hel:
            hel_table = helicity
            self.kp.hel = &hel_table.view
            if clamp_cells is not None and len(clamp_cells) != (hel_table.view.nx - 1) * (hel_table.view.nq - 1):
                raise ValueError(f"clamp_cells must have one flag per helicity-grid cell, "
                                 f"{(hel_table.view.nx - 1) * (hel_table.view.nq - 1)}, got {len(clamp_cells)}")
        if self.kp.polarized and len(layout.base_sets) > 1:
            raise ValueError("polarized-beam states are evaluated for the central base set only")
        # the helicity width's convolution from the nodes of the central one when they are close (Gaussian model)
        g1_factors = gh_reweight_factors(params.kt2_pdf, params.w_g1) if self.kp.polarized else None
        cdef const double[::1] g1v
        self.kp.g1_reweight = NULL
        if g1_factors is not None:
            g1v = g1_factors
            self.kp.g1_reweight = &g1v[0]
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
        el_of = r_of % N_ELEMENTS
        helicity_term = np.isin(el_of, (EL_ULL, EL_LLL, EL_VUL))
        term_lumi = np.where(helicity_term, 2 * self.kp.n_lumi + (ch_of != CH_FF), term_lumi).astype(np.intc)
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
        self.kp.set_major = bool(single_terms and n_ce > 0 and not self.kp.polarized
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
        self.kp.n_scratch = (2 * self.kp.n_lumi + HELICITY_LUMI + FF_OUT_N * (self.kp.n_ffw + 1)
                             + per_set * self.kp.n_groups
                             + 2 * n_ce * self.kp.n_groups)
        self._keep = (offsets, src, coef, group_ffw, group_pgf, ffw, term_unit, term_lumi, members, ce_unit,
                      ce_is_ff, set_group_a, set_lumi_a, helicity, clamp_cells, g1_factors)
        self._fill_block(simd_level(simd))

    cdef void _fill_block(self, int level):
        """The SIMD path's constants (_simd.h): the collinear and Gaussian models with their own PDF's scales (any
        layout without PDF-set members or polarized beams); other configurations run the scalar kernel."""
        cdef int m
        cdef KernelParams* kp = &self.kp
        cdef GaussHermiteRule gh = gauss_hermite_rule()
        eligible = (kp.n_members == 0 and not kp.polarized and kp.all_light and kp.n_muf <= JF_MAX_MUF
                    and (kp.set_major or kp.n_groups <= JF_MAX_GROUPS) and kp.n_ffw <= JF_MAX_FFW)
        self.simd_path = level if eligible else JF_SIMD_SCALAR
        memset(&self.block, 0, sizeof(jf_collinear_block))
        self.block.s_had, self.block.c_ff, self.block.M, self.block.M2 = kp.s_had, kp.c_ff, kp.M, kp.M2
        self.block.c_3s1 = kp.c_3s1
        self.block.ff_norm, self.block.ff_n_c = kp.ff.norm, kp.ff.n_c
        self.block.channel_mask, self.block.offdiag = kp.channel_mask, kp.offdiag
        self.block.n_groups, self.block.group_pgf = kp.n_groups, kp.group_pgf
        self.block.n_muf = min(kp.n_muf, JF_MAX_MUF)
        for m in range(self.block.n_muf):
            self.block.muf2[m] = kp.muf2[m]
            self.block.log_muf2[m] = kp.log_muf2[m]
        self.block.n_lumi = kp.n_lumi
        self.block.n_sets, self.block.n_ce = kp.n_sets, kp.n_ce
        self.block.ce_unit, self.block.ce_is_ff = kp.ce_unit, kp.ce_is_ff
        self.block.set_group, self.block.set_lumi = kp.set_group, kp.set_lumi
        self.block.set_major, self.block.n_out, self.block.out_offset = kp.set_major, kp.n_out, kp.out_offset
        self.block.term_unit, self.block.term_lumi, self.block.term_coef = kp.term_unit, kp.term_lumi, kp.term_coef
        self.block.gaussian, self.block.n_ffw, self.block.ffw, self.block.group_ffw = (kp.gaussian, kp.n_ffw,
                                                                                    kp.ffw, kp.group_ffw)
        self.block.gh_nx, self.block.gh_ny, self.block.gh_min_b = gh.nx, gh.ny, gh.min_b
        self.block.gh_x, self.block.gh_xw, self.block.gh_y2, self.block.gh_yw = gh.x, gh.xw, gh.y2, gh.yw
        self.block.x_min, self.block.z_min, self.block.pt_max = kp.x_min, kp.z_min, kp.pt_max
        self.block.q_min, self.block.q_max = kp.q_min, kp.q_max

    @property
    def simd(self):
        """The SIMD level evaluate_into runs for this layout with a tabulated GRV94 PDF (0 scalar, 1 baseline
        ISA, 2 AVX2 + FMA; see :func:`simd_level`); other PDFs run the scalar kernel."""
        return self.simd_path

    @property
    def n_out(self):
        """Base components written per point."""
        return self.kp.n_out


cdef void unit_elements(const KernelParams* kp, int g, const double* ff, const double* ff_g1, double x,
                        double z, double PT2, double y, double* cl) noexcept nogil:
    """cl[N_ELEMENTS * channel + element] = dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4] of the kernel elements U, L,
    Sp0, Spm (the last two only with kp.offdiag) and the beam-polarization elements U_LL, L_LL, V_LU, V_UL (only
    with kp.polarized) of every channel in kp.channel_mask (others 0) for width group g (docs/physics.md §4-5,
    §11-12) with unit PDF factors: the ff elements per unit sum_q e_q^2 x f_q (U_LL, L_LL, V_UL: x Dq), the PGF
    elements per unit x g (x Dg). ff: the FF channel's convolutions at the group's width (FF_OUT_* of
    _fragmentation); ff_g1: those at the helicity PDFs' width w_g1 (used with kp.polarized)."""
    cdef double Q2 = x * y * kp.s_had, iQ2 = 1.0 / Q2, iQ6, ym = 1.0 - y, Yf = ym + 0.5 * y * y, inv_x = 1.0 / x
    cdef double By = y * (1.0 - 0.5 * y), dep = By / Yf     # B(y) and D(y) = B/A of docs/physics.md §11
    cdef double tz, itz, itz2, omz, omz2, pre, ide, U, L, pre_b, transfer
    cdef const double* pg = kp.group_pgf + g * PGF_SET_N
    cdef int k
    for k in range(N_CHANNELS * N_ELEMENTS):
        cl[k] = 0.0
    if kp.channel_mask & (1 << CH_FF):
        # pi sigma0 sum_q e_q^2 f_q C[D],  sigma0 = 4 pi alpha^2 Yf / Q^4              (§4, §12)
        pre = kp.c_ff * Yf * iQ2 * iQ2 * inv_x
        cl[N_ELEMENTS * CH_FF + EL_L] = pre * ff[FF_OUT_L]
        cl[N_ELEMENTS * CH_FF + EL_U] = pre * ff[FF_OUT_L] + pre * ff[FF_OUT_T]
        if kp.offdiag:
            cl[N_ELEMENTS * CH_FF + EL_P0] = pre * ff[FF_OUT_P0]
            cl[N_ELEMENTS * CH_FF + EL_PM] = pre * ff[FF_OUT_PM]
        if kp.polarized:
            # §11: F_LL(lambda) = pi sigma0 (B/A) sum e^2 C_wg1[Dq D_lambda]; G1L = transfer/2 * D_T per helicity
            # (both ~ k_T^2/Delta^2), so sigma(+1) - sigma(-1) = transfer * C[D_T] with
            # transfer = N_c z (2-z) / (3 (z^2 - 2z + 2)) (= the spec's helicity transfer for N_c = 3)
            pre_b = pre * dep
            transfer = kp.ff.n_c * z * (2.0 - z) / (3.0 * (z * z - 2.0 * z + 2.0))
            cl[N_ELEMENTS * CH_FF + EL_LLL] = pre_b * ff_g1[FF_OUT_L]
            cl[N_ELEMENTS * CH_FF + EL_ULL] = pre_b * ff_g1[FF_OUT_L] + pre_b * ff_g1[FF_OUT_T]
            cl[N_ELEMENTS * CH_FF + EL_VLU] = pre_b * transfer * ff[FF_OUT_T]
            cl[N_ELEMENTS * CH_FF + EL_VUL] = pre * transfer * ff_g1[FF_OUT_T]
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
        # (§5; off-diagonal elements 0, §12)
        pre = z * iQ6 * exp(-PT2 * pg[0] - omz2 * pg[1])
        if kp.channel_mask & (1 << CH_1S0_8):                # §5, 1S0[8]: L = U/3
            U = pg[2] * Yf * pre * itz2 * itz
            cl[N_ELEMENTS * CH_1S0_8 + EL_U] = U
            cl[N_ELEMENTS * CH_1S0_8 + EL_L] = U * (1.0 / 3.0)
        if kp.channel_mask & (1 << CH_3PJ_8):                # §5, 3PJ[8] summed over J
            pre = pg[3] * pre * itz2 * itz2 * itz
            cl[N_ELEMENTS * CH_3PJ_8 + EL_U] = pre * (y * y * (8.0 - 8.0 * z + 3.0 * z * z) + 8.0 * ym * tz
                                                      - 2.0 * ym * z * tz * tz)
            cl[N_ELEMENTS * CH_3PJ_8 + EL_L] = pre * z * z * ((2.0 - y) * (2.0 - y) - 2.0 * z * ym)
        if kp.polarized:                                     # §11: F_LL = D(y) (Dg/g) F_UU, no single-spin terms
            cl[N_ELEMENTS * CH_1S0_8 + EL_ULL] = dep * cl[N_ELEMENTS * CH_1S0_8 + EL_U]
            cl[N_ELEMENTS * CH_1S0_8 + EL_LLL] = dep * cl[N_ELEMENTS * CH_1S0_8 + EL_L]
            cl[N_ELEMENTS * CH_3PJ_8 + EL_ULL] = dep * cl[N_ELEMENTS * CH_3PJ_8 + EL_U]
            cl[N_ELEMENTS * CH_3PJ_8 + EL_LLL] = dep * cl[N_ELEMENTS * CH_3PJ_8 + EL_L]
    if kp.channel_mask & (1 << CH_3S1_1):                    # §5, 3S1[1], gamma* g -> J/psi g
        ide = 1.0 / (PT2 + omz2 * kp.M2)
        pre = kp.c_3s1 * omz * Yf * iQ6 * itz2 / z * ide * ide
        L = pre * PT2
        cl[N_ELEMENTS * CH_3S1_1 + EL_U] = L + pre * omz2 * kp.M2 * (1.0 + omz2)
        cl[N_ELEMENTS * CH_3S1_1 + EL_L] = L
        if kp.offdiag:                                       # §12: sigma_{+0}; sigma_{+-} = 0
            cl[N_ELEMENTS * CH_3S1_1 + EL_P0] = -pre * tz * omz * kp.M * sqrt(PT2) / (2.0 * M_SQRT2)
        if kp.polarized:                                     # §11: K' = pre / A; X_lambda, Y over den^2
            cl[N_ELEMENTS * CH_3S1_1 + EL_ULL] = dep * cl[N_ELEMENTS * CH_3S1_1 + EL_U]
            cl[N_ELEMENTS * CH_3S1_1 + EL_LLL] = dep * L
            cl[N_ELEMENTS * CH_3S1_1 + EL_VLU] = -2.0 * dep * pre * omz2 * omz * kp.M2
            cl[N_ELEMENTS * CH_3S1_1 + EL_VUL] = -2.0 * pre * omz2 * omz * kp.M2


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
    cdef double* ffc
    cdef double* ff_g1
    cdef bint g1_done
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
    ffc = scratch + 2 * nl + HELICITY_LUMI      # [n_ffw][FF_OUT_N] ff convolutions per TMD width
    ff_g1 = ffc + FF_OUT_N * kp.n_ffw           # [FF_OUT_N] at the helicity PDFs' width (polarized beams)
    unit = ff_g1 + FF_OUT_N
    pdf_charge_sum_gluon_scales(pdf, x, Q2, kp.muf2, kp.log_muf2, kp.n_muf, kp.eq2, kp.all_light, lumi, lumi + nl)
    if kp.n_members:
        lumi_set_eval(kp.members, x, Q2 * kp.muf2[0], kp.eq2, lumi + kp.n_muf, lumi + nl + kp.n_muf)
    lumi[2 * nl] = 0.0
    lumi[2 * nl + 1] = 0.0
    if kp.hel != NULL:                # helicity PDFs at the central mu_F, clamped per flavour against x f
        helicity_charge_sum_gluon(kp.hel, pdf, x, Q2 * kp.muf2[0], kp.eq2, kp.hel_clamp, kp.clamp_cells,
                                  lumi[nl], &lumi[2 * nl], &lumi[2 * nl + 1])
    elif kp.hel_grid != NULL:         # an LHAPDF helicity set
        helicity_from_grid(kp.hel_grid, kp.hel_plus, pdf, x, Q2 * kp.muf2[0], kp.eq2, kp.hel_clamp, lumi[nl],
                           &lumi[2 * nl], &lumi[2 * nl + 1])
    for m in range(FF_OUT_N * (kp.n_ffw + 1)):
        ffc[m] = 0.0
    if kp.channel_mask & (1 << CH_FF):
        g1_done = False
        for m in range(kp.n_ffw):     # (polarized layouts have one width: m = 0 may give ff_g1 as well)
            if kp.gaussian:
                g1_done = gaussian_convolution_states(z, PT, kp.ffw[m], &kp.ff, kp.offdiag, ffc + FF_OUT_N * m,
                                                      kp.g1_reweight if kp.polarized else NULL, ff_g1)
            else:
                ff_states(z, PT, &kp.ff, kp.offdiag, ffc + FF_OUT_N * m)
        if kp.polarized and not g1_done:
            if kp.gaussian:
                gaussian_convolution_states(z, PT, kp.w_g1, &kp.ff, 0, ff_g1, NULL, NULL)
            else:
                ff_g1 = ffc           # the collinear model has no width: the same convolutions
    for g in range(kp.n_groups):
        unit_elements(kp, g, ffc + FF_OUT_N * kp.group_ffw[g], ff_g1, x, z, PT2, y,
                      unit + g * N_CHANNELS * N_ELEMENTS)
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
    cdef int m, code = 0
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
            code = lumi_set_range_code(kp.members, x, Q * Q * kp.muf2[0])
            if code:
                return code
        if kp.hel != NULL:
            code = grsv_range_code(kp.hel, x, Q * Q * kp.muf2[0])
        elif kp.hel_grid != NULL:
            code = pdf_range_code(kp.hel_grid, x, Q * Q * kp.muf2[0])
        if code:
            return ERR_HELICITY_X if code == PDF_RANGE_X else ERR_HELICITY_Q
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


cdef void evaluate_chunk_simd(const KernelParams* kp, const jf_collinear_block* block, int level,
                              const PDFView* pdf, const double* x, const double* z, const double* Q,
                              const double* PT, Py_ssize_t start, Py_ssize_t stop, Py_ssize_t n, bint point_major,
                              double* out, int* err_code, Py_ssize_t* err_index) noexcept nogil:
    """evaluate_chunk through the vectorized kernel (_simd.h; stop - start <= CHUNK): every point in blocks,
    then point_error and the scalar kernel for the points the block kernel flags (invalid, forbidden, outside
    the PDF's range or its table): the same values as evaluate_chunk up to the exp rounding (<= 1e-14
    relative)."""
    cdef unsigned char scalar[KERNEL_CHUNK]
    cdef Py_ssize_t i, a, stride = 1 if point_major else n
    cdef double* row
    cdef int code
    jf_collinear_points(level, block, <int>(stop - start), x + start, z + start, Q + start, PT + start,
                        out + (start * kp.n_out if point_major else start), stride,
                        kp.n_out if point_major else 1, scalar)
    for i in range(start, stop):
        if not scalar[i - start]:
            continue
        row = out + (i * kp.n_out if point_major else i)
        code = point_error(kp, pdf, x[i], z[i], Q[i], PT[i])
        if code:
            if err_code[0] == 0:
                err_code[0] = code
                err_index[0] = i
            for a in range(kp.n_out):
                row[a * stride] = 0.0
        else:
            cross_section_point(kp, pdf, x[i], z[i], Q[i], PT[i], row, stride)


def kinematic_errors():
    """Error codes of evaluate_into -> (argument, allowed range) (limits from jpsi_fast.params)."""
    from .params import PT_MAX, Q_RANGE, X_MIN, Z_MIN
    return {1: ("x", f"[{X_MIN:g}, 1)"), 2: ("z", f"[{Z_MIN:g}, 1)"), 3: ("Q", f"[{Q_RANGE[0]:g}, {Q_RANGE[1]:g}] GeV"),
            4: ("PT", f"[0, {PT_MAX:g}] GeV"), 5: ("x", "the PDF's x range"), 6: ("Q", "the PDF's Q range"),
            ERR_HELICITY_X: ("x", "the helicity PDF's x range"), ERR_HELICITY_Q: ("Q", "the helicity PDF's Q range")}


def simd_path(KernelConfig cfg, PDFCore pdf):
    """The SIMD level evaluate_into runs for this configuration and PDF: cfg.simd for a tabulated GRV94
    without nearest-edge extrapolation, else 0 (the scalar kernel)."""
    if pdf.view.kind == PDF_GRV94_TABLE and not pdf.view.extrapolate_nearest:
        return cfg.simd_path
    return JF_SIMD_SCALAR


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
    cdef jf_collinear_block block = cfg.block
    cdef int level = simd_path(cfg, pdf)
    if level != JF_SIMD_SCALAR:
        block.table = pdf.view.table
        block.nu, block.nv, block.tab_n = pdf.view.nu, pdf.view.nv, TAB_N
        block.tab_g, block.tab_charge_sum = TAB_G, TAB_CHARGE_SUM
        block.u0, block.du, block.inv_du = pdf.view.u0, pdf.view.du, pdf.view.inv_du
        block.v0, block.dv, block.inv_dv = pdf.view.v0, pdf.view.dv, pdf.view.inv_dv
        block.pdf_xmin, block.pdf_xmax = pdf.view.xmin, pdf.view.xmax
        block.pdf_q2min, block.pdf_q2max = pdf.view.q2min, pdf.view.q2max
    for c in prange(nchunks, nogil=True, schedule="static", num_threads=n_threads):
        if level != JF_SIMD_SCALAR:
            evaluate_chunk_simd(&cfg.kp, &block, level, &pdf.view, &x[0], &z[0], &Q[0], &PT[0], start + c * chunk,
                                min(start + (c + 1) * chunk, stop), n, point_major, &out[0, 0], &cv[c], &wv[c])
        else:
            evaluate_chunk(&cfg.kp, &pdf.view, &x[0], &z[0], &Q[0], &PT[0], start + c * chunk,
                           min(start + (c + 1) * chunk, stop), n, point_major, &out[0, 0], &cv[c], &wv[c])
    bad = np.flatnonzero(codes)
    if bad.size:
        return int(codes[bad[0]]), int(where[bad[0]])
    return 0, -1


def simd_exp(const double[::1] x):
    """The SIMD path's own exp (_simd.h) of every element of x, for tests: within 1 ulp of libm's."""
    out = np.empty(x.shape[0])
    cdef double[::1] o = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(x.shape[0]):
            o[i] = jf_exp(x[i])
    return out
