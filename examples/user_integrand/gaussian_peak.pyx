# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""A user-written compiled integrand for jpsi_fast's VEGAS+ engine: a narrow Gaussian peak on the unit cube.

The engine calls ``evaluate`` without the GIL on batches of points of the unit hypercube [0, 1]^dim, from many
OpenMP threads at once: it must only read ``self`` and write its output buffers.

Components: f0 = the normalised Gaussian (integral ~1), f1 = u0 * f0 (its first moment, ~centre).
"""
from libc.math cimport exp, sqrt, M_PI

from jpsi_fast._integrand cimport Integrand
from jpsi_fast.components import GenericLayout


cdef class GaussianPeak(Integrand):
    cdef double centre
    cdef double width

    def __init__(self, int dim, double centre=0.5, double width=0.02):
        # dim unit-cube axes; two components named in a layout; observables = the point itself
        Integrand.__init__(self, dim, 2, GenericLayout(2, ("peak", "first_moment")))
        self.centre = centre
        self.width = width

    def __reduce__(self):                       # picklable: rebuilt from its arguments
        return (GaussianPeak, (self.dim, self.centre, self.width))

    def key(self):                              # equal peaks, equal keys (the sampler re-adapts on change)
        return ("GaussianPeak", self.dim, self.centre, self.width)

    cdef void evaluate(self, Py_ssize_t n, const double* u, double* obs, double* f,
                       Py_ssize_t first) noexcept nogil:
        cdef Py_ssize_t s
        cdef int d
        cdef double arg, norm = 1.0 / (sqrt(2.0 * M_PI) * self.width)
        cdef double value
        for s in range(n):
            value = 1.0
            for d in range(self.dim):
                arg = (u[s * self.dim + d] - self.centre) / self.width
                value *= norm * exp(-0.5 * arg * arg)
                obs[s * self.dim + d] = u[s * self.dim + d]
            f[2 * s] = value
            f[2 * s + 1] = u[s * self.dim] * value
