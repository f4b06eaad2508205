"""Parton distributions: Cython GRV94 (analytic and tabulated) and lhagrid1 against the NumPy reference; strict
reading of lhagrid1 files, validity ranges, .info metadata (ForcePositive, Flavors, ranges) and pickling."""
import pickle
import re
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import jpsi_fast as jf
from jpsi_fast import reference as ref
from jpsi_fast.pdf import PDFFileError, read_lhagrid1, write_lhagrid

PIDS = [-5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 21]


def test_grv94_spec_check_values():
    # SPEC 6: x*f at Q^2 = 100 GeV^2
    expected = {0.01: {21: 7.35563, 2: 0.59707, 1: 0.52662, -2: 0.38962, -1: 0.41116, 3: 0.24748},
                0.1: {21: 1.04662, 2: 0.60175, 1: 0.38299}}
    for exact in (True, False):
        pdf = jf.pdf.GRV94LO(exact=exact)
        for x, vals in expected.items():
            for pid, v in vals.items():
                assert abs(pdf.xfxQ2(pid, x, 100.0) - v) <= 5e-6, (exact, x, pid)


def test_grv94_exact_matches_reference():
    rng = np.random.default_rng(1)
    n = 20_000
    x = 10 ** rng.uniform(-5, np.log10(0.999), n)
    Q = 10 ** rng.uniform(np.log10(0.4) / 2, 3, n)          # the validity range, Q^2 in [0.4, 1e6] GeV^2
    mine, theirs = jf.pdf.GRV94LO(exact=True), ref.GRV94LO()
    for pid in PIDS:
        a, b = mine.xfxQ(pid, x, Q), theirs.xfxQ(pid, x, Q)
        scale = np.maximum(np.abs(b), 1e-300)
        assert np.max(np.abs(a - b) / scale) <= 1e-12, pid


def test_grv94_table_accuracy():
    """Documented accuracy of the tabulated form: <= 1e-5 relative for x in [1e-4, 0.99], Q in [2, 200] GeV."""
    rng = np.random.default_rng(2)
    n = 200_000
    x = 10 ** rng.uniform(-4, np.log10(0.99), n)
    x[:20_000] = rng.uniform(0.9, 0.99, 20_000)
    Q = 10 ** rng.uniform(np.log10(2), np.log10(200), n)
    exact, table = jf.pdf.GRV94LO(exact=True), jf.pdf.GRV94LO()
    for pid in [-3, -2, -1, 1, 2, 3, 21]:
        rel = np.abs(table.xfxQ(pid, x, Q) / exact.xfxQ(pid, x, Q) - 1)
        assert rel.max() <= 1e-5, (pid, rel.max())
    # the kernels' pre-summed charge-weighted light-quark density, through the cross section
    xs_t = jf.CrossSection(jf.Params(tmd_pdf="collinear"), table)
    xs_e = jf.CrossSection(jf.Params(tmd_pdf="collinear"), exact)
    z, PT = rng.uniform(0.1, 0.9, n), rng.uniform(0, 6, n)
    a = xs_t.evaluate(x, z, Q, PT, states="U").values
    b = xs_e.evaluate(x, z, Q, PT, states="U").values
    ok = b > 0
    assert np.max(np.abs(a[ok] / b[ok] - 1)) <= 1e-5
    # inside the validity range but outside the table the analytic form is used: identical values
    for xo, Qo in [(0.9995, 10.0), (0.1, 0.8), (1 - 1e-12, 700.0)]:
        assert table.xfxQ(21, xo, Qo) == exact.xfxQ(21, xo, Qo)


def test_xfx_broadcasting_and_errors():
    pdf = jf.pdf.GRV94LO()
    v = pdf.xfxQ([21, 2, 1], np.array([[0.1], [0.2]]), 10.0)
    assert v.shape == (2, 3)
    assert v[0, 0] == pdf.xfxQ(21, 0.1, 10.0)
    assert isinstance(pdf.xfxQ2(21, 0.1, 100.0), float)
    assert pdf.xfxQ(6, 0.1, 10.0) == 0.0 and pdf.xfxQ(-6, 0.1, 10.0) == 0.0
    assert pdf.xfxQ(0, 0.1, 10.0) == pdf.xfxQ(21, 0.1, 10.0)
    for kwargs, word in [(dict(x=1.0), "x"), (dict(x=0.0), "x"), (dict(x=np.nan), "x"), (dict(Q=-1.0), "Q"),
                         (dict(Q=np.inf), "Q")]:
        args = dict(pid=21, x=0.1, Q=10.0) | kwargs
        with pytest.raises(ValueError, match=word):
            pdf.xfxQ(**args)
    with pytest.raises(TypeError, match="pid"):
        pdf.xfxQ(2.5, 0.1, 10.0)


def test_lhagrid_nnpdf_matches_reference(nnpdf_path):
    mine, theirs = jf.pdf.LHAGrid(nnpdf_path), ref.LHAGrid(str(nnpdf_path))
    assert mine.pids == (-5, -4, -3, -2, -1, 21, 1, 2, 3, 4, 5)
    assert len(mine.subgrids) == 2
    rng = np.random.default_rng(3)
    n = 20_000
    xlo, xhi = mine.x_range
    qlo, qhi = mine.Q_range
    x = 10 ** rng.uniform(np.log10(xlo), np.log10(xhi), n)
    Q = 10 ** rng.uniform(np.log10(qlo), np.log10(qhi), n)
    Q[:50] = mine.subgrids[1][1][0]          # on the shared subgrid boundary
    x[50:100] = mine.subgrids[0][0][rng.integers(0, 150, 50)]   # on x knots
    for pid in PIDS:
        # relative to max(|xf|, 1): near sign changes (small-x strange) x*f is a cancellation of knot values
        # of O(100-1000), whose rounding (1e-16 of those) no interpolation order can avoid
        a, b = mine.xfxQ(pid, x, Q), theirs.xfxQ(pid, x, Q)
        assert np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)) <= 1e-12, pid
        big = np.abs(b) > 1e-2
        assert np.max(np.abs(a - b)[big] / np.abs(b[big])) <= 1e-12, pid
    # knot values reproduce the table
    xk, qk, vals = mine.subgrids[0]
    col = mine.pids.index(21)
    assert mine.xfxQ(21, xk[10], qk[3]) == pytest.approx(vals[10 * len(qk) + 3, col], rel=1e-14)
    assert 6.0 < mine.xfxQ(21, 0.01, 10.0) < 10.0


def test_lhagrid_range_and_extrapolation(nnpdf_path):
    pdf = jf.pdf.LHAGrid(nnpdf_path)
    xlo = pdf.x_range[0]
    qhi = pdf.Q_range[1]
    with pytest.raises(ValueError, match="x"):
        pdf.xfxQ(21, xlo / 2, 10.0)
    with pytest.raises(ValueError, match="Q"):
        pdf.xfxQ(21, 0.1, qhi * 2)
    near = jf.pdf.LHAGrid(nnpdf_path, extrapolate="nearest")
    assert near.xfxQ(21, xlo / 2, 10.0) == near.xfxQ(21, xlo, 10.0)
    assert near.xfxQ(2, 0.1, qhi * 2) == near.xfxQ(2, 0.1, qhi)
    assert near.xfxQ(6, 0.1, 10.0) == 0.0                       # absent flavour
    with pytest.raises(ValueError, match="extrapolate"):
        jf.pdf.LHAGrid(nnpdf_path, extrapolate="linear")


def test_written_grid_roundtrip(tmp_path):
    """A grid the package writes itself: knots reproduce GRV94, the interpolation matches the reference,
    subgrid selection at a shared boundary and the linear rule for a subgrid with < 4 Q knots."""
    grv = jf.pdf.GRV94LO(exact=True)
    xk = np.geomspace(1e-4, 1.0, 60)
    path = write_lhagrid(tmp_path / "GRVGRID_0000.dat", grv, xk,
                         [np.geomspace(1.3, 5.0, 8), np.geomspace(5.0, 8.0, 3), np.geomspace(8.0, 500.0, 20)],
                         pids=(21, 2, 1, 3, -1, -2, -3))
    mine, theirs = jf.pdf.LHAGrid(path), ref.LHAGrid(str(path))
    assert len(mine.subgrids) == 3 and mine.pids == (21, 2, 1, 3, -1, -2, -3)
    for pid in (21, 2, -3):
        assert mine.xfxQ(pid, xk[7], 5.0) == pytest.approx(grv.xfxQ(pid, xk[7], 5.0), rel=1e-15)
    rng = np.random.default_rng(4)
    x = 10 ** rng.uniform(-4, -1e-3, 5000)
    Q = 10 ** rng.uniform(np.log10(1.3), np.log10(500), 5000)
    Q[:200] = rng.uniform(5.0, 8.0, 200)                  # the 3-knot (linear in ln Q^2) subgrid
    for pid in (21, 2, 1, -3, 4):
        a, b = mine.xfxQ(pid, x, Q), theirs.xfxQ(pid, x, Q)
        assert np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)) <= 1e-12
    assert mine.xfxQ(4, 0.1, 10.0) == 0.0                 # charm not in this grid
    # interpolation of a smooth PDF on a 60 x 20 grid is accurate to ~1e-3
    mask = (Q > 8.0) & (x < 0.5)
    rel = np.abs(mine.xfxQ(21, x[mask], Q[mask]) / grv.xfxQ(21, x[mask], Q[mask]) - 1)
    assert rel.max() < 1e-2


GOOD_BLOCK = ["1e-3 1e-2 1e-1 1", "2 3 4 5", "21 2", *["1 2"] * 16, "---"]


@pytest.mark.parametrize("lines, lineno, word", [
    (["Format: lhagrid1"], 1, "separator"),
    (["Format: lhagrid2", "---", *GOOD_BLOCK], 1, "lhagrid2"),
    (["Format: lhagrid1", "---", "1e-3 1e-2 oops 1", *GOOD_BLOCK[1:]], 3, "x knots"),
    (["Format: lhagrid1", "---", "1e-3 1e-4 1e-1 1", *GOOD_BLOCK[1:]], 3, "increasing"),
    (["Format: lhagrid1", "---", *GOOD_BLOCK[:2], "21 g", *GOOD_BLOCK[3:]], 5, "PDG"),
    (["Format: lhagrid1", "---", *GOOD_BLOCK[:3], "1 2 3", *GOOD_BLOCK[4:]], 6, "expected 2 values"),
    (["Format: lhagrid1", "---", *GOOD_BLOCK[:3], "1 nan", *GOOD_BLOCK[4:]], 6, "non-finite"),
    (["Format: lhagrid1", "---", *GOOD_BLOCK[:5], "---"], 6, "value lines"),
    (["Format: lhagrid1", "---", *GOOD_BLOCK[:2], "---"], 3, "block"),
])
def test_malformed_grid_files(tmp_path, lines, lineno, word):
    path = tmp_path / "BAD_0000.dat"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(PDFFileError, match=word) as info:
        read_lhagrid1(path)
    assert f"{path}:{lineno}" in str(info.value)
    with pytest.raises(ValueError):          # PDFFileError is a ValueError
        jf.pdf.LHAGrid(path)


def test_minimal_good_grid(tmp_path):
    path = tmp_path / "OK_0000.dat"
    path.write_text("\n".join(["Format: lhagrid1", "---", *GOOD_BLOCK]) + "\n")
    pdf = jf.pdf.LHAGrid(path)
    assert pdf.xfxQ(21, 0.05, 3.5) == pytest.approx(1.0) and pdf.xfxQ(2, 0.05, 3.5) == pytest.approx(2.0)


def test_load_by_name_and_path(tmp_path, monkeypatch, nnpdf_path):
    setdir = tmp_path / "NNPDF31_lo_as_0118"
    setdir.mkdir()
    (setdir / "NNPDF31_lo_as_0118_0000.dat").write_bytes(nnpdf_path.read_bytes())
    (setdir / "NNPDF31_lo_as_0118.info").write_text("SetDesc: test copy\nFormat: lhagrid1\n")
    monkeypatch.setenv("LHAPDF_DATA_PATH", str(tmp_path))
    assert jf.pdf.available_sets() == ["NNPDF31_lo_as_0118"]
    by_name = jf.pdf.load("NNPDF31_lo_as_0118")
    by_info = jf.pdf.LHAGrid(setdir / "NNPDF31_lo_as_0118.info")
    by_file = jf.pdf.load(nnpdf_path)
    for p in (by_name, by_info):
        assert p.xfxQ(21, 0.01, 10.0) == by_file.xfxQ(21, 0.01, 10.0)
    assert isinstance(jf.pdf.load("GRV94LO"), jf.pdf.GRV94LO)
    with pytest.raises(FileNotFoundError, match="LHAPDF_DATA_PATH"):
        jf.pdf.load("NoSuchSet")


# ---------------------------------------------------------------- strict lhagrid1 reading (docs/physics.md §6)
SET = "NNPDF31_lo_as_0118"
NNPDF_INFO = """SetDesc: "test copy"
Format: lhagrid1
NumMembers: 1
ErrorType: replicas
Flavors: [-5, -4, -3, -2, -1, 21, 1, 2, 3, 4, 5]
XMin: 1.0e-09
XMax: 1.0
QMin: 1.65
QMax: 1.0e+05
ForcePositive: {fp}
"""
LIGHT_AND_G = [-3, -2, -1, 1, 2, 3, 21]


def _member_in_set(tmp_path, data: bytes, info=None):
    """NNPDF member bytes as member 0 of a set directory (with a .info unless info is None)."""
    d = tmp_path / SET
    d.mkdir(exist_ok=True)
    if info is not None:
        (d / f"{SET}.info").write_text(info)
    path = d / f"{SET}_0000.dat"
    path.write_bytes(data)
    return path


def _bulk_points(n=20_000, seed=8):
    rng = np.random.default_rng(seed)
    return 10 ** rng.uniform(-5, np.log10(0.9), n), 10 ** rng.uniform(np.log10(2.0), 3, n)


def test_truncated_member_rejected(tmp_path, nnpdf_path):
    raw = nnpdf_path.read_bytes()
    alone = tmp_path / "alone"
    alone.mkdir()
    for cut in (len(raw) - 2, len(raw) - 3, len(raw) - 5, len(raw) - 200, len(raw) // 2, 700_000, 2000, 100, 10):
        path = _member_in_set(alone, raw[:cut])
        with pytest.raises(PDFFileError, match=r"truncated|'---'|separator") as info:
            jf.pdf.LHAGrid(path)
        assert re.search(rf"{re.escape(str(path))}:\d+: ", str(info.value)), info.value
    # cut exactly after the first subgrid's '---': a smaller valid grid when alone (documented) ...
    boundary = raw.index(b"\n---\n", 100) + 5
    alone_grid = jf.pdf.LHAGrid(_member_in_set(alone, raw[:boundary]))
    assert alone_grid.Q_range[1] == 4.92
    # ... but the set's .info says QMax = 1e5: rejected
    with pytest.raises(PDFFileError, match="QMax.*truncated"):
        jf.pdf.LHAGrid(_member_in_set(tmp_path, raw[:boundary], NNPDF_INFO.format(fp=0)))
    # the whole file, and the file without its final newline, load
    for data in (raw, raw[:-1]):
        assert jf.pdf.LHAGrid(_member_in_set(tmp_path, data, NNPDF_INFO.format(fp=0))).Q_range == (1.65, 1e5)


@pytest.mark.parametrize("old, new, line, word", [
    (b"-5 -4 -3 -2 -1 21 1 2 3 4 5", b"-5 -4 -3 -2 -1 21 1 2 3 4 4", 6, "twice"),
    (b"-5 -4 -3 -2 -1 21 1 2 3 4 5", b"-5 -4 -3 -2 -1 0 21 2 3 4 5", 6, "twice"),
    (b"-5 -4 -3 -2 -1 21 1 2 3 4 5", b"-5 -4 -3 -2 -1 21 1 2 3 4 4294967301", 6, "PDG"),
    (b"4.9200000e+00 5.5493622e+00", b"4.9300000e+00 5.5493622e+00", 1809, "contiguous"),
    (b"1.6500000e+00 1.7874388e+00", b"1.7874388e+00 1.6500000e+00", 5, "increasing"),
    (b"1.0000000e-09 1.2805087e-09", b"0.0000000e-09 1.2805087e-09", 4, "lie in"),
])
def test_member_defects_named(tmp_path, nnpdf_path, old, new, line, word):
    raw = nnpdf_path.read_bytes()
    assert raw.count(old) >= 1
    path = _member_in_set(tmp_path, raw.replace(old, new, 1))
    with pytest.raises(PDFFileError, match=word) as info:
        jf.pdf.LHAGrid(path)
    assert f"{path}:{line}:" in str(info.value)


def test_flavour_order_must_match_between_subgrids(tmp_path, nnpdf_path):
    raw = nnpdf_path.read_bytes()
    first = raw.index(b"-5 -4 -3 -2 -1 21 1 2 3 4 5")
    second = raw.index(b"-5 -4 -3 -2 -1 21 1 2 3 4 5", first + 1)
    data = raw[:second] + b"-5 -4 -3 -2 -1 21 2 1 3 4 5" + raw[second + 27:]
    with pytest.raises(PDFFileError, match="same order") as info:
        jf.pdf.LHAGrid(_member_in_set(tmp_path, data))
    assert ":1810:" in str(info.value)


def test_non_utf8_and_odd_characters(tmp_path, nnpdf_path):
    raw = nnpdf_path.read_bytes()
    offset = raw.index(b"\n", 600_000) + 7
    line = raw.count(b"\n", 0, offset) + 1
    path = _member_in_set(tmp_path, raw[:offset] + b"\xff" + raw[offset + 1:])
    with pytest.raises(PDFFileError, match="UTF-8") as info:
        jf.pdf.LHAGrid(path)
    assert f"{path}:{line}:" in str(info.value)
    for bad in ("\u0661", "_", "\u00a0", "\x00"):           # Arabic-Indic one, '1_0', no-break space, NUL
        data = raw[:offset] + bad.encode() + raw[offset + 1:]
        with pytest.raises(PDFFileError, match="character|number") as info:
            jf.pdf.LHAGrid(_member_in_set(tmp_path, data))
        assert f":{line}:" in str(info.value)


@pytest.mark.parametrize("lines, lineno, word", [
    (["Format: lhagrid1", "---", "1e-3 1e-2 1_0e-1 1", *GOOD_BLOCK[1:]], 3, "character"),
    (["Format: lhagrid1", "---", "1e-3 1e-2 1e-1 2", *GOOD_BLOCK[1:]], 3, "lie in"),
    (["Format: lhagrid1", "---", GOOD_BLOCK[0], "0 3 4 5", *GOOD_BLOCK[2:]], 4, "lie in"),
    (["Format: lhagrid1", "---", *GOOD_BLOCK[:3], "1 inf", *GOOD_BLOCK[4:]], 6, "non-finite"),
    (["Format: lhagrid1", "---", *GOOD_BLOCK[:3], "1 1e999", *GOOD_BLOCK[4:]], 6, "non-finite"),
    (["Format: lhagrid1", "---", *GOOD_BLOCK[:3], "", *GOOD_BLOCK[4:]], 6, "empty"),
    (["Format: lhagrid1", "---", *GOOD_BLOCK[:-1]], 21, "closed by '---'.*truncated"),
    (["Format: lhagrid1", "---", *GOOD_BLOCK[:-1], "1 2", "---"], 22, "closed by '---'"),
    (["Format: lhagrid1", "---", *GOOD_BLOCK, "garbage"], 23, "block"),
    (["Format: lhagrid1", "---", *GOOD_BLOCK, "", "  "], None, None),
    (["Format: lhagrid1", "---"], 2, "no subgrid"),
    (["Format lhagrid1", "---", *GOOD_BLOCK], 1, "Key: value"),
])
def test_more_malformed_grid_files(tmp_path, lines, lineno, word):
    path = tmp_path / "BAD_0000.dat"
    path.write_text("\n".join(lines) + "\n")
    if word is None:                        # blank lines after the last block are harmless
        assert jf.pdf.LHAGrid(path).xfxQ(21, 0.05, 3.5) == pytest.approx(1.0)
        return
    with pytest.raises(PDFFileError, match=word) as info:
        jf.pdf.LHAGrid(path)
    assert f"{path}:{lineno}:" in str(info.value)


def test_pid_validation(nnpdf_path):
    for pdf in (jf.pdf.GRV94LO(), jf.pdf.LHAGrid(nnpdf_path)):
        for bad in (2 ** 32 + 21, -(2 ** 31) - 1, 2 ** 70, np.int64(2 ** 40), np.uint64(2 ** 63), [21, 2 ** 32 + 21]):
            with pytest.raises(ValueError, match="pid"):
                pdf.xfxQ(bad, 0.1, 10.0)
        for bad in (21.0, "21", True, None, [21, None]):
            with pytest.raises(TypeError, match="pid"):
                pdf.xfxQ(bad, 0.1, 10.0)
        assert pdf.xfxQ(2 ** 31 - 1, 0.1, 10.0) == 0.0 and pdf.xfxQ(-(2 ** 31), 0.1, 10.0) == 0.0
        assert pdf.xfxQ(np.uint8(21), 0.1, 10.0) == pdf.xfxQ(21, 0.1, 10.0)


# ---------------------------------------------------------------- validity ranges (docs/physics.md §6)
def test_grv94_validity_range():
    for exact in (False, True):
        g = jf.pdf.GRV94LO(exact=exact)
        assert g.x_range == (1e-5, np.nextafter(1.0, 0.0)) and g.Q_range == (np.sqrt(0.4), 1000.0)
        assert g.xfxQ2(21, 1e-5, 0.4) > 0 and g.xfxQ2(2, np.nextafter(1.0, 0.0), 1e6) >= 0
        with pytest.raises(ValueError, match=r"x must be in \[1e-05, 0.9999999999999999\]"):
            g.xfxQ2(21, 9e-6, 10.0)
        with pytest.raises(ValueError, match=r"Q2 must be in \[0.4, 1000000.0\] GeV\^2"):
            g.xfxQ2(21, 0.1, 0.39)
        with pytest.raises(ValueError, match=r"Q must be in \[0.63\d*, 1000.0\] GeV"):
            g.xfxQ(21, 0.1, 0.6)
        near = jf.pdf.GRV94LO(exact=exact, extrapolate="nearest")
        assert near.xfxQ2(21, 1e-7, 0.1) == g.xfxQ2(21, 1e-5, 0.4)
        assert near.xfxQ2(-3, 0.2, 5e7) == g.xfxQ2(-3, 0.2, 1e6)
        assert near.xfxQ(2, 0.3, 0.2) == g.xfxQ2(2, 0.3, 0.4) > 0       # no negative sea below Q^2 = 0.4
        # the C-level check the kernels use
        assert list(g.core.range_codes(np.array([1e-6, 0.1, 0.1, 0.1]), np.array([10.0, 0.3, 2e6, 50.0]))) == \
            [5, 6, 6, 0]
        assert not near.core.range_codes(np.array([1e-6, 0.1]), np.array([10.0, 0.3])).any()
    with pytest.raises(ValueError, match="extrapolate"):
        jf.pdf.GRV94LO(extrapolate="linear")


def test_lhagrid_range_codes(nnpdf_path):
    pdf = jf.pdf.LHAGrid(nnpdf_path)
    q2lo, q2hi = pdf.Q_range[0] ** 2, pdf.Q_range[1] ** 2
    codes = pdf.core.range_codes(np.array([1e-10, 0.5, 0.5, 0.5, 1e-9]), np.array([10.0, q2lo * 0.99, q2hi * 1.01,
                                                                                  q2hi, q2lo]))
    assert list(codes) == [5, 6, 6, 0, 0]


# ---------------------------------------------------------------- .info: ForcePositive, Flavors, ranges (§10.3)
def test_force_positive_from_info(tmp_path, nnpdf_path):
    raw = jf.pdf.LHAGrid(nnpdf_path)                 # a member alone: ForcePositive 0 (documented)
    assert raw.force_positive == 0 and raw.info_path is None
    x, Q = _bulk_points()
    vals = {pid: raw.xfxQ(pid, x, Q) for pid in LIGHT_AND_G}
    assert np.mean(np.concatenate(list(vals.values())) < 0) > 0.02       # NNPDF3.1 LO interpolates negative
    for fp, floor in ((1, 0.0), (2, 1e-10)):
        d = tmp_path / f"fp{fp}"
        d.mkdir()
        pdf = jf.pdf.LHAGrid(_member_in_set(d, nnpdf_path.read_bytes(), NNPDF_INFO.format(fp=fp)))
        assert pdf.force_positive == fp and pdf.info["ForcePositive"] == fp
        for pid in LIGHT_AND_G:
            np.testing.assert_array_equal(pdf.xfxQ(pid, x, Q), np.where(vals[pid] < floor, floor, vals[pid]))
        assert pdf.xfxQ(6, 0.1, 10.0) == 0.0 and pdf.xfxQ(22, 0.1, 10.0) == 0.0     # absent flavours stay 0


def test_info_flavors_ranges_and_cascade(tmp_path, nnpdf_path):
    data = nnpdf_path.read_bytes()
    raw = jf.pdf.LHAGrid(nnpdf_path)
    info = NNPDF_INFO.format(fp=0)
    sub = jf.pdf.LHAGrid(_member_in_set(tmp_path, data, info.replace("Flavors: [-5, -4, -3,", "Flavors: [-5, -4,")))
    assert sub.xfxQ(-3, 0.01, 10.0) == 0.0 and sub.xfxQ(3, 0.01, 10.0) == raw.xfxQ(3, 0.01, 10.0)
    assert -3 not in sub.flavors
    with pytest.raises(PDFFileError, match="Flavors"):
        jf.pdf.LHAGrid(_member_in_set(tmp_path, data, info.replace("4, 5]", "4, 5, 6]")))
    narrow = jf.pdf.LHAGrid(_member_in_set(tmp_path, data, info.replace("XMin: 1.0e-09", "XMin: 1.0e-05")
                                           .replace("QMax: 1.0e+05", "QMax: 1.0e+03")))
    assert narrow.x_range == (1e-5, 1.0) and narrow.Q_range == (1.65, 1e3)
    with pytest.raises(ValueError, match="x must be in"):
        narrow.xfxQ(21, 1e-6, 10.0)
    with pytest.raises(PDFFileError, match="QMax"):
        jf.pdf.LHAGrid(_member_in_set(tmp_path, data, info.replace("QMax: 1.0e+05", "QMax: 2.0e+05")))
    with pytest.raises(PDFFileError, match="ForcePositive"):
        jf.pdf.LHAGrid(_member_in_set(tmp_path, data, info.replace("ForcePositive: 0", "ForcePositive: yes")))
    # LHAPDF's cascade: the member's header overrides the set's .info
    header = data.replace(b"PdfType: central", b"PdfType: central\nForcePositive: 0", 1)
    pdf = jf.pdf.LHAGrid(_member_in_set(tmp_path, header, NNPDF_INFO.format(fp=1)))
    assert pdf.force_positive == 0


INFO_TEXT = """# a comment line
SetDesc: "NNPDF3.1 LO, \\"quoted\\" text # not a comment,
  continued on a second line"
Authors: 'O''Brien et al.'   # trailing comment
Reference: plain text, with commas: and colons
Format: lhagrid1
DataVersion: 1
NumMembers: 101
Flavors: [-5, -4, -3, -2, -1,
          21, 1, 2, 3, 4, 5]   # spans lines
Nested: [[1, 2], ["a b", c], []]
XMin: 1e-9
QMax: 1.0E+05
AlphaS_MZ: .118
Negative: -3
Bool: true
Nothing: ~
Inf: .inf
ErrorType: replicas
Block:
  - 1.5
  - "two"
  - [3]
LongText: first part
  second part
Literal: |
  line one
  line two
"""


def test_parse_info_subset():
    info = jf.pdf.parse_info(INFO_TEXT)
    assert info == {
        "SetDesc": 'NNPDF3.1 LO, "quoted" text # not a comment, continued on a second line',
        "Authors": "O'Brien et al.", "Reference": "plain text, with commas: and colons", "Format": "lhagrid1",
        "DataVersion": 1, "NumMembers": 101, "Flavors": [-5, -4, -3, -2, -1, 21, 1, 2, 3, 4, 5],
        "Nested": [[1, 2], ["a b", "c"], []], "XMin": 1e-9, "QMax": 1e5, "AlphaS_MZ": 0.118, "Negative": -3,
        "Bool": True, "Nothing": None, "Inf": float("inf"), "ErrorType": "replicas", "Block": [1.5, "two", [3]],
        "LongText": "first part second part", "Literal": "line one\nline two\n"}


@pytest.mark.parametrize("text, line, word", [
    ("A: 1\nB: 2\nA: 3\n", 3, "duplicate"),
    ("A: 1\nB: \"open\n", 2, "unclosed"),
    ("A: 1\nB: [1, 2\nC: 3\n", 2, "unclosed '\\['"),
    ('A: ["a" "b"]\n', 1, "expected ','"),
    ("A: [1, 2\n", 1, "unclosed"),
    ("A:\n  b: 1\n", 2, "nested"),
    ("  A: 1\n", 1, "indented"),
    ("just text\n", 1, "Key: value"),
    ("A: {b: 1}\n", 1, "not supported"),
    ("A: [1] x\n", 1, "unexpected text"),
    ('A: "bad \\q escape"\n', 1, "escape"),
])
def test_parse_info_errors(text, line, word):
    with pytest.raises(PDFFileError, match=word) as info:
        jf.pdf.parse_info(text, "X.info")
    assert f"X.info:{line}:" in str(info.value)


def test_parse_info_agrees_with_pyyaml():
    yaml = pytest.importorskip("yaml")
    # Only lines on which YAML 1.1 (PyYAML) and YAML 1.2 (yaml-cpp, which LHAPDF uses) agree: exponent floats
    # without a dot are strings in YAML 1.1, and some PyYAML releases reject ': ' inside a plain scalar.
    skip = ("XMin", "Inf", "AlphaS", "Reference")
    text = "\n".join(line for line in INFO_TEXT.split("\n") if not line.startswith(skip))
    assert jf.pdf.parse_info(text) == yaml.safe_load(text)


# ---------------------------------------------------------------- pickling (values, not identities)
def _probe_values(pdf):
    x = np.geomspace(1e-4, 0.95, 11)
    return np.array([pdf.xfxQ(pid, x, np.geomspace(2.0, 900.0, 11)) for pid in (-3, -2, -1, 1, 2, 3, 4, 21)])


def test_pdfs_pickle_by_value_in_other_process(nnpdf_path):
    pdfs = [jf.pdf.GRV94LO(), jf.pdf.GRV94LO(exact=True, extrapolate="nearest"), jf.pdf.LHAGrid(nnpdf_path),
            jf.pdf.LHAGrid(nnpdf_path, extrapolate="nearest")]
    for p in pdfs:
        assert len(pickle.dumps(p)) < 1000                     # options / path + fingerprint, not data
    with ProcessPoolExecutor(max_workers=1) as ex:
        remote = list(ex.map(_probe_values, pdfs))
    for p, r in zip(pdfs, remote):
        np.testing.assert_array_equal(r, _probe_values(p))
    back = pickle.loads(pickle.dumps(pdfs[1]))
    assert back.exact and back.extrapolate == "nearest" and back.xfxQ(21, 1e-7, 0.1) == pdfs[1].xfxQ(21, 1e-7, 0.1)


def test_lhagrid_unpickle_detects_changed_file(tmp_path, nnpdf_path):
    raw = nnpdf_path.read_bytes()
    path = _member_in_set(tmp_path, raw, NNPDF_INFO.format(fp=0))
    blob = pickle.dumps(jf.pdf.LHAGrid(path))
    assert pickle.loads(blob).xfxQ(21, 0.1, 10.0) == jf.pdf.LHAGrid(path).xfxQ(21, 0.1, 10.0)
    path.write_bytes(raw.replace(b"1.4557891E+02", b"1.4557892E+02", 1))
    with pytest.raises(PDFFileError, match="changed"):
        pickle.loads(blob)
    path.write_bytes(raw)
    (path.parent / f"{SET}.info").write_text(NNPDF_INFO.format(fp=1))        # the .info counts too
    with pytest.raises(PDFFileError, match="changed"):
        pickle.loads(blob)


def test_pdf_instances_are_independent():
    a, b = jf.pdf.GRV94LO(), jf.pdf.GRV94LO(extrapolate="nearest")
    assert a.core is not b.core and a.extrapolate is None
    with pytest.raises(ValueError, match="x"):
        a.xfxQ(21, 1e-7, 10.0)
    assert b.xfxQ(21, 1e-7, 10.0) == a.xfxQ(21, 1e-5, 10.0)
