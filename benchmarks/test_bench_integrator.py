"""pytest-benchmark suite for the integrator:  pytest benchmarks/ --benchmark-only

Wall time to reach 5e-4 relative error on total sigma_U in the default domain (5 warm-up iterations of
NEVAL evaluations, then iterations of NEVAL combined by an inverse-variance weighted average until the
target): jpsi_fast's Integrator (collinear and Gaussian TMD-PDF models, 2 threads) and vegas fed the compiled
kernel (collinear). vegas fed the NumPy reference is far slower: it runs once, for a fixed, reduced number of
iterations (group "... NOT to 5e-4"), so its time is not comparable with the to-target groups; run
``python benchmarks/bench_integrator.py`` for the to-target comparison (extrapolated if needed) and the ratios.
The integrand and the protocol are shared with that script.
"""
import os
import sys

import pytest

import jpsi_fast as jf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_integrator as bi  # noqa: E402

NEVAL = 30_000
WARMUP = 3
RTOL = 5e-4
THREADS = 2
REF_WARMUP, REF_ITN = 2, 2          # vegas + reference: fixed iterations (not to target)


@pytest.fixture(scope="module")
def xsecs():
    out = {m: jf.CrossSection(jf.Params(tmd_pdf=m)) for m in ("collinear", "gaussian")}
    for xs in out.values():
        xs.evaluate(0.3, 0.3, 20.0, 1.0, n_threads=THREADS)      # tables / first-call costs outside the timings
    return out


@pytest.mark.parametrize("mode", ["collinear", "gaussian"])
def test_jpsi_fast_to_5e4(benchmark, xsecs, mode):
    benchmark.group = f"integrate sigma_U to {RTOL:g}, {mode}"
    r = benchmark.pedantic(bi.run_jpsi_fast, args=(xsecs[mode], NEVAL),
                           kwargs=dict(rtol=RTOL, warmup=WARMUP, n_threads=THREADS), rounds=3)
    benchmark.extra_info.update(iterations=r["nitn"], evaluations=r["n_after_warmup"] + r["n_warmup"],
                                estimate=r["mean"], error=r["sdev"], chi2_dof=r["chi2_dof"])
    assert r["reached"]


@pytest.mark.parametrize("mode", ["collinear"])
def test_vegas_compiled_kernel_to_5e4(benchmark, xsecs, mode):
    pytest.importorskip("vegas")
    pytest.importorskip("gvar")
    f = bi.make_integrand(xsecs[mode], "compiled", n_threads=THREADS)
    benchmark.group = f"integrate sigma_U to {RTOL:g}, {mode}"
    r = benchmark.pedantic(bi.run_vegas, args=(f, NEVAL), kwargs=dict(rtol=RTOL, warmup=WARMUP), rounds=3)
    benchmark.extra_info.update(iterations=r["nitn"], evaluations=r["n_after_warmup"] + r["n_warmup"],
                                estimate=r["mean"], error=r["sdev"], chi2_dof=r["chi2_dof"])
    assert r["reached"]


def test_vegas_reference_fixed_iterations_not_to_target(benchmark, xsecs):
    """NOT to 5e-4: REF_WARMUP warm-up + REF_ITN iterations of NEVAL, once (the NumPy reference is slow)."""
    pytest.importorskip("vegas")
    pytest.importorskip("gvar")
    f = bi.make_integrand(xsecs["collinear"], "reference")
    benchmark.group = (f"vegas + NumPy reference, collinear, fixed {REF_WARMUP}+{REF_ITN} iterations of {NEVAL:,} "
                       f"(NOT to {RTOL:g})")
    # rtol=0: never stops on the error, so exactly REF_ITN iterations after the warm-up
    r = benchmark.pedantic(bi.run_vegas, args=(f, NEVAL), kwargs=dict(rtol=0.0, warmup=REF_WARMUP, max_itn=REF_ITN),
                           rounds=1)
    benchmark.extra_info.update(to_target=False, iterations=r["nitn"],
                                evaluations=r["n_after_warmup"] + r["n_warmup"], estimate=r["mean"],
                                error=r["sdev"], rel_error=r["sdev"] / abs(r["mean"]))
    assert r["nitn"] == REF_ITN and not r["extrapolated"]
