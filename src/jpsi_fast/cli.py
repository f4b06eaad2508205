"""Command line ``jpsi-fast``: the study's answers without writing code.

Subcommands (``jpsi-fast SUBCOMMAND --help`` for each):

``demo``      evaluate a few points, integrate the domain and the 2 x 2 (z, Q) bins, write the binned dsigma/dP_T
              figure and a small region map, print a summary table (~10 s on 2 cores)
``evaluate``  channel x state table at given points (or a CSV/Parquet file of points, streamed)
``bins``      binned dsigma/dP_T table (CSV/Parquet) and figure (PNG/PDF)
``grid``      dataset of a (x, z, Q, P_T) grid or of sampled events with every channel x state, shares and the
              dominant label, streamed to Parquet (default) or CSV
``corrupt``   inject multiplicative noise and missing values into a dataset (seeded, truth columns kept)
``clean``     impute missing values with the dataset's own parameters, flag corrupted rows, report precision and
              recall against the injected truth, write the cleaned dataset
``regions``   run the active-learning region mapper; metrics (JSON), learning curves and maps (PNG)
``events``    decayed J/psi events in the lab frame to HepMC3, LHE or Parquet
``rates``     expected J/psi -> l+ l- counts per (z, P_T) bin in acceptance for a luminosity
``scan``      map an integration over a parameter scan (TOML: beams x LDME sets x widths x PDF members ...) to a
              table, locally or on a Dask cluster
``info``      version, OpenMP build, threads, PDF sets found on LHAPDF_DATA_PATH

Scale-out (README "Running on a cluster"): ``grid``, ``events``, ``regions`` and ``scan`` take ``--workers N``
(local processes) or ``--scheduler ADDRESS`` (a running Dask scheduler); ``grid`` and ``events`` then write a
folder of partitions / chunk files, resumed by re-running the same command. Results do not depend on either.

Theory bands (docs/physics.md §10): ``demo`` shows them by default (``--no-band``), ``evaluate``, ``bins`` and
``grid`` with ``--band`` (7-point scales and the positive LDME sets) and/or ``--scale-variation 3|7``,
``--ldme-sets LIST``, ``--pdf-set NAME``; ``--ldme-set NAME`` picks the central LDME set.

Physics parameters come from ``--sqrt-s``, ``--tmd-pdf``, ``--pdf`` and/or a TOML file (``--params FILE``, keys
are :class:`jpsi_fast.Params` fields; a ``[domain]`` table sets :class:`jpsi_fast.Domain`). Every argument is
checked before any work starts; every error is one line on stderr with exit code 2 (130 for Ctrl-C); outputs are
written atomically (an interrupted command leaves no file that looks complete). ``JPSI_FAST_DEBUG=1`` shows
tracebacks.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
from pathlib import Path


DEMO_POINTS = [(0.2, 0.3, 12.0, 0.5), (0.5, 0.75, 20.0, 1.0), (0.3, 0.9, 15.0, 0.2), (0.6, 0.5, 40.0, 2.0),
               (0.15, 0.6, 25.0, 3.0)]
#: requests above these sizes need --yes
CONFIRM_ROWS = 100_000_000
CONFIRM_BYTES = 10 << 30
#: rows printed by `evaluate`
PRINT_ROWS = 50
#: rows per chunk of `evaluate --input` (reading, evaluating and writing one chunk takes well under a second)
EVALUATE_CHUNK_ROWS = 1 << 16
#: rows per chunk that `grid` writes: small enough that one chunk (kernels + Parquet write) ends well within the
#: 1 s Ctrl-C contract on a busy 2-core machine; the rows do not depend on it.
GRID_CHUNK_ROWS = 1 << 18
#: how long --scheduler waits for the Dask scheduler to answer
SCHEDULER_TIMEOUT = "20s"
#: extra seconds granted to the whole handshake beyond SCHEDULER_TIMEOUT
SCHEDULER_GRACE_S = 5.0


class CLIError(Exception):
    """An error reported as one line on stderr with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):                      # one line, no usage dump
        raise CLIError(f"{self.prog}: {message} (see {self.prog} --help)")


# ------------------------------------------------------------------------------------------------ argument types
def _int_type(lo, hi=None):
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if v < lo or (hi is not None and v > hi):
            raise argparse.ArgumentTypeError(f"must be in [{lo}, {hi if hi is not None else 'inf'}], got {v}")
        return v
    parse.__name__ = "integer"
    return parse


def _float_type(lo=-math.inf, hi=math.inf):
    def parse(text):
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not (math.isfinite(v) and lo <= v <= hi):
            raise argparse.ArgumentTypeError(f"must be a finite number in [{lo:g}, {hi:g}], got {text}")
        return v
    parse.__name__ = "number"
    return parse


def _beams_type(text):
    from .params import Beams
    try:
        return Beams.preset(text)
    except (TypeError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _threads_type(text):
    """An integer thread count; checked against this machine's cores in main() unless the work runs on a Dask
    scheduler's workers (whose cores count there)."""
    from .distributed import check_threads
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    try:
        check_threads(n, remote=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return n


def _floats(text, name):
    import numpy as np
    try:
        vals = [float(t) for t in str(text).replace(",", " ").split()]
    except ValueError:
        raise CLIError(f"--{name}: expected numbers separated by commas, got {text!r}") from None
    if not vals:
        raise CLIError(f"--{name}: expected at least one number")
    if not all(math.isfinite(v) for v in vals):
        raise CLIError(f"--{name}: values must be finite, got {text!r}")
    return np.array(vals)


def _ints(text, name, count):
    try:
        vals = [int(t) for t in str(text).replace(",", " ").split()]
    except ValueError:
        raise CLIError(f"--{name}: expected {count} positive integers separated by commas, got {text!r}") from None
    if len(vals) != count or min(vals) < 1:
        raise CLIError(f"--{name}: expected {count} positive integers separated by commas, got {text!r}")
    return vals


# ------------------------------------------------------------------------------------------------ helpers
def _load_toml(path, what="--params"):
    try:
        import tomllib
    except ImportError:                            # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise CLIError(f"{what}: file not found: {path}") from None
    except IsADirectoryError:
        raise CLIError(f"{what}: {path} is a folder, expected a TOML file") from None
    except OSError as exc:
        raise CLIError(f"{what}: cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CLIError(f"{what}: {path} is not valid TOML: {exc}") from None


def _setup(args):
    """(CrossSection, Domain) from the command-line options and the optional TOML file; the domain is checked
    to leave phase space at this sqrt(s)."""
    import dataclasses

    import jpsi_fast as jf
    cfg = _load_toml(args.params) if getattr(args, "params", None) else {}
    dom_cfg = cfg.pop("domain", {})
    if not isinstance(dom_cfg, dict):
        raise CLIError("--params: [domain] must be a table")
    fields = {f.name for f in dataclasses.fields(jf.Params)}
    unknown = set(cfg) - fields
    if unknown:
        raise CLIError(f"--params: unknown parameter(s) {sorted(unknown)}; allowed: {sorted(fields)}")
    if getattr(args, "sqrt_s", None) is not None and getattr(args, "beams", None) is not None:
        raise CLIError("give --sqrt-s or --beams, not both")
    if getattr(args, "sqrt_s", None) is not None:
        cfg["sqrt_s"] = args.sqrt_s
        cfg.pop("beams", None)
    if getattr(args, "beams", None) is not None:
        cfg["beams"] = args.beams
        cfg.pop("sqrt_s", None)
    if getattr(args, "tmd_pdf", None) is not None:
        cfg["tmd_pdf"] = args.tmd_pdf
    if getattr(args, "ldme_set", None) is not None:
        cfg["ldme_set"] = args.ldme_set
    if getattr(args, "allow_negative_ldme", False):
        cfg["allow_negative_ldme"] = True
    if "flavours" in cfg:
        cfg["flavours"] = tuple(cfg["flavours"])
    params = jf.Params(**cfg)
    if getattr(args, "pdf", None) is None and getattr(args, "pdf_set", None):
        pdf = _pdf_set(args)[0]                 # the PDF band's own central member
    else:
        pdf = jf.pdf.load(getattr(args, "pdf", None) or "GRV94LO")
    dom_fields = {f.name for f in dataclasses.fields(jf.Domain)}
    if set(dom_cfg) - dom_fields:
        raise CLIError(f"--params: unknown [domain] key(s) {sorted(set(dom_cfg) - dom_fields)}; "
                       f"allowed: {sorted(dom_fields)}")
    domain = jf.Domain(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in dom_cfg.items()})
    domain.check(params)
    name = getattr(args, "helicity_pdf", None) or "standard"
    helicity = jf.pdf.GRSV2000LO(name) if name in ("standard", "valence") else jf.pdf.load(name)
    return jf.CrossSection(params, pdf, helicity_pdf=helicity,
                           helicity_positivity=not getattr(args, "no_helicity_positivity", False)), domain


def _distributed_options(p, what):
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=_int_type(1, 4096), default=None, metavar="N",
                   help=f"{what} in N local processes (results do not depend on N)")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help=f"{what} on a Dask cluster, e.g. tcp://host:8786 (needs jpsi_fast[dask])")


@contextlib.contextmanager
def _backend(args):
    """(client, workers) of --scheduler / --workers: a dask.distributed.Client connected to the scheduler (closed
    at the end), or a number of local processes, or (None, None)."""
    if getattr(args, "scheduler", None) is None:
        yield None, getattr(args, "workers", None)
        return
    try:
        from distributed import Client
    except ImportError:
        raise CLIError("--scheduler needs dask.distributed: pip install 'jpsi_fast[dask]'") from None
    import threading
    box = {}

    def connect():                    # dask's own timeout covers the TCP connect, not a silent peer's handshake
        try:
            box["client"] = Client(args.scheduler, timeout=SCHEDULER_TIMEOUT)
        except Exception as exc:     # noqa: BLE001 - reported below
            box["error"] = exc

    t = threading.Thread(target=connect, name="jpsi_fast-connect", daemon=True)
    t.start()
    t.join(float(SCHEDULER_TIMEOUT.rstrip("s")) + SCHEDULER_GRACE_S)
    if "client" not in box:
        why = box.get("error") or "no answer"
        raise CLIError(f"--scheduler: cannot connect to a Dask scheduler at {args.scheduler} ({why}); is it the "
                       "scheduler's address (port 8786 by default), not the dashboard's (8787)?")
    client = box["client"]
    try:
        yield client, None
    finally:
        client.close()


def _distributed(args) -> bool:
    return getattr(args, "workers", None) is not None or getattr(args, "scheduler", None) is not None


def _beam(args):
    """(lambda_e, S_N) from --lambda-e / --S-N, or None when neither is given (unpolarized beams)."""
    lam_e, s_n = getattr(args, "lambda_e", None), getattr(args, "S_N", None)
    if lam_e is None and s_n is None:
        return None
    return (lam_e or 0.0, s_n or 0.0)


def _out_dir(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _output_file(path, name):
    """An output file path whose folder exists (created if needed); checked before any work."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.is_dir():
        raise CLIError(f"{name}: {p} is a folder, expected a file name")
    return p


def _saved(fig, path):
    """Close a figure written to ``path`` (the CLI makes many; pyplot keeps them alive otherwise)."""
    import matplotlib.pyplot as plt
    plt.close(fig)
    return path


def _write_json(path, obj):
    from .data import _atomic_text
    _atomic_text(path, json.dumps(obj, indent=1, default=float))
    return path


def _variations(args, xs, default_on=False):
    """The jpsi_fast.Variations the band options ask for (None: central values only). ``--band`` (or
    ``default_on``, the demo) means the 7-point scales and the positive LDME sets unless narrowed, plus every
    member of ``--pdf-set``."""
    import jpsi_fast as jf
    on = getattr(args, "band", None)
    on = default_on if on is None else on
    scales, ldme, pset = args.scale_variation, args.ldme_sets, args.pdf_set
    if not (on or scales or ldme or pset or args.ldme_fit or args.width_variation):
        return None
    if ldme is not None:
        ldme = ldme if ldme in ("positive", "all") else tuple(s.strip() for s in ldme.split(",") if s.strip())
    var = jf.Variations(scales=scales if scales else (7 if on else None),
                        ldme_sets=ldme if ldme is not None else ("positive" if on else ()),
                        pdf_set=_pdf_set(args) if pset else None, widths=args.width_variation,
                        ldme_uncertainties=args.ldme_fit,
                        allow_negative_ldme=bool(getattr(args, "allow_negative_ldme", False)))
    if xs.layout(variations=var).n_variations == 1:     # e.g. only the central LDME set was named
        raise CLIError("the band options leave nothing to vary (an LDME set equal to the central one is skipped)")
    return var


def _pdf_set(args):
    """The PDFSet of --pdf-set (loaded once per command)."""
    import jpsi_fast as jf
    if getattr(args, "pdf_set_obj", None) is None:
        args.pdf_set_obj = jf.pdf.load_set(args.pdf_set)
    return args.pdf_set_obj


def _band_text(c, lo, hi):
    """'+a -b' of a band around c (3 significant digits)."""
    return f"+{hi - c:.2e} -{c - lo:.2e}"


def _check_beam_options(args, beam, command):
    """CLIError for option combinations that polarized beams do not support."""
    if beam is None:
        return
    if getattr(args, "lambdas", False):
        raise CLIError(f"{command}: --lambdas (the off-diagonal density matrix, docs/physics.md §12) is for "
                       "unpolarized beams only; drop --lambda-e/--S-N")
    if any(getattr(args, n, None) for n in ("band", "scale_variation", "ldme_sets", "pdf_set", "ldme_fit",
                                           "width_variation")):
        raise CLIError(f"{command}: theory bands (--band, --scale-variation, --ldme-sets, --pdf-set, --ldme-fit, "
                       "--width-variation) with polarized beams (--lambda-e/--S-N) are not supported yet")


def _polarized_beams(p):
    """--lambda-e, --S-N, --helicity-pdf, --no-helicity-positivity (docs/physics.md §11)."""
    p.add_argument("--lambda-e", type=_float_type(-1.0, 1.0), default=None, metavar="P_e",
                   help="electron beam polarization in [-1, 1] (+1: right-handed helicity; docs/physics.md §11)")
    p.add_argument("--S-N", dest="S_N", type=_float_type(-1.0, 1.0), default=None, metavar="P_N",
                   help="proton beam polarization (helicity) in [-1, 1]")
    p.add_argument("--helicity-pdf", default=None, metavar="NAME",
                   help="helicity PDFs: GRSV 2000 LO 'standard' (default) or 'valence', or a polarized LHAPDF set "
                        "name / member file (x Df per id, or Dq + Dqbar under the ids 901-903)")
    p.add_argument("--no-helicity-positivity", action="store_true",
                   help="do not enforce |x Df| <= x f per flavour (against GRV94 LO it acts only at x > 0.65, "
                        "from 0.65 to 0.87 depending on flavour and Q^2; docs/physics.md §11.4)")


def _common(p, physics=True, seed=False, out=True, threads=True, bands=False, band_default=False):
    if physics:
        from .params import LDME_SETS
        p.add_argument("--ldme-set", default=None, metavar="NAME",
                       help=f"central LDME set: {', '.join(LDME_SETS)} (default chao2012; docs/physics.md §10.1)")
        p.add_argument("--allow-negative-ldme", action="store_true",
                       help="accept LDME sets with a negative element (NLO fits: their LO channel is negative)")
    if bands:
        if band_default:
            p.add_argument("--no-band", dest="band", action="store_false", default=None,
                           help="central values only (no theory bands)")
        else:
            p.add_argument("--band", action="store_true", default=None,
                           help="theory bands: 7-point scales and the positive LDME sets (narrow with the options "
                                "below), plus --pdf-set members")
        p.add_argument("--scale-variation", type=int, choices=(3, 7), default=None,
                       help="3- or 7-point scale variation (xi_R, xi_F)")
        p.add_argument("--ldme-sets", default=None, metavar="LIST",
                       help="LDME sets of the envelope: comma-separated names, 'positive' or 'all'")
        p.add_argument("--pdf-set", default=None, metavar="NAME",
                       help="LHAPDF set (on LHAPDF_DATA_PATH or a folder): all its members for the PDF band")
        p.add_argument("--ldme-fit", action="store_true",
                       help="vary the central LDME set's quoted uncertainties one at a time (band ldme_fit)")
        p.add_argument("--width-variation", type=_float_type(1.0 + 1e-9, 10.0), default=None, metavar="F",
                       help="multiply and divide each TMD width by F, one at a time (band width)")
    if physics:
        p.add_argument("--sqrt-s", type=_float_type(1.0, 1e5), default=None, metavar="GeV",
                       help="e p centre-of-mass energy [GeV] (default 63)")
        p.add_argument("--beams", type=_beams_type, default=None, metavar="ExP",
                       help="beam energies: an EIC preset 5x41, 5x100, 10x100, 10x275, 18x275, hera, or "
                            "'<E_e>x<E_p>' in GeV (sets sqrt(s); the lab frame of events and acceptance cuts)")
        p.add_argument("--tmd-pdf", choices=("gaussian", "collinear"), default=None,
                       help="TMD-PDF model of the quark-fragmentation channel (default gaussian)")
        p.add_argument("--pdf", default=None, help="GRV94LO (default; with --pdf-set: that set's member 0), an "
                                                   "LHAPDF set name or a member file")
        p.add_argument("--params", default=None, metavar="FILE.toml",
                       help="TOML file of Params fields (and a [domain] table)")
    if threads:
        p.add_argument("--threads", type=_threads_type, default=None,
                       help="threads of the kernels and of scikit-learn (default: all cores, or cores / N with "
                            "--workers N; on Dask workers 1 unless given; negative: cores + 1 + N)")
    if seed:
        p.add_argument("--seed", type=_int_type(0, 2 ** 63 - 1), default=0, help="random seed (default 0)")
    if out:
        p.add_argument("--out", default="jpsi_fast_out", help="output folder (default jpsi_fast_out)")


def _table(rows, header):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(str(h).rjust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(str(c).rjust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def _states(text, allowed="default"):
    """States from a comma-separated list: the default states U, L, T (``allowed="default"``) or also the
    density-matrix elements S00, Spp, Sp0, Spm (``"all"``); no duplicates."""
    from .components import ALL_STATES, STATES
    ok = ALL_STATES if allowed == "all" else STATES
    states = tuple(s.strip() for s in text.split(",") if s.strip())
    bad = [s for s in states if s not in ok]
    if bad or not states or len(set(states)) != len(states):
        raise CLIError(f"--states: expected distinct states from {ok} separated by commas, got {text!r}")
    return states


# ------------------------------------------------------------------------------------------------ commands
def cmd_demo(args):
    import numpy as np
    import jpsi_fast as jf
    t0 = time.perf_counter()
    xs, domain = _setup(args)
    out = _out_dir(args)
    p = xs.params
    print(f"jpsi_fast {jf.__version__}: e p -> e J/psi X at sqrt(s) = {p.sqrt_s:g} GeV, TMD PDF {p.tmd_pdf}, "
          f"PDF {xs.pdf.name}, OpenMP {'on' if jf.openmp_enabled() else 'off'} "
          f"({jf.resolve_n_threads(args.threads)} threads)")
    var = _variations(args, xs, default_on=True)
    pts = np.array(DEMO_POINTS).T
    r = xs.evaluate(*pts, n_threads=args.threads, variations=var, states=DEMO_STATES)
    frac, lam, names = r.fractions("U"), r.lambdas(), r.dominant_names("U")
    a_ll = xs.evaluate(*pts, n_threads=args.threads, states=("U", "U_LL"), lambda_e=0.0, S_N=0.0).A_LL("U")
    y = domain.inelasticity(pts[0], pts[2], p)
    print("\n1. dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4], state U, and each channel's share of sigma_U"
          + ("; theory bands (docs/physics.md §10.4): scale/PDF/total as +up -down, LDME sets as [min, max]"
             if var is not None else ""))
    bands = _point_bands(r) if var is not None else {}
    rows = []
    for i, (x, z, Q, PT) in enumerate(DEMO_POINTS):
        rows.append([f"{x:g}", f"{z:g}", f"{Q:g}", f"{PT:g}", f"{y[i]:.3f}", f"{r.total('U')[i]:.4e}",
                     *(bands[s][i] for s in bands),
                     *(f"{frac[c, i]:.4f}" for c in range(len(r.channels))), names[i],
                     *(_fmt_lambda(lam[k][i]) for k in LAMBDA_KEYS), _fmt_lambda(a_ll[i])])
    print(_table(rows, ["x", "z", "Q", "PT", "y", "sigma_U", *bands, *r.channels, "dominant", *LAMBDA_NAMES,
                        "A_LL"]))
    print("   (y > 1 is kinematically forbidden: every channel is 0; lambda_theta, lambda_phi, lambda_thetaphi: "
          "J/psi -> l+ l- decay parameters of the channel sum in the helicity frame, docs/physics.md §12; A_LL: "
          "double-spin asymmetry of sigma_U with GRSV 2000 LO helicity PDFs, §11)")
    integ = jf.Integrator(domain, seed=args.seed, n_threads=args.threads)
    res = integ.integrate(xs, nitn=6, neval=100_000, warmup=3, variations=var, states=DEMO_STATES)
    print(f"\n2. integrated over the domain (x in {domain.x}, z in {domain.z}, Q in {domain.Q} GeV, "
          f"P_T in {domain.PT} GeV, y <= 1{', P_T <= zQ/2' if domain.tmd_cut else ''}) [pb]")
    rows = [[c, str(res[c, "U"]), str(res[c, "L"]), f"{res[c, 'U'].mean / res.total('U').mean:.3f}",
             *_lambda_cells(res.lambdas(c))] for c in res.channels]
    rows.append(["total", str(res.total("U")), str(res.total("L")), "1", *_lambda_cells(res.lambdas())])
    print(_table(rows, ["channel", "sigma_U [pb]", "sigma_L [pb]", "share", *LAMBDA_NAMES]))
    print("   (decay parameters of the integrated density matrices, total: the channels' matrices added)")
    print(f"   chi2/dof = {res.chi2_dof:.2f}, {res.neval:,} evaluations")
    if var is not None:
        print("   " + _integrated_band_line(res))
    h = integ.histogram(xs, nitn=4, neval=100_000, warmup=1, variations=var, states=DEMO_STATES)
    bins_png = _saved(h.plot(out / "demo_dsigma_dpt_bins.png"), out / "demo_dsigma_dpt_bins.png")
    from .plotting import plot_lambdas
    lam_png = out / "demo_lambdas_vs_pt.png"
    bins_png = f"{bins_png}, {_saved(plot_lambdas(h, lam_png), lam_png)}"
    _write_hist_table(h, out / "demo_dsigma_dpt_bins.csv")
    if var is not None:
        from .plotting import plot_histogram_bands
        band_png = out / "demo_dsigma_dpt_bands.png"
        bins_png = f"{bins_png}, {_saved(plot_histogram_bands(h, band_png), band_png)}"
    print("\n3. dsigma/dP_T in the 2 x 2 (z, Q) bins, state U, summed over channels [pb/GeV] at P_T = 0.125 / 1.125 / "
          "3.125 GeV")
    tot, err = h.total("U", differential=True)
    lam = h.lambdas(sum_over="PT")
    rows = [[b.label.replace("≤", "<="), *(f"{tot[k, j]:.3e}" for j in (0, 4, 12)), *_binned_lambda_cells(lam, k)]
            for k, b in enumerate(h.bins)]
    print(_table(rows, ["bin", "0.125", "1.125", "3.125", *LAMBDA_NAMES]))
    print("   (lambdas: the bin's density matrix integrated over P_T, all channels)")
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


#: states the demo computes: the default ones and the density-matrix elements of the decay lambdas
DEMO_STATES = ("U", "L", "T", "Sp0", "Spm")
LAMBDA_KEYS = ("theta", "phi", "thetaphi")
LAMBDA_NAMES = ("lambda_theta", "lambda_phi", "lambda_thetaphi")


def _fmt_lambda(v):
    return "nan" if not math.isfinite(v) else f"{round(v, 3) + 0.0:+.3f}"


def _lambda_cells(lam):
    """'value +- error' texts of lambda_theta, lambda_phi, lambda_thetaphi (Estimate-like values)."""
    out = []
    for k in LAMBDA_KEYS:
        e = lam[k]
        out.append(_fmt_lambda(e.mean) + ("" if not math.isfinite(e.sdev) or e.sdev == 0 else f" +- {e.sdev:.1g}"))
    return out


def _binned_lambda_cells(lam, k):
    """_lambda_cells of bin k of Histogram.lambdas()'s (values, errors)."""
    from .integrate import Estimate
    values, errors = lam
    return _lambda_cells({n: Estimate(float(values[n][k]), float(errors[n][k])) for n in LAMBDA_KEYS})


def _point_bands(r):
    """{column: [text per point]} of a Result's bands: scale / PDF / total as '+up -down', LDME sets as
    '[min, max]'."""
    from .variations import shown_band_sources
    have = shown_band_sources(r.layout.variations)
    out = {}
    for s in ("scale", "pdf", "width", "ldme_fit", "total", "ldme"):
        if s not in have:
            continue
        c, lo, hi = r.band(s)
        if s == "ldme":
            out["LDME sets"] = [f"[{a:.3e}, {b:.3e}]" for a, b in zip(lo, hi)]
        else:
            out[s] = [_band_text(*v) for v in zip(c, lo, hi)]
    return out


def _integrated_band_line(res):
    """'sigma_U = c +- MC (+a -b scale) (+a -b PDF); LDME sets [min, max]' of an IntegrationResult."""
    tot = res.total("U")
    parts = [f"sigma_U = {tot.mean:.4e} +- {tot.sdev:.1e} (MC)"]
    for s, label in (("scale", "scale"), ("pdf", "PDF"), ("width", "widths"), ("ldme_fit", "LDME fit")):
        try:
            parts.append(f"({_band_text(*res.band(s))} {label})")
        except ValueError:
            pass
    line = " ".join(parts)
    try:
        _, lo, hi = res.band("ldme")
        line += f"; LDME-set envelope [{lo:.4e}, {hi:.4e}] pb"
    except ValueError:
        pass
    return line


def cmd_evaluate(args):
    import numpy as np
    from .data import DatasetWriter, iter_dataset
    xs, _ = _setup(args)
    var = _variations(args, xs)
    beam = _beam(args)
    _check_beam_options(args, beam, "evaluate")
    states = _states(args.states, allowed="all")
    if beam is not None:
        states += tuple(st for st in ("U", "U_LL") if st not in states)
    if args.lambdas:
        states += tuple(s for s in ("L", "Sp0", "Spm") if s not in states)
        states = states if "U" in states or "T" in states else states + ("U",)
    if args.input:
        if any(getattr(args, n) is not None for n in ("x", "z", "Q", "PT")):
            raise CLIError("evaluate: give either --input FILE or --x/--z/--Q/--PT, not both")
        chunks = iter_dataset(args.input, EVALUATE_CHUNK_ROWS)
    else:
        if any(getattr(args, n) is None for n in ("x", "z", "Q", "PT")):
            raise CLIError("evaluate: give --x, --z, --Q and --PT (comma-separated lists broadcast), or --input FILE")
        try:
            cols = np.broadcast_arrays(*(_floats(getattr(args, n), n) for n in ("x", "z", "Q", "PT")))
        except ValueError:
            raise CLIError("evaluate: --x, --z, --Q, --PT lists must have equal lengths (or length 1)") from None
        chunks = [dict(zip(("x", "z", "Q", "PT"), cols))]
    from .data import band_columns
    out = _output_file(args.output, "--output") if args.output else None
    shown, total, head = [], 0, None
    writer = DatasetWriter(out, {"units": "x, z; Q, PT in GeV; sigma_* in pb/GeV^4"}) if out else None
    with writer if writer else contextlib.nullcontext():
        for d in chunks:
            missing = [c for c in ("x", "z", "Q", "PT") if c not in d]
            if missing:
                raise CLIError(f"--input: {args.input} lacks column(s) {missing}")
            x, z, Q, PT = (np.asarray(d[c], dtype=float) for c in ("x", "z", "Q", "PT"))
            r = xs.evaluate(x, z, Q, PT, n_threads=args.threads, variations=var, states=states,
                            **({} if beam is None else {"lambda_e": beam[0], "S_N": beam[1]}))
            central = r.variation("central") if var is not None else r
            flat = central.values.reshape(central.layout.n_components, -1)
            cols = {"x": x, "z": z, "Q": Q, "PT": PT}
            for k, name in enumerate(central.layout.names):
                cols["sigma_" + name.replace(":", "_")] = flat[k]
            lam = central.lambdas() if args.lambdas else {}
            cols.update({f"lambda_{k}": np.asarray(v, dtype=float).reshape(-1) for k, v in lam.items()})
            if beam is not None:
                cols["A_LL_U"] = np.asarray(central.A_LL("U"), dtype=float).reshape(-1)
            cols.update(band_columns(r) if var is not None else {})
            if writer:
                writer.write(cols)
            shown_states = ("U", "L") if set(states) <= {"U", "L", "T"} else states      # the table's columns
            keep = [k for k, name in enumerate(central.layout.names) if name.split(":")[1] in shown_states]
            head = ["x", "z", "Q", "PT"] + [central.layout.names[k] for k in keep]
            bands = _point_bands(r) if var is not None else {}
            head += [f"U {s}" for s in bands] + (list(LAMBDA_NAMES) if lam else []) + (["A_LL_U"] if beam else [])
            for i in range(min(len(x), PRINT_ROWS - len(shown))):
                shown.append([f"{x[i]:g}", f"{z[i]:g}", f"{Q[i]:g}", f"{PT[i]:g}"] +
                             [f"{flat[k, i]:.4e}" for k in keep] + [bands[s][i] for s in bands] +
                             [_fmt_lambda(float(cols[f"lambda_{k}"][i])) for k in LAMBDA_KEYS if lam] +
                             ([f"{float(cols['A_LL_U'][i]):.4f}"] if beam else []))
            total += len(x)
    if out:
        print(f"wrote {total:,} rows to {out}")
    if shown:
        print("dsigma/(dx dQ^2 dz dP_T^2) [pb/GeV^4]" + ("; lambdas: J/psi -> l+ l- decay parameters of the channel "
                                                          "sum, helicity frame (docs/physics.md §12)" if args.lambdas
                                                          else "")
              + (f"; beam polarizations lambda_e = {beam[0]:g}, S_N = {beam[1]:g}: U, L, T include lambda_e S_N F_LL,"
                 " A_LL_U = F_LL/F_UU of the channel sum (docs/physics.md §11)" if beam else ""))
        print(_table(shown, head))
        if total > len(shown):
            print(f"... {total - len(shown):,} more rows" + ("" if out else " (use --output)"))
    return 0


def _write_hist_table(h, path):
    import numpy as np
    from .data import write_columns
    cols = {k: [] for k in ("bin", "z_lo", "z_hi", "Q_lo", "Q_hi", "PT_lo", "PT_hi", "channel", "state",
                            "dsigma_dPT", "error")}
    curves = {(ch, st): h.dsigma(ch, st) for ch in h.channels for st in h.states}
    for b, B in enumerate(h.bins):
        for ch in h.channels:
            for st in h.states:
                value, error = curves[ch, st]
                for j in range(len(h.pt_edges) - 1):
                    for k, v in zip(cols, (b, B.z[0], B.z[1], B.Q[0], B.Q[1], h.pt_edges[j], h.pt_edges[j + 1],
                                           ch, st, value[b, j], error[b, j])):
                        cols[k].append(v)
    cols = {k: np.array(v) for k, v in cols.items()}
    if h.variations:
        # band columns on the rows of the channel sum: rows channel "total", state U
        from .variations import band_sources
        extra = {k: [] for k in cols}
        tot, err = h.total("U", differential=True)
        for b, B in enumerate(h.bins):
            for j in range(len(h.pt_edges) - 1):
                for k, v in zip(extra, (b, B.z[0], B.z[1], B.Q[0], B.Q[1], h.pt_edges[j], h.pt_edges[j + 1],
                                        "total", "U", tot[b, j], err[b, j])):
                    extra[k].append(v)
        n_ch = len(cols["bin"])
        cols = {k: np.concatenate([cols[k], np.array(extra[k])]) for k in cols}
        for s in band_sources(h.layout.variations):
            _, lo, hi = h.band(s, differential=True)
            for tag, arr in (("lo", lo), ("hi", hi)):
                cols[f"{s}_{tag}"] = np.concatenate([np.full(n_ch, np.nan), arr.reshape(-1)])
    write_columns(path, cols, meta={"units": {"dsigma_dPT": "pb/GeV", "error": "pb/GeV", "Q_lo": "GeV",
                                              "Q_hi": "GeV", "PT_lo": "GeV", "PT_hi": "GeV"},
                                    "bands": "columns <source>_lo/_hi [pb/GeV] on the rows channel=total, state=U "
                                             "(docs/physics.md §10.4)" if h.variations else None})


def cmd_bins(args):
    import numpy as np
    import jpsi_fast as jf
    states = _states(args.states)
    edges = _floats(args.pt_edges, "pt-edges")
    if len(edges) == 3 and edges[2] >= 1 and edges[2] == int(edges[2]) and edges[1] > edges[0]:
        if edges[2] > 100_000:
            raise CLIError(f"--pt-edges: at most 100000 P_T bins, got {int(edges[2])}")
        edges = np.linspace(edges[0], edges[1], int(edges[2]) + 1)
    xs, domain = _setup(args)
    var = _variations(args, xs)
    out = _out_dir(args)
    integ = jf.Integrator(domain, seed=args.seed, n_threads=args.threads)
    from .components import STATES
    from .xsec import POLARIZED_DEFAULT_STATES
    beam = _beam(args)
    _check_beam_options(args, beam, "bins")
    hist_states = DEMO_STATES if args.lambdas else (STATES + POLARIZED_DEFAULT_STATES if beam is not None else None)
    h = integ.histogram(xs, pt_edges=edges, nitn=args.nitn, neval=args.neval, warmup=args.warmup, variations=var,
                        states=hist_states, beam=beam)
    table = out / f"dsigma_dpt_bins.{args.format}"
    _write_hist_table(h, table)
    fig = out / f"dsigma_dpt_bins.{args.figure}"
    _saved(h.plot(fig, states=states), fig)
    if args.lambdas:
        from .plotting import plot_lambdas
        lam_fig = out / f"lambdas_vs_pt.{args.figure}"
        _saved(plot_lambdas(h, lam_fig), lam_fig)
        fig = f"{fig}, {lam_fig}"
    if var is not None:
        from .plotting import plot_histogram_bands
        band_fig = out / f"dsigma_dpt_bands.{args.figure}"
        _saved(plot_histogram_bands(h, band_fig), band_fig)
        fig = f"{fig}, {band_fig}"
    tot, _ = h.total("U")
    print("dsigma/dP_T summed over channels, state U [pb/GeV]; integral over P_T [pb]"
          + (f" at lambda_e = {beam[0]:g}, S_N = {beam[1]:g} (table rows U_LL, L_LL, T_LL: the F_LL parts)"
             if beam is not None else "") + ":")
    lam = h.lambdas(sum_over="PT") if args.lambdas else None
    a_ll = h.A_LL("U", sum_over="PT") if beam is not None else None
    for k, b in enumerate(h.bins):
        extra = ""
        if lam is not None:
            extra = "   " + ", ".join(f"{n} = {cell}" for n, cell in zip(LAMBDA_NAMES, _binned_lambda_cells(lam, k)))
        if a_ll is not None:
            extra += f"   A_LL(U) = {float(a_ll[0][k]):.4f} +- {float(a_ll[1][k]):.1g}"
        print(f"  {b.label.replace('≤', '<=')}: {float(tot[k].sum()):.4e} pb{extra}")
    print(f"wrote {table} and {fig}")
    return 0


def _confirm(rows, fmt, yes, what):
    from .data import estimate_size
    size = estimate_size(rows, fmt)
    if (rows > CONFIRM_ROWS or size > CONFIRM_BYTES) and not yes:
        raise CLIError(f"{what}: {rows:,} rows (~{size / 2 ** 30:.1f} GiB as {fmt}) is a large request; add --yes "
                       "to go ahead")


def cmd_grid(args):
    import numpy as np
    from .data import GridSpec, _fmt, write_dataset
    out = Path(args.output or ("jpsi_fast_out/grid" if _distributed(args) else "jpsi_fast_out/grid.parquet"))
    if args.partition_rows is not None and not _distributed(args):
        raise CLIError("--partition-rows applies to --workers/--scheduler (a folder of partitions)")
    if _distributed(args):
        if args.sample is not None:
            raise CLIError("--sample writes one event stream: drop --workers/--scheduler (chunked events: "
                           "jpsi-fast events --workers N)")
        if out.suffix.lower() == ".csv":
            raise CLIError("--output: --workers/--scheduler write a folder of Parquet partitions, not a .csv file")
        if out.is_file():
            raise CLIError(f"--output: {out} is a file; --workers/--scheduler write a folder of partitions")
        out.parent.mkdir(parents=True, exist_ok=True)
        fmt = "parquet"
    else:
        out = _output_file(out, "--output")
        fmt = _fmt(out)
    if args.sample is not None:
        _confirm(args.sample, fmt, args.yes, "--sample")
        xs, domain = _setup(args)
        summary = write_dataset(out, xs, sample=args.sample, domain=domain, chunk_rows=args.chunk, seed=args.seed,
                                n_threads=args.threads, variations=_variations(args, xs))
    else:
        n = _ints(args.n, "n", 4)
        _confirm(int(np.prod(n, dtype=object)), fmt, args.yes, "--n")
        xs, domain = _setup(args)
        with _backend(args) as (client, workers):
            extra = dict(client=client, workers=workers, partition_rows=args.partition_rows) if _distributed(args) \
                else {}
            summary = write_dataset(out, xs, grid=GridSpec.from_domain(domain, n), domain=domain,
                                    chunk_rows=args.chunk, n_threads=args.threads,
                                    variations=_variations(args, xs), **extra)
    if "partitions" in summary:
        print(f"wrote {summary['rows']:,} rows x {len(summary['columns'])} columns to {summary['path']}/ "
              f"({summary['partitions']} Parquet partition{'s' if summary['partitions'] != 1 else ''}, "
              f"{summary['written']} written now, "
              f"{summary['skipped']} already complete; {summary['bytes'] / 2 ** 20:.1f} MiB) in "
              f"{summary['seconds']:.2f} s")
    else:
        print(f"wrote {summary['rows']:,} rows x {len(summary['columns'])} columns to {summary['path']} "
              f"({summary['format']}) in {summary['seconds']:.2f} s")
    return 0


def cmd_corrupt(args):
    from .data import corrupt_file
    out = _output_file(args.output, "output")
    s = corrupt_file(args.input, out, noise_fraction=args.noise, noise_sigma=args.noise_sigma,
                     missing_fraction=args.missing, seed=args.seed)
    print(f"wrote {out}: {s['noisy_rows']:,} of {s['rows']:,} rows with multiplicative noise (log-normal, sigma "
          f"{args.noise_sigma}), {s['missing_cells']:,} missing cells; truth in columns 'corrupted' and "
          f"'corruption_factor'; metadata kept")
    return 0


def cmd_clean(args):
    from .data import clean_file
    out = _output_file(args.output, "output")
    report = _output_file(args.report, "--report") if args.report else None
    rep = clean_file(args.input, out, impute_method=args.impute, detect_method=args.detect,
                     contamination=args.contamination, seed=args.seed)
    msg = (f"imputed missing values ({args.impute}"
           f"{', with the parameters recorded in the dataset' if args.impute == 'recompute' else ''}); "
           f"{rep['method']} flagged {rep['flagged']:,} of {rep['rows_checked']:,} rows; wrote {rep['written']:,} "
           f"rows to {out}")
    if "precision" in rep:
        fmt = lambda v: "undefined" if v is None else f"{v:.3f}"     # noqa: E731
        msg += (f"; precision {fmt(rep['precision'])}, recall {fmt(rep['recall'])} (factors beyond 1.5x: "
                f"{fmt(rep['recall_large'])}) against the injected truth")
    print(msg)
    if report:
        _write_json(report, rep)
    return 0


def cmd_regions(args):
    import jpsi_fast as jf
    from .regions import VARIATION_TARGETS
    xs, domain = _setup(args)
    var = _variations(args, xs, default_on=args.target in VARIATION_TARGETS)
    if var is not None and args.target not in VARIATION_TARGETS:
        raise CLIError(f"--band, --scale-variation, --ldme-sets, --pdf-set apply to --target {VARIATION_TARGETS}")
    out = _out_dir(args)
    count_target = None
    if args.lumi is not None:
        if args.target != "large":
            raise CLIError("--lumi, --min-counts, --cell apply to --target large (enough events for a measurement)")
        from .events import CountTarget
        cell = _floats(args.cell, "cell")
        if len(cell) != 4 or not all(c > 0 for c in cell):
            raise CLIError(f"--cell: expected 4 positive widths dx,dz,dQ,dPT, got {args.cell!r}")
        if args.state != "U":
            raise CLIError("--lumi counts events of sigma_U: use --state U")
        count_target = CountTarget(args.lumi, args.min_counts, tuple(cell))
    with _backend(args) as (client, workers):
        rm = jf.RegionMapper(xs, domain, target=args.target, state=args.state, batch_size=args.batch,
                             budget=args.budget, seed=args.seed, n_threads=args.threads, variations=var,
                             count_target=count_target, client=client, workers=workers, strategy=args.strategy,
                             target_accuracy=args.target_accuracy)
        rm.fit()
        ev = rm.evaluate(n_test=args.n_test)
        budgets = sorted({args.batch, *(h["labels"] for h in rm.history[::max(1, len(rm.history) // 5)]),
                          len(rm.X_)})
        lc = rm.learning_curves(budgets, n_test=min(args.n_test, 50_000))
        files = [_write_json(out / "regions_metrics.json",
                             {"metrics": ev, "learning_curves": lc, "history": rm.history}),
                 _saved(rm.plot_learning_curves(lc, out / "regions_learning_curves.png"),
                        out / "regions_learning_curves.png")]
        for a, b in (("x", "Q"), ("z", "PT"), ("z", "Q")):          # the maps label their grids: still connected
            files.append(_saved(rm.plot_map(a, b, out / f"regions_map_{a}_{b}.png"),
                                out / f"regions_map_{a}_{b}.png"))
    m = ev["sigma_weighted"]
    if "probability" in m:
        pm = m["probability"]
        print(f"{args.target} ({args.state}): {len(rm.X_):,} labels in {rm.fit_time_:.1f} s; sigma-weighted "
              f"Brier score {pm['brier']:.4f}, mean |p - p_exact| {pm['mae']:.4f}")
    else:
        print(f"{args.target} ({args.state}): {len(rm.X_):,} labels in {rm.fit_time_:.1f} s ({rm.strategy_}); "
              f"sigma-weighted accuracy {m['sigma_weighted_accuracy']:.4f}, boundary-layer accuracy "
              f"{m['boundary_accuracy']:.4f}")
    print("wrote " + ", ".join(str(f) for f in files))
    return 0


def cmd_info(args):
    import jpsi_fast as jf
    from ._openmp_helpers import MAX_THREADS
    print(f"jpsi_fast {jf.__version__}")
    print(f"OpenMP: {'enabled' if jf.openmp_enabled() else 'disabled (serial kernels)'}; "
          f"default threads: {jf.max_threads()}; at most {MAX_THREADS} per call")
    from . import _kernels
    level = _kernels.simd_level()
    print(f"SIMD kernels: {_kernels.simd_name(level)} (CPU best: {_kernels.simd_name(_kernels.simd_level('auto'))}; "
          f"collinear model with the tabulated GRV94; {_kernels.SIMD_ENV}=0 selects the scalar kernel)")
    sets = jf.pdf.available_sets()
    print("PDF sets on LHAPDF_DATA_PATH: " + (", ".join(sets) if sets else "none (embedded GRV94LO available)"))
    return 0


def _lumi_type(text):
    t = str(text).strip().lower().replace(" ", "")
    for suffix in ("/fb", "fb^-1", "fb-1"):
        if t.endswith(suffix):
            t = t[:-len(suffix)]
    return _float_type(0.0, 1e9)(t)


def _lumi_type_positive(text):
    v = _lumi_type(text)
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0 fb^-1, got {text}")
    return v


def _acceptance_options(p, default="none", domain="default"):
    p.add_argument("--domain", choices=("default", "eic"), default=domain,
                   help="phase space: default (docs/physics.md §7: x > 0.1, Q > 10 GeV) or eic (x in [0.01, 0.95], "
                        f"Q in [5, 50] GeV, 0.01 <= y <= 0.95, z in [0.1, 0.8]; §13.5) (default {domain}); a "
                        "[domain] table in --params overrides it")
    p.add_argument("--decay", choices=("mumu", "ee"), default="mumu", help="J/psi -> mu+ mu- (default) or e+ e-")
    p.add_argument("--acceptance", choices=("none", "typical"), default=default,
                   help="typical: both leptons |eta| < 3.5 and p_T > 0.5 GeV, scattered electron |eta| < 3.5; "
                        f"none: no cut (default {default}); the options below override parts of it")
    p.add_argument("--lepton-eta", default=None, metavar="LO,HI", help="pseudorapidity window of both leptons")
    p.add_argument("--lepton-pt-min", type=_float_type(0.0, 1e5), default=None, metavar="GeV",
                   help="smallest lepton p_T [GeV]")
    p.add_argument("--electron-eta", default=None, metavar="LO,HI", help="pseudorapidity window of the scattered e")
    p.add_argument("--electron-energy-min", type=_float_type(0.0, 1e5), default=None, metavar="GeV",
                   help="smallest scattered-electron energy [GeV]")


def _acceptance(args):
    """The jpsi_fast.Acceptance of the acceptance options."""
    import dataclasses

    from .integrate import Acceptance
    acc = Acceptance.typical(args.decay) if args.acceptance == "typical" else Acceptance(decay=args.decay)
    changes = {}
    for name in ("lepton_eta", "electron_eta"):
        text = getattr(args, name)
        if text is not None:
            vals = _floats(text, name.replace("_", "-"))
            if len(vals) != 2:
                raise CLIError(f"--{name.replace('_', '-')}: expected LO,HI, got {text!r}")
            changes[name] = tuple(vals)
    for name in ("lepton_pt_min", "electron_energy_min"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    try:
        return dataclasses.replace(acc, **changes)
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc)) from None


def _lab_setup(args):
    """(CrossSection, Domain with the acceptance) for the lab-frame commands; --beams is required."""
    import jpsi_fast as jf
    xs, domain = _setup(args)
    if xs.params.beams is None:
        raise CLIError("this command works in the lab frame: give --beams (e.g. --beams 18x275) or beams in --params")
    has_table = bool(getattr(args, "params", None)) and "domain" in _load_toml(args.params)
    if args.domain == "eic" and not has_table:
        domain = jf.Domain.eic()
        domain.check(xs.params)
    return xs, domain.replace(acceptance=_acceptance(args))


def cmd_events(args):
    from ._eventio import BYTES_PER_EVENT, infer_format
    from .events import write_events
    if args.chunk_events is not None and not _distributed(args):
        raise CLIError("--chunk-events applies to --workers/--scheduler (a folder of chunk files)")
    if _distributed(args):
        out = Path(args.output or "jpsi_fast_out/events")
        if out.is_file():
            raise CLIError(f"--output: {out} is a file; --workers/--scheduler write a folder of chunk files")
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            fmt = infer_format(out) if args.format == "auto" else args.format
        except ValueError:
            fmt = "hepmc3"                         # a plain folder name
    else:
        out = _output_file(args.output or "jpsi_fast_out/jpsi.hepmc", "--output")
        try:
            fmt = infer_format(out) if args.format == "auto" else args.format
        except ValueError as exc:
            raise CLIError(f"--output: {exc}") from None
    size = args.n * BYTES_PER_EVENT[fmt]
    if size > CONFIRM_BYTES and not args.yes:
        raise CLIError(f"--n: {args.n:,} events (~{size / 2 ** 30:.0f} GiB as {fmt}) is a large request; add --yes "
                       "to go ahead")
    xs, domain = _lab_setup(args)
    var = _variations(args, xs)
    b = xs.params.beams
    kind = "weighted" if args.weighted else "unweighted"
    if _distributed(args):
        from .distributed import write_event_chunks
        with _backend(args) as (client, workers):
            from .distributed import CHUNK_EVENTS
            index = write_event_chunks(out, xs, args.n, chunk_events=args.chunk_events or CHUNK_EVENTS, fmt=fmt,
                                       domain=domain, seed=args.seed, unweighted=not args.weighted, batch=args.batch,
                                       client=client, workers=workers, n_threads=args.threads, variations=var)
        print(f"wrote {index['events']:,} {kind} events ({b}, {domain.acceptance}) to {out}/ as {index['chunks']} "
              f"{fmt} chunk files + index.json in {index['seconds']:.1f} s; sigma x B = {index['sigma_pb']:.5g} +- "
              f"{index['sigma_error_pb']:.2g} pb (B = {index['branching_ratio']:g}; normalize the union by it)")
        return 0
    summary = write_events(out, xs, args.n, fmt=fmt, domain=domain, seed=args.seed, unweighted=not args.weighted,
                           batch=args.batch, n_threads=args.threads, variations=var, progress=None)
    print(f"wrote {summary['events']:,} {kind} events ({b}, "
          f"{domain.acceptance}) to {out} ({fmt}) in {summary['seconds']:.1f} s "
          f"({summary['events_per_second']:,.0f} events/s); sigma x B = {summary['sigma_pb']:.5g} +- "
          f"{summary['sigma_error_pb']:.2g} pb (B = {summary['branching_ratio']:g})")
    return 0


def cmd_rates(args):
    import numpy as np

    from .events import rates_table
    xs, domain = _lab_setup(args)
    z_edges, pt_edges = _floats(args.z_edges, "z-edges"), _floats(args.pt_edges, "pt-edges")
    for name, e in (("z-edges", z_edges), ("pt-edges", pt_edges)):
        if len(e) < 2 or np.any(np.diff(e) <= 0):
            raise CLIError(f"--{name}: at least 2 increasing edges")
    out = _out_dir(args)
    t0 = time.perf_counter()
    table = rates_table(xs, domain, args.lumi, z_edges, pt_edges, nitn=args.nitn, neval=args.neval, seed=args.seed,
                        n_threads=args.threads, min_counts=args.min_counts)
    csv = out / "rates_z_pt.csv"
    from .data import write_columns
    write_columns(csv, table["columns"], meta={"units": {"sigma_acc_pb": "pb", "PT_lo": "GeV", "PT_hi": "GeV"},
                                               "lumi_fb": args.lumi, "beams": str(xs.params.beams),
                                               "acceptance": str(domain.acceptance)})
    fig_path = out / "rates_z_pt.png"
    from .plotting import plot_rates
    _saved(plot_rates(table, fig_path), fig_path)
    print(table["text"])
    print(f"wrote {csv} and {fig_path} ({time.perf_counter() - t0:.1f} s)")
    return 0


#: the tasks `jpsi-fast scan` can map: name -> (function in jpsi_fast.distributed, its options and their types)
SCAN_TASKS = {"integrate": ("integrate_point", {"nitn": int, "neval": int, "warmup": int, "band": bool})}
SCAN_TOML_KEYS = {"task", "seed", "options", "fixed", "axes", "points"}


def _scan_spec(path):
    """(task function, grid, seed, the TOML as a dict) of a scan file; every key checked."""
    import functools

    from . import distributed
    cfg = _load_toml(path, "scan file")
    unknown = set(cfg) - SCAN_TOML_KEYS
    if unknown:
        raise CLIError(f"{path}: unknown key(s) {sorted(unknown)}; allowed: {sorted(SCAN_TOML_KEYS)}")
    task = cfg.get("task", "integrate")
    if task not in SCAN_TASKS:
        raise CLIError(f"{path}: task must be one of {sorted(SCAN_TASKS)}, got {task!r}")
    fname, option_types = SCAN_TASKS[task]
    options = cfg.get("options", {})
    fixed = cfg.get("fixed", {})
    for name, table in (("options", options), ("fixed", fixed)):
        if not isinstance(table, dict):
            raise CLIError(f"{path}: [{name}] must be a table")
    for k, v in options.items():
        if k not in option_types:
            raise CLIError(f"{path}: [options] {k!r} is not an option of task {task!r}; allowed: {sorted(option_types)}")
        if not isinstance(v, option_types[k]) or (option_types[k] is int and (isinstance(v, bool) or v < 1)):
            raise CLIError(f"{path}: [options] {k} must be a {'positive integer' if option_types[k] is int else 'bool'}"
                           f", got {v!r}")
    if ("axes" in cfg) == ("points" in cfg):
        raise CLIError(f"{path}: give either an [axes] table (the Cartesian product) or a [[points]] list")
    grid = cfg.get("axes") if "axes" in cfg else cfg["points"]
    if isinstance(grid, dict) and set(grid) & set(fixed):
        raise CLIError(f"{path}: {sorted(set(grid) & set(fixed))} are both [fixed] and [axes]: keep one")
    try:
        points = distributed.scan_points(grid)
        # every key and value is checked here, before any work: every point of a list; every value of every axis
        # of a product (with the first point's other values)
        checks = points if "points" in cfg else [
            dict(points[0], **{name: v}) for name, values in grid.items()
            for v in ([values] if isinstance(values, str) or not isinstance(values, list) else values)]
        seen = set()
        for point in checks:
            key = distributed.task_key(point)
            if key not in seen:
                seen.add(key)
                distributed.setup_point(point, fixed)
    except (TypeError, ValueError, OSError) as exc:
        raise CLIError(f"{path}: {exc}") from None
    seed = cfg.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 63:
        raise CLIError(f"{path}: seed must be an integer in [0, 2^63), got {seed!r}")
    func = functools.partial(getattr(distributed, fname), base=fixed, **options)
    return func, points, seed, cfg


def cmd_scan(args):
    from .data import _fmt, write_columns
    from .distributed import scan
    out = _output_file(args.output, "--output")
    if out.suffix.lower() not in (".parquet", ".csv"):
        raise CLIError(f"--output: the table is .parquet or .csv, got {out.name!r}")
    fmt = _fmt(out)
    func, points, seed, cfg = _scan_spec(args.spec)
    if args.seed is not None:
        seed = args.seed
    with _backend(args) as (client, workers):
        df = scan(func, points, client=client, seed=seed, workers=workers, n_threads=args.threads,
                  progress=None if not args.progress else True)
    cols = {c: df[c].to_numpy() for c in df.columns if df[c].dtype != object or
            all(isinstance(v, str) for v in df[c])}
    write_columns(out, cols, meta={"scan": json.loads(json.dumps(cfg, default=str)), "seed": seed,
                                   "units": {c: "pb" for c in cols if c.startswith("sigma_")}}, fmt=fmt)
    shown = [c for c in ("sigma_U", "sigma_U_error", "share_ff", "chi2_dof") if c in df.columns]
    keys = list(df.columns[:df.columns.get_loc("seed")])            # the scan's parameters
    rows = [[str(df.at[i, k]) for k in keys] + [f"{df.at[i, c]:.5g}" for c in shown]
            for i in range(min(len(df), PRINT_ROWS))]
    print(_table(rows, keys + shown))
    if len(df) > PRINT_ROWS:
        print(f"... {len(df) - PRINT_ROWS:,} more rows")
    busy = sum(df.attrs["task_seconds"])
    print(f"wrote {len(df):,} points x {len(cols)} columns to {out} in {df.attrs['wall_seconds']:.1f} s "
          f"(task time {busy:.1f} s)")
    return 0


def build_parser():
    from . import __version__
    from .distributed import CHUNK_EVENTS, PARTITION_ROWS
    parser = _Parser(prog="jpsi-fast", description="J/psi production in SIDIS: fast NRQCD + TMD cross sections "
                     "(quark fragmentation vs photon-gluon fusion), integration, region maps and datasets")
    parser.add_argument("--version", action="version", version=f"jpsi-fast {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("demo", help="the main job: a few points, the domain, the 2 x 2 bins, a region map, figures")
    _common(p, seed=True, bands=True, band_default=True)
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("evaluate", help="channel x state table at given points")
    _common(p, out=False, bands=True)
    for n in ("x", "z", "Q", "PT"):
        p.add_argument(f"--{n}", default=None, help=f"{n} value(s), comma-separated" +
                       (" [GeV]" if n in ("Q", "PT") else ""))
    p.add_argument("--input", default=None, help="CSV or Parquet file with columns x, z, Q, PT (streamed)")
    p.add_argument("--output", default=None, help="write the table to this CSV/Parquet file")
    p.add_argument("--states", default="U,L,T", help="states computed: U, L, T, the density-matrix elements "
                   "S00, Spp, Sp0, Spm (docs/physics.md §12) and the beam-polarization parts U_LL, L_LL, T_LL, V_LU, "
                   "V_UL, V (§11) (default U,L,T)")
    p.add_argument("--lambdas", action="store_true", help="add the J/psi -> l+ l- decay parameters lambda_theta, "
                   "lambda_phi, lambda_thetaphi of the channel sum (helicity frame; the output file also has "
                   "lambda_tilde)")
    _polarized_beams(p)
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("bins", help="binned dsigma/dP_T table and figure for the 2 x 2 (z, Q) bins")
    _common(p, seed=True, bands=True)
    p.add_argument("--pt-edges", default="0,6,24", help="P_T bin edges [GeV], or 'start,stop,nbins' (default 0,6,24)")
    p.add_argument("--nitn", type=_int_type(1, 10_000), default=8, help="iterations after the warm-up (default 8)")
    p.add_argument("--neval", type=_int_type(64, 10 ** 12), default=200_000,
                   help="evaluations per iteration (default 200000)")
    p.add_argument("--warmup", type=_int_type(0, 10_000), default=4, help="adapting iterations first (default 4)")
    p.add_argument("--states", default="U,L", help="states drawn, from U, L, T (default U,L)")
    p.add_argument("--lambdas", action="store_true", help="also bin the density matrix: lambda_theta, lambda_phi, "
                   "lambda_thetaphi per bin (table rows for the elements Sp0, Spm; figure lambdas_vs_pt; the lambdas of each "
                   "(z, Q) bin printed)")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="table format (default csv)")
    p.add_argument("--figure", choices=("png", "pdf"), default="png", help="figure format (default png)")
    _polarized_beams(p)
    p.set_defaults(func=cmd_bins)
    p = sub.add_parser("grid", help="dataset of a grid or of sampled events, to Parquet or CSV")
    _common(p, seed=True, out=False, bands=True)
    p.add_argument("--output", default=None,
                   help="file (.parquet or .csv; default jpsi_fast_out/grid.parquet); with --workers/--scheduler a "
                   "folder of Parquet partitions (default jpsi_fast_out/grid/)")
    p.add_argument("--n", default="25,25,25,75", help="grid points along x, z, Q, P_T (default 25,25,25,75)")
    p.add_argument("--sample", type=_int_type(1), default=None,
                   help="instead of a grid: this many sigma_U-weighted events")
    p.add_argument("--chunk", type=_int_type(1, 1 << 26), default=GRID_CHUNK_ROWS,
                   help=f"rows per chunk (bounded memory; default {GRID_CHUNK_ROWS:,})")
    p.add_argument("--yes", action="store_true", help=f"allow requests above {CONFIRM_ROWS:,} rows or "
                   f"{CONFIRM_BYTES >> 30} GiB")
    _distributed_options(p, "write the partitions")
    p.add_argument("--partition-rows", type=_int_type(1, 1 << 40), default=None, metavar="ROWS",
                   help=f"rows per partition with --workers/--scheduler (default {PARTITION_ROWS:,}, ~110 MB)")
    p.set_defaults(func=cmd_grid)
    p = sub.add_parser("corrupt", help="inject multiplicative noise and missing values into a dataset")
    p.add_argument("input", help="dataset to read (.parquet or .csv)")
    p.add_argument("output", help="dataset to write (.parquet or .csv)")
    p.add_argument("--noise", type=_float_type(0.0, 1.0), default=0.05,
                   help="fraction of rows with noise (default 0.05)")
    p.add_argument("--noise-sigma", type=_float_type(0.0, 10.0), default=0.5,
                   help="width of the log-normal factor (default 0.5)")
    p.add_argument("--missing", type=_float_type(0.0, 1.0), default=0.01,
                   help="fraction of missing sigma cells (default 0.01)")
    p.add_argument("--seed", type=_int_type(0, 2 ** 63 - 1), default=0, help="random seed (default 0)")
    p.set_defaults(func=cmd_corrupt)
    p = sub.add_parser("clean", help="impute, detect corrupted rows, report precision/recall, write clean data")
    _common(p, physics=False, seed=True, out=False)
    p.add_argument("input", help="dataset to read (.parquet or .csv)")
    p.add_argument("output", help="dataset to write (.parquet or .csv)")
    p.add_argument("--impute", choices=("recompute", "median", "knn"), default="recompute",
                   help="recompute (exact, with the parameters recorded in the dataset; default), median or knn")
    p.add_argument("--detect", choices=("auto", "recompute", "isolation_forest", "lof"), default="auto",
                   help="recompute (exact, with the dataset's own parameters), isolation_forest or lof (unsupervised); "
                        "auto (default): recompute when the dataset records its parameters")
    p.add_argument("--contamination", default="auto", type=lambda v: v if v == "auto" else _float_type(1e-6, 0.5)(v),
                   help="expected fraction of corrupted rows, or auto (default)")
    p.add_argument("--report", default=None, help="write the detection report (JSON) here")
    p.set_defaults(func=cmd_clean)
    p = sub.add_parser("regions", help="active-learning region map: metrics, learning curves, maps")
    _common(p, seed=True, bands=True)
    p.add_argument("--target", choices=("dominant", "ff_vs_pgf", "share", "large", "robust_dominant",
                                        "dominance_probability", "lambda_separation"), default="dominant",
                   help="what the map learns (default dominant); robust_dominant / dominance_probability use the "
                        "theory variations (default 7-point scales and the positive LDME sets; dominance_probability "
                        "uses the central value and the LDME sets only); lambda_separation: where lambda_theta of "
                        "quark fragmentation and of PGF differ by more than 0.3")
    p.add_argument("--state", choices=("U", "L", "T"), default="U", help="polarisation state (default U)")
    p.add_argument("--lumi", type=_lumi_type_positive, default=None, metavar="L",
                   help="--target large as 'enough events': expected J/psi -> mu mu events for L fb^-1 in a cell "
                        "around each point must reach --min-counts")
    p.add_argument("--min-counts", type=_float_type(1e-9, 1e15), default=100.0, help="events needed (default 100)")
    p.add_argument("--cell", default="0.05,0.1,2,0.5", metavar="DX,DZ,DQ,DPT",
                   help="measurement cell (dx, dz, dQ [GeV], dP_T [GeV]) of --lumi (default 0.05,0.1,2,0.5)")
    p.add_argument("--budget", type=_int_type(10), default=10_000, help="labels in all (default 10000)")
    p.add_argument("--batch", type=_int_type(10), default=2000, help="labels per round (default 2000)")
    p.add_argument("--strategy", choices=("auto", "active", "one_shot"), default="auto",
                   help="active learning, one fit on sigma-weighted + uniform labels, or the faster of the two for "
                        "the label cost (default auto)")
    p.add_argument("--target-accuracy", type=_float_type(1e-9, 1 - 1e-9), default=None, metavar="A",
                   help="stop once the sigma-weighted validation accuracy reaches A in (0, 1) (default: spend "
                        "--budget)")
    p.add_argument("--n-test", type=_int_type(100, 10 ** 8), default=100_000,
                   help="size of each exactly labelled test set (default 100000)")
    _distributed_options(p, "compute the labels (robust targets over many variations are worth it)")
    p.set_defaults(func=cmd_regions)
    p = sub.add_parser("events", help="decayed J/psi events in the lab frame to HepMC3, LHE or Parquet")
    _common(p, seed=True, out=False, bands=True)
    p.add_argument("--n", type=_int_type(1, 10 ** 12), default=100_000, help="events (default 100000)")
    p.add_argument("--output", default=None,
                   help="event file (default jpsi_fast_out/jpsi.hepmc); the suffix sets the format unless --format; "
                   "with --workers/--scheduler a folder of chunk files (default jpsi_fast_out/events/)")
    from ._eventio import FORMATS as EVENT_FORMATS
    p.add_argument("--format", choices=("auto",) + EVENT_FORMATS, default="auto",
                   help="hepmc3 (ASCII; .gz/.bz2/.xz compressed), lhe (.gz), parquet; auto: from the suffix")
    p.add_argument("--weighted", action="store_true", help="weighted events (default unweighted)")
    p.add_argument("--batch", type=_int_type(1, 10 ** 8), default=100_000,
                   help="events per batch (bounded memory; default 100000; the events do not depend on it)")
    p.add_argument("--yes", action="store_true", help=f"allow files above {CONFIRM_BYTES >> 30} GiB")
    _distributed_options(p, "produce the chunks")
    p.add_argument("--chunk-events", type=_int_type(1, 10 ** 10), default=None, metavar="N",
                   help=f"events per chunk file with --workers/--scheduler (default {CHUNK_EVENTS:,})")
    _acceptance_options(p)
    p.set_defaults(func=cmd_events)
    p = sub.add_parser("rates", help="expected J/psi -> l+ l- counts per (z, P_T) bin in acceptance for a luminosity")
    _common(p, seed=True)
    p.add_argument("--lumi", type=_lumi_type, default=10.0, metavar="L",
                   help="integrated luminosity in fb^-1, e.g. 10 or 10/fb (default 10)")
    p.add_argument("--z-edges", default="0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8", help="z bin edges (default 0.1 .. 0.8)")
    p.add_argument("--pt-edges", default="0,0.5,1,1.5,2,3,4,6", help="P_T bin edges [GeV] (default 0 .. 6)")
    p.add_argument("--neval", type=_int_type(1000, 10 ** 12), default=200_000,
                   help="evaluations per iteration (default 200000)")
    p.add_argument("--nitn", type=_int_type(1, 1000), default=6, help="iterations after the warm-up (default 6)")
    p.add_argument("--min-counts", type=_float_type(0.0, 1e15), default=100.0,
                   help="bins with at least this many events are marked measurable (default 100)")
    _acceptance_options(p, default="typical", domain="eic")
    p.set_defaults(func=cmd_rates)
    p = sub.add_parser("scan", help="integrate over a parameter scan given in a TOML file, locally or on Dask")
    p.add_argument("spec", help="TOML file: task, seed, [options], [fixed], and [axes] (Cartesian product) or "
                   "[[points]]; see README 'Running on a cluster'")
    p.add_argument("--output", default="jpsi_fast_out/scan.parquet",
                   help="table, one row per point (.parquet or .csv; default jpsi_fast_out/scan.parquet)")
    p.add_argument("--seed", type=_int_type(0, 2 ** 63 - 1), default=None, help="base seed (default: the file's, or 0)")
    p.add_argument("--threads", type=_threads_type, default=None,
                   help="OpenMP threads per task (default: the worker's OpenMP default; Dask workers: 1)")
    p.add_argument("--progress", action="store_true", help="show a progress bar (needs tqdm)")
    _distributed_options(p, "run the tasks")
    p.set_defaults(func=cmd_scan)
    p = sub.add_parser("info", help="version, OpenMP build, threads, SIMD path, PDF sets found")
    p.set_defaults(func=cmd_info)
    return parser


def main(argv=None):
    debug = os.environ.get("JPSI_FAST_DEBUG", "") not in ("", "0")
    args = None
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "threads", None) is not None and getattr(args, "scheduler", None) is None:
            from .distributed import check_threads
            try:
                check_threads(args.threads)                  # this machine's cores
            except ValueError as exc:
                raise CLIError(f"--threads: {exc}") from None
        return args.func(args)
    except CLIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args is not None and args.command in ("grid", "events") and _distributed(args):
            print("jpsi-fast: interrupted; the finished partitions/chunks are kept (no partial file): re-run the same "
                  "command to resume", file=sys.stderr)
        else:
            print("jpsi-fast: interrupted (no partial output kept)", file=sys.stderr)
        return 130
    except ImportError as exc:
        if debug:
            raise
        print(f"jpsi-fast: error: {exc.name or exc} is needed for this command: pip install 'jpsi_fast[all]'",
              file=sys.stderr)
        return 2
    except Exception as exc:                       # noqa: BLE001 - the CLI's contract: one line, exit 2
        if debug:
            raise
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if not isinstance(exc, (ValueError, TypeError, OSError, RuntimeError)):   # e.g. a bare KeyError: say what
            text = f"{type(exc).__name__}: {text}"
        print(f"jpsi-fast: error: {text}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
