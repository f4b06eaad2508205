"""jpsi_fast: J/psi production in semi-inclusive DIS (quark fragmentation and photon-gluon fusion,
NRQCD + TMD factorisation) with compiled, OpenMP-parallel kernels.

Quick start::

    import jpsi_fast as jf
    xs = jf.CrossSection()                       # default Params(), tabulated GRV94 LO
    r = xs.evaluate(0.2, 0.3, 12.0, 0.5)         # x, z, Q [GeV], P_T [GeV]
    r["ff", "U"], r.fractions("U"), r.dominant("U")

Units: dsigma/(dx dQ^2 dz dP_T^2) in pb/GeV^4. Formulas: docs/physics.md §3-6.

Every public name is imported on first use (PEP 562): ``import jpsi_fast`` is instant and pulls neither the
compiled modules nor the optional dependencies (SciPy for the reference, scikit-learn for the region maps,
matplotlib for figures, pyarrow for datasets) until they are needed.
"""
__version__ = "0.1.0"

#: public name -> (submodule, attribute; None for the submodule itself)
_EXPORTS = {
    "Params": ("params", "Params"), "Beams": ("params", "Beams"), "Acceptance": ("integrate", "Acceptance"),
    "EventGenerator": ("events", "EventGenerator"), "write_events": ("events", "write_events"),
    "events": ("events", None), "histograms": ("histograms", None),
    "GEV2_TO_PB": ("params", "GEV2_TO_PB"), "LDME_SETS": ("params", "LDME_SETS"),
    "CrossSection": ("xsec", "CrossSection"), "Result": ("xsec", "Result"),
    "CHANNELS": ("components", "CHANNELS"), "STATES": ("components", "STATES"), "Layout": ("components", "Layout"),
    "alpha_s": ("fragmentation", "alpha_s"), "tmd_ff": ("fragmentation", "tmd_ff"),
    "gluon_tmd_ff": ("fragmentation", "gluon_tmd_ff"), "TMD_FF_NAMES": ("fragmentation", "TMD_FF_NAMES"),
    "GLUON_TMD_FF_NAMES": ("fragmentation", "GLUON_TMD_FF_NAMES"),
    "openmp_enabled": ("_openmp_helpers", "openmp_enabled"), "max_threads": ("_openmp_helpers", "max_threads"),
    "resolve_n_threads": ("_openmp_helpers", "resolve_n_threads"),
    "Domain": ("integrate", "Domain"), "Bin": ("integrate", "Bin"), "standard_bins": ("integrate", "standard_bins"),
    "Integrator": ("integrate", "Integrator"), "IntegrationResult": ("integrate", "IntegrationResult"),
    "Estimate": ("integrate", "Estimate"), "Histogram": ("histograms", "Histogram"), "Events": ("integrate", "Events"),
    "Integrand": ("_integrand", "Integrand"), "CallableIntegrand": ("_integrand", "CallableIntegrand"),
    "RegionMapper": ("regions", "RegionMapper"),
    "Variations": ("variations", "Variations"), "variations": ("variations", None),
    "components": ("components", None), "pdf": ("pdf", None), "reference": ("reference", None),
    "regions": ("regions", None), "data": ("data", None), "plotting": ("plotting", None),
    "params": ("params", None), "scan": ("distributed", "scan"), "distributed": ("distributed", None),
}

__all__ = sorted(set(_EXPORTS) | {"get_include", "__version__"})


def get_include() -> str:
    """Directory to add to Cython's include path to ``cimport jpsi_fast._integrand`` (and the other .pxd files)
    in your own extension modules (see examples/user_integrand)."""
    import os
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def __getattr__(name):
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'jpsi_fast' has no attribute {name!r}") from None
    import importlib
    mod = importlib.import_module(f".{module}", __name__)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value                  # later look-ups are plain attribute reads
    return value


def __dir__():
    return __all__
