"""Lab-frame distributions and the decay validation at 18x275 GeV (docs/physics.md §13).

Left: dsigma/d eta of the decay muons (both) without cuts and in the typical acceptance, per production channel
(hist histograms of the lab-frame integrand). Right: lambda_theta, lambda_phi, lambda_thetaphi refitted (method of
moments) from the decay angles of unweighted events, in P_T bins, against the density matrix integrated over the
same bins (histogram of the 4-D integrand with the states U, L, Sp0, Spm), with the refit's statistical errors and
the pulls. Results: benchmarks/results/lab_frame_18x275.png and .md.

    python benchmarks/lab_frame_study.py [--events N] [--model collinear|gaussian]
"""
import argparse
import math
from pathlib import Path

import hist
import matplotlib
import numpy as np
from scipy import stats

import jpsi_fast as jf
from jpsi_fast.components import CHANNEL_LABELS
from jpsi_fast.events import EventGenerator

RESULTS = Path(__file__).resolve().parent / "results"
PT_EDGES = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 6.0])


def refit(cos_t, phi):
    """(lambda_theta, lambda_phi, lambda_thetaphi) and their errors from the angular moments (docs/physics.md §12)."""
    n = len(cos_t)
    s2 = 1 - cos_t ** 2
    f1, f2, f3 = cos_t ** 2, s2 * np.cos(2 * phi), 2 * np.sqrt(s2) * cos_t * np.cos(phi)
    m1 = f1.mean()
    lt = (5 - 15 * m1) / (5 * m1 - 3)
    k = 5 * (3 + lt) / 4
    e_lt = abs(-15 * (5 * m1 - 3) - 5 * (5 - 15 * m1)) / (5 * m1 - 3) ** 2 * f1.std() / math.sqrt(n)
    return (lt, k * f2.mean(), k * f3.mean()), (e_lt, k * f2.std() / math.sqrt(n), k * f3.std() / math.sqrt(n))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=400_000)
    ap.add_argument("--model", choices=("collinear", "gaussian"), default="gaussian")
    args = ap.parse_args()
    matplotlib.use("Agg")                       # a script, not library code
    import matplotlib.pyplot as plt
    xs = jf.CrossSection(jf.Params(beams="18x275", tmd_pdf=args.model))
    eta = hist.axis.Regular(32, -4.0, 6.0, name="lep_plus_eta", label=r"$\eta_{\mu}$")
    eta_minus = hist.axis.Regular(32, -4.0, 6.0, name="lep_minus_eta", label=r"$\eta_{\mu}$")
    hists = {}
    for label, acc in (("no cuts", jf.Acceptance()), ("typical acceptance", jf.Acceptance.typical())):
        integ = jf.Integrator(jf.Domain(acceptance=acc), seed=1)
        hp = integ.histogram(xs, axes=[eta], nitn=6, neval=200_000)
        hm = integ.histogram(xs, axes=[eta_minus], nitn=6, neval=200_000)
        hists[label] = (hp.values()[:, 0] + hm.values()[:, 0]) / hp.widths, np.sqrt(
            hp.variances()[:, 0] + hm.variances()[:, 0]) / hp.widths
    gen = EventGenerator(xs, jf.Domain(acceptance=jf.Acceptance()), seed=2)
    ev = gen.generate(args.events)
    h = jf.Integrator(jf.Domain(), seed=3).histogram(xs, axes=[("PT", PT_EDGES)], nitn=8, neval=300_000,
                                                     states=("U", "L", "Sp0", "Spm"))
    lam, lam_err = h.lambdas()
    rows, pulls = [], []
    fits = []
    for b in range(len(PT_EDGES) - 1):
        m = (ev.PT >= PT_EDGES[b]) & (ev.PT < PT_EDGES[b + 1])
        v, e = refit(ev.cos_theta[m], ev.phi[m])
        fits.append((v, e))
        cells = []
        for j, key in enumerate(("theta", "phi", "thetaphi")):
            pull = (v[j] - lam[key][b]) / math.hypot(e[j], lam_err[key][b])
            pulls.append(pull)
            cells.append(f"{v[j]:+.4f} ± {e[j]:.4f} | {lam[key][b]:+.4f} | {pull:+.2f}")
        rows.append(f"| {PT_EDGES[b]:g}–{PT_EDGES[b + 1]:g} | {int(m.sum()):,} | " + " | ".join(cells) + " |")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    edges = eta.edges
    for label, ls in (("no cuts", "--"), ("typical acceptance", "-")):
        v, e = hists[label]
        for c, ch in enumerate(h.channels):
            ax1.stairs(v[c], edges, ls=ls, color=f"C{c}", label=f"{CHANNEL_LABELS.get(ch, ch)}, {label}")
    ax1.set_yscale("log")
    ax1.axvspan(-3.5, 3.5, color="0.9", zorder=-1)
    ax1.set_xlabel(r"$\eta$ of the decay muons (lab)")
    ax1.set_ylabel(r"$d\sigma/d\eta$ [pb] (both muons, before B)")
    ax1.legend(fontsize=6, ncol=2)
    centres = 0.5 * (PT_EDGES[1:] + PT_EDGES[:-1])
    for j, (key, name) in enumerate((("theta", r"$\lambda_\theta$"), ("phi", r"$\lambda_\varphi$"),
                                     ("thetaphi", r"$\lambda_{\theta\varphi}$"))):
        ax2.stairs(lam[key], PT_EDGES, color=f"C{j}", label=f"{name} density matrix")
        ax2.errorbar(centres, [f[0][j] for f in fits], yerr=[f[1][j] for f in fits], fmt="o", color=f"C{j}", ms=3,
                     label=f"{name} refitted from {len(ev):,} events")
    ax2.set_xlabel(r"$P_T$ [GeV]")
    ax2.set_ylabel("decay parameter (helicity frame)")
    ax2.legend(fontsize=7)
    ax2.grid(alpha=0.3)
    fig.suptitle(f"18x275 GeV, TMD model {args.model}: lab-frame muons and the decay validation", fontsize=9)
    RESULTS.mkdir(exist_ok=True)
    fig.savefig(RESULTS / "lab_frame_18x275.png", dpi=110)
    chi2 = float(np.sum(np.square(pulls)))
    text = "\n".join([
        f"# Decay validation at 18x275 GeV ({args.model})", "",
        f"`python benchmarks/lab_frame_study.py --events {args.events} --model {args.model}`", "",
        "Refit (moments) from the generated decay angles | density matrix of the same P_T bin | pull:", "",
        "| P_T [GeV] | events | lambda_theta refit | matrix | pull | lambda_phi refit | matrix | pull | "
        "lambda_thetaphi refit | matrix | pull |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *rows, "",
        f"chi^2 of the {len(pulls)} pulls: {chi2:.1f} (p = {float(stats.chi2.sf(chi2, len(pulls))):.2f}).",
        "", "![lab frame](lab_frame_18x275.png)", ""])
    (RESULTS / "lab_frame_18x275.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
