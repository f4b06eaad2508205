"""pytest-benchmark suite for the kernels:  pytest benchmarks/ --benchmark-only

Throughput of CrossSection.evaluate on 10^6 default-domain points (all channels, states U and L),
collinear and Gaussian, 1 and 2 threads, and the NumPy reference on 10^5 (collinear) / 500 (Gaussian)
of the same points. Compare the groups' means per point (pytest-benchmark's table), or run
``python benchmarks/bench_kernels.py`` for the ratio table.
"""
import os
import sys

import pytest

import jpsi_fast as jf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import domain_points  # noqa: E402

N = 1_000_000
PTS = domain_points(N, seed=0)


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("mode", ["collinear", "gaussian"])
def test_evaluate_1e6(benchmark, mode, n_threads):
    xs = jf.CrossSection(jf.Params(tmd_pdf=mode))
    benchmark.group = f"evaluate {mode}, 1e6 points"
    r = benchmark(xs.evaluate, *PTS, states=("U", "L"), n_threads=n_threads)
    assert r.values.shape == (4, 2, N)


@pytest.mark.parametrize("mode, m", [("collinear", 100_000), ("gaussian", 500)])
def test_reference(benchmark, mode, m):
    p = jf.Params(tmd_pdf=mode)
    sub = tuple(a[:m] for a in PTS)
    benchmark.group = f"reference {mode}, {m} points"
    r = benchmark.pedantic(jf.reference.evaluate, args=sub, kwargs=dict(params=p, states=("U", "L")), rounds=2)
    assert r.values.shape == (4, 2, m)


@pytest.mark.parametrize("exact", [False, True])
def test_grv94_partons_1e6(benchmark, exact):
    pdf = jf.pdf.GRV94LO(exact=exact)
    benchmark.group = "GRV94 gluon x*f, 1e6 points"
    benchmark(pdf.xfxQ, 21, PTS[0], PTS[2])
