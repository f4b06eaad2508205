"""What an experiment consumes (docs/physics.md §13): event throughput and the cost of integrating in acceptance.

1. Unweighted, decayed events at 18x275 GeV in the typical acceptance (both muons |eta| < 3.5, p_T > 0.5 GeV,
   scattered electron |eta| < 3.5), written to HepMC3, LHE and Parquet, end to end (generation + writing, after
   the map's one-time adaptation, which is reported separately), on ``--threads`` threads; and the two stages
   alone: the generator (EventGenerator.iter_events, no file) and each writer (the same events, already generated).
   Target: >= 2e5 events/s end to end for HepMC3 and LHE.
2. Integration to a relative Monte Carlo error of 5e-4 (``rtol``; iterations of ``--neval`` after 5 warm-up
   iterations): sigma_U in the typical acceptance (the 7-D lab-frame integrand with the J/psi decay) versus sigma_U
   without acceptance cuts (the 4-D integrand), same beams and domain. Target: <= 3x.

Ratios come from one run on the same machine. Results: benchmarks/results/events.md and .json.

    python benchmarks/bench_events.py [--n N] [--threads T] [--neval NEVAL] [--model gaussian|collinear]
"""
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jpsi_fast as jf  # noqa: E402
from jpsi_fast._eventio import RunInfo, open_writer  # noqa: E402
from jpsi_fast.events import EventGenerator, _file_batch, _write_overlapped  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
FORMATS = (("hepmc3", "jpsi.hepmc"), ("lhe", "jpsi.lhe"), ("parquet", "jpsi.parquet"), ("hepmc3.gz", "jpsi.hepmc.gz"),
           ("lhe.gz", "jpsi.lhe.gz"))
BATCH = 100_000


def event_throughput(n, threads, model, folder):
    xs = jf.CrossSection(jf.Params(beams="18x275", tmd_pdf=model))
    dom = jf.Domain(acceptance=jf.Acceptance.typical())
    gen = EventGenerator(xs, dom, seed=1, n_threads=threads)
    t0 = time.perf_counter()
    gen.adapt()
    adapt_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    batches = list(gen.iter_events(n, BATCH))
    gen_s = time.perf_counter() - t0
    eff = gen.integrator.sample(gen.integrand, 100_000, warmup=0).efficiency
    info = RunInfo(beam_energies=(18.0, 275.0), lepton_pdg=gen.lepton_pdg, sigma_pb=gen.sigma[0],
                   sigma_error_pb=gen.sigma[1], channel_names=gen.channels, n_events=n)
    rows = []
    for fmt, name in FORMATS:
        path = Path(folder) / name
        t0 = time.perf_counter()
        with open_writer(path, fmt, info) as w:
            for b in batches:
                w.write(_file_batch(b))
        write_s = time.perf_counter() - t0
        size = path.stat().st_size
        path.unlink()
        # end to end as write_events runs it (the writer thread formats batch k while batch k + 1 is generated),
        # with the map adapted above
        gen2 = EventGenerator(xs, dom, seed=2, n_threads=threads)
        gen2.integrator, gen2.adapted = gen.integrator, True
        t0 = time.perf_counter()
        with open_writer(path, fmt, info) as w:
            it = gen2.iter_events(n, BATCH)
            _write_overlapped(w, next(it), it)
        e2e_s = time.perf_counter() - t0
        path.unlink()
        rows.append(dict(format=fmt, write_events_per_s=n / write_s, end_to_end_events_per_s=n / e2e_s,
                         bytes_per_event=size / n))
    return dict(n=n, threads=threads, model=model, adapt_s=adapt_s, generate_events_per_s=n / gen_s,
                unweighting_efficiency=eff, formats=rows)


def acceptance_cost(threads, neval, model, rtol=5e-4):
    xs = jf.CrossSection(jf.Params(beams="18x275", tmd_pdf=model))
    out = {}
    for label, dom in (("no cuts (4-D)", jf.Domain()), ("typical acceptance (7-D)",
                                                         jf.Domain(acceptance=jf.Acceptance.typical()))):
        best = None
        for seed in (1, 2, 3):
            t0 = time.perf_counter()
            r = jf.Integrator(dom, seed=seed, n_threads=threads).integrate(xs, nitn=200, neval=neval, warmup=5,
                                                                           rtol=rtol)
            dt = time.perf_counter() - t0
            tot = r.total("U")
            row = dict(seconds=dt, sigma_pb=tot.mean, rel_error=tot.sdev / tot.mean, neval=r.neval)
            best = row if best is None or dt < best["seconds"] else best
        out[label] = best
    a, b = out["no cuts (4-D)"], out["typical acceptance (7-D)"]
    return dict(rtol=rtol, neval=neval, runs=out, ratio=b["seconds"] / a["seconds"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--neval", type=int, default=100_000)
    ap.add_argument("--model", choices=("gaussian", "collinear"), default="gaussian")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        ev = event_throughput(args.n, args.threads, args.model, folder)
    acc = acceptance_cost(args.threads, args.neval, args.model)
    lines = [f"# Events and acceptance (18x275 GeV, TMD model {args.model}, {args.threads} threads)", "",
             f"`python benchmarks/bench_events.py --n {args.n} --threads {args.threads} --neval {args.neval} "
             f"--model {args.model}`", "",
             f"Map adaptation (once): {ev['adapt_s']:.1f} s; unweighting efficiency in acceptance "
             f"{ev['unweighting_efficiency']:.3f}; generator alone (decayed events in memory, no file): "
             f"{ev['generate_events_per_s']:,.0f} events/s.", "",
             "| format | writer alone [events/s] | end to end [events/s] | bytes/event |", "|---|---|---|---|"]
    for r in ev["formats"]:
        lines.append(f"| {r['format']} | {r['write_events_per_s']:,.0f} | {r['end_to_end_events_per_s']:,.0f} | "
                     f"{r['bytes_per_event']:.0f} |")
    lines += ["", f"Integration of sigma_U to a relative error of {acc['rtol']:g} ({acc['neval']:,} evaluations per "
              "iteration, 5 warm-up iterations, best of 3 seeds):", "",
              "| | time [s] | sigma_U [pb] | relative error | evaluations |", "|---|---|---|---|---|"]
    for label, r in acc["runs"].items():
        lines.append(f"| {label} | {r['seconds']:.2f} | {r['sigma_pb']:.5g} | {r['rel_error']:.2e} | {r['neval']:,} |")
    lines += ["", f"Ratio in acceptance / without cuts: **{acc['ratio']:.2f}** (target <= 3)."]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "events.md").write_text(text)
    (RESULTS / "events.json").write_text(json.dumps(dict(events=ev, acceptance=acc), indent=1))


if __name__ == "__main__":
    main()
