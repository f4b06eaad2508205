# cython: language_level=3
"""VEGAS+ engine in Cython + OpenMP (G. P. Lepage, J. Comput. Phys. 27 (1978) 192; J. Comput. Phys. 439 (2021)
110386, arXiv:2009.05112): samples an adaptive map of the unit hypercube with stratification over hypercubes and
accumulates, for any :class:`jpsi_fast._integrand.Integrand`, the integrals of all its components, the
covariances of chosen component pairs, the map-training data, the hypercube variances that drive the
stratification, histograms over the integrand's observables and, for event sampling, the points themselves.

There is ONE chunk loop (``run_chunk``): integration, histograms and sampling only differ in what it accumulates.

Determinism: hypercube h of an iteration draws its numbers from a Philox stream keyed by (seed, purpose,
iteration, h); the hypercubes are grouped into fixed chunks (by their evaluation counts only); chunks run in an
OpenMP ``prange`` and their partial sums are added in chunk order. Nothing depends on the number of threads or on
how chunks are grouped into blocks (blocks exist so that Ctrl-C is seen between them and Python integrands are
evaluated in bounded memory). The map and stratification updates (a few thousand numbers) are done in NumPy by
:mod:`jpsi_fast.integrate`.
"""
import numpy as np
cimport numpy as cnp
from cython.parallel cimport prange
from cpython.exc cimport PyErr_CheckSignals
from libc.math cimport isfinite
from libc.stdint cimport uint32_t, uint64_t, int64_t
from libc.stdlib cimport malloc, calloc, free

from ._integrand cimport Integrand
from ._rng cimport Philox, philox_init, philox_uniform, philox_block

cnp.import_array()

cdef enum:
    PURPOSE_INTEGRATE = 1
    PURPOSE_SAMPLE = 2
    PURPOSE_ACCEPT = 3
    PURPOSE_TRIAL = 4
    AXIS_EDGES = 0
    AXIS_BOXES = 1
    MAX_HIST_AXES = 4

#: relative round-off level below which a sample's deviation from its hypercube's mean counts as this much
#: (vegas's EPSILON): keeps the stratification uniform for constant integrands instead of chasing round-off
cdef double ROUNDOFF = 2.220446049250313e-16 * 1e4

#: purposes of the random streams (the stream key includes it)
PURPOSES = {"integrate": PURPOSE_INTEGRATE, "sample": PURPOSE_SAMPLE, "trial": PURPOSE_TRIAL}
#: a chunk holds consecutive hypercubes with about this many evaluations (fixed: results never depend on threads)
CHUNK_EVALS = 2048
#: points per integrand call (the C constant BATCH)
BATCH_POINTS = BATCH
cdef enum:
    BATCH = 256                # points per integrand call
#: target number of points per block of a Python integrand (memory of its recorded points)
PY_BLOCK_POINTS = 1 << 18


cdef struct PlanC:
    int dim
    int nmax                   # longest axis in increments (row length of edges - 1)
    const int* ninc            # [dim] increments per axis
    const double* edges        # [dim][nmax + 1] map edges in the unit cube
    const double* widths       # [dim][nmax]
    const int* nstrat          # [dim] strata per axis
    int64_t ncubes
    const int* neval_h         # [ncubes] evaluations per hypercube
    const int64_t* offset      # [ncubes + 1] index of each hypercube's first sample
    double volume              # y-space volume of a hypercube = 1 / ncubes
    uint64_t seed
    uint32_t purpose
    uint32_t itn
    uint64_t cube_offset       # added to the hypercube index in the stream key (sampling: chunk numbers)


cdef struct HistC:
    int naxes                  # 0: no histogram
    int kind[MAX_HIST_AXES]
    int nbin[MAX_HIST_AXES]    # bins of the axis
    int nobs[MAX_HIST_AXES]    # observables the axis reads (1 for edges)
    int obs[MAX_HIST_AXES][4]
    const double* data[MAX_HIST_AXES]    # edges [nbin + 1], or boxes [nbin][2 * nobs] (lo, hi per observable)
    Py_ssize_t stride[MAX_HIST_AXES]
    Py_ssize_t nbins           # product of nbin
    int K                      # histogrammed components
    const int* comp            # [K] base-component index of each
    int npairs                 # covariance pairs among them
    const int* pi              # [npairs] indices into comp
    const int* pj


cdef struct SpecC:
    int K                      # base components per point
    int nobs                   # observables per point
    int npairs
    const int* pi              # [npairs]
    const int* pj
    int nadapt                 # the adapted component = sum adapt_w[a] f[adapt_idx[a]]
    const int* adapt_idx
    const double* adapt_w
    bint accumulate            # False: record pass only (Python integrands)
    HistC hist
    double* out_obs            # sampling: [n_samples * nobs] or NULL
    double* out_w              # [n_samples * nout]
    double* out_u              # [n_samples] uniforms for accept-reject
    int nout
    const int* out_idx         # [nout] base components written per sample; out_w[:, 0] is the adapted value


cdef struct AccC:              # one chunk's partial sums (rows of per-block arrays)
    double* mean               # [K]
    double* pair               # [npairs]
    double* train_sum          # [dim * nmax] sum of (adapted f J)^2 per increment
    double* train_cnt          # [dim * nmax] samples per increment
    double* hist               # [nbins * (hist.K + hist.npairs)]
    double* sigma2             # [ncubes] (whole iteration) variance of each cube's estimate of the adapted component
    int* status                # 0 ok, 1 out of memory


cdef inline Py_ssize_t hist_bin(const HistC* H, const double* obs) noexcept nogil:
    """Flat bin index of a point's observables, -1 outside (bins are [lo, hi))."""
    cdef Py_ssize_t b = 0
    cdef int a, j, d, lo, hi, mid, idx, ok
    cdef double v
    cdef const double* e
    cdef const double* box
    for a in range(H.naxes):
        e = H.data[a]
        if H.kind[a] == AXIS_EDGES:
            v = obs[H.obs[a][0]]
            if not (v >= e[0] and v < e[H.nbin[a]]):
                return -1
            lo = 0
            hi = H.nbin[a]
            while hi - lo > 1:
                mid = (lo + hi) >> 1
                if e[mid] <= v:
                    lo = mid
                else:
                    hi = mid
            idx = lo
        else:
            idx = -1
            for j in range(H.nbin[a]):
                box = e + j * 2 * H.nobs[a]
                ok = 1
                for d in range(H.nobs[a]):
                    v = obs[H.obs[a][d]]
                    if not (v >= box[2 * d] and v < box[2 * d + 1]):
                        ok = 0
                        break
                if ok:
                    idx = j
                    break
            if idx < 0:
                return -1
        b += idx * H.stride[a]
    return b


cdef struct CubeStats:         # running (Welford) sums of the hypercube being accumulated
    int64_t h
    int n
    double* mean               # [K]
    double* m2                 # [npairs]
    double* delta              # [K] scratch
    double amean               # adapted component
    double am2
    double* hs1                # [nbins * hist.K]   per-bin sums of the cube's samples
    double* hs2                # [nbins * hist.npairs]
    Py_ssize_t* touched        # bins touched by the cube
    unsigned char* is_touched  # [nbins]
    Py_ssize_t ntouched


cdef inline void cube_reset(CubeStats* c, const SpecC* S, int64_t h) noexcept nogil:
    cdef int k
    c.h = h
    c.n = 0
    for k in range(S.K):
        c.mean[k] = 0.0
    for k in range(S.npairs):
        c.m2[k] = 0.0
    c.amean = 0.0
    c.am2 = 0.0


cdef inline void cube_add(CubeStats* c, const SpecC* S, const double* row, double fa) noexcept nogil:
    """Welford update with one sample (row = its K base values x Jacobians, fa = the adapted value)."""
    cdef int k, p
    cdef double inv, da
    c.n += 1
    inv = 1.0 / c.n
    for k in range(S.K):
        c.delta[k] = row[k] - c.mean[k]
        c.mean[k] += c.delta[k] * inv
    for p in range(S.npairs):
        c.m2[p] += c.delta[S.pi[p]] * (row[S.pj[p]] - c.mean[S.pj[p]])
    da = fa - c.amean
    c.amean += da * inv
    c.am2 += da * (fa - c.amean)


cdef inline void cube_hist_add(CubeStats* c, const HistC* H, Py_ssize_t b, const double* row) noexcept nogil:
    cdef int k, p
    cdef double* s1 = c.hs1 + b * H.K
    cdef double* s2 = c.hs2 + b * H.npairs
    if not c.is_touched[b]:
        c.is_touched[b] = 1
        c.touched[c.ntouched] = b
        c.ntouched += 1
    for k in range(H.K):
        s1[k] += row[H.comp[k]]
    for p in range(H.npairs):
        s2[p] += row[H.comp[H.pi[p]]] * row[H.comp[H.pj[p]]]


cdef inline void cube_finish(CubeStats* c, const PlanC* P, const SpecC* S, AccC* A) noexcept nogil:
    """Add the finished hypercube's estimate V <f> and the variance of that estimate V^2 s^2 / n to the chunk."""
    cdef int k, p
    cdef Py_ssize_t t, b
    cdef double V = P.volume, n = c.n, w2
    cdef const HistC* H = &S.hist
    cdef double* s1
    cdef double* s2
    cdef double* acc
    if c.n == 0:
        return
    w2 = V * V / (n * (n - 1.0)) if c.n > 1 else 0.0
    for k in range(S.K):
        A.mean[k] += V * c.mean[k]
    for p in range(S.npairs):
        if S.pi[p] == S.pj[p]:              # a variance: at least the round-off level of the cube's mean
            A.pair[p] += w2 * max(c.m2[p], n * (ROUNDOFF * c.mean[S.pi[p]]) * (ROUNDOFF * c.mean[S.pi[p]]))
        else:
            A.pair[p] += w2 * c.m2[p]
    A.sigma2[c.h] = w2 * max(c.am2, n * (ROUNDOFF * c.amean) * (ROUNDOFF * c.amean))
    for t in range(c.ntouched):
        b = c.touched[t]
        s1 = c.hs1 + b * H.K
        s2 = c.hs2 + b * H.npairs
        acc = A.hist + b * (H.K + H.npairs)
        for k in range(H.K):
            acc[k] += V * s1[k] / n
        for p in range(H.npairs):
            acc[H.K + p] += w2 * (s2[p] - s1[H.pi[p]] * s1[H.pj[p]] / n)
        for k in range(H.K):
            s1[k] = 0.0
        for p in range(H.npairs):
            s2[p] = 0.0
        c.is_touched[b] = 0
    c.ntouched = 0


cdef inline void cube_start(const PlanC* P, int64_t h, Philox* g, double* corner) noexcept nogil:
    """Stream and lower corner (in strata units) of hypercube h (mixed-radix digits of h)."""
    cdef int d
    cdef int64_t rest = h
    philox_init(g, P.seed, P.purpose, P.itn, <uint64_t>h + P.cube_offset)
    for d in range(P.dim):
        corner[d] = <double>(rest % P.nstrat[d])
        rest //= P.nstrat[d]


cdef inline double map_point(const PlanC* P, const double* corner, Philox* g, double* u, int* inc) noexcept nogil:
    """A uniform y of the hypercube, mapped through the VEGAS map to u in the unit cube; returns du/dy."""
    cdef int d, i, n
    cdef double y, jac = 1.0, w
    for d in range(P.dim):
        n = P.ninc[d]
        y = (corner[d] + philox_uniform(g)) / P.nstrat[d] * n
        i = <int>y
        if i >= n:
            i = n - 1
        w = P.widths[d * P.nmax + i]
        u[d] = P.edges[d * (P.nmax + 1) + i] + (y - i) * w
        jac *= n * w
        inc[d] = i
    return jac


cdef void run_chunk(const PlanC* P, Integrand ig, const SpecC* S, AccC* A, int64_t h0, int64_t h1,
                    int64_t block_first) noexcept nogil:
    """Sample hypercubes [h0, h1) in batches of up to BATCH points, evaluate the integrand, accumulate."""
    cdef int dim = P.dim, K = S.K, nobs = S.nobs, d, k, a
    cdef Py_ssize_t nb, s, i, b, gi
    cdef int64_t gh = h0, gs = 0, first
    cdef double fa
    cdef Philox g, ga
    cdef const HistC* H = &S.hist
    cdef CubeStats c
    cdef double* corner = <double*>malloc(dim * sizeof(double))
    cdef double* u = <double*>malloc(BATCH * dim * sizeof(double))
    cdef int* inc = <int*>malloc(BATCH * dim * sizeof(int))
    cdef double* jac = <double*>malloc(BATCH * sizeof(double))
    cdef int64_t* cube = <int64_t*>malloc(BATCH * sizeof(int64_t))
    cdef double* obs = <double*>malloc(BATCH * nobs * sizeof(double))
    cdef double* f = <double*>malloc(BATCH * K * sizeof(double))
    cdef double* row
    c.mean = <double*>malloc(K * sizeof(double))
    c.delta = <double*>malloc(K * sizeof(double))
    c.m2 = <double*>malloc((S.npairs + 1) * sizeof(double))
    c.ntouched = 0
    c.hs1 = <double*>calloc(H.nbins * H.K + 1, sizeof(double)) if H.naxes else NULL
    c.hs2 = <double*>calloc(H.nbins * H.npairs + 1, sizeof(double)) if H.naxes else NULL
    c.touched = <Py_ssize_t*>malloc((H.nbins + 1) * sizeof(Py_ssize_t)) if H.naxes else NULL
    c.is_touched = <unsigned char*>calloc(H.nbins + 1, 1) if H.naxes else NULL
    if (corner == NULL or u == NULL or inc == NULL or jac == NULL or cube == NULL or obs == NULL or f == NULL
            or c.mean == NULL or c.delta == NULL or c.m2 == NULL
            or (H.naxes and (c.hs1 == NULL or c.hs2 == NULL or c.touched == NULL or c.is_touched == NULL))):
        A.status[0] = 1
    elif h1 > h0:
        cube_start(P, gh, &g, corner)
        if S.out_u != NULL:
            philox_init(&ga, P.seed, PURPOSE_ACCEPT, P.itn, <uint64_t>gh + P.cube_offset)
        cube_reset(&c, S, h0)
        while gh < h1:
            nb = 0
            first = P.offset[gh] + gs - block_first
            while nb < BATCH and gh < h1:            # generate the next batch (it may span hypercubes)
                jac[nb] = map_point(P, corner, &g, u + nb * dim, inc + nb * dim)
                cube[nb] = gh
                if S.out_u != NULL:
                    S.out_u[P.offset[gh] + gs] = philox_uniform(&ga)
                nb += 1
                gs += 1
                if gs == P.neval_h[gh]:
                    gh += 1
                    gs = 0
                    if gh < h1:
                        cube_start(P, gh, &g, corner)
                        if S.out_u != NULL:
                            philox_init(&ga, P.seed, PURPOSE_ACCEPT, P.itn, <uint64_t>gh + P.cube_offset)
            if not S.accumulate:
                ig.record(nb, u, obs, first)
                continue
            ig.evaluate(nb, u, obs, f, first)
            for s in range(nb):
                if cube[s] != c.h:
                    cube_finish(&c, P, S, A)
                    cube_reset(&c, S, cube[s])
                row = f + s * K
                for k in range(K):
                    row[k] *= jac[s]
                fa = 0.0
                for a in range(S.nadapt):
                    fa += S.adapt_w[a] * row[S.adapt_idx[a]]
                cube_add(&c, S, row, fa)
                for d in range(dim):
                    i = d * P.nmax + inc[s * dim + d]
                    A.train_sum[i] += fa * fa
                    A.train_cnt[i] += 1.0
                if H.naxes:
                    b = hist_bin(H, obs + s * nobs)
                    if b >= 0:
                        cube_hist_add(&c, H, b, row)
                if S.out_w != NULL:
                    gi = block_first + first + s          # sample index within the plan
                    S.out_w[gi * S.nout] = fa
                    for k in range(1, S.nout):
                        S.out_w[gi * S.nout + k] = row[S.out_idx[k]]
                    for k in range(nobs):
                        S.out_obs[gi * nobs + k] = obs[s * nobs + k]
        if S.accumulate:
            cube_finish(&c, P, S, A)
    free(corner)
    free(u)
    free(inc)
    free(jac)
    free(cube)
    free(obs)
    free(f)
    free(c.mean)
    free(c.delta)
    free(c.m2)
    free(c.hs1)
    free(c.hs2)
    free(c.touched)
    free(c.is_touched)


cdef class Plan:
    """One iteration's sampling plan: the map (edges per axis in the unit cube), strata per axis, evaluations per
    hypercube and the stream key. Arrays are owned here; ``P`` points into them."""
    cdef PlanC P
    cdef object _keep
    cdef readonly object offset

    def __init__(self, edges, ninc, nstrat, neval_h, uint64_t seed, str purpose, uint32_t itn,
                 uint64_t cube_offset=0):
        edges = np.ascontiguousarray(edges, dtype=np.float64)
        ninc = np.ascontiguousarray(ninc, dtype=np.intc)
        nstrat = np.ascontiguousarray(nstrat, dtype=np.intc)
        neval_h = np.ascontiguousarray(neval_h, dtype=np.intc)
        dim = ninc.shape[0]
        if edges.ndim != 2 or edges.shape[0] != dim or nstrat.shape[0] != dim:
            raise ValueError("edges, ninc and nstrat must describe the same number of axes")
        if np.any(ninc < 1) or np.any(ninc > edges.shape[1] - 1) or np.any(nstrat < 1):
            raise ValueError("bad ninc or nstrat")
        ncubes = int(np.prod(nstrat.astype(np.int64)))
        if ncubes == 1:                          # no stratification: any number of replicas of the whole cube
            ncubes = neval_h.shape[0]
        if ncubes < 1 or neval_h.shape[0] != ncubes or np.any(neval_h < 2):
            raise ValueError(f"neval_h must hold {ncubes} counts >= 2")
        widths = np.zeros((dim, edges.shape[1] - 1))
        for d in range(dim):
            widths[d, :ninc[d]] = np.diff(edges[d, :ninc[d] + 1])
        offset = np.zeros(ncubes + 1, dtype=np.int64)
        np.cumsum(neval_h, out=offset[1:])
        self._keep = (edges, ninc, nstrat, neval_h, widths)
        self.offset = offset
        cdef const double[:, ::1] ev = edges
        cdef const double[:, ::1] wv = widths
        cdef const int[::1] iv = ninc
        cdef const int[::1] sv = nstrat
        cdef const int[::1] nv = neval_h
        cdef const int64_t[::1] ov = offset
        self.P.dim = dim
        self.P.nmax = edges.shape[1] - 1
        self.P.ninc = &iv[0]
        self.P.edges = &ev[0, 0]
        self.P.widths = &wv[0, 0]
        self.P.nstrat = &sv[0]
        self.P.ncubes = ncubes
        self.P.neval_h = &nv[0]
        self.P.offset = &ov[0]
        self.P.volume = 1.0 / ncubes
        self.P.seed = seed
        self.P.purpose = PURPOSES[purpose]
        self.P.itn = itn
        self.P.cube_offset = cube_offset

    @property
    def n_total(self):
        return int(self.offset[len(self.offset) - 1])

    @property
    def ncubes(self):
        return int(self.P.ncubes)

    def chunk_bounds(self):
        """Hypercube index where each chunk starts (and the end): consecutive cubes of about CHUNK_EVALS
        evaluations; a function of the evaluation counts only."""
        total = self.n_total
        cuts = np.searchsorted(self.offset, np.arange(CHUNK_EVALS, total, CHUNK_EVALS), side="left")
        return np.unique(np.concatenate([[0], cuts, [self.P.ncubes]])).astype(np.int64)


cdef void fill_hist(HistC* H, list axes, comp, pairs, list keep) except *:
    """axes: list of ("edges", obs_index, edges) or ("boxes", (obs indices...), boxes[nbin, 2 * nobs])."""
    cdef int a, d
    cdef const double[::1] dv
    H.naxes = len(axes)
    if H.naxes > MAX_HIST_AXES:
        raise ValueError(f"at most {MAX_HIST_AXES} histogram axes")
    stride = 1
    for a in reversed(range(H.naxes)):
        kind, obs, data = axes[a]
        arr = np.ascontiguousarray(data, dtype=np.float64).ravel()
        keep.append(arr)
        dv = arr
        H.data[a] = &dv[0]
        if kind == "edges":
            H.kind[a] = AXIS_EDGES
            H.nobs[a] = 1
            H.obs[a][0] = int(obs)
            H.nbin[a] = arr.shape[0] - 1
        else:
            H.kind[a] = AXIS_BOXES
            obs = tuple(obs)
            if not 1 <= len(obs) <= 4:
                raise ValueError("a boxes axis reads 1 to 4 observables")
            H.nobs[a] = len(obs)
            for d in range(len(obs)):
                H.obs[a][d] = int(obs[d])
            H.nbin[a] = arr.shape[0] // (2 * len(obs))
        H.stride[a] = stride
        stride *= H.nbin[a]
    H.nbins = stride if H.naxes else 0
    comp = np.ascontiguousarray(comp, dtype=np.intc)
    pairs = np.ascontiguousarray(pairs, dtype=np.intc).reshape(-1, 2)
    pi = np.ascontiguousarray(pairs[:, 0])
    pj = np.ascontiguousarray(pairs[:, 1])
    keep.extend([comp, pi, pj])
    cdef const int[::1] cv = comp
    cdef const int[::1] piv = pi
    cdef const int[::1] pjv = pj
    H.K = comp.shape[0]
    H.comp = &cv[0] if H.K else NULL
    H.npairs = pi.shape[0]
    H.pi = &piv[0] if H.npairs else NULL
    H.pj = &pjv[0] if H.npairs else NULL


def run(Plan plan, Integrand ig, pairs, adapt_idx, adapt_w, int n_threads, hist=None, sample=None,
        int block_chunks=0):
    """Run one iteration of ``plan`` on ``ig``.

    pairs: (npairs, 2) base-component index pairs whose covariance is accumulated (the diagonal included);
    adapt_idx, adapt_w: the adapted component as a combination of base components;
    hist: None or dict(axes=[...], comp=[...], pairs=(m, 2)) (see fill_hist);
    sample: None or dict(obs=(n, nobs), w=(n, nout), u=(n,), out_idx=(nout,)) arrays to fill, n = plan.n_total.
    Returns a dict: mean (K,), pair (npairs,), train_sum / train_cnt (dim, nmax), sigma2 (ncubes,),
    hist (nbins, hist.K + hist.npairs) when asked; ``neval``.
    """
    cdef PlanC* P = &plan.P
    cdef SpecC S
    cdef int K = ig.n_components, c, nblk
    keep = []
    pairs = np.ascontiguousarray(pairs, dtype=np.intc).reshape(-1, 2)
    if pairs.size and (pairs.min() < 0 or pairs.max() >= K):
        raise ValueError("pair indices out of range")
    pi = np.ascontiguousarray(pairs[:, 0])
    pj = np.ascontiguousarray(pairs[:, 1])
    ai = np.ascontiguousarray(adapt_idx, dtype=np.intc)
    aw = np.ascontiguousarray(adapt_w, dtype=np.float64)
    if ai.shape[0] != aw.shape[0] or ai.shape[0] == 0 or ai.min() < 0 or ai.max() >= K:
        raise ValueError("bad adapted-component specification")
    if ig.dim != P.dim:
        raise ValueError(f"integrand has dimension {ig.dim}, the plan {P.dim}")
    keep.extend([pi, pj, ai, aw])
    cdef const int[::1] piv = pi
    cdef const int[::1] pjv = pj
    cdef const int[::1] aiv = ai
    cdef const double[::1] awv = aw
    S.K = K
    S.nobs = ig.n_observables
    S.npairs = pi.shape[0]
    S.pi = &piv[0] if S.npairs else NULL
    S.pj = &pjv[0] if S.npairs else NULL
    S.nadapt = ai.shape[0]
    S.adapt_idx = &aiv[0]
    S.adapt_w = &awv[0]
    S.accumulate = True
    S.hist.naxes = 0
    S.hist.nbins = 0
    S.hist.K = 0
    S.hist.npairs = 0
    if hist is not None:
        fill_hist(&S.hist, list(hist["axes"]), hist["comp"], hist["pairs"], keep)
    S.out_obs = S.out_w = S.out_u = NULL
    S.nout = 0
    cdef double[:, ::1] so, sw
    cdef double[::1] su
    cdef const int[::1] oiv
    if sample is not None:
        so = sample["obs"]
        sw = sample["w"]
        su = sample["u"]
        oi = np.ascontiguousarray(sample["out_idx"], dtype=np.intc)
        keep.append(oi)
        oiv = oi
        if so.shape[0] != plan.n_total or sw.shape[0] != plan.n_total or su.shape[0] != plan.n_total:
            raise ValueError("sample arrays must have one row per sample of the plan")
        S.out_obs = &so[0, 0]
        S.out_w = &sw[0, 0]
        S.out_u = &su[0]
        S.nout = oi.shape[0]
        S.out_idx = &oiv[0]
    bounds = plan.chunk_bounds()
    cdef Py_ssize_t nch = len(bounds) - 1
    nhist = S.hist.nbins * (S.hist.K + S.hist.npairs)
    row_len = K + S.npairs + 2 * P.dim * P.nmax + nhist
    totals = np.zeros(row_len)
    sigma2 = np.zeros(P.ncubes)
    cdef double[::1] s2v = sigma2
    cdef int64_t[::1] bd = bounds
    if block_chunks <= 0:
        block_chunks = max(1, 4 * n_threads)
    cdef double[:, ::1] rows
    cdef int[::1] status
    cdef AccC* accs
    cdef int64_t block_first
    cdef Py_ssize_t start = 0, stop
    while start < nch:
        stop = min(nch, start + block_chunks)
        if ig.needs_python:                      # bound the recorded points of a block
            while stop > start + 1 and plan.offset[bounds[stop]] - plan.offset[bounds[start]] > PY_BLOCK_POINTS:
                stop -= 1
        nblk = stop - start
        block_first = plan.offset[bounds[start]]
        rows = np.zeros((nblk, row_len))
        status = np.zeros(nblk, dtype=np.intc)
        accs = <AccC*>malloc(nblk * sizeof(AccC))
        if accs == NULL:
            raise MemoryError("integrator work space")
        try:
            for c in range(nblk):
                accs[c].mean = &rows[c, 0]
                accs[c].pair = &rows[c, K]
                accs[c].train_sum = &rows[c, K + S.npairs]
                accs[c].train_cnt = &rows[c, K + S.npairs + P.dim * P.nmax]
                accs[c].hist = &rows[c, K + S.npairs + 2 * P.dim * P.nmax] if nhist else NULL
                accs[c].sigma2 = &s2v[0]
                accs[c].status = &status[c]
            if ig.needs_python:
                ig.begin_block(plan.offset[bounds[stop]] - block_first)
                S.accumulate = False
                for c in prange(nblk, nogil=True, schedule="static", num_threads=n_threads):
                    run_chunk(P, ig, &S, &accs[c], bd[start + c], bd[start + c + 1], block_first)
                ig.end_record(plan.offset[bounds[stop]] - block_first)
                S.accumulate = True
            for c in prange(nblk, nogil=True, schedule="static", num_threads=n_threads):
                run_chunk(P, ig, &S, &accs[c], bd[start + c], bd[start + c + 1], block_first)
        finally:
            free(accs)
        if np.any(np.asarray(status)):
            raise MemoryError("the integrator could not allocate its work space (too many components or bins?)")
        for c in range(nblk):                    # chunk order: deterministic
            totals += rows[c]
        PyErr_CheckSignals()                     # Ctrl-C: raises KeyboardInterrupt between blocks
        start = stop
    o = 0
    out = {"mean": totals[o:o + K].copy()}
    o += K
    out["pair"] = totals[o:o + S.npairs].copy()
    o += S.npairs
    out["train_sum"] = totals[o:o + P.dim * P.nmax].reshape(P.dim, P.nmax).copy()
    o += P.dim * P.nmax
    out["train_cnt"] = totals[o:o + P.dim * P.nmax].reshape(P.dim, P.nmax).copy()
    o += P.dim * P.nmax
    if nhist:
        out["hist"] = totals[o:o + nhist].reshape(S.hist.nbins, S.hist.K + S.hist.npairs).copy()
    out["sigma2"] = sigma2
    out["neval"] = plan.n_total
    return out


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
