"""Shared fixtures: paths to ../shared test data and random phase-space points."""
import os
from pathlib import Path

import numpy as np
import pytest

#: ../shared beside the checkout (SPEC, GRV94 JSON, LHAPDF grid used as test data); may be absent
SHARED = Path(os.environ.get("JPSI_FAST_SHARED", Path(__file__).resolve().parents[2] / "shared"))
NNPDF = SHARED / "pdfsets" / "NNPDF31_lo_as_0118_0000.dat"


@pytest.fixture
def nnpdf_path():
    if not NNPDF.exists():
        pytest.skip(f"LHAPDF test grid {NNPDF} absent (../shared is not beside the checkout)")
    return NNPDF


def random_points(n, seed, wide=False):
    """n points (x, z, Q, PT): the SPEC 7 default domain, or (wide=True) a region well beyond it,
    including y > 1, z near 1, P_T = 0 and large P_T."""
    rng = np.random.default_rng(seed)
    if not wide:
        return (rng.uniform(0.1, 0.99, n), rng.uniform(0.1, 0.8, n), rng.uniform(10, 50, n), rng.uniform(0, 6, n))
    x = 10 ** rng.uniform(-3, np.log10(0.999), n)
    z = np.concatenate([rng.uniform(0.02, 0.98, n - n // 5), 1 - 10 ** rng.uniform(-4, -1.5, n // 5)])
    Q = 10 ** rng.uniform(0, np.log10(150), n)
    PT = rng.uniform(0, 10, n)
    PT[::17] = 0.0
    rng.shuffle(z)
    return x, z, Q, PT
