"""Robust-dominance study: where does one production mechanism dominate sigma_U under every theory variation?

    python benchmarks/robust_dominance_study.py [--n-sigma 500000] [--n-uniform 500000] [--grid 200]
                                                [--seed 0] [--out benchmarks/results] [--quick]

For sqrt(s) = 29, 45, 63, 105, 141 GeV (docs/physics.md §1), the default Domain() (x in [0.1, 0.99], z in
[0.1, 0.8], Q in [10, 50] GeV, P_T in [0, 6] GeV, y <= 1, P_T <= z Q / 2; the Domain of
benchmarks/region_study.py), the default Params (Gaussian TMD PDF, tabulated GRV94 LO, chao2012 LDMEs) at that
sqrt(s), state U, and the variations ``Variations(scales="7-point", ldme_sets="positive")``: the central
prediction, 6 scale points and the 5 named LDME sets other than the central one without a negative element
(12 in all; every variation on its own, as in docs/physics.md §10).

Labels are exact (CrossSection.evaluate with variations=, no classifier): at each point the channel with the
largest sigma_U under each variation (:func:`jpsi_fast.regions.dominant_by_variation`); a point has a *robust*
dominant mechanism when that channel is the same under all variations, else it is *ambiguous*
(:func:`jpsi_fast.regions.robust_dominant`, the labels of RegionMapper(target="robust_dominant")).

Method. (a) Fraction of sigma_U: ``--n-sigma`` unweighted events distributed as the central
dsigma_U/(dx dQ dz dP_T) = 4 Q P_T dsigma/(dx dQ^2 dz dP_T^2) inside the cuts (jpsi_fast.Integrator.sample,
adapted VEGAS map + accept-reject; importance sampling), so the sigma fraction of a class is the fraction of
events in it (binomial error sqrt(f (1 - f) / N)). Fraction of phase-space volume: ``--n-uniform`` points uniform
in (x, z, Q, P_T) inside the cuts (rejection sampling in the Domain's box); the sigma fraction is cross-checked on
these uniform points with the weights 4 Q P_T sigma_U (column "sigma (uniform, weighted)"). (b) Survival of the
quark-fragmentation region: among the events whose central dominant channel is ff, the fraction that stay
ff-dominated under all variations (= the fraction of the central-ff sigma with a robust ff label), also per
single variation and for subsets of the variations (scales only, LDME sets only, and all but the chao2012
extreme-direction sets set2/set3, which put ⟨O(³S₁⁽⁸⁾)⟩ or ⟨O(¹S₀⁽⁸⁾)⟩ to 0). Where that region lies is
given by quantiles of (x, Q, z, P_T, y, P_T / (z Q / 2)) over its events.

Figures (benchmarks/results/robust_dominance_<sqrts>.png): exact robust class on 3 slices -- (z, P_T) at the
sigma-weighted medians of (x, Q); (z, P_T) at the medians of (x, Q) of the central-ff events; (x, Q) at the
medians of (z, P_T) of the central-ff events -- channel colours as jpsi_fast.plotting.plot_region_map, ambiguous
hatched (pale colour of the central dominant channel), outside the cuts grey, the central dominant-channel
boundaries dashed and the region where ff is robust without the chao2012 extreme sets shaded navy (dash-dotted
outline). Table: robust_dominance.md (+ .json) in --out.
``--quick``: 20k points and coarse grids into a temporary folder (smoke run, < 1 min) unless --out is given.
"""
import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import jpsi_fast as jf
from jpsi_fast.components import CHANNEL_LABELS, CHANNELS
from jpsi_fast.plotting import OUTSIDE_COLOR, VARIABLE_LABELS, VARIABLE_UNITS
from jpsi_fast.regions import RegionMapper, dominant_by_variation, robust_dominant

SQRT_S = (29.0, 45.0, 63.0, 105.0, 141.0)
VARIATIONS = jf.Variations(scales="7-point", ldme_sets="positive")
#: the chao2012 sets along the extreme directions of the fit (one octet LDME set to 0)
EXTREME_SETS = ("ldme:chao2012_set2", "ldme:chao2012_set3")
AMB = len(CHANNELS)                         # class index of "ambiguous"
CLASSES = CHANNELS + ("ambiguous",)
#: pale tint (mix with white) of the central dominant channel's colour in the ambiguous region
AMBIGUOUS_TINT = 0.35
FF = CHANNELS.index("ff")


def subsets(variations):
    """{name: indices into the resolved variations} of the variation subsets compared (central always in)."""
    src = [v.source for v in variations]
    names = [v.name for v in variations]
    return {"all (7-point scales + positive LDME sets)": list(range(len(variations))),
            "7-point scales only": [i for i, s in enumerate(src) if s in ("central", "scale")],
            "positive LDME sets only": [i for i, s in enumerate(src) if s in ("central", "ldme")],
            "all but chao2012_set2/set3": [i for i, n in enumerate(names) if n not in EXTREME_SETS]}


def binom(f, n):
    return float(np.sqrt(max(f * (1 - f), 0.0) / max(n, 1)))


def labels(xs, X, chunk=100_000):
    """(values (n_var, 4, n) of sigma_U, resolved variations) at points X (n, 4), in chunks (bounded memory)."""
    parts, variations = [], None
    for i in range(0, max(len(X), 1), chunk):
        r = xs.evaluate(*X[i:i + chunk].T, states="U", variations=VARIATIONS)
        parts.append(np.array(r.values[:, :, 0]))
        variations = tuple(r.layout.variations)
    return np.concatenate(parts, axis=-1), variations


def quantiles(X, mask, s_had, q=(0.05, 0.5, 0.95)):
    """Quantiles q of the variables, y and P_T / (z Q / 2) over the points X[mask] (None if empty)."""
    if not mask.any():
        return None
    x, z, Q, PT = X[mask].T
    return {"x": np.quantile(x, q).tolist(), "Q": np.quantile(Q, q).tolist(), "z": np.quantile(z, q).tolist(),
            "PT": np.quantile(PT, q).tolist(), "y": np.quantile(Q * Q / (x * s_had), q).tolist(),
            "PT_over_tmd_cut": np.quantile(PT / (0.5 * z * Q), q).tolist()}


def study_energy(rs, args):
    xs = jf.CrossSection(jf.Params(sqrt_s=rs))
    s_had = float(xs.params.s)
    dom = jf.Domain()
    t0 = time.perf_counter()
    ev = jf.Integrator(dom, seed=args.seed, n_threads=args.threads).sample(xs, args.n_sigma, adapt_to="U",
                                                                           progress=False)
    Xs = np.ascontiguousarray(ev.points[:, :4])
    rm = RegionMapper(xs, dom, target="robust_dominant", variations=VARIATIONS, seed=args.seed,
                      n_threads=args.threads, batch_size=10, budget=10)
    Xu = rm.uniform_points(args.n_uniform, np.random.default_rng(args.seed + 1))
    t_pts = time.perf_counter() - t0
    t0 = time.perf_counter()
    Vs, variations = labels(xs, Xs)
    Vu, _ = labels(xs, Xu)
    t_lab = time.perf_counter() - t0
    names = [v.name for v in variations]
    ds, du = dominant_by_variation(Vs), dominant_by_variation(Vu)
    cen_s, cen_u = ds[0], du[0]
    w_u = 4 * Xu[:, 2] * Xu[:, 3] * Vu[0].sum(axis=0)              # sigma weights of the uniform points
    out = {"sqrt_s": rs, "n_sigma": len(Xs), "n_uniform": len(Xu), "n_overweight": int(ev.n_overweight),
           "variations": names, "points_s": t_pts, "labels_s": t_lab, "subsets": {}}
    for sname, idx in subsets(variations).items():
        rob_s = robust_dominant(Vs[idx], ambiguous=AMB, no_dominant=0)
        rob_u = robust_dominant(Vu[idx], ambiguous=AMB, no_dominant=0)
        central_ff = cen_s == FF
        row = {"variations": [names[i] for i in idx],
               "sigma": {c: float(np.mean(rob_s == k)) for k, c in enumerate(CLASSES)},
               "sigma_uniform_weighted": {c: float(np.average(rob_u == k, weights=w_u)) for k, c in enumerate(CLASSES)},
               "volume": {c: float(np.mean(rob_u == k)) for k, c in enumerate(CLASSES)},
               "ff_survival": float(np.mean(rob_s[central_ff] == FF)) if central_ff.any() else float("nan"),
               "ff_robust_where": quantiles(Xs, rob_s == FF, s_had)}
        out["subsets"][sname] = row
    out["vanishing"] = {names[k]: [c for j, c in enumerate(CHANNELS) if not np.any(Vs[k, j] != 0)]
                        for k in range(len(names)) if not np.all(Vs[k].any(axis=1))}
    out["central_dominant_sigma"] = {c: float(np.mean(cen_s == k)) for k, c in enumerate(CHANNELS)}
    out["central_dominant_volume"] = {c: float(np.mean(cen_u == k)) for k, c in enumerate(CHANNELS)}
    cff = cen_s == FF
    out["ff_survival_per_variation"] = {n: float(np.mean(ds[k][cff] == FF)) if cff.any() else float("nan")
                                        for k, n in enumerate(names)}
    out["central_ff_where"] = quantiles(Xs, cff, s_had)
    out["all_events_where"] = quantiles(Xs, np.ones(len(Xs), bool), s_had)
    # figure slices
    med = lambda M, j: float(np.median(M[:, j]))                    # noqa: E731
    ffX = Xs[cff] if cff.sum() > 100 else Xs
    slices = [("z", "PT", {"x": med(Xs, 0), "Q": med(Xs, 2)}, "sigma-weighted median (x, Q)"),
              ("z", "PT", {"x": med(ffX, 0), "Q": med(ffX, 2)}, "median (x, Q) of central-ff events"),
              ("x", "Q", {"z": med(ffX, 1), "PT": med(ffX, 3)}, "median (z, P_T) of central-ff events")]
    t0 = time.perf_counter()
    plot(xs, dom, variations, slices, args, Path(args.out) / f"robust_dominance_{rs:g}.png")
    out["figure_s"] = time.perf_counter() - t0
    out["slices"] = [dict(var_x=a, var_y=b, fixed=f, what=w) for a, b, f, w in slices]
    return out


def grid_classes(xs, dom, variations, var_x, var_y, fixed, res):
    bounds = dict(zip(("x", "z", "Q", "PT"), dom.bounds))
    GX, GY = np.meshgrid(np.linspace(*bounds[var_x], res), np.linspace(*bounds[var_y], res))
    cols = {var_x: GX.ravel(), var_y: GY.ravel()}
    cols.update({k: np.full(GX.size, v) for k, v in fixed.items()})
    X = np.column_stack([cols[v] for v in ("x", "z", "Q", "PT")])
    inside = dom.contains(*X.T, xs.params)
    rob = np.full(GX.size, -1.0)
    cen = np.full(GX.size, np.nan)
    ff_red = np.full(GX.size, np.nan)
    if inside.any():
        V, _ = labels(xs, X[inside])
        rob[inside] = robust_dominant(V, ambiguous=AMB, no_dominant=0)
        cen[inside] = dominant_by_variation(V[:1])[0]
        keep = subsets(variations)["all but chao2012_set2/set3"]
        ff_red[inside] = robust_dominant(V[keep], ambiguous=AMB, no_dominant=0) == FF
    return GX, GY, rob.reshape(GX.shape), cen.reshape(GX.shape), ff_red.reshape(GX.shape)


def plot(xs, dom, variations, slices, args, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.colors import to_rgb
    fig, axes = plt.subplots(1, len(slices), figsize=(5.6 * len(slices), 4.9), layout="constrained")
    n_ch = len(CHANNELS)
    base = [to_rgb(f"C{k}") for k in range(n_ch)]
    pale = [tuple(AMBIGUOUS_TINT * c + (1 - AMBIGUOUS_TINT) for c in rgb) for rgb in base]
    # codes: -1 outside the cuts, k robust channel k, n_ch + k ambiguous with central dominant channel k
    cmap = ListedColormap([OUTSIDE_COLOR] + base + pale)
    for ax, (vx, vy, fixed, what) in zip(axes, slices):
        GX, GY, rob, cen, ff_red = grid_classes(xs, dom, variations, vx, vy, fixed, args.grid)
        code = np.where(rob == AMB, n_ch + np.nan_to_num(cen, nan=0.0), rob)
        ax.pcolormesh(GX, GY, code, cmap=cmap, vmin=-1.5, vmax=2 * n_ch - 0.5, shading="auto")
        amb = np.where(rob < 0, np.nan, (rob == AMB).astype(float))
        if np.nanmax(amb, initial=0) > 0.5:
            ax.contourf(GX, GY, amb, levels=[0.5, 1.5], colors="none", hatches=["///"])
            ax.contour(GX, GY, amb, levels=[0.5], colors="k", linewidths=1.3)
        for c in range(n_ch - 1):
            edge = np.where(np.isnan(cen), np.nan, (cen > c + 0.5).astype(float))
            if np.nanmin(edge, initial=np.inf) < 0.5 < np.nanmax(edge, initial=-np.inf):
                ax.contour(GX, GY, edge, levels=[0.5], colors="0.25", linewidths=1.0, linestyles="--")
        if np.nanmax(ff_red, initial=0) > 0.5:
            ax.contourf(GX, GY, ff_red, levels=[0.5, 1.5], colors="navy", alpha=0.18)
            ax.contour(GX, GY, ff_red, levels=[0.5], colors="navy", linewidths=2.2, linestyles="-.")
        ax.set_xlabel(VARIABLE_LABELS[vx] + VARIABLE_UNITS[vx])
        ax.set_ylabel(VARIABLE_LABELS[vy] + VARIABLE_UNITS[vy])
        txt = ", ".join(f"{VARIABLE_LABELS[k]}={v:.3g}{VARIABLE_UNITS[k]}" for k, v in fixed.items())
        ax.set_title(f"{txt}\n({what})", fontsize=9)
    handles = [plt.Rectangle((0, 0), 1, 1, color=base[k]) for k in range(n_ch)]
    labels_ = [f"{CHANNEL_LABELS.get(c, c)} robust" for c in CHANNELS]
    handles += [plt.Rectangle((0, 0), 1, 1, facecolor=pale[FF], edgecolor="k", hatch="///"),
                plt.Line2D([], [], color="0.25", ls="--"), (plt.Rectangle((0, 0), 1, 1, color="navy", alpha=0.18),
                                                             plt.Line2D([], [], color="navy", ls="-.", lw=2.2)),
                plt.Rectangle((0, 0), 1, 1, color=OUTSIDE_COLOR)]
    labels_ += ["ambiguous (hatched; pale colour = central dominant channel)", "central dominant-channel boundary",
                "ff robust without chao2012 set2/set3", "outside cuts"]
    fig.legend(handles, labels_, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(f"Robust dominant mechanism of $\\sigma_U$, $\\sqrt{{s}}$ = {xs.params.sqrt_s:g} GeV "
                 "(7-point scales + positive LDME sets, 12 variations)", fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fmt_where(q):
    if q is None:
        return "(empty)"
    f = lambda k, d=2: f"{q[k][1]:.{d}f} [{q[k][0]:.{d}f}, {q[k][2]:.{d}f}]"    # noqa: E731
    return (f"x {f('x')}, Q {f('Q', 1)} GeV, z {f('z')}, P_T {f('PT')} GeV, y {f('y')}, "
            f"P_T/(zQ/2) {f('PT_over_tmd_cut')}")


def _span(results, var, d=2, where="central_ff_where"):
    """'min-max' over the energies of the median of ``var`` in region ``where`` ("subset": robust ff without the
    chao2012 extreme sets)."""
    qs = [r["subsets"]["all but chao2012_set2/set3"]["ff_robust_where"] if where == "subset" else r[where]
          for r in results]
    vals = [q[var][1] for q in qs if q is not None]
    return f"{min(vals):.{d}f}-{max(vals):.{d}f}" if vals else "(empty)"


def words(results, main_name):
    """A paragraph stating the headline numbers and where the ff region is (from the medians)."""
    rob = [1 - r["subsets"][main_name]["sigma"]["ambiguous"] for r in results]
    vol = [1 - r["subsets"][main_name]["volume"]["ambiguous"] for r in results]
    surv = [r["subsets"][main_name]["ff_survival"] for r in results]
    red = [r["subsets"]["all but chao2012_set2/set3"]["ff_survival"] for r in results]
    sc = [r["subsets"]["7-point scales only"]["ff_survival"] for r in results]
    van = "; ".join(f"`{v}`: {', '.join(c)}" for v, c in results[0]["vanishing"].items())
    kept = [v for v in results[0]["variations"][1:] if v not in EXTREME_SETS]
    worst = min(kept, key=lambda v: np.mean([r["ff_survival_per_variation"][v] for r in results]))
    worst_s = [r["ff_survival_per_variation"][worst] for r in results]
    robust_channels = sorted({c for r in results for c in CHANNELS if r["subsets"][main_name]["sigma"][c] > 0})
    txt = (f"Under all 12 variations {min(rob):.0%}-{max(rob):.0%} of sigma_U (but only {min(vol):.1%}-"
           f"{max(vol):.1%} of the phase-space volume) has a robust dominant mechanism, and it is always "
           f"{' / '.join(robust_channels) or 'none'}. ")
    if van:
        txt += (f"Some LDME sets put a channel's LDME to 0, so that channel vanishes identically under them and "
                f"can never dominate robustly ({van}). ")
    txt += f"The ff survival is {min(surv):.3f}-{max(surv):.3f}. "
    txt += (f"With the 7-point scales alone {min(sc):.0%}-{max(sc):.0%} of the central-ff sigma stays ff-dominated, "
            f"with all variations but chao2012_set2/set3 {min(red):.0%}-{max(red):.0%} (the single variation that "
            f"removes most of it there: `{worst}`, ff survival {min(worst_s):.0%}-{max(worst_s):.0%} alone). ")
    txt += (f"The central-ff sigma lies in the large-P_T, large-x, large-Q corner of the domain: median P_T "
            f"{_span(results, 'PT')} GeV (all events: {_span(results, 'PT', where='all_events_where')} GeV), "
            f"x {_span(results, 'x')} (all: {_span(results, 'x', where='all_events_where')}), Q "
            f"{_span(results, 'Q', 1)} GeV (all: {_span(results, 'Q', 1, where='all_events_where')} GeV), "
            f"at all z with a slightly lower median ({_span(results, 'z')} vs "
            f"{_span(results, 'z', where='all_events_where')}). In the (z, P_T) plane it is the upper, "
            "large-P_T band below the TMD cut P_T = zQ/2 (median P_T/(zQ/2) "
            f"{_span(results, 'PT_over_tmd_cut')}); the part that stays robust without chao2012_set2/set3 is the "
            f"extreme of that corner (median P_T {_span(results, 'PT', where='subset')} GeV, x "
            f"{_span(results, 'x', where='subset')}).")
    return txt


def write_markdown(results, args, command, wall):
    main_name = "all (7-point scales + positive LDME sets)"
    n = results[0]["n_sigma"]
    lines = ["# Robust dominance of the J/psi production mechanisms (sigma_U, default Domain)", "",
             f"`{command}`", "",
             f"Runtime {wall:.0f} s on {os.cpu_count()} cores ({jf.max_threads()} threads), "
             f"Python {platform.python_version()}, jpsi_fast {jf.__version__}.", "",
             "Variations: `jf.Variations(scales=\"7-point\", ldme_sets=\"positive\")` = "
             + ", ".join(f"`{v}`" for v in results[0]["variations"]) + ". Default Params (Gaussian TMD PDF, "
             "GRV94 LO, chao2012 central LDMEs), state U, `jf.Domain()` defaults (x 0.1-0.99, z 0.1-0.8, "
             "Q 10-50 GeV, P_T 0-6 GeV, y <= 1, P_T <= zQ/2). A point has a robust dominant mechanism when the "
             "channel with the largest sigma_U is the same under every variation, else it is *ambiguous*.", "",
             f"Method: exact labels on {n:,} unweighted events distributed as the central sigma_U (importance "
             f"sampling; sigma fraction = event fraction, binomial error <= {binom(0.5, n):.4f}) and on "
             f"{results[0]['n_uniform']:,} points uniform in (x, z, Q, P_T) inside the cuts (volume fraction; "
             "the sigma fraction is cross-checked there with weights 4 Q P_T sigma_U). See the script's "
             "docstring.", "",
             "## Summary: robust dominant mechanism under all 12 variations", "",
             "| sqrt(s) [GeV] | sigma with a robust mechanism | of which per channel (ff / 1S0[8] / 3PJ[8] / "
             "3S1[1]) | sigma ambiguous | volume with a robust mechanism | volume ambiguous | central-ff share "
             "of sigma | ff survival |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        m = r["subsets"][main_name]
        rob = 1 - m["sigma"]["ambiguous"]
        per = " / ".join(f"{m['sigma'][c]:.3f}" for c in CHANNELS)
        lines.append(f"| {r['sqrt_s']:g} | {rob:.3f} ± {binom(rob, r['n_sigma']):.3f} | {per} | "
                     f"{m['sigma']['ambiguous']:.3f} | {1 - m['volume']['ambiguous']:.3f} | "
                     f"{m['volume']['ambiguous']:.3f} | {r['central_dominant_sigma']['ff']:.4f} | "
                     f"{m['ff_survival']:.3f} |")
    lines += ["", "ff survival = fraction of the sigma whose central dominant channel is ff that stays ff-dominated "
              "under all variations.", "", "### In words", "", words(results, main_name), "",
              "## Per channel (all 12 variations)", "",
              "| sqrt(s) | class | central dominant: sigma | robust: sigma (events) | robust: sigma (uniform, "
              "weighted) | central dominant: volume | robust: volume |", "|---|---|---|---|---|---|---|"]
    for r in results:
        m = r["subsets"][main_name]
        for c in CLASSES:
            cs = r["central_dominant_sigma"].get(c)
            cv = r["central_dominant_volume"].get(c)
            lines.append(f"| {r['sqrt_s']:g} | {c} | {'' if cs is None else f'{cs:.4f}'} | {m['sigma'][c]:.4f} | "
                         f"{m['sigma_uniform_weighted'][c]:.4f} | {'' if cv is None else f'{cv:.4f}'} | "
                         f"{m['volume'][c]:.4f} |")
    lines += ["", "## Sensitivity to the choice of variations", "",
              "Fraction of sigma (events) with a robust mechanism / ff survival / fraction of sigma robustly ff.", "",
              "| variations | " + " | ".join(f"{r['sqrt_s']:g} GeV" for r in results) + " |",
              "|---|" + "---|" * len(results)]
    for sname in results[0]["subsets"]:
        cells = []
        for r in results:
            m = r["subsets"][sname]
            cells.append(f"{1 - m['sigma']['ambiguous']:.3f} / {m['ff_survival']:.3f} / {m['sigma']['ff']:.4f}")
        lines.append(f"| {sname} ({len(results[0]['subsets'][sname]['variations'])}) | " + " | ".join(cells) + " |")
    lines += ["", "## Survival of the central-ff region under each single variation", "",
              "Fraction of the central-ff sigma that is still ff-dominated under that variation alone.", "",
              "| variation | " + " | ".join(f"{r['sqrt_s']:g} GeV" for r in results) + " |",
              "|---|" + "---|" * len(results)]
    for v in results[0]["variations"][1:]:
        lines.append(f"| {v} | " + " | ".join(f"{r['ff_survival_per_variation'][v]:.3f}" for r in results) + " |")
    lines += ["", "## Where the quark-fragmentation region is", "",
              "Median [5 %, 95 % quantiles] over the sigma-weighted events of each region.", ""]
    for r in results:
        red = r["subsets"]["all but chao2012_set2/set3"]
        lines += [f"**{r['sqrt_s']:g} GeV** -- all events: {fmt_where(r['all_events_where'])}; "
                  f"central-ff events ({r['central_dominant_sigma']['ff']:.2%} of sigma): "
                  f"{fmt_where(r['central_ff_where'])}; robust ff under all 12 variations: "
                  f"{fmt_where(r['subsets'][main_name]['ff_robust_where'])}; robust ff without chao2012 "
                  f"set2/set3 ({red['sigma']['ff']:.2%} of sigma): {fmt_where(red['ff_robust_where'])}.", ""]
    lines += ["## Figures", ""]
    for r in results:
        lines.append(f"- `robust_dominance_{r['sqrt_s']:g}.png`: " + "; ".join(
            f"({s['var_x']}, {s['var_y']}) at " + ", ".join(f"{k}={v:.3g}" for k, v in s["fixed"].items())
            for s in r["slices"]))
    lines += ["", "Timing per sqrt(s) (points / labels / figure, s): " + ", ".join(
        f"{r['sqrt_s']:g}: {r['points_s']:.1f} / {r['labels_s']:.1f} / {r['figure_s']:.1f}" for r in results)
        + "; unweighted-sampler overweight events: " + ", ".join(str(r["n_overweight"]) for r in results) + "."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-sigma", type=int, default=500_000, help="sigma-distributed events per sqrt(s)")
    ap.add_argument("--n-uniform", type=int, default=500_000, help="uniform points per sqrt(s)")
    ap.add_argument("--grid", type=int, default=200, help="figure grid points per axis")
    ap.add_argument("--sqrt-s", type=float, nargs="+", default=list(SQRT_S))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", default=None, help="default benchmarks/results (a temporary folder with --quick)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 20k points, 60x60 grids")
    args = ap.parse_args(argv)
    if args.quick:
        args.n_sigma, args.n_uniform, args.grid = min(args.n_sigma, 20_000), min(args.n_uniform, 20_000), 60
    if args.out is None:
        args.out = tempfile.mkdtemp(prefix="robust_dominance_") if args.quick else "benchmarks/results"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/robust_dominance_study.py" + ("" if argv is None and len(sys.argv) == 1 else
                                                               " " + " ".join(sys.argv[1:] if argv is None else argv))
    t0 = time.perf_counter()
    results = []
    for rs in args.sqrt_s:
        results.append(study_energy(rs, args))
        print(f"sqrt(s) = {rs:g} GeV done ({time.perf_counter() - t0:.0f} s)", flush=True)
    wall = time.perf_counter() - t0
    md = write_markdown(results, args, command, wall)
    (out / "robust_dominance.md").write_text(md)
    (out / "robust_dominance.json").write_text(json.dumps(dict(results=results, wall_s=wall, command=command),
                                                          indent=1, default=float))
    print(md)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
