"""Many PDF members per point (docs/physics.md §10.3): time of lumi_set_eval per phase-space point.

Measures, in one run and on one thread, per point (x, Q^2) of the default domain (x in [0.1, 0.99],
Q in [10, 50] GeV, random order):

* shared-weights evaluation (``LumiSetCore``, one knot search and one set of interpolation weights per point)
  of sum_q e_q^2 x f_q and x g for 1 member and for a set of 101 members (central + 100 replicas, synthetic,
  on the knots of the NNPDF3.1 LO member when it is available);
* the same 101 members evaluated one at a time through the per-member path (``allow_shared=False``);
* one member's full collinear cross-section point (``CrossSection.evaluate``, all channels and states).

Targets: 101 members <= 5 x one cross-section point; shared >= 15 x faster than member by member.

    python benchmarks/bench_pdf_members.py [--points N] [--members M] [--repeat R]
"""
import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best_time  # noqa: E402

import jpsi_fast as jf  # noqa: E402
from jpsi_fast import _pdf  # noqa: E402
from jpsi_fast.pdf import LHAGrid, load_set  # noqa: E402
from jpsi_fast.pdf_testing import knots_of, make_synthetic_set  # noqa: E402

SHARED = Path(os.environ.get("JPSI_FAST_SHARED", Path(__file__).resolve().parents[2] / "shared"))
NNPDF = SHARED / "pdfsets" / "NNPDF31_lo_as_0118_0000.dat"
#: squared quark charges in the kernel order g, u, d, s, ubar, dbar, sbar (g ignored)
EQ2 = np.array([0.0, 4 / 9, 1 / 9, 1 / 9, 4 / 9, 1 / 9, 1 / 9])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=20_000)
    ap.add_argument("--members", type=int, default=101)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    n = args.points
    x, z = rng.uniform(0.1, 0.99, n), rng.uniform(0.1, 0.8, n)
    Q, PT = rng.uniform(10.0, 50.0, n), rng.uniform(0.0, 6.0, n)
    q2 = Q * Q
    knots = knots_of(NNPDF) if NNPDF.exists() else (None, None)
    with tempfile.TemporaryDirectory() as tmp:
        setdir = make_synthetic_set(tmp, "BENCH", args.members, "replicas", seed=0, x_knots=knots[0],
                                    q_subgrids=knots[1])
        pset = load_set(setdir)
        one = _pdf.LumiSetCore(pset.members[:1])
        many = _pdf.LumiSetCore(pset)
        each = _pdf.LumiSetCore(pset, allow_shared=False)
        t_one = best_time(lambda: one.eval_sum(x, q2, EQ2), args.repeat) / n
        t_many = best_time(lambda: many.eval_sum(x, q2, EQ2), args.repeat) / n
        t_each = best_time(lambda: each.eval_sum(x, q2, EQ2), max(1, args.repeat // 2)) / n
        a, b = many.eval(x[:2000], q2[:2000], EQ2), each.eval(x[:2000], q2[:2000], EQ2)
        same = all(np.array_equal(u, v) for u, v in zip(a, b))
    member = LHAGrid(NNPDF) if NNPDF.exists() else pset.members[0]
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"), pdf=member)
    t_xs = best_time(lambda: xs.evaluate(x, z, Q, PT, n_threads=1), args.repeat) / n
    grid = "NNPDF3.1 LO knots" if NNPDF.exists() else "default synthetic knots"
    us = 1e6
    print(f"PDF members per point, 1 thread, {n} random points, {args.members}-member synthetic set on {grid}")
    print(f"  lumi_set_eval, 1 member               {t_one * us:8.3f} us/point")
    print(f"  lumi_set_eval, {args.members} members (shared)   {t_many * us:8.3f} us/point")
    print(f"  {args.members} members one at a time         {t_each * us:8.3f} us/point")
    print(f"  collinear cross section, 1 member     {t_xs * us:8.3f} us/point  (all channels, states U L T)")
    print(f"  ratio {args.members} members / 1 member (shared)      {t_many / t_one:6.2f}")
    print(f"  ratio {args.members} members / cross-section point    {t_many / t_xs:6.2f}   (target <= 5)")
    print(f"  speed-up shared vs one at a time       {t_each / t_many:6.2f}   (target >= 15)")
    print(f"  shared == member-by-member values (bitwise): {same}")


if __name__ == "__main__":
    main()
