"""Yardstick for the generic integration quality of jpsi_fast's VEGAS+ against the reference ``vegas`` (G. P. Lepage).

    python benchmarks/vegas_yardstick.py [--quick] [--neval 1e3,1e4,1e5,1e6] [--seeds 12] [--integrands a,b]
                                         [--threads 1] [--out benchmarks/results/vegas_yardstick.md]
    python benchmarks/vegas_yardstick.py --rerender benchmarks/results/vegas_yardstick.json   # re-judge, no runs

The full run (N = 1e3..1e6, 48/32/16/12 seeds) takes ~20 min on 2 cores (1e6 is ~85% of it); --quick ~10 s.

Integrands with exact integrals (benchmarks/yardstick_integrands.py): eight from vegas's own tests/test_vegas.py and
examples/, four hard cases (narrow Gaussians in 4, 6, 8 dimensions, a discontinuity). For every (integrand, neval N)
both engines run the same protocol over many seeds:

* vegas (default settings: alpha=0.5, beta=0.75, nstrat and ninc chosen by vegas from neval), the integrand wrapped
  with ``vegas.lbatchintegrand``; seeded by ``gvar.ranseed(seed)`` and, for the sampling itself, by
  ``ran_array_generator=numpy.random.default_rng(seed).random`` (the Integrator option that replaces gvar's
  generator); warm-up ``integ(f, nitn=5, neval=N)`` (discarded), then ``result = integ(f, nitn=10, neval=N)``;
* jpsi_fast: ``jf.Integrator(bounds, seed=seed, n_threads=T).integrate(f, nitn=10, neval=N, warmup=5)``.

Per row: rms error over seeds sqrt(mean((est - exact)^2)), the ratio ours/vegas (with its ~1 sigma statistical
uncertainty from the seed sample), mean and rms of the pull (est - exact)/sdev, mean quoted sdev, mean chi2/dof,
evaluations actually used in the 10 kept iterations (vegas ``result.sum_neval``, ours ``res.neval``), wall time.

Verdict (the issue's criteria): PASS when rms(ours) <= 1.25 rms(vegas) and, where vegas's own pulls are healthy
(|mean pull| <= 0.5 and pull rms in [0.7, 1.3]), ours are too. Rows where our rms error is at rounding level
(<= 1e-10 |exact|) pass outright (pulls of rounding noise mean nothing). The table and a JSON with every number (and
every per-seed estimate) are rewritten after each row, so an interrupted run leaves a valid partial table.
"""
import argparse
import datetime
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from yardstick_integrands import CASES, case_names, get_cases  # noqa: E402

NITN, WARMUP = 10, 5
RMS_RATIO_MAX = 1.25
PULL_MEAN_MAX = 0.5
PULL_RMS_RANGE = (0.7, 1.3)
EXACT_REL = 1e-10          # 'exact to rounding' (vegas clamps variances at 2.2e-12 relative)
# seeds per neval for the full run: more where runs are cheap, so that the pull rms (whose statistical error is
# ~1/sqrt(2 n_seeds)) and the rms ratio are better determined; never fewer than 12.
DEFAULT_SEEDS = {1_000: 64, 10_000: 48, 100_000: 32, 1_000_000: 12}
DEFAULT_NEVAL = (1_000, 10_000, 100_000, 1_000_000)
QUICK_NEVAL = (1_000, 10_000)
QUICK_SEEDS = 8
DEFAULT_OUT = HERE / "results" / "vegas_yardstick.md"
QUICK_OUT = Path(tempfile.gettempdir()) / "vegas_yardstick_quick.md"   # a smoke test never overwrites the table


# ----------------------------------------------------------------------------------------------------------- engines
def run_vegas(case, neval, seed):
    import gvar
    import vegas
    gvar.ranseed(seed)                                  # only used by vegas for its sample point (shape probing)
    rng = np.random.default_rng(seed)
    integ = vegas.Integrator([list(b) for b in case.bounds], ran_array_generator=rng.random)
    f = vegas.lbatchintegrand(case.f)
    t = time.perf_counter()
    warm = integ(f, nitn=WARMUP, neval=neval)
    r = integ(f, nitn=NITN, neval=neval)
    dt = time.perf_counter() - t
    return dict(mean=float(r.mean), sdev=float(r.sdev), chi2_dof=float(r.chi2 / r.dof) if r.dof > 0 else 0.0,
                neval=int(r.sum_neval), neval_warmup=int(warm.sum_neval), time=dt)


def run_ours(case, neval, seed, threads):
    import jpsi_fast as jf
    integ = jf.Integrator([tuple(b) for b in case.bounds], seed=seed, n_threads=threads)
    t = time.perf_counter()
    r = integ.integrate(case.f, nitn=NITN, neval=neval, warmup=WARMUP)
    dt = time.perf_counter() - t
    return dict(mean=float(np.ravel(r.mean)[0]), sdev=float(np.ravel(r.sdev)[0]), chi2_dof=float(r.chi2_dof),
                neval=int(r.neval), neval_warmup=None, time=dt)


# ----------------------------------------------------------------------------------------------------------- stats
def _pulls(est, sdev, exact):
    err = est - exact
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(sdev > 0, err / np.where(sdev > 0, sdev, 1.0), np.where(err == 0, 0.0, np.sign(err) * np.inf))
    return p


def summarise(runs, exact):
    """Statistics over seeds of one engine's runs (failed runs count as infinitely wrong)."""
    ok = [r for r in runs if "error" not in r]
    n_fail = len(runs) - len(ok)
    if not ok:
        return dict(n=0, n_fail=n_fail, rms=math.inf, rms_rel_se=math.nan, bias=math.nan, mean_sdev=math.nan,
                    pull_mean=math.nan, pull_rms=math.nan, chi2_dof=math.nan, neval_per_itn=math.nan,
                    time=math.nan)
    est = np.array([r["mean"] for r in ok])
    sd = np.array([r["sdev"] for r in ok])
    e2 = (est - exact) ** 2
    mse = float(np.mean(e2))
    # standard error of the rms from the seed sample (delta method on the mean of e^2)
    rms_rel_se = float(0.5 * np.std(e2, ddof=1) / math.sqrt(len(e2)) / mse) if mse > 0 and len(e2) > 1 else 0.0
    p = _pulls(est, sd, exact)
    with np.errstate(invalid="ignore", over="ignore"):
        pull_mean = float(np.mean(p))
        pull_rms = float(np.sqrt(np.mean(p * p)))
    return dict(n=len(ok), n_fail=n_fail, rms=math.inf if n_fail else math.sqrt(mse), rms_rel_se=rms_rel_se,
                bias=float(np.mean(est) - exact), mean_sdev=float(np.mean(sd)), pull_mean=pull_mean,
                pull_rms=pull_rms, chi2_dof=float(np.mean([r["chi2_dof"] for r in ok])),
                neval_per_itn=float(np.mean([r["neval"] for r in ok])) / NITN,
                time=float(np.mean([r["time"] for r in ok])))


def pulls_healthy(s):
    return (math.isfinite(s["pull_mean"]) and abs(s["pull_mean"]) <= PULL_MEAN_MAX
            and PULL_RMS_RANGE[0] <= s["pull_rms"] <= PULL_RMS_RANGE[1])


def judge(exact, sv, so):
    """Apply the criteria; returns dict(verdict, ratio, ratio_se, rms_ok, pull_required, pull_ok, exact_ok)."""
    scale = max(abs(exact), 1e-300)
    exact_ok = so["n_fail"] == 0 and so["rms"] <= EXACT_REL * scale
    if sv["rms"] > 0 and math.isfinite(sv["rms"]):
        ratio = so["rms"] / sv["rms"]
    else:
        ratio = 1.0 if so["rms"] == sv["rms"] else math.inf
    ratio_se = ratio * math.hypot(sv["rms_rel_se"], so["rms_rel_se"]) if math.isfinite(ratio) else math.nan
    rms_ok = exact_ok or ratio <= RMS_RATIO_MAX
    pull_required = pulls_healthy(sv) and not exact_ok
    pull_ok = pulls_healthy(so)
    why = []
    if not rms_ok:
        why.append("rms")
    if pull_required and not pull_ok:
        why.append("pull")
    verdict = "PASS" if not why else "FAIL (" + ", ".join(why) + ")"
    with np.errstate(invalid="ignore"):
        r_eq = ratio * math.sqrt(so["neval_per_itn"] / sv["neval_per_itn"]) if sv["neval_per_itn"] > 0 else math.nan
    return dict(verdict=verdict, ratio=ratio, ratio_se=ratio_se, ratio_equal_evals=r_eq, rms_ok=rms_ok, pull_required=pull_required,
                pull_ok=pull_ok, exact_ok=exact_ok, better=rms_ok and ratio < 1.0 and not exact_ok)


# ----------------------------------------------------------------------------------------------------------- output
def _g(x, fmt=".3g"):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return format(x, fmt)


def _ratio_str(x):
    return _g(x, ".2f") if not math.isfinite(x) or abs(x) < 100 else _g(x, ".3g")


def _pull_str(s):
    return f"{_g(s['pull_mean'], '+.2f')} / {_g(s['pull_rms'], '.2f')}"


def _neval_label(n):
    e = int(round(math.log10(n))) if n > 0 else 0
    return f"1e{e}" if 10 ** e == n else f"{n:.3g}"


def render(meta, rows, complete):
    L = []
    L.append("# jpsi_fast VEGAS+ vs vegas: integration-quality yardstick\n")
    L.append(f"Generated by `python benchmarks/vegas_yardstick.py {meta['argv']}` on {meta['date']} "
             f"({'complete' if complete else 'PARTIAL: run interrupted or still running'}).\n")
    L.append(f"- jpsi_fast: `{meta['jpsi_fast_file']}` at commit `{meta['git_commit']}`, n_threads={meta['threads']}; "
             f"vegas {meta['vegas_version']}, gvar {meta['gvar_version']}, NumPy {meta['numpy_version']}, "
             f"Python {meta['python']}, {meta['cpus']} CPUs.")
    L.append(f"- Protocol (both engines, equal evaluations): {WARMUP} warm-up iterations of N evaluations (adapting, "
             f"discarded), then {NITN} iterations of N; vegas with default settings (alpha=0.5, beta=0.75, "
             "automatic nstrat), the integrand wrapped with `vegas.lbatchintegrand`, seeded by `gvar.ranseed(seed)` "
             "and `ran_array_generator=numpy.random.default_rng(seed).random`; jpsi_fast "
             f"`Integrator(bounds, seed=seed, n_threads={meta['threads']}).integrate(f, nitn={NITN}, neval=N, "
             f"warmup={WARMUP})`.")
    L.append("- Seeds per N: " + ", ".join(f"{_neval_label(int(k))}: {v}" for k, v in meta["seeds"].items()) + ".")
    L.append(f"- Criteria: rms error ours/vegas <= {RMS_RATIO_MAX}; where vegas's own pulls are healthy "
             f"(|mean| <= {PULL_MEAN_MAX}, rms in [{PULL_RMS_RANGE[0]}, {PULL_RMS_RANGE[1]}]) ours must be too "
             "(otherwise the pull check is n/a, shown as `(n/a)`); our rms at rounding level (<= 1e-10 |exact|) "
             "passes outright. `±` on the ratio is its ~1σ statistical uncertainty from the seed sample "
             "(the pull rms itself is uncertain by ~1/sqrt(2·seeds)).")
    if meta.get("note"):
        L.append(f"- Note: {meta['note']}")
    L.append("")
    # summary: worst / geometric-mean ratios over the rows where vegas itself is not exact to rounding (a constant:
    # any ratio against an error of 1e-13 is meaningless, and those rows are listed apart)
    def _exactish(r):
        return r["vegas"]["rms"] <= EXACT_REL * max(abs(r["exact"]), 1e-300)

    def _stats(rs):
        m = [r for r in rs if not _exactish(r)]
        fin = [r["judge"]["ratio"] for r in m if math.isfinite(r["judge"]["ratio"]) and r["judge"]["ratio"] > 0]
        w = max(m, key=lambda r: r["judge"]["ratio"] if math.isfinite(r["judge"]["ratio"]) else 1e300) if m else None
        gm = math.exp(np.mean(np.log(fin))) if fin else math.nan
        return w, gm

    if rows:
        n_pass = sum(r["judge"]["verdict"] == "PASS" for r in rows)
        worst, gm = _stats(rows)
        better = [r for r in rows if r["judge"]["better"]]
        ex = [r for r in rows if _exactish(r)]
        L.append(f"**Summary: {n_pass}/{len(rows)} rows PASS (rms FAIL {sum(not r['judge']['rms_ok'] for r in rows)}, "
                 f"pull FAIL {sum(r['judge']['pull_required'] and not r['judge']['pull_ok'] for r in rows)}); "
                 + (f"worst rms ratio ours/vegas {_ratio_str(worst['judge']['ratio'])} ({worst['integrand']}, "
                    f"N={_neval_label(worst['neval'])}); geometric-mean ratio {_g(gm, '.2f')}; " if worst else "")
                 + f"ours more precise (ratio < 1) in {len(better)} rows.**")
        if ex:
            L.append("Rows where vegas is exact to rounding (excluded from worst / geometric mean; PASS only if ours is "
                     "too): " + ", ".join(f"{r['integrand']} N={_neval_label(r['neval'])} (ours rms "
                                           f"{_g(r['ours']['rms'])})" for r in ex) + ".")
        L.append("")
        for n in sorted({r["neval"] for r in rows}):
            rn = [r for r in rows if r["neval"] == n]
            w, gm = _stats(rn)
            fails = [r["integrand"] for r in rn if r["judge"]["verdict"] != "PASS"]
            L.append(f"- N={_neval_label(n)}: {len(rn) - len(fails)}/{len(rn)} PASS, geometric-mean ratio {_g(gm, '.2f')}"
                     + (f", worst {_ratio_str(w['judge']['ratio'])} ({w['integrand']})" if w else "")
                     + (f"; failing: {', '.join(fails)}" if fails else ""))
        L.append("")
    # main table
    L.append("| integrand | d | N | seeds | exact | vegas rms err | ours rms err | ours/vegas | "
             "vegas pull mean / rms | ours pull mean / rms | verdict |")
    L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    for r in rows:
        sv, so, j = r["vegas"], r["ours"], r["judge"]
        ratio = (f"{_ratio_str(j['ratio'])} ± {_ratio_str(j['ratio_se'])}" if math.isfinite(j["ratio"])
                 else _g(j["ratio"]))
        vp = _pull_str(sv) + ("" if pulls_healthy(sv) or j["exact_ok"] else " (n/a)")
        fails = f" [{so['n_fail']} runs failed]" if so["n_fail"] else ""
        L.append(f"| {r['integrand']} | {r['dim']} | {_neval_label(r['neval'])} | {r['seeds']} | {r['exact']:.10g} | "
                 f"{_g(sv['rms'])} | {_g(so['rms'])} | {ratio} | {vp} | {_pull_str(so)} | "
                 f"{j['verdict']}{' ▲' if j['better'] else ''}{fails} |")
    L.append("\n▲: ours more precise than vegas. (n/a): vegas's own pulls are outside the window, so ours are "
             "reported but not required.\n")
    # details
    L.append("## Details\n")
    L.append("Mean quoted sdev, mean chi2/dof of the 10 kept iterations, evaluations per kept iteration actually used "
             f"(vegas `sum_neval/{NITN}`, ours `neval/{NITN}`; N asked), bias = mean(est) - exact, and wall seconds "
             "per run (warm-up + kept iterations, integrand included). `ratio @ equal evals` = rms ratio x "
             "sqrt(ours evals / vegas evals): the ratio had both used exactly the same number of evaluations "
             "(information only; the verdict uses the raw ratio).\n")
    L.append("| integrand | N | vegas sdev | ours sdev | vegas bias | ours bias | vegas chi2/dof | ours chi2/dof | "
             "vegas evals/itn | ours evals/itn | ratio @ equal evals | vegas s | ours s |")
    L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        sv, so = r["vegas"], r["ours"]
        L.append(f"| {r['integrand']} | {_neval_label(r['neval'])} | {_g(sv['mean_sdev'])} | {_g(so['mean_sdev'])} | "
                 f"{_g(sv['bias'], '+.2g')} | {_g(so['bias'], '+.2g')} | {_g(sv['chi2_dof'], '.2f')} | "
                 f"{_g(so['chi2_dof'], '.2f')} | {_g(sv['neval_per_itn'], '.0f')} | {_g(so['neval_per_itn'], '.0f')} | "
                 f"{_ratio_str(r['judge']['ratio_equal_evals'])} | "
                 f"{_g(sv['time'], '.2f')} | {_g(so['time'], '.2f')} |")
    # integrands
    L.append("\n## Integrands\n")
    L.append("| integrand | d | exact | source | what |")
    L.append("|---|--:|--:|---|---|")
    for c in CASES:
        if c.name in meta["integrands"]:
            L.append(f"| {c.name} | {c.dim} | {c.exact:.15g} | {c.source} | {c.note} |")
    return "\n".join(L) + "\n"


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return x if math.isfinite(x) else str(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.bool_,)):
        return bool(x)
    return x


def write(out, meta, rows, complete):
    text = render(meta, rows, complete)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".md.tmp")
    tmp.write_text(text)
    os.replace(tmp, out)
    js = out.with_suffix(".json")
    tmp = js.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(_jsonable(dict(meta=meta, complete=complete, criteria=dict(
        rms_ratio_max=RMS_RATIO_MAX, pull_mean_max=PULL_MEAN_MAX, pull_rms_range=PULL_RMS_RANGE,
        exact_rel=EXACT_REL), rows=rows)), indent=1))
    os.replace(tmp, js)
    return text


# ----------------------------------------------------------------------------------------------------------- main
def _git_commit():
    try:
        return subprocess.check_output(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], text=True,
                                       stderr=subprocess.DEVNULL).strip()
    except Exception:
        return "unknown"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help=f"N in {QUICK_NEVAL}, {QUICK_SEEDS} seeds (a smoke test, < 2 min)")
    ap.add_argument("--neval", help="comma-separated N, e.g. 1e3,1e4 (default 1e3,1e4,1e5,1e6)")
    ap.add_argument("--seeds", type=int,
                    help=f"seeds per (integrand, N) (default per N: {DEFAULT_SEEDS}; quick: {QUICK_SEEDS})")
    ap.add_argument("--integrands", help="comma-separated subset of: " + ",".join(case_names()))
    ap.add_argument("--threads", type=int, default=1, help="jpsi_fast n_threads (default 1, like vegas)")
    ap.add_argument("--out", help=f"markdown output, a .json is written beside it (default {DEFAULT_OUT.relative_to(HERE.parent)}; "
                                  f"with --quick {QUICK_OUT})")
    ap.add_argument("--note", default="", help="a line added to the output's header")
    ap.add_argument("--rerender", metavar="JSON",
                    help="no runs: re-apply the criteria and rewrite the markdown and JSON (at --out, default the "
                         "JSON's own path) from a JSON this script wrote")
    return ap.parse_args(argv)


def _unjson(x):
    if isinstance(x, dict):
        return {k: _unjson(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_unjson(v) for v in x]
    if x in ("inf", "-inf", "nan"):
        return float(x)
    return x


def rerender(path, out=None):
    data = _unjson(json.loads(Path(path).read_text()))
    for r in data["rows"]:                        # re-apply the criteria of this version of the script
        r["judge"] = judge(r["exact"], r["vegas"], r["ours"])
    out = Path(out) if out else Path(path).with_suffix(".md")
    return write(out, data["meta"], data["rows"], data["complete"])   # the JSON too, with the criteria applied


def main(argv=None):
    args = parse_args(argv)
    if args.rerender:
        print(rerender(args.rerender, args.out))
        return
    try:
        import gvar
        import vegas
    except ImportError:
        raise SystemExit("the reference implementation is needed: pip install vegas")
    import jpsi_fast as jf

    nevals = (tuple(int(float(s)) for s in args.neval.split(",")) if args.neval
              else QUICK_NEVAL if args.quick else DEFAULT_NEVAL)
    cases = get_cases([s for s in args.integrands.split(",") if s] if args.integrands else None)
    if args.seeds is not None:
        seeds = {n: args.seeds for n in nevals}
    elif args.quick:
        seeds = {n: QUICK_SEEDS for n in nevals}
    else:
        seeds = {n: DEFAULT_SEEDS.get(n, 12) for n in nevals}
    out = Path(args.out) if args.out else QUICK_OUT if args.quick else DEFAULT_OUT
    meta = dict(argv=shlex.join(sys.argv[1:] if argv is None else argv), date=datetime.datetime.now().isoformat(
        timespec="seconds"), jpsi_fast_file=os.path.relpath(jf.__file__, HERE.parent) if jf.__file__ else "?",
        git_commit=_git_commit(), threads=args.threads, vegas_version=vegas.__version__,
        gvar_version=gvar.__version__, numpy_version=np.__version__, python=platform.python_version(),
        cpus=os.cpu_count(), seeds={str(n): s for n, s in seeds.items()}, nitn=NITN, warmup=WARMUP,
        integrands=[c.name for c in cases], note=args.note)
    print(f"# jpsi_fast from {jf.__file__}; vegas {vegas.__version__}; N={nevals}; seeds={seeds}; "
          f"{len(cases)} integrands", file=sys.stderr, flush=True)

    rows = []
    t_all = time.perf_counter()
    for n in nevals:                 # N outermost: an interrupted run still has every integrand at the small N
        for case in cases:
            t0 = time.perf_counter()
            runs = {"vegas": [], "ours": []}
            for seed in range(1, seeds[n] + 1):
                for eng, fn in (("vegas", lambda: run_vegas(case, n, seed)),
                                ("ours", lambda: run_ours(case, n, seed, args.threads))):
                    try:
                        runs[eng].append(fn())
                    except Exception as exc:       # a crash is a result too
                        runs[eng].append(dict(error=f"{type(exc).__name__}: {exc}"))
            sv, so = summarise(runs["vegas"], case.exact), summarise(runs["ours"], case.exact)
            row = dict(integrand=case.name, dim=case.dim, neval=n, seeds=seeds[n], exact=case.exact,
                       vegas=sv, ours=so, judge=judge(case.exact, sv, so),
                       per_seed={k: [{kk: vv for kk, vv in r.items()} for r in v] for k, v in runs.items()})
            rows.append(row)
            write(out, meta, rows, complete=False)
            j = row["judge"]
            print(f"{case.name:16s} N={_neval_label(n):>4s}  rms vegas {_g(sv['rms']):>9s} ours {_g(so['rms']):>9s}"
                  f"  ratio {_ratio_str(j['ratio']):>6s}  pulls vegas {_pull_str(sv):>14s} ours {_pull_str(so):>14s}"
                  f"  {j['verdict']}  ({time.perf_counter() - t0:.1f}s, total {time.perf_counter() - t_all:.0f}s)",
                  file=sys.stderr, flush=True)
    text = write(out, meta, rows, complete=True)
    print(text)
    print(f"# wrote {out} and {out.with_suffix('.json')} in {time.perf_counter() - t_all:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
