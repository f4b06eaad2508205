"""GRV94 LO parton distributions (Glueck, Reya, Vogt, Z. Phys. C67 (1995) 433),
analytic, as specified in docs/physics.md §6.  All functions return x*f(x, Q^2).

Validity: 1e-5 <~ x < 1, 0.4 <~ Q^2 <~ 1e6 GeV^2 (not enforced beyond 0 < x <= 1, Q^2 > 0).
"""

import math

import numpy as np

MU0_SQ = 0.23        # GeV^2, input scale mu_0^2
LAMBDA_GRV = 0.2322  # GeV

# Each parameter is a polynomial in s: {power: coefficient} (power 0.5 means sqrt(s)).
# Transcribed from grv94lo.json (docs/physics.md §6); tests/test_reference.py checks it.
GRV94LO_COEFFICIENTS = {
    "uv": ("valence", {
        "N": {0: 2.284, 1: 0.802, 2: 0.055},
        "a": {0: 0.59, 1: -0.024},
        "b": {0: 0.131, 1: 0.063},
        "A": {0: -0.449, 1: -0.138, 2: -0.076},
        "B": {0: 0.213, 1: 2.669, 2: -0.728},
        "C": {0: 8.854, 1: -9.135, 2: 1.979},
        "D": {0: 2.997, 1: 0.753, 2: -0.076},
    }),
    "dv": ("valence", {
        "N": {0: 0.371, 1: 0.083, 2: 0.039},
        "a": {0: 0.376},
        "b": {0: 0.486, 1: 0.062},
        "A": {0: -0.509, 1: 3.31, 2: -1.248},
        "B": {0: 12.41, 1: -10.52, 2: 2.267},
        "C": {0: 6.373, 1: -6.208, 2: 1.418},
        "D": {0: 3.691, 1: 0.799, 2: -0.071},
    }),
    "udbar": ("sea_gluon", {
        "alpha": {0: 1.451},
        "beta": {0: 0.271},
        "a": {0: 0.41, 1: -0.232},
        "b": {0: 0.534, 1: -0.457},
        "A": {0: 0.89, 1: -0.14},
        "B": {0: -0.981},
        "C": {0: 0.32, 1: 0.683},
        "D": {0: 4.752, 1: 1.164, 2: 0.286},
        "E": {0: 4.119, 1: 1.713},
        "Eprime": {0: 0.682, 1: 2.978},
    }),
    "delta": ("valence", {
        "N": {0: 0.082, 1: 0.014, 2: 0.008},
        "a": {0: 0.409, 1: -0.005},
        "b": {0: 0.799, 1: 0.071},
        "A": {0: -38.07, 1: 36.13, 2: -0.656},
        "B": {0: 90.31, 1: -74.15, 2: 7.645},
        "C": {0: 0.0},
        "D": {0: 7.486, 1: 1.217, 2: -0.159},
    }),
    "sbar": ("heavy", {
        "s_threshold": {0: 0.0},
        "alpha": {0: 0.914},
        "beta": {0: 0.577},
        "a": {0: 1.798, 1: -0.596},
        "A": {0: -5.548, 0.5: 3.669, 1: -0.616},
        "B": {0: 18.92, 0.5: -16.73, 1: 5.168},
        "D": {0: 6.379, 1: -0.35, 2: 0.142},
        "E": {0: 3.981, 1: 1.638},
        "Eprime": {0: 6.402},
    }),
    "cbar": ("heavy", {
        "s_threshold": {0: 0.888},
        "alpha": {0: 1.01},
        "beta": {0: 0.37},
        "a": {0: 0.0},
        "A": {0: 0.0},
        "B": {0: 4.24, 1: -0.804},
        "D": {0: 3.46, 1: -1.076},
        "E": {0: 4.61, 1: 1.49},
        "Eprime": {0: 2.555, 1: 1.961},
    }),
    "bbar": ("heavy", {
        "s_threshold": {0: 1.351},
        "alpha": {0: 1.0},
        "beta": {0: 0.51},
        "a": {0: 0.0},
        "A": {0: 0.0},
        "B": {0: 1.848},
        "D": {0: 2.929, 1: 1.396},
        "E": {0: 4.71, 1: 1.514},
        "Eprime": {0: 4.02, 1: 1.239},
    }),
    "g": ("sea_gluon", {
        "alpha": {0: 0.524},
        "beta": {0: 1.088},
        "a": {0: 1.742, 1: -0.93},
        "b": {2: -0.399},
        "A": {0: 7.486, 1: -2.185},
        "B": {0: 16.69, 1: -22.74, 2: 5.779},
        "C": {0: -25.59, 1: 29.71, 2: -7.296},
        "D": {0: 2.792, 1: 2.215, 2: 0.422, 3: -0.104},
        "E": {0: 0.807, 1: 2.005},
        "Eprime": {0: 3.841, 1: 0.316},
    }),
}


def grv_s(Q2):
    """Evolution variable s = ln[ln(Q^2/Lambda^2) / ln(mu0^2/Lambda^2)] (0 for Q^2 <= mu0^2)."""
    Q2 = np.asarray(Q2, dtype=float)
    L2 = LAMBDA_GRV**2
    s = np.log(np.log(np.maximum(Q2, MU0_SQ) / L2) / math.log(MU0_SQ / L2))
    return np.where(Q2 <= MU0_SQ, 0.0, s)


def _poly(coeffs, s):
    """sum_p c_p s^p for the {p: c_p} dictionary."""
    return sum(c * s**p for p, c in coeffs.items())


def _valence(P, x, s):
    """N x^a (1 + A x^b + x (B + C sqrt(x))) (1-x)^D."""
    N, a, b, A, B, C, D = (_poly(P[k], s) for k in ("N", "a", "b", "A", "B", "C", "D"))
    return N * x**a * (1.0 + A * x**b + x * (B + C * np.sqrt(x))) * (1.0 - x)**D


def _sea_gluon(P, x, s):
    """[x^a (A + B x + C x^2) (ln 1/x)^b + s^alpha exp(-E + sqrt(E' s^beta ln 1/x))] (1-x)^D."""
    alpha, beta, a, b, A, B, C, D, E, Ep = (
        _poly(P[k], s) for k in ("alpha", "beta", "a", "b", "A", "B", "C", "D", "E", "Eprime"))
    lx = np.log(1.0 / x)
    return ((x**a * (A + B * x + C * x**2) * lx**b
             + s**alpha * np.exp(-E + np.sqrt(Ep * s**beta * lx))) * (1.0 - x)**D)


def _heavy(P, x, s):
    """(s - s_th)^alpha / (ln 1/x)^a (1 + A sqrt(x) + B x) (1-x)^D exp(-E + sqrt(E' s^beta ln 1/x)),
    zero for s <= s_th."""
    s_th, alpha, beta, a, A, B, D, E, Ep = (
        _poly(P[k], s) for k in ("s_threshold", "alpha", "beta", "a", "A", "B", "D", "E", "Eprime"))
    lx = np.log(1.0 / x)
    above = s > s_th
    ds = np.where(above, s - s_th, 1.0)  # placeholder below threshold (result masked to 0)
    value = (ds**alpha / lx**a * (1.0 + A * np.sqrt(x) + B * x) * (1.0 - x)**D
             * np.exp(-E + np.sqrt(Ep * s**beta * lx)))
    return np.where(above, value, 0.0)


_FORMS = {"valence": _valence, "sea_gluon": _sea_gluon, "heavy": _heavy}


def grv94lo_component(name, x, Q2):
    """x * (GRV94 LO component ``name``) for name in uv, dv, udbar (= x(ubar+dbar)), delta
    (= x(dbar-ubar)), sbar, cbar, bbar, g.  x < 1 strictly."""
    form, P = GRV94LO_COEFFICIENTS[name]
    return _FORMS[form](P, x, grv_s(Q2))


class GRV94LO:
    """Analytic GRV94 LO PDFs (docs/physics.md §6).  xfxQ2 / xfxQ return x*f.

    PDG ids: 1..5 = d u s c b, negative = antiquarks, 21 (or 0) = gluon; t, tbar (+-6) give 0.
    ubar = (udbar - delta)/2, dbar = (udbar + delta)/2, u = uv + ubar, d = dv + dbar,
    s = sbar, c = cbar, b = bbar.
    """

    def xfxQ2(self, pid, x, Q2):
        """x * f_pid(x, Q^2); x in (0, 1], Q2 [GeV^2] > 0; numpy broadcasting.  x = 1 gives 0."""
        pid = int(pid)
        x, Q2 = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(Q2, dtype=float))
        if not np.all((x > 0.0) & (x <= 1.0)):
            raise ValueError("x must satisfy 0 < x <= 1")
        if not np.all(Q2 > 0.0):
            raise ValueError("Q2 must be > 0")
        if pid not in (-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 21):
            raise ValueError(f"unknown PDG id {pid}")
        inside = x < 1.0
        xs = np.where(inside, x, 0.5)  # x = 1: every form has a (1-x)^D factor -> 0
        result = self._xf(pid, xs, Q2)
        return np.where(inside, result, 0.0)[()]

    def xfxQ(self, pid, x, Q):
        """x * f_pid(x, Q) with Q in GeV (= xfxQ2(pid, x, Q*Q))."""
        Q = np.asarray(Q, dtype=float)
        return self.xfxQ2(pid, x, Q * Q)

    @staticmethod
    def _xf(pid, x, Q2):
        c = lambda name: grv94lo_component(name, x, Q2)  # noqa: E731
        if pid in (0, 21):
            return c("g")
        if pid in (6, -6):
            return np.zeros(np.shape(x))
        ubar = 0.5 * (c("udbar") - c("delta"))
        dbar = 0.5 * (c("udbar") + c("delta"))
        if pid == -2:
            return ubar
        if pid == -1:
            return dbar
        if pid == 2:
            return c("uv") + ubar
        if pid == 1:
            return c("dv") + dbar
        if pid in (3, -3):
            return c("sbar")
        if pid in (4, -4):
            return c("cbar")
        return c("bbar")  # pid = +-5
