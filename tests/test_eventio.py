"""Event-file writers (jpsi_fast._eventio): HepMC3 (plain / gz / bz2 / xz), LHE (plain / gz) and Parquet.

Every file is written in several batches (one empty, event numbers crossing a power of ten, blocks of a few events)
and read back with the reference readers: pyhepmc.open, pylhe.LHEFile.fromfile, pyarrow.parquet.  Numbers are written
with 17 significant digits, so the four-momenta and weights must come back exactly.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from jpsi_fast import _eventio as eio
from jpsi_fast._eventio import PARTICLES, EventBatch, RunInfo, open_writer

CHANNELS = ("ff", "pgf_1s0_8", "pgf_3pj_8", "pgf_3s1_1")
VARIATIONS = ("mu_up", "mu_down", "pdf_1")
M_JPSI = 3.0969
#: batch sizes and the first event number: 95 .. 123 crosses 99 -> 100 (event numbers change width)
SIZES = (4, 0, 9, 16)
E0 = 95


def _p4(rng, n, mass, scale=8.0):
    p = rng.normal(size=(n, 3)) * scale
    e = np.sqrt((p ** 2).sum(axis=1) + mass ** 2)
    return np.column_stack([e, p])


def make_batch(rng, n, e0, nvar=len(VARIATIONS), nch=len(CHANNELS)):
    """Random events: E > |p| for the physical particles, a space-like photon, beams along z (zero px, py),
    massless leptons (their m^2 is rounding noise: tiny masses)."""
    p4 = {"beam_e": np.tile([18.0, 0.0, 0.0, -18.0], (n, 1)),
          "beam_p": np.tile([275.0, 0.0, 0.0, np.sqrt(275.0 ** 2 - 0.938272 ** 2)], (n, 1)),
          "e_out": _p4(rng, n, 0.000511), "jpsi": _p4(rng, n, M_JPSI), "lep_plus": _p4(rng, n, 0.0),
          "lep_minus": _p4(rng, n, 0.0), "X": _p4(rng, n, 2.5, 30.0)}
    g = rng.normal(size=(n, 4)) * 5.0
    g[:, 0] = 0.5 * np.abs(g[:, 3])                               # E < |p|: space-like
    p4["gamma"] = g
    var = rng.random((n, nvar)) * 1e-3 if nvar else None
    return EventBatch(p4, rng.integers(0, nch, n), rng.random(n) * 1e-3 + 1e-4, var, e0)


def make_batches(seed=1, sizes=SIZES, e0=E0, **kw):
    rng = np.random.default_rng(seed)
    out = []
    for n in sizes:
        out.append(make_batch(rng, n, e0, **kw))
        e0 += n
    return out


def run_info(**kw):
    args = dict(beams_pdg=(11, 2212), beam_energies=(18.0, 275.0), lepton_pdg=13, sigma_pb=12.345678901234567,
                sigma_error_pb=0.125, channel_names=CHANNELS, variation_names=VARIATIONS, n_events=29,
                unweighted=False, generator=("jpsi_fast", "0.1.0"), attributes={"seed": 7, "note": "test run"})
    args.update(kw)
    return RunInfo(**args)


def concat(batches):
    """All events of the batches: p4 dict, channel, weight, variation weights, event numbers."""
    bs = [b for b in batches if b.n]
    p4 = {k: np.concatenate([b.p4[k] for b in bs]) for k in PARTICLES}
    var = np.concatenate([b.variation_weights for b in bs]) if bs[0].variation_weights is not None else None
    evn = np.concatenate([np.arange(b.event_number0, b.event_number0 + b.n) for b in bs])
    return p4, np.concatenate([b.channel for b in bs]), np.concatenate([b.weight for b in bs]), var, evn


def write(path, fmt, batches, ri=None):
    ri = run_info() if ri is None else ri
    with open_writer(path, fmt, ri) as w:
        for b in batches:
            w.write(b)
    assert w.n_written == sum(b.n for b in batches)
    assert w.closed
    return ri


def signed_mass(p):
    m2 = p[:, 0] ** 2 - (p[:, 1:] ** 2).sum(axis=1)
    return np.copysign(np.sqrt(np.abs(m2)), m2)


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Blocks of 5 events and row groups of 8 rows: every writer formats several blocks per batch."""
    monkeypatch.setattr(eio, "_BLOCK", 5)
    monkeypatch.setattr(eio, "_ROW_GROUP", 8)
    monkeypatch.setattr(eio, "_SUB", 64)


PDG = {"beam_e": 11, "beam_p": 2212, "e_out": 11, "gamma": 22, "jpsi": 443, "lep_plus": -13, "lep_minus": 13,
       "X": 90}


# ---------------------------------------------------------------------------------------------------------------
# number formatting
# ---------------------------------------------------------------------------------------------------------------

def _norm(s):
    mant, ex = s.split("e")
    return mant, int(ex)


@pytest.mark.parametrize("sub", [7, 8192])
def test_format_floats_is_printf_17_digits(monkeypatch, sub):
    monkeypatch.setattr(eio, "_SUB", sub)
    rng = np.random.default_rng(3)
    x = rng.random(60000) * 10.0 ** rng.integers(-32, 20, 60000) * rng.choice([-1.0, 1.0], 60000)
    p10 = 10.0 ** np.arange(-30, 18)
    edge = [0.0, -0.0, 1.0, 18.0, 275.0, 0.1, 1 / 3, 2.0 ** 53, 2.0 ** 53 + 2, 1e16, 1e17, 9.999999999999999e16,
            1e-28, 9.99999999999999e-29, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1e300,
            0.000511, 9.9999999999999998e-20]
    x = np.concatenate([x, p10, np.nextafter(p10, 0), np.nextafter(p10, np.inf), edge])
    fields = eio._format_floats(x)
    assert fields.shape == (x.size, 25)                          # three-digit exponents present
    text = fields.tobytes().decode()
    toks = text.split(" ")[:-1]
    assert len(toks) == x.size and all(len(t) == 24 for t in toks)
    assert [_norm(t) for t in toks] == [_norm("%+.16e" % v) for v in x.tolist()]
    back = np.array([float(t) for t in toks])
    np.testing.assert_array_equal(back, x)
    np.testing.assert_array_equal(np.signbit(back), np.signbit(x))


def test_format_floats_two_digit_exponents():
    x = np.array([0.0, -2.5, 1e-20, 3.0e15, 123.456])
    fields = eio._format_floats(x)
    assert fields.shape == (5, 24)
    assert fields.tobytes().decode().split() == ["%+.16e" % v for v in x.tolist()]


def test_format_ints_and_digit_runs():
    assert eio._format_ints(np.array([0, 7, 42]), 3).tobytes() == b"000007042"
    assert list(eio._digit_runs(95, 123)) == [(95, 100, 2), (100, 123, 3)]
    assert list(eio._digit_runs(0, 10)) == [(0, 10, 1)]
    assert list(eio._digit_runs(5, 5)) == []


# ---------------------------------------------------------------------------------------------------------------
# HepMC3
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["hepmc3", "hepmc3.gz", "hepmc3.bz2", "hepmc3.xz"])
def test_hepmc3_round_trip(tmp_path, fmt):
    pyhepmc = pytest.importorskip("pyhepmc")
    batches = make_batches()
    path = tmp_path / f"events.{fmt}"
    ri = write(path, fmt, batches)
    assert sorted(os.listdir(tmp_path)) == [path.name]            # no temporary file left
    p4, channel, weight, var, evn = concat(batches)
    with pyhepmc.open(path) as f:
        events = list(f)
    assert len(events) == len(evn)
    run = events[0].run_info
    assert run.weight_names == ["default", *VARIATIONS]
    assert [(t.name, t.version) for t in run.tools] == [("jpsi_fast", "0.1.0")]
    attrs = {k: str(run.attributes[k]) for k in run.attributes}
    assert attrs["channel_names"] == ",".join(CHANNELS)
    assert attrs["lepton_pdg"] == "13" and attrs["unweighted"] == "0" and attrs["n_events"] == "29"
    assert float(attrs["sigma_pb"]) == ri.sigma_pb and float(attrs["sigma_error_pb"]) == 0.125
    assert attrs["beam_energies"] == "18.0,275.0"
    assert attrs["seed"] == "7" and attrs["note"] == "test run"
    status = [4, 4, 1, 13, 2, 1, 1, 11]
    for i, ev in enumerate(events):
        assert ev.event_number == evn[i]
        assert ev.momentum_unit == pyhepmc.Units.GEV and ev.length_unit == pyhepmc.Units.MM
        assert ev.weights == [weight[i], *var[i]]                 # exact: 17 significant digits
        assert ev.weight("pdf_1") == var[i, 2]
        cs = ev.cross_section
        assert (cs.xsec(), cs.xsec_err(), cs.accepted_events, cs.attempted_events) == (ri.sigma_pb, 0.125, 29, 29)
        assert cs.xsec("mu_up") == ri.sigma_pb
        assert int(str(ev.attributes["channel"])) == channel[i]
        parts = ev.particles
        assert [p.id for p in parts] == list(range(1, 9))
        assert [p.pid for p in parts] == [PDG[k] for k in PARTICLES]
        assert [p.status for p in parts] == status
        for p, name in zip(parts, PARTICLES):
            ref = p4[name][i]
            mom = p.momentum
            assert (mom.e, mom.px, mom.py, mom.pz) == tuple(ref)
            assert p.generated_mass == pytest.approx(signed_mass(ref[None])[0], rel=1e-15, abs=1e-300)
        verts = ev.vertices
        assert [v.id for v in verts] == [-1, -2, -3]
        assert [sorted(p.id for p in v.particles_in) for v in verts] == [[1], [2, 4], [5]]
        assert [sorted(p.id for p in v.particles_out) for v in verts] == [[3, 4], [5, 8], [6, 7]]
        assert all(tuple(v.position) == (0, 0, 0, 0) for v in verts)
        assert [p.id for p in ev.beams] == [1, 2]
    gm = np.array([[p.generated_mass for p in ev.particles] for ev in events])
    assert gm[:, 3] == pytest.approx(signed_mass(p4["gamma"]), rel=1e-15)
    assert (gm[:, 3] < 0).all()                                   # the space-like photon: m = -Q


def test_hepmc3_electron_decay_and_many_channels(tmp_path):
    """lepton_pdg 11; 12 channels: the channel attribute is zero-padded to two digits; no variations."""
    pyhepmc = pytest.importorskip("pyhepmc")
    names = tuple(f"c{k}" for k in range(12))
    ri = run_info(lepton_pdg=11, channel_names=names, variation_names=(), attributes={})
    batches = make_batches(sizes=(7, 6), e0=0, nvar=0, nch=12)
    path = tmp_path / "e.hepmc3"
    write(path, "hepmc3", batches, ri)
    _, channel, weight, _, evn = concat(batches)
    with pyhepmc.open(path) as f:
        events = list(f)
    assert [e.event_number for e in events] == list(evn)
    assert [e.weights for e in events] == [[w] for w in weight]
    assert [int(str(e.attributes["channel"])) for e in events] == list(channel)
    assert [p.pid for p in events[0].particles][5:7] == [-11, 11]


def test_empty_files_are_valid(tmp_path):
    pyhepmc = pytest.importorskip("pyhepmc")
    path = tmp_path / "none.hepmc3"
    write(path, "hepmc3", [])
    with pyhepmc.open(path) as f:
        assert list(f) == []
    pylhe = pytest.importorskip("pylhe")
    path = tmp_path / "none.lhe"
    write(path, "lhe", [])
    lhe = pylhe.LHEFile.fromfile(path)
    assert list(lhe.events) == [] and len(lhe.init.procInfo) == len(CHANNELS)


# ---------------------------------------------------------------------------------------------------------------
# LHE
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["lhe", "lhe.gz"])
@pytest.mark.parametrize("unweighted", [False, True])
def test_lhe_round_trip(tmp_path, fmt, unweighted):
    pylhe = pytest.importorskip("pylhe")
    batches = make_batches()
    path = tmp_path / f"events.{fmt}"
    ri = write(path, fmt, batches, run_info(unweighted=unweighted))
    assert sorted(os.listdir(tmp_path)) == [path.name]
    if fmt.endswith(".gz"):
        assert path.read_bytes()[:2] == b"\x1f\x8b"
    p4, channel, weight, var, evn = concat(batches)
    lhe = pylhe.LHEFile.fromfile(path)
    info = lhe.init.initInfo
    assert (info.beamA, info.beamB, info.energyA, info.energyB) == (11, 2212, 18.0, 275.0)
    assert info.weightingStrategy == (3 if unweighted else -4)
    assert info.numProcesses == len(CHANNELS)
    procs = lhe.init.procInfo
    assert [p.procId for p in procs] == [1, 2, 3, 4]
    wsum = np.bincount(channel, weights=weight, minlength=4)
    assert [p.xSection for p in procs] == pytest.approx(ri.sigma_pb * wsum / wsum.sum(), rel=1e-14)
    assert sum(p.xSection for p in procs) == pytest.approx(ri.sigma_pb, rel=1e-14)
    assert [p.error for p in procs] == pytest.approx(0.125 * wsum / wsum.sum(), rel=1e-14)
    assert [p.unitWeight for p in procs] == [max(weight[channel == c]) for c in range(4)]
    assert [(g.name, g.version) for g in lhe.init.generators] == [("jpsi_fast", "0.1.0")]
    assert lhe.header.initrwgt.list_weights_ids() == list(VARIATIONS)
    (run_el,) = [e for e in lhe.header.extra_elements if e.tag == "jpsi_fast_run"]
    meta = json.loads(run_el.text)
    assert meta["channel_names"] == list(CHANNELS) and meta["n_written"] == len(evn)
    assert meta["sigma_pb"] == ri.sigma_pb and meta["attributes"] == {"seed": 7, "note": "test run"}
    events = list(lhe.events)
    assert len(events) == len(evn)
    status = [-1, -1, 1, -2, 2, 1, 1, 1]
    mothers = [(0, 0), (0, 0), (1, 2), (1, 1), (1, 2), (5, 5), (5, 5), (1, 2)]
    g = p4["gamma"]
    q = np.sqrt((g[:, 1:] ** 2).sum(axis=1) - g[:, 0] ** 2)
    for i, ev in enumerate(events):
        einfo = ev.eventinfo
        assert (einfo.nparticles, einfo.pid, einfo.weight) == (8, channel[i] + 1, weight[i])
        assert einfo.scale == pytest.approx(q[i], rel=1e-14)
        assert ev.weights == dict(zip(VARIATIONS, var[i]))        # exact
        parts = ev.particles
        assert [p.id for p in parts] == [PDG[k] for k in PARTICLES]
        assert [p.status for p in parts] == status
        assert [(p.mother1, p.mother2) for p in parts] == mothers
        assert {id(m) for m in ev.mothers(parts[5])} == {id(parts[4])}   # l+ from the J/psi
        for p, name in zip(parts, PARTICLES):
            ref = p4[name][i]
            assert (p.e, p.px, p.py, p.pz) == tuple(ref)
            assert p.m == pytest.approx(signed_mass(ref[None])[0], rel=1e-15, abs=1e-300)
            assert (p.color1, p.color2, p.lifetime, p.spin) == (0, 0, 0.0, 9.0)


def test_lhe_without_variations(tmp_path):
    pylhe = pytest.importorskip("pylhe")
    batches = make_batches(sizes=(3, 4), nvar=0)
    path = tmp_path / "n.lhe"
    write(path, "lhe", batches, run_info(variation_names=()))
    lhe = pylhe.LHEFile.fromfile(path)
    events = list(lhe.events)
    assert len(events) == 7 and all(ev.weights == {} for ev in events)
    assert lhe.header.initrwgt.list_weights_ids() == []


# ---------------------------------------------------------------------------------------------------------------
# Parquet
# ---------------------------------------------------------------------------------------------------------------

def test_parquet_round_trip(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    batches = make_batches()
    path = tmp_path / "events.parquet"
    ri = write(path, "parquet", batches)
    assert sorted(os.listdir(tmp_path)) == [path.name]
    p4, channel, weight, var, evn = concat(batches)
    f = pq.ParquetFile(path)
    assert f.metadata.num_rows == len(evn)
    assert f.metadata.num_row_groups >= 2                         # written incrementally
    t = f.read()
    cols = ["event_number", "channel", "weight", *(f"weight_{v}" for v in VARIATIONS)]
    cols += [f"{k}_{c}" for k in PARTICLES for c in ("E", "px", "py", "pz")]
    assert t.column_names == cols
    assert str(t.schema.field("channel").type) == "int16"
    np.testing.assert_array_equal(t["event_number"].to_numpy(), evn)
    assert np.all(np.diff(t["event_number"].to_numpy()) == 1)
    np.testing.assert_array_equal(t["channel"].to_numpy(), channel)
    np.testing.assert_array_equal(t["weight"].to_numpy(), weight)
    for k, v in enumerate(VARIATIONS):
        np.testing.assert_array_equal(t[f"weight_{v}"].to_numpy(), var[:, k])
    for name in PARTICLES:
        for j, c in enumerate(("E", "px", "py", "pz")):
            np.testing.assert_array_equal(t[f"{name}_{c}"].to_numpy(), p4[name][:, j])
    meta = t.schema.metadata
    info = json.loads(meta[b"jpsi_fast.run_info"])
    assert info["sigma_pb"] == ri.sigma_pb and info["sigma_error_pb"] == 0.125
    assert info["channel_names"] == list(CHANNELS) and info["variation_names"] == list(VARIATIONS)
    assert info["pdg_ids"] == PDG and info["particles"] == list(PARTICLES)
    assert info["beams_pdg"] == [11, 2212] and info["beam_energies_gev"] == [18.0, 275.0]
    assert json.loads(meta[b"jpsi_fast.units"])["weight"] == "pb"
    assert json.loads(meta[b"jpsi_fast.channel_names"]) == list(CHANNELS)
    assert json.loads(t.schema.field("channel").metadata[b"channel_names"]) == list(CHANNELS)


def test_parquet_needs_pyarrow(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match=r'jpsi_fast\[data\]'):
        open_writer(tmp_path / "x.parquet", "parquet", run_info())
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------------------------------------
# formats, atomicity, validation
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, fmt", [("a.hepmc3", "hepmc3"), ("a.hepmc", "hepmc3"), ("a.HepMC3.gz", "hepmc3.gz"),
                                       ("a.hepmc.bz2", "hepmc3.bz2"), ("a.hepmc3.xz", "hepmc3.xz"),
                                       ("a.lhe", "lhe"), ("a.lhe.gz", "lhe.gz"), ("a.parquet", "parquet")])
def test_auto_format(tmp_path, name, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    with open_writer(tmp_path / name, "auto", run_info()) as w:
        assert w.fmt == fmt
        w.write(make_batches(sizes=(3,))[0])
    assert os.listdir(tmp_path) == [name]
    head = (tmp_path / name).read_bytes()[:6]
    magic = {"hepmc3.gz": b"\x1f\x8b", "lhe.gz": b"\x1f\x8b", "hepmc3.bz2": b"BZh", "hepmc3.xz": b"\xfd7zXZ",
             "hepmc3": b"HepMC:", "lhe": b"<LesHo", "parquet": b"PAR1"}[fmt]
    assert head.startswith(magic)


def test_variation_names_with_punctuation(tmp_path):
    """The package's variation names (scale:0.5,2, ldme_fit:BK11+, width:kt2_pdf:-, pdf:3) and XML specials."""
    names = ("scale:0.5,2", "ldme_fit:BK11+", "width:kt2_pdf:-", "pdf:3", "a|b", "x<y&z'\"q")
    batch = make_batches(sizes=(6,), nvar=len(names))[0]
    ri = run_info(variation_names=names)
    for fmt in ("hepmc3", "lhe", "parquet"):
        write(tmp_path / f"v.{fmt}", fmt, [batch], ri)
    var = batch.variation_weights
    pyhepmc = pytest.importorskip("pyhepmc")
    with pyhepmc.open(tmp_path / "v.hepmc3") as f:
        events = list(f)
    assert events[0].run_info.weight_names == ["default", *names]
    assert [e.weight(names[0]) for e in events] == list(var[:, 0])
    pylhe = pytest.importorskip("pylhe")
    lhe = pylhe.LHEFile.fromfile(tmp_path / "v.lhe")
    assert lhe.header.initrwgt.list_weights_ids() == list(names)
    assert [ev.weights for ev in lhe.events] == [dict(zip(names, row)) for row in var]
    pq = pytest.importorskip("pyarrow.parquet")
    t = pq.read_table(tmp_path / "v.parquet")
    np.testing.assert_array_equal(t["weight_scale:0.5,2"].to_numpy(), var[:, 0])


def test_infer_format():
    assert eio.infer_format("run/ev.HEPMC.gz") == "hepmc3.gz"
    assert eio.infer_format(os.path.join("a.lhe", "b.parquet")) == "parquet"
    with pytest.raises(ValueError, match="suffix"):
        eio.infer_format("events.root")


@pytest.mark.parametrize("fmt", list(eio.FORMATS))
def test_exception_inside_with_leaves_nothing(tmp_path, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    path = tmp_path / f"events.{fmt}"
    batches = make_batches()
    with pytest.raises(RuntimeError, match="boom"):
        with open_writer(path, fmt, run_info()) as w:
            w.write(batches[0])
            w.write(batches[2])
            assert len(os.listdir(tmp_path)) >= 1                 # the temporary file(s)
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []
    assert w.closed
    with pytest.raises(ValueError, match="closed"):
        w.write(batches[0])


def test_existing_file_survives_a_failed_write(tmp_path):
    path = tmp_path / "events.hepmc3"
    path.write_text("old")
    with pytest.raises(KeyError):
        with open_writer(path, "hepmc3", run_info()) as w:
            w.write(make_batches()[0])
            raise KeyError("x")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["events.hepmc3"]
    w.close()                                                     # idempotent after a discard
    write(path, "hepmc3", make_batches())                         # replaced on success
    assert path.read_text().startswith("HepMC::Version")


def test_close_and_discard(tmp_path):
    w = open_writer(tmp_path / "a.lhe.gz", "lhe.gz", run_info())
    w.write(make_batches()[0])
    w.discard()
    assert os.listdir(tmp_path) == []
    w = open_writer(tmp_path / "b.lhe", "lhe", run_info())
    w.write(make_batches()[0])
    w.close()
    w.close()
    assert os.listdir(tmp_path) == ["b.lhe"]
    w = open_writer(tmp_path / "c.hepmc3", "hepmc3", run_info())
    del w                                                         # never closed: the temporary file is removed
    import gc
    gc.collect()
    assert os.listdir(tmp_path) == ["b.lhe"]


def test_invalid_writer_arguments(tmp_path):
    ri = run_info()
    with pytest.raises(ValueError, match="fmt"):
        open_writer(tmp_path / "a.hepmc3", "root", ri)
    with pytest.raises(ValueError, match="fmt"):
        open_writer(tmp_path / "a.txt", "auto", ri)
    with pytest.raises(ValueError, match="fmt"):
        open_writer(tmp_path / "a.hepmc3", 3, ri)
    with pytest.raises(ValueError, match="path"):
        open_writer(tmp_path / "missing" / "a.hepmc3", "hepmc3", ri)
    with pytest.raises(ValueError, match="path"):
        open_writer(tmp_path, "hepmc3", ri)
    with pytest.raises(ValueError, match="run_info"):
        open_writer(tmp_path / "a.hepmc3", "hepmc3", {"sigma_pb": 1.0})
    assert os.listdir(tmp_path) == []


def test_invalid_batches(tmp_path):
    rng = np.random.default_rng(0)
    good = make_batch(rng, 5, 0)
    p4 = dict(good.p4)
    with pytest.raises(ValueError, match=r"p4\['jpsi'\]"):
        EventBatch({**p4, "jpsi": p4["jpsi"][:4]}, good.channel, good.weight)
    with pytest.raises(ValueError, match=r"p4\['X'\]"):
        EventBatch({**p4, "X": p4["X"][:, :3]}, good.channel, good.weight)
    bad = p4["e_out"].copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"p4\['e_out'\].*non-finite"):
        EventBatch({**p4, "e_out": bad}, good.channel, good.weight)
    with pytest.raises(ValueError, match="p4"):
        EventBatch({k: v for k, v in p4.items() if k != "gamma"}, good.channel, good.weight)
    with pytest.raises(ValueError, match="p4"):
        EventBatch({**p4, "photon": p4["gamma"]}, good.channel, good.weight)
    with pytest.raises(ValueError, match="weight"):
        EventBatch(p4, good.channel, good.weight[:3])
    with pytest.raises(ValueError, match="weight"):
        EventBatch(p4, good.channel, np.full(5, np.inf))
    with pytest.raises(ValueError, match="channel"):
        EventBatch(p4, good.channel[:4], good.weight)
    with pytest.raises(ValueError, match="channel"):
        EventBatch(p4, good.channel.astype(float), good.weight)
    with pytest.raises(ValueError, match="channel"):
        EventBatch(p4, -good.channel - 1, good.weight)
    with pytest.raises(ValueError, match="variation_weights"):
        EventBatch(p4, good.channel, good.weight, np.ones(5))
    with pytest.raises(ValueError, match="variation_weights"):
        EventBatch(p4, good.channel, good.weight, np.ones((4, 3)))
    with pytest.raises(ValueError, match="variation_weights"):
        EventBatch(p4, good.channel, good.weight, np.full((5, 3), np.nan))
    with pytest.raises(ValueError, match="event_number0"):
        EventBatch(p4, good.channel, good.weight, event_number0=-1)
    with pytest.raises(ValueError, match="event_number0"):
        EventBatch(p4, good.channel, good.weight, event_number0=1.5)
    # consistent batches that do not fit the run
    with open_writer(tmp_path / "a.hepmc3", "hepmc3", run_info()) as w:
        with pytest.raises(ValueError, match="batch.variation_weights"):
            w.write(EventBatch(p4, good.channel, good.weight, np.ones((5, 2))))
        with pytest.raises(ValueError, match="batch.variation_weights"):
            w.write(EventBatch(p4, good.channel, good.weight))
        with pytest.raises(ValueError, match="batch.channel"):
            w.write(EventBatch(p4, np.full(5, 4), good.weight, good.variation_weights))
        with pytest.raises(ValueError, match="batch"):
            w.write({"p4": p4})
        w.write(good)                                             # the writer is still usable
    assert w.n_written == 5


def test_invalid_run_info():
    for kw, arg in [({"lepton_pdg": 15}, "lepton_pdg"), ({"beams_pdg": (11,)}, "beams_pdg"),
                    ({"beam_energies": (18.0, -1.0)}, "beam_energies"), ({"sigma_pb": np.nan}, "sigma_pb"),
                    ({"sigma_error_pb": -1.0}, "sigma_error_pb"), ({"channel_names": ()}, "channel_names"),
                    ({"channel_names": ("a,b",)}, "channel_names"), ({"channel_names": ("a", "a")}, "channel_names"),
                    ({"variation_names": ("mu up",)}, "variation_names"),
                    ({"variation_names": ("a\\b",)}, "variation_names"),
                    ({"variation_names": ("a\x00",)}, "variation_names"),
                    ({"variation_names": ("default",)}, "variation_names"), ({"n_events": -1}, "n_events"),
                    ({"unweighted": "yes"}, "unweighted"), ({"generator": ("x",)}, "generator"),
                    ({"attributes": {"bad key": 1}}, "attributes"), ({"attributes": {"sigma_pb": 1}}, "attributes"),
                    ({"attributes": {"x": object()}}, "attributes")]:
        with pytest.raises(ValueError, match=arg):
            run_info(**kw)


def test_default_channel_names_are_the_package_channels():
    from jpsi_fast.components import CHANNELS as package_channels
    assert RunInfo().channel_names == tuple(package_channels)
    assert RunInfo().to_dict()["pdg_ids"]["lep_minus"] == 13


def test_import_is_lazy():
    code = ("import sys, jpsi_fast._eventio; "
            "print(sorted(m for m in ('pyhepmc', 'pylhe', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_writer_throughput(tmp_path, monkeypatch):
    """Events per second of each writer (1e5 events of 8 particles and 3 variation weights, single process)."""
    monkeypatch.setattr(eio, "_BLOCK", 8192)
    monkeypatch.setattr(eio, "_ROW_GROUP", 65536)
    monkeypatch.setattr(eio, "_SUB", 8192)
    import time
    batches = make_batches(sizes=(25000,) * 4, e0=0)
    rates = {}
    for fmt in ("hepmc3", "hepmc3.gz", "lhe", "lhe.gz", "parquet"):
        if fmt == "parquet" and pytest.importorskip("pyarrow") is None:
            continue
        t = time.perf_counter()
        write(tmp_path / f"t.{fmt}", fmt, batches)
        rates[fmt] = 1e5 / (time.perf_counter() - t)
    print("\nwriter throughput [events/s]: " + ", ".join(f"{k} {v:.3g}" for k, v in rates.items()))
    assert min(rates.values()) > 1e4


def test_hepmc3_same_events_as_pyhepmc_writer(tmp_path):
    """Our NumPy-formatted HepMC3 and the same events built with pyhepmc objects and written by pyhepmc's own
    WriterAscii read back as the same records (particles, statuses, momenta, vertex topology, weights)."""
    pyhepmc = pytest.importorskip("pyhepmc")
    batch = make_batches(sizes=(3,), e0=1)[0]
    ri = write(tmp_path / "ours.hepmc", "hepmc3", [batch])
    status = dict(zip(PARTICLES, [4, 4, 1, 13, 2, 1, 1, 11]))
    run = pyhepmc.GenRunInfo()
    run.weight_names = ["default", *VARIATIONS]
    with pyhepmc.open(tmp_path / "lib.hepmc", "w") as f:
        for i in range(batch.n):
            ev = pyhepmc.GenEvent(pyhepmc.Units.GEV, pyhepmc.Units.MM)
            ev.run_info = run
            ev.event_number = batch.event_number0 + i
            parts = {}
            for name in PARTICLES:
                e, px, py, pz = batch.p4[name][i]
                parts[name] = pyhepmc.GenParticle(pyhepmc.FourVector(px, py, pz, e), PDG[name], status[name])
            for ins, outs in ((("beam_e",), ("e_out", "gamma")), (("gamma", "beam_p"), ("jpsi", "X")),
                              (("jpsi",), ("lep_plus", "lep_minus"))):
                v = pyhepmc.GenVertex()
                for n in ins:
                    v.add_particle_in(parts[n])
                for n in outs:
                    v.add_particle_out(parts[n])
                ev.add_vertex(v)
            ev.weights = [batch.weight[i], *batch.variation_weights[i]]
            f.write(ev)

    def records(path):
        with pyhepmc.open(path) as f:
            out = []
            for ev in f:
                parts = sorted((p.pid, p.status, tuple(p.momentum)) for p in ev.particles)
                verts = sorted((tuple(sorted(p.pid for p in v.particles_in)),
                                tuple(sorted(p.pid for p in v.particles_out))) for v in ev.vertices)
                out.append((ev.event_number, parts, verts, list(ev.weights)))
            return out

    ours, lib = records(tmp_path / "ours.hepmc"), records(tmp_path / "lib.hepmc")
    assert len(ours) == len(lib) == batch.n
    for a, b in zip(ours, lib):
        assert a[0] == b[0] and a[2] == b[2]
        assert [p[:2] for p in a[1]] == [p[:2] for p in b[1]]
        np.testing.assert_allclose([p[2] for p in a[1]], [p[2] for p in b[1]], rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(a[3], b[3], rtol=1e-13)
    assert ri.sigma_pb > 0
