"""Pure NumPy/SciPy reference implementation (test oracle) of jpsi_fast.

Written directly from the physics specification (docs/physics.md); imports nothing from the rest
of jpsi_fast.  Units: GeV; cross sections dsigma/(dx dQ^2 dz dP_T^2) in pb/GeV^4.

Public API
----------
DEFAULTS, Params, make_params     parameters (docs/physics.md §2; w_g1, mu_f_factor: 10.2, 11)
alpha_s(mu, params=None)          one-loop alpha_s
TMD_FF_NAMES, tmd_ff, gluon_tmd_ff    fragmentation functions (docs/physics.md §3)
GRV94LO, LHAGrid                  parton distributions (docs/physics.md §6)
evaluate, ReferenceResult, CHANNELS, STATES   cross sections (docs/physics.md §4, §5)

LDME_SETS, LDME_SET_UNCERTAINTIES, ldme_set_half_width, ldme_set_params   LDME sets (10.1)
SCALE_VARIATIONS, evaluate_scale_variation, scale_band, scaled_params     scales (10.2)
pdf_uncertainty, pdf_correlation, PDFUncertainty, read_info, CL_1SIGMA    PDF errors (10.3)
GRSV2000, clamp_positivity                                  helicity PDFs (11)
polarized_structure_functions, polarized_cross_section,
double_spin_asymmetry, state_sum, depolarization, HELICITIES   polarized beams (11)
density_matrix, lambdas, sum_density_matrices               spin density matrix (12)
ff_convolution, ff_combination                              R_{n,p} Gaussian convolutions (12)
"""

from ._density import density_matrix, lambdas, sum_density_matrices
from ._ff import TMD_FF_NAMES, gluon_tmd_ff, tmd_ff
from ._gaussconv import ff_combination, ff_convolution
from ._grsv2000 import GRSV2000, clamp_positivity
from ._grv94 import GRV94LO
from ._lhagrid import LHAGrid
from ._ldme import LDME_SET_UNCERTAINTIES, LDME_SETS, ldme_set_half_width, ldme_set_params
from ._params import DEFAULTS, GEV2_TO_PB, Params, alpha_s, make_params
from ._polarized import (HELICITIES, depolarization, double_spin_asymmetry, polarized_cross_section,
                         polarized_structure_functions, state_sum)
from ._scales import SCALE_VARIATIONS, evaluate_scale_variation, scale_band, scaled_params
from ._uncertainty import CL_1SIGMA, PDFUncertainty, pdf_correlation, pdf_uncertainty, read_info
from ._xsec import CHANNELS, STATES, ReferenceResult, evaluate, ff_kernels, resolve_pdf

__all__ = [
    "DEFAULTS", "Params", "make_params", "GEV2_TO_PB", "alpha_s",
    "TMD_FF_NAMES", "tmd_ff", "gluon_tmd_ff",
    "GRV94LO", "LHAGrid",
    "CHANNELS", "STATES", "ReferenceResult", "evaluate", "ff_kernels", "resolve_pdf",
    "LDME_SETS", "LDME_SET_UNCERTAINTIES", "ldme_set_half_width", "ldme_set_params",
    "SCALE_VARIATIONS", "evaluate_scale_variation", "scale_band", "scaled_params",
    "pdf_uncertainty", "pdf_correlation", "PDFUncertainty", "read_info", "CL_1SIGMA",
    "GRSV2000", "clamp_positivity",
    "polarized_structure_functions", "polarized_cross_section", "double_spin_asymmetry",
    "state_sum", "depolarization", "HELICITIES",
    "density_matrix", "lambdas", "sum_density_matrices",
    "ff_convolution", "ff_combination",
]
