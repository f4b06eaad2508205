"""Cost of the polarization observables (docs/physics.md §11-12), as ratios measured in one run.

1. J/psi spin density matrix: the kernels writing all four independent elements (U, L, Sp0, Spm -- S00 = L and
   Spp = (U - L)/2 are free) for all channels versus the kernels writing U and L only, into preallocated outputs (as
   the integrator runs them), 2 threads, points of the default domain. Targets: collinear >= 70 %, Gaussian (two
   extra angular convolutions R_{1,1}, R_{2,2}) >= 50 % of the U/L throughput.
2. Longitudinally polarized beams: the kernels writing U, L and their double-spin parts U_LL, L_LL (GRSV 2000 LO
   helicity PDFs with the per-flavour positivity clamp, which needs every flavour of the unpolarized PDF; Gaussian
   model: the convolutions at the helicity width w_g1 as well) versus U, L alone. Target >= 60 %.

Timings are interleaved (round-robin, best of the rounds) so that a busy machine affects all alike.

    python benchmarks/bench_polarization.py [--points N] [--rounds R] [--threads T]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jpsi_fast as jf  # noqa: E402
from jpsi_fast import _kernels  # noqa: E402
from _common import domain_points, interleaved_best  # noqa: E402

UL = ("U", "L")
DENSITY = ("U", "L", "Sp0", "Spm")
DOUBLE_SPIN = ("U", "L", "U_LL", "L_LL")


def kernel_runner(xs, states, pts, threads, beam=None):
    """A callable running the kernels for ``states`` (base components) into a preallocated output."""
    cfg = xs.kernel_config(jf.Layout(states=states, beam=beam))
    n = len(pts[0])
    out = np.zeros((cfg.n_out, n))
    return lambda: _kernels.evaluate_into(cfg, xs.pdf.core, *pts, out, 0, n, threads)


def density_ratios(n, rounds, threads):
    rows = []
    for model, m in (("collinear", n), ("gaussian", n // 5)):
        xs = jf.CrossSection(jf.Params(tmd_pdf=model))
        pts = domain_points(m, seed=1)
        best = interleaved_best({s: kernel_runner(xs, s, pts, threads) for s in (UL, DENSITY)}, rounds)
        rows.append((model, m, best[UL] / m * 1e9, best[DENSITY] / m * 1e9, best[UL] / best[DENSITY]))
    return rows


def polarized_ratios(n, rounds, threads):
    rows = []
    for model, m in (("collinear", n), ("gaussian", n // 5)):
        xs = jf.CrossSection(jf.Params(tmd_pdf=model))
        pts = domain_points(m, seed=2)
        best = interleaved_best({"UL": kernel_runner(xs, UL, pts, threads),
                                 "LL": kernel_runner(xs, DOUBLE_SPIN, pts, threads, beam=(1.0, 1.0))}, rounds)
        rows.append((model, m, best["UL"] / m * 1e9, best["LL"] / m * 1e9, best["UL"] / best["LL"]))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=400_000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    print(f"jpsi_fast {jf.__version__}, {args.threads} threads, best of {args.rounds} interleaved rounds\n")
    print("1. density matrix (U, L, Sp0, Spm of all channels) vs U, L only: kernels into preallocated outputs")
    print(f"   {'model':<10} {'points':>8} {'U,L ns/pt':>10} {'density ns/pt':>14} {'throughput':>11}  target")
    for (model, m, ns_ul, ns_dm, frac), target in zip(density_ratios(args.points, args.rounds, args.threads),
                                                      (0.70, 0.50)):
        print(f"   {model:<10} {m:>8} {ns_ul:>10.1f} {ns_dm:>14.1f} {frac:>10.0%}  >= {target:.0%}")
    print("\n2. polarized beams (U, L, U_LL, L_LL with GRSV 2000 LO, positivity clamp) vs U, L only")
    print(f"   {'model':<10} {'points':>8} {'U,L ns/pt':>10} {'+F_LL ns/pt':>14} {'throughput':>11}  target")
    for model, m, ns_ul, ns_ll, frac in polarized_ratios(args.points, args.rounds, args.threads):
        print(f"   {model:<10} {m:>8} {ns_ul:>10.1f} {ns_ll:>14.1f} {frac:>10.0%}  >= 60%")


if __name__ == "__main__":
    main()
