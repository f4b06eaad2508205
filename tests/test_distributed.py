"""Scale-out (jpsi_fast.distributed): scans, partitioned datasets and chunked events give the same bits serially,
in local process pools and on a real Dask LocalCluster (processes); resume after an interrupted write; a killed
worker changes nothing."""
import filecmp
import functools
import json
import os
import signal
import threading
import time

import numpy as np
import pytest

import jpsi_fast as jf
from jpsi_fast import data
from jpsi_fast import distributed as jd

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

SMALL = functools.partial(jd.integrate_point, neval=20_000, nitn=3, warmup=2)
GRID = {"beams": ["18x275", "5x41"], "ldme_set": ["chao2012", "bckl2014"], "kt2_pdf": [0.2, 0.3]}


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=50) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def serial_scan():
    return jd.scan(SMALL, GRID, seed=5)


# ------------------------------------------------------------------------------------------------ identity
def test_task_seed_depends_on_seed_and_point_only():
    k1, k2 = jd.task_key({"a": 1, "b": (1, 2)}), jd.task_key({"b": [1, 2], "a": 1})
    assert k1 == k2                                        # canonical: key order and tuple/list do not matter
    assert jd.task_seed(0, k1) == jd.task_seed(0, k2)
    assert jd.task_seed(0, k1) != jd.task_seed(1, k1)
    assert jd.task_seed(0, k1) != jd.task_seed(0, jd.task_key({"a": 2, "b": [1, 2]}))
    assert 0 <= jd.task_seed(2 ** 63 - 1, k1) < 2 ** 63
    with pytest.raises(ValueError, match="seed"):
        jd.task_seed(-1, k1)


def test_scan_points_product_order_and_errors():
    pts = jd.scan_points({"a": [1, 2], "b": "x", "c": [3, 4]})
    assert pts == [{"a": 1, "b": "x", "c": 3}, {"a": 1, "b": "x", "c": 4}, {"a": 2, "b": "x", "c": 3},
                   {"a": 2, "b": "x", "c": 4}]
    assert jd.scan_points(pd.DataFrame({"a": [1, 2]})) == [{"a": 1}, {"a": 2}]
    with pytest.raises(ValueError, match="more than once"):
        jd.scan_points([{"a": 1}, {"a": 1}])
    with pytest.raises(ValueError, match="no values"):
        jd.scan_points({"a": []})
    with pytest.raises(TypeError, match="grid"):
        jd.scan_points(3)
    with pytest.raises(TypeError, match="dicts"):
        jd.scan_points([1, 2])


def test_scan_checks_its_arguments():
    with pytest.raises(TypeError, match="callable"):
        jd.scan(3, GRID)
    with pytest.raises(ValueError, match="not both"):
        jd.scan(SMALL, GRID, client=object(), workers=2)
    with pytest.raises(TypeError, match="Client"):
        jd.scan(SMALL, GRID, client=object())
    with pytest.raises(ValueError, match="workers"):
        jd.scan(SMALL, GRID, workers=0)
    with pytest.raises(ValueError, match="also names"):
        jd.scan(_returns_point_name, {"a": [1]})
    with pytest.raises(ValueError, match="unknown key 'nope'"):
        jd.scan(SMALL, {"nope": [1]})


def _returns_point_name(point, seed):
    return {"a": 1}


def _heavy(point, seed, n_threads=None):
    """A scan task with a heavy output: a histogram object and an array."""
    xs, domain = jd.setup_point(point)
    h = jf.Integrator(domain, seed=seed, n_threads=n_threads).histogram(xs, nitn=2, neval=5000, warmup=1,
                                                                       pt_edges=[0.0, 1.0, 3.0])
    values = h.total()[0]
    return {"sigma": float(values.sum()), "histogram": h, "values": values}


def test_scan_keeps_heavy_outputs_addressable():
    df = jd.scan(_heavy, {"beams": ["18x275", "5x41"]}, seed=1, n_threads=1)
    assert list(df.columns) == ["beams", "seed", "sigma", "histogram", "values"]
    assert df["sigma"].dtype == float and df["histogram"].dtype == object
    assert isinstance(df.at[1, "histogram"], jf.Histogram)
    assert df.at[1, "sigma"] == pytest.approx(float(df.at[1, "values"].sum()), rel=1e-12)
    assert len(df.attrs["task_seconds"]) == 2 and df.attrs["wall_seconds"] > 0


# ------------------------------------------------------------------------------------------------ bit-identical
def test_scan_serial_equals_process_pools(serial_scan):
    df = serial_scan
    assert len(df) == 8 and list(df.columns[:4]) == ["beams", "ldme_set", "kt2_pdf", "seed"]
    assert np.all(df["sigma_U"] > 0) and np.all(df["sigma_U_error"] < 1e-2 * df["sigma_U"])
    assert df["seed"].nunique() == 8
    for workers in (2, 4):
        other = jd.scan(SMALL, GRID, seed=5, workers=workers, n_threads=1)
        pd.testing.assert_frame_equal(df, other, check_exact=True)
    # the seed is part of the result: another base seed gives other Monte Carlo numbers
    assert not jd.scan(SMALL, [dict(beams="18x275", ldme_set="chao2012", kt2_pdf=0.2)], seed=6)["sigma_U"].iloc[0] \
        == df["sigma_U"].iloc[0]


def test_scan_on_dask_equals_serial(client, serial_scan):
    df = jd.scan(SMALL, GRID, seed=5, client=client)
    pd.testing.assert_frame_equal(serial_scan, df, check_exact=True)
    # the rows follow the grid, whatever order the tasks finished in; a subset scan gives the same rows
    sub = jd.scan(SMALL, jd.scan_points(GRID)[3:5], seed=5, client=client)
    pd.testing.assert_frame_equal(serial_scan.iloc[3:5].reset_index(drop=True), sub, check_exact=True)


def _kill_a_busy_worker(client, killed):
    """In a thread: wait until a worker of ``client`` runs a task, then SIGKILL its process (recorded in
    ``killed``: pid and the number of tasks it was processing)."""
    pids = client.run(os.getpid)

    def kill():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            processing = client.processing()
            victim = next((w for w in sorted(pids) if processing.get(w)), None)
            if victim is not None:
                time.sleep(0.2)
                killed["running"] = len(client.processing().get(victim, ()))
                killed["pid"] = pids[victim]
                os.kill(pids[victim], signal.SIGKILL)
                return
            time.sleep(0.02)

    t = threading.Thread(target=kill)
    t.start()
    return t


def _cluster():
    distributed = pytest.importorskip("distributed")
    return distributed, distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                 dashboard_address=":0", silence_logs=50)


def test_a_killed_worker_changes_nothing():
    """Kill one worker process of a LocalCluster while the scan runs: Dask reruns its tasks elsewhere (they are
    idempotent), and the result is the serial one -- nothing lost, nothing duplicated."""
    slow = functools.partial(jd.integrate_point, neval=300_000, nitn=4, warmup=2)
    grid = {"beams": ["18x275", "10x100", "5x41"], "kt2_pdf": [0.2, 0.25, 0.3]}
    expected = jd.scan(slow, grid, seed=3, n_threads=1)
    killed = {}
    distributed, cluster = _cluster()
    with cluster, distributed.Client(cluster) as c:
        t = _kill_a_busy_worker(c, killed)
        df = jd.scan(slow, grid, seed=3, client=c)
        t.join()
    assert killed.get("pid") and killed["running"] >= 1          # a worker died with a task assigned to it
    pd.testing.assert_frame_equal(expected, df, check_exact=True)


def test_a_killed_worker_leaves_the_dataset_intact(tmp_path):
    """The same while partitions are written: the partitions, _metadata and the rows equal a serial write."""
    xs = jf.CrossSection()
    grid = data.GridSpec(x=(0.1, 0.9, 20), z=(0.1, 0.8, 20), Q=(10.0, 50.0, 20), PT=(0.0, 6.0, 300))
    data.write_dataset(tmp_path / "serial", xs, grid=grid, workers=1, partition_rows=400_000, n_threads=1)
    killed = {}
    distributed, cluster = _cluster()
    with cluster, distributed.Client(cluster) as c:
        t = _kill_a_busy_worker(c, killed)
        s = data.write_dataset(tmp_path / "dask", xs, grid=grid, client=c, partition_rows=400_000, n_threads=1)
        t.join()
    assert killed.get("pid") and killed["running"] >= 1
    assert s["partitions"] == 6 and s["written"] == 6
    assert _parts(tmp_path / "serial") == _parts(tmp_path / "dask")
    assert (tmp_path / "serial" / "_metadata").read_bytes() == (tmp_path / "dask" / "_metadata").read_bytes()
    assert not list((tmp_path / "dask").glob(".*.tmp"))


# ------------------------------------------------------------------------------------------------ partitioned data
SMALL_GRID = data.GridSpec(x=(0.1, 0.9, 6), z=(0.1, 0.8, 6), Q=(10.0, 50.0, 6), PT=(0.0, 6.0, 20))


def _parts(path):
    return {p.name: p.read_bytes() for p in jd.partition_files(path)}


def test_partitioned_dataset_equals_single_file_and_is_readable(tmp_path, client):
    xs = jf.CrossSection()
    single = tmp_path / "one.parquet"
    data.write_dataset(single, xs, grid=SMALL_GRID)
    s1 = data.write_dataset(tmp_path / "serial", xs, grid=SMALL_GRID, workers=1, partition_rows=1000)
    data.write_dataset(tmp_path / "pool", xs, grid=SMALL_GRID, workers=2, partition_rows=1000, n_threads=1)
    data.write_dataset(tmp_path / "dask", xs, grid=SMALL_GRID, client=client, partition_rows=1000)
    assert s1["partitions"] == 5 and s1["rows"] == SMALL_GRID.size and s1["written"] == 5 and s1["skipped"] == 0
    assert _parts(tmp_path / "serial") == _parts(tmp_path / "pool") == _parts(tmp_path / "dask")
    a, b = data.read_dataset(single), data.read_dataset(tmp_path / "dask")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert data.read_meta(tmp_path / "dask")["source"]["kind"] == "grid"
    import pyarrow.dataset as pads
    import pyarrow.parquet as pq
    assert pads.dataset(str(tmp_path / "dask"), format="parquet").count_rows() == SMALL_GRID.size
    md = pq.read_metadata(str(tmp_path / "dask" / "_metadata"))
    assert md.num_rows == SMALL_GRID.size and md.num_row_groups >= 5
    dd = pytest.importorskip("dask.dataframe")
    frame = dd.read_parquet(str(tmp_path / "dask"))
    assert frame.npartitions == 5 and int(frame["x"].count().compute()) == SMALL_GRID.size
    assert float(frame["sigma_ff_U"].sum().compute()) == pytest.approx(float(a["sigma_ff_U"].sum()), rel=1e-12)


def test_partitioned_write_resumes_after_an_interruption(tmp_path, monkeypatch):
    xs = jf.CrossSection()
    clean = tmp_path / "clean"
    data.write_dataset(clean, xs, grid=SMALL_GRID, workers=1, partition_rows=1000)
    out = tmp_path / "out"
    real = jd._partition_task

    def interrupted(*args):
        if args[9] == 3:                                    # the partition index
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(jd, "_partition_task", interrupted)
    with pytest.raises(KeyboardInterrupt):
        data.write_dataset(out, xs, grid=SMALL_GRID, workers=1, partition_rows=1000)
    monkeypatch.setattr(jd, "_partition_task", real)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["_jpsi_fast.json", "part-000000.parquet", "part-000001.parquet", "part-000002.parquet"]
    assert jd.read_partitioned_meta(out)["complete"] is False
    with pytest.raises(ValueError, match="incomplete"):
        data.read_dataset(out)
    (out / ".part-000003.parquet.0123456789ab.tmp").write_bytes(b"half a file")      # what a killed writer leaves
    s = data.write_dataset(out, xs, grid=SMALL_GRID, workers=1, partition_rows=1000)
    assert (s["written"], s["skipped"]) == (2, 3)
    assert not list(out.glob(".part-*"))
    assert _parts(out) == _parts(clean)
    assert (out / "_metadata").read_bytes() == (clean / "_metadata").read_bytes()
    assert data.write_dataset(out, xs, grid=SMALL_GRID, workers=1, partition_rows=1000)["written"] == 0
    # a truncated partition (e.g. a disk that filled) is recomputed
    p = out / "part-000001.parquet"
    p.write_bytes(p.read_bytes()[:100])
    assert data.write_dataset(out, xs, grid=SMALL_GRID, workers=1, partition_rows=1000)["written"] == 1
    assert _parts(out) == _parts(clean)


def test_partitioned_write_refuses_another_dataset(tmp_path):
    xs = jf.CrossSection()
    out = tmp_path / "out"
    data.write_dataset(out, xs, grid=SMALL_GRID, workers=1, partition_rows=1000)
    with pytest.raises(ValueError, match="holds a different"):
        data.write_dataset(out, xs, grid=SMALL_GRID, workers=1, partition_rows=2000)
    with pytest.raises(ValueError, match="holds a different"):
        data.write_dataset(out, jf.CrossSection(jf.Params(sqrt_s=100.0)), grid=SMALL_GRID, workers=1,
                           partition_rows=1000)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        data.write_dataset(other, xs, grid=SMALL_GRID, workers=1)
    with pytest.raises(ValueError, match="sample"):
        data.write_dataset(tmp_path / "s", xs, sample=100, workers=2)
    with pytest.raises(ValueError, match="Parquet"):
        data.write_dataset(tmp_path / "s.csv", xs, grid=SMALL_GRID, workers=2)


def test_partitioned_points(tmp_path):
    xs = jf.CrossSection()
    rng = np.random.default_rng(0)
    P = np.column_stack([rng.uniform(0.1, 0.9, 2500), rng.uniform(0.1, 0.8, 2500), rng.uniform(10, 50, 2500),
                         rng.uniform(0, 6, 2500)])
    s = data.write_dataset(tmp_path / "pts", xs, points=P, workers=2, partition_rows=1000, n_threads=1)
    assert s["partitions"] == 3
    got = data.read_dataset(tmp_path / "pts")
    ref = data.compute_rows(xs, *P.T)
    assert np.array_equal(got["sigma_pgf_1s0_8_U"], ref["sigma_pgf_1s0_8_U"]) and np.array_equal(got["x"], P[:, 0])


# ------------------------------------------------------------------------------------------------ event chunks
@pytest.fixture(scope="module")
def lab():
    xs = jf.CrossSection(jf.Params(beams="18x275"))
    return xs, jf.Domain.eic().replace(acceptance=jf.Acceptance.typical())


def test_event_chunks_identical_for_any_number_of_workers(tmp_path, lab, client):
    xs, dom = lab
    kw = dict(chunk_events=2000, fmt="lhe", domain=dom, seed=4, neval=30_000)
    i1 = jd.write_event_chunks(tmp_path / "a", xs, 5000, **kw)
    i2 = jd.write_event_chunks(tmp_path / "b", xs, 5000, workers=2, n_threads=1, **kw)
    i3 = jd.write_event_chunks(tmp_path / "c", xs, 5000, client=client, **kw)
    names = [f["file"] for f in i1["files"]]
    assert names == ["events-000000.lhe", "events-000001.lhe", "events-000002.lhe"]
    assert [f["events"] for f in i1["files"]] == [2000, 2000, 1000] and i1["events"] == 5000
    for other in ("b", "c"):
        for n in names:
            assert filecmp.cmp(tmp_path / "a" / n, tmp_path / other / n, shallow=False)
    assert i1["files"] == i2["files"] == i3["files"] and i1["sigma_pb"] == i3["sigma_pb"]
    assert jd.read_event_index(tmp_path / "c")["events"] == 5000
    # the index's sigma is the event-weighted mean of the chunks'; chunks are independent generations
    sig = [f["sigma_pb"] for f in i1["files"]]
    assert i1["sigma_pb"] == pytest.approx((2000 * sig[0] + 2000 * sig[1] + 1000 * sig[2]) / 5000, rel=1e-12)
    assert len(set(sig)) == 3
    # chunk 1 is the generator's chunk 1, however it is made: the same file from a fresh generator
    from jpsi_fast.events import write_generation
    gen = jf.EventGenerator(xs, dom, seed=4, neval=30_000)
    write_generation(tmp_path / "direct.lhe", "lhe", gen, 2000, batch=700, chunk=1)
    assert filecmp.cmp(tmp_path / "direct.lhe", tmp_path / "b" / "events-000001.lhe", shallow=False)
    pylhe = pytest.importorskip("pylhe")
    assert sum(1 for _ in pylhe.LHEFile.fromfile(str(tmp_path / "b" / "events-000001.lhe")).events) == 2000


def test_event_chunks_resume(tmp_path, lab):
    xs, dom = lab
    kw = dict(chunk_events=1500, fmt="hepmc3", domain=dom, seed=2, neval=30_000)
    i1 = jd.write_event_chunks(tmp_path / "a", xs, 3000, **kw)
    (tmp_path / "a" / "events-000001.json").unlink()        # as if killed between the data file and its mark
    (tmp_path / "a" / "index.json").unlink()
    before = (tmp_path / "a" / "events-000000.hepmc").stat().st_mtime_ns
    with pytest.raises(FileNotFoundError, match="incomplete"):
        jd.read_event_index(tmp_path / "a")
    i2 = jd.write_event_chunks(tmp_path / "a", xs, 3000, **kw)
    assert (tmp_path / "a" / "events-000000.hepmc").stat().st_mtime_ns == before          # skipped
    assert i2["files"] == i1["files"] and i2["sigma_pb"] == i1["sigma_pb"]
    # a data file that does not match its mark (e.g. truncated) is made again
    f = tmp_path / "a" / "events-000001.hepmc"
    good = f.read_bytes()
    f.write_bytes(good[:1000])
    jd.write_event_chunks(tmp_path / "a", xs, 3000, **kw)
    assert f.read_bytes() == good
    # another request into the same folder is refused, and the folder is left as it was
    with pytest.raises(ValueError, match="holds a different"):
        jd.write_event_chunks(tmp_path / "a", xs, 3000, **dict(kw, seed=3))
    assert jd.read_event_index(tmp_path / "a")["files"] == i1["files"]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        jd.write_event_chunks(tmp_path / "mine", xs, 10, chunk_events=5, domain=dom)
    with pytest.raises(ValueError, match="chunk_events"):
        jd.write_event_chunks(tmp_path / "x", xs, 10, chunk_events=0)
    with pytest.raises(ValueError, match="batch"):
        jd.write_event_chunks(tmp_path / "x", xs, 10, batch=0)
    with pytest.raises(ValueError, match="fmt"):
        jd.write_event_chunks(tmp_path / "x", xs, 10, fmt="root")


# ------------------------------------------------------------------------------------------------ region maps
def test_region_labels_on_workers_give_the_same_map(client):
    xs = jf.CrossSection()
    kw = dict(target="robust_dominant", budget=900, batch_size=300, seed=2, n_threads=1)
    a = jf.RegionMapper(xs, **kw).fit()
    b = jf.RegionMapper(xs, workers=2, **kw).fit()
    c = jf.RegionMapper(xs, client=client, **kw).fit()
    for m in (b, c):
        assert np.array_equal(a.X_, m.X_) and np.array_equal(a.labels_.y, m.labels_.y)
    X = a.X_[:50]
    assert np.array_equal(a.predict(X), c.predict(X))
    with pytest.raises(ValueError, match="not both"):
        jf.RegionMapper(xs, client=client, workers=2)


def three_classes(X):
    """A user's own target with three classes (by P_T)."""
    return np.digitize(X[:, 3], [1.0, 2.5])


def test_region_map_of_a_callable_target_on_workers():
    xs = jf.CrossSection()
    # strategy pinned: "auto" times a callable target's labels, which on workers include the transfers
    kw = dict(target=three_classes, budget=600, batch_size=300, seed=1, n_threads=1, strategy="active")
    a = jf.RegionMapper(xs, **kw).fit()
    b = jf.RegionMapper(xs, workers=2, **kw).fit()
    assert b.classes == a.classes == ("0", "1", "2")
    assert np.array_equal(a.labels_.y, b.labels_.y) and np.array_equal(a.predict(a.X_), b.predict(a.X_))


# ------------------------------------------------------------------------------------------------ command line
def _cli(*argv):
    from jpsi_fast.cli import main
    return main([str(a) for a in argv])


def test_cli_grid_events_scan_with_workers(tmp_path, capsys):
    out = tmp_path / "grid"
    assert _cli("grid", "--n", "6,6,6,20", "--workers", "2", "--partition-rows", "1500", "--threads", "1",
                "--output", out) == 0
    assert "3 Parquet partitions, 3 written now, 0 already complete" in capsys.readouterr().out
    assert _cli("grid", "--n", "6,6,6,20", "--workers", "2", "--partition-rows", "1500", "--output", out) == 0
    assert "0 written now, 3 already complete" in capsys.readouterr().out
    assert _cli("grid", "--n", "6,6,6,20", "--workers", "2", "--output", tmp_path / "g.csv") == 2
    assert "Parquet" in capsys.readouterr().err
    assert _cli("grid", "--n", "6,6,6,20", "--workers", "2", "--scheduler", "tcp://x:1") == 2      # exclusive
    capsys.readouterr()

    ev = tmp_path / "ev"
    assert _cli("events", "--beams", "18x275", "--n", "1200", "--chunk-events", "500", "--workers", "2",
                "--threads", "1", "--output", ev, "--format", "parquet") == 0
    assert "3 parquet chunk files + index.json" in capsys.readouterr().out
    assert json.loads((ev / "index.json").read_text())["events"] == 1200

    spec = tmp_path / "scan.toml"
    spec.write_text('task = "integrate"\nseed = 1\n[options]\nneval = 20000\nnitn = 3\nwarmup = 2\n'
                    '[fixed]\n"domain.Q" = [10.0, 30.0]\n[axes]\nbeams = ["18x275", "5x41"]\n'
                    'ldme_set = ["chao2012", "bckl2014"]\n')
    table = tmp_path / "scan.parquet"
    assert _cli("scan", spec, "--workers", "2", "--threads", "1", "--output", table) == 0
    assert "wrote 4 points" in capsys.readouterr().out
    got = data.read_dataset(table)
    ref = jd.scan(functools.partial(jd.integrate_point, neval=20_000, nitn=3, warmup=2,
                                    base={"domain.Q": [10.0, 30.0]}),
                  {"beams": ["18x275", "5x41"], "ldme_set": ["chao2012", "bckl2014"]}, seed=1)
    assert np.array_equal(got["sigma_U"], ref["sigma_U"].to_numpy()) and list(got["beams"][:2]) == ["18x275"] * 2
    assert data.read_meta(table)["scan"]["axes"]["beams"] == ["18x275", "5x41"]


@pytest.mark.parametrize("text, message", [
    ('nope = 1\n[axes]\nbeams = ["18x275"]\n', "unknown key"),
    ('task = "fly"\n[axes]\nbeams = ["18x275"]\n', "task must be one of"),
    ('[options]\nneval = -3\n[axes]\nbeams = ["18x275"]\n', "positive integer"),
    ('[options]\nspeed = 3\n[axes]\nbeams = ["18x275"]\n', "not an option"),
    ('[axes]\nbeam = ["18x275"]\n', "unknown key 'beam'"),
    ('[fixed]\n"domain.W" = 3\n[axes]\nbeams = ["18x275"]\n', "unknown Domain field"),
    ('seed = 1\n', "either an \\[axes\\] table"),
    ('[axes]\nldme_set = ["chao2012", "chao2012"]\n', "more than once"),
])
def test_cli_scan_rejects_bad_files(tmp_path, capsys, text, message):
    spec = tmp_path / "scan.toml"
    spec.write_text(text)
    assert _cli("scan", spec, "--output", tmp_path / "s.parquet") == 2
    import re
    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "s.parquet").exists()


def test_cli_regions_with_workers(tmp_path, capsys):
    assert _cli("regions", "--budget", "400", "--batch", "200", "--n-test", "2000", "--workers", "2", "--threads",
                "1", "--out", tmp_path) == 0
    assert "sigma-weighted accuracy" in capsys.readouterr().out


def _die_once(marker_dir, i):
    """A task whose process dies the first time it runs task i (as if killed), and succeeds when rerun."""
    from pathlib import Path
    marker = Path(marker_dir) / f"died-{i}"
    if i % 3 == 0 and not marker.exists():
        marker.write_text("x")
        os._exit(1)
    return i * i


def test_local_pool_survives_dead_processes(tmp_path):
    with jd.run_tasks(_die_once, [(str(tmp_path), i) for i in range(7)], workers=2, retries=5) as finished:
        got = list(finished)
    assert sorted(got) == [(i, i * i) for i in range(7)]        # nothing lost, nothing duplicated
    assert len(list(tmp_path.glob("died-*"))) == 3
    (tmp_path / "again").mkdir()
    with pytest.raises(RuntimeError, match="died 1 times"), \
            jd.run_tasks(_die_once, [(str(tmp_path / "again"), 0)], workers=2, retries=0) as finished:
        list(finished)


def _fails_on_3(i):
    if i == 3:
        raise ArithmeticError("task 3 fails")
    time.sleep(0.05)
    return i


def test_a_failing_task_stops_the_run_at_once():
    t0 = time.perf_counter()
    with pytest.raises(ArithmeticError, match="task 3"), \
            jd.run_tasks(_fails_on_3, [(i,) for i in range(40)], workers=2) as finished:
        list(finished)
    assert time.perf_counter() - t0 < 30


def test_cli_grid_on_a_scheduler(tmp_path, capsys, client, monkeypatch):
    from jpsi_fast import cli
    monkeypatch.setattr(cli, "SCHEDULER_TIMEOUT", "2s")
    out = tmp_path / "grid"
    assert _cli("grid", "--n", "5,5,5,20", "--scheduler", client.scheduler.address, "--partition-rows", "1000",
                "--output", out) == 0
    assert "3 Parquet partitions" in capsys.readouterr().out
    assert _cli("grid", "--n", "5,5,5,20", "--scheduler", "tcp://127.0.0.1:9", "--output", tmp_path / "g2") == 2
    assert "cannot connect" in capsys.readouterr().err


def test_weighted_event_chunks_share_one_integral(tmp_path, lab):
    xs, dom = lab
    idx = jd.write_event_chunks(tmp_path / "w", xs, 3000, chunk_events=1000, fmt="parquet", domain=dom, seed=1,
                                unweighted=False, neval=30_000, workers=2, n_threads=1)
    sig = {f["sigma_pb"] for f in idx["files"]}
    assert len(sig) == 1 and idx["sigma_pb"] == sig.pop()
    assert 0 < idx["events"] <= 3000                       # points outside the acceptance are not events
    import pyarrow.parquet as pq
    w = np.concatenate([pq.read_table(str(tmp_path / "w" / f["file"]), columns=["weight"])["weight"].to_numpy()
                        for f in idx["files"]])
    # each chunk's weights estimate sigma x B; the union, each chunk scaled by 1000/3000, estimates it too
    assert w.sum() / 3 == pytest.approx(idx["sigma_pb"], rel=0.05)


def test_cli_regions_on_a_scheduler_and_a_silent_address(tmp_path, capsys, client, monkeypatch):
    assert _cli("regions", "--budget", "300", "--batch", "150", "--n-test", "500", "--scheduler",
                client.scheduler.address, "--out", tmp_path) == 0
    assert (tmp_path / "regions_map_z_Q.png").is_file()       # the maps are labelled while still connected
    capsys.readouterr()
    import socket
    from jpsi_fast import cli
    monkeypatch.setattr(cli, "SCHEDULER_TIMEOUT", "1s")
    monkeypatch.setattr(cli, "SCHEDULER_GRACE_S", 1.0)
    with socket.socket() as silent:                          # accepts connections, never answers (like a dashboard)
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        t0 = time.perf_counter()
        assert _cli("grid", "--n", "5,5,5,20", "--scheduler", f"tcp://127.0.0.1:{silent.getsockname()[1]}",
                    "--output", tmp_path / "g") == 2
        assert time.perf_counter() - t0 < 20
    assert "not the dashboard" in capsys.readouterr().err


def test_backend_and_thread_checks(client):
    distributed = pytest.importorskip("distributed")
    jd.check_threads(32, remote=True)                        # a worker node's cores, not this machine's
    with pytest.raises(ValueError, match="n_threads"):
        jd.check_threads(5000, remote=True)
    with pytest.raises(ValueError, match="n_threads"):
        jd.scan(SMALL, GRID, n_threads=100_000)
    with distributed.Client(client.scheduler.address) as other:
        pass
    with pytest.raises(ValueError, match="not running"):
        jd.scan(SMALL, GRID, client=other)


def test_task_keys_are_canonical_and_interactive_functions_are_refused(monkeypatch):
    assert jd.task_key({"kt2_pdf": 1}) == jd.task_key({"kt2_pdf": 1.0}) == jd.task_key({"kt2_pdf": np.float64(1)})
    assert jd.task_key({"b": jf.Beams.preset("18x275")}) == jd.task_key({"b": jf.Beams.preset("18x275")})
    with pytest.raises(TypeError, match="'f'.*canonical"):
        jd.task_key({"f": object()})
    with pytest.raises(ValueError, match="named 'seed'"):
        jd.scan(SMALL, {"seed": [1, 2]})
    with pytest.raises(ValueError, match="single PDF"):
        jd.setup_point({"pdf_member": 1})
    import sys
    import types

    def f(point, seed):
        return 1.0
    f.__module__ = "__main__"
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))      # like a notebook
    with pytest.raises(ValueError, match="defined interactively"):
        jd.scan(f, {"a": [1, 2]}, workers=2)


def test_cli_scan_checks(tmp_path, capsys):
    spec = tmp_path / "scan.toml"
    spec.write_text('[fixed]\nbeams = "18x275"\n[axes]\nbeams = ["5x41"]\n')
    assert _cli("scan", spec, "--output", tmp_path / "s.parquet") == 2
    assert "both [fixed] and [axes]" in capsys.readouterr().err
    spec.write_text('[axes]\nbeams = ["5x41"]\n')
    assert _cli("scan", spec, "--output", tmp_path / "s.json") == 2
    assert ".parquet or .csv" in capsys.readouterr().err
    assert _cli("scan", tmp_path, "--output", tmp_path / "s.parquet") == 2
    assert "scan file" in capsys.readouterr().err
    assert _cli("grid", "--n", "5,5,5,20", "--partition-rows", "100") == 2
    assert "--partition-rows applies" in capsys.readouterr().err
