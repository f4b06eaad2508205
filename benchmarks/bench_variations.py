"""Cost of theory variations evaluated in the same pass (docs/physics.md §10), as ratios measured in one run.

1. Kernel throughput (2 threads, points of the default domain): the central value alone versus the central
   value + the 7-point scale variation + every named LDME set (negative ones allowed), collinear and Gaussian
   models. Target <= 2.0x.
2. A grid PDF set of 101 members (central + 100 replicas; synthetic, on the knots of the NNPDF3.1 LO member when
   ../shared is present), collinear: every member in one pass versus one member alone (target <= 6x), and
   versus the 101 members one at a time (target >= 15x) -- for the kernels into preallocated outputs (what the
   integrator runs) and for evaluate(), which also allocates (and the OS zeroes) the 808 values per point.
3. Integration of sigma_U to a relative error of 5e-4 (``rtol``) with and without the 7-point band attached
   (same seed; target <= 2x).

Timings are interleaved (round-robin, best of the rounds) so that a busy machine affects all alike.

    python benchmarks/bench_variations.py [--points N] [--rounds R] [--threads T]
"""
import argparse
import os
import sys
import tempfile
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jpsi_fast as jf  # noqa: E402
from jpsi_fast import _kernels  # noqa: E402
from _common import NNPDF, domain_points, interleaved_best  # noqa: E402
from jpsi_fast.pdf import load_set  # noqa: E402
from jpsi_fast.pdf_testing import knots_of, make_synthetic_set  # noqa: E402


def kernel_ratios(n, rounds, threads):
    rows = []
    every_set = jf.Variations(scales="7-point", ldme_sets="all", allow_negative_ldme=True)
    n_var = len(jf.CrossSection().layout(variations=every_set).variations)
    for model, m in (("collinear", n), ("gaussian", n // 5)):
        xs = jf.CrossSection(jf.Params(tmd_pdf=model))
        pts = domain_points(m, seed=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # the negative LDME sets warn
            best = interleaved_best({
                "central": lambda: xs.evaluate(*pts, n_threads=threads),
                "variations": lambda: xs.evaluate(*pts, n_threads=threads, variations=every_set),
                "variations+band": lambda: xs.evaluate(*pts, n_threads=threads,
                                                       variations=every_set).band("scale"),
            }, rounds)
        rows.append((model, m, best["central"] / m * 1e9, best["variations"] / best["central"],
                     best["variations+band"] / best["central"]))
    return rows, n_var


def member_ratios(n, rounds, threads, n_members=101):
    knots = knots_of(NNPDF) if NNPDF.exists() else (None, None)
    with tempfile.TemporaryDirectory() as tmp:
        pset = load_set(make_synthetic_set(tmp, "BENCHVAR", n_members, "replicas", seed=0, x_knots=knots[0],
                                           q_subgrids=knots[1]))
        p = jf.Params(tmd_pdf="collinear")
        one = jf.CrossSection(p, pdf=pset[0])
        allm = jf.Variations(pdf_set=pset)
        pts = domain_points(n, seed=2)
        pset.lumi_core(one.charges())                # built once per set (kept by the PDFSet)
        # the kernels alone, into preallocated outputs (as the integrator uses them)
        cfg_one = one.kernel_config(jf.Layout(), derived=True)
        cfg_all = one.kernel_config(one.layout(variations=allm))
        out_one, out_all = np.empty((cfg_one.n_out, n)), np.empty((n, cfg_all.n_out))
        out_all.fill(0.0)                            # touch the pages once
        best = interleaved_best({
            "kernel one member": lambda: _kernels.evaluate_into(cfg_one, one.pdf.core, *pts, out_one, 0, n,
                                                                threads),
            "kernel all members": lambda: _kernels.evaluate_into(cfg_all, one.pdf.core, *pts, out_all, 0, n,
                                                                 threads, True),
            "one member": lambda: one.evaluate(*pts, n_threads=threads),
            "all members": lambda: one.evaluate(*pts, n_threads=threads, variations=allm),
            "all members, U only": lambda: one.evaluate(*pts, n_threads=threads, variations=allm, states="U"),
        }, rounds)
        each = [jf.CrossSection(p, pdf=m) for m in pset]
        m = max(1, n // 4)
        sub = tuple(a[:m] for a in pts)

        def one_at_a_time():
            for x in each:
                x.evaluate(*sub, n_threads=threads)
        best["one at a time"] = interleaved_best({"each": one_at_a_time}, max(1, rounds // 2))["each"] * n / m
        grid = "NNPDF3.1 LO knots" if NNPDF.exists() else "default synthetic knots"
    return best, grid


def integration_ratio(rounds, threads, rtol=5e-4):
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    v = jf.Variations(scales="7-point")
    out = {}

    def run(var):
        res = jf.Integrator(jf.Domain(), seed=1, n_threads=threads).integrate(
            xs, nitn=40, neval=100_000, warmup=3, rtol=rtol, variations=var, progress=False)
        out["band" if var else "plain"] = res
    best = interleaved_best({"plain": lambda: run(None), "band": lambda: run(v)}, rounds)
    return best, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    warnings.filterwarnings("ignore", message="LDME set .* has a negative element")   # the NLO sets, on purpose
    print(f"jpsi_fast {jf.__version__}, {args.threads} threads, best of {args.rounds} interleaved rounds\n")

    rows, n_var = kernel_ratios(args.points, args.rounds, args.threads)
    print(f"1. central + 7-point scales + every named LDME set ({n_var} variations, 3 PDF evaluations per point) "
          "vs central alone (target <= 2.0x)")
    print(f"   {'model':<10} {'points':>8} {'central ns/pt':>14} {'ratio':>7} {'ratio incl. band':>17}")
    for model, m, ns, ratio, ratio_band in rows:
        print(f"   {model:<10} {m:>8} {ns:>14.1f} {ratio:>7.2f} {ratio_band:>17.2f}")

    best, grid = member_ratios(args.points // 4, args.rounds, args.threads)
    r_kernel = best["kernel all members"] / best["kernel one member"]
    r_one = best["all members"] / best["one member"]
    r_u = best["all members, U only"] / best["one member"]
    r_each = best["one at a time"] / best["all members"]
    print(f"\n2. 101 members of a grid PDF set ({grid}), collinear, all states U L T")
    print(f"   kernels (preallocated outputs): all members in one pass / one member: {r_kernel:.2f}x   (target <= 6x)"
          f"   one at a time would be {101 / r_kernel:.1f}x slower (target >= 15x)")
    print(f"   evaluate() (allocating the 6.5 kB/point result): all / one member: {r_one:.2f}x   "
          f"[state U only: {r_u:.2f}x]; one at a time through CrossSection(pdf=member).evaluate: {r_each:.1f}x "
          "slower")

    best, res = integration_ratio(max(1, args.rounds // 2), args.threads)
    print("\n3. integration of sigma_U to rtol 5e-4 (collinear, seed 1), with and without the 7-point band")
    print(f"   without: {best['plain']:.2f} s, {res['plain'].neval:,} evaluations, sigma_U = {res['plain'].total()}")
    c, lo, hi = res["band"].band("scale")
    print(f"   with:    {best['band']:.2f} s, {res['band'].neval:,} evaluations, sigma_U = {res['band'].total()} "
          f"[{lo:.4e}, {hi:.4e}] pb (scale)")
    print(f"   ratio {best['band'] / best['plain']:.2f}x   (target <= 2x)")


if __name__ == "__main__":
    main()
