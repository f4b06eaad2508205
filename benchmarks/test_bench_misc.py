"""pytest-benchmark cases for the PDFs (GRV94 tabulated/analytic, lhagrid1), the event sampler, the region
mapper and the dataset export:  pytest benchmarks/ --benchmark-only"""
import os
import sys

import pytest

import jpsi_fast as jf
from jpsi_fast import data

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import DOMAIN, NNPDF, domain_points  # noqa: E402

N = 1_000_000
X, _, QQ, _ = domain_points(N, seed=0)


@pytest.mark.parametrize("exact", [False, True], ids=["tabulated", "analytic"])
def test_grv94(benchmark, exact):
    pdf = jf.pdf.GRV94LO(exact=exact)
    benchmark.group = "PDF x*f, 1e6 points"
    benchmark(pdf.xfxQ, 2, X, QQ)


def test_lhagrid1(benchmark):
    if not NNPDF.exists():
        pytest.skip(f"{NNPDF} absent")
    pdf = jf.pdf.LHAGrid(NNPDF)
    benchmark.group = "PDF x*f, 1e6 points"
    benchmark(pdf.xfxQ, 2, X, QQ)


def test_lhagrid1_reference(benchmark):
    if not NNPDF.exists():
        pytest.skip(f"{NNPDF} absent")
    pdf = jf.reference.LHAGrid(str(NNPDF))
    benchmark.group = "PDF x*f, reference, 1e5 points"
    benchmark.pedantic(pdf.xfxQ, args=(2, X[:100_000], QQ[:100_000]), rounds=2)


def test_sampler(benchmark):
    xs = jf.CrossSection()
    integ = jf.Integrator(DOMAIN, seed=0)
    integ.sample(xs, 1000)                     # adapt the map once
    benchmark.group = "unweighted events, 1e5"
    ev = benchmark.pedantic(integ.sample, args=(xs, 100_000), rounds=3)
    benchmark.extra_info["efficiency"] = ev.efficiency


def test_region_mapper(benchmark):
    xs = jf.CrossSection()
    benchmark.group = "RegionMapper.fit, 4000 labels"
    rm = benchmark.pedantic(
        lambda: jf.RegionMapper(xs, batch_size=1000, budget=4000, seed=0, strategy="active").fit(), rounds=1)
    benchmark.extra_info["val_accuracy"] = rm.history[-1]["val_accuracy"]


def test_dataset_export(benchmark, tmp_path):
    xs = jf.CrossSection()
    benchmark.group = "dataset 25x25x25x75 -> Parquet"
    s = benchmark.pedantic(data.write_dataset, args=(tmp_path / "g.parquet", xs), rounds=3)
    assert s["rows"] == 1_171_875
