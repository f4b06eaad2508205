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
from ._lab cimport (Acceptance, LabEvent, LabSetup, accepted, decay_density, decay_density_cs, decay_leptons_cs,
                    electron_accepted, lab_event, lab_observables, lab_setup, leptons_accepted)
from ._lab import LAB_OBSERVABLES
from ._pdf cimport PDFCore
from libc.math cimport M_PI, cos, sin, sqrt

#: observables of every point of the physics integrand
OBSERVABLES = ("x", "z", "Q", "PT", "y")
#: observables of the lab-frame integrand: the point, y, the J/psi azimuth and the l+ decay angles, lab quantities
LAB_INTEGRAND_OBSERVABLES = OBSERVABLES + ("phi_h", "cos_theta", "phi") + LAB_OBSERVABLES
cdef enum:
    N_OBS = 5
    DIM = 4
    LAB_DIM = 7
    N_LAB_OBS = 14          # len(_lab.LAB_OBSERVABLES)
    N_DENSITY = 4           # kernel elements per channel of the lab integrand: U, L, Sp0, Spm
    DECAY_LATTICE = 13      # control variate: decays per point on a shifted rank-1 lattice in (u_cos, u_phi) ...
    DECAY_LATTICE_GEN = 5   # ... with generator (1, 5): the Fibonacci lattice of 13 points
    MAX_LAB_CHANNELS = 16


cdef void fill_cuts(Cuts* c, tuple t) except *:
    """t = (s, x_lo, x_hi, z_lo, z_hi, Q_lo, Q_hi, PT_lo, PT_hi, y_lo, y_hi, tmd_cut) from Domain.cut_tuple()."""
    (c.s_had, c.x_lo, c.x_hi, c.z_lo, c.z_hi, c.Q_lo, c.Q_hi, c.PT_lo, c.PT_hi, c.y_lo, c.y_hi,
     c.tmd_cut) = t


cdef inline double cut_point(const Cuts* c, const double* u, double* p) noexcept nogil:
    """The cut-adapted point (x, z, Q, P_T) of unit-cube coordinates u into p[0:4] and y into p[4]; returns the
    Jacobian (0 where the cuts leave no range)."""
    cdef double jac = cut_coordinates(c, u, p)
    p[4] = inelasticity(p[0], p[2], c.s_had)
    return jac


cdef inline double physical_measure(const double* p, double jac) noexcept nogil:
    """4 Q P_T (dQ^2 dP_T^2 -> dQ dP_T) x the Jacobian of the unit-cube map, at the point p = (x, z, Q, P_T)."""
    return 4.0 * p[2] * p[3] * jac


cdef inline void fill_zero(double* a, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(lo, hi):
        a[i] = 0.0


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
            jac = cut_point(&self.cuts, u + s * DIM, p)
            if jac == 0.0:
                fill_zero(row, 0, K)
                continue
            cross_section_point(&self.cfg.kp, &self.pdf.view, p[0], p[1], p[2], p[3], row, 1)
            measure = physical_measure(p, jac)
            for k in range(K):
                row[k] *= measure


cdef void fill_acceptance(Acceptance* a, tuple t) except *:
    """t = (active, lep_sinh_lo, lep_sinh_hi, lep_pt_min, e_sinh_lo, e_sinh_hi, e_energy_min) from
    Acceptance.cut_tuple()."""
    (a.active, a.lep_sinh_lo, a.lep_sinh_hi, a.lep_pt_min, a.e_sinh_lo, a.e_sinh_hi, a.e_energy_min) = t


cdef class LabXsecIntegrand(Integrand):
    """sigma_U of every channel of ``layout`` (states ("U",)) over ``domain`` in the lab frame of ``xs.params.beams``
    with the J/psi decayed (docs/physics.md §13): unit cube (u_x, u_z, u_Q, u_PT, u_phi_h, u_cos_theta, u_phi) ->
    the cut-adapted (x, z, Q, P_T) of XsecIntegrand, phi_h = 2 pi u, cos theta = 2 u - 1, phi = 2 pi u (the lab
    azimuth of e' is 0: the acceptance is azimuthally symmetric). The value per channel is 4 Q P_T x Jacobian x the
    decay density 4 pi dsigma/dOmega of the channel's density matrix (eq. 13.3), times 1 if the event passes
    ``domain.acceptance`` and is kinematically allowed with the masses, else 0: integrals are sigma_U in acceptance
    [pb] (before the branching ratio). Observables: LAB_INTEGRAND_OBSERVABLES, then ``decay_density_<channel>``,
    each channel's decay density (eq. 13.3) at the point [pb/GeV^4] (0 where the point is not accepted).

    ``control_variate``: for allowed points with the scattered electron accepted, the value is 4 Q P_T x Jacobian
    x (sigma_U - the mean decay density where the leptons are rejected, over DECAY_LATTICE decays on a lattice
    shifted by the point's decay angles) -- the same sigma_U in acceptance on average, without the variance of
    the decay distribution and with that of the lepton acceptance divided among the decays (the integrand is
    sigma_U wherever the whole decay sphere is accepted). For integrals only: its values are not localized in the
    decay angles (observables beyond x .. phi are 0), so histograms and samples use the plain integrand
    (docs/physics.md §13.4)."""
    cdef KernelConfig cfg
    cdef PDFCore pdf
    cdef Cuts cuts
    cdef LabSetup setup
    cdef Acceptance acc
    cdef Py_ssize_t n_channels
    cdef readonly bint control_variate
    cdef double lattice_cos[DECAY_LATTICE]     # cos, sin of the lattice's azimuth shifts 2 pi G k / N
    cdef double lattice_sin[DECAY_LATTICE]
    cdef object _args

    def __init__(self, xs, domain, layout, density_layout, double m_lep, bint control_variate=False):
        Integrand.__init__(self, LAB_DIM, layout.n_base, layout,
                           LAB_INTEGRAND_OBSERVABLES + tuple(f"decay_density_{c}" for c in layout.channels))
        if len(LAB_OBSERVABLES) != N_LAB_OBS:
            raise RuntimeError("N_LAB_OBS differs from len(LAB_OBSERVABLES)")
        if density_layout.n_base != N_DENSITY * layout.n_base or layout.n_base > MAX_LAB_CHANNELS:
            raise ValueError(f"the lab integrand needs one U component per channel (at most {MAX_LAB_CHANNELS}) and "
                             "the density elements U, L, Sp0, Spm of each")
        self._args = (xs, domain, layout, density_layout, m_lep, control_variate)
        self.control_variate = control_variate
        cdef int k
        for k in range(DECAY_LATTICE):
            self.lattice_cos[k] = cos(2.0 * M_PI * ((k * DECAY_LATTICE_GEN) % DECAY_LATTICE) / DECAY_LATTICE)
            self.lattice_sin[k] = sin(2.0 * M_PI * ((k * DECAY_LATTICE_GEN) % DECAY_LATTICE) / DECAY_LATTICE)
        self.n_channels = layout.n_base
        self.cfg = xs.kernel_config(density_layout)
        self.pdf = xs.pdf.core
        fill_cuts(&self.cuts, domain.cut_tuple(xs.params))
        fill_acceptance(&self.acc, domain.acceptance.cut_tuple())
        b = xs.params.beams
        from .params import M_ELECTRON, M_PROTON
        lab_setup(&self.setup, b.electron_energy, b.proton_energy, M_ELECTRON, M_PROTON, xs.params.M, m_lep)

    def __reduce__(self):
        return (LabXsecIntegrand, self._args)

    cdef double _density_elements(self, const double* p, double jac, double* el) noexcept nogil:
        """The density elements U, L, Sp0, Spm of every channel at p into el; returns the measure x Jacobian."""
        cross_section_point(&self.cfg.kp, &self.pdf.view, p[0], p[1], p[2], p[3], el, 1)
        return physical_measure(p, jac)

    cdef void _control_variate_row(self, const double* us, double* p, double* row, double jac,
                                   bint allowed, LabEvent* ev, double* el) noexcept nogil:
        """Value of the control-variate integrand at one point: 4 Q P_T x Jacobian x (sigma_U - the mean over
        DECAY_LATTICE decays of the decay density where the leptons are rejected), 0 where the event is not
        allowed or the scattered electron is rejected. The decays are the point's (u_cos, u_phi) shifted by a
        rank-1 lattice: the mean over the torus of each shifted integrand is the same, so the value is unbiased
        for any map."""
        cdef Py_ssize_t c, k, K = self.n_channels
        cdef double measure, cos_k, sin_k, cp, sp, cp0 = cos(p[7]), sp0 = sin(p[7])
        cdef double rej[MAX_LAB_CHANNELS]
        fill_zero(p, 8, self.n_observables)
        if not (allowed and electron_accepted(&self.acc, ev)):
            fill_zero(row, 0, K)
            return
        measure = self._density_elements(p, jac, el)
        fill_zero(rej, 0, K)
        for k in range(DECAY_LATTICE if self.acc.active else 0):
            cos_k = 2.0 * jpsi_fast_frac(us[5] + <double>k / DECAY_LATTICE) - 1.0
            sin_k = sqrt((1.0 - cos_k) * (1.0 + cos_k))
            cp = cp0 * self.lattice_cos[k] - sp0 * self.lattice_sin[k]      # phi + 2 pi G k / N
            sp = sp0 * self.lattice_cos[k] + cp0 * self.lattice_sin[k]
            decay_leptons_cs(ev, cos_k, sin_k, cp, sp)
            if not leptons_accepted(&self.acc, ev):
                for c in range(K):
                    rej[c] += decay_density_cs(el[N_DENSITY * c], el[N_DENSITY * c + 1], el[N_DENSITY * c + 2],
                                               el[N_DENSITY * c + 3], cos_k, sin_k, cp, sp)
        for c in range(K):
            row[c] = measure * (el[N_DENSITY * c] - rej[c] / DECAY_LATTICE)

    @property
    def stratified_dims(self):
        """The engine stratifies x, z, Q, P_T (the first 4 axes); the 3 angles get one stratum each."""
        return DIM

    def key(self):
        xs, domain, layout, _, m_lep, cv = self._args
        return ("LabXsecIntegrand", xs.key(), domain, layout, m_lep, cv)

    cdef void evaluate(self, Py_ssize_t n, const double* u, double* obs, double* f,
                       Py_ssize_t first) noexcept nogil:
        cdef Py_ssize_t s, c, K = self.n_channels
        cdef double jac, measure
        cdef double* p
        cdef double* row
        cdef const double* us
        cdef double el[N_DENSITY * MAX_LAB_CHANNELS]
        cdef LabEvent ev
        cdef bint keep, allowed
        cdef double w
        for s in range(n):
            us = u + s * LAB_DIM
            p = obs + s * self.n_observables
            row = f + s * K
            jac = cut_point(&self.cuts, us, p)
            p[5] = 2.0 * M_PI * us[4]
            p[6] = 2.0 * us[5] - 1.0
            p[7] = 2.0 * M_PI * us[6]
            allowed = jac != 0.0 and lab_event(&self.setup, p[0], p[2], p[1], p[3], 0.0, p[5], p[6], p[7], &ev)
            if self.control_variate:
                self._control_variate_row(us, p, row, jac, allowed, &ev, el)
                continue
            keep = allowed and accepted(&self.acc, &ev)
            if not keep:
                fill_zero(p, 8, self.n_observables)
                fill_zero(row, 0, K)
                continue
            lab_observables(&ev, p + 8)
            measure = self._density_elements(p, jac, el)
            for c in range(K):
                w = decay_density(el[N_DENSITY * c], el[N_DENSITY * c + 1], el[N_DENSITY * c + 2],
                                  el[N_DENSITY * c + 3], p[6], p[7])
                p[8 + N_LAB_OBS + c] = w
                row[c] = measure * w


cdef extern from *:
    """
    static double jpsi_fast_frac(double v) { return v - (double)(long long)v; }
    """
    double jpsi_fast_frac(double v) noexcept nogil


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
