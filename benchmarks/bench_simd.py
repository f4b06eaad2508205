"""The SIMD kernel against the scalar one, in one run (issue 15's kernel numbers).

    python benchmarks/bench_simd.py [--quick] [--output benchmarks/results/simd.md]

Both paths evaluate the same random points of the default Domain on 1 thread (the Gaussian model on a
quarter of them), through
``jpsi_fast._kernels.evaluate_into`` with a preallocated output (the kernel alone) and through
``CrossSection.evaluate`` (what a user calls); the scalar path is ``JPSI_FAST_SIMD=0``, the SIMD ones every level
this CPU runs (baseline ISA, AVX2, AVX-512). Rows: the collinear model with U and L, with the density matrix
(U, L, Sp0, Spm) and with the 7-point scale variation, for the collinear and the Gaussian TMD model; the largest relative difference from the scalar path is
printed next to each ratio. Times are the best of interleaved rounds, so load changes hit every path alike.
"""
import argparse
import datetime
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jpsi_fast as jf  # noqa: E402
from jpsi_fast import _kernels  # noqa: E402
from _common import domain_points, interleaved_best, report  # noqa: E402

CASES = {
    "collinear, U and L (4 channels)": dict(model="collinear", states=("U", "L")),
    "collinear, density matrix U, L, Sp0, Spm": dict(model="collinear", states=("U", "L", "Sp0", "Spm")),
    "collinear, U and L, 7-point scale variation": dict(model="collinear", states=("U", "L"),
                                                        variations=jf.Variations(scales="7-point")),
    "Gaussian, U and L (4 channels)": dict(model="gaussian", states=("U", "L")),
    "Gaussian, density matrix U, L, Sp0, Spm": dict(model="gaussian", states=("U", "L", "Sp0", "Spm")),
    "Gaussian, U and L, 7-point scale variation": dict(model="gaussian", states=("U", "L"),
                                                       variations=jf.Variations(scales="7-point")),
}


def max_rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    scale = np.maximum(np.abs(a), np.finfo(float).tiny)
    return float(np.max(np.abs(a - b) / scale))


def measure(n, rounds):
    all_pts = [np.ascontiguousarray(a) for a in domain_points(n, seed=0)]
    best = _kernels.simd_level()
    levels = [0] + [lv for lv in (1, 2, 3) if lv <= best]
    names = {0: "0", 1: "baseline", 2: "avx2", 3: "1"}
    rows = []
    for case, kw in CASES.items():
        m = n if kw["model"] == "collinear" else n // 4
        pts = [a[:m] for a in all_pts]
        params = jf.Params(tmd_pdf=kw["model"])
        xs = jf.CrossSection(params)
        layout = xs.layout(None, kw["states"], kw.get("variations"))
        derived = layout.n_variations == 1
        cfgs, outs, results = {}, {}, {}
        for lv in levels:
            os.environ[_kernels.SIMD_ENV] = names[lv]
            cfgs[lv] = jf.CrossSection(params).kernel_config(layout, derived=derived)
            outs[lv] = np.empty((layout.n_components, m) if derived else (m, layout.n_base))
        os.environ.pop(_kernels.SIMD_ENV)
        fns = {lv: (lambda lv=lv: _kernels.evaluate_into(cfgs[lv], xs.pdf.core, *pts, outs[lv], 0, m, 1,
                                                         not derived)) for lv in levels}
        t_kernel = interleaved_best(fns, rounds)
        for lv in levels:
            results[lv] = outs[lv].copy()
        # the same through CrossSection.evaluate (allocation, broadcasting and the Result included)
        def evaluate(lv):                        # the kernel configuration reads JPSI_FAST_SIMD per call
            os.environ[_kernels.SIMD_ENV] = names[lv]
            return xs.evaluate(*pts, states=kw["states"], variations=kw.get("variations"), n_threads=1)

        t_eval = interleaved_best({lv: (lambda lv=lv: evaluate(lv)) for lv in levels}, rounds)
        os.environ.pop(_kernels.SIMD_ENV)
        for lv in levels[1:]:
            assert cfgs[lv].simd == lv, (case, lv, cfgs[lv].simd)
            rows.append(dict(case=case, path=_kernels.simd_name(lv), ns_scalar=t_kernel[0] / m * 1e9,
                             ns_simd=t_kernel[lv] / m * 1e9, ratio=t_kernel[0] / t_kernel[lv],
                             ratio_evaluate=t_eval[0] / t_eval[lv], max_rel=max_rel(results[0], results[lv])))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer points (a smoke test)")
    ap.add_argument("--output", default=None, help="also write the table to this markdown file")
    args = ap.parse_args(argv)
    n, rounds = (100_000, 2) if args.quick else (1_000_000, 5)
    rows = measure(n, rounds)
    lines = ["# SIMD kernels against the scalar kernel", "",
             f"`python benchmarks/bench_simd.py` on this machine ({os.cpu_count()} cores, 1 thread, {n:,} random "
             f"points of the default Domain, tabulated GRV94; {datetime.date.today()}). Kernel: "
             "`evaluate_into` with a preallocated output; evaluate: `CrossSection.evaluate`.", "",
             "| case | SIMD path | scalar [ns/point] | SIMD [ns/point] | kernel speed-up | evaluate speed-up "
             "| max relative difference |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['path']} | {r['ns_scalar']:.1f} | {r['ns_simd']:.1f} | "
                     f"{r['ratio']:.2f}x | {r['ratio_evaluate']:.2f}x | {r['max_rel']:.1e} |")
    report(lines, args.output)


if __name__ == "__main__":
    main()
