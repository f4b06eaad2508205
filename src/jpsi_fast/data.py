"""Datasets for machine learning: grids or samples of (x, z, Q, P_T) with every channel x state, channel shares
and the dominant mechanism, streamed in chunks to Parquet or CSV (bounded memory for 10^8 rows); and robustness
tools — inject multiplicative noise and missing values (seeded), impute and clean, detect corrupted rows with an
unsupervised model and report its precision and recall against the injected truth.

Columns: x, z, Q [GeV], PT [GeV], y, in_cuts, sigma_<channel>_<state> [pb/GeV^4] (dsigma/(dx dQ^2 dz dP_T^2)),
share_<channel> (share of sigma_U), dominant (channel name, "none" where sigma_U = 0).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._progress import progress_bar
from .components import CHANNELS, STATES, Layout, channel_shares, dominant_channel
from .integrate import Domain, Integrator
from .xsec import CrossSection

__all__ = ["GridSpec", "dataset_columns", "compute_rows", "write_dataset", "read_dataset", "write_columns",
           "corrupt", "impute", "detect_corrupted", "CorruptionReport", "UNITS"]

#: one column per component of the full layout: sigma_<channel>_<state>
LAYOUT = Layout()
SIGMA_COLUMNS = tuple("sigma_" + name.replace(":", "_") for name in LAYOUT.names)
SHARE_COLUMNS = tuple(f"share_{c}" for c in CHANNELS)
UNITS = {"x": "", "z": "", "Q": "GeV", "PT": "GeV", "y": "", "in_cuts": "",
         **{c: "pb/GeV^4" for c in SIGMA_COLUMNS}, **{c: "" for c in SHARE_COLUMNS}, "dominant": ""}
DOMINANT_NAMES = CHANNELS + ("none",)


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

    def axes(self):
        out = []
        for name in ("x", "z", "Q", "PT"):
            lo, hi, n = getattr(self, name)
            if int(n) != n or n < 1:
                raise ValueError(f"GridSpec.{name}: the number of points must be a positive integer, got {n!r}")
            out.append(np.linspace(lo, hi, int(n)))
        return out

    @property
    def size(self) -> int:
        return int(np.prod([getattr(self, a)[2] for a in ("x", "z", "Q", "PT")]))

    @classmethod
    def from_domain(cls, domain: Domain, n=(25, 25, 25, 75)):
        return cls(*(tuple(b) + (k,) for b, k in zip(domain.bounds, n)))


def compute_rows(xs: CrossSection, x, z, Q, PT, domain: Domain | None = None, n_threads=None) -> dict:
    """All dataset columns for points (x, z, Q, P_T) (1-D arrays): one kernel pass, every channel x state."""
    r = xs.evaluate(x, z, Q, PT, channels=LAYOUT.channels, states=LAYOUT.states, n_threads=n_threads)
    v = r.values                                            # (channels, states, n)
    domain = domain or Domain()
    cols = {"x": x, "z": z, "Q": Q, "PT": PT, "y": domain.inelasticity(x, Q, xs.params)}
    cols["in_cuts"] = domain.contains(x, z, Q, PT, xs.params)
    for name, col in zip(SIGMA_COLUMNS, v.reshape(len(SIGMA_COLUMNS), -1)):
        cols[name] = col
    U = v[:, LAYOUT.states.index("U")]
    for name, share in zip(SHARE_COLUMNS, channel_shares(U)):
        cols[name] = share
    dom = dominant_channel(U)
    cols["dominant"] = np.where(dom < 0, len(CHANNELS), dom).astype(np.int8)   # index into DOMINANT_NAMES
    return cols


def _grid_chunk(axes, start, stop):
    idx = np.arange(start, stop)
    shape = [len(a) for a in axes]
    sub = np.unravel_index(idx, shape)
    return [a[i] for a, i in zip(axes, sub)]


def _points_iter(xs, points, grid, domain, sample, chunk_rows, seed, n_threads):
    """Yield column dicts chunk by chunk for a grid, explicit points or sigma-weighted samples."""
    if grid is not None:
        axes = grid.axes()
        n = grid.size
        for start in range(0, n, chunk_rows):
            yield compute_rows(xs, *_grid_chunk(axes, start, min(n, start + chunk_rows)), domain, n_threads)
    elif points is not None:
        P = np.asarray(points, dtype=float)
        for start in range(0, len(P), chunk_rows):
            yield compute_rows(xs, *P[start:start + chunk_rows].T, domain, n_threads)
    else:                                                   # one event stream, cut into chunks
        integ = Integrator(domain or Domain(), seed=seed, n_threads=n_threads)
        for ev in integ.iter_events(xs, int(sample), chunk_rows, progress=False):
            yield compute_rows(xs, ev.x, ev.z, ev.Q, ev.PT, domain, n_threads)


def _arrow_table(cols):
    import pyarrow as pa
    arrays, names = [], []
    for name in dataset_columns():
        v = cols[name]
        if name == "dominant":
            arrays.append(pa.DictionaryArray.from_arrays(pa.array(v, type=pa.int8()), pa.array(DOMINANT_NAMES)))
        else:
            arrays.append(pa.array(v))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def _metadata(xs, extra):
    meta = {"units": UNITS, "quantity": "dsigma/(dx dQ^2 dz dP_T^2) of e p -> e J/psi X",
            "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(xs.params).items()},
            "pdf": xs.pdf.name, "channels": list(CHANNELS), "states": list(STATES)}
    meta.update(extra)
    return meta


def write_dataset(path, xs: CrossSection, grid: GridSpec | None = None, points=None, sample: int | None = None,
                  domain: Domain | None = None, fmt: str | None = None, chunk_rows: int = 1 << 20, seed: int = 0,
                  n_threads=None, compression: str = "snappy", progress=None) -> dict:
    """Stream a dataset to ``path`` (Parquet by default, or CSV by suffix / ``fmt``) chunk by chunk.

    Exactly one source: ``grid`` (a :class:`GridSpec`; default the earlier study's 25 x 25 x 25 x 75 when
    nothing is given), ``points`` (an (n, 4) array) or ``sample`` (that many sigma_U-weighted events in
    ``domain``). Memory stays bounded by ``chunk_rows`` rows. Parquet files carry the units and parameters in
    their schema metadata; CSV files get a ``<path>.meta.json`` sidecar. Returns a summary dict (rows, seconds).
    """
    if sum(v is not None for v in (grid, points, sample)) > 1:
        raise ValueError("give exactly one of grid, points, sample")
    if grid is None and points is None and sample is None:
        grid = GridSpec()
    if int(chunk_rows) != chunk_rows or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    if sample is not None and (int(sample) != sample or sample < 1):
        raise ValueError(f"sample must be a positive integer, got {sample!r}")
    path = Path(path)
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "parquet")
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be 'parquet' or 'csv', got {fmt!r}")
    total = grid.size if grid is not None else (len(points) if points is not None else int(sample))
    meta = _metadata(xs, {"source": "grid" if grid is not None else "points" if points is not None else "sample",
                          "rows": total})
    t0 = time.perf_counter()
    bar = progress_bar(total, f"dataset -> {path.name}", progress, work=total, unit="row")
    rows = 0
    if fmt == "parquet":
        import pyarrow.parquet as pq
        writer = None
        try:
            for cols in _points_iter(xs, points, grid, domain, sample, int(chunk_rows), seed, n_threads):
                table = _arrow_table(cols)
                if writer is None:
                    schema = table.schema.with_metadata({"jpsi_fast": json.dumps(meta)})
                    writer = pq.ParquetWriter(str(path), schema, compression=compression)
                writer.write_table(table.replace_schema_metadata(schema.metadata))
                rows += table.num_rows
                if bar is not None:
                    bar.update(table.num_rows)
        finally:
            if writer is not None:
                writer.close()
    else:
        with open(path, "w") as fh:
            fh.write(",".join(dataset_columns()) + "\n")
            for cols in _points_iter(xs, points, grid, domain, sample, int(chunk_rows), seed, n_threads):
                n = len(cols["x"])
                block = np.column_stack([cols[c].astype(float) if c not in ("in_cuts", "dominant") else cols[c]
                                         for c in dataset_columns()[:-1]])
                names = np.array(DOMINANT_NAMES)[cols["dominant"]]
                lines = [",".join(f"{v:.10g}" for v in row) + "," + d for row, d in zip(block, names)]
                fh.write("\n".join(lines) + "\n")
                rows += n
                if bar is not None:
                    bar.update(n)
        Path(str(path) + ".meta.json").write_text(json.dumps(meta, indent=1))
    if bar is not None:
        bar.close()
    return {"path": str(path), "rows": rows, "format": fmt, "seconds": time.perf_counter() - t0,
            "columns": list(dataset_columns())}


def write_columns(path, cols: dict, meta: dict | None = None, fmt: str | None = None) -> Path:
    """Write a dict of equal-length 1-D arrays (e.g. a cleaned dataset) to Parquet or CSV (by suffix)."""
    path = Path(path)
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "parquet")
    names = list(cols)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq
        table = pa.Table.from_arrays([pa.array(np.asarray(cols[n])) for n in names], names=names)
        if meta:
            table = table.replace_schema_metadata({"jpsi_fast": json.dumps(meta)})
        pq.write_table(table, str(path))
    elif fmt == "csv":
        with open(path, "w") as fh:
            fh.write(",".join(names) + "\n")
            arrs = [np.asarray(cols[n]) for n in names]
            for i in range(len(arrs[0])):
                fh.write(",".join(f"{a[i]:.10g}" if a.dtype.kind == "f" else str(a[i]) for a in arrs) + "\n")
        if meta:
            Path(str(path) + ".meta.json").write_text(json.dumps(meta, indent=1))
    else:
        raise ValueError(f"fmt must be 'parquet' or 'csv', got {fmt!r}")
    return path


def read_dataset(path) -> dict:
    """Read a dataset written by :func:`write_dataset` into a dict of NumPy arrays (dominant as names)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        import csv
        with open(path) as fh:
            rd = csv.reader(fh)
            header = next(rd)
            rows = list(rd)
        cols = {h: [r[i] for r in rows] for i, h in enumerate(header)}
        out = {}
        for h, v in cols.items():
            if v and v[0] in ("True", "False"):
                out[h] = np.array([t == "True" for t in v])
                continue
            try:
                out[h] = np.array(v, dtype=float)
            except ValueError:                     # text columns (dominant, channel, state)
                out[h] = np.array(v)
        if "in_cuts" in out and out["in_cuts"].dtype != bool:
            out["in_cuts"] = out["in_cuts"].astype(bool)
        return out
    import pyarrow.parquet as pq
    t = pq.read_table(str(path))
    out = {}
    for name in t.column_names:
        col = t.column(name)
        out[name] = np.array(col.to_pylist()) if name == "dominant" else col.to_numpy()
    return out


# ---------------------------------------------------------------------------------------------- robustness
@dataclass
class CorruptionReport:
    """Truth of an injected corruption: which rows got multiplicative noise, which cells are missing."""

    noisy_rows: np.ndarray       # bool (n,)
    missing: dict                # column -> bool (n,)
    factors: np.ndarray          # (n,) multiplicative factor applied to the sigma columns (1 = untouched)


def corrupt(data: dict, noise_fraction: float = 0.05, noise_sigma: float = 0.5, missing_fraction: float = 0.01,
            columns=SIGMA_COLUMNS, seed: int = 0):
    """A corrupted copy of ``data`` (dict of arrays): a ``noise_fraction`` of the rows get all their sigma columns
    multiplied by a log-normal factor exp(N(0, noise_sigma)) (a mis-calibrated measurement), and each cell of
    ``columns`` is set to NaN with probability ``missing_fraction``. Seeded. Returns (data, CorruptionReport)."""
    for name, v in (("noise_fraction", noise_fraction), ("missing_fraction", missing_fraction)):
        if not 0 <= v <= 1:
            raise ValueError(f"{name} must be in [0, 1], got {v!r}")
    if not noise_sigma >= 0:
        raise ValueError(f"noise_sigma must be >= 0, got {noise_sigma!r}")
    rng = np.random.default_rng(seed)
    n = len(data["x"])
    out = {k: np.array(v, copy=True) for k, v in data.items()}
    noisy = rng.random(n) < noise_fraction
    factors = np.ones(n)
    factors[noisy] = np.exp(rng.normal(0.0, noise_sigma, int(noisy.sum())))
    for c in SIGMA_COLUMNS:
        out[c] = out[c] * factors
    missing = {}
    for c in columns:
        m = rng.random(n) < missing_fraction
        out[c][m] = np.nan
        missing[c] = m
    return out, CorruptionReport(noisy, missing, factors)


def impute(data: dict, xs: CrossSection | None = None, method: str = "recompute") -> dict:
    """Fill missing sigma values. ``recompute``: evaluate the exact cross section at the row's (x, z, Q, P_T)
    (needs ``xs``); ``median``: the column median; ``knn``: scikit-learn's KNNImputer on (x, z, Q, P_T, log sigma).
    Shares and the dominant label (channel names) are recomputed from the filled values."""
    out = {k: np.array(v, copy=True) for k, v in data.items()}
    rows = np.zeros(len(out["x"]), dtype=bool)
    for c in SIGMA_COLUMNS:
        rows |= np.isnan(out[c])
    if method == "recompute":
        if xs is None:
            raise ValueError("method='recompute' needs the CrossSection xs")
        if rows.any():
            fresh = compute_rows(xs, out["x"][rows], out["z"][rows], out["Q"][rows], out["PT"][rows])
            for c in SIGMA_COLUMNS:
                bad = np.isnan(out[c][rows])
                out[c][np.flatnonzero(rows)[bad]] = fresh[c][bad]
    elif method == "median":
        for c in SIGMA_COLUMNS:
            m = np.isnan(out[c])
            out[c][m] = np.nanmedian(out[c])
    elif method == "knn":
        from sklearn.impute import KNNImputer
        M = np.column_stack([out["x"], out["z"], out["Q"], out["PT"]] +
                            [np.log(np.where(out[c] > 0, out[c], np.nan)) for c in SIGMA_COLUMNS])
        zero = {c: out[c] == 0 for c in SIGMA_COLUMNS}
        filled = KNNImputer(n_neighbors=5).fit_transform(M)
        for k, c in enumerate(SIGMA_COLUMNS):
            was_nan = np.isnan(out[c])
            out[c] = np.where(was_nan, np.exp(filled[:, 4 + k]), out[c])
            out[c][zero[c] & ~was_nan] = 0.0
    else:
        raise ValueError(f"method must be 'recompute', 'median' or 'knn', got {method!r}")
    U = np.stack([out[f"sigma_{c}_U"] for c in CHANNELS])
    shares = channel_shares(U)
    for k, c in enumerate(CHANNELS):
        out[f"share_{c}"] = shares[k]
    out["dominant"] = np.array(DOMINANT_NAMES)[dominant_channel(U)]
    return out


def _detection_features(data, seed=0, max_fit_rows=100_000):
    """Physically motivated features for the detector: the residuals of log sigma (total and quark fragmentation) with
    respect to a smooth fit of log sigma over the kinematics (x, z, log Q, P_T/z, P_T/Q), the fit being a
    gradient-boosting regression with an absolute-error loss (robust to the outliers it must expose) and
    cross-fitted on two halves (a row is never predicted by a model that saw it). A mis-calibrated row moves all
    its channels off the smooth surface by the same factor: the residuals line up."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    K = np.column_stack([data["x"], data["z"], np.log(data["Q"]), data["PT"] / data["z"], data["PT"] / data["Q"]])
    # the total and the quark-fragmentation channel (whose x, z dependence differs from the PGF channels')
    targets = [np.log(sum(data[f"sigma_{c}_U"] for c in CHANNELS)), np.log(data["sigma_ff_U"])]
    rng = np.random.default_rng(seed)
    fold = rng.random(len(K)) < 0.5
    R = np.empty((len(K), len(targets)))
    for j, t in enumerate(targets):
        for f in (True, False):
            train = np.flatnonzero(fold == f)
            if len(train) > max_fit_rows:
                train = rng.choice(train, max_fit_rows, replace=False)
            model = HistGradientBoostingRegressor(loss="absolute_error", max_iter=200, learning_rate=0.2,
                                                  max_leaf_nodes=63, random_state=seed)
            model.fit(K[train], t[train])
            test = fold != f
            R[test, j] = t[test] - model.predict(K[test])
    return R


def detect_corrupted(data: dict, truth: CorruptionReport | None = None, method: str = "isolation_forest",
                     contamination="auto", seed: int = 0, n_neighbors: int = 20) -> dict:
    """Flag corrupted rows with an unsupervised model ("isolation_forest" or "lof" = LocalOutlierFactor) on
    physically motivated features: the residuals of log sigma (total and per channel) against a robust smooth fit
    over the kinematics (:func:`_detection_features`). Rows where a channel is zero (outside the cuts) or missing
    are not checked. With ``truth`` (from :func:`corrupt`) the report holds the precision and recall of the
    flags against the injected noisy rows (and the recall for factors beyond 1.5 either way)."""
    from sklearn.ensemble import IsolationForest
    from sklearn.neighbors import LocalOutlierFactor
    if method not in ("isolation_forest", "lof"):
        raise ValueError(f"method must be 'isolation_forest' or 'lof', got {method!r}")
    usable = np.ones(len(data["x"]), dtype=bool)
    for c in CHANNELS:
        v = np.asarray(data[f"sigma_{c}_U"], dtype=float)
        usable &= np.isfinite(v) & (v > 0)
    sub = {k: np.asarray(v)[usable] for k, v in data.items() if k != "dominant"}
    R = _detection_features(sub, seed=seed)
    R = R / (1.4826 * np.median(np.abs(R - np.median(R, axis=0)), axis=0) + 1e-12)   # robust scale
    if method == "isolation_forest":
        flags_u = IsolationForest(n_estimators=100, contamination=contamination,
                                  random_state=seed).fit_predict(R) == -1
    else:
        # novelty mode: neighbours from a subsample of at most 20k rows, every row scored against it
        rng = np.random.default_rng(seed)
        fit_rows = rng.choice(len(R), min(len(R), 20_000), replace=False)
        lof = LocalOutlierFactor(n_neighbors=n_neighbors, contamination=contamination, novelty=True)
        flags_u = lof.fit(R[fit_rows]).predict(R) == -1
    flags = np.zeros(len(usable), dtype=bool)
    flags[usable] = flags_u
    report = {"method": method, "rows_checked": int(usable.sum()), "flagged": int(flags.sum()), "flags": flags}
    if truth is not None:
        t = truth.noisy_rows & usable
        tp = int((flags & t).sum())
        report["precision"] = tp / max(int(flags.sum()), 1)
        report["recall"] = tp / max(int(t.sum()), 1)
        big = t & (np.abs(np.log(truth.factors)) > np.log(1.5))
        report["recall_large"] = int((flags & big).sum()) / max(int(big.sum()), 1)
    return report
