"""Command line ``jpsi-fast``: the study's answers without writing code.

Subcommands (``jpsi-fast SUBCOMMAND --help`` for each):

``demo``      evaluate a few points, integrate the 2 x 2 (z, Q) bins, write the binned dsigma/dP_T figure and a
              small region map, print a summary table (< 1 min on 2 cores)
``evaluate``  channel x state table at given points (or a CSV/Parquet file of points)
``bins``      binned dsigma/dP_T table (CSV/Parquet) and figure (PNG/PDF)
``grid``      dataset of a (x, z, Q, P_T) grid or of sampled events with every channel x state, shares and the
              dominant label, streamed to Parquet (default) or CSV
``corrupt``   inject multiplicative noise and missing values into a dataset (seeded, truth column kept)
``clean``     impute missing values, flag corrupted rows (IsolationForest / LocalOutlierFactor), report precision
              and recall against the injected truth, write the cleaned dataset
``regions``   run the active-learning region mapper; metrics (JSON), learning curves and maps (PNG)
``info``      version, OpenMP build, threads, PDF sets found on LHAPDF_DATA_PATH

Physics parameters come from ``--sqrt-s``, ``--tmd-pdf``, ``--pdf`` and/or a TOML file (``--params FILE``, keys
are :class:`jpsi_fast.Params` fields; a ``[domain]`` table sets :class:`jpsi_fast.Domain`).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

DEMO_POINTS = [(0.2, 0.3, 12.0, 0.5), (0.5, 0.75, 20.0, 1.0), (0.3, 0.9, 15.0, 0.2), (0.6, 0.5, 40.0, 2.0),
               (0.15, 0.6, 25.0, 3.0)]


class CLIError(Exception):
    """An error reported as one line on stderr with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):                      # one line, no usage dump
        raise CLIError(f"{self.prog}: {message} (see {self.prog} --help)")


# ------------------------------------------------------------------------------------------------ helpers
def _load_toml(path):
    try:
        import tomllib
    except ImportError:                            # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise CLIError(f"--params: file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CLIError(f"--params: {path} is not valid TOML: {exc}") from None


def _setup(args):
    """(CrossSection, Domain) from the command-line options and the optional TOML file."""
    import dataclasses

    import jpsi_fast as jf
    cfg = _load_toml(args.params) if getattr(args, "params", None) else {}
    dom_cfg = cfg.pop("domain", {}) if isinstance(cfg.get("domain", {}), dict) else {}
    fields = {f.name for f in dataclasses.fields(jf.Params)}
    unknown = set(cfg) - fields
    if unknown:
        raise CLIError(f"--params: unknown parameter(s) {sorted(unknown)}; allowed: {sorted(fields)}")
    if getattr(args, "sqrt_s", None) is not None:
        cfg["sqrt_s"] = args.sqrt_s
    if getattr(args, "tmd_pdf", None) is not None:
        cfg["tmd_pdf"] = args.tmd_pdf
    if "flavours" in cfg:
        cfg["flavours"] = tuple(cfg["flavours"])
    params = jf.Params(**cfg)
    pdf = jf.pdf.load(getattr(args, "pdf", None) or "GRV94LO")
    dom_fields = {f.name for f in dataclasses.fields(jf.Domain)}
    if set(dom_cfg) - dom_fields:
        raise CLIError(f"--params: unknown [domain] key(s) {sorted(set(dom_cfg) - dom_fields)}")
    domain = jf.Domain(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in dom_cfg.items()})
    return jf.CrossSection(params, pdf), domain


def _floats(text, name):
    try:
        vals = [float(t) for t in str(text).replace(",", " ").split()]
    except ValueError:
        raise CLIError(f"--{name}: expected numbers separated by commas, got {text!r}") from None
    if not vals:
        raise CLIError(f"--{name}: expected at least one number")
    return np.array(vals)


def _out_dir(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _common(p, physics=True, seed=False, out=True):
    if physics:
        p.add_argument("--sqrt-s", type=float, default=None, help="e p centre-of-mass energy [GeV] (default 63)")
        p.add_argument("--tmd-pdf", choices=("gaussian", "collinear"), default=None,
                       help="TMD-PDF model of the quark-fragmentation channel (default gaussian)")
        p.add_argument("--pdf", default="GRV94LO", help="GRV94LO (default), an LHAPDF set name or a member file")
        p.add_argument("--params", default=None, metavar="FILE.toml",
                       help="TOML file of Params fields (and a [domain] table)")
        p.add_argument("--threads", type=int, default=None, help="OpenMP threads (default: all cores)")
    if seed:
        p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    if out:
        p.add_argument("--out", default="jpsi_fast_out", help="output folder (default jpsi_fast_out)")


def _saved(fig, path):
    """Close a figure written to ``path`` (the CLI makes many; pyplot keeps them alive otherwise)."""
    import matplotlib.pyplot as plt
    plt.close(fig)
    return path


def _table(rows, header):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(str(h).rjust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(str(c).rjust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ commands
def cmd_demo(args):
    import jpsi_fast as jf
    t0 = time.perf_counter()
    xs, domain = _setup(args)
    out = _out_dir(args)
    p = xs.params
    print(f"jpsi_fast {jf.__version__}: e p -> e J/psi X at sqrt(s) = {p.sqrt_s:g} GeV, TMD PDF {p.tmd_pdf}, "
          f"PDF {xs.pdf.name}, OpenMP {'on' if jf.openmp_enabled() else 'off'} ({jf.resolve_n_threads(args.threads)} threads)")
    pts = np.array(DEMO_POINTS).T
    r = xs.evaluate(*pts, n_threads=args.threads)
    frac, lam, names = r.fractions("U"), r.lambda_theta(), r.dominant_names("U")
    print("\n1. dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4], state U, and each channel's share of sigma_U")
    rows = []
    for i, (x, z, Q, PT) in enumerate(DEMO_POINTS):
        rows.append([f"{x:g}", f"{z:g}", f"{Q:g}", f"{PT:g}", f"{Q * Q / (x * p.s):.3f}", f"{r.total('U')[i]:.4e}",
                     *(f"{frac[c, i]:.4f}" for c in range(len(jf.CHANNELS))), names[i],
                     "nan" if np.isnan(lam[i]) else f"{lam[i]:.3f}"])
    print(_table(rows, ["x", "z", "Q", "PT", "y", "sigma_U", *jf.CHANNELS, "dominant", "lambda"]))
    print("   (y > 1 is kinematically forbidden: every channel is 0; lambda = lambda_theta of the channel sum)")
    integ = jf.Integrator(domain, seed=args.seed, n_threads=args.threads)
    res = integ.integrate(xs, nitn=6, neval=100_000, warmup=3)
    print(f"\n2. integrated over the domain (x in {domain.x}, z in {domain.z}, Q in {domain.Q} GeV, "
          f"P_T in {domain.PT} GeV, y <= 1{', P_T <= zQ/2' if domain.tmd_cut else ''}) [pb]")
    rows = [[c, str(res[c, "U"]), str(res[c, "L"]), f"{res[c, 'U'].mean / res.total('U').mean:.3f}"]
            for c in jf.CHANNELS]
    rows.append(["total", str(res.total("U")), str(res.total("L")), "1"])
    print(_table(rows, ["channel", "sigma_U [pb]", "sigma_L [pb]", "share"]))
    print(f"   chi2/dof = {res.chi2_dof:.2f}, {res.neval:,} evaluations")
    h = integ.histogram(xs, nitn=4, neval=100_000, warmup=1)
    bins_png = _saved(h.plot(out / "demo_dsigma_dpt_bins.png"), out / "demo_dsigma_dpt_bins.png")
    _write_hist_table(h, out / "demo_dsigma_dpt_bins.csv")
    print("\n3. dsigma/dP_T in the 2 x 2 (z, Q) bins, state U, summed over channels [pb/GeV] at P_T = 0.125 / 1.125 / "
          "3.125 GeV")
    tot, err = h.total("U")
    rows = [[b.label.replace("≤", "<="), *(f"{tot[k, j]:.3e}" for j in (0, 4, 12))] for k, b in enumerate(h.bins)]
    print(_table(rows, ["bin", "0.125", "1.125", "3.125"]))
    rm = jf.RegionMapper(xs, domain, target="dominant", batch_size=1000, budget=3000, seed=args.seed,
                         n_threads=args.threads)
    rm.fit()
    ev = rm.evaluate(n_test=20_000)
    map_png = _saved(rm.plot_map("z", "Q", out / "demo_region_map_z_Q.png", fixed={"x": 0.5, "PT": 0.5}),
                     out / "demo_region_map_z_Q.png")
    print(f"\n4. region map of the dominant mechanism: {len(rm.X_):,} labels, sigma-weighted accuracy "
          f"{ev['sigma_weighted']['sigma_weighted_accuracy']:.4f} on 20,000 exactly labelled events")
    print(f"\nwrote {bins_png}, {out / 'demo_dsigma_dpt_bins.csv'}, {map_png}   ({time.perf_counter() - t0:.1f} s)")
    return 0


def cmd_evaluate(args):
    import jpsi_fast as jf
    xs, _ = _setup(args)
    if args.input:
        from .data import read_dataset
        d = read_dataset(args.input)
        missing = [c for c in ("x", "z", "Q", "PT") if c not in d]
        if missing:
            raise CLIError(f"--input: {args.input} lacks column(s) {missing}")
        x, z, Q, PT = (np.asarray(d[c], dtype=float) for c in ("x", "z", "Q", "PT"))
    else:
        if any(v is None for v in (args.x, args.z, args.Q, args.PT)):
            raise CLIError("evaluate: give --x, --z, --Q and --PT (comma-separated lists broadcast), or --input FILE")
        x, z, Q, PT = np.broadcast_arrays(*(_floats(getattr(args, n), n) for n in ("x", "z", "Q", "PT")))
    r = xs.evaluate(x, z, Q, PT, n_threads=args.threads)
    cols = {"x": x, "z": z, "Q": Q, "PT": PT}
    flat = r.values.reshape(r.layout.n_components, -1)
    for k, name in enumerate(r.layout.names):
        cols["sigma_" + name.replace(":", "_")] = flat[k]
    if args.output:
        from .data import write_columns
        write_columns(args.output, cols, meta={"units": "x, z; Q, PT in GeV; sigma_* in pb/GeV^4"})
        print(f"wrote {len(x)} rows to {args.output}")
    if not args.output or len(x) <= 50:
        shown = [k for k, name in enumerate(r.layout.names) if name.split(":")[1] in ("U", "L")]
        rows = [[f"{x[i]:g}", f"{z[i]:g}", f"{Q[i]:g}", f"{PT[i]:g}"] +
                [f"{flat[k, i]:.4e}" for k in shown] for i in range(min(len(x), 50))]
        head = ["x", "z", "Q", "PT"] + [r.layout.names[k] for k in shown]
        print("dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4]")
        print(_table(rows, head))
        if len(x) > 50:
            print(f"... {len(x) - 50} more rows (use --output)")
    return 0


def _write_hist_table(h, path):
    from .data import write_columns
    cols = {k: [] for k in ("bin", "z_lo", "z_hi", "Q_lo", "Q_hi", "PT_lo", "PT_hi", "channel", "state",
                            "dsigma_dPT", "error")}
    for b, B in enumerate(h.bins):
        for c, ch in enumerate(h.channels):
            for s, st in enumerate(h.states):
                for j in range(len(h.pt_edges) - 1):
                    for k, v in zip(cols, (b, B.z[0], B.z[1], B.Q[0], B.Q[1], h.pt_edges[j], h.pt_edges[j + 1],
                                           ch, st, h.values[b, c, s, j], h.errors[b, c, s, j])):
                        cols[k].append(v)
    cols = {k: np.array(v) for k, v in cols.items()}
    write_columns(path, cols, meta={"units": {"dsigma_dPT": "pb/GeV", "error": "pb/GeV", "Q_lo": "GeV",
                                              "Q_hi": "GeV", "PT_lo": "GeV", "PT_hi": "GeV"}})


def cmd_bins(args):
    xs, domain = _setup(args)
    import jpsi_fast as jf
    out = _out_dir(args)
    edges = _floats(args.pt_edges, "pt-edges")
    if len(edges) == 3 and edges[2] >= 1 and edges[2] == int(edges[2]) and edges[1] > edges[0]:
        edges = np.linspace(edges[0], edges[1], int(edges[2]) + 1)
    integ = jf.Integrator(domain, seed=args.seed, n_threads=args.threads)
    h = integ.histogram(xs, pt_edges=edges, nitn=args.nitn, neval=args.neval, warmup=args.warmup,
                        progress=None)
    table = out / f"dsigma_dpt_bins.{args.format}"
    _write_hist_table(h, table)
    fig = out / f"dsigma_dpt_bins.{args.figure}"
    _saved(h.plot(fig, states=tuple(args.states.split(","))), fig)
    tot, _ = h.total("U")
    print("dsigma/dP_T summed over channels, state U [pb/GeV]; integral over P_T [pb]:")
    for k, b in enumerate(h.bins):
        print(f"  {b.label.replace('≤', '<=')}: {float((tot[k] * np.diff(h.pt_edges)).sum()):.4e} pb")
    print(f"wrote {table} and {fig}")
    return 0


def cmd_grid(args):
    from .data import GridSpec, write_dataset
    xs, domain = _setup(args)
    out = Path(args.output)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    if args.sample:
        summary = write_dataset(out, xs, sample=args.sample, domain=domain, chunk_rows=args.chunk, seed=args.seed,
                                n_threads=args.threads)
    else:
        n = [int(v) for v in _floats(args.n, "n")]
        if len(n) != 4 or min(n) < 1:
            raise CLIError(f"--n: expected four positive integers (x, z, Q, P_T points), got {args.n!r}")
        spec = GridSpec.from_domain(domain, n)
        summary = write_dataset(out, xs, grid=spec, domain=domain, chunk_rows=args.chunk, n_threads=args.threads)
    print(f"wrote {summary['rows']:,} rows x {len(summary['columns'])} columns to {summary['path']} "
          f"({summary['format']}) in {summary['seconds']:.2f} s")
    return 0


def cmd_corrupt(args):
    from .data import corrupt, read_dataset, write_columns
    d = read_dataset(args.input)
    bad, truth = corrupt(d, noise_fraction=args.noise, noise_sigma=args.noise_sigma, missing_fraction=args.missing,
                         seed=args.seed)
    bad["corrupted"] = truth.noisy_rows
    bad["corruption_factor"] = truth.factors
    write_columns(args.output, bad)
    n_missing = sum(int(m.sum()) for m in truth.missing.values())
    print(f"wrote {args.output}: {int(truth.noisy_rows.sum()):,} of {len(truth.noisy_rows):,} rows with "
          f"multiplicative noise (log-normal, sigma {args.noise_sigma}), {n_missing:,} missing cells; truth in "
          f"columns 'corrupted' and 'corruption_factor'")
    return 0


def cmd_clean(args):
    from .data import CorruptionReport, detect_corrupted, impute, read_dataset, write_columns
    xs, _ = _setup(args)
    d = read_dataset(args.input)
    truth = None
    if "corrupted" in d:
        factors = np.asarray(d.pop("corruption_factor", np.ones(len(d["x"]))), dtype=float)
        truth = CorruptionReport(np.asarray(d.pop("corrupted"), dtype=bool), {}, factors)
    filled = impute(d, xs=xs, method=args.impute)
    rep = detect_corrupted(filled, truth=truth, method=args.detect, contamination=args.contamination,
                           seed=args.seed)
    keep = ~rep["flags"]
    write_columns(args.output, {k: np.asarray(v)[keep] for k, v in filled.items()})
    msg = (f"imputed missing values ({args.impute}); {args.detect} flagged {rep['flagged']:,} of "
           f"{rep['rows_checked']:,} rows; wrote {int(keep.sum()):,} rows to {args.output}")
    if truth is not None:
        msg += (f"; precision {rep['precision']:.3f}, recall {rep['recall']:.3f} (factors beyond 1.5x: "
                f"{rep['recall_large']:.3f}) against the injected truth")
    print(msg)
    if args.report:
        Path(args.report).write_text(json.dumps({k: v for k, v in rep.items() if k != "flags"}, indent=1))
    return 0


def cmd_regions(args):
    import jpsi_fast as jf
    xs, domain = _setup(args)
    out = _out_dir(args)
    rm = jf.RegionMapper(xs, domain, target=args.target, state=args.state, batch_size=args.batch,
                         budget=args.budget, seed=args.seed, n_threads=args.threads)
    rm.fit()
    ev = rm.evaluate(n_test=args.n_test)
    budgets = sorted({args.batch, *(h["labels"] for h in rm.history[::max(1, len(rm.history) // 5)]), len(rm.X_)})
    lc = rm.learning_curves(budgets, n_test=min(args.n_test, 50_000))
    (out / "regions_metrics.json").write_text(json.dumps({"metrics": ev, "learning_curves": lc,
                                                          "history": rm.history}, indent=1, default=float))
    files = [out / "regions_metrics.json",
             _saved(rm.plot_learning_curves(lc, out / "regions_learning_curves.png"), out / "regions_learning_curves.png")]
    for a, b in (("x", "Q"), ("z", "PT"), ("z", "Q")):
        files.append(_saved(rm.plot_map(a, b, out / f"regions_map_{a}_{b}.png"), out / f"regions_map_{a}_{b}.png"))
    m = ev["sigma_weighted"]
    print(f"{args.target} ({args.state}): {len(rm.X_):,} labels in {rm.fit_time_:.1f} s; sigma-weighted accuracy "
          f"{m['sigma_weighted_accuracy']:.4f}, boundary-layer accuracy {m['boundary_accuracy']:.4f}")
    print("wrote " + ", ".join(str(f) for f in files))
    return 0


def cmd_info(args):
    import jpsi_fast as jf
    print(f"jpsi_fast {jf.__version__}")
    print(f"OpenMP: {'enabled' if jf.openmp_enabled() else 'disabled (serial kernels)'}; "
          f"default threads: {jf.max_threads()}")
    sets = jf.pdf.available_sets()
    print("PDF sets on LHAPDF_DATA_PATH: " + (", ".join(sets) if sets else "none (embedded GRV94LO available)"))
    return 0


def build_parser():
    parser = _Parser(prog="jpsi-fast", description="J/psi production in SIDIS: fast NRQCD + TMD cross sections "
                     "(quark fragmentation vs photon-gluon fusion), integration, region maps and datasets")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("demo", help="the main job: a few points, the 2 x 2 bins, a region map, figures")
    _common(p, seed=True)
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("evaluate", help="channel x state table at given points")
    _common(p, out=False)
    for n in ("x", "z", "Q", "PT"):
        p.add_argument(f"--{n}", default=None, help=f"{n} value(s), comma-separated" +
                       (" [GeV]" if n in ("Q", "PT") else ""))
    p.add_argument("--input", default=None, help="CSV or Parquet file with columns x, z, Q, PT")
    p.add_argument("--output", default=None, help="write the table to this CSV/Parquet file")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("bins", help="binned dsigma/dP_T table and figure for the 2 x 2 (z, Q) bins")
    _common(p, seed=True)
    p.add_argument("--pt-edges", default="0,6,24", help="P_T bin edges [GeV], or 'start,stop,nbins' (default 0,6,24)")
    p.add_argument("--nitn", type=int, default=8)
    p.add_argument("--neval", type=int, default=200_000)
    p.add_argument("--warmup", type=int, default=4)
    p.add_argument("--states", default="U,L", help="states drawn (default U,L)")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--figure", choices=("png", "pdf"), default="png")
    p.set_defaults(func=cmd_bins)
    p = sub.add_parser("grid", help="dataset of a grid or of sampled events, to Parquet or CSV")
    _common(p, seed=True, out=False)
    p.add_argument("--output", default="jpsi_fast_out/grid.parquet", help="file (.parquet or .csv)")
    p.add_argument("--n", default="25,25,25,75", help="grid points along x, z, Q, P_T (default 25,25,25,75)")
    p.add_argument("--sample", type=int, default=None, help="instead of a grid: this many sigma_U-weighted events")
    p.add_argument("--chunk", type=int, default=1 << 20, help="rows per chunk (bounded memory)")
    p.set_defaults(func=cmd_grid)
    p = sub.add_parser("corrupt", help="inject multiplicative noise and missing values into a dataset")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--noise", type=float, default=0.05, help="fraction of rows with noise (default 0.05)")
    p.add_argument("--noise-sigma", type=float, default=0.5, help="width of the log-normal factor (default 0.5)")
    p.add_argument("--missing", type=float, default=0.01, help="fraction of missing sigma cells (default 0.01)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_corrupt)
    p = sub.add_parser("clean", help="impute, detect corrupted rows, report precision/recall, write clean data")
    _common(p, seed=True, out=False)
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--impute", choices=("recompute", "median", "knn"), default="recompute")
    p.add_argument("--detect", choices=("isolation_forest", "lof"), default="isolation_forest")
    p.add_argument("--contamination", default="auto", type=lambda v: v if v == "auto" else float(v))
    p.add_argument("--report", default=None, help="write the detection report (JSON) here")
    p.set_defaults(func=cmd_clean)
    p = sub.add_parser("regions", help="active-learning region map: metrics, learning curves, maps")
    _common(p, seed=True)
    p.add_argument("--target", choices=("dominant", "ff_vs_pgf", "share", "large"), default="dominant")
    p.add_argument("--state", choices=("U", "L", "T"), default="U")
    p.add_argument("--budget", type=int, default=10_000)
    p.add_argument("--batch", type=int, default=2000)
    p.add_argument("--n-test", type=int, default=100_000)
    p.set_defaults(func=cmd_regions)
    p = sub.add_parser("info", help="version, OpenMP build, threads, PDF sets found")
    p.set_defaults(func=cmd_info)
    return parser


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except CLIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, FileNotFoundError, KeyError, OSError, RuntimeError) as exc:
        print(f"jpsi-fast: error: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("jpsi-fast: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
