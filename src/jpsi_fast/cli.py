"""Command-line interface ``jpsi-fast``.

``jpsi-fast demo``  evaluates the channels at a few points, prints a table of cross sections and channel
                    fractions, and writes a figure of dsigma/(dx dQ^2 dz dP_T^2) versus P_T per channel.
``jpsi-fast info``  version, OpenMP build, threads, PDF sets found on LHAPDF_DATA_PATH.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

DEMO_POINTS = [(0.2, 0.3, 12.0, 0.5), (0.5, 0.75, 20.0, 1.0), (0.3, 0.9, 15.0, 0.2), (0.6, 0.5, 40.0, 2.0),
               (0.15, 0.6, 25.0, 3.0)]


def _common(p):
    p.add_argument("--sqrt-s", type=float, default=63.0, help="e p centre-of-mass energy [GeV] (default 63)")
    p.add_argument("--tmd-pdf", choices=("gaussian", "collinear"), default="gaussian",
                   help="TMD-PDF model of the quark-fragmentation channel (default gaussian)")
    p.add_argument("--pdf", default="GRV94LO", help="GRV94LO (default) or an LHAPDF set name / member file")
    p.add_argument("--threads", type=int, default=None, help="OpenMP threads (default: all cores)")


def cmd_demo(args):
    import jpsi_fast as jf

    params = jf.Params(sqrt_s=args.sqrt_s, tmd_pdf=args.tmd_pdf)
    xs = jf.CrossSection(params, jf.pdf.load(args.pdf))
    pts = np.array(DEMO_POINTS).T
    t0 = time.perf_counter()
    r = xs.evaluate(*pts, n_threads=args.threads)
    frac = r.fractions("U")
    print(f"jpsi_fast {jf.__version__}: e p -> e J/psi X at sqrt(s) = {params.sqrt_s} GeV, "
          f"TMD PDF {params.tmd_pdf}, PDF {xs.pdf.name}")
    print("dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4], state U, and each channel's share of sigma_U")
    head = f"{'x':>5} {'z':>5} {'Q':>5} {'PT':>4} {'y':>6} {'sigma_U':>11} " + " ".join(f"{c:>10}" for c in jf.CHANNELS)
    print(head + f" {'dominant':>10} {'lambda':>7}")
    lam = r.lambda_theta()
    names = r.dominant_names("U")
    for i, (x, z, Q, PT) in enumerate(DEMO_POINTS):
        y = Q * Q / (x * params.s)
        shares = " ".join(f"{frac[c, i]:10.4f}" for c in range(len(jf.CHANNELS)))
        print(f"{x:5.2f} {z:5.2f} {Q:5.1f} {PT:4.1f} {y:6.3f} {r.total('U')[i]:11.4e} {shares} "
              f"{names[i]:>10} {lam[i]:7.3f}")
    print("(y > 1 is kinematically forbidden: every channel is 0 there; lambda = lambda_theta of the sum)")
    # figure: P_T dependence at two (x, z, Q) points
    pt = np.linspace(0.0, 6.0, 241)
    panels = [(0.2, 0.3, 12.0), (0.3, 0.6, 20.0)]
    curves = [xs.evaluate(x, z, Q, pt, n_threads=args.threads) for x, z, Q in panels]
    dt = time.perf_counter() - t0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig_path = out / "demo_channels_vs_pt.png"
    _plot_channels(curves, panels, pt, params, fig_path)
    print(f"wrote {fig_path}  ({dt:.2f} s)")
    return 0


def _plot_channels(curves, panels, pt, params, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .xsec import CHANNEL_LABELS

    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), constrained_layout=True)
    for ax, r, (x, z, Q) in zip(np.atleast_1d(axes), curves, panels):
        for c, ch in enumerate(r.channels):
            line, = ax.plot(pt, r[ch, "U"], label=CHANNEL_LABELS[ch])
            ax.plot(pt, r[ch, "L"], ls="--", color=line.get_color(), lw=1)
        ax.plot(pt, r.total("U"), color="k", lw=1.5, label="sum")
        ax.set_yscale("log")
        ax.set_ylim(max(r.total("U").max() * 1e-8, 1e-20), r.total("U").max() * 5)
        ax.set_xlabel(r"$P_T$ [GeV]")
        ax.set_ylabel(r"$d\sigma/(dx\,dQ^2\,dz\,dP_T^2)$ [pb/GeV$^4$]")
        ax.set_title(rf"$x={x}$, $z={z}$, $Q={Q}$ GeV, $\sqrt{{s}}={params.sqrt_s:g}$ GeV", fontsize=10)
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].legend(fontsize=8, title="solid: U, dashed: L", title_fontsize=8)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def cmd_info(args):
    import jpsi_fast as jf

    print(f"jpsi_fast {jf.__version__}")
    print(f"OpenMP: {'enabled' if jf.openmp_enabled() else 'disabled (serial kernels)'}; "
          f"default threads: {jf.max_threads()}")
    sets = jf.pdf.available_sets()
    print("PDF sets on LHAPDF_DATA_PATH: " + (", ".join(sets) if sets else "none (embedded GRV94LO available)"))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="jpsi-fast", description="J/psi production in SIDIS: fast NRQCD + TMD "
                                     "cross sections (quark fragmentation vs photon-gluon fusion)")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="evaluate a few points, print a table, write a figure")
    _common(demo)
    demo.add_argument("--out", default="jpsi_fast_out", help="output folder for the figure (default jpsi_fast_out)")
    demo.set_defaults(func=cmd_demo)
    info = sub.add_parser("info", help="version, OpenMP build and PDF sets found")
    info.set_defaults(func=cmd_info)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"jpsi-fast: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
