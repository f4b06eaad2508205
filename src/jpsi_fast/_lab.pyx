# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Array entry points of the exact lab-frame kinematics of ``_lab.pxd`` (docs/physics.md §13): four-vectors of
events and the lab-frame observables. Every point is independent, so the output never depends on ``n_threads``."""
import numpy as np
from cython.parallel cimport prange
from libc.math cimport asinh, atan2, log, NAN



#: the four-vectors of an event, in the order of the (n, 6, 4) output: scattered electron, virtual photon, J/psi,
#: l+, l-, hadronic remainder X
VECTORS = ("e_out", "gamma", "jpsi", "lep_plus", "lep_minus", "X")
#: lab-frame observables (docs/physics.md §13): pseudorapidity eta, transverse momentum pt [GeV], energy E [GeV],
#: J/psi rapidity, polar angle of the scattered electron e_theta [rad] (from the proton direction +z)
LAB_OBSERVABLES = ("jpsi_eta", "jpsi_rapidity", "jpsi_pt", "jpsi_E", "e_eta", "e_theta", "e_pt", "e_E",
                   "lep_plus_eta", "lep_plus_pt", "lep_plus_E", "lep_minus_eta", "lep_minus_pt", "lep_minus_E")
cdef enum:
    N_LAB_OBS = 14


cdef inline double pseudorapidity(const double* p) noexcept nogil:
    cdef double pt = transverse(p)
    if pt == 0.0:
        return NAN
    return asinh(p[3] / pt)


cdef void lab_observables(const LabEvent* ev, double* out) noexcept nogil:
    """Fill the N_LAB_OBS values of LAB_OBSERVABLES."""
    out[0] = pseudorapidity(ev.psi)
    out[1] = 0.5 * log((ev.psi[0] + ev.psi[3]) / (ev.psi[0] - ev.psi[3]))
    out[2] = transverse(ev.psi)
    out[3] = ev.psi[0]
    out[4] = pseudorapidity(ev.k_out)
    out[5] = atan2(transverse(ev.k_out), ev.k_out[3])
    out[6] = transverse(ev.k_out)
    out[7] = ev.k_out[0]
    out[8] = pseudorapidity(ev.lp)
    out[9] = transverse(ev.lp)
    out[10] = ev.lp[0]
    out[11] = pseudorapidity(ev.lm)
    out[12] = transverse(ev.lm)
    out[13] = ev.lm[0]


cdef bint event_row(const LabSetup* b, double x, double Q, double z, double PT, double phi_e, double phi_h,
                    double cos_theta, double phi, double* row) noexcept nogil:
    """The 6 four-vectors of VECTORS into row[24] (NaN when forbidden); True if allowed."""
    cdef LabEvent ev
    cdef int k
    cdef bint ok = lab_event(b, x, Q, z, PT, phi_e, phi_h, cos_theta, phi, &ev)
    for k in range(4):
        row[k] = ev.k_out[k] if ok else NAN
        row[4 + k] = ev.q[k] if ok else NAN
        row[8 + k] = ev.psi[k] if ok else NAN
        row[12 + k] = ev.lp[k] if ok else NAN
        row[16 + k] = ev.lm[k] if ok else NAN
        row[20 + k] = ev.X[k] if ok else NAN
    return ok


def lab_kinematics_array(double E_e, double E_p, double m_e, double m_p, double M, double m_lep,
                         const double[::1] x, const double[::1] Q, const double[::1] z, const double[::1] PT,
                         const double[::1] phi_e, const double[::1] phi_h, const double[::1] cos_theta,
                         const double[::1] phi, int n_threads=1):
    """Lab-frame four-vectors [E, px, py, pz] (GeV) of n events (docs/physics.md §13).

    Parameters
    ----------
    E_e, E_p : electron (along -z) and proton (along +z) beam energies [GeV].
    m_e, m_p, M, m_lep : electron, proton, J/psi and decay-lepton masses [GeV].
    x, Q [GeV], z, PT [GeV], phi_e, phi_h, cos_theta, phi : (n,) contiguous float64 (IN): the invariants, the lab
        azimuth of e', the Trento azimuth of the J/psi and the l+ decay angles in the helicity frame (§12).
    n_threads : OpenMP threads (validated by the caller).

    Returns
    -------
    dict with "beam_e", "beam_p", "e_out", "gamma", "jpsi", "lep_plus", "lep_minus", "X": (n, 4) float64
    (OUT), and "valid": (n,) bool -- False where the point is kinematically forbidden with the masses (its rows are
    NaN).
    """
    cdef Py_ssize_t n = x.shape[0], i
    if not (Q.shape[0] == z.shape[0] == PT.shape[0] == phi_e.shape[0] == phi_h.shape[0] == cos_theta.shape[0]
            == phi.shape[0] == n):
        raise ValueError("lab_kinematics_array: all point arrays must have the same length")
    cdef LabSetup b
    lab_setup(&b, E_e, E_p, m_e, m_p, M, m_lep)
    vec = np.empty((n, 6, 4))
    valid = np.empty(n, dtype=np.uint8)
    cdef double[:, :, ::1] v = vec
    cdef unsigned char[::1] ok = valid
    if n > 0:
        for i in prange(n, nogil=True, schedule="static", num_threads=n_threads):
            ok[i] = event_row(&b, x[i], Q[i], z[i], PT[i], phi_e[i], phi_h[i], cos_theta[i], phi[i], &v[i, 0, 0])
    out = {name: vec[:, j] for j, name in enumerate(VECTORS)}
    out["beam_e"] = np.broadcast_to(np.array([E_e, 0.0, 0.0, -b.p_e]), (n, 4))
    out["beam_p"] = np.broadcast_to(np.array([E_p, 0.0, 0.0, b.p_p]), (n, 4))
    out["valid"] = valid.view(bool)
    return out


def decay_density_array(const double[::1] U, const double[::1] L, const double[::1] Sp0, const double[::1] Spm,
                        const double[::1] cos_theta, const double[::1] phi):
    """4 pi dsigma/dOmega of J/psi -> l+ l- (docs/physics.md eq. 13.3) per point (IN: (n,) density-matrix
    elements in any cross-section unit and the l+ helicity-frame angles; OUT: (n,) in that unit)."""
    cdef Py_ssize_t i, n = U.shape[0]
    if not (L.shape[0] == Sp0.shape[0] == Spm.shape[0] == cos_theta.shape[0] == phi.shape[0] == n):
        raise ValueError("decay_density_array: all arrays must have the same length")
    out = np.empty(n)
    cdef double[::1] o = out
    with nogil:
        for i in range(n):
            o[i] = decay_density(U[i], L[i], Sp0[i], Spm[i], cos_theta[i], phi[i])
    return out
