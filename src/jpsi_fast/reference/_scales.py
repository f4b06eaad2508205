"""Scale variations (docs/physics.md §10.2), evaluated directly: every channel is recomputed
with the varied scales (no rescaling shortcut).

    mu_FF  = xi_R * mu_FF(central)   (central: params.mu_ff, None -> M)   alpha_s^2 of the ff channel
    mu_PGF = xi_R * params.mu_pgf    (central 30 GeV)   alpha_s^1 octets, alpha_s^2 singlet
    mu_F   = xi_F * mu_f_factor * Q  (central Q)        every PDF
The kinematic Q (y, sigma0, 1/Q^6, ...) is unchanged.
"""

import dataclasses

import numpy as np

from ._grv94 import GRV94LO
from ._params import DEFAULTS, get_param, mu_ff_value
from ._xsec import _check_inputs, evaluate, resolve_pdf

#: (xi_R, xi_F) lists, the central (1, 1) first
SCALE_VARIATIONS = {
    "3-point": [(1.0, 1.0), (0.5, 0.5), (2.0, 2.0)],
    "7-point": [(1.0, 1.0), (2.0, 2.0), (0.5, 0.5), (2.0, 1.0), (1.0, 2.0), (0.5, 1.0), (1.0, 0.5)],
}

#: GRV94 LO validity: Q^2 >= 0.4 GeV^2 (docs/physics.md §6)
GRV94_MIN_Q2 = 0.4


def scaled_params(xi_R, xi_F, params=None):
    """Reference Params with mu_ff = xi_R * mu_ff(central), mu_pgf = xi_R * mu_pgf,
    mu_f_factor = xi_F * mu_f_factor; every other field copied from ``params``."""
    xi_R, xi_F = float(xi_R), float(xi_F)
    if not (xi_R > 0 and xi_F > 0):
        raise ValueError("xi_R and xi_F must be > 0")
    base = {f.name: get_param(params, f.name) for f in dataclasses.fields(DEFAULTS)}
    base["mu_ff"] = xi_R * mu_ff_value(params)
    base["mu_pgf"] = xi_R * get_param(params, "mu_pgf")
    base["mu_f_factor"] = xi_F * get_param(params, "mu_f_factor")
    return dataclasses.replace(DEFAULTS, **base)


def evaluate_scale_variation(x, z, Q, PT, xi_R, xi_F, params=None, pdf=None, channels=None,
                             states=("U", "L", "T")):
    """``evaluate`` with the scales of docs/physics.md §10.2 varied by (xi_R, xi_F); same arguments and
    ReferenceResult layout.  For GRV94 the PDF scale must satisfy (xi_F Q)^2 >= 0.4 GeV^2 at
    the physical points (ValueError otherwise); an LHAPDF grid raises outside its range."""
    p = scaled_params(xi_R, xi_F, params)
    pdf = resolve_pdf(pdf)
    if isinstance(pdf, GRV94LO):
        xa, _, Qa, _ = _check_inputs(x, z, Q, PT)
        physical = Qa**2 / (xa * get_param(p, "sqrt_s") ** 2) <= 1.0
        mu_F = p.mu_f_factor * Qa[physical]
        if np.any(mu_F**2 < GRV94_MIN_Q2):
            raise ValueError(f"xi_F * Q below the GRV94 validity (mu_F^2 >= {GRV94_MIN_Q2} GeV^2)")
    return evaluate(x, z, Q, PT, params=p, pdf=pdf, channels=channels, states=states)


def scale_band(values_by_variation):
    """Envelope over a scale-variation set: returns (central, minimum, maximum).

    values_by_variation: a sequence of arrays (the central (1, 1) first, as SCALE_VARIATIONS),
    or a dict {(xi_R, xi_F): array} that contains (1, 1).  min/max are element-wise over all
    variations, the central included.
    """
    if isinstance(values_by_variation, dict):
        central_key = next((k for k in values_by_variation if tuple(map(float, k)) == (1.0, 1.0)), None)
        if central_key is None:
            raise ValueError("the dict of variations must contain the central (1, 1)")
        central = np.asarray(values_by_variation[central_key], dtype=float)
        stack = np.stack([np.asarray(v, dtype=float) for v in values_by_variation.values()])
    else:
        arrays = [np.asarray(v, dtype=float) for v in values_by_variation]
        if not arrays:
            raise ValueError("no variations given")
        central = arrays[0]
        stack = np.stack(arrays)
    return central, stack.min(axis=0), stack.max(axis=0)
