"""Scale-out on Dask (README "Running on a cluster"): scheduling overhead, and the single-node throughput of
partitioned datasets from which the billion-point plan is extrapolated.

1. Overhead: a scan of ``--tasks`` integrations of >= 0.5 s each (jpsi_fast.distributed.integrate_point, one
   OpenMP thread per task) on a 2-worker ``LocalCluster`` (processes, 1 thread each) and on a local 2-process pool.
   Ideal wall time = (sum of the tasks' own wall times) / 2; overhead per task = (2 wall - sum) / tasks.
   Target: wall <= 1.15 x ideal. The results are checked bit-identical to the serial scan's.
2. Datasets: ``jpsi-fast grid`` rows/s to Parquet on this node -- one file (all threads), and partitions of
   ``--partition-rows`` rows written by 2 local processes (1 thread each) -- with bytes per row, from which the wall
   time and storage for 1e9 and 1e10 rows on 10 and 100 nodes are extrapolated.

Ratios come from one run on the same machine. Results: benchmarks/results/distributed.md and .json.

    python benchmarks/bench_distributed.py [--tasks 40] [--neval 300000] [--rows 4000000]
"""
import argparse
import functools
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jpsi_fast as jf  # noqa: E402
from jpsi_fast import data  # noqa: E402
from jpsi_fast import distributed as jd  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
#: extrapolation: dataset sizes [rows] and node counts
PLAN_ROWS = (10 ** 9, 10 ** 10)
PLAN_NODES = (10, 100)


def task_grid(n_tasks):
    """n_tasks distinct parameter points (beams x Gaussian k_T width)."""
    beams = ["18x275", "10x275", "10x100", "5x100", "5x41"]
    widths = np.round(np.linspace(0.15, 0.40, -(-n_tasks // len(beams))), 4).tolist()
    return jd.scan_points({"beams": beams, "kt2_pdf": widths})[:n_tasks]


def overhead(n_tasks, neval):
    from distributed import Client, LocalCluster
    task = functools.partial(jd.integrate_point, neval=neval, nitn=5, warmup=3)
    grid = task_grid(n_tasks)
    t0 = time.perf_counter()
    serial = jd.scan(task, grid, seed=0, n_threads=1)
    serial_s = time.perf_counter() - t0
    rows = [dict(backend="serial (1 process)", wall_s=serial_s, task_s=sum(serial.attrs["task_seconds"]),
                 workers=1, identical=True)]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=50) as cluster, Client(cluster) as client:
        client.run(lambda: None)                               # workers up
        t0 = time.perf_counter()
        df = jd.scan(task, grid, seed=0, client=client, n_threads=1)
        rows.append(dict(backend="Dask LocalCluster, 2 workers x 1 thread", wall_s=time.perf_counter() - t0,
                         task_s=sum(df.attrs["task_seconds"]), workers=2, identical=bool(df.equals(serial))))
    t0 = time.perf_counter()
    df = jd.scan(task, grid, seed=0, workers=2, n_threads=1)
    rows.append(dict(backend="local process pool, 2 processes", wall_s=time.perf_counter() - t0,
                     task_s=sum(df.attrs["task_seconds"]), workers=2, identical=bool(df.equals(serial))))
    for r in rows:
        r["ideal_s"] = r["task_s"] / r["workers"]
        r["ratio"] = r["wall_s"] / r["ideal_s"]
        r["overhead_per_task_ms"] = 1e3 * (r["workers"] * r["wall_s"] - r["task_s"]) / n_tasks
    return dict(tasks=n_tasks, neval=neval, mean_task_s=float(np.mean(serial.attrs["task_seconds"])),
                min_task_s=float(np.min(serial.attrs["task_seconds"])), rows=rows)


def dataset_throughput(rows, partition_rows, folder):
    xs = jf.CrossSection()
    n_side = round((rows / 3) ** 0.25)
    spec = data.GridSpec(x=(0.1, 0.99, n_side), z=(0.1, 0.8, n_side), Q=(10.0, 50.0, n_side),
                         PT=(0.0, 6.0, rows // n_side ** 3))
    out = []
    t0 = time.perf_counter()
    s = data.write_dataset(Path(folder) / "one.parquet", xs, grid=spec)
    one_s = time.perf_counter() - t0
    one_bytes = (Path(folder) / "one.parquet").stat().st_size
    out.append(dict(layout="one file, 2 threads", rows=s["rows"], seconds=one_s, rows_per_s=s["rows"] / one_s,
                    bytes_per_row=one_bytes / s["rows"]))
    for workers, threads in ((2, 1), (1, 2)):
        target = Path(folder) / f"parts_{workers}"
        t0 = time.perf_counter()
        s = data.write_dataset(target, xs, grid=spec, workers=workers, n_threads=threads,
                               partition_rows=partition_rows)
        dt = time.perf_counter() - t0
        out.append(dict(layout=f"{s['partitions']} partitions, {workers} process(es) x {threads} thread(s)",
                        rows=s["rows"], seconds=dt, rows_per_s=s["rows"] / dt, bytes_per_row=s["bytes"] / s["rows"],
                        partition_s=float(np.mean(s["partition_seconds"])),
                        partition_mb=s["bytes"] / s["partitions"] / 2 ** 20))
        shutil.rmtree(target)
    return out


def plan(best_rate, bytes_per_row, partition_rows):
    """Wall time and storage for PLAN_ROWS on PLAN_NODES nodes like this one (linear in the nodes: partitions are
    independent; the scheduler handles ~1e3 tasks/s, far above the partition rate)."""
    out = []
    for n_rows in PLAN_ROWS:
        for nodes in PLAN_NODES:
            wall = n_rows / (best_rate * nodes)
            out.append(dict(rows=n_rows, nodes=nodes, wall_s=wall, storage_gb=n_rows * bytes_per_row / 1e9,
                            partitions=-(-n_rows // partition_rows),
                            write_mb_per_s=best_rate * nodes * bytes_per_row / 1e6))
    return out


def _duration(seconds):
    return f"{seconds:.0f} s" if seconds < 120 else (f"{seconds / 60:.1f} min" if seconds < 7200
                                                      else f"{seconds / 3600:.1f} h")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=40)
    ap.add_argument("--neval", type=int, default=300_000, help="evaluations per iteration of each task")
    ap.add_argument("--rows", type=int, default=4_000_000, help="rows of the dataset throughput runs")
    ap.add_argument("--partition-rows", type=int, default=jd.PARTITION_ROWS)
    args = ap.parse_args()
    ov = overhead(args.tasks, args.neval)
    with tempfile.TemporaryDirectory() as folder:
        ds = dataset_throughput(args.rows, args.partition_rows, folder)
    best = max(ds, key=lambda r: r["rows_per_s"])
    pl = plan(best["rows_per_s"], best["bytes_per_row"], args.partition_rows)
    result = dict(machine=f"{os.cpu_count()} cores", overhead=ov, datasets=ds, plan=pl,
                  jpsi_fast=jf.__version__)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "distributed.json").write_text(json.dumps(result, indent=1))
    lines = ["# Scale-out: overhead and the billion-point plan", "",
             f"`python benchmarks/bench_distributed.py` on {os.cpu_count()} cores ({time.strftime('%Y-%m-%d')}).", "",
             f"## Scan overhead: {ov['tasks']} integrations of {ov['mean_task_s']:.2f} s on average "
             f"(shortest {ov['min_task_s']:.2f} s), 1 thread each", "",
             "| backend | wall [s] | sum of task times [s] | ideal [s] | wall / ideal | overhead per task [ms] | "
             "bit-identical to serial |", "|---|---|---|---|---|---|---|"]
    for r in ov["rows"]:
        lines.append(f"| {r['backend']} | {r['wall_s']:.2f} | {r['task_s']:.2f} | {r['ideal_s']:.2f} | "
                     f"{r['ratio']:.3f} | {r['overhead_per_task_ms']:.0f} | {'yes' if r['identical'] else 'NO'} |")
    lines += ["", "## Datasets (`jpsi-fast grid`, Parquet, snappy) on this node", "",
              "| layout | rows | wall [s] | rows/s | bytes/row | s per partition | MiB per partition |",
              "|---|---|---|---|---|---|---|"]
    for r in ds:
        lines.append(f"| {r['layout']} | {r['rows']:,} | {r['seconds']:.2f} | {r['rows_per_s']:,.0f} | "
                     f"{r['bytes_per_row']:.0f} | {r.get('partition_s', float('nan')):.2f} | "
                     f"{r.get('partition_mb', float('nan')):.0f} |")
    lines += ["", f"## Plan (extrapolated from the best rate above, {best['rows_per_s']:,.0f} rows/s per node like "
              "this one, linear in the nodes)", "",
              "| rows | nodes | wall | storage [GB] | partitions (tasks) | aggregate write [MB/s] |",
              "|---|---|---|---|---|---|"]
    for r in pl:
        lines.append(f"| {r['rows']:.0e} | {r['nodes']} | {_duration(r['wall_s'])} | {r['storage_gb']:,.0f} | "
                     f"{r['partitions']:,} | {r['write_mb_per_s']:,.0f} |")
    (RESULTS / "distributed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
