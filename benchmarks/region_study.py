"""Region-map study (issue 4): how many exactly labelled points does a map of the dominant mechanism need?

    python benchmarks/region_study.py [--budget 50000] [--batch 2000] [--out benchmarks/results]

Target "dominant", state U, default domain, sqrt(s) = 63 GeV, Gaussian TMD PDF, tabulated GRV94 LO. Runs the
active-learning RegionMapper to the budget (wall time of fit()), evaluates it on 200k exactly labelled
points (sigma-weighted events and uniform points), and compares learning curves (sigma-weighted accuracy on the
sigma-weighted test set vs labels) with the earlier study's uniform grid and with uniform random points at the
same budgets. Writes region_study.md / .json and figures (maps, learning curves, importances) to --out.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np

import jpsi_fast as jf
from jpsi_fast.regions import RegionMapper


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=50_000)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--n-test", type=int, default=200_000)
    ap.add_argument("--baseline-max", type=int, default=400_000, help="largest baseline budget")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="benchmarks/results")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    xs = jf.CrossSection()
    rm = RegionMapper(xs, jf.Domain(), target="dominant", state="U", batch_size=args.batch, budget=args.budget,
                      seed=args.seed, strategy="active", refit_growth=0)
    t0 = time.perf_counter()
    rm.fit()
    fit_s = time.perf_counter() - t0
    ev = rm.evaluate(n_test=args.n_test)
    budgets = sorted({2000, 4000, 6000, 8000, 10_000, 15_000, 20_000, 30_000, 50_000, 100_000, 200_000,
                      args.baseline_max} | {h["labels"] for h in rm.history})
    budgets = [b for b in budgets if b <= max(args.baseline_max, args.budget)]
    t1 = time.perf_counter()
    lc = rm.learning_curves(budgets, n_test=args.n_test)
    lc_s = time.perf_counter() - t1
    need = {d: RegionMapper.labels_to_reach(rows, 0.99) for d, rows in lc.items()}
    imp = rm.feature_importance(n_test=50_000, n_repeats=5)
    shares = rm.evaluate_shares(n_test=args.n_test)
    rm.plot_learning_curves(lc, out / "region_learning_curves.png")
    rm.plot_feature_importance(imp, out / "region_feature_importance.png",
                               title="permutation importance (dominant mechanism, state U)")
    rm.plot_map("x", "Q", out / "region_map_x_Q.png", fixed={"z": 0.45, "PT": 1.0})
    rm.plot_map("z", "PT", out / "region_map_z_PT.png", fixed={"x": 0.3, "Q": 15.0})
    rm.plot_map("z", "Q", out / "region_map_z_Q.png", fixed={"x": 0.5, "PT": 0.5})
    rm.plot_map("x", "z", out / "region_map_x_z.png", fixed={"Q": 12.0, "PT": 1.0})
    # where each mechanism dominates: share of the sigma-weighted test events and of the uniform points
    (Xa, La), (Xb, Lb) = rm.test_sets(args.n_test)
    dom_sigma = {c: float(np.mean(La.y == k)) for k, c in enumerate(jf.CHANNELS)}
    dom_volume = {c: float(np.mean(Lb.y == k)) for k, c in enumerate(jf.CHANNELS)}
    result = dict(fit_seconds=fit_s, learning_curve_seconds=lc_s, labels=len(rm.X_), history=rm.history,
                  metrics=ev, learning_curves=lc, labels_to_99=need, feature_importance=imp, share_regression=shares,
                  dominant_fraction_sigma=dom_sigma, dominant_fraction_volume=dom_volume,
                  openmp=jf.openmp_enabled(), threads=jf.max_threads())
    (out / "region_study.json").write_text(json.dumps(result, indent=1, default=float))
    lines = ["# Region-map study: dominant mechanism, state U, default domain, sqrt(s) = 63 GeV", "",
             f"`python benchmarks/region_study.py --budget {args.budget} --batch {args.batch}` "
             f"({jf.max_threads()} threads)", "",
             f"RegionMapper.fit(): {len(rm.X_):,} labels in {fit_s:.1f} s "
             f"(HistGradientBoostingClassifier, batches of {args.batch})", "",
             "## Labels needed for 99 % sigma-weighted accuracy (sigma-weighted test set, "
             f"{args.n_test:,} exactly labelled events)", "",
             "| design | labels to 99 % |", "|---|---|"]
    for d, n in need.items():
        lines.append(f"| {d.replace('_', ' ')} | {n if n is not None else '> ' + str(max(budgets))} |")
    if need.get("active") and need.get("uniform_grid"):
        lines += ["", f"uniform grid / active = {need['uniform_grid'] / need['active']:.1f}x"]
    lines += ["", "## Learning curves (sigma-weighted accuracy / boundary-layer accuracy)", "",
              "| labels | " + " | ".join(d.replace("_", " ") for d in lc) + " |",
              "|---|" + "---|" * len(lc)]
    for b in budgets:
        cells = []
        for d, rows in lc.items():
            row = next((r for r in rows if (d != "uniform_grid" and r["labels"] == b)), None)
            if d == "uniform_grid":
                row = min(rows, key=lambda r: abs(r["labels"] - b)) if rows else None
                cells.append(f"{row['sigma_weighted_accuracy']:.4f} / {row['boundary_accuracy']:.3f} "
                             f"({row['labels']:,} pts)" if row else "")
            else:
                cells.append(f"{row['sigma_weighted_accuracy']:.4f} / {row['boundary_accuracy']:.3f}" if row else "")
        lines.append(f"| {b:,} | " + " | ".join(cells) + " |")
    for name in ("sigma_weighted", "uniform"):
        m = ev[name]
        lines += ["", f"## Final map ({len(rm.X_):,} labels) on the {name.replace('_', '-')} test set", "",
                  f"accuracy {m['accuracy']:.4f}, balanced accuracy {m['balanced_accuracy']:.4f}, "
                  f"sigma-weighted accuracy {m['sigma_weighted_accuracy']:.4f}, boundary-layer accuracy "
                  f"{m['boundary_accuracy']:.4f} (boundary layer: {m['boundary_fraction']:.2%} of the points, "
                  f"{m['boundary_sigma_fraction']:.2%} of sigma), calibration ECE {m['calibration']['ece']:.4f}", "",
                  "confusion matrix (rows truth, columns prediction; " + ", ".join(jf.CHANNELS) + "):", ""]
        lines += ["    " + str(row) for row in m["confusion_matrix"]]
    lines += ["", "## Where each mechanism dominates", "",
              "| channel | share of sigma-weighted events | share of the domain volume (inside cuts) |", "|---|---|---|"]
    for c in jf.CHANNELS:
        lines.append(f"| {c} | {dom_sigma[c]:.2%} | {dom_volume[c]:.2%} |")
    lines += ["", "## Permutation importance (classifier, sigma-weighted test set)", "",
              "| feature | drop of accuracy |", "|---|---|"]
    for k, (m, s) in sorted(imp.items(), key=lambda kv: -kv[1][0]):
        lines.append(f"| {k} | {m:.4f} +- {s:.4f} |")
    lines += ["", "## Share regression (HistGradientBoostingRegressor per channel)", "",
              "| channel | R2 (sigma-weighted) | MSE (sigma-weighted) | R2 (uniform) | MSE (uniform) |", "|---|---|---|---|---|"]
    for c in jf.CHANNELS:
        a, u = shares["sigma_weighted"][c], shares["uniform"][c]
        lines.append(f"| {c} | {a['r2']:.4f} | {a['mse']:.2e} | {u['r2']:.4f} | {u['mse']:.2e} |")
    lines += ["", f"learning curves computed in {lc_s:.0f} s"]
    (out / "region_study.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
