"""pytest-benchmark cases for the PDFs (GRV94 tabulated/analytic, lhagrid1), the event sampler, the region
mapper and the dataset export:  pytest benchmarks/ --benchmark-only"""
import os
from pathlib import Path

import numpy as np
import pytest

import jpsi_fast as jf
from jpsi_fast import data

N = 1_000_000
rng = np.random.default_rng(0)
X, QQ = rng.uniform(0.1, 0.99, N), rng.uniform(10, 50, N)
NNPDF = Path(os.environ.get("JPSI_FAST_SHARED", Path(__file__).resolve().parents[2] / "shared")) / \
    "pdfsets" / "NNPDF31_lo_as_0118_0000.dat"


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
    integ = jf.Integrator(jf.Domain(), seed=0)
    integ.sample(xs, 1000)                     # adapt the map once
    benchmark.group = "unweighted events, 1e5"
    ev = benchmark.pedantic(integ.sample, args=(xs, 100_000), rounds=3)
    benchmark.extra_info["efficiency"] = ev.efficiency


def test_region_mapper(benchmark):
    xs = jf.CrossSection()
    benchmark.group = "RegionMapper.fit, 4000 labels"
    rm = benchmark.pedantic(lambda: jf.RegionMapper(xs, batch_size=1000, budget=4000, seed=0).fit(), rounds=1)
    benchmark.extra_info["val_accuracy"] = rm.history[-1]["val_accuracy"]


def test_dataset_export(benchmark, tmp_path):
    xs = jf.CrossSection()
    benchmark.group = "dataset 25x25x25x75 -> Parquet"
    s = benchmark.pedantic(data.write_dataset, args=(tmp_path / "g.parquet", xs), rounds=3)
    assert s["rows"] == 1_171_875
