# Exact event kinematics in the lab frame (docs/physics.md §13): the one compiled construction of the scattered
# electron, the virtual photon, the J/psi, the hadronic remainder X and the decay leptons from
# (x, Q, z, P_T, phi_e, phi_h, cos theta, phi) and head-on beams, used by the in-acceptance integrand and by the
# event generator (jpsi_fast._lab.lab_kinematics_array). Four-vectors are [E, px, py, pz] in GeV, metric (+, -, -, -).
#
# Construction (covariant, no boosts, so no precision is lost to the large proton boost):
# - e' from the two linear conditions P.k' = (1 - y) P.k and k.k' = m_e^2 + Q^2/2, azimuth phi_e in the lab;
# - J/psi = a P + b q + P_T n_perp with P.P_psi = z P.q, P_psi^2 = M^2 (b > 0 root) and n_perp = cos(phi_h) n1 +
#   sin(phi_h) n2, n1 = the unit vector along the part of k orthogonal to P and q, n2 = (0, sin phi_e, -cos phi_e, 0)
#   (Trento: phi_h is the azimuth about q from the lepton plane, y_h = q^ x x_h in any frame with P, q collinear);
# - the helicity frame of docs/physics.md §12 as four-vectors: Z = (E* U - M W^)/|p*| (U = P_psi/M, W = P + q,
#   E*, |p*| the J/psi energy and momentum in the gamma*p c.m. frame), Y = cos(phi_h) n2 - sin(phi_h) n1 (along
#   q x P_psi there), X = (P_L n_perp - P_T Qz)/|p*| = Y x Z; l+ = P_psi/2 + p (sin th cos ph X + sin th sin ph Y +
#   cos th Z), p = sqrt(M^2/4 - m_l^2).
from libc.math cimport sqrt, cos, sin


cdef struct LabSetup:
    double E_e          # electron beam energy [GeV] (moving along -z)
    double p_e          # its momentum [GeV]
    double E_p          # proton beam energy [GeV] (moving along +z)
    double p_p
    double m_e          # electron mass [GeV]
    double m_p          # proton mass [GeV]
    double M            # J/psi mass [GeV]
    double m_lep        # decay-lepton mass [GeV]
    double Pk           # P.k [GeV^2]

cdef struct LabEvent:
    double k_out[4]     # scattered electron
    double q[4]         # virtual photon
    double psi[4]       # J/psi
    double lp[4]        # l+
    double lm[4]        # l-
    double X[4]         # hadronic remainder P + q - P_psi
    double ax[4]        # helicity-frame axes X, Y, Z (unit spacelike four-vectors orthogonal to P_psi)
    double ay[4]
    double az[4]
    double pstar        # lepton momentum in the J/psi rest frame [GeV]


cdef inline void lab_setup(LabSetup* b, double E_e, double E_p, double m_e, double m_p, double M,
                           double m_lep) noexcept nogil:
    b.E_e = E_e
    b.E_p = E_p
    b.m_e = m_e
    b.m_p = m_p
    b.M = M
    b.m_lep = m_lep
    b.p_e = sqrt((E_e - m_e) * (E_e + m_e))
    b.p_p = sqrt((E_p - m_p) * (E_p + m_p))
    b.Pk = E_e * E_p + b.p_e * b.p_p


cdef inline double minkowski_dot(const double* a, const double* b) noexcept nogil:
    return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]


cdef inline void decay_leptons_cs(LabEvent* ev, double cos_theta, double sin_theta, double cos_phi,
                                  double sin_phi) noexcept nogil:
    """l+- = P_psi/2 +- p (sin th cos ph X + sin th sin ph Y + cos th Z) from the event's helicity axes."""
    cdef double D
    cdef int i
    for i in range(4):
        D = ev.pstar * (sin_theta * (cos_phi * ev.ax[i] + sin_phi * ev.ay[i]) + cos_theta * ev.az[i])
        ev.lp[i] = 0.5 * ev.psi[i] + D
        ev.lm[i] = 0.5 * ev.psi[i] - D


cdef inline void decay_leptons(LabEvent* ev, double cos_theta, double phi) noexcept nogil:
    decay_leptons_cs(ev, cos_theta, sqrt((1.0 - cos_theta) * (1.0 + cos_theta)), cos(phi), sin(phi))

cdef inline bint lab_event(const LabSetup* b, double x, double Q, double z, double PT, double phi_e,
                           double phi_h, double cos_theta, double phi, LabEvent* ev) noexcept nogil:
    """Fill ``ev``; False (ev undefined) where the point is not kinematically allowed with the masses: physical
    y = P.q/P.k > 1, no real e' or J/psi solution, or (P + q - P_psi)^2 < m_p^2 (docs/physics.md §13)."""
    cdef double Q2 = Q * Q
    cdef double nu = Q2 / (2.0 * x)                      # P.q
    cdef double y = nu / b.Pk
    cdef double A, B, D, plus, minus, pt2, pt, E1, pz1
    cdef double N, bq2, bq, a, kperp2, alpha, beta, inv, c_h, s_h, c_e, s_e
    cdef double n1[4]
    cdef double n2[4]
    cdef double nperp[4]
    cdef double W[4]
    cdef double Qz[4]
    cdef double W2, sW, E_cm, p_cm, qW, qz_norm, P_L
    cdef int i
    if not (y > 0.0 and y <= 1.0):
        return False
    # scattered electron: E_p E' - p_p p'_z = (1 - y) P.k, E_e E' + p_e p'_z = m_e^2 + Q^2/2
    A = (1.0 - y) * b.Pk
    B = b.m_e * b.m_e + 0.5 * Q2
    D = b.E_p * b.p_e + b.p_p * b.E_e
    plus = (B * (b.E_p + b.p_p) - A * b.m_e * b.m_e / (b.E_e + b.p_e)) / D      # E' + p'_z
    minus = (A * (b.E_e + b.p_e) - B * b.m_p * b.m_p / (b.E_p + b.p_p)) / D     # E' - p'_z
    pt2 = plus * minus - b.m_e * b.m_e
    if not (pt2 >= 0.0 and plus > 0.0 and minus > 0.0):
        return False
    pt = sqrt(pt2)
    E1 = 0.5 * (plus + minus)
    pz1 = 0.5 * (plus - minus)
    c_e = cos(phi_e)
    s_e = sin(phi_e)
    ev.k_out[0] = E1
    ev.k_out[1] = pt * c_e
    ev.k_out[2] = pt * s_e
    ev.k_out[3] = pz1
    ev.q[0] = b.E_e - E1
    ev.q[1] = -ev.k_out[1]
    ev.q[2] = -ev.k_out[2]
    ev.q[3] = -b.p_e - pz1
    # J/psi = a P + b q + P_T n_perp
    N = nu * nu + b.m_p * b.m_p * Q2
    bq2 = (nu * nu * z * z - b.m_p * b.m_p * (b.M * b.M + PT * PT)) / N
    if not bq2 > 0.0:
        return False
    bq = sqrt(bq2)
    a = nu * (z * z * Q2 + b.M * b.M + PT * PT) / ((z + bq) * N)
    # n1: k minus its projection on (P, q), normalized; -(k_perp)^2 = Q^2 (P.k (P.k - nu) - m_p^2 Q^2/4)/N - m_e^2
    kperp2 = Q2 * (b.Pk * (b.Pk - nu) - 0.25 * b.m_p * b.m_p * Q2) / N - b.m_e * b.m_e
    if not kperp2 > 0.0:
        return False
    alpha = Q2 * (b.Pk - 0.5 * nu) / N
    beta = (0.5 * b.m_p * b.m_p * Q2 + nu * b.Pk) / N
    inv = 1.0 / sqrt(kperp2)
    n1[0] = (b.E_e - alpha * b.E_p - beta * ev.q[0]) * inv
    n1[1] = (-beta * ev.q[1]) * inv
    n1[2] = (-beta * ev.q[2]) * inv
    n1[3] = (-b.p_e - alpha * b.p_p - beta * ev.q[3]) * inv
    n2[0] = 0.0
    n2[1] = s_e
    n2[2] = -c_e
    n2[3] = 0.0
    c_h = cos(phi_h)
    s_h = sin(phi_h)
    for i in range(4):
        nperp[i] = c_h * n1[i] + s_h * n2[i]
    ev.psi[0] = a * b.E_p + bq * ev.q[0] + PT * nperp[0]
    ev.psi[1] = bq * ev.q[1] + PT * nperp[1]
    ev.psi[2] = bq * ev.q[2] + PT * nperp[2]
    ev.psi[3] = a * b.p_p + bq * ev.q[3] + PT * nperp[3]
    W[0] = b.E_p + ev.q[0]
    W[1] = ev.q[1]
    W[2] = ev.q[2]
    W[3] = b.p_p + ev.q[3]
    for i in range(4):
        ev.X[i] = W[i] - ev.psi[i]
    # X^2 = W^2 - 2 W.P_psi + M^2 with W.P_psi = z nu + a nu - b Q^2
    W2 = b.m_p * b.m_p + 2.0 * nu - Q2
    if not (W2 - 2.0 * (z * nu + a * nu - bq * Q2) + b.M * b.M >= b.m_p * b.m_p and ev.psi[0] > 0.0):
        return False
    # helicity frame (docs/physics.md §12) as four-vectors
    sW = sqrt(W2)
    E_cm = (z * nu + a * nu - bq * Q2) / sW               # J/psi energy in the gamma*p c.m. frame
    p_cm = sqrt((E_cm - b.M) * (E_cm + b.M))
    if not p_cm > 0.0:                                    # J/psi at rest in the c.m. frame: no helicity axis
        return False
    qW = nu - Q2                                          # q.W
    qz_norm = sqrt(Q2 + qW * qW / W2)
    for i in range(4):
        Qz[i] = (ev.q[i] - qW / W2 * W[i]) / qz_norm      # unit spacelike, along q in the c.m. frame
    P_L = -minkowski_dot(ev.psi, Qz)
    ev.pstar = sqrt(0.25 * b.M * b.M - b.m_lep * b.m_lep)
    for i in range(4):
        ev.az[i] = (E_cm / b.M * ev.psi[i] - b.M / sW * W[i]) / p_cm
        ev.ay[i] = c_h * n2[i] - s_h * n1[i]
        ev.ax[i] = (P_L * nperp[i] - PT * Qz[i]) / p_cm
    decay_leptons(ev, cos_theta, phi)
    return True



cdef void lab_observables(const LabEvent* ev, double* out) noexcept nogil
    # OUT out[14]: the lab-frame observables _lab.LAB_OBSERVABLES of the event


# ---------------------------------------------------------------------------- lab-frame acceptance
cdef struct Acceptance:
    int active          # 0: no cut (every kinematically allowed point passes)
    double lep_sinh_lo  # leptons: sinh(eta_lo) p_T <= p_z <= sinh(eta_hi) p_T
    double lep_sinh_hi
    double lep_pt_min   # [GeV]
    double e_sinh_lo    # scattered electron: sinh(eta_lo) p_T <= p_z <= sinh(eta_hi) p_T
    double e_sinh_hi
    double e_energy_min # [GeV]


cdef inline double transverse(const double* p) noexcept nogil:
    return sqrt(p[1] * p[1] + p[2] * p[2])


cdef inline bint eta_window_pt(const double* p, double pt, double sinh_lo, double sinh_hi) noexcept nogil:
    """sinh(eta_lo) p_T <= p_z <= sinh(eta_hi) p_T, for the momentum's transverse momentum pt."""
    return p[3] >= sinh_lo * pt and p[3] <= sinh_hi * pt


cdef inline bint eta_window(const double* p, double sinh_lo, double sinh_hi) noexcept nogil:
    return eta_window_pt(p, transverse(p), sinh_lo, sinh_hi)


cdef inline bint lepton_accepted(const Acceptance* c, const double* p) noexcept nogil:
    cdef double pt = transverse(p)
    return pt >= c.lep_pt_min and eta_window_pt(p, pt, c.lep_sinh_lo, c.lep_sinh_hi)


cdef inline bint leptons_accepted(const Acceptance* c, const LabEvent* ev) noexcept nogil:
    """Both decay leptons inside the cuts (pseudorapidity windows without a log)."""
    return not c.active or (lepton_accepted(c, ev.lp) and lepton_accepted(c, ev.lm))


cdef inline bint electron_accepted(const Acceptance* c, const LabEvent* ev) noexcept nogil:
    """The scattered electron inside the cuts (independent of the decay)."""
    if not c.active:
        return True
    return ev.k_out[0] >= c.e_energy_min and eta_window(ev.k_out, c.e_sinh_lo, c.e_sinh_hi)


cdef inline bint accepted(const Acceptance* c, const LabEvent* ev) noexcept nogil:
    """Both leptons and the scattered electron inside the cuts."""
    return electron_accepted(c, ev) and leptons_accepted(c, ev)


cdef inline double decay_density_cs(double U, double L, double Sp0, double Spm, double cos_theta, double sin_theta,
                                    double cos_phi, double sin_phi) noexcept nogil:
    """decay_density from the cosines and sines of the angles."""
    return 0.75 * ((U + L) + (U - 3.0 * L) * cos_theta * cos_theta
                   + 2.0 * Spm * sin_theta * sin_theta * (cos_phi * cos_phi - sin_phi * sin_phi)
                   + 4.0 * sqrt(2.0) * Sp0 * sin_theta * cos_theta * cos_phi)


cdef inline double decay_density(double U, double L, double Sp0, double Spm, double cos_theta,
                                 double phi) noexcept nogil:
    """4 pi dsigma/dOmega of J/psi -> l+ l- (massless leptons, docs/physics.md §12, eq. 13.3) from the density-matrix
    elements sigma_U = Tr sigma, sigma_00 = L, sigma_+0, sigma_+-: (3/4) [(U + L) + (U - 3L) cos^2 th
    + 2 sigma_+- sin^2 th cos 2 ph + 2 sqrt(2) sigma_+0 sin 2 th cos ph]; its mean over the sphere is U."""
    cdef double c2 = cos_theta * cos_theta
    cdef double s2 = 1.0 - c2
    cdef double s_t = sqrt(s2)
    return 0.75 * ((U + L) + (U - 3.0 * L) * c2 + 2.0 * Spm * s2 * cos(2.0 * phi)
                   + 4.0 * sqrt(2.0) * Sp0 * s_t * cos_theta * cos(phi))
