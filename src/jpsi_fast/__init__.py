"""jpsi_fast: J/psi production in semi-inclusive DIS (quark fragmentation and photon-gluon fusion,
NRQCD + TMD factorisation) with compiled, OpenMP-parallel kernels.

Quick start::

    import jpsi_fast as jf
    xs = jf.CrossSection()                       # default Params(), tabulated GRV94 LO
    r = xs.evaluate(0.2, 0.3, 12.0, 0.5)         # x, z, Q [GeV], P_T [GeV]
    r["ff", "U"], r.fractions("U"), r.dominant("U")

Units: dsigma/(dx dQ^2 dz dP_T^2) in pb/GeV^4. Formulas: docs/physics.md §3-6.
"""
from . import components, pdf
from ._integrand import CallableIntegrand, Integrand
from ._openmp_helpers import max_threads, openmp_enabled, resolve_n_threads
from .components import CHANNELS, STATES, Layout
from .fragmentation import GLUON_TMD_FF_NAMES, TMD_FF_NAMES, alpha_s, gluon_tmd_ff, tmd_ff
from .params import GEV2_TO_PB, Params
from .xsec import CrossSection, Result
from .integrate import Bin, Domain, Estimate, Events, Histogram, IntegrationResult, Integrator, standard_bins

__version__ = "0.1.0"


def get_include() -> str:
    """Directory to add to Cython's include path to ``cimport jpsi_fast._integrand`` (and the other .pxd files)
    in your own extension modules (see examples/user_integrand)."""
    import os
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

__all__ = ["Params", "CrossSection", "Result", "CHANNELS", "STATES", "Layout", "components", "alpha_s", "tmd_ff",
           "gluon_tmd_ff", "TMD_FF_NAMES", "GLUON_TMD_FF_NAMES", "GEV2_TO_PB", "pdf", "reference", "openmp_enabled",
           "max_threads", "resolve_n_threads", "Domain", "Bin", "standard_bins", "Integrator", "IntegrationResult",
           "Estimate", "Histogram", "Events", "Integrand", "CallableIntegrand", "RegionMapper", "data", "plotting",
           "get_include", "__version__"]

#: submodules imported on first use: they pull optional dependencies (SciPy for the reference, scikit-learn for
#: the region maps, matplotlib for figures, pyarrow for datasets) that ``import jpsi_fast`` must not need
_LAZY = {"reference": ".reference", "regions": ".regions", "data": ".data", "plotting": ".plotting",
         "RegionMapper": ".regions"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        module = importlib.import_module(_LAZY[name], __name__)
        return getattr(module, name) if name == "RegionMapper" else module
    raise AttributeError(f"module 'jpsi_fast' has no attribute {name!r}")
