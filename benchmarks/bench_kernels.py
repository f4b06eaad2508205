"""Throughput of CrossSection.evaluate (all four channels, states U and L) against the NumPy reference.

    python benchmarks/bench_kernels.py [--n 1000000] [--repeat 5]

Prints a markdown table: points per second (best of --repeat) for the compiled kernels with 1 and 2 threads
(collinear and Gaussian TMD-PDF models, tabulated GRV94) and for jpsi_fast.reference on the same points
(the Gaussian reference, an adaptive quad per point, on the first --n-ref-gauss points), plus the ratios the
issue asks for, all measured in this one run.
"""
import argparse
import os
import sys


import jpsi_fast as jf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import best_time, domain_points  # noqa: E402


def best_rate(fn, n, repeat):
    return n / best_time(fn, repeat)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--n-ref-gauss", type=int, default=2000)
    args = ap.parse_args(argv)
    n = args.n
    pts = domain_points(n, seed=0)
    rates = {}
    for mode in ("collinear", "gaussian"):
        xs = jf.CrossSection(jf.Params(tmd_pdf=mode))
        for nt in (1, 2):
            rates[mode, nt] = best_rate(lambda: xs.evaluate(*pts, states=("U", "L"), n_threads=nt), n, args.repeat)
    # the reference last: importing SciPy starts OpenBLAS threads that would compete with the kernels' threads
    for mode in ("collinear", "gaussian"):
        xs = jf.CrossSection(jf.Params(tmd_pdf=mode))
        m = n if mode == "collinear" else args.n_ref_gauss
        sub = tuple(a[:m] for a in pts)
        p = xs.params
        rates[mode, "ref"] = best_rate(lambda: jf.reference.evaluate(*sub, params=p, states=("U", "L")), m,
                                       1 if mode == "gaussian" else max(1, args.repeat // 2))
    print(f"jpsi_fast {jf.__version__}, OpenMP {'on' if jf.openmp_enabled() else 'off'}, {n:,} random points in the "
          "default domain, 4 channels x states U, L, tabulated GRV94 LO\n")
    print("| model | 1 thread [pts/s] | 2 threads [pts/s] | 2-thread speed-up | NumPy reference [pts/s] | 2 threads / reference |")
    print("|---|---|---|---|---|---|")
    for mode in ("collinear", "gaussian"):
        r1, r2, rr = rates[mode, 1], rates[mode, 2], rates[mode, "ref"]
        print(f"| {mode} | {r1:.3g} | {r2:.3g} | {r2 / r1:.2f} | {rr:.3g} | {r2 / rr:.0f}x |")
    print(f"\nGaussian / collinear throughput (2 threads): {rates['gaussian', 2] / rates['collinear', 2]:.0%}")
    print("targets (issue 2): collinear >= 1.5e7 pts/s on 2 threads and >= 40x the reference; "
          "Gaussian >= 25% of collinear; 2-thread speed-up >= 1.8")


if __name__ == "__main__":
    main()
