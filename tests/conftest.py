"""Shared fixtures: paths to ../shared test data and random phase-space points.

Tests that read ../shared (the NNPDF3.1 LO member, the GRV94 JSON, the GRSV 2000 grids) are marked
``@pytest.mark.shared("relative/path")`` or call :func:`shared_path`: without the folder they are skipped with a
reason starting "needs ../shared", and the summary counts them; with JPSI_FAST_REQUIRE_SHARED=1 (set by .ci/run
when ../shared exists) a missing file fails the test instead.
"""
import os
from pathlib import Path

import numpy as np
import pytest

#: ../shared beside the checkout (SPEC, GRV94 JSON, LHAPDF and GRSV grids used as test data); may be absent
SHARED = Path(os.environ.get("JPSI_FAST_SHARED", Path(__file__).resolve().parents[2] / "shared"))
NNPDF = SHARED / "pdfsets" / "NNPDF31_lo_as_0118_0000.dat"
REQUIRE_SHARED = os.environ.get("JPSI_FAST_REQUIRE_SHARED", "") == "1"
SHARED_REASON = "needs ../shared test data"


def shared_path(rel) -> Path:
    """SHARED / rel, or skip (fail with JPSI_FAST_REQUIRE_SHARED=1) when it is absent."""
    p = SHARED / rel
    if not p.exists():
        msg = f"{SHARED_REASON}: {p} absent (put the project's shared/ folder beside the checkout or set " \
              "JPSI_FAST_SHARED)"
        if REQUIRE_SHARED:
            pytest.fail(msg)
        pytest.skip(msg)
    return p


def pytest_configure(config):
    config.addinivalue_line("markers", "shared(path): the test reads this file of ../shared")


def pytest_runtest_setup(item):
    for mark in item.iter_markers("shared"):
        for rel in mark.args:
            shared_path(rel)


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    n = sum(1 for r in skipped if SHARED_REASON in str(r.longrepr))
    if n:
        terminalreporter.write_line(f"{n} tests skipped because ../shared (test data) is absent at {SHARED}; "
                                    "CI (.ci/run) requires them when the folder exists", yellow=True)


@pytest.fixture
def nnpdf_path():
    return shared_path("pdfsets/NNPDF31_lo_as_0118_0000.dat")


def random_points(n, seed, wide=False):
    """n points (x, z, Q, PT): the docs/physics.md §7 default domain, or (wide=True) a region well beyond it,
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
