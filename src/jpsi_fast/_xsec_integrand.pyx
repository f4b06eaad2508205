# cython: language_level=3
"""The J/psi integrand: 4 Q P_T dsigma/(dx dQ^2 dz dP_T^2) of every base component of a layout over a
:class:`jpsi_fast.Domain` (docs/physics.md §7), and the compiled inelasticity and cut functions that
``Domain.contains``, the datasets and the region maps use.

Coordinates: the engine's unit cube u = (u_x, u_z, u_Q, u_PT) is mapped by ``cut_coordinates`` (z and Q linear;
x and P_T as fractions of the ranges the cuts allow at that (z, Q)), so no evaluation falls outside the cuts.
The integrand value is the cross section x the measure 4 Q P_T (dQ^2 dP_T^2 -> dQ dP_T) x that map's Jacobian,
in pb. Observables per point: x, z, Q [GeV], P_T [GeV], y.
"""
import numpy as np

from ._integrand cimport Integrand
from ._kernels cimport KernelConfig, KernelParams, cross_section_point
from ._kinematics cimport Cuts, cut_coordinates, in_cuts, inelasticity
from ._pdf cimport PDFCore

#: observables of every point of the physics integrand
OBSERVABLES = ("x", "z", "Q", "PT", "y")
cdef enum:
    N_OBS = 5
    DIM = 4


cdef void fill_cuts(Cuts* c, tuple t) except *:
    """t = (s, x_lo, x_hi, z_lo, z_hi, Q_lo, Q_hi, PT_lo, PT_hi, y_lo, y_hi, tmd_cut) from Domain.cut_tuple()."""
    (c.s_had, c.x_lo, c.x_hi, c.z_lo, c.z_hi, c.Q_lo, c.Q_hi, c.PT_lo, c.PT_hi, c.y_lo, c.y_hi,
     c.tmd_cut) = t


cdef class XsecIntegrand(Integrand):
    """Cross sections of ``xs`` over ``domain`` for the components of ``layout`` (see CrossSection.integrand)."""
    cdef KernelConfig cfg
    cdef PDFCore pdf
    cdef Cuts cuts
    cdef object _args

    def __init__(self, xs, domain, layout):
        Integrand.__init__(self, DIM, layout.n_base, layout, OBSERVABLES)
        self._args = (xs, domain, layout)
        self.cfg = xs.kernel_config(layout)
        self.pdf = xs.pdf.core
        fill_cuts(&self.cuts, domain.cut_tuple(xs.params))

    def __reduce__(self):
        return (XsecIntegrand, self._args)

    def key(self):
        xs, domain, layout = self._args
        return ("XsecIntegrand", xs.key(), domain, layout)

    cdef void evaluate(self, Py_ssize_t n, const double* u, double* obs, double* f,
                       Py_ssize_t first) noexcept nogil:
        cdef Py_ssize_t s, k, K = self.n_components
        cdef double jac, measure
        cdef double* p
        cdef double* row
        for s in range(n):
            p = obs + s * N_OBS
            row = f + s * K
            jac = cut_coordinates(&self.cuts, u + s * DIM, p)
            p[4] = inelasticity(p[0], p[2], self.cuts.s_had)
            if jac == 0.0:
                for k in range(K):
                    row[k] = 0.0
                continue
            cross_section_point(&self.cfg.kp, &self.pdf.view, p[0], p[1], p[2], p[3], row, 1)
            measure = 4.0 * p[2] * p[3] * jac
            for k in range(K):
                row[k] *= measure


def inelasticity_array(const double[::1] x, const double[::1] Q, double s_had):
    """y = Q^2/(x s) for 1-D arrays (the kernels' own definition)."""
    out = np.empty(x.shape[0])
    cdef double[::1] o = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(x.shape[0]):
            o[i] = inelasticity(x[i], Q[i], s_had)
    return out


def contains_array(const double[::1] x, const double[::1] z, const double[::1] Q, const double[::1] PT,
                   tuple cut_tuple):
    """Boolean mask of the points inside the cuts (1-D arrays; the integrand's own definition)."""
    cdef Cuts c
    fill_cuts(&c, cut_tuple)
    out = np.empty(x.shape[0], dtype=np.uint8)
    cdef unsigned char[::1] o = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(x.shape[0]):
            o[i] = in_cuts(&c, x[i], z[i], Q[i], PT[i])
    return out.view(bool)


def cut_jacobian(const double[:, ::1] u, tuple cut_tuple):
    """(points (n, 4), Jacobians (n,)) of unit-cube points u (n, 4) under the cut-adapted coordinates: the
    phase-space volume inside the cuts is the mean Jacobian (Domain.volume)."""
    cdef Cuts c
    fill_cuts(&c, cut_tuple)
    cdef Py_ssize_t i, n = u.shape[0]
    pts = np.empty((n, DIM))
    jac = np.empty(n)
    cdef double[:, ::1] p = pts
    cdef double[::1] j = jac
    with nogil:
        for i in range(n):
            j[i] = cut_coordinates(&c, &u[i, 0], &p[i, 0])
    return pts, jac
