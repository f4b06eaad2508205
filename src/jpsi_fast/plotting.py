"""Figures (matplotlib, imported lazily; an optional dependency: ``pip install "jpsi_fast[plot]"``).

Every function draws into a given ``fig``/``ax`` or a new figure, returns the figure, and writes it only when a
``path`` is given. Nothing here changes matplotlib's global state (no backend selection): in scripts without a
display set ``MPLBACKEND=Agg`` or pass ``path`` and close the figure.
"""
from __future__ import annotations

import numpy as np

from .components import CHANNEL_LABELS

__all__ = ["plot_histogram", "plot_histogram_bands", "plot_lambdas", "plot_rates", "plot_region_map",
           "plot_learning_curves", "plot_feature_importance"]

LINESTYLES = {"U": "-", "L": "--", "T": ":"}
VARIABLE_LABELS = {"x": "$x$", "z": "$z$", "Q": "$Q$", "PT": "$P_T$", "y": "$y$", "cos_theta": r"$\cos\theta$",
                   "phi": r"$\varphi$", "phi_h": r"$\phi_h$", "jpsi_eta": r"$\eta_{J/\psi}$",
                   "jpsi_rapidity": r"$y_{J/\psi}$", "jpsi_pt": r"$p_{T,J/\psi}$", "e_eta": r"$\eta_{e'}$",
                   "lep_plus_eta": r"$\eta_{\ell^+}$", "lep_minus_eta": r"$\eta_{\ell^-}$",
                   "lep_plus_pt": r"$p_{T,\ell^+}$", "lep_minus_pt": r"$p_{T,\ell^-}$", "e_theta": r"$\theta_{e'}$",
                   "lep_plus_E": r"$E_{\ell^+}$", "lep_minus_E": r"$E_{\ell^-}$"}
VARIABLE_UNITS = {"x": "", "z": "", "Q": " [GeV]", "PT": " [GeV]", "jpsi_pt": " [GeV]", "jpsi_E": " [GeV]",
                  "e_pt": " [GeV]", "e_E": " [GeV]", "e_theta": " [rad]", "lep_plus_E": " [GeV]",
                  "lep_minus_E": " [GeV]", "lep_plus_pt": " [GeV]", "lep_minus_pt": " [GeV]"}
OUTSIDE_COLOR = "#d9d9d9"


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'jpsi_fast[plot]'") from None
    return plt


def _finish(fig, path, dpi=130):
    """Write the figure atomically (temporary name, then rename) when a path is given; return it."""
    if path is not None:
        import os
        from pathlib import Path

        from .data import _temp_name
        path = Path(path)
        tmp = _temp_name(path)
        try:
            fig.savefig(tmp, dpi=dpi, format=path.suffix[1:].lower() or "png")
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
    return fig


def _panels(h, fig):
    """(figure, axes, x_axis, selectors): one panel per (z, Q) bin of a ``bin`` x ``PT`` histogram (two columns,
    spare axes off), else one panel for a 1-D histogram; ``selectors[b]`` indexes panel b's row of the kinematic
    arrays."""
    plt = _pyplot()
    kin = h.kinematic_axes
    if kin == ("bin", "PT"):
        n, xname = len(h.bins), "PT"
    elif len(kin) == 1:
        n, xname = 1, kin[0]
    else:
        raise ValueError(f"plots need a (bin, PT) or a 1-D histogram; this one has kinematic axes {kin}: project it "
                         "first, e.g. h.project('channel', 'state', 'PT')")
    ncol = 2 if n > 1 else 1
    nrow = (n + ncol - 1) // ncol
    if fig is None:
        fig = plt.figure(figsize=(5.5 * ncol, 4.0 * nrow + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    for ax in axes[n:]:
        ax.axis("off")
    selectors = [b for b in range(n)] if kin == ("bin", "PT") else [Ellipsis]
    return fig, axes[:n], xname, selectors


def _axis_label(h, name):
    label = h.axes[name].label
    return label if label and label != name else VARIABLE_LABELS.get(name, name) + VARIABLE_UNITS.get(name, "")


def _label_panel(ax, h, b, xname, top, floor):
    """Log y axis from ``floor`` x ``top`` to 3 ``top`` (when top > 0), axis labels and the bin's title."""
    ax.set_yscale("log")
    if top > 0:
        ax.set_ylim(top * floor, top * 3)
    ax.set_xlabel(_axis_label(h, xname))
    unit = VARIABLE_UNITS.get(xname, "").strip(" []")
    ax.set_ylabel(rf"$d\sigma/d${VARIABLE_LABELS.get(xname, xname)} [pb{'/' + unit if unit else ''}]")
    if h.bins is not None:
        ax.set_title(h.bins[b].label, fontsize=10)
    ax.grid(alpha=0.3)


def plot_histogram(h, path=None, states=("U", "L"), fig=None):
    """Differential cross sections of a :class:`jpsi_fast.histograms.Histogram` (values / bin widths): one panel
    per (z, Q) bin for a ``bin`` x ``PT`` histogram, else one panel for a 1-D histogram; a step curve per
    channel and state (solid U, dashed L, dotted T) with its Monte Carlo error band, log y axis, one legend below
    the panels."""
    for st in states:
        if st not in h.states:
            raise ValueError(f"states: {st!r} not in the histogram's states {h.states}")
    fig, axes, xname, sel = _panels(h, fig)
    edges = np.asarray(h.axes[xname].edges)
    curves = {(ch, st): h.dsigma(ch, st) for ch in h.channels for st in states}
    for b, ax in enumerate(axes):
        top = 0.0
        for c, ch in enumerate(h.channels):
            color = f"C{c}"
            for st in states:
                v, e = (a[sel[b]] for a in curves[ch, st])
                ax.stairs(v, edges, color=color, ls=LINESTYLES.get(st, "-"),
                          label=f"{CHANNEL_LABELS.get(ch, ch)} {st}")
                ax.fill_between(edges, np.append(v - e, (v - e)[-1]), np.append(v + e, (v + e)[-1]),
                                step="post", color=color, alpha=0.2, lw=0)
                top = max(top, float(np.max(v)))
        _label_panel(ax, h, b, xname, top, floor=1e-6)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(h.channels), fontsize=8, frameon=False)
    return _finish(fig, path, dpi=120)


#: colours and labels of the theory-band sources (docs/physics.md §10.4)
BAND_STYLE = {"scale": ("C0", r"scale ($\xi_R, \xi_F$)"), "ldme": ("C3", "LDME-set envelope"),
              "ldme_fit": ("C1", "LDME fit uncertainties"), "pdf": ("C2", "PDF (68% CL)"),
              "width": ("C4", "TMD widths"), "total": ("0.5", "total (scale, LDME fit, PDF, widths in quadrature)")}


def plot_histogram_bands(h, path=None, sources=None, state="U", fig=None):
    """Differential cross section of the channel sum of ``state`` of a histogram filled with theory variations:
    one panel per (z, Q) bin (or one for a 1-D histogram), the central value as a line with its Monte Carlo
    error, and one shaded band per theory source (default every source present), labelled in the legend."""
    from .variations import shown_band_sources
    if not h.variations:
        raise ValueError("this histogram has no theory variations: fill it with variations=jpsi_fast.Variations()")
    if sources is None:
        sources = shown_band_sources(h.layout.variations)
    fig, axes, xname, sel = _panels(h, fig)
    edges = np.asarray(h.axes[xname].edges)
    centres = 0.5 * (edges[1:] + edges[:-1])
    bands = {s: h.band(s, state=state, differential=True) for s in sources}
    tot, err = h.total(state, differential=True)
    for b, ax in enumerate(axes):
        for s in sources:
            color, label = BAND_STYLE[s]
            lo, hi = bands[s][1][sel[b]], bands[s][2][sel[b]]
            ax.fill_between(edges, np.append(lo, lo[-1]), np.append(hi, hi[-1]), step="post",
                            color=color, alpha=0.25, lw=0, label=label)
        ax.stairs(tot[sel[b]], edges, color="k", label=f"central, {state} (MC error bars)")
        ax.errorbar(centres, tot[sel[b]], yerr=err[sel[b]], fmt="none", ecolor="k", lw=0.8)
        top = max(float(np.max(bands[s][2][sel[b]])) for s in sources) if sources else float(tot[sel[b]].max())
        _label_panel(ax, h, b, xname, top, floor=1e-5)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(3, len(labels)), fontsize=8, frameon=False)
    return _finish(fig, path, dpi=120)


#: axis labels of the dilepton decay parameters (docs/physics.md §12)
LAMBDA_LABELS = {"theta": r"$\lambda_\theta$", "phi": r"$\lambda_\varphi$",
                 "thetaphi": r"$\lambda_{\theta\varphi}$", "tilde": r"$\tilde\lambda$"}


def plot_lambdas(h, path=None, params=("theta", "phi", "thetaphi"), channels=None, fig=None):
    """Dilepton decay parameters of a histogram filled with the density-matrix states versus its P_T (or single)
    axis: a row of panels per (z, Q) bin, a column per parameter; a step curve per channel (default all) and for
    the channel sum (black; density matrices added, never averaged lambdas), each with its propagated Monte Carlo
    error band. Helicity frame (docs/physics.md §12)."""
    plt = _pyplot()
    channels = h.channels if channels is None else tuple(channels)
    curves = [(ch, f"C{h.channels.index(ch)}", CHANNEL_LABELS.get(ch, ch), h.lambdas(ch)) for ch in channels]
    curves.append((None, "k", "sum of channels", h.lambdas()))
    kin = h.kinematic_axes
    if kin != ("bin", "PT") and len(kin) != 1:
        raise ValueError(f"plot_lambdas needs a (bin, PT) or a 1-D histogram, got axes {kin}")
    xname = "PT" if kin == ("bin", "PT") else kin[0]
    edges = np.asarray(h.axes[xname].edges)
    nb = len(h.bins) if kin == ("bin", "PT") else 1
    sel = list(range(nb)) if kin == ("bin", "PT") else [Ellipsis]
    if fig is None:
        fig = plt.figure(figsize=(4.0 * len(params), 2.8 * nb + 0.7), layout="constrained")
    axes = np.atleast_2d(fig.subplots(nb, len(params), squeeze=False, sharex=True))
    for b in range(nb):
        for j, name in enumerate(params):
            ax = axes[b, j]
            for ch, color, label, (vals, errs) in curves:
                v, e = vals[name][sel[b]], errs[name][sel[b]]
                if not np.any(np.isfinite(v)):
                    continue
                lw = 1.8 if ch is None else 1.1
                ax.stairs(v, edges, color=color, lw=lw, label=label, baseline=None)
                ax.fill_between(edges, np.append(v - e, (v - e)[-1]), np.append(v + e, (v + e)[-1]),
                                step="post", color=color, alpha=0.2, lw=0)
            ax.axhline(0.0, color="0.6", lw=0.6)
            ax.set_ylim(-1.05, 1.05)
            ax.set_ylabel(LAMBDA_LABELS[name])
            ax.grid(alpha=0.3)
            if b == nb - 1:
                ax.set_xlabel(_axis_label(h, xname))
            if j == 0 and h.bins is not None:
                ax.set_title(h.bins[b].label, fontsize=9, loc="left")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=8, frameon=False)
    return _finish(fig, path, dpi=110)


def plot_rates(table, path=None, fig=None):
    """Expected events per (z, P_T) bin in acceptance (left, log colour scale, counts written in the bins; bins
    below ``min_counts`` hatched) and the dominant production mechanism in acceptance (right) of
    :func:`jpsi_fast.events.rates_table`."""
    plt = _pyplot()
    from matplotlib.colors import ListedColormap, LogNorm
    g, ze, pe = table["grid"], table["z_edges"], table["pt_edges"]
    counts = np.where(g["counts"] > 0, g["counts"], np.nan)
    if fig is None:
        fig = plt.figure(figsize=(12.0, 4.8), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    finite = counts[np.isfinite(counts)]
    norm = LogNorm(vmin=max(float(finite.min()), 1e-3), vmax=float(finite.max())) if finite.size else None
    mesh = ax1.pcolormesh(ze, pe, counts.T, norm=norm, cmap="viridis")
    fig.colorbar(mesh, ax=ax1, label=f"expected events ({table['lumi_fb']:g} fb$^{{-1}}$)")
    for i in range(len(ze) - 1):
        for j in range(len(pe) - 1):
            n = g["counts"][i, j]
            if n > 0:
                ax1.text(0.5 * (ze[i] + ze[i + 1]), 0.5 * (pe[j] + pe[j + 1]), f"{n:.2g}", ha="center",
                         va="center", fontsize=7, color="w" if norm is not None and n < norm.vmax ** 0.5 else "k")
                if n < table["min_counts"]:
                    ax1.add_patch(plt.Rectangle((ze[i], pe[j]), ze[i + 1] - ze[i], pe[j + 1] - pe[j], fill=False,
                                                hatch="//", lw=0, edgecolor="0.7"))
    channels = table["channels"]
    colors = [f"C{k}" for k in range(len(channels))]
    dom = np.where(g["dominant"] >= 0, g["dominant"], np.nan).astype(float)
    ax2.pcolormesh(ze, pe, dom.T, cmap=ListedColormap(colors), vmin=-0.5, vmax=len(channels) - 0.5)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colors]
    ax2.legend(handles, [CHANNEL_LABELS.get(c, c) for c in channels], fontsize=8, loc="upper left")
    for ax, title in ((ax1, "expected J/$\\psi\\to\\ell^+\\ell^-$ events in acceptance"),
                      (ax2, "dominant mechanism in acceptance")):
        ax.set_xlabel("$z$")
        ax.set_ylabel("$P_T$ [GeV]")
        ax.set_title(title, fontsize=10)
    fig.suptitle(f"{table['beams']}, {table['acceptance']}", fontsize=9)
    return _finish(fig, path)


def plot_region_map(grid_x, grid_y, predicted, truth, class_names, var_x, var_y, fixed, title, path=None, ax=None):
    """A 2-D map of predicted classes (integers, -1 = outside the cuts, shaded grey) on a (var_y, var_x) grid
    with the exact class boundaries drawn as black lines (``truth``, NaN outside the cuts)."""
    plt = _pyplot()
    from matplotlib.colors import ListedColormap
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.8), layout="constrained")
    else:
        fig = ax.figure
    ncls = len(class_names)
    colors = [OUTSIDE_COLOR] + [f"C{k}" for k in range(ncls)]
    ax.pcolormesh(grid_x, grid_y, predicted, cmap=ListedColormap(colors), vmin=-1.5, vmax=ncls - 0.5,
                  shading="auto")
    for c in range(ncls - 1):
        edge = np.where(np.isnan(truth), np.nan, (truth > c + 0.5).astype(float))
        if np.nanmin(edge, initial=np.inf) < 0.5 < np.nanmax(edge, initial=-np.inf):
            ax.contour(grid_x, grid_y, edge, levels=[0.5], colors="k", linewidths=1.2)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[k + 1]) for k in range(ncls)]
    handles += [plt.Line2D([], [], color="k"), plt.Rectangle((0, 0), 1, 1, color=colors[0])]
    ax.legend(handles, list(class_names) + ["true boundary", "outside cuts"], fontsize=7, loc="best",
              framealpha=0.85)
    ax.set_xlabel(VARIABLE_LABELS[var_x] + VARIABLE_UNITS[var_x])
    ax.set_ylabel(VARIABLE_LABELS[var_y] + VARIABLE_UNITS[var_y])
    fixed_txt = ", ".join(f"{VARIABLE_LABELS[k]}={v:g}{VARIABLE_UNITS[k]}" for k, v in fixed.items())
    ax.set_title(f"{title}; {fixed_txt}", fontsize=9)
    return _finish(fig, path)


def plot_learning_curves(curves, path=None, key="sigma_weighted_accuracy", level=0.99, ax=None,
                         xkey="labels"):
    """1 - metric versus labels (or ``xkey="seconds"``) for each design of a learning-curve dict, log-log, with
    the target level marked."""
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 4.2), layout="constrained")
    else:
        fig = ax.figure
    for name, rows in curves.items():
        if rows:
            ax.plot([r[xkey] for r in rows], [1 - r[key] for r in rows], "o-", label=name.replace("_", " "))
    ax.axhline(1 - level, color="k", ls=":", lw=1, label=f"{level:.1%} accuracy")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("labels (cross-section evaluations)" if xkey == "labels" else xkey)
    ax.set_ylabel("1 - " + key.replace("_", " "))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return _finish(fig, path)


def plot_feature_importance(importances, path=None, title="permutation importance", ax=None):
    """Horizontal bars of permutation importances {name: (mean, std)}, largest on top."""
    plt = _pyplot()
    names = list(importances)
    mean = np.array([importances[n][0] for n in names])
    std = np.array([importances[n][1] for n in names])
    order = np.argsort(mean)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 0.35 * len(names) + 1.2), layout="constrained")
    else:
        fig = ax.figure
    ax.barh(np.array(names)[order], mean[order], xerr=std[order], color="C0")
    ax.set_xlabel("drop of the score when the feature is shuffled")
    ax.set_title(title, fontsize=10)
    return _finish(fig, path)
