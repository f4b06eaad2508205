# cython: language_level=3
"""VEGAS+ core in Cython (G. P. Lepage, J. Comput. Phys. 27 (1978) 192; arXiv:2009.05112): the adaptive map,
stratified sampling over hypercubes and the per-iteration accumulation, run in an OpenMP ``prange`` over a
fixed number of chunks of hypercubes. Each hypercube draws its random numbers from a Philox stream keyed by
(seed, iteration, hypercube); chunk partial sums are reduced in chunk order, so results are bit-identical
for any number of threads. The map and allocation updates (a few thousand numbers) are done in NumPy by
:mod:`jpsi_fast.integrate`.

Two ways to evaluate the integrand:
* ``iterate_xsec``: a :class:`jpsi_fast.CrossSection` evaluated inside the same parallel loop (no Python per
  sample or batch), integrand 4 Q P_T dsigma/(dx dQ^2 dz dP_T^2), 12 components (channel x state), optional
  dsigma/dP_T histograms. The map's axes are (u_x, z, Q, u_PT): x and P_T are fractions of their ranges
  allowed by the cuts at that (z, Q) (``to_physical``), so no sample is wasted outside the cuts;
* ``generate`` + ``accumulate``: points are generated in parallel, a Python callable evaluates them in one
  batch, the values are accumulated in parallel (generic, slower path).
"""
import numpy as np
cimport numpy as cnp
from cython.parallel cimport prange
from libc.stdint cimport uint32_t, uint64_t, int64_t
from libc.stdlib cimport malloc, free
from libc.string cimport memset

from ._rng cimport Philox, philox_init, philox_uniform, philox_block
from ._kernels cimport KernelConfig, KernelParams, cross_section_point, N_CHANNELS, N_STATES
from ._pdf cimport PDFCore, PDFView

cnp.import_array()

cdef enum:
    MAX_DIM = 16
    MAX_COMP = 16
    MAX_PAIRS = 136         # MAX_COMP * (MAX_COMP + 1) / 2
    PURPOSE_INTEGRATE = 1
    PURPOSE_SAMPLE = 2
    PURPOSE_ACCEPT = 3
    NCOMP_XSEC = N_CHANNELS * N_STATES

#: at most this many chunks of hypercubes, each of at least CUBES_PER_CHUNK cubes; the chunking depends on the
#: number of hypercubes only, never on the thread count
N_CHUNKS = 64
CUBES_PER_CHUNK = 128


cdef struct Cuts:
    double s_had           # e p centre-of-mass energy squared [GeV^2]
    double ymin
    double ymax
    int tmd_cut            # P_T <= z Q / 2
    double x_lo
    double x_hi
    double pt_lo
    double pt_hi


cdef inline double to_physical(const Cuts* c, double* v) noexcept nogil:
    """Cut-adapted coordinates -> physical point, in place. v = (u_x, z, Q, u_PT) with u_x, u_PT in [0, 1]:
    x = x_min(Q) + u_x (x_max(Q) - x_min(Q)), x_min = max(x_lo, Q^2/(s y_max)), x_max = min(x_hi, Q^2/(s y_min));
    P_T = pt_lo + u_PT (P_T,max(z, Q) - pt_lo), P_T,max = min(pt_hi, z Q / 2) with the TMD cut. Every point is
    then inside the cuts. Returns the Jacobian (x_max - x_min)(P_T,max - pt_lo), 0 where the range is empty."""
    cdef double q2s = v[2] * v[2] / c.s_had
    cdef double xlo = q2s / c.ymax, xhi = c.x_hi, pthi = c.pt_hi
    if xlo < c.x_lo:
        xlo = c.x_lo
    if c.ymin > 0.0 and q2s / c.ymin < xhi:
        xhi = q2s / c.ymin
    if c.tmd_cut and 0.5 * v[1] * v[2] < pthi:
        pthi = 0.5 * v[1] * v[2]
    if xhi <= xlo or pthi <= c.pt_lo:
        return 0.0
    v[0] = xlo + v[0] * (xhi - xlo)
    v[3] = c.pt_lo + v[3] * (pthi - c.pt_lo)
    return (xhi - xlo) * (pthi - c.pt_lo)


cdef void fill_cuts(Cuts* c, tuple t) except *:
    """(s, ymin, ymax, tmd_cut, x_lo, x_hi, pt_lo, pt_hi) from Domain.cuts()."""
    c.s_had, c.ymin, c.ymax, c.tmd_cut, c.x_lo, c.x_hi, c.pt_lo, c.pt_hi = t


cdef struct HistSpec:
    int nreg               # number of (z, Q) regions; 0 = no histogram
    const double* reg      # [nreg][4]: zlo, zhi, Qlo, Qhi (half-open)
    int npt
    const double* pt_edges # [npt + 1]


cdef struct Layout:        # one iteration's sampling layout
    int dim
    int ninc
    int nstrat
    int64_t ncubes
    const double* edges    # [dim][ninc + 1]
    const double* widths   # [dim][ninc]
    const int* neval_h     # [ncubes]
    const int64_t* offset  # [ncubes + 1]
    int ncomp
    const double* adapt    # [ncomp] weights of the component the map adapts to
    const int* cov_mask    # [ncomp] 1: component enters the covariance (others are linear combinations)
    uint64_t seed
    uint32_t itn


cdef struct ChunkAcc:      # pointers into one chunk's accumulators
    double* mean           # [ncomp]
    double* cov            # [ncomp * ncomp]
    double* train          # [dim * ninc]
    double* hist           # [nbins * ncomp * 2]: sum, variance
    double* sigma2         # [ncubes] (global, written per cube)


cdef inline double map_y_to_x(const Layout* L, const double* y, double* x, int* inc) noexcept nogil:
    """VEGAS map x(y) per axis; returns the Jacobian dx/dy."""
    cdef double jac = 1.0, yy, w
    cdef int d, i
    for d in range(L.dim):
        yy = y[d] * L.ninc
        i = <int>yy
        if i >= L.ninc:
            i = L.ninc - 1
        w = L.widths[d * L.ninc + i]
        x[d] = L.edges[d * (L.ninc + 1) + i] + (yy - i) * w
        jac *= L.ninc * w
        inc[d] = i
    return jac


cdef inline void cube_corner(const Layout* L, int64_t h, double* corner) noexcept nogil:
    """Lower corner of y-space hypercube h (the digits of h in base nstrat), in units of the cube side."""
    cdef int d
    cdef int64_t rest = h
    for d in range(L.dim):
        corner[d] = <double>(rest % L.nstrat)
        rest //= L.nstrat


cdef inline void cube_point(const Layout* L, const double* corner, Philox* g, double* y) noexcept nogil:
    """A uniform point of the hypercube with lower corner ``corner``."""
    cdef int d
    cdef double side = 1.0 / L.nstrat
    for d in range(L.dim):
        y[d] = (corner[d] + philox_uniform(g)) * side


cdef inline int hist_bin(const HistSpec* H, double z, double Q, double PT) noexcept nogil:
    cdef int r, lo, hi, mid
    if H.nreg == 0 or PT < H.pt_edges[0] or PT >= H.pt_edges[H.npt]:
        return -1
    for r in range(H.nreg):
        if H.reg[4 * r] <= z < H.reg[4 * r + 1] and H.reg[4 * r + 2] <= Q < H.reg[4 * r + 3]:
            lo = 0
            hi = H.npt
            while hi - lo > 1:
                mid = (lo + hi) >> 1
                if H.pt_edges[mid] <= PT:
                    lo = mid
                else:
                    hi = mid
            return r * H.npt + lo
    return -1


cdef void accumulate_cube(const Layout* L, int64_t h, int n, const double* f, const int* inc, const int* bins,
                          ChunkAcc* acc, int track_cov) noexcept nogil:
    """Add hypercube h's n samples (f[s, k] = integrand x Jacobian, inc[s, d] = map increments, bins[s] =
    histogram bin or -1) to the chunk accumulators: the cube's integral V <f>, the covariance of that
    estimate V^2 cov(f)/n (components with cov_mask), the map-training sums of f_adapt^2 per increment, and
    sigma_h^2 of the adapted component (needs n >= 2). One pass over the samples."""
    cdef int s, t, k, a, b, d, bn, p
    cdef int K = L.ncomp, C = 0
    cdef double V = 1.0 / L.ncubes, fa, sa1 = 0.0, sa2 = 0.0, S2h, S1h, w2 = V * V / (n * (n - 1.0))
    cdef double S1[MAX_COMP]
    cdef double g[MAX_COMP]
    cdef double S2[MAX_PAIRS]
    cdef int idx[MAX_COMP]
    cdef const double* row
    cdef double* hrow
    for k in range(K):
        S1[k] = 0.0
        if track_cov and L.cov_mask[k]:
            idx[C] = k
            C += 1
    for p in range(C * (C + 1) // 2):
        S2[p] = 0.0
    for s in range(n):
        row = f + s * K
        fa = 0.0
        for k in range(K):
            S1[k] += row[k]
            fa += L.adapt[k] * row[k]
        sa1 += fa
        sa2 += fa * fa
        for d in range(L.dim):
            acc.train[d * L.ninc + inc[s * L.dim + d]] += fa * fa * V / n
        for a in range(C):
            g[a] = row[idx[a]]
        p = 0
        for a in range(C):
            for b in range(a, C):
                S2[p] += g[a] * g[b]
                p += 1
    for k in range(K):
        acc.mean[k] += V * S1[k] / n
    p = 0
    for a in range(C):
        for b in range(a, C):
            acc.cov[idx[a] * K + idx[b]] += w2 * (S2[p] - S1[idx[a]] * S1[idx[b]] / n)
            p += 1
    acc.sigma2[h] = V * V * max(sa2 - sa1 * sa1 / n, 0.0) / (n - 1.0)
    if bins == NULL:
        return
    for s in range(n):                    # histogram: group the cube's samples by bin
        bn = bins[s]
        if bn < 0:
            continue
        t = 0
        while t < s and bins[t] != bn:
            t += 1
        if t < s:
            continue                      # bin already handled at its first sample
        hrow = acc.hist + bn * K * 2
        for k in range(K):
            S1h = 0.0
            S2h = 0.0
            for t in range(s, n):
                if bins[t] == bn:
                    S1h += f[t * K + k]
                    S2h += f[t * K + k] * f[t * K + k]
            hrow[2 * k] += V * S1h / n
            hrow[2 * k + 1] += w2 * (S2h - S1h * S1h / n)


cdef class VegasLayout:
    """Python-side holder of one iteration's layout (arrays owned here, pointers in ``L``)."""
    cdef Layout L
    cdef object _keep

    def __init__(self, edges, neval_h, int nstrat, adapt, uint64_t seed, uint32_t itn, cov_mask=None):
        edges = np.ascontiguousarray(edges, dtype=np.float64)
        widths = np.ascontiguousarray(np.diff(edges, axis=1))
        neval_h = np.ascontiguousarray(neval_h, dtype=np.intc)
        offset = np.zeros(len(neval_h) + 1, dtype=np.int64)
        np.cumsum(neval_h, out=offset[1:])
        adapt = np.ascontiguousarray(adapt, dtype=np.float64)
        cov_mask = np.ascontiguousarray(np.ones(len(adapt)) if cov_mask is None else cov_mask, dtype=np.intc)
        if edges.shape[0] > MAX_DIM:
            raise ValueError(f"at most {MAX_DIM} dimensions")
        if neval_h.min() < 2:
            raise ValueError("every hypercube needs at least 2 evaluations")
        if len(adapt) > MAX_COMP:
            raise ValueError(f"at most {MAX_COMP} integrand components")
        self._keep = (edges, widths, neval_h, offset, adapt, cov_mask)
        self.L.dim = edges.shape[0]
        self.L.ninc = edges.shape[1] - 1
        self.L.nstrat = nstrat
        self.L.ncubes = len(neval_h)
        self.L.edges = <const double*>cnp.PyArray_DATA(edges)
        self.L.widths = <const double*>cnp.PyArray_DATA(widths)
        self.L.neval_h = <const int*>cnp.PyArray_DATA(neval_h)
        self.L.offset = <const int64_t*>cnp.PyArray_DATA(offset)
        self.L.ncomp = len(adapt)
        self.L.adapt = <const double*>cnp.PyArray_DATA(adapt)
        self.L.cov_mask = <const int*>cnp.PyArray_DATA(cov_mask)
        self.L.seed = seed
        self.L.itn = itn

    @property
    def n_total(self):
        offset = self._keep[3]
        return int(offset[len(offset) - 1])


def _chunk_bounds(int64_t ncubes):
    nch = max(1, min(N_CHUNKS, ncubes // CUBES_PER_CHUNK))
    return nch, np.array([(c * ncubes) // nch for c in range(nch + 1)], dtype=np.int64)


def _new_accumulators(int nch, int ncomp, int dim, int ninc, int nbins):
    return dict(mean=np.zeros((nch, ncomp)), cov=np.zeros((nch, ncomp, ncomp)), train=np.zeros((nch, dim, ninc)),
                hist=np.zeros((nch, max(nbins, 1), ncomp, 2)))


cdef inline double* _row(cnp.ndarray arr, int c):
    """Pointer to arr[c] of a C-contiguous float64 array."""
    return <double*>cnp.PyArray_DATA(arr) + <Py_ssize_t>c * (arr.size // arr.shape[0])


cdef void chunk_acc(ChunkAcc* a, dict arrays, int c, double* sigma2):
    a.mean = _row(arrays["mean"], c)
    a.cov = _row(arrays["cov"], c)
    a.train = _row(arrays["train"], c)
    a.hist = _row(arrays["hist"], c)
    a.sigma2 = sigma2


def _reduce(dict arrays, int ncomp):
    """Chunk partial sums -> totals, summed in chunk order (deterministic)."""
    cov = arrays["cov"].sum(axis=0)
    cov = np.triu(cov) + np.triu(cov, 1).T
    return dict(mean=arrays["mean"].sum(axis=0), cov=cov, train=arrays["train"].sum(axis=0),
                hist=arrays["hist"].sum(axis=0))


cdef void xsec_chunk(const Layout* L, const KernelParams* kp, const PDFView* pdf, const Cuts* cuts,
                     const HistSpec* H, int64_t h0, int64_t h1, ChunkAcc* acc, double* fbuf, int* ibuf,
                     int* bbuf, int track_cov) noexcept nogil:
    cdef int64_t h
    cdef int s, k, n
    cdef double y[MAX_DIM]
    cdef double x[MAX_DIM]
    cdef double out[NCOMP_XSEC]
    cdef double jac, measure
    cdef double corner[MAX_DIM]
    cdef Philox g
    for h in range(h0, h1):
        n = L.neval_h[h]
        philox_init(&g, L.seed, PURPOSE_INTEGRATE, L.itn, <uint64_t>h)
        cube_corner(L, h, corner)
        for s in range(n):
            cube_point(L, corner, &g, y)
            jac = map_y_to_x(L, y, x, ibuf + s * L.dim)
            jac *= to_physical(cuts, x)                  # x = (x_B, z, Q, P_T), inside the cuts
            if jac == 0.0:
                for k in range(NCOMP_XSEC):
                    fbuf[s * NCOMP_XSEC + k] = 0.0
                bbuf[s] = -1
                continue
            cross_section_point(kp, pdf, x[0], x[1], x[2], x[3], out)
            measure = 4.0 * x[2] * x[3] * jac          # dQ^2 dP_T^2 -> dQ dP_T, and the map's Jacobian
            for k in range(NCOMP_XSEC):
                fbuf[s * NCOMP_XSEC + k] = out[k] * measure
            bbuf[s] = hist_bin(H, x[1], x[2], x[3])
        accumulate_cube(L, h, n, fbuf, ibuf, bbuf if H.nreg > 0 else NULL, acc, track_cov)


def iterate_xsec(VegasLayout layout, KernelConfig cfg, PDFCore pdf, cuts_tuple, hist_regions, pt_edges,
                 int n_threads, bint track_cov=True):
    """One VEGAS+ iteration of the physics integrand; returns (totals dict, sigma2 per hypercube)."""
    cdef Layout* L = &layout.L
    cdef Cuts cuts
    cdef HistSpec H
    cdef int nch, c
    cdef int maxn = int(np.max(layout._keep[2]))
    fill_cuts(&cuts, cuts_tuple)
    reg = np.ascontiguousarray(hist_regions if hist_regions is not None else np.zeros((0, 4)), dtype=np.float64)
    pte = np.ascontiguousarray(pt_edges if pt_edges is not None else np.zeros(2), dtype=np.float64)
    H.nreg = reg.shape[0]
    H.reg = <const double*>cnp.PyArray_DATA(reg)
    H.npt = pte.shape[0] - 1
    H.pt_edges = <const double*>cnp.PyArray_DATA(pte)
    if L.ncomp != NCOMP_XSEC or L.dim != 4:
        raise ValueError("the physics integrand has 4 dimensions and 12 components")
    nch, bounds = _chunk_bounds(L.ncubes)
    arrays = _new_accumulators(nch, L.ncomp, L.dim, L.ninc, H.nreg * H.npt)
    sigma2 = np.zeros(L.ncubes)
    fscr = np.empty((nch, maxn * NCOMP_XSEC))
    iscr = np.empty((nch, maxn * L.dim), dtype=np.intc)
    bscr = np.empty((nch, maxn), dtype=np.intc)
    cdef double[:, ::1] fv = fscr
    cdef int[:, ::1] iv = iscr, bv = bscr
    cdef int64_t[::1] bd = bounds
    cdef ChunkAcc* accs = <ChunkAcc*>malloc(nch * sizeof(ChunkAcc))
    try:
        for c in range(nch):
            chunk_acc(&accs[c], arrays, c, <double*>cnp.PyArray_DATA(sigma2))
        for c in prange(nch, nogil=True, schedule="static", num_threads=n_threads):
            xsec_chunk(L, &cfg.kp, &pdf.view, &cuts, &H, bd[c], bd[c + 1], &accs[c], &fv[c, 0], &iv[c, 0],
                       &bv[c, 0], track_cov)
    finally:
        free(accs)
    return _reduce(arrays, L.ncomp), sigma2


cdef void generate_chunk(const Layout* L, int64_t h0, int64_t h1, double* X, double* J, int* INC) noexcept nogil:
    cdef int64_t h, i
    cdef int s
    cdef double y[MAX_DIM]
    cdef double corner[MAX_DIM]
    cdef Philox g
    for h in range(h0, h1):
        philox_init(&g, L.seed, PURPOSE_INTEGRATE, L.itn, <uint64_t>h)
        cube_corner(L, h, corner)
        for s in range(L.neval_h[h]):
            i = L.offset[h] + s
            cube_point(L, corner, &g, y)
            J[i] = map_y_to_x(L, y, X + i * L.dim, INC + i * L.dim)


def generate(VegasLayout layout, int n_threads):
    """All sample points of one iteration: X (n, dim), Jacobians J (n,), map increments INC (n, dim)."""
    cdef Layout* L = &layout.L
    cdef int64_t n = layout.n_total
    cdef int nch, c
    X = np.empty((n, L.dim))
    J = np.empty(n)
    INC = np.empty((n, L.dim), dtype=np.intc)
    cdef double[:, ::1] xv = X
    cdef double[::1] jv = J
    cdef int[:, ::1] incv = INC
    nch, bounds = _chunk_bounds(L.ncubes)
    cdef int64_t[::1] bd = bounds
    for c in prange(nch, nogil=True, schedule="static", num_threads=n_threads):
        generate_chunk(L, bd[c], bd[c + 1], &xv[0, 0], &jv[0], &incv[0, 0])
    return X, J, INC


cdef void accumulate_chunk(const Layout* L, int64_t h0, int64_t h1, const double* F, const int* INC,
                           ChunkAcc* acc, int track_cov) noexcept nogil:
    cdef int64_t h
    for h in range(h0, h1):
        accumulate_cube(L, h, L.neval_h[h], F + L.offset[h] * L.ncomp, INC + L.offset[h] * L.dim, NULL, acc,
                        track_cov)


def accumulate(VegasLayout layout, const double[:, ::1] FJ, const int[:, ::1] INC, int n_threads,
               bint track_cov=True):
    """Accumulate integrand x Jacobian values FJ (n, ncomp) of the points from :func:`generate`."""
    cdef Layout* L = &layout.L
    cdef int nch, c
    if FJ.shape[0] != layout.n_total or FJ.shape[1] != L.ncomp:
        raise ValueError(f"integrand values must have shape ({layout.n_total}, {L.ncomp})")
    nch, bounds = _chunk_bounds(L.ncubes)
    cdef int64_t[::1] bd = bounds
    arrays = _new_accumulators(nch, L.ncomp, L.dim, L.ninc, 0)
    sigma2 = np.zeros(L.ncubes)
    cdef ChunkAcc* accs = <ChunkAcc*>malloc(nch * sizeof(ChunkAcc))
    try:
        for c in range(nch):
            chunk_acc(&accs[c], arrays, c, <double*>cnp.PyArray_DATA(sigma2))
        for c in prange(nch, nogil=True, schedule="static", num_threads=n_threads):
            accumulate_chunk(L, bd[c], bd[c + 1], &FJ[0, 0], &INC[0, 0], &accs[c], track_cov)
    finally:
        free(accs)
    return _reduce(arrays, L.ncomp), sigma2


cdef void sample_chunk(const Layout* L, const KernelParams* kp, const PDFView* pdf, const Cuts* cuts,
                       int64_t c, int64_t first, int64_t chunk, double* X, double* W, double* U) noexcept nogil:
    """Plain (unstratified) samples of the adapted map: points X, weights W = f_adapt x Jacobian, and
    uniforms U for accept-reject, from streams keyed by (seed, chunk)."""
    cdef Philox g, ga
    cdef double y[MAX_DIM]
    cdef int inc[MAX_DIM]
    cdef double out[NCOMP_XSEC]
    cdef double jac, fa
    cdef int64_t s, i
    cdef int d, k
    philox_init(&g, L.seed, PURPOSE_SAMPLE, L.itn, <uint64_t>c)
    philox_init(&ga, L.seed, PURPOSE_ACCEPT, L.itn, <uint64_t>c)
    for s in range(chunk):
        i = (c - first) * chunk + s
        for d in range(L.dim):
            y[d] = philox_uniform(&g)
        jac = map_y_to_x(L, y, X + i * L.dim, inc)
        U[i] = philox_uniform(&ga)
        jac *= to_physical(cuts, X + i * L.dim)
        if jac == 0.0:
            W[i] = 0.0
            continue
        cross_section_point(kp, pdf, X[i * 4], X[i * 4 + 1], X[i * 4 + 2], X[i * 4 + 3], out)
        fa = 0.0
        for k in range(NCOMP_XSEC):
            fa += L.adapt[k] * out[k]
        W[i] = fa * 4.0 * X[i * 4 + 2] * X[i * 4 + 3] * jac


def sample_xsec(VegasLayout layout, KernelConfig cfg, PDFCore pdf, cuts_tuple, int64_t first_chunk,
                int64_t n_chunks, int64_t chunk, int n_threads):
    """Points, weights (integral estimates per point) and accept-reject uniforms for chunks
    [first_chunk, first_chunk + n_chunks) of ``chunk`` points each."""
    cdef Layout* L = &layout.L
    cdef Cuts cuts
    cdef int64_t c
    fill_cuts(&cuts, cuts_tuple)
    n = n_chunks * chunk
    X = np.empty((n, 4))
    W = np.empty(n)
    U = np.empty(n)
    cdef double[:, ::1] xv = X
    cdef double[::1] wv = W, uv = U
    for c in prange(first_chunk, first_chunk + n_chunks, nogil=True, schedule="static", num_threads=n_threads):
        sample_chunk(L, &cfg.kp, &pdf.view, &cuts, c, first_chunk, chunk, &xv[0, 0], &wv[0], &uv[0])
    return X, W, U


def philox_words(uint64_t seed, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3):
    """Raw Philox4x32-10 output for a counter and a 64-bit key (for known-answer tests)."""
    cdef uint32_t ctr[4]
    cdef uint32_t key[2]
    cdef uint32_t out[4]
    ctr[0], ctr[1], ctr[2], ctr[3] = c0, c1, c2, c3
    key[0] = <uint32_t>seed
    key[1] = <uint32_t>(seed >> 32)
    philox_block(ctr, key, out)
    return out[0], out[1], out[2], out[3]
