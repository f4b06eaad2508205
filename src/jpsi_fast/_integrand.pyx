# cython: language_level=3
"""The integrand interface of the VEGAS+ engine and its adapter for Python callables.

:class:`Integrand` is what :class:`jpsi_fast.Integrator` integrates, histograms and samples: a batch of points of
the unit hypercube in, component values (and observables) out, without the GIL. Implementations:

* :class:`jpsi_fast._xsec_integrand.XsecIntegrand` -- the J/psi cross sections over a :class:`jpsi_fast.Domain`;
* :class:`CallableIntegrand` -- any Python ``f(X[n, dim]) -> [n]`` or ``[n, k]`` on a box, evaluated in batches;
* your own ``cdef class`` deriving from :class:`Integrand` in a Cython module (``examples/user_integrand``).
"""
import numpy as np

from .components import GenericLayout

#: largest |f| x box volume / value_scale a callable may return: the variance (its square, summed) must stay finite
MAX_MAGNITUDE = 1e150


cdef class Integrand:
    """Base class of compiled integrands.

    Parameters
    ----------
    dim : int
        Dimension of the unit hypercube the engine samples.
    n_components : int
        Number of (base) values ``evaluate`` writes per point.
    layout : Layout or GenericLayout, optional
        Names of the components and their linear relations (default ``GenericLayout(n_components)``).
    observable_names : sequence of str, optional
        Names of the per-point observables (default ``u0 .. u{dim-1}``, the point itself).

    Subclasses implement ``cdef void evaluate(self, Py_ssize_t n, const double* u, double* obs, double* f,
    Py_ssize_t first) noexcept nogil`` (see the .pxd for the buffer layout) and call this ``__init__``.
    """

    def __init__(self, int dim, Py_ssize_t n_components, layout=None, observable_names=None):
        if not 1 <= dim <= 64:
            raise ValueError(f"dim must be in [1, 64], got {dim}")
        if n_components < 1:
            raise ValueError(f"n_components must be >= 1, got {n_components}")
        self.dim = dim
        self.n_components = n_components
        self.layout = layout if layout is not None else GenericLayout(n_components)
        if self.layout.n_base != n_components:
            raise ValueError(f"layout has {self.layout.n_base} base components, the integrand writes {n_components}")
        names = tuple(observable_names) if observable_names is not None else tuple(f"u{d}" for d in range(dim))
        if len(names) < dim:
            raise ValueError("observable_names must name at least the dim coordinates of the point")
        self.observable_names = names
        self.n_observables = len(names)
        self.needs_python = False
        self.value_scale = 1.0

    cdef void evaluate(self, Py_ssize_t n, const double* u, double* obs, double* f,
                       Py_ssize_t first) noexcept nogil:
        cdef Py_ssize_t i
        for i in range(n * self.n_components):      # the base class integrates to 0
            f[i] = 0.0
        for i in range(n * self.n_observables):
            obs[i] = 0.0

    cdef void record(self, Py_ssize_t n, const double* u, double* obs, Py_ssize_t first) noexcept nogil:
        pass

    def begin_block(self, Py_ssize_t n_points):
        """Called before the engine's record pass over a block of ``n_points`` (needs_python integrands)."""

    def end_record(self, Py_ssize_t n_points):
        """Called after the record pass: compute the values of the recorded points (needs_python integrands)."""

    def key(self):
        """A value that identifies the integrand (equal integrands, equal keys): the integrator re-adapts its map
        before sampling when the key changes. Default: the class and its components."""
        return (type(self).__qualname__, self.dim, tuple(self.layout.names))

    def evaluate_points(self, u):
        """Evaluate at unit-cube points u (n, dim) with the GIL held: (observables (n, n_obs), values (n, K)).
        For tests and diagnostics; the engine calls the nogil ``evaluate``."""
        if self.needs_python:
            raise TypeError("evaluate_points is for compiled integrands")
        cdef double[:, ::1] uu = np.ascontiguousarray(u, dtype=np.float64).reshape(-1, self.dim)
        cdef Py_ssize_t n = uu.shape[0]
        obs = np.zeros((n, self.n_observables))
        vals = np.zeros((n, self.n_components))
        cdef double[:, ::1] ov = obs
        cdef double[:, ::1] fv = vals
        if n:
            with nogil:
                self.evaluate(n, &uu[0, 0], &ov[0, 0], &fv[0, 0], 0)
        return obs, vals


cdef class CallableIntegrand(Integrand):
    """A Python callable ``f(X)`` on a box, X of shape (n, dim) in physical coordinates, returning (n,) or (n, k).

    The engine records the points of a block, calls ``f`` once per block (vectorised, with the GIL) and replays the
    values in its parallel loop. ``n_components`` is found by evaluating ``f`` at the box centre when not given.
    Values must be finite (ValueError otherwise).
    """

    def __init__(self, f, bounds, n_components=None, names=None):
        if not callable(f):
            raise TypeError(f"integrand must be callable f(X[n, dim]) -> [n] or [n, k], got {type(f).__name__}")
        b = np.asarray(bounds, dtype=np.float64)
        if b.ndim != 2 or b.shape[1] != 2 or not 1 <= b.shape[0] <= 64:
            raise ValueError(f"bounds must be a (dim, 2) sequence of (low, high) with 1 <= dim <= 64, got shape {b.shape}")
        if not np.all(np.isfinite(b)) or np.any(b[:, 1] <= b[:, 0]):
            raise ValueError(f"bounds must be finite with low < high, got {b.tolist()}")
        probe = np.asarray(f(b.mean(axis=1)[None, :]))
        if probe.dtype.kind not in "fiub":
            raise TypeError(f"integrand must return real numbers, got dtype {probe.dtype}")
        probe = probe.astype(float)
        if n_components is None:
            n_components = 1 if probe.ndim <= 1 else probe.shape[1]
        Integrand.__init__(self, b.shape[0], int(n_components), GenericLayout(int(n_components), names),
                           [f"x{d}" for d in range(b.shape[0])])
        self.needs_python = True
        self.f = f
        self._bounds = b
        self._names = names
        self.lo = np.ascontiguousarray(b[:, 0])
        self.width = np.ascontiguousarray(b[:, 1] - b[:, 0])
        self.volume = float(np.prod(b[:, 1] - b[:, 0]))
        # a power of two near |f| x volume at the box centre: values of any magnitude are accumulated near 1
        # (exactly rescaled; the variance of values ~1e200 would overflow otherwise)
        big = float(np.max(np.abs(probe))) * self.volume if probe.size and np.all(np.isfinite(probe)) else 0.0
        self.value_scale = 2.0 ** float(np.clip(round(np.log2(big)), -900, 900)) if big > 0 and np.isfinite(big) \
            else 1.0
        self.inv_scale = 1.0 / self.value_scale
        self.points = np.zeros((0, self.dim))
        self.values = np.zeros((0, self.n_components))

    def __reduce__(self):
        return (CallableIntegrand, (self.f, self._bounds, self.n_components, self._names))

    def key(self):
        return ("CallableIntegrand", self.f, self._bounds.tobytes(), self.n_components)

    cdef void _to_box(self, Py_ssize_t n, const double* u, double* obs) noexcept nogil:
        cdef Py_ssize_t s
        cdef int d
        for s in range(n):
            for d in range(self.dim):
                obs[s * self.dim + d] = self.lo[d] + u[s * self.dim + d] * self.width[d]

    cdef void record(self, Py_ssize_t n, const double* u, double* obs, Py_ssize_t first) noexcept nogil:
        cdef Py_ssize_t s
        cdef int d
        self._to_box(n, u, obs)
        for s in range(n):
            for d in range(self.dim):
                self.points[first + s, d] = obs[s * self.dim + d]

    cdef void evaluate(self, Py_ssize_t n, const double* u, double* obs, double* f,
                       Py_ssize_t first) noexcept nogil:
        cdef Py_ssize_t s, k
        self._to_box(n, u, obs)
        for s in range(n):
            for k in range(self.n_components):
                f[s * self.n_components + k] = self.values[first + s, k] * self.volume * self.inv_scale

    def begin_block(self, Py_ssize_t n_points):
        if self.points.shape[0] < n_points:
            self.points = np.empty((n_points, self.dim))
            self.values = np.empty((n_points, self.n_components))

    def end_record(self, Py_ssize_t n_points):
        X = np.asarray(self.points)[:n_points]
        F = np.asarray(self.f(X))
        if F.dtype.kind not in "fiub":
            raise TypeError(f"integrand must return real numbers, got dtype {F.dtype}")
        F = F.astype(float, copy=False)
        if F.ndim == 1:
            F = F[:, None]
        if F.shape != (n_points, self.n_components):
            raise ValueError(f"integrand returned shape {F.shape}, expected ({n_points},) or ({n_points}, k) "
                             f"with k = {self.n_components}")
        if not np.all(np.isfinite(F)):
            raise ValueError("integrand returned non-finite values (inf or NaN)")
        if F.size and np.max(np.abs(F)) * self.volume * self.inv_scale > MAX_MAGNITUDE:
            raise ValueError(f"integrand values span more than {MAX_MAGNITUDE:g} x their value at the box centre: their "
                             "variance cannot be represented in double precision; rescale or split the integrand")
        np.asarray(self.values)[:n_points] = F


def as_integrand(f, region, layout=None):
    """The :class:`Integrand` to integrate for ``f`` over ``region``: ``f`` itself when it is one, the result of
    ``f.integrand(region)`` for objects that build their own (a :class:`jpsi_fast.CrossSection` over a
    :class:`jpsi_fast.Domain`), else a :class:`CallableIntegrand` over the box ``region``."""
    if isinstance(f, Integrand):
        return f
    build = getattr(f, "integrand", None)
    if build is not None and not isinstance(region, np.ndarray):
        return build(region) if layout is None else build(region, layout=layout)
    if build is not None or not callable(f):
        raise TypeError(f"cannot integrate a {type(f).__name__} over {type(region).__name__}: give a CrossSection "
                        "with a Domain, or a callable f(X[n, dim]) with box bounds [(lo, hi), ...]")
    return CallableIntegrand(f, region)
