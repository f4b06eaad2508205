"""Datasets for machine learning: grids or samples of (x, z, Q, P_T) with every channel x state, channel shares
and the dominant mechanism, streamed in chunks to Parquet or CSV (bounded memory for any size); robustness tools
-- inject multiplicative noise and missing values (seeded), impute and clean, detect corrupted rows with an
unsupervised model and report its precision and recall against the injected truth.

Needs pyarrow (``pip install "jpsi_fast[data]"``) and, for cleaning, scikit-learn (``jpsi_fast[ml]``).

Files are written atomically: to a hidden temporary name beside the target, renamed when complete, so an
interrupted or failed write never leaves a file that looks complete, and an existing file is replaced only then.
Every dataset carries its metadata -- package version, Params, PDF, Domain, source (grid spec or sampling seed),
units -- in the Parquet schema (key ``jpsi_fast``) or a ``<file>.meta.json`` sidecar for CSV; ``corrupt`` and
``clean`` keep it and add what they did.

Columns: x, z, Q [GeV], PT [GeV], y, in_cuts, sigma_<channel>_<state> [pb/GeV^4] (dsigma/(dx dQ^2 dz dP_T^2)),
share_<channel> (share of sigma_U), dominant (channel name, "none" where sigma_U = 0).
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._progress import progress_bar
from .components import CHANNELS, STATES, Layout, channel_shares, dominant_channel
from .integrate import Domain, Integrator
from .params import Params
from .xsec import CrossSection

__all__ = ["GridSpec", "dataset_columns", "compute_rows", "write_dataset", "read_dataset", "iter_dataset",
           "read_meta", "write_columns", "DatasetWriter", "dataset_metadata", "cross_section_from_meta",
           "corrupt", "corrupt_file", "impute", "detect_corrupted", "clean_file", "CorruptionReport", "UNITS",
           "CHUNK_ROWS", "estimate_size"]

#: one column per component of the full layout: sigma_<channel>_<state>
LAYOUT = Layout()
SIGMA_COLUMNS = tuple("sigma_" + name.replace(":", "_") for name in LAYOUT.names)
SHARE_COLUMNS = tuple(f"share_{c}" for c in CHANNELS)
UNITS = {"x": "", "z": "", "Q": "GeV", "PT": "GeV", "y": "", "in_cuts": "",
         **{c: "pb/GeV^4" for c in SIGMA_COLUMNS}, **{c: "" for c in SHARE_COLUMNS}, "dominant": ""}
DOMINANT_NAMES = CHANNELS + ("none",)
#: rows per block: the unit of streaming and of the seeded random streams of corrupt/clean (fixed, so results do
#: not depend on how a file is read)
CHUNK_ROWS = 1 << 20
#: bytes per row of a written dataset (Parquet, snappy; measured on the default grid) for size estimates
BYTES_PER_ROW = {"parquet": 160, "csv": 420}
#: rows used to fit the cleaning models (imputation statistics, residual fits, outlier detectors)
FIT_ROWS = 200_000
#: a row is flagged only if its largest robust residual exceeds this many (robust) standard deviations
RESIDUAL_THRESHOLD = 4.0
#: corruptions beyond this factor count as "large" in the recall report
LARGE_FACTOR = 1.5
#: detection by recomputation: a row whose sigma values differ from the exact ones by more than this is flagged
RECOMPUTE_RTOL = 1e-9
META_KEY = "jpsi_fast"


def dataset_columns():
    """Column names of a dataset, in order."""
    return ("x", "z", "Q", "PT", "y", "in_cuts") + SIGMA_COLUMNS + SHARE_COLUMNS + ("dominant",)


@dataclass(frozen=True)
class GridSpec:
    """A regular grid over a box: n points per axis (endpoints included) of x, z, Q [GeV], P_T [GeV]."""

    x: tuple = (0.1, 0.99, 25)
    z: tuple = (0.1, 0.8, 25)
    Q: tuple = (10.0, 50.0, 25)
    PT: tuple = (0.0, 6.0, 75)

    def __post_init__(self):
        for name in ("x", "z", "Q", "PT"):
            v = getattr(self, name)
            try:
                lo, hi, n = v
                lo, hi = float(lo), float(hi)
            except (TypeError, ValueError, OverflowError):
                raise ValueError(f"GridSpec.{name} must be (low, high, number of points), got {v!r}") from None
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"GridSpec.{name}: the number of points must be a positive integer, got {n!r}")
            if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
                raise ValueError(f"GridSpec.{name}: need finite low <= high, got ({lo}, {hi})")
            object.__setattr__(self, name, (lo, hi, int(n)))

    def axes(self):
        return [np.linspace(lo, hi, int(n)) for lo, hi, n in (self.x, self.z, self.Q, self.PT)]

    @property
    def size(self) -> int:
        return int(np.prod([getattr(self, a)[2] for a in ("x", "z", "Q", "PT")], dtype=object))

    @classmethod
    def from_domain(cls, domain: Domain, n=(25, 25, 25, 75)):
        return cls(*(tuple(b) + (int(k),) for b, k in zip(domain.bounds, n)))


def estimate_size(rows: int, fmt: str = "parquet") -> int:
    """Approximate size in bytes of a dataset of ``rows`` rows."""
    return int(rows) * BYTES_PER_ROW[fmt]


def band_columns(result) -> dict:
    """Theory-band columns of a Result with variations: ``sigma_U_<source>_lo`` / ``_hi`` [pb/GeV^4] of the
    channel sum of sigma_U for every source it carries (docs/physics.md §10.4)."""
    from .variations import band_sources
    cols = {}
    for s in band_sources(result.layout.variations):
        _, lo, hi = result.band(s)
        cols[f"sigma_U_{s}_lo"], cols[f"sigma_U_{s}_hi"] = lo, hi
    return cols


def compute_rows(xs: CrossSection, x, z, Q, PT, domain: Domain | None = None, n_threads=None,
                 variations=None) -> dict:
    """All dataset columns for points (x, z, Q, P_T) (1-D arrays): one kernel pass, every channel x state (and,
    with ``variations``, the band columns of :func:`band_columns` after them)."""
    r = xs.evaluate(x, z, Q, PT, channels=LAYOUT.channels, states=LAYOUT.states, n_threads=n_threads,
                    variations=variations)
    bands = band_columns(r) if variations is not None else {}
    v = r._central                                          # (channels, states, n)
    domain = domain or Domain()
    cols = {"x": x, "z": z, "Q": Q, "PT": PT, "y": domain.inelasticity(x, Q, xs.params)}
    cols["in_cuts"] = domain.contains(x, z, Q, PT, xs.params)
    for name, col in zip(SIGMA_COLUMNS, v.reshape(len(SIGMA_COLUMNS), -1)):
        cols[name] = col
    U = v[:, LAYOUT.states.index("U")]
    for name, share in zip(SHARE_COLUMNS, channel_shares(U)):
        cols[name] = share
    cols["dominant"] = np.array(DOMINANT_NAMES)[dominant_channel(U)]
    cols.update(bands)
    return cols


def _grid_chunk(axes, start, stop):
    idx = np.arange(start, stop)
    sub = np.unravel_index(idx, [len(a) for a in axes])
    return [a[i] for a, i in zip(axes, sub)]


def _points_iter(xs, points, grid, domain, sample, chunk_rows, seed, n_threads, variations=None, start=0,
                 stop=None):
    """Yield column dicts chunk by chunk for a grid (its rows start .. stop - 1), explicit points or sigma-weighted
    samples."""
    if grid is not None:
        axes = grid.axes()
        stop = grid.size if stop is None else stop
        for a in range(start, stop, chunk_rows):
            yield compute_rows(xs, *_grid_chunk(axes, a, min(stop, a + chunk_rows)), domain, n_threads, variations)
    elif points is not None:
        P = np.asarray(points, dtype=float)
        for a in range(0, len(P), chunk_rows):
            yield compute_rows(xs, *P[a:a + chunk_rows].T, domain, n_threads, variations)
    else:                                                   # one event stream, cut into chunks
        integ = Integrator(domain or Domain(), seed=seed, n_threads=n_threads)
        for ev in integ.iter_events(xs, int(sample), chunk_rows, progress=False):
            yield compute_rows(xs, ev.x, ev.z, ev.Q, ev.PT, domain, n_threads, variations)


# ---------------------------------------------------------------------------------------------- metadata
def _pdf_spec(pdf) -> dict:
    spec = {"type": type(pdf).__name__, "name": pdf.name, "extrapolate": getattr(pdf, "extrapolate", None)}
    if getattr(pdf, "path", None):
        spec.update(path=str(pdf.path), member=getattr(pdf, "member", 0))
    if hasattr(pdf, "exact"):
        spec["exact"] = bool(pdf.exact)
    return spec


def dataset_metadata(xs: CrossSection, domain: Domain | None, source: dict) -> dict:
    """The metadata every dataset carries: package version, quantity, units, Params, PDF, Domain, source."""
    from . import __version__
    return {"jpsi_fast_version": __version__, "quantity": "dsigma/(dx dQ^2 dz dP_T^2) of e p -> e J/psi X",
            "units": UNITS, "params": {k: (list(v) if isinstance(v, tuple) else v)
                                       for k, v in dataclasses.asdict(xs.params).items()},
            "pdf": _pdf_spec(xs.pdf), "domain": None if domain is None else dataclasses.asdict(domain),
            "channels": list(CHANNELS), "states": list(STATES), "source": source}


def cross_section_from_meta(meta: dict) -> CrossSection:
    """The CrossSection a dataset was made with (its Params and PDF); ValueError when the metadata lacks them."""
    from .pdf import GRV94LO, load
    if not meta or "params" not in meta or "pdf" not in meta:
        raise ValueError("the dataset carries no jpsi_fast parameters (metadata missing): cannot recompute its "
                         "cross sections")
    p = dict(meta["params"])
    if isinstance(p.get("flavours"), list):
        p["flavours"] = tuple(p["flavours"])
    spec = meta["pdf"]
    if isinstance(spec, str):
        raise ValueError(f"the dataset's PDF is recorded only by name ({spec!r}): cannot recompute reliably")
    if spec["type"] == "GRV94LO":
        pdf = GRV94LO(exact=spec.get("exact", False))
    else:
        pdf = load(spec["path"], member=spec.get("member", 0), extrapolate=spec.get("extrapolate"))
    return CrossSection(Params(**p), pdf)


def _domain_from_meta(meta):
    d = (meta or {}).get("domain")
    if not d:
        return None
    d = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items()}
    if isinstance(d.get("acceptance"), dict):
        from .integrate import Acceptance
        d["acceptance"] = Acceptance(**{k: (tuple(v) if isinstance(v, list) else v)
                                        for k, v in d["acceptance"].items()})
    return Domain(**d)


def _partitioned(path) -> bool:
    """A partitioned dataset folder (:func:`jpsi_fast.distributed.write_partitioned`); ValueError if incomplete."""
    path = Path(path)
    if not path.is_dir():
        return False
    from .distributed import read_partitioned_meta
    manifest = read_partitioned_meta(path)
    if not manifest:
        raise ValueError(f"{path} is a folder without a jpsi_fast dataset")
    if not manifest.get("complete"):
        raise ValueError(f"the dataset {path} is incomplete (an interrupted run): re-run the same command to resume")
    return True


def read_meta(path) -> dict:
    """The jpsi_fast metadata of a dataset ({} when it has none); a partitioned folder's from ``_common_metadata``."""
    path = Path(path)
    if _partitioned(path):
        path = path / "_common_metadata"
    elif _fmt(path) == "csv":
        side = Path(str(path) + ".meta.json")
        return json.loads(side.read_text()) if side.exists() else {}
    import pyarrow.parquet as pq
    md = pq.read_schema(str(path)).metadata or {}
    raw = md.get(META_KEY.encode())
    return json.loads(raw) if raw else {}


# ---------------------------------------------------------------------------------------------- writing
def _fmt(path, fmt=None):
    fmt = fmt or ("csv" if Path(path).suffix.lower() == ".csv" else "parquet")
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be 'parquet' or 'csv', got {fmt!r}")
    return fmt


def _arrow_table(cols):
    import pyarrow as pa
    arrays = []
    for name, v in cols.items():
        v = np.asarray(v)
        if v.dtype.kind in "US":                             # names (dominant): dictionary-encoded strings
            arrays.append(pa.array(v.astype(str)).dictionary_encode())
        else:
            arrays.append(pa.array(v))
    return pa.Table.from_arrays(arrays, names=list(cols))


def _temp_name(path) -> Path:
    """A hidden temporary name beside ``path``, unique to this write (never shared with another process's or a
    killed run's leftover): ``.<name>.<random>.tmp``."""
    return Path(path).with_name(f".{Path(path).name}.{uuid.uuid4().hex[:12]}.tmp")


def _atomic_text(path, text):
    tmp = _temp_name(path)
    tmp.write_text(text)
    os.replace(tmp, path)


class DatasetWriter:
    """Streaming, atomic writer of column chunks to Parquet or CSV (by suffix or ``fmt``).

    ``with DatasetWriter(path, meta) as w: w.write(cols)...`` -- chunks go to a hidden temporary file beside
    ``path``; leaving the block normally renames it to ``path`` (replacing an existing file only then), an
    exception (Ctrl-C included) deletes it. ``meta`` goes into the Parquet schema or a CSV's sidecar.
    """

    def __init__(self, path, meta: dict | None = None, fmt: str | None = None, compression: str = "snappy"):
        self.path = Path(path)
        self.fmt = _fmt(self.path, fmt)
        self.meta = meta
        self.compression = compression
        self.tmp = _temp_name(self.path)
        self.rows = 0
        self.columns = None
        self._writer = None
        self._schema = None
        self._done = False

    def __enter__(self):
        if not self.path.parent.exists():
            raise FileNotFoundError(f"output folder {self.path.parent} does not exist")
        return self

    def write(self, cols: dict):
        import pyarrow as pa
        table = _arrow_table(cols)
        if self.columns is None:
            self.columns = tuple(cols)
            if self.fmt == "parquet":
                import pyarrow.parquet as pq
                self._schema = table.schema.with_metadata({META_KEY: json.dumps(self.meta)} if self.meta else None)
                self._writer = pq.ParquetWriter(str(self.tmp), self._schema, compression=self.compression)
            else:
                import pyarrow.csv as pacsv
                self._schema = pa.schema([pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type)
                                          for f in table.schema])
                self._writer = pacsv.CSVWriter(str(self.tmp), self._schema)
        elif tuple(cols) != self.columns:
            raise ValueError(f"chunk columns {tuple(cols)} differ from the first chunk's {self.columns}")
        self._writer.write_table(table.cast(self._schema))
        self.rows += table.num_rows

    def __exit__(self, exc_type, exc, tb):
        if self._writer is not None:
            self._writer.close()
        if exc_type is None:
            if self._writer is None:
                raise ValueError(f"nothing was written to {self.path}")
            if self.fmt == "csv":
                side = Path(str(self.path) + ".meta.json")
                if self.meta:
                    _atomic_text(side, json.dumps(self.meta, indent=1))
                elif side.exists():
                    side.unlink()
            os.replace(self.tmp, self.path)
            self._done = True
        elif self.tmp.exists():
            self.tmp.unlink()
        return False


def write_dataset(path, xs: CrossSection, grid: GridSpec | None = None, points=None, sample: int | None = None,
                  domain: Domain | None = None, fmt: str | None = None, chunk_rows: int = 1 << 20, seed: int = 0,
                  n_threads=None, compression: str = "snappy", progress=None, variations=None, client=None,
                  workers=None, partition_rows: int | None = None) -> dict:
    """Stream a dataset to ``path`` (Parquet by default, or CSV by suffix / ``fmt``) chunk by chunk, atomically.

    With a Dask ``client`` or ``workers`` (local processes), ``path`` is a folder of Parquet partitions of
    ``partition_rows`` rows (default :data:`jpsi_fast.distributed.PARTITION_ROWS`), one task each, with
    ``_metadata``; a re-run resumes (:func:`jpsi_fast.distributed.write_partitioned`; grid or points only).

    Exactly one source: ``grid`` (a :class:`GridSpec`; default the earlier study's 25 x 25 x 25 x 75 when
    nothing is given), ``points`` (an (n, 4) array) or ``sample`` (that many sigma_U-weighted events in
    ``domain``, seeded; the events do not depend on ``chunk_rows``). Memory stays bounded by ``chunk_rows``
    rows. ``variations`` (a :class:`jpsi_fast.Variations`): theory-band columns ``sigma_U_<source>_lo/_hi``
    [pb/GeV^4] after the standard ones (:func:`band_columns`). Returns a summary dict (path, rows, format,
    seconds, columns).
    """
    if sum(v is not None for v in (grid, points, sample)) > 1:
        raise ValueError("give exactly one of grid, points, sample")
    if grid is None and points is None and sample is None:
        grid = GridSpec()
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    if client is not None or workers is not None or partition_rows is not None:
        if sample is not None:
            raise ValueError("sample= datasets are one stream of events: write them without client/workers (or use "
                             "jpsi_fast.distributed.write_event_chunks for chunked event production)")
        if fmt not in (None, "parquet"):
            raise ValueError(f"partitioned datasets are Parquet, got fmt={fmt!r}")
        from .distributed import PARTITION_ROWS, write_partitioned
        return write_partitioned(path, xs, grid=grid, points=points, domain=domain,
                                 partition_rows=PARTITION_ROWS if partition_rows is None else partition_rows,
                                 client=client, workers=workers, n_threads=n_threads, variations=variations,
                                 compression=compression, chunk_rows=min(chunk_rows, CHUNK_ROWS), progress=progress)
    if sample is not None and (isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or sample < 1):
        raise ValueError(f"sample must be a positive integer, got {sample!r}")
    if points is not None:
        points = np.asarray(points, dtype=float)
        if points.ndim != 2 or points.shape[1] != 4:
            raise ValueError(f"points must have shape (n, 4) (x, z, Q, PT), got {points.shape}")
    path = Path(path)
    fmt = _fmt(path, fmt)
    total = grid.size if grid is not None else (len(points) if points is not None else int(sample))
    if grid is not None:
        source = {"kind": "grid", "grid": dataclasses.asdict(grid)}
    elif points is not None:
        source = {"kind": "points", "rows": total}
    else:
        source = {"kind": "sample", "events": total, "seed": int(seed), "distribution": "sigma_U"}
    meta = dataset_metadata(xs, domain or Domain(), source)
    columns = dataset_columns()
    if variations is not None:
        from .variations import band_column_names
        columns = columns + band_column_names(xs.layout(variations=variations).variations)
        meta["variations"] = repr(variations)
    t0 = time.perf_counter()
    bar = progress_bar(total, f"dataset -> {path.name}", progress, work=total, unit="row")
    try:
        with DatasetWriter(path, meta, fmt, compression) as w:
            for cols in _points_iter(xs, points, grid, domain, sample, int(chunk_rows), seed, n_threads, variations):
                w.write({c: cols[c] for c in columns})
                if bar is not None:
                    bar.update(len(cols["x"]))
    finally:
        if bar is not None:
            bar.close()
    return {"path": str(path), "rows": w.rows, "format": fmt, "seconds": time.perf_counter() - t0,
            "columns": list(columns)}


def write_columns(path, cols: dict, meta: dict | None = None, fmt: str | None = None) -> Path:
    """Write a dict of equal-length 1-D arrays to Parquet or CSV (by suffix), atomically."""
    with DatasetWriter(path, meta, fmt) as w:
        w.write(cols)
    return Path(path)


# ---------------------------------------------------------------------------------------------- reading
def _batches(path, chunk_rows):
    path = Path(path)
    if _partitioned(path):
        from .distributed import partition_files
        for part in partition_files(path):
            yield from _batches(part, chunk_rows)
        return
    if not path.is_file():
        raise FileNotFoundError(f"dataset not found: {path}")
    import pyarrow as pa
    try:
        if _fmt(path) == "csv":
            import pyarrow.csv as pacsv
            reader = pacsv.open_csv(str(path), read_options=pacsv.ReadOptions(block_size=1 << 24))
            for batch in reader:
                yield batch
        else:
            import pyarrow.parquet as pq
            yield from pq.ParquetFile(str(path)).iter_batches(batch_size=chunk_rows)
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"cannot read dataset {path}: {str(exc).splitlines()[0]}") from None


def _to_numpy(batch) -> dict:
    import pyarrow as pa
    out = {}
    for name, col in zip(batch.schema.names, batch.columns):
        if pa.types.is_dictionary(col.type):
            col = col.cast(pa.string())
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            out[name] = np.array(col.to_pylist(), dtype=str)
        elif pa.types.is_boolean(col.type):
            out[name] = col.to_numpy(zero_copy_only=False).astype(bool)
        else:
            out[name] = col.to_numpy(zero_copy_only=False)
    return out


def iter_dataset(path, chunk_rows: int = CHUNK_ROWS):
    """Yield the dataset at ``path`` as dicts of NumPy arrays of exactly ``chunk_rows`` rows (the last chunk may
    be shorter): bounded memory for any file size."""
    pending, have = [], 0
    for batch in _batches(path, chunk_rows):
        pending.append(_to_numpy(batch))
        have += batch.num_rows
        while have >= chunk_rows:
            merged = {k: np.concatenate([p[k] for p in pending]) for k in pending[0]}
            yield {k: v[:chunk_rows] for k, v in merged.items()}
            rest = {k: v[chunk_rows:] for k, v in merged.items()}
            have -= chunk_rows
            pending = [rest] if have else []
    if have:
        yield {k: np.concatenate([p[k] for p in pending]) for k in pending[0]}


def read_dataset(path) -> dict:
    """The whole dataset at ``path`` as a dict of NumPy arrays (in memory; see :func:`iter_dataset` to stream).
    The ``dominant`` column holds channel names."""
    chunks = list(iter_dataset(path))
    if not chunks:
        raise ValueError(f"dataset {path} has no rows")
    return {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}


# ---------------------------------------------------------------------------------------------- robustness
@dataclass
class CorruptionReport:
    """Truth of an injected corruption: which rows got multiplicative noise, which cells are missing."""

    noisy_rows: np.ndarray       # bool (n,)
    missing: dict                # column -> bool (n,)
    factors: np.ndarray          # (n,) multiplicative factor applied to the sigma columns (1 = untouched)


def _check_fraction(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
        raise ValueError(f"{name} must be in [0, 1], got {v!r}")


def _corrupt_block(block, index, noise_fraction, noise_sigma, missing_fraction, columns, seed):
    """Corrupt one block of CHUNK_ROWS rows with the random stream keyed by (seed, block index)."""
    rng = np.random.default_rng([int(seed), int(index)])
    n = len(block["x"])
    out = {k: np.array(v, copy=True) for k, v in block.items()}
    noisy = rng.random(n) < noise_fraction
    factors = np.ones(n)
    factors[noisy] = np.exp(rng.normal(0.0, noise_sigma, int(noisy.sum())))
    for c in SIGMA_COLUMNS:
        if c in out:
            out[c] = out[c] * factors
    missing = {}
    for c in columns:
        m = rng.random(n) < missing_fraction
        out[c] = out[c].astype(float)
        out[c][m] = np.nan
        missing[c] = m
    return out, noisy, factors, missing


def corrupt(data: dict, noise_fraction: float = 0.05, noise_sigma: float = 0.5, missing_fraction: float = 0.01,
            columns=SIGMA_COLUMNS, seed: int = 0):
    """A corrupted copy of ``data`` (dict of arrays): a ``noise_fraction`` of the rows get all their sigma columns
    multiplied by a log-normal factor exp(N(0, noise_sigma)) (a mis-calibrated measurement), and each cell of
    ``columns`` is set to NaN with probability ``missing_fraction``. Seeded per block of CHUNK_ROWS rows, so a
    file corrupted by :func:`corrupt_file` gets exactly the same corruption. Returns (data, CorruptionReport)."""
    _check_fraction("noise_fraction", noise_fraction)
    _check_fraction("missing_fraction", missing_fraction)
    if not (isinstance(noise_sigma, (int, float)) and 0 <= noise_sigma <= 10):
        raise ValueError(f"noise_sigma must be in [0, 10], got {noise_sigma!r}")
    missing_cols = [c for c in columns if c not in data]
    if missing_cols:
        raise ValueError(f"columns {missing_cols} are not in the data")
    n = len(data["x"])
    parts = [_corrupt_block({k: np.asarray(v)[s:s + CHUNK_ROWS] for k, v in data.items()}, i, noise_fraction,
                            noise_sigma, missing_fraction, columns, seed)
             for i, s in enumerate(range(0, max(n, 1), CHUNK_ROWS))]
    out = {k: np.concatenate([p[0][k] for p in parts]) for k in data}
    rep = CorruptionReport(np.concatenate([p[1] for p in parts]), {c: np.concatenate([p[3][c] for p in parts])
                                                                   for c in columns},
                           np.concatenate([p[2] for p in parts]))
    return out, rep


def corrupt_file(src, dst, noise_fraction=0.05, noise_sigma=0.5, missing_fraction=0.01, seed=0, progress=None):
    """Stream ``src`` through :func:`corrupt` into ``dst`` (atomically), adding the truth columns ``corrupted``
    and ``corruption_factor`` and recording the corruption in the metadata. Returns a summary dict."""
    _check_fraction("noise_fraction", noise_fraction)
    _check_fraction("missing_fraction", missing_fraction)
    if not (isinstance(noise_sigma, (int, float)) and 0 <= noise_sigma <= 10):
        raise ValueError(f"noise_sigma must be in [0, 10], got {noise_sigma!r}")
    meta = dict(read_meta(src))
    meta["corruption"] = {"noise_fraction": noise_fraction, "noise_sigma": noise_sigma,
                          "missing_fraction": missing_fraction, "seed": int(seed), "chunk_rows": CHUNK_ROWS}
    n_noisy = n_missing = rows = 0
    with DatasetWriter(dst, meta) as w:
        for i, block in enumerate(iter_dataset(src)):
            cols = [c for c in SIGMA_COLUMNS if c in block]
            if not cols:
                raise ValueError(f"{src} has no sigma_* columns to corrupt")
            out, noisy, factors, missing = _corrupt_block(block, i, noise_fraction, noise_sigma, missing_fraction,
                                                          cols, seed)
            out["corrupted"] = noisy
            out["corruption_factor"] = factors
            w.write(out)
            n_noisy += int(noisy.sum())
            n_missing += sum(int(m.sum()) for m in missing.values())
            rows += len(noisy)
    if rows == 0:
        raise ValueError(f"{src} has no rows")
    return {"rows": rows, "noisy_rows": n_noisy, "missing_cells": n_missing, "path": str(dst)}


def _refresh_labels(out):
    """Shares and the dominant label (channel names) from the sigma_<channel>_U columns."""
    U = np.stack([out[f"sigma_{c}_U"] for c in CHANNELS])
    for name, share in zip(SHARE_COLUMNS, channel_shares(U)):
        out[name] = share
    out["dominant"] = np.array(DOMINANT_NAMES)[dominant_channel(U)]
    return out


class _Imputer:
    """Fills missing sigma values: ``recompute`` (the exact cross section of the dataset's own CrossSection),
    ``median`` (column medians of the fit rows) or ``knn`` (KNNImputer fitted on the fit rows)."""

    METHODS = ("recompute", "median", "knn")

    def __init__(self, method, xs=None):
        if method not in self.METHODS:
            raise ValueError(f"method must be one of {self.METHODS}, got {method!r}")
        if method == "recompute" and xs is None:
            raise ValueError("method='recompute' needs the CrossSection the dataset was made with")
        self.method, self.xs = method, xs
        self.medians = None
        self.knn = None

    @staticmethod
    def _knn_matrix(d):
        return np.column_stack([d["x"], d["z"], d["Q"], d["PT"]] +
                               [np.log(np.where(d[c] > 0, d[c], np.nan)) for c in SIGMA_COLUMNS])

    def fit(self, sample):
        if self.method == "median":
            self.medians = {c: float(np.nanmedian(sample[c])) for c in SIGMA_COLUMNS}
        elif self.method == "knn":
            from sklearn.impute import KNNImputer
            self.knn = KNNImputer(n_neighbors=5).fit(self._knn_matrix(sample))
        return self

    def transform(self, block):
        out = {k: np.array(v, copy=True) for k, v in block.items()}
        rows = np.zeros(len(out["x"]), dtype=bool)
        for c in SIGMA_COLUMNS:
            rows |= np.isnan(out[c])
        if rows.any():
            if self.method == "recompute":
                fresh = compute_rows(self.xs, out["x"][rows], out["z"][rows], out["Q"][rows], out["PT"][rows])
                for c in SIGMA_COLUMNS:
                    bad = np.isnan(out[c][rows])
                    out[c][np.flatnonzero(rows)[bad]] = fresh[c][bad]
            elif self.method == "median":
                for c in SIGMA_COLUMNS:
                    out[c][np.isnan(out[c])] = self.medians[c]
            else:
                filled = self.knn.transform(self._knn_matrix({k: v[rows] for k, v in out.items()}))
                for k, c in enumerate(SIGMA_COLUMNS):
                    col = out[c][rows]
                    nan = np.isnan(col)
                    col[nan] = np.exp(filled[nan, 4 + k])
                    out[c][rows] = col
        return _refresh_labels(out)


def impute(data: dict, xs: CrossSection | None = None, method: str = "recompute") -> dict:
    """Fill missing sigma values of ``data`` (dict of arrays). ``recompute``: evaluate the exact cross section
    with ``xs`` (the CrossSection the data were made with; see :func:`cross_section_from_meta`); ``median``: the
    column median; ``knn``: scikit-learn's KNNImputer on (x, z, Q, P_T, log sigma). Shares and the dominant label
    are recomputed from the filled values."""
    return _Imputer(method, xs).fit(data).transform(data)


class _Detector:
    """Unsupervised detection of mis-calibrated rows on physically motivated features: the residuals of log sigma
    (total and quark fragmentation) against a smooth fit over (x, z, log Q, P_T/z, P_T/Q) -- gradient boosting with
    an absolute-error loss (robust to the outliers it must expose), cross-fitted on two folds (a row is never
    predicted by the model that saw it) -- scaled robustly; a row is flagged when the outlier model
    ("isolation_forest" or "lof") calls it an outlier AND its largest scaled residual exceeds
    RESIDUAL_THRESHOLD (so clean data keep their rows)."""

    METHODS = ("isolation_forest", "lof")

    def __init__(self, method, contamination, seed, n_neighbors=20):
        if method not in self.METHODS:
            raise ValueError(f"method must be one of {self.METHODS}, got {method!r}")
        if not (contamination == "auto" or (isinstance(contamination, (int, float)) and 0 < contamination <= 0.5)):
            raise ValueError(f"contamination must be 'auto' or in (0, 0.5], got {contamination!r}")
        self.method, self.contamination, self.seed, self.n_neighbors = method, contamination, seed, n_neighbors
        self.models = None
        self.center = self.scale = None
        self.outlier = None

    @staticmethod
    def usable(d):
        ok = np.ones(len(d["x"]), dtype=bool)
        for c in CHANNELS:
            v = np.asarray(d[f"sigma_{c}_U"], dtype=float)
            ok &= np.isfinite(v) & (v > 0)
        return ok

    @staticmethod
    def _inputs(d):
        K = np.column_stack([d["x"], d["z"], np.log(d["Q"]), d["PT"] / d["z"], d["PT"] / d["Q"]])
        T = np.column_stack([np.log(sum(d[f"sigma_{c}_U"] for c in CHANNELS)), np.log(d["sigma_ff_U"])])
        return K, T

    @staticmethod
    def fold(d):
        """Fold of each row: a hash of its kinematics (the same for a row wherever it sits in the file)."""
        h = np.round(np.column_stack([d["x"], d["z"], d["Q"], d["PT"]]) * 1e9).astype(np.int64)
        return ((h * np.array([73856093, 19349663, 83492791, 2654435761])).sum(axis=1) & 1).astype(bool)

    def _residuals(self, d):
        K, T = self._inputs(d)
        f = self.fold(d)
        R = np.empty_like(T)
        for j in range(T.shape[1]):
            for side in (True, False):
                rows = f == side
                if rows.any():
                    R[rows, j] = T[rows, j] - self.models[j][not side].predict(K[rows])
        return R

    def fit(self, sample):
        from sklearn.ensemble import HistGradientBoostingRegressor, IsolationForest
        from sklearn.neighbors import LocalOutlierFactor
        d = {k: np.asarray(v)[self.usable(sample)] for k, v in sample.items()}
        if len(d["x"]) < 100:
            raise ValueError(f"too few usable rows ({len(d['x'])}) to fit the detector (need >= 100)")
        K, T = self._inputs(d)
        f = self.fold(d)
        self.models = []
        for j in range(T.shape[1]):
            pair = {}
            for side in (True, False):
                rows = f == side
                pair[side] = HistGradientBoostingRegressor(loss="absolute_error", max_iter=200, learning_rate=0.2,
                                                           max_leaf_nodes=63, random_state=self.seed).fit(K[rows],
                                                                                                          T[rows, j])
            self.models.append(pair)
        R = self._residuals(d)
        self.center = np.median(R, axis=0)
        self.scale = 1.4826 * np.median(np.abs(R - self.center), axis=0) + 1e-12
        Z = (R - self.center) / self.scale
        if self.method == "isolation_forest":
            self.outlier = IsolationForest(n_estimators=100, contamination=self.contamination,
                                           random_state=self.seed).fit(Z)
        else:
            self.outlier = LocalOutlierFactor(n_neighbors=self.n_neighbors, contamination=self.contamination,
                                              novelty=True).fit(Z)
        return self

    def flags(self, block):
        """(flags, usable) for a block: flagged rows among the usable ones."""
        ok = self.usable(block)
        flags = np.zeros(len(ok), dtype=bool)
        if ok.any():
            d = {k: np.asarray(v)[ok] for k, v in block.items()}
            Z = (self._residuals(d) - self.center) / self.scale
            flags[ok] = (self.outlier.predict(Z) == -1) & (np.abs(Z).max(axis=1) > RESIDUAL_THRESHOLD)
        return flags, ok


class _RecomputeDetector:
    """Exact detection when the dataset's CrossSection is known: a row is flagged when any sigma value differs
    from the kernels' value at its (x, z, Q, P_T) by more than RECOMPUTE_RTOL (relative)."""

    method = "recompute"

    def __init__(self, xs):
        if xs is None:
            raise ValueError("detect='recompute' needs the CrossSection the dataset was made with (metadata)")
        self.xs = xs

    def fit(self, sample):
        return self

    def flags(self, block):
        fresh = compute_rows(self.xs, *(np.asarray(block[c], dtype=float) for c in ("x", "z", "Q", "PT")))
        flags = np.zeros(len(block["x"]), dtype=bool)
        checked = np.zeros(len(block["x"]), dtype=bool)      # rows where a corruption can show (some sigma != 0)
        for c in SIGMA_COLUMNS:
            if c in block:
                v, ref = np.asarray(block[c], dtype=float), fresh[c]
                flags |= ~(np.abs(v - ref) <= RECOMPUTE_RTOL * np.abs(ref))
                checked |= ref != 0
        return flags, checked


class _Score:
    """Counts for precision and recall against the injected truth (None where undefined)."""

    def __init__(self):
        self.tp = self.flagged = self.positives = self.large = self.large_hit = self.checked = 0

    def add(self, flags, usable, truth, factors):
        self.flagged += int(flags.sum())
        self.checked += int(usable.sum())
        if truth is not None:
            t = truth & usable
            self.tp += int((flags & t).sum())
            self.positives += int(t.sum())
            big = t & (np.abs(np.log(factors)) > np.log(LARGE_FACTOR))
            self.large += int(big.sum())
            self.large_hit += int((flags & big).sum())

    def report(self, with_truth):
        rep = {"rows_checked": self.checked, "flagged": self.flagged}
        if with_truth:
            rep["precision"] = self.tp / self.flagged if self.flagged else None
            rep["recall"] = self.tp / self.positives if self.positives else None
            rep["recall_large"] = self.large_hit / self.large if self.large else None
            rep["corrupted_rows"] = self.positives
        return rep


DETECT_METHODS = ("recompute",) + _Detector.METHODS


def _detector(method, contamination, seed, xs, n_neighbors=20):
    if method == "recompute":
        return _RecomputeDetector(xs)
    return _Detector(method, contamination, seed, n_neighbors)


def detect_corrupted(data: dict, truth: CorruptionReport | None = None, method: str = "isolation_forest",
                     contamination="auto", seed: int = 0, n_neighbors: int = 20, xs: CrossSection | None = None
                     ) -> dict:
    """Flag corrupted rows of ``data``: ``method="recompute"`` compares every row with the exact cross sections of
    ``xs`` (the dataset's own CrossSection; exact detection), "isolation_forest" or "lof" detect them without
    knowing the model (see :class:`_Detector`; rows where a channel is zero or missing are not checked). With
    ``truth`` (from :func:`corrupt`) the report holds the precision and recall of the flags against the injected
    noisy rows, and the recall for factors beyond LARGE_FACTOR either way (None where a ratio is undefined: no
    flagged rows, no corrupted rows)."""
    if method not in DETECT_METHODS:
        raise ValueError(f"method must be one of {DETECT_METHODS}, got {method!r}")
    det = _detector(method, contamination, seed, xs, n_neighbors).fit(_fit_sample(data, seed))
    flags, ok = det.flags(data)
    score = _Score()
    score.add(flags, ok, None if truth is None else truth.noisy_rows, None if truth is None else truth.factors)
    rep = score.report(truth is not None)
    rep.update(method=method, flags=flags)
    return rep


def _count_rows(path):
    if _fmt(path) == "parquet" and Path(path).is_file():
        import pyarrow.parquet as pq
        return pq.ParquetFile(str(path)).metadata.num_rows
    return sum(len(b["x"]) for b in iter_dataset(path, CHUNK_ROWS))


def _fit_sample(data, seed, limit=FIT_ROWS):
    n = len(data["x"])
    if n <= limit:
        return data
    idx = np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))
    return {k: np.asarray(v)[idx] for k, v in data.items()}


def clean_file(src, dst, impute_method="recompute", detect_method="auto", contamination="auto",
               seed=0, xs: CrossSection | None = None, progress=None) -> dict:
    """Stream ``src`` into ``dst`` (atomically): impute missing sigma values (``recompute`` uses the dataset's own
    Params and PDF from its metadata -- refused when absent -- unless ``xs`` is given), flag corrupted rows
    (``detect_method``: "recompute" = exact comparison with the dataset's own cross sections, "isolation_forest"
    or "lof" = unsupervised; "auto" = recompute when the metadata allow it) and drop them; the truth columns of
    :func:`corrupt_file` are used for the report and dropped. Two passes over ``src``: the models are fitted on a
    seeded sample of at most FIT_ROWS rows (bounded memory), then every block is cleaned. Returns the report
    (precision/recall None where undefined)."""
    meta = read_meta(src)
    if detect_method == "auto":
        detect_method = "recompute" if meta.get("params") and isinstance(meta.get("pdf"), dict) else \
            "isolation_forest"
    if detect_method not in DETECT_METHODS:
        raise ValueError(f"detect_method must be 'auto' or one of {DETECT_METHODS}, got {detect_method!r}")
    if xs is None and "recompute" in (impute_method, detect_method):
        xs = cross_section_from_meta(meta)
    imputer = _Imputer(impute_method, xs)
    total = _count_rows(src)
    if total == 0:
        raise ValueError(f"{src} has no rows")
    rng = np.random.default_rng(seed)
    keep_p = min(1.0, FIT_ROWS / total)
    parts = []
    for block in iter_dataset(src, CHUNK_ROWS):                  # pass 1: the fit sample
        pick = rng.random(len(block["x"])) < keep_p
        parts.append({k: v[pick] for k, v in block.items()})
    sample = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    imputer.fit(sample)
    det = _detector(detect_method, contamination, seed, xs).fit(imputer.transform(sample))
    score = _Score()
    has_truth = "corrupted" in sample
    out_meta = dict(meta)
    out_meta["cleaning"] = {"impute": impute_method, "detect": detect_method, "contamination": contamination,
                            "seed": int(seed), "residual_threshold": RESIDUAL_THRESHOLD}
    bar = progress_bar(total, f"clean -> {Path(dst).name}", progress, work=total, unit="row")
    try:
        with DatasetWriter(dst, out_meta) as w:
            for block in iter_dataset(src, CHUNK_ROWS):            # pass 2: impute, flag, write
                truth = np.asarray(block.pop("corrupted"), dtype=bool) if "corrupted" in block else None
                factors = np.asarray(block.pop("corruption_factor", np.ones(len(block["x"]))), dtype=float)
                filled = imputer.transform(block)
                flags, ok = det.flags(filled)
                score.add(flags, ok, truth, factors)
                w.write({k: v[~flags] for k, v in filled.items()})
                if bar is not None:
                    bar.update(len(flags))
    finally:
        if bar is not None:
            bar.close()
    rep = score.report(has_truth)
    rep.update(rows=total, written=total - score.flagged, impute=impute_method, method=detect_method)
    return rep
