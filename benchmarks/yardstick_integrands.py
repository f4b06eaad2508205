"""Integrands with known exact integrals for benchmarks/vegas_yardstick.py.

Each entry is re-expressed here (vectorised NumPy, ``f(X)`` with ``X`` of shape (n, dim) returning (n,)); nothing is
copied from the vegas package. The first eight come from the test suite and the examples of the reference
implementation (gplepage/vegas, 6.4.x: tests/test_vegas.py and examples/), the file each one comes from is named in
its comment; the last four are hard cases added here (narrow Gaussians in 4, 6 and 8 dimensions and a
discontinuity). Exact values are closed forms (products of error functions) or, for the ridge, a 1-D Gauss-Legendre
quadrature of a smooth closed-form integrand, accurate to ~1e-15 relative.
"""
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.special import erf, ndtr

__all__ = ["Case", "CASES", "case_names", "get_cases"]


@dataclass(frozen=True)
class Case:
    name: str
    bounds: tuple           # ((low, high), ...) per dimension
    f: Callable             # f(X[n, dim]) -> [n]
    exact: float
    source: str             # where it comes from
    note: str = ""
    tags: tuple = field(default_factory=tuple)

    @property
    def dim(self):
        return len(self.bounds)


def _gauss_1d(c, lo=0.0, hi=1.0, k=100.0):
    """int_lo^hi exp(-k (x - c)^2) dx."""
    s = math.sqrt(k)
    return 0.5 * math.sqrt(math.pi / k) * (math.erf(s * (hi - c)) - math.erf(s * (lo - c)))


def _normal_mass(c, sigma, lo=0.0, hi=1.0):
    """Probability mass of N(c, sigma^2) in [lo, hi]."""
    return float(ndtr((hi - c) / sigma) - ndtr((lo - c) / sigma))


# ---------------------------------------------------------------------------------------------------------------
# 1. examples/simple.py (also tests/test_vegas.py::test_adaptive, on the unit hypercube there): 4-D Gaussian
#    exp(-100 |x - 0.5|^2) * 1013.2118364296088 on [-1, 1] x [0, 1]^3.  Exact: the constant times the product of
#    1-D Gaussian integrals (~1 - 6e-12).
_SIMPLE_NORM = 1013.2118364296088


def _simple(X):
    return np.exp(-100.0 * np.sum((X - 0.5) ** 2, axis=1)) * _SIMPLE_NORM


_SIMPLE_EXACT = _SIMPLE_NORM * _gauss_1d(0.5, -1.0, 1.0) * _gauss_1d(0.5) ** 3

# ---------------------------------------------------------------------------------------------------------------
# 2. examples/faster.py (same integrand in slow.py and fastest.py / fastest_integrand.pyx): three Gaussians
#    exp(-100 |x - c|^2) at c = 0.25, 0.5, 0.75 along the diagonal of [0, 1]^6, each normalised by the 1-D constants
#    0.17720931990702889842 (c = 0.25, 0.75) and 0.17724538509027909508 (c = 0.5) to the 6th power, averaged.
_N_AC = 0.17720931990702889842
_N_B = 0.17724538509027909508


def _faster6(X):
    a = np.exp(-100.0 * np.sum((X - 0.25) ** 2, axis=1))
    b = np.exp(-100.0 * np.sum((X - 0.50) ** 2, axis=1))
    c = np.exp(-100.0 * np.sum((X - 0.75) ** 2, axis=1))
    return ((a + c) / _N_AC ** 6 + b / _N_B ** 6) / 3.0


_FASTER6_EXACT = (2.0 * (_gauss_1d(0.25) / _N_AC) ** 6 + (_gauss_1d(0.5) / _N_B) ** 6) / 3.0

# ---------------------------------------------------------------------------------------------------------------
# 3. examples/ridge.py: the average of 1000 Gaussians (100/pi)^2 exp(-100 |x - t (1,1,1,1)|^2), t evenly spaced in
#    [0.4, 0.6], on [0, 1]^4.  Here in its continuum limit (t uniform in [0.4, 0.6]; the example's spacing 2e-4 is
#    350x smaller than the width), which has a closed form per point:
#       f(x) = (100/pi)^(d/2) / 0.2 * exp(-100 (S2 - S1^2/d)) * sqrt(pi/(100 d))/2
#              * [erf(sqrt(100 d)(0.6 - S1/d)) - erf(sqrt(100 d)(0.4 - S1/d))],   S1 = sum x, S2 = sum x^2.
#    Exact: (1/0.2) int_0.4^0.6 dt prod_d [sqrt(100/pi) int_0^1 exp(-100 (x - t)^2) dx], by Gauss-Legendre.
_RIDGE_D = 4


def _ridge(X):
    d = X.shape[1]
    s1 = X.sum(axis=1)
    perp = np.maximum(np.sum(X * X, axis=1) - s1 * s1 / d, 0.0)
    m = s1 / d
    r = math.sqrt(100.0 * d)
    line = 0.5 * math.sqrt(math.pi / (100.0 * d)) * (erf(r * (0.6 - m)) - erf(r * (0.4 - m)))
    return (100.0 / math.pi) ** (d / 2.0) / 0.2 * np.exp(-100.0 * perp) * line


def _ridge_exact(d=_RIDGE_D, n=64):
    t, w = np.polynomial.legendre.leggauss(n)
    t = 0.5 + 0.1 * t                    # [0.4, 0.6]
    w = 0.1 * w
    g = 0.5 * (erf(10.0 * (1.0 - t)) + erf(10.0 * t))   # sqrt(100/pi) int_0^1 exp(-100 (x - t)^2) dx
    return float(np.sum(w * g ** d) / 0.2)


# ---------------------------------------------------------------------------------------------------------------
# 4. examples/cfcn.c / examples/ffcn.f (used by cfcn-*.py, ffcn-*.py; output in cfcn.out): exp(-100 |x|) * 100^4 on
#    [0, 1]^4, a cusp at the corner.  Exact: 3 pi^2 / 4 (the integral over the positive orthant, 100^4 * (2 pi^2/16)
#    * 3!/100^4; the part of the orthant outside the cube has |x| > 1 and contributes < 1e-35).
def _cusp4(X):
    return np.exp(-100.0 * np.sqrt(np.sum(X * X, axis=1))) * 100.0 ** X.shape[1]


# ---------------------------------------------------------------------------------------------------------------
# 5. tests/test_vegas.py::test_scalar / test_batch: (sin^2 x0 + cos^2 x1) / pi^2 on [0, pi] x [-pi/2, pi/2].
#    Exact 1.
def _trig2(X):
    return (np.sin(X[:, 0]) ** 2 + np.cos(X[:, 1]) ** 2) / math.pi ** 2


# ---------------------------------------------------------------------------------------------------------------
# 6. tests/test_vegas.py::test_volume: the constant 2 on [-1, 1] x [0, 4].  Exact 16 (any engine should be exact up
#    to rounding, with a ~zero error bar).
def _const2(X):
    return np.full(X.shape[0], 2.0)


# ---------------------------------------------------------------------------------------------------------------
# 7. tests/test_vegas.py::test_sample: 2 x0 * 3 x1^2 * 4 x2^3 on [0, 1] x [1, 2] x [2, 3], a product of 1-D
#    polynomials.  Exact 1 * (8 - 1) * (81 - 16) = 455.
def _poly3(X):
    return 2.0 * X[:, 0] * 3.0 * X[:, 1] ** 2 * 4.0 * X[:, 2] ** 3


# ---------------------------------------------------------------------------------------------------------------
# 8. tests/test_vegas.py::test_restratify_integrator: three Gaussians exp(-100 |x - c_k|^2) at
#    c = (0.23, 0.23, 0.45), (0.39, 0.39, 0.45), (0.74, 0.74, 0.45) on [0, 1]^3, times sqrt((100/pi)^3)/3.
#    Exact: (1/3) sum_k prod_d sqrt(100/pi) int_0^1 exp(-100 (x - c_kd)^2) dx.
_R3_C = np.array([[0.23, 0.23, 0.45], [0.39, 0.39, 0.45], [0.74, 0.74, 0.45]])


def _restrat3(X):
    ans = 0.0
    for c in _R3_C:
        ans = ans + np.exp(-100.0 * np.sum((X - c) ** 2, axis=1))
    return ans * math.sqrt((100.0 / math.pi) ** 3) / 3.0


_RESTRAT3_EXACT = sum(math.prod(_gauss_1d(ci) * math.sqrt(100.0 / math.pi) for ci in c) for c in _R3_C) / 3.0


# ---------------------------------------------------------------------------------------------------------------
# Hard cases (added here).  Normalised Gaussians prod_d N(x_d; c_d, sigma): exact = prod_d (Phi((1-c)/s) - Phi(-c/s)).
def _make_gauss(centres, sigma, weights):
    centres = np.atleast_2d(np.asarray(centres, float))
    weights = np.asarray(weights, float)
    d = centres.shape[1]
    norm = (2.0 * math.pi * sigma * sigma) ** (-d / 2.0)
    k = 0.5 / (sigma * sigma)

    def f(X):
        ans = 0.0
        for w, c in zip(weights, centres):
            ans = ans + w * np.exp(-k * np.sum((X - c) ** 2, axis=1))
        return ans * norm

    exact = float(sum(w * math.prod(_normal_mass(ci, sigma) for ci in c) for w, c in zip(weights, centres)))
    return f, exact


# 9. one narrow (sigma = 0.02) off-centre Gaussian in 4-D.
_N4_C = [0.31, 0.45, 0.62, 0.70]
_narrow4, _NARROW4_EXACT = _make_gauss([_N4_C], 0.02, [1.0])
# 10. two narrow (sigma = 0.03) off-centre, off-diagonal Gaussians in 6-D, weights 0.6 / 0.4 (a separable map also
#     puts weight on the 2^6 - 2 phantom corners: the case where stratification has to help).
_N6_C = [[0.25, 0.30, 0.35, 0.30, 0.25, 0.32], [0.70, 0.66, 0.72, 0.75, 0.68, 0.64]]
_narrow6_2peak, _NARROW6_EXACT = _make_gauss(_N6_C, 0.03, [0.6, 0.4])
# 11. one narrow (sigma = 0.05) off-centre Gaussian in 8-D.
_N8_C = [0.40, 0.55, 0.45, 0.60, 0.35, 0.50, 0.65, 0.42]
_narrow8, _NARROW8_EXACT = _make_gauss([_N8_C], 0.05, [1.0])

# 12. discontinuity: the indicator of the 4-ball of radius 0.4 centred at (0.45, 0.5, 0.55, 0.5) (inside [0, 1]^4).
#     Exact: its volume pi^2 r^4 / 2.
_BALL_C = np.array([0.45, 0.50, 0.55, 0.50])
_BALL_R = 0.4


def _ball4(X):
    return (np.sum((X - _BALL_C) ** 2, axis=1) < _BALL_R * _BALL_R).astype(float)


CASES = [
    Case("gauss4d_simple", ((-1.0, 1.0),) + ((0.0, 1.0),) * 3, _simple, _SIMPLE_EXACT,
         "vegas examples/simple.py (and tests/test_vegas.py::test_adaptive)", "exp(-100|x-0.5|^2), width 0.07"),
    Case("gauss6d_3diag", ((0.0, 1.0),) * 6, _faster6, _FASTER6_EXACT,
         "vegas examples/faster.py (slow.py, fastest.py)", "3 Gaussians on the diagonal, width 0.07"),
    Case("ridge4d", ((0.0, 1.0),) * _RIDGE_D, _ridge, _ridge_exact(),
         "vegas examples/ridge.py (continuum limit of its 1000 Gaussians)", "ridge along the diagonal"),
    Case("cusp4d", ((0.0, 1.0),) * 4, _cusp4, 0.75 * math.pi ** 2,
         "vegas examples/cfcn.c, ffcn.f (cfcn-*.py, ffcn-*.py)", "exp(-100|x|) 100^4, cusp at a corner"),
    Case("trig2d", ((0.0, math.pi), (-math.pi / 2, math.pi / 2)), _trig2, 1.0,
         "vegas tests/test_vegas.py::test_scalar, test_batch", "smooth 2-D"),
    Case("const2d", ((-1.0, 1.0), (0.0, 4.0)), _const2, 16.0,
         "vegas tests/test_vegas.py::test_volume", "constant: must be exact"),
    Case("poly3d", ((0.0, 1.0), (1.0, 2.0), (2.0, 3.0)), _poly3, 455.0,
         "vegas tests/test_vegas.py::test_sample", "product of 1-D polynomials"),
    Case("gauss3d_3peak", ((0.0, 1.0),) * 3, _restrat3, _RESTRAT3_EXACT,
         "vegas tests/test_vegas.py::test_restratify_integrator", "3 Gaussians, 2 off the diagonal"),
    Case("narrow4d", ((0.0, 1.0),) * 4, _narrow4, _NARROW4_EXACT,
         "hard case (added)", "sigma 0.02, off-centre", ("hard",)),
    Case("narrow6d_2peak", ((0.0, 1.0),) * 6, _narrow6_2peak, _NARROW6_EXACT,
         "hard case (added)", "2 peaks sigma 0.03, weights 0.6/0.4", ("hard",)),
    Case("narrow8d", ((0.0, 1.0),) * 8, _narrow8, _NARROW8_EXACT,
         "hard case (added)", "sigma 0.05, off-centre", ("hard",)),
    Case("ball4d", ((0.0, 1.0),) * 4, _ball4, 0.5 * math.pi ** 2 * _BALL_R ** 4,
         "hard case (added)", "indicator of a 4-ball r=0.4 (discontinuous)", ("hard",)),
]


def case_names():
    return [c.name for c in CASES]


def get_cases(names=None):
    if not names:
        return list(CASES)
    by = {c.name: c for c in CASES}
    bad = [n for n in names if n not in by]
    if bad:
        raise SystemExit(f"unknown integrand(s) {bad}; choose from {case_names()}")
    return [by[n] for n in names]
