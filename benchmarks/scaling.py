"""OpenMP scaling of the kernels and the integrator with the thread count.

    python benchmarks/scaling.py [--threads 1 2 4 8 16] [--n 2000000]

Prints points/s of CrossSection.evaluate (collinear and Gaussian, all channels, states U and L) and the wall
time of a fixed VEGAS+ integration (10 iterations of 200k after 5 warm-up iterations), with speed-ups
relative to one thread, and checks that every thread count gives bit-identical results.
"""
import argparse
import os
import sys

import numpy as np

import jpsi_fast as jf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import DOMAIN, best_time, domain_points  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--n", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    n = args.n
    pts = domain_points(n, seed=0)
    print(f"jpsi_fast {jf.__version__}, OpenMP {'on' if jf.openmp_enabled() else 'off'}, max threads {jf.max_threads()}")
    print("| threads | collinear [pts/s] | speed-up | Gaussian [pts/s] | speed-up | integrate 10x200k [s] | speed-up |")
    print("|---|---|---|---|---|---|---|")
    base = {}
    ref_vals = ref_int = None
    identical = True
    for nt in args.threads:
        row = [f"{nt}"]
        for mode in ("collinear", "gaussian"):
            xs = jf.CrossSection(jf.Params(tmd_pdf=mode))
            t = best_time(lambda: xs.evaluate(*pts, states=("U", "L"), n_threads=nt), args.repeat)
            base.setdefault(mode, t)
            row += [f"{n / t:.3g}", f"{base[mode] / t:.2f}"]
            if mode == "gaussian":
                vals = xs.evaluate(*(a[:200_000] for a in pts), n_threads=nt).values
                identical &= ref_vals is None or np.array_equal(vals, ref_vals)
                ref_vals = vals if ref_vals is None else ref_vals
        xs = jf.CrossSection()

        def run():
            return jf.Integrator(DOMAIN, seed=0, n_threads=nt).integrate(xs, nitn=10, neval=200_000, warmup=5)
        t = best_time(run, max(1, args.repeat - 1))
        base.setdefault("int", t)
        r = run()
        identical &= ref_int is None or np.array_equal(r.mean, ref_int)
        ref_int = r.mean if ref_int is None else ref_int
        row += [f"{t:.3f}", f"{base['int'] / t:.2f}"]
        print("| " + " | ".join(row) + " |")
    print(f"\nresults bit-identical across thread counts: {identical}")


if __name__ == "__main__":
    main()
