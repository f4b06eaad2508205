"""Cost of the polarization observables (docs/physics.md §11-12), as ratios measured in one run.

1. J/psi spin density matrix: the kernels writing all four independent elements (U, L, Sp0, Spm -- S00 = L and
   Spp = (U - L)/2 are free) for all channels versus the kernels writing U and L only, into preallocated outputs (as
   the integrator runs them), 2 threads, points of the default domain. Targets: collinear >= 70 %, Gaussian (two
   extra angular convolutions R_{1,1}, R_{2,2}) >= 50 % of the U/L throughput.
2. Longitudinally polarized beams: the kernels writing U, L and their double-spin parts U_LL, L_LL in one pass
   (GRSV 2000 LO helicity PDFs, with and without the per-flavour positivity clamp, which needs the unpolarized
   quarks flavour by flavour where it can act; Gaussian model: the convolutions at the helicity width w_g1 as
   well), and the F_LL parts U_LL, L_LL alone, versus U, L alone. Target >= 60 %.

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
    """Rows (model, points, what, U/L ns/pt, polarized ns/pt, throughput fraction): the states of DOUBLE_SPIN
    with and without the positivity clamp, and the F_LL parts alone (U_LL, L_LL) against F_UU alone (U, L)."""
    rows = []
    for model, m in (("collinear", n), ("gaussian", n // 5)):
        xs = jf.CrossSection(jf.Params(tmd_pdf=model))
        raw = jf.CrossSection(jf.Params(tmd_pdf=model), helicity_positivity=False)
        pts = domain_points(m, seed=2)
        best = interleaved_best({
            "UL": kernel_runner(xs, UL, pts, threads),
            "U, L, U_LL, L_LL (clamp)": kernel_runner(xs, DOUBLE_SPIN, pts, threads, beam=(1.0, 1.0)),
            "U, L, U_LL, L_LL (no clamp)": kernel_runner(raw, DOUBLE_SPIN, pts, threads, beam=(1.0, 1.0)),
            "U_LL, L_LL alone (clamp)": kernel_runner(xs, ("U_LL", "L_LL"), pts, threads),
        }, rounds)
        for what in list(best)[1:]:
            rows.append((model, m, what, best["UL"] / m * 1e9, best[what] / m * 1e9, best["UL"] / best[what]))
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
    print("\n2. polarized beams (GRSV 2000 LO) vs U, L only (unpolarized beams)")
    print(f"   {'model':<10} {'points':>8} {'polarized states':<28} {'U,L ns/pt':>10} {'pol. ns/pt':>11} "
          f"{'throughput':>11}  target")
    for model, m, what, ns_ul, ns_ll, frac in polarized_ratios(args.points, args.rounds, args.threads):
        print(f"   {model:<10} {m:>8} {what:<28} {ns_ul:>10.1f} {ns_ll:>11.1f} {frac:>10.0%}  >= 60%")


if __name__ == "__main__":
    main()
