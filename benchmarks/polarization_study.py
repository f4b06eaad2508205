"""Polarization observables at the EIC energies (docs/physics.md §11-12): the double-spin asymmetry A_LL of the
J/psi yield versus x and versus P_T, per mechanism and summed.

    python benchmarks/polarization_study.py [--n 200000] [--seed 0] [--out benchmarks/results] [--quick]

For the EIC beam set-ups 5x41, 5x100, 10x100, 10x275, 18x275 GeV (sqrt(s) = 2 sqrt(E_e E_p) = 28.6, 44.7, 63.2,
104.9, 140.7 GeV), the default Domain() (x in [0.1, 0.99], z in [0.1, 0.8], Q in [10, 50] GeV, P_T in [0, 6] GeV,
y <= 1, P_T <= z Q / 2), default Params (Gaussian TMD PDFs, kt2_pdf = 0.25, w_g1 = 0.19 GeV^2, chao2012 LDMEs),
tabulated GRV94 LO and GRSV 2000 LO (standard scenario) with the positivity clamp |x Df| <= x f.

Method: ``--n`` unweighted events distributed as dsigma_U (unpolarized beams; jpsi_fast.Integrator.sample), then at
every event the unpolarized yield F_UU and its double-spin part F_LL (CrossSection.evaluate, states U, U_LL). In a
bin, A_LL = int F_LL / int F_UU = the mean of F_LL/F_UU over its events (importance sampling), error = its standard
error. Channel asymmetries use the same events: A_LL(channel) = sum F_LL(channel)/F_UU / sum F_UU(channel)/F_UU.
Writes polarization_all_vs_x_pt.png and polarization.md (+ .json) into --out. ``--quick``: 20k events into a
temporary folder unless --out is given.
"""
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jpsi_fast as jf  # noqa: E402

#: EIC beam energies (electron, proton) [GeV]
EIC_BEAMS = ((5, 41), (5, 100), (10, 100), (10, 275), (18, 275))
X_EDGES = np.array([0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 0.99])
PT_EDGES = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])
GROUPS = {"sum": jf.CHANNELS, "ff": ("ff",), "PGF": ("pgf_1s0_8", "pgf_3pj_8", "pgf_3s1_1")}


def study(ebeam, pbeam, n, seed):
    sqrt_s = 2.0 * np.sqrt(ebeam * pbeam)
    xs = jf.CrossSection(jf.Params(sqrt_s=sqrt_s))
    dom = jf.Domain()
    ev = jf.Integrator(dom, seed=seed).sample(xs, n, progress=False)
    r = xs.evaluate(ev.x, ev.z, ev.Q, ev.PT, states=("U", "U_LL"), lambda_e=0.0, S_N=0.0)
    uu_tot = r.total("U")
    res = {"sqrt_s": sqrt_s, "beams": f"{ebeam}x{pbeam}", "sigma_U_pb": ev.sigma, "events": len(ev)}
    for var, vals, edges in (("x", ev.x, X_EDGES), ("PT", ev.PT, PT_EDGES)):
        idx = np.digitize(vals, edges) - 1
        per = {}
        for g, chans in GROUPS.items():
            uu = sum(r[c, "U"] for c in chans) / uu_tot            # this group's share of F_UU at each event
            ll = sum(r[c, "U_LL"] for c in chans) / uu_tot
            a, e = [], []
            for b in range(len(edges) - 1):
                m = idx == b
                if m.sum() < 20 or uu[m].sum() <= 0:
                    a.append(np.nan)
                    e.append(np.nan)
                    continue
                su, sl = uu[m].mean(), ll[m].mean()
                ratio = sl / su
                # delta method for the ratio of two means of the same events
                cov = np.cov(np.vstack([ll[m], uu[m]])) / m.sum()
                g_vec = np.array([1.0 / su, -sl / su ** 2])
                a.append(float(ratio))
                e.append(float(np.sqrt(max(g_vec @ cov @ g_vec, 0.0))))
            per[g] = {"A_LL": a, "error": e}
        res[var] = {"edges": edges.tolist(), **per}
    whole = r.total("U_LL") / uu_tot
    res["A_LL_integrated"] = (float(whole.mean()), float(whole.std(ddof=1) / np.sqrt(len(whole))))
    return res


def plot(results, path):
    import matplotlib.pyplot as plt
    from jpsi_fast.plotting import _finish
    fig, axes = plt.subplots(2, len(GROUPS), figsize=(4.2 * len(GROUPS), 7.0), layout="constrained",
                             sharey="row")
    for row, var in enumerate(("x", "PT")):
        for col, g in enumerate(GROUPS):
            ax = axes[row, col]
            for k, res in enumerate(results):
                edges = np.array(res[var]["edges"])
                a = np.array(res[var][g]["A_LL"])
                e = np.array(res[var][g]["error"])
                ax.stairs(a, edges, color=f"C{k}", baseline=None,
                          label=f"{res['beams']} GeV ($\\sqrt{{s}}$ = {res['sqrt_s']:.0f})")
                ax.fill_between(edges, np.append(a - e, (a - e)[-1]), np.append(a + e, (a + e)[-1]), step="post",
                                color=f"C{k}", alpha=0.25, lw=0)
            ax.axhline(0, color="0.6", lw=0.6)
            ax.set_xlabel("$x$" if var == "x" else "$P_T$ [GeV]")
            ax.set_title({"sum": "sum of channels", "ff": r"$q\to J/\psi$", "PGF": "photon-gluon fusion"}[g],
                         fontsize=10)
            ax.grid(alpha=0.3)
            if col == 0:
                ax.set_ylabel(r"$A_{LL}$ of $\sigma_U$")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.suptitle("J/psi double-spin asymmetry, GRSV 2000 LO std / GRV94 LO, default domain", fontsize=10)
    return _finish(fig, path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 20_000 if args.quick else args.n
    out = Path(args.out) if args.out else (Path(tempfile.mkdtemp()) if args.quick else
                                           Path(__file__).resolve().parent / "results")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results = [study(e, p, n, args.seed) for e, p in EIC_BEAMS]
    plot(results, out / "polarization_all_vs_x_pt.png")
    lines = ["# Double-spin asymmetry A_LL of sigma_U at the EIC energies (benchmarks/polarization_study.py)", "",
             f"{n:,} unweighted events per set-up, seed {args.seed}; default domain and parameters, GRSV 2000 LO "
             "std with the positivity clamp.", "",
             "| beams [GeV] | sqrt(s) [GeV] | sigma_U [pb] | A_LL (all) | A_LL ff, x in [0.5, 0.7) | "
             "A_LL PGF, x in [0.5, 0.7) |", "|---|---|---|---|---|---|"]
    k = int(np.searchsorted(X_EDGES, 0.5))
    for res in results:
        a, e = res["A_LL_integrated"]
        ff = res["x"]["ff"]
        pg = res["x"]["PGF"]
        lines.append(f"| {res['beams']} | {res['sqrt_s']:.1f} | {res['sigma_U_pb']:.4e} | {a:.4f} ± {e:.4f} | "
                     f"{ff['A_LL'][k]:.4f} ± {ff['error'][k]:.4f} | {pg['A_LL'][k]:.4f} ± {pg['error'][k]:.4f} |")
    lines += ["", f"({time.perf_counter() - t0:.0f} s)"]
    (out / "polarization.md").write_text("\n".join(lines) + "\n")
    (out / "polarization.json").write_text(json.dumps(results, indent=1))
    print("\n".join(lines))
    print("wrote", out / "polarization_all_vs_x_pt.png")


if __name__ == "__main__":
    main()
