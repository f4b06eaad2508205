"""Gaussian TMD-PDF convolutions with angular weights, R_{n,p} of docs/physics.md §12
(R_{0,0} is the convolution C of section 4), and the quark -> J/psi FF combinations
that enter sections 11 and 12, written from docs/physics.md §3.

    R_{n,p}[D](z, P_T; w) = (2/w) int_0^inf dk k (k/M)^p exp(-(k - a)^2/w) ive(n, 2ak/w) D(z, k),
    a = P_T / z,  ive(n, t) = I_n(t) e^{-t}.

The product exp(-(k-a)^2/w) ive(n, 2ak/w) = exp(-(k^2+a^2)/w) I_n(2ak/w) never overflows
and is bounded by the Gaussian exp(-(k-a)^2/w): the integrand is < e^{-100} times its
peak outside a -/+ 10 sqrt(w), so the integral runs over [max(0, a - 10 sqrt w), a + 10 sqrt w].
The collinear model (w -> 0) is R_{n,p}[D] = (a/M)^p D(z, a) for every n.
"""

import math

import numpy as np
from scipy import integrate, special

from ._params import alpha_s, get_param, mu_ff_value

_HALF_WINDOW = 10.0   # in units of sqrt(w)
_EPSREL = 1e-12
_LIMIT = 500
_ACCEPT = 1e-10       # required relative error estimate of quad

#: FF combinations available (docs/physics.md §3, §11, 12):
#:   "D0"   = D1 - D1LL         (J/psi helicity 0)
#:   "Dpm"  = D1 + D1LL/2       (each of the helicities +1 and -1)
#:   "DU"   = 3 D1              (all three helicities)
#:   "G1L"  (positive sign, helicity transfer)
#:   "D1LT", "D1TT"  (printed, negative signs)
FF_COMBINATIONS = ("D0", "Dpm", "DU", "G1L", "D1LT", "D1TT")


def _ff_constants(params):
    """(M, N_c, g = alpha_s(mu_ff)^2 <O(3S1[8])> / (9 pi)) as floats."""
    M = float(get_param(params, "M"))
    n_c = float(get_param(params, "n_c"))
    a_s = float(alpha_s(mu_ff_value(params), params))
    return M, n_c, a_s * a_s * float(get_param(params, "ldme_3s1_8")) / (9.0 * math.pi)


def _ff_formula(name, z, k, M, n_c, g):
    """The formulas of :func:`ff_combination`; plain arithmetic, so floats or arrays."""
    delta = z * z * k * k + M * M * (1.0 - z)
    if name == "D0":
        return 2.0 * g / (n_c * M**3 * z) * 6.0 * M * M * (1.0 - z) ** 2 / delta**2
    if name == "Dpm":
        return 2.0 * g / (n_c * M**3 * z) * 1.5 * k * k * z * z * (z * z - 2.0 * z + 2.0) / delta**2
    if name == "DU":
        return (2.0 * g / (n_c * M**3 * z) * 3.0
                * (k * k * z * z * (z * z - 2.0 * z + 2.0) + 2.0 * M * M * (1.0 - z) ** 2) / delta**2)
    if name == "G1L":
        return g * k * k * z * z * (2.0 - z) / (M**3 * delta**2)
    if name == "D1LT":
        return -2.0 * g * (2.0 - z) * (1.0 - z) / (M * delta**2)
    if name == "D1TT":
        return -2.0 * g * z * (1.0 - z) / (M * delta**2)
    raise ValueError(f"unknown FF combination {name!r}; expected one of {FF_COMBINATIONS}")


def ff_combination(name, z, k, params=None):
    """The FF combination ``name`` at (z, k) [GeV^-2] in a cancellation-free form, from docs/physics.md §3:

    with g = alpha_s(mu_ff)^2 <O(3S1[8])> / (9 pi), c(z) = 2 g / (N_c M^3 z), Delta = z^2 k^2 + M^2 (1-z):
      D0   = D1 - D1LL   = c * 6 M^2 (1-z)^2 / Delta^2
      Dpm  = D1 + D1LL/2 = c * (3/2) k^2 z^2 (z^2 - 2z + 2) / Delta^2
      DU   = 3 D1        = c * 3 [k^2 z^2 (z^2 - 2z + 2) + 2 M^2 (1-z)^2] / Delta^2
      G1L  = g k^2 z^2 (2 - z) / (M^3 Delta^2)
      D1LT = -2 g (2 - z)(1 - z) / (M Delta^2)
      D1TT = -2 g z (1 - z) / (M Delta^2)
    numpy broadcasting in z, k.
    """
    z, k = np.broadcast_arrays(np.asarray(z, dtype=float), np.asarray(k, dtype=float))
    return np.asarray(_ff_formula(name, z, k, *_ff_constants(params)))[()]


def _r_one_point(name, n, p, z, a, w, consts):
    """R_{n,p}[name] at one (z, a = P_T/z) for the Gaussian width w (quad; see module doc)."""
    M = consts[0]
    sw = math.sqrt(w)
    lo = max(0.0, a - _HALF_WINDOW * sw)
    hi = a + _HALF_WINDOW * sw
    ive = special.ive

    def integrand(k):
        weight = k * (k / M) ** p * math.exp(-(k - a) ** 2 / w) * ive(n, 2.0 * a * k / w)
        return weight * _ff_formula(name, z, k, *consts)

    # break points: the Gaussian peak region and the scale of Delta, k0 = M sqrt(1-z)/z
    k0 = M * math.sqrt(1.0 - z) / z
    candidates = [a + m * sw for m in (-4, -2, -1, -0.5, 0, 0.5, 1, 2, 4)]
    candidates += [k0 * f for f in (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0)]
    points = sorted({q for q in candidates if lo < q < hi})
    value, abserr = integrate.quad(integrand, lo, hi, points=points or None,
                                   epsabs=0.0, epsrel=_EPSREL, limit=_LIMIT)
    if not abserr <= _ACCEPT * abs(value) + 1e-300:
        raise RuntimeError(f"R_{n},{p}[{name}] not converged at z={z}, a={a}, w={w}: "
                           f"{value} +- {abserr}")
    return 2.0 / w * value


def ff_convolution(name, n, p, z, PT, w, params=None, model="gaussian"):
    """R_{n,p}[name](z, P_T) [GeV^-2] per unit collinear PDF (numpy broadcasting in z, PT).

    model "gaussian": the integral with width w [GeV^2] (> 0);
    model "collinear": (a/M)^p * name(z, a), a = P_T/z (the w -> 0 limit).
    """
    z, PT = np.broadcast_arrays(np.asarray(z, dtype=float), np.asarray(PT, dtype=float))
    consts = _ff_constants(params)
    M = consts[0]
    a = PT / z
    if model == "collinear":
        return ((a / M) ** p * ff_combination(name, z, a, params)) * np.ones(z.shape)
    if model != "gaussian":
        raise ValueError(f"tmd_pdf must be 'gaussian' or 'collinear', not {model!r}")
    w = float(w)
    if not w > 0.0:
        raise ValueError("the Gaussian width must be > 0")
    out = np.empty(z.shape)
    flat_z, flat_a, flat_out = z.ravel(), a.ravel(), out.reshape(-1)
    cache = {}
    for i in range(flat_z.size):
        key = (flat_z[i], flat_a[i])
        if key not in cache:
            cache[key] = _r_one_point(name, n, p, float(key[0]), float(key[1]), w, consts)
        flat_out[i] = cache[key]
    return out
