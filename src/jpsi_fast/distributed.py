"""Scale-out: parameter scans, partitioned Parquet datasets and chunked event production -- serially, in a local
process pool, or on a Dask cluster (``dask.distributed``; workers from ``dask-jobqueue`` on SLURM/HTCondor/PBS,
``dask-mpi``, Kubernetes or a ``LocalCluster``) -- with results that do not depend on where the tasks ran.

The determinism contract (README "Running on a cluster"):

* every task is a pure function of its inputs: a scan task of (parameter point, task seed), a dataset partition of
  its row range, an event chunk of (adapted map, seed, chunk number). Task seeds come from (base seed, task key) by
  a cryptographic hash (:func:`task_seed`) -- never from the worker, the process or the order of completion;
* the kernels' results do not depend on the number of OpenMP threads (fixed chunks, counter-based streams), so a
  task gives the same bits on a laptop core and on a 64-core node;
* results are assembled by task index, so a scan returns the same DataFrame on 1 process, N processes or any
  Dask cluster, and a re-run task (a worker died; Dask reschedules it) produces the same bits again: nothing is
  lost or duplicated;
* files (dataset partitions, event chunks, their indexes) are written to a hidden temporary name and renamed when
  complete: a killed run never leaves a file that looks complete, and a re-run skips what is done (resume).

``dask[distributed]`` is an optional extra (``pip install "jpsi_fast[dask]"``), imported only when a client is
given; the local process pool needs nothing beyond the standard library. Scan results are ``pandas`` DataFrames
(pandas comes with the extra, or ``pip install pandas``).

OpenMP threads: a task runs its kernels with ``n_threads`` threads (default: the process's OpenMP default). Dask's
nanny sets ``OMP_NUM_THREADS=1`` in its workers, so on a cluster pass ``n_threads`` = cores per worker (one
worker process per node with one Dask thread is the layout that fits: the kernels bring their own threads).
"""
from __future__ import annotations

import contextlib
import hashlib
import inspect
import itertools
import json
import math
import os
import time
import uuid
from pathlib import Path

import numpy as np

from ._progress import progress_bar

__all__ = ["scan", "scan_points", "task_key", "task_seed", "run_tasks", "TaskRunner", "integrate_point", "setup_point",
           "check_threads", "write_partitioned", "read_partitioned_meta", "partition_files", "write_event_chunks", "read_event_index",
           "PARTITION_ROWS", "CHUNK_EVENTS", "TASK_RETRIES"]

#: rows per dataset partition (one task, one Parquet file of ~110 MB with the default columns)
PARTITION_ROWS = 1 << 20
#: events per chunk of a chunked event production (one task, one file)
CHUNK_EVENTS = 1_000_000
#: times the local pool is restarted after a worker process died (Dask reruns lost tasks itself)
TASK_RETRIES = 2
#: tasks submitted ahead per worker (bounded memory on the scheduler and here, workers never idle)
IN_FLIGHT_PER_WORKER = 4
#: work units of one task for the automatic progress bar (shown on a terminal from 5 tasks on)
WORK_PER_TASK = 1_000_000
#: the largest |n_threads| accepted for tasks on Dask workers (their own cores cap it there)
MAX_REMOTE_THREADS = 1024
#: file names inside a partitioned dataset folder / an event production folder
PART_TEMPLATE = "part-{:06d}.parquet"
#: the request an output folder holds (datasets and event productions): what a resume must match
MANIFEST = "_jpsi_fast.json"
DATASET_KIND = "jpsi_fast partitioned Parquet dataset"
EVENTS_KIND = "jpsi_fast chunked event production"
#: how the chunk files of an event production are normalized (index.json, README "Running on a cluster")
NORMALIZATION = ("each file is normalized on its own: its weights estimate the sigma x B in its header (unweighted: "
                 "they all equal it / its events). For the union of all files, scale the weights of file k by "
                 "points_k / n (its requested points over all requested points; = events_k / events for unweighted "
                 "events), or, for unweighted events, give every event the weight sigma_pb / events")
EVENT_TEMPLATE = "events-{:06d}"
EVENT_INDEX = "index.json"
#: bits of a task seed (fits the int64 seeds of the engine and NumPy)
SEED_BITS = 63


# ------------------------------------------------------------------------------------------------ task identity
def _plain(value, name="value"):
    """The canonical, JSON-able form of a parameter value: JSON scalars, lists/tuples/arrays (as lists), dicts with
    text keys, NumPy scalars, and dataclass values such as :class:`jpsi_fast.Beams` (as their fields). Anything
    else has no stable text (its ``str`` may hold a memory address) and raises ``TypeError`` naming ``name``."""
    import dataclasses
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{name}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple, range)):
        return [_plain(v, name) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v, name) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)                 # 1 and 1.0 are the same parameter value, hence the same task
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__type__": type(value).__name__, **_plain(dataclasses.asdict(value), name)}
    raise TypeError(f"scan parameter {name!r}: {type(value).__name__} values have no canonical text (a task's "
                    "seed comes from its parameters): use numbers, strings, lists, dicts or dataclasses")


def task_key(point: dict) -> str:
    """The identity of a task: the canonical JSON text of its parameter point (sorted keys)."""
    if not isinstance(point, dict):
        raise TypeError(f"a scan point must be a dict of parameter values, got {type(point).__name__}")
    if "seed" in point:
        raise ValueError("a scan parameter cannot be named 'seed': that column holds each task's seed")
    return json.dumps({str(k): _plain(v, str(k)) for k, v in point.items()}, sort_keys=True, separators=(",", ":"))


def task_seed(seed: int, key: str) -> int:
    """The seed of the task ``key`` of a scan with base ``seed``: 63 bits of BLAKE2b(seed, key). It depends on
    nothing else (not the worker, not the order of the tasks), so a task gives the same numbers anywhere."""
    from ._validate import integer
    seed = integer("seed", seed, 0, 2 ** SEED_BITS - 1)
    digest = hashlib.blake2b(f"jpsi_fast-scan|{seed}|{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> (64 - SEED_BITS)


def scan_points(grid) -> list:
    """The parameter points of a scan, in order.

    ``grid``: a dict ``{name: values}`` (the Cartesian product, the first name varying slowest; a string or a
    scalar counts as one value), a sequence of dicts (the points themselves), or a pandas DataFrame (its rows).
    """
    if hasattr(grid, "to_dict") and hasattr(grid, "columns"):         # a DataFrame
        points = grid.to_dict(orient="records")
    elif isinstance(grid, dict):
        if not grid:
            raise ValueError("grid: give at least one axis ({name: values})")
        axes = []
        for name, values in grid.items():
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                values = [values]
            values = list(values)
            if not values:
                raise ValueError(f"grid: the axis {name!r} has no values")
            axes.append(values)
        points = [dict(zip(grid, combo)) for combo in itertools.product(*axes)]
    elif isinstance(grid, (list, tuple)):
        points = [dict(p) if isinstance(p, dict) else p for p in grid]
        bad = [p for p in points if not isinstance(p, dict)]
        if bad:
            raise TypeError(f"grid: a list of points must hold dicts, got {type(bad[0]).__name__}")
    else:
        raise TypeError(f"grid: expected a dict of axes, a list of dicts or a DataFrame, got {type(grid).__name__}")
    if not points:
        raise ValueError("grid: no points")
    keys = [task_key(p) for p in points]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"grid: the point {dup} appears more than once (a task's seed comes from its point)")
    return points


# ------------------------------------------------------------------------------------------------ running tasks
def _check_backend(client, workers):
    if client is not None and workers is not None:
        raise ValueError("give a Dask client or a number of local workers, not both")
    if client is not None and not (hasattr(client, "submit") and hasattr(client, "scatter")):
        raise TypeError(f"client must be a dask.distributed.Client, got {type(client).__name__}")
    if client is not None and getattr(client, "status", "running") != "running":
        raise ValueError(f"client: the Dask client is {client.status}, not running (closed, or never connected)")
    if workers is not None:
        from ._validate import integer
        workers = integer("workers", workers, 1, 4096, strict=True)
    return workers


class TaskRunner:
    """Where tasks run: a Dask ``client``, ``workers`` local processes, or (neither) this process, serially.

    ``with TaskRunner(client, workers) as runner, contextlib.closing(runner.run(fn, arg_list, shared)) as results:
    for i, result in results: ...`` runs ``fn(*shared, *args)`` for every ``args`` of ``arg_list`` and yields
    ``(index, result)`` as tasks finish. The local process pool lives as long as the ``with`` block (several
    ``run`` calls share it). At most ``in_flight`` tasks (default 4 per worker) are submitted at a time, so a
    long task list costs neither the scheduler's nor this process's memory, and each finished task's result is
    released once yielded.

    * Dask: the ``shared`` objects are scattered to the workers once per ``run``; a task lost with a worker is
      rerun by Dask (``distributed.scheduler.allowed-failures``, default 3); a task that raises is not retried
      (the tasks are deterministic: it would raise again).
    * Local processes are spawned (never forked: OpenMP state does not survive a fork) and share the cores
      (OpenMP's default thread count in each is cores / workers unless ``OMP_NUM_THREADS`` is set); if one dies,
      the pool is restarted for the unfinished tasks, up to ``retries`` times; when a task raises, the pool's
      processes are terminated at once. Scripts using them need the usual ``if __name__ == "__main__":`` guard.

    ``fn`` must be picklable (module level, or a ``functools.partial`` of such a function) for both.
    """

    def __init__(self, client=None, workers=None, retries: int = TASK_RETRIES, in_flight: int | None = None):
        from ._validate import integer
        self.workers = _check_backend(client, workers)
        self.client = client
        self.retries = integer("retries", retries, 0, 100, strict=True)
        self.in_flight = None if in_flight is None else integer("in_flight", in_flight, 1, 10 ** 6, strict=True)
        self._pool = None

    @property
    def parallel(self) -> int:
        """Tasks that can run at once (Dask: the workers' threads; 1 when serial)."""
        if self.client is not None:
            return max(1, sum(self.client.nthreads().values()))
        return self.workers or 1

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close(terminate=exc_type is not None)
        return False

    def close(self, terminate: bool = False):
        """Shut the local pool down (``terminate``: kill its processes instead of waiting for running tasks)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if terminate:
            for proc in list(getattr(pool, "_processes", {}).values()):   # no public API before Python 3.14
                proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)

    def run(self, fn, arg_list, shared=(), progress=None, desc="tasks"):
        arg_list = list(arg_list)
        limit = self.in_flight or IN_FLIGHT_PER_WORKER * self.parallel
        bar = progress_bar(len(arg_list), desc, progress, work=len(arg_list) * WORK_PER_TASK, unit="task")
        try:
            if self.client is not None:
                gen = self._run_dask(fn, arg_list, shared, limit)
            elif self.workers is not None and self.workers > 1:
                gen = self._run_pool(fn, arg_list, shared, limit)
            else:
                gen = ((i, fn(*shared, *args)) for i, args in enumerate(arg_list))
            with contextlib.closing(gen):
                for item in gen:
                    if bar is not None:
                        bar.update(1)
                    yield item
        finally:
            if bar is not None:
                bar.close()

    def _run_dask(self, fn, arg_list, shared, limit):
        from distributed import as_completed
        client = self.client
        # unique keys (hash=False): a release of an earlier run's copy can never hit this one
        shared = [client.scatter(obj, broadcast=True, hash=False) for obj in shared]
        token = uuid.uuid4().hex[:12]
        name = getattr(fn, "__name__", "task")
        index, running = {}, as_completed()
        queue = iter(enumerate(arg_list))

        def submit_next():
            for i, args in queue:
                fut = client.submit(fn, *shared, *args, key=f"jpsi_fast-{name}-{token}-{i}", pure=False)
                index[fut.key] = (i, fut)
                running.add(fut)
                return

        for _ in range(limit):
            submit_next()
        try:
            for fut in running:
                i, _ = index.pop(fut.key)
                result = fut.result()             # a task's own exception propagates here
                fut.release()
                submit_next()
                yield i, result
        finally:
            client.cancel([f for _, f in index.values()])

    def _run_pool(self, fn, arg_list, shared, limit):
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool
        todo = list(range(len(arg_list)))           # not yet finished, in order
        deaths = 0
        while todo:
            if self._pool is None:
                _check_importable((fn,) + tuple(shared))
                share = str(max(1, (os.cpu_count() or 1) // self.workers))
                self._pool = ProcessPoolExecutor(max_workers=self.workers,
                                                 mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_share_cores, initargs=(share,))
            queue, pending, finished = iter(list(todo)), {}, set()
            try:
                for i in itertools.islice(queue, limit):
                    pending[self._pool.submit(fn, *shared, *arg_list[i])] = i
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        i = pending.pop(fut)
                        result = fut.result()        # a task's own exception propagates; a dead process raises
                        finished.add(i)
                        for j in itertools.islice(queue, 1):
                            pending[self._pool.submit(fn, *shared, *arg_list[j])] = j
                        yield i, result
            except BrokenProcessPool:
                deaths += 1
                self.close(terminate=True)
                if deaths > self.retries:
                    raise RuntimeError(
                        f"a worker process died {deaths} times; {len(todo) - len(finished)} task(s) unfinished (out "
                        "of memory? a script without the 'if __name__ == \"__main__\":' guard, or read from stdin, "
                        "cannot start spawned workers)") from None
            except BaseException:
                self.close(terminate=True)           # a task raised (or Ctrl-C): do not wait for the others
                raise
            finally:
                for fut in pending:
                    fut.cancel()
                todo = [i for i in todo if i not in finished]


def _check_importable(objects):
    """ValueError for a function that spawned processes cannot import: one defined in an interactive ``__main__``
    (a notebook, ``python -c``, stdin), which has no file to re-import."""
    import sys
    main = sys.modules.get("__main__")
    if getattr(main, "__file__", None):
        return
    for obj in objects:
        fn = getattr(obj, "func", obj)                        # functools.partial
        if callable(fn) and getattr(fn, "__module__", None) == "__main__":
            raise ValueError(f"{getattr(fn, '__name__', fn)!r} is defined interactively (a notebook, python -c or "
                             "stdin): local worker processes cannot import it; define it in a module, or use a Dask "
                             "client (which ships such functions by value)")


def check_threads(n_threads, remote: bool = False):
    """ValueError/TypeError for a bad ``n_threads``: against this machine's cores, or (``remote``: the tasks run on
    Dask workers, whose cores count) only as a non-zero integer of at most MAX_REMOTE_THREADS in size; the worker
    resolves it. (OpenMP is imported here, not with this module: see :func:`_share_cores`.)"""
    if not remote:
        from ._openmp_helpers import resolve_n_threads
        resolve_n_threads(n_threads)
        return
    if isinstance(n_threads, bool) or not hasattr(n_threads, "__index__"):
        raise TypeError(f"n_threads must be an int or None, got {type(n_threads).__name__}")
    n = int(n_threads.__index__())
    if n == 0 or abs(n) > MAX_REMOTE_THREADS:
        raise ValueError(f"n_threads must be a non-zero integer in [-{MAX_REMOTE_THREADS}, {MAX_REMOTE_THREADS}], "
                         f"got {n}")


def _share_cores(threads: str):
    """Pool initializer: the workers split the cores (OpenMP's default in each process = cores / workers, unless
    the user set OMP_NUM_THREADS). Runs before the compiled modules load OpenMP (importing this module does not)."""
    os.environ.setdefault("OMP_NUM_THREADS", threads)


@contextlib.contextmanager
def run_tasks(fn, arg_list, client=None, workers=None, shared=(), progress=None, desc="tasks",
              retries=TASK_RETRIES):
    """``with run_tasks(fn, arg_list, client, workers, shared) as results: for i, result in results: ...`` -- one
    batch of tasks on a :class:`TaskRunner`; the pool and the futures are released when the block ends, however
    it ends."""
    with TaskRunner(client, workers, retries) as runner, contextlib.closing(
            runner.run(fn, arg_list, shared, progress, desc)) as results:
        yield results


# ------------------------------------------------------------------------------------------------ scans
def _accepts(fn, name):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def _scan_task(func, point, seed, n_threads):
    kwargs = {"n_threads": n_threads} if n_threads is not None and _accepts(func, "n_threads") else {}
    t0 = time.perf_counter()
    out = func(dict(point), seed, **kwargs)
    return out, time.perf_counter() - t0


def _row(out) -> dict:
    """A task's output as a row: a dict as it is, anything else as the column ``value``."""
    return out if isinstance(out, dict) else {"value": out}


def scan(func, grid, client=None, seed: int = 0, workers=None, n_threads=None, progress=None,
         retries: int = TASK_RETRIES):
    """Map ``func(point, seed)`` over the points of ``grid``; a tidy ``pandas.DataFrame``, one row per point.

    Parameters
    ----------
    func : callable ``func(point: dict, seed: int) -> dict`` (or a value). Scalars of the returned dict become
        columns; anything else (arrays, :class:`jpsi_fast.Histogram`, region maps, ...) is kept in an object column,
        addressable as ``df.at[i, name]``. If it takes ``n_threads``, it gets the ``n_threads`` given here.
        Must be picklable (module level, or a ``functools.partial`` of such a function) for ``workers``/``client``.
        Ready-made: :func:`integrate_point`.
    grid : a dict of axes (Cartesian product), a list of point dicts or a DataFrame (:func:`scan_points`).
    client : a ``dask.distributed.Client``, or None to run locally.
    seed : the base seed; task i gets ``task_seed(seed, task_key(point_i))`` (column ``seed``).
    workers : local processes (None or 1: serially in this process).
    n_threads : OpenMP threads per task (None: the worker's default; Dask workers default to 1).

    Returns
    -------
    DataFrame with the point's parameters, ``seed``, then the task's outputs, in the order of ``grid`` -- the same
    bits on 1 process, N processes or a Dask cluster of any size. ``df.attrs["task_seconds"]`` holds each task's
    wall time and ``df.attrs["wall_seconds"]`` the scan's (timings are the only numbers that vary).
    """
    import pandas as pd
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    if n_threads is not None:
        check_threads(n_threads, remote=client is not None)        # here, not in every task
    points = scan_points(grid)
    seeds = [task_seed(seed, task_key(p)) for p in points]
    results, seconds = [None] * len(points), [math.nan] * len(points)
    t0 = time.perf_counter()
    with run_tasks(_scan_task, [(p, s, n_threads) for p, s in zip(points, seeds)], client=client, workers=workers,
                   shared=(func,), progress=progress, desc="scan", retries=retries) as finished:
        for i, (out, dt) in finished:
            results[i], seconds[i] = _row(out), dt
    wall = time.perf_counter() - t0
    names = list(dict.fromkeys(k for p in points for k in p))
    out_names = list(dict.fromkeys(k for r in results for k in r))
    clash = set(out_names) & (set(names) | {"seed"})
    if clash:
        raise ValueError(f"func returned {sorted(clash)}, which are also names of the scan's parameters")
    cols = {}
    for name in names:
        cols[name] = _column([_plain_param(p.get(name)) for p in points])
    cols["seed"] = np.array(seeds, dtype=np.int64)
    for name in out_names:
        cols[name] = _column([r.get(name) for r in results])
    df = pd.DataFrame(cols)
    df.attrs["task_seconds"] = seconds
    df.attrs["wall_seconds"] = wall
    return df


def _plain_param(v):
    """Parameter values as DataFrame cells: scalars stay, lists and dicts become JSON text, other objects (Beams,
    ...) their text."""
    if v is None or isinstance(v, (bool, int, float, str, np.generic)):
        return v
    return json.dumps(_plain(v), sort_keys=True) if isinstance(v, (list, tuple, range, dict, np.ndarray)) else str(v)


def _column(values):
    """A DataFrame column: numeric/bool/str values as such, None as NaN for numbers, anything else as objects."""
    scalar = all(v is None or isinstance(v, (bool, int, float, str, np.generic)) for v in values)
    if not scalar:
        col = np.empty(len(values), dtype=object)
        col[:] = values
        return col
    kinds = {type(v.item() if isinstance(v, np.generic) else v) for v in values if v is not None}
    if kinds <= {int} and None not in values:
        return np.array(values, dtype=np.int64)
    if kinds <= {int, float}:
        return np.array([math.nan if v is None else float(v) for v in values])
    if kinds == {bool} and None not in values:
        return np.array(values, dtype=bool)
    col = np.empty(len(values), dtype=object)
    col[:] = values
    return col


# ------------------------------------------------------------------------------------------------ ready-made tasks
def setup_point(point: dict, base: dict | None = None):
    """(CrossSection, Domain) of a scan point: keys that are :class:`jpsi_fast.Params` fields (``beams`` as a
    preset name such as "18x275", ``ldme_set``, widths, ...), ``pdf`` (a name, default GRV94LO), ``pdf_member``
    (an LHAPDF member, default 0), and ``domain.<field>`` / ``domain`` (a dict) for :class:`jpsi_fast.Domain`.
    ``base``: defaults under the point (same keys)."""
    import dataclasses

    from .integrate import Domain
    from .params import Params
    from .pdf import load
    from .xsec import CrossSection
    merged = dict(base or {})
    merged.update(point)
    fields = {f.name for f in dataclasses.fields(Params)}
    dom_fields = {f.name for f in dataclasses.fields(Domain)}
    params, dom = {}, dict(merged.pop("domain", None) or {})
    from ._validate import integer
    pdf = merged.pop("pdf", "GRV94LO")
    member = integer("pdf_member", merged.pop("pdf_member", 0), 0, 10 ** 6, strict=True)
    for k, v in merged.items():
        if k.startswith("domain."):
            dom[k[len("domain."):]] = v
        elif k in fields:
            params[k] = tuple(v) if isinstance(v, list) else v
        else:
            raise ValueError(f"scan point: unknown key {k!r}; allowed: Params fields {sorted(fields)}, 'pdf', "
                             "'pdf_member', 'domain.<field>'")
    unknown = set(dom) - dom_fields
    if unknown:
        raise ValueError(f"scan point: unknown Domain field(s) {sorted(unknown)}; allowed: {sorted(dom_fields)}")
    p = Params(**params)
    domain = Domain(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in dom.items()})
    domain.check(p)
    return CrossSection(p, load(pdf, member=member)), domain


def integrate_point(point: dict, seed: int, n_threads=None, nitn: int = 6, neval: int = 100_000, warmup: int = 4,
                    base: dict | None = None, band: bool = False) -> dict:
    """A scan task: integrate the cross section of ``point`` (:func:`setup_point`) over its domain.

    Returns sigma_U [pb] and its Monte Carlo error, sigma_L [pb], sigma_U of each channel, the channels' shares,
    chi2/dof of the iterations and the evaluations; with ``band``: the 7-point scale band and the LDME-set band
    (``sigma_U_<source>_lo/_hi`` [pb], docs/physics.md §10.4)."""
    from .components import CHANNELS
    from .integrate import Integrator
    from .variations import Variations, band_sources
    xs, domain = setup_point(point, base)
    var = Variations(scales=7, ldme_sets="positive") if band else None
    res = Integrator(domain, seed=seed, n_threads=n_threads).integrate(xs, nitn=nitn, neval=neval, warmup=warmup,
                                                                       variations=var, states=("U", "L"))
    tot = res.total("U")
    out = {"sigma_U": float(tot.mean), "sigma_U_error": float(tot.sdev), "sigma_L": float(res.total("L").mean)}
    for ch in CHANNELS:
        e = res[ch, "U"]
        out[f"sigma_U_{ch}"] = float(e.mean)
        out[f"share_{ch}"] = float(e.mean / tot.mean) if tot.mean else math.nan
    out["chi2_dof"] = float(res.chi2_dof)
    out["neval"] = int(res.neval)
    if var is not None:
        for s in band_sources(res.layout.variations):
            _, lo, hi = res.band(s)
            out[f"sigma_U_{s}_lo"], out[f"sigma_U_{s}_hi"] = lo, hi
    return out


# ------------------------------------------------------------------------------------------------ output folders
def _atomic_json(path, obj):
    from .data import _atomic_text
    _atomic_text(path, json.dumps(obj, indent=1, default=str))


def _read_manifest(path) -> dict:
    m = Path(path) / MANIFEST
    return json.loads(m.read_text()) if m.is_file() else {}


def _check_folder(path, what):
    """``path`` as a Path whose parent exists and which is not a file."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"output folder {path.parent} does not exist")
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} is a file: {what} go to a folder")
    return path


def _claim_folder(path, kind, request, completion_marks, temp_patterns):
    """Start or resume writing ``request`` into the folder ``path``.

    The folder's manifest (``_jpsi_fast.json``: kind, request -- the package version included -- and completion)
    must hold the same request, or the folder must hold nothing but hidden files; otherwise ``ValueError``. The
    completion marks (``_metadata``, ``index.json``, ...) are removed before any task runs, so that no outside
    reader takes a folder being (re)written for complete, and so are the temporary files a killed run left."""
    path.mkdir(exist_ok=True)
    manifest = _read_manifest(path)
    if manifest:
        if manifest.get("kind") != kind or manifest.get("request") != request:
            raise ValueError(f"{path} holds a different {manifest.get('kind', 'output')} (other parameters, sizes or "
                             "jpsi_fast version): choose another output folder or remove it")
    elif any(not p.name.startswith(".") for p in path.iterdir()):
        raise ValueError(f"{path} is not empty and holds no jpsi_fast output: choose an empty or new folder")
    _atomic_json(path / MANIFEST, {"kind": kind, "request": request, "complete": False})
    for name in completion_marks:
        (path / name).unlink(missing_ok=True)
    for pattern in temp_patterns:
        for stale in path.glob(pattern):
            stale.unlink(missing_ok=True)


def _mark_complete(path, kind, request):
    _atomic_json(path / MANIFEST, {"kind": kind, "request": request, "complete": True})


# ------------------------------------------------------------------------------------------------ partitioned datasets
def partition_files(path) -> list:
    """The partition files of a partitioned dataset folder, in order."""
    return sorted(p for p in Path(path).glob("part-*.parquet") if p.is_file())


def read_partitioned_meta(path) -> dict:
    """The manifest of a partitioned dataset folder ({} when there is none): ``request`` and ``complete``."""
    return _read_manifest(path)


def _partition_task(xs, domain, variations, columns, meta, compression, chunk_rows, n_threads, directory, index,
                    grid, start, stop, points):
    from .data import DatasetWriter, _points_iter
    t0 = time.perf_counter()
    target = Path(directory) / PART_TEMPLATE.format(index)
    with DatasetWriter(target, meta, "parquet", compression) as w:
        for cols in _points_iter(xs, points, grid, domain, None, chunk_rows, 0, n_threads, variations, start, stop):
            w.write({c: cols[c] for c in columns})
    return {"partition": index, "rows": w.rows, "bytes": target.stat().st_size, "seconds": time.perf_counter() - t0}


def _rows_in(path) -> int:
    import pyarrow.parquet as pq
    try:
        return pq.read_metadata(str(path)).num_rows
    except Exception:                              # noqa: BLE001 - unreadable: recompute it
        return -1


def write_partitioned(path, xs, grid=None, points=None, domain=None, partition_rows: int = PARTITION_ROWS,
                      client=None, workers=None, n_threads=None, variations=None, compression="snappy",
                      chunk_rows=None, progress=None) -> dict:
    """Write a dataset (:func:`jpsi_fast.data.write_dataset`'s columns) as a folder of Parquet partitions, one task
    per partition of ``partition_rows`` rows (contiguous rows of the grid or of ``points``).

    Layout (read by ``pyarrow.dataset.dataset(path)``, ``dask.dataframe.read_parquet(path)``,
    :func:`jpsi_fast.data.read_dataset`): ``part-000000.parquet``, ... (each with the jpsi_fast metadata),
    ``_common_metadata`` (schema + metadata), ``_metadata`` (schema + every row group) and ``_jpsi_fast.json`` (the
    request, partition count and completion). Each partition is written under a hidden temporary name and renamed
    when complete; a re-run of the same request into the same folder skips the finished partitions (resume); a
    different request into a folder holding another dataset raises ``ValueError``. Returns a summary dict (path,
    rows, partitions, written, skipped, bytes, seconds, partition_seconds).
    """
    from .data import CHUNK_ROWS, GridSpec, dataset_columns, dataset_metadata
    from .integrate import Domain
    from ._validate import integer
    workers = _check_backend(client, workers)
    partition_rows = integer("partition_rows", partition_rows, 1, 1 << 40, strict=True)
    chunk_rows = integer("chunk_rows", chunk_rows if chunk_rows is not None else min(CHUNK_ROWS, partition_rows),
                         1, 1 << 40, strict=True)
    if (grid is None) == (points is None):
        raise ValueError("give exactly one of grid (a GridSpec) and points (an (n, 4) array) for a partitioned dataset")
    if Path(path).suffix.lower() == ".csv":
        raise ValueError("partitioned datasets are Parquet folders: give a folder name, not a .csv file")
    path = _check_folder(path, "partitioned datasets")
    if grid is not None:
        if not isinstance(grid, GridSpec):
            raise TypeError(f"grid must be a jpsi_fast.data.GridSpec, got {type(grid).__name__}")
        total = grid.size
        source = {"kind": "grid", "grid": {k: list(v) for k, v in vars(grid).items()}}
    else:
        points = np.asarray(points, dtype=float)
        if points.ndim != 2 or points.shape[1] != 4:
            raise ValueError(f"points must have shape (n, 4) (x, z, Q, PT), got {points.shape}")
        total = len(points)
        source = {"kind": "points", "rows": total,
                  "sha256": hashlib.sha256(np.ascontiguousarray(points).tobytes()).hexdigest()}
    domain = domain or Domain()
    meta = dataset_metadata(xs, domain, source)
    columns = dataset_columns()
    if variations is not None:
        from .variations import band_column_names
        columns = columns + band_column_names(xs.layout(variations=variations).variations)
        meta["variations"] = repr(variations)
    n_parts = -(-total // partition_rows)
    request = {"rows": total, "partition_rows": partition_rows,
               "partitions": n_parts, "columns": list(columns), "meta": meta}
    fingerprint = json.loads(json.dumps(request, default=str))
    _claim_folder(path, DATASET_KIND, fingerprint, ("_metadata", "_common_metadata"), (".part-*.tmp", "._*.tmp"))
    ranges = [(k, k * partition_rows, min(total, (k + 1) * partition_rows)) for k in range(n_parts)]
    todo = [(k, a, b) for k, a, b in ranges
            if _rows_in(path / PART_TEMPLATE.format(k)) != b - a]
    t0 = time.perf_counter()
    args = [(str(path), k, grid, a if grid is not None else 0, b if grid is not None else b - a,
             None if points is None else points[a:b]) for k, a, b in todo]
    summaries = []
    with run_tasks(_partition_task, args, client=client, workers=workers,
                   shared=(xs, domain, variations, columns, meta, compression, chunk_rows, n_threads),
                   progress=progress, desc=f"partitions -> {path.name}") as finished:
        for _, summary in finished:
            summaries.append(summary)
    _finish_partitioned(path, n_parts)
    _mark_complete(path, DATASET_KIND, fingerprint)
    files = partition_files(path)
    return {"path": str(path), "rows": total, "partitions": n_parts, "written": len(todo),
            "skipped": n_parts - len(todo), "bytes": sum(f.stat().st_size for f in files),
            "seconds": time.perf_counter() - t0, "columns": list(columns),
            "partition_seconds": [s["seconds"] for s in sorted(summaries, key=lambda s: s["partition"])]}


def _finish_partitioned(path, n_parts):
    """Write _common_metadata and _metadata (every partition's row groups), each atomically."""
    import pyarrow.parquet as pq
    files = [path / PART_TEMPLATE.format(k) for k in range(n_parts)]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise RuntimeError(f"partitions missing after the run: {missing[:5]}")
    schema = pq.read_schema(str(files[0]))
    collected = []
    for f in files:
        md = pq.read_metadata(str(f))
        md.set_file_path(f.name)
        collected.append(md)
    for name, collector in (("_common_metadata", None), ("_metadata", collected)):
        tmp = path / f".{name}.{uuid.uuid4().hex[:12]}.tmp"
        pq.write_metadata(schema, str(tmp), metadata_collector=collector)
        os.replace(tmp, path / name)


# ------------------------------------------------------------------------------------------------ event chunks
def _event_chunk(gen, directory, ext, fmt, batch, unweighted, request, chunk, n):
    from .events import write_generation
    t0 = time.perf_counter()
    directory = Path(directory)
    name = EVENT_TEMPLATE.format(chunk)
    (directory / (name + ".json")).unlink(missing_ok=True)      # the chunk's "done" mark goes first ...
    summary = write_generation(directory / (name + ext), fmt, gen, n, batch, unweighted, chunk=chunk)
    summary.update(chunk=chunk, points=n, file=name + ext, bytes=(directory / (name + ext)).stat().st_size,
                   seconds=time.perf_counter() - t0, request=request)
    summary.pop("path")
    _atomic_json(directory / (name + ".json"), summary)          # ... and comes back after the data file
    return summary


def _chunk_done(directory, chunk, ext, request):
    """The summary of a finished chunk (its mark, for this request, beside a data file of the recorded size), or
    None."""
    name = EVENT_TEMPLATE.format(chunk)
    side, data_file = Path(directory) / (name + ".json"), Path(directory) / (name + ext)
    if not (side.is_file() and data_file.is_file()):
        return None
    try:
        s = json.loads(side.read_text())
    except ValueError:
        return None
    return s if s.get("request") == request and s.get("bytes") == data_file.stat().st_size else None


def read_event_index(directory) -> dict:
    """The index of a chunked event production (``index.json``): files, events and sigma x B per chunk, and
    the combined cross section for the normalization of the whole sample."""
    f = Path(directory) / EVENT_INDEX
    if not f.is_file() or not _read_manifest(directory).get("complete"):
        raise FileNotFoundError(f"{f} not found: the production is incomplete (re-run the same command to resume) "
                                "or this is not an event folder")
    return json.loads(f.read_text())


def write_event_chunks(directory, xs, n: int, chunk_events: int = CHUNK_EVENTS, fmt: str = "hepmc3", domain=None,
                       seed: int = 0, unweighted: bool = True, batch: int = 100_000, client=None, workers=None,
                       n_threads=None, variations=None, neval=None, progress=None) -> dict:
    """Decayed lab-frame events (:class:`jpsi_fast.EventGenerator`) as one file per chunk of ``chunk_events``,
    produced locally, in ``workers`` processes or on a Dask ``client``.

    The importance-sampling map is adapted once, here; the adapted generator is shipped to the workers, and
    chunk k's random streams are keyed by (seed, k), so every chunk -- and every file, byte for byte -- is the
    same whatever the number of workers or the order they run in. Files: ``events-000000.<ext>``, ... with a
    ``.json`` summary each (written after it: a chunk counts as done only then) and ``index.json`` (written last:
    total events, per-chunk sigma x B, and the combined sigma x B; how to normalize: :data:`NORMALIZATION`). The
    folder's ``_jpsi_fast.json`` holds the request: a re-run of the same request skips the finished chunks, another
    request into the same folder raises ``ValueError``. Returns the index.
    """
    from ._eventio import infer_format
    from ._validate import integer
    from .events import ADAPT_NEVAL, EventGenerator, MAX_CHUNKS
    from .variations import Variations
    workers = _check_backend(client, workers)
    n = integer("n", n, 1, 10 ** 13, strict=True)
    chunk_events = integer("chunk_events", chunk_events, 1, 10 ** 10, strict=True)
    integer("batch", batch, 1, 10 ** 9, strict=True)                 # checked before the map's adaptation
    if n_threads is not None:
        check_threads(n_threads, remote=client is not None)
    if variations is not None and not isinstance(variations, Variations):
        raise TypeError(f"variations must be a jpsi_fast.Variations, got {type(variations).__name__}")
    n_chunks = -(-n // chunk_events)
    if n_chunks > MAX_CHUNKS:
        raise ValueError(f"chunk_events: {n:,} events in chunks of {chunk_events:,} is more than {MAX_CHUNKS} chunks")
    directory = _check_folder(directory, "chunked events")
    fmt = infer_format("x." + fmt) if fmt in ("hepmc3.gz", "lhe.gz") else fmt
    ext = {"hepmc3": ".hepmc", "hepmc3.gz": ".hepmc.gz", "hepmc3.bz2": ".hepmc.bz2", "hepmc3.xz": ".hepmc.xz",
           "lhe": ".lhe", "lhe.gz": ".lhe.gz", "parquet": ".parquet"}.get(fmt)
    if ext is None:
        raise ValueError(f"fmt: expected hepmc3, hepmc3.gz, hepmc3.bz2, hepmc3.xz, lhe, lhe.gz or parquet, got "
                         f"{fmt!r}")
    t0 = time.perf_counter()
    gen = EventGenerator(xs, domain, seed=seed, n_threads=n_threads, variations=variations,
                         neval=ADAPT_NEVAL if neval is None else neval)
    from . import __version__
    from .data import _pdf_spec
    request = json.loads(json.dumps({
        "n": n, "chunk_events": chunk_events, "fmt": fmt, "seed": int(seed), "unweighted": bool(unweighted),
        "beams": str(gen.beams), "acceptance": str(gen.domain.acceptance), "domain": repr(gen.domain),
        "params": repr(xs.params), "pdf": _pdf_spec(xs.pdf),
        "helicity_pdf": None if xs.helicity_pdf is None else _pdf_spec(xs.helicity_pdf),
        "variations": repr(variations), "neval": gen.neval, "warmup": gen.warmup, "jpsi_fast_version": __version__},
        default=str))
    _claim_folder(directory, EVENTS_KIND, request, (EVENT_INDEX,), (".events-*.tmp", ".index.json.*.tmp"))
    sizes = [min(chunk_events, n - k * chunk_events) for k in range(n_chunks)]
    done = {k: _chunk_done(directory, k, ext, request) for k in range(n_chunks)}
    todo = [(k, sizes[k]) for k in range(n_chunks) if done[k] is None]
    if todo:
        gen.adapt()                                       # once, here; shipped with the generator
        if not unweighted:                                # sigma in acceptance, also once
            gen.sigma_acceptance = gen.integrate_in_acceptance()
    with run_tasks(_event_chunk, todo, client=client, workers=workers,
                   shared=(gen, str(directory), ext, fmt, batch, unweighted, request), progress=progress,
                   desc=f"event chunks -> {directory.name}") as finished:
        for _, summary in finished:
            done[summary["chunk"]] = summary
    chunks = [done[k] for k in range(n_chunks)]
    events = sum(c["events"] for c in chunks)
    if unweighted:      # the chunks' trial runs are independent estimates: their event-weighted mean and its error
        sigma = sum(c["sigma_pb"] * c["events"] for c in chunks) / events
        err = math.sqrt(sum((c["sigma_error_pb"] * c["events"]) ** 2 for c in chunks)) / events
    else:               # weighted chunks all carry the one in-acceptance integral computed before shipping
        sigma, err = chunks[0]["sigma_pb"], chunks[0]["sigma_error_pb"]
    index = {"format": fmt, "events": events, "chunks": len(chunks), "chunk_events": chunk_events,
             "sigma_pb": sigma, "sigma_error_pb": err, "branching_ratio": chunks[0]["branching_ratio"],
             "unweighted": bool(unweighted), "seed": int(seed), "beams": request["beams"],
             "acceptance": request["acceptance"],
             "normalization": NORMALIZATION,
             "files": [{k: c[k] for k in ("file", "points", "events", "sigma_pb", "sigma_error_pb", "bytes")}
                       for c in chunks],
             "request": request, "seconds": time.perf_counter() - t0}
    _atomic_json(directory / EVENT_INDEX, index)
    _mark_complete(directory, EVENTS_KIND, request)
    return index
