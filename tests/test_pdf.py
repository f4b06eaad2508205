"""Parton distributions: Cython GRV94 (analytic and tabulated) and lhagrid1 against the NumPy reference."""
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
