# The one compiled definition of the inelasticity y = Q^2/(x s) and of the phase-space cuts of docs/physics.md §7.
# The kernels, the physics integrand, Domain.contains, the datasets and the region maps all use these functions, so
# a point is inside the cuts (or kinematically forbidden) in exactly the same way everywhere.
from libc.math cimport nextafter

cdef struct Cuts:
    double s_had            # e p centre-of-mass energy squared [GeV^2]
    double x_lo             # box limits, all inclusive
    double x_hi
    double z_lo
    double z_hi
    double Q_lo             # [GeV]
    double Q_hi
    double PT_lo            # [GeV]
    double PT_hi
    double y_lo             # inelasticity window, y_lo <= y <= y_hi <= 1
    double y_hi
    int tmd_cut             # 1: P_T <= z Q / 2


cdef inline double inelasticity(double x, double Q, double s_had) noexcept nogil:
    """y = Q^2 / (x s) (docs/physics.md §1); y > 1 is kinematically forbidden."""
    return Q * Q / (x * s_had)


cdef inline bint in_cuts(const Cuts* c, double x, double z, double Q, double PT) noexcept nogil:
    """True when (x, z, Q, P_T) lies in the box and satisfies the y window and the TMD cut (§7)."""
    cdef double y
    if not (x >= c.x_lo and x <= c.x_hi and z >= c.z_lo and z <= c.z_hi and Q >= c.Q_lo and Q <= c.Q_hi
            and PT >= c.PT_lo and PT <= c.PT_hi):
        return False
    y = inelasticity(x, Q, c.s_had)
    if not (y >= c.y_lo and y <= c.y_hi):
        return False
    return not c.tmd_cut or PT <= 0.5 * z * Q


cdef inline double cut_coordinates(const Cuts* c, const double* u, double* p) noexcept nogil:
    """Unit-cube point u = (u_x, u_z, u_Q, u_PT) -> physical point p = (x, z, Q, P_T) inside the cuts.

    z and Q are linear in u_z, u_Q over the box; x and P_T are fractions u_x, u_PT of the ranges the cuts allow
    at that (z, Q): x in [max(x_lo, Q^2/(s y_hi)), min(x_hi, Q^2/(s y_lo))], P_T in [P_T,lo, min(P_T,hi, zQ/2)].
    Returns the Jacobian d(x, z, Q, P_T)/du, 0 where the allowed range is empty (p then holds the box's lower
    corner). Every point with a non-zero Jacobian satisfies in_cuts() exactly (rounding is corrected)."""
    cdef double z = c.z_lo + u[1] * (c.z_hi - c.z_lo)
    cdef double Q = c.Q_lo + u[2] * (c.Q_hi - c.Q_lo)
    cdef double q2s = Q * Q / c.s_had
    cdef double xlo = q2s / c.y_hi, xhi = c.x_hi, pthi = c.PT_hi, x, PT
    if xlo < c.x_lo:
        xlo = c.x_lo
    if c.y_lo > 0.0 and q2s / c.y_lo < xhi:
        xhi = q2s / c.y_lo
    if c.tmd_cut and 0.5 * z * Q < pthi:
        pthi = 0.5 * z * Q
    p[1] = z
    p[2] = Q
    if not (xhi > xlo and pthi > c.PT_lo):
        p[0] = c.x_lo
        p[3] = c.PT_lo
        return 0.0
    x = xlo + u[0] * (xhi - xlo)
    if x > xhi:
        x = xhi
    while inelasticity(x, Q, c.s_had) > c.y_hi:
        x = nextafter(x, 1.0)
    while inelasticity(x, Q, c.s_had) < c.y_lo:
        x = nextafter(x, 0.0)
    PT = c.PT_lo + u[3] * (pthi - c.PT_lo)
    if PT > pthi:
        PT = pthi
    p[0] = x
    p[3] = PT
    return (c.z_hi - c.z_lo) * (c.Q_hi - c.Q_lo) * (xhi - xlo) * (pthi - c.PT_lo)
