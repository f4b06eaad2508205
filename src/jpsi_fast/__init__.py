"""jpsi_fast: J/psi production in semi-inclusive DIS (quark fragmentation and photon-gluon fusion,
NRQCD + TMD factorisation) with compiled, OpenMP-parallel kernels.

Quick start::

    import jpsi_fast as jf
    xs = jf.CrossSection()                       # default Params(), tabulated GRV94 LO
    r = xs.evaluate(0.2, 0.3, 12.0, 0.5)         # x, z, Q [GeV], P_T [GeV]
    r["ff", "U"], r.fractions("U"), r.dominant("U")

Units: dsigma/(dx dQ^2 dz dP_T^2) in pb/GeV^4. Formulas: SPEC sections 3-6 (see README).
"""
from . import pdf
from ._openmp_helpers import max_threads, openmp_enabled, resolve_n_threads
from .fragmentation import GLUON_TMD_FF_NAMES, TMD_FF_NAMES, alpha_s, gluon_tmd_ff, tmd_ff
from .params import GEV2_TO_PB, Params
from .xsec import CHANNELS, STATES, CrossSection, Result
from .integrate import Bin, Domain, Events, Histogram, IntegrationResult, Integrator, standard_bins
from .regions import RegionMapper

__version__ = "0.1.0"

__all__ = ["Params", "CrossSection", "Result", "CHANNELS", "STATES", "alpha_s", "tmd_ff", "gluon_tmd_ff",
           "TMD_FF_NAMES", "GLUON_TMD_FF_NAMES", "GEV2_TO_PB", "pdf", "reference", "openmp_enabled",
           "max_threads", "resolve_n_threads", "Domain", "Bin", "standard_bins", "Integrator", "IntegrationResult",
           "Histogram", "Events", "RegionMapper", "__version__"]


def __getattr__(name):
    # the NumPy/SciPy reference implementation is imported on first use (keeps SciPy out of `import jpsi_fast`)
    if name == "reference":
        import importlib
        return importlib.import_module(".reference", __name__)
    raise AttributeError(f"module 'jpsi_fast' has no attribute {name!r}")
