"""Many PDF members per point (docs/physics.md §10.3): time of lumi_set_eval per phase-space point.

Measures, in one run and on one thread, per point (x, Q^2) of the default domain (x in [0.1, 0.99],
Q in [10, 50] GeV, random order):

* the shared-weights evaluation (``LumiSetCore.eval_sum``: one knot search and one set of interpolation weights
  per point, values into one reused buffer as the kernels do) of sum_q e_q^2 x f_q and x g for 1 member and
  for a set of 101 members (central + 100 replicas, synthetic, on the knots of the NNPDF3.1 LO member when it
  is available), with ForcePositive 0 and with ForcePositive 1 on perturbed NNPDF3.1 LO members (negative
  strange: per-quark corrections in part of the cells);
* the same 101 members evaluated one at a time through the per-member path (``allow_shared=False``);
* one member's full collinear cross-section point (``CrossSection.evaluate``, all channels and states U L T).

The timings are interleaved (round-robin, best of the rounds) so that a busy machine affects all alike.
Targets: 101 members <= 5 x one cross-section point; shared >= 15 x faster than member by member.

    python benchmarks/bench_pdf_members.py [--points N] [--members M] [--rounds R]
"""
import argparse
import os
import sys
import tempfile

import numpy as np

import jpsi_fast as jf
from jpsi_fast import _pdf
from jpsi_fast.pdf import LHAGrid, load_set
from jpsi_fast.pdf_testing import knots_of, make_synthetic_set

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import NNPDF, interleaved_best  # noqa: E402

#: squared quark charges in the kernel order g, u, d, s, ubar, dbar, sbar (g ignored)
EQ2 = np.array([0.0, 4 / 9, 1 / 9, 1 / 9, 4 / 9, 1 / 9, 1 / 9])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=20_000)
    ap.add_argument("--members", type=int, default=101)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    n = args.points
    x, z = rng.uniform(0.1, 0.99, n), rng.uniform(0.1, 0.8, n)
    Q, PT = rng.uniform(10.0, 50.0, n), rng.uniform(0.0, 6.0, n)
    q2 = Q * Q
    knots = knots_of(NNPDF) if NNPDF.exists() else (None, None)
    with tempfile.TemporaryDirectory() as tmp:
        pset = load_set(make_synthetic_set(tmp, "BENCH", args.members, "replicas", seed=0, x_knots=knots[0],
                                           q_subgrids=knots[1]))
        cores = {"one": _pdf.LumiSetCore(pset.members[:1]), "many": _pdf.LumiSetCore(pset),
                 "each": _pdf.LumiSetCore(pset, allow_shared=False)}
        if NNPDF.exists():
            fp1 = load_set(make_synthetic_set(tmp, "BENCHFP", args.members, "replicas", seed=0, x_knots=knots[0],
                                              q_subgrids=knots[1], base=LHAGrid(NNPDF), force_positive=1))
            cores["many_fp1"] = _pdf.LumiSetCore(fp1)
        member = LHAGrid(NNPDF) if NNPDF.exists() else pset.members[0]
        xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"), pdf=member)
        fns = {name: (lambda c=c: c.eval_sum(x, q2, EQ2)) for name, c in cores.items() if name != "each"}
        fns["xsec"] = lambda: xs.evaluate(x, z, Q, PT, n_threads=1)
        best = {k: v / n for k, v in interleaved_best(fns, args.rounds).items()}
        m = min(n, 4000)     # member by member is slow: fewer points
        best["each"] = interleaved_best({"each": lambda: cores["each"].eval_sum(x[:m], q2[:m], EQ2)},
                                        max(1, args.rounds // 2))["each"] / m
        a, b = cores["many"].eval(x[:2000], q2[:2000], EQ2), cores["each"].eval(x[:2000], q2[:2000], EQ2)
        xg_same = np.array_equal(a[1], b[1])
        sumq_rel = float(np.max(np.abs(a[0] - b[0]) / np.abs(b[0])))
        safe = cores["many_fp1"].safe_fraction if "many_fp1" in cores else None
    grid = "NNPDF3.1 LO knots" if NNPDF.exists() else "default synthetic knots"
    us = 1e6
    nm = args.members
    print(f"PDF members per point, 1 thread, {n} random points (x in [0.1, 0.99], Q in [10, 50] GeV), "
          f"{nm}-member synthetic set on {grid}")
    print(f"  lumi_set_eval, 1 member                    {best['one'] * us:8.3f} us/point")
    print(f"  lumi_set_eval, {nm} members (shared)        {best['many'] * us:8.3f} us/point")
    if "many_fp1" in best:
        print(f"  lumi_set_eval, {nm} NNPDF-like members, FP 1  {best['many_fp1'] * us:8.3f} us/point "
              f"(quark-cell pairs without correction: {safe:.2f})")
    print(f"  {nm} members one at a time                 {best['each'] * us:8.3f} us/point")
    print(f"  collinear cross section, 1 member          {best['xsec'] * us:8.3f} us/point (all channels, U L T)")
    print(f"  ratio {nm} members / 1 member (shared)          {best['many'] / best['one']:6.2f}")
    print(f"  ratio {nm} members / cross-section point        {best['many'] / best['xsec']:6.2f}   (target <= 5)")
    if "many_fp1" in best:
        print(f"  ratio {nm} members FP 1 / cross-section point   {best['many_fp1'] / best['xsec']:6.2f}")
    print(f"  speed-up shared vs one at a time           {best['each'] / best['many']:6.2f}   (target >= 15)")
    print(f"  x g bit-identical to member by member: {xg_same}; charge sum max relative difference {sumq_rel:.1e}")


if __name__ == "__main__":
    main()
