"""Pure NumPy/SciPy reference implementation (test oracle) of jpsi_fast.

Written directly from the physics specification (SPEC.md); imports nothing from the rest
of jpsi_fast.  Units: GeV; cross sections dsigma/(dx dQ^2 dz dP_T^2) in pb/GeV^4.

Public API
----------
DEFAULTS, Params, make_params     parameters (SPEC section 2)
alpha_s(mu, params=None)          one-loop alpha_s
TMD_FF_NAMES, tmd_ff, gluon_tmd_ff    fragmentation functions (SPEC section 3)
GRV94LO, LHAGrid                  parton distributions (SPEC section 6)
evaluate, ReferenceResult, CHANNELS, STATES   cross sections (SPEC sections 4, 5)
"""

from ._ff import TMD_FF_NAMES, gluon_tmd_ff, tmd_ff
from ._grv94 import GRV94LO
from ._lhagrid import LHAGrid
from ._params import DEFAULTS, GEV2_TO_PB, Params, alpha_s, make_params
from ._xsec import CHANNELS, STATES, ReferenceResult, evaluate, ff_kernels, resolve_pdf

__all__ = [
    "DEFAULTS", "Params", "make_params", "GEV2_TO_PB", "alpha_s",
    "TMD_FF_NAMES", "tmd_ff", "gluon_tmd_ff",
    "GRV94LO", "LHAGrid",
    "CHANNELS", "STATES", "ReferenceResult", "evaluate", "ff_kernels", "resolve_pdf",
]
