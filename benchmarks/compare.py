"""One table of speed ratios, every baseline measured in this same process (the README's performance table).

    python benchmarks/compare.py [--quick]

Rows: kernels vs the NumPy reference (collinear, Gaussian), 2-thread speed-up, tabulated vs analytic GRV94, the
lhagrid1 reader vs the reference interpolation, the integrator vs vegas (fed the reference and the compiled
kernel), the event sampler vs plain accept-reject, the region mapper vs uniform designs at equal labels, and the
dataset export vs the earlier study's pipeline. Prints markdown.
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jpsi_fast as jf  # noqa: E402
from _common import DOMAIN, NNPDF, best_time, domain_points  # noqa: E402



def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller problems (for a smoke test)")
    args = ap.parse_args(argv)
    q = args.quick
    rows = []
    n = 200_000 if q else 1_000_000
    pts = domain_points(n, seed=0)

    # ---- kernels (the reference is measured last: SciPy's BLAS threads would disturb the OpenMP ones)
    rate = {}
    for mode in ("collinear", "gaussian"):
        xs = jf.CrossSection(jf.Params(tmd_pdf=mode))
        for nt in (1, 2):
            rate[mode, nt] = n / best_time(lambda: xs.evaluate(*pts, states=("U", "L"), n_threads=nt))
    grv_t, grv_e = jf.pdf.GRV94LO(), jf.pdf.GRV94LO(exact=True)
    t_tab = best_time(lambda: grv_t.xfxQ(21, pts[0], pts[2]))
    t_ex = best_time(lambda: grv_e.xfxQ(21, pts[0], pts[2]))
    rows.append(("PDF: GRV94 gluon x f, tabulated vs analytic", f"{n / t_tab:.3g} pts/s", f"{n / t_ex:.3g} pts/s",
                 t_ex / t_tab))
    for mode, m_ref in (("collinear", min(n, 200_000)), ("gaussian", 300 if q else 1000)):
        sub = tuple(a[:m_ref] for a in pts)
        p = jf.Params(tmd_pdf=mode)
        r_ref = m_ref / best_time(lambda: jf.reference.evaluate(*sub, params=p, states=("U", "L")), 1)
        rows.insert(len(rows) - 1, (f"kernels, {mode}: 2 threads vs NumPy reference", f"{rate[mode, 2]:.3g} pts/s",
                                    f"{r_ref:.3g} pts/s", rate[mode, 2] / r_ref))
    rows.insert(2, ("kernels, collinear: 2 threads vs 1 thread", f"{rate['collinear', 2]:.3g} pts/s",
                    f"{rate['collinear', 1]:.3g} pts/s", rate["collinear", 2] / rate["collinear", 1]))
    rows.insert(3, ("kernels, Gaussian vs collinear (2 threads)", f"{rate['gaussian', 2]:.3g} pts/s",
                    f"{rate['collinear', 2]:.3g} pts/s", rate["gaussian", 2] / rate["collinear", 2]))
    if NNPDF.exists():
        lha, lha_ref = jf.pdf.LHAGrid(NNPDF), jf.reference.LHAGrid(str(NNPDF))
        m = 20_000 if q else 100_000
        x, Q = pts[0][:m], pts[2][:m]
        t1 = best_time(lambda: lha.xfxQ(21, x, Q))
        t2 = best_time(lambda: lha_ref.xfxQ(21, x, Q), 1)
        rows.append(("PDF: lhagrid1 (NNPDF3.1) vs reference interpolation", f"{m / t1:.3g} pts/s", f"{m / t2:.3g} pts/s",
                     t2 / t1))

    # ---- integrator to 5e-4 vs vegas
    try:
        import bench_integrator as bi
        import vegas  # noqa: F401
        xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
        ours = min(bi.run_jpsi_fast(xs, 30_000, warmup=3)["wall"] for _ in range(3))
        t_k = min(bi.run_vegas(bi.make_integrand(xs, "compiled"), 30_000, warmup=3)["wall"] for _ in range(2))
        rows.append(("integrate sigma_U to 5e-4: jpsi_fast vs vegas + compiled kernel", f"{ours:.3f} s",
                     f"{t_k:.3f} s", t_k / ours))
        t_r = bi.run_vegas(bi.make_integrand(xs, "reference"), 30_000, warmup=3,
                           max_seconds=20 if q else 120)["wall"]
        rows.append(("integrate sigma_U to 5e-4: jpsi_fast vs vegas + NumPy reference", f"{ours:.3f} s",
                     f"{t_r:.2f} s", t_r / ours))
    except ImportError as exc:
        rows.append((f"integrator vs vegas: skipped ({exc})", "", "", float("nan")))

    # ---- sampler vs plain accept-reject with the compiled kernel
    xs = jf.CrossSection()
    nev = 20_000 if q else 100_000
    integ = jf.Integrator(DOMAIN, seed=1)
    integ.sample(xs, 1000)
    t_s = best_time(lambda: integ.sample(xs, nev), 1)
    dom = DOMAIN
    lo, hi = dom.bounds.T

    def plain():
        r = np.random.default_rng(2)
        trial = r.uniform(lo, hi, (400_000, 4))
        w = xs.evaluate(*trial.T, states="U").values.sum(axis=0)[0] * 4 * trial[:, 2] * trial[:, 3]
        w[~dom.contains(*trial.T, xs.params)] = 0
        wmax, got, tries = w.max(), 0, 0
        while got < nev:
            X = r.uniform(lo, hi, (500_000, 4))
            w = xs.evaluate(*X.T, states="U").values.sum(axis=0)[0] * 4 * X[:, 2] * X[:, 3]
            w[~dom.contains(*X.T, xs.params)] = 0
            got += int((r.random(len(w)) * wmax < w).sum())
            tries += len(w)
        return tries
    t_p = best_time(plain, 1)
    rows.append((f"{nev:,} unweighted events: adapted-map sampler vs plain accept-reject", f"{t_s:.2f} s",
                 f"{t_p:.2f} s", t_p / t_s))

    # ---- region mapper: sigma-weighted error rate at equal labels
    budget = 2000 if q else 6000
    rm = jf.RegionMapper(xs, target="dominant", batch_size=1000, budget=budget, seed=0, strategy="active").fit()
    lc = rm.learning_curves([budget], n_test=20_000 if q else 100_000)
    err = {d: 1 - rows_[0]["sigma_weighted_accuracy"] for d, rows_ in lc.items()}
    rows.append((f"region map, {budget:,} labels: sigma-weighted error, active vs uniform grid",
                 f"{err['active']:.4f}", f"{err['uniform_grid']:.4f}", err["uniform_grid"] / err["active"]))
    rows.append((f"region map, {budget:,} labels: sigma-weighted error, active vs uniform random",
                 f"{err['active']:.4f}", f"{err['uniform_random']:.4f}", err["uniform_random"] / err["active"]))

    # ---- dataset export vs the earlier study's pipeline
    import tempfile

    import bench_grid
    from jpsi_fast import data
    ngrid = (10, 10, 10, 30) if q else (25, 25, 25, 75)
    with tempfile.TemporaryDirectory() as tmp:
        xs_c = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
        spec = data.GridSpec.from_domain(DOMAIN, ngrid)
        t_g = best_time(lambda: data.write_dataset(Path(tmp) / "g.parquet", xs_c, grid=spec), 2)
        t0 = time.perf_counter()
        bench_grid.baseline_pipeline(ngrid, Path(tmp) / "b.csv")
        t_b = time.perf_counter() - t0
    rows.append((f"dataset {'x'.join(map(str, ngrid))} grid: jpsi-fast grid (Parquet) vs NumPy/SciPy/pandas CSV",
                 f"{t_g:.2f} s", f"{t_b:.1f} s", t_b / t_g))

    print(f"jpsi_fast {jf.__version__}, OpenMP {'on' if jf.openmp_enabled() else 'off'}, {jf.max_threads()} threads"
          f"{' (quick)' if q else ''}\n")
    print("| comparison | jpsi_fast | baseline | ratio |")
    print("|---|---|---|---|")
    for name, a, b, r in rows:
        print(f"| {name} | {a} | {b} | {r:.3g}x |" if np.isfinite(r) else f"| {name} | | | |")


if __name__ == "__main__":
    main()
