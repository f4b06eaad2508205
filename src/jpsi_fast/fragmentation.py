"""TMD fragmentation functions q -> J/psi (docs/physics.md §3) and the one-loop coupling (docs/physics.md §2)."""
from __future__ import annotations

import math

import numpy as np

from . import _fragmentation
from ._fragmentation import TMD_FF_NAMES
from ._validate import as_float_array, check_interval
from .params import PT_MAX, Z_MIN, Params

#: largest quark transverse momentum accepted by tmd_ff [GeV] (P_T / z at the kernels' limits)
KT_MAX = PT_MAX / Z_MIN


def _params(params) -> Params:
    if params is None:
        return Params()
    if not isinstance(params, Params):
        raise TypeError(f"params must be a jpsi_fast.Params or None, got {type(params).__name__}")
    return params

__all__ = ["alpha_s", "tmd_ff", "gluon_tmd_ff", "TMD_FF_NAMES", "GLUON_TMD_FF_NAMES"]

#: gluon FFs use the same 18 names; D1, D1LL, G1L and H1TT are non-zero at this order
GLUON_TMD_FF_NAMES = TMD_FF_NAMES


def alpha_s(mu, params: Params | None = None):
    """One-loop alpha_s(mu) = 2 pi / ((11 - 2 n_f/3) ln(mu/Lambda)), mu in GeV (> Lambda). docs/physics.md §2."""
    p = _params(params)
    mu_arr = as_float_array("mu", mu)
    check_interval("mu", mu_arr, p.lambda_qcd, None, unit="GeV (mu must exceed lambda_qcd)")
    out = _fragmentation._alpha_s(np.ascontiguousarray(mu_arr, dtype=float).ravel(), p.lambda_qcd, p.n_f)
    out = out.reshape(mu_arr.shape)
    return out if out.ndim else float(out)


def tmd_ff(name: str, z, kT, params: Params | None = None):
    """Quark -> J/psi TMD fragmentation function ``name`` (one of :data:`TMD_FF_NAMES`) at z in (0, 1) and
    quark transverse momentum k_T >= 0 [GeV], in GeV^-2, alpha_s at mu_FF (docs/physics.md §3, table). Accepted:
    1e-9 <= z < 1, 0 <= k_T <= KT_MAX = 1e15 GeV (the kernels' P_T / z range), where every FF is finite.

    D1 is averaged over the J/psi polarisation; D1LT, D1TT, G1T are the coefficients of (k_T.S)/M-type
    structures, G1L of the helicity S_L. Twelve of the eighteen vanish at this order and return zeros.
    """
    if name not in TMD_FF_NAMES:
        raise ValueError(f"name: unknown TMD FF {name!r}; allowed: {TMD_FF_NAMES}")
    p = _params(params)
    z = as_float_array("z", z)
    kT = as_float_array("kT", kT)
    check_interval("z", z, Z_MIN, 1.0, lo_open=False)
    check_interval("kT", kT, 0.0, KT_MAX, lo_open=False, hi_open=False, unit="GeV")
    zb, kb = np.broadcast_arrays(z, kT)
    out = _fragmentation._tmd_ff(TMD_FF_NAMES.index(name), np.ascontiguousarray(zb).ravel(),
                                 np.ascontiguousarray(kb).ravel(), p.M, alpha_s(p.mu_ff_value, p),
                                 p.ldme_3s1_8, p.n_c).reshape(zb.shape)
    return out if out.ndim else float(out)


def gluon_tmd_ff(name: str, params: Params | None = None) -> float:
    """Coefficient of delta(1 - z) of the gluon -> J/psi TMD FF ``name`` [GeV^-2] (docs/physics.md §3):
    D1 = D1LL = pi alpha_s O8 / (9 M^3), G1L = pi alpha_s O8 / (6 M^3), H1TT = -pi alpha_s O8 / (6 M^3),
    all others 0; alpha_s at mu_FF, O8 = <O(3S1[8])>. Not used by the SIDIS channels (leading power)."""
    if name not in GLUON_TMD_FF_NAMES:
        raise ValueError(f"name: unknown TMD FF {name!r}; allowed: {GLUON_TMD_FF_NAMES}")
    p = _params(params)
    base = math.pi * alpha_s(p.mu_ff_value, p) * p.ldme_3s1_8 / p.M ** 3
    return {"D1": base / 9.0, "D1LL": base / 9.0, "G1L": base / 6.0, "H1TT": -base / 6.0}.get(name, 0.0)
