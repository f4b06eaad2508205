"""Figures (matplotlib, imported lazily; an optional dependency: ``pip install "jpsi_fast[plot]"``).

Every function draws into a given ``fig``/``ax`` or a new figure, returns the figure, and writes it only when a
``path`` is given. Nothing here changes matplotlib's global state (no backend selection): in scripts without a
display set ``MPLBACKEND=Agg`` or pass ``path`` and close the figure.
"""
from __future__ import annotations

import numpy as np

from .components import CHANNEL_LABELS

__all__ = ["plot_histogram", "plot_histogram_bands", "plot_lambdas", "plot_region_map", "plot_learning_curves",
           "plot_feature_importance"]

LINESTYLES = {"U": "-", "L": "--", "T": ":"}
VARIABLE_LABELS = {"x": "$x$", "z": "$z$", "Q": "$Q$", "PT": "$P_T$"}
VARIABLE_UNITS = {"x": "", "z": "", "Q": " [GeV]", "PT": " [GeV]"}
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
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            fig.savefig(tmp, dpi=dpi, format=path.suffix[1:].lower() or "png")
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
    return fig


def _bin_panels(h, fig):
    """(figure, axes): one panel per (z, Q) bin of a histogram, two columns, spare axes switched off."""
    plt = _pyplot()
    n = len(h.bins)
    ncol = 2 if n > 1 else 1
    nrow = (n + ncol - 1) // ncol
    if fig is None:
        fig = plt.figure(figsize=(5.5 * ncol, 4.0 * nrow + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    for ax in axes[n:]:
        ax.axis("off")
    return fig, axes[:n]


def _label_bin_panel(ax, h, b, top, floor):
    """Log y axis from ``floor`` x ``top`` to 3 ``top`` (when top > 0), axis labels and the bin's title."""
    ax.set_yscale("log")
    if top > 0:
        ax.set_ylim(top * floor, top * 3)
    ax.set_xlabel(r"$P_T$ [GeV]")
    ax.set_ylabel(r"$d\sigma/dP_T$ [pb/GeV]")
    ax.set_title(h.bins[b].label, fontsize=10)
    ax.grid(alpha=0.3)


def plot_histogram(h, path=None, states=("U", "L"), fig=None):
    """dsigma/dP_T of a :class:`jpsi_fast.Histogram`: one panel per (z, Q) bin, a step curve per channel and state
    (solid U, dashed L, dotted T) with its Monte Carlo error band, log y axis, one legend below the panels."""
    for st in states:
        if st not in h.states:
            raise ValueError(f"states: {st!r} not in the histogram's states {h.states}")
    fig, axes = _bin_panels(h, fig)
    for b, ax in enumerate(axes):
        for c, ch in enumerate(h.channels):
            color = f"C{c}"
            for st in states:
                k = h.states.index(st)
                v, e = h.values[b, c, k], h.errors[b, c, k]
                ax.stairs(v, h.pt_edges, color=color, ls=LINESTYLES.get(st, "-"),
                          label=f"{CHANNEL_LABELS.get(ch, ch)} {st}")
                ax.fill_between(h.pt_edges, np.append(v - e, (v - e)[-1]), np.append(v + e, (v + e)[-1]),
                                step="post", color=color, alpha=0.2, lw=0)
        _label_bin_panel(ax, h, b, h.values[b].max(), floor=1e-6)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(h.channels), fontsize=8, frameon=False)
    return _finish(fig, path, dpi=120)


#: colours and labels of the theory-band sources (docs/physics.md §10.4)
BAND_STYLE = {"scale": ("C0", r"scale ($\xi_R, \xi_F$)"), "ldme": ("C3", "LDME-set envelope"),
              "ldme_fit": ("C1", "LDME fit uncertainties"), "pdf": ("C2", "PDF (68% CL)"),
              "width": ("C4", "TMD widths"), "total": ("0.5", "total (scale, LDME fit, PDF, widths in quadrature)")}


def plot_histogram_bands(h, path=None, sources=None, state="U", fig=None):
    """dsigma/dP_T of the channel sum of ``state`` of a :class:`jpsi_fast.Histogram` filled with theory
    variations: one panel per (z, Q) bin, the central value as a line with its Monte Carlo error, and one shaded
    band per theory source (default every source present), labelled in the legend."""
    from .variations import shown_band_sources
    if h.layout is None:
        raise ValueError("this histogram has no theory variations: fill it with variations=jpsi_fast.Variations()")
    if sources is None:
        sources = shown_band_sources(h.layout.variations)
    fig, axes = _bin_panels(h, fig)
    bands = {s: h.band(s, state=state) for s in sources}
    tot, err = h.total(state)
    for b, ax in enumerate(axes):
        for s in sources:
            color, label = BAND_STYLE[s]
            _, lo, hi = bands[s]
            ax.fill_between(h.pt_edges, np.append(lo[b], lo[b][-1]), np.append(hi[b], hi[b][-1]), step="post",
                            color=color, alpha=0.25, lw=0, label=label)
        ax.stairs(tot[b], h.pt_edges, color="k", label=f"central, {state} (MC error bars)")
        ax.errorbar(0.5 * (h.pt_edges[1:] + h.pt_edges[:-1]), tot[b], yerr=err[b], fmt="none", ecolor="k", lw=0.8)
        top = max(float(np.max(bands[s][2][b])) for s in sources) if sources else float(tot[b].max())
        _label_bin_panel(ax, h, b, top, floor=1e-5)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(3, len(labels)), fontsize=8, frameon=False)
    return _finish(fig, path, dpi=120)


#: axis labels of the dilepton decay parameters (docs/physics.md §12)
LAMBDA_LABELS = {"theta": r"$\lambda_\theta$", "phi": r"$\lambda_\varphi$", "thetaphi": r"$\lambda_{\theta\varphi}$",
                 "tilde": r"$\tilde\lambda$"}


def plot_lambdas(h, path=None, params=("theta", "phi", "thetaphi"), channels=None, fig=None):
    """Dilepton decay parameters versus P_T of a :class:`jpsi_fast.Histogram` filled with the density-matrix
    states: a row of panels per (z, Q) bin, a column per parameter; a step curve per channel (default all) and for
    the channel sum (black; density matrices added, never averaged lambdas), each with its propagated Monte Carlo
    error band. Helicity frame (docs/physics.md §12)."""
    plt = _pyplot()
    channels = h.channels if channels is None else tuple(channels)
    curves = [(ch, f"C{h.channels.index(ch)}", CHANNEL_LABELS.get(ch, ch), h.lambdas(ch)) for ch in channels]
    curves.append((None, "k", "sum of channels", h.lambdas()))
    nb = len(h.bins)
    if fig is None:
        fig = plt.figure(figsize=(4.0 * len(params), 2.8 * nb + 0.7), layout="constrained")
    axes = np.atleast_2d(fig.subplots(nb, len(params), squeeze=False, sharex=True))
    for b in range(nb):
        for j, name in enumerate(params):
            ax = axes[b, j]
            for ch, color, label, (vals, errs) in curves:
                v, e = vals[name][b], errs[name][b]
                if not np.any(np.isfinite(v)):
                    continue
                lw = 1.8 if ch is None else 1.1
                ax.stairs(v, h.pt_edges, color=color, lw=lw, label=label, baseline=None)
                ax.fill_between(h.pt_edges, np.append(v - e, (v - e)[-1]), np.append(v + e, (v + e)[-1]),
                                step="post", color=color, alpha=0.2, lw=0)
            ax.axhline(0.0, color="0.6", lw=0.6)
            ax.set_ylim(-1.05, 1.05)
            ax.set_ylabel(LAMBDA_LABELS[name])
            ax.grid(alpha=0.3)
            if b == nb - 1:
                ax.set_xlabel(r"$P_T$ [GeV]")
            if j == 0:
                ax.set_title(h.bins[b].label, fontsize=9, loc="left")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=8, frameon=False)
    return _finish(fig, path, dpi=110)


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
