"""PDF sets (docs/physics.md §10.3): loading, uncertainties and correlations as LHAPDF 6.2.3, alpha_s, pickling,
and the many-member evaluator LumiSetCore against member-by-member evaluation."""
import math
import pickle
import re
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import jpsi_fast as jf
from jpsi_fast import _pdf
from jpsi_fast.pdf import (GRV94LO, LHAGrid, PDFFileError, PDFSet, load_set, parse_info, pdf_correlation,
                           pdf_uncertainty)
from jpsi_fast.pdf_testing import knots_of, make_synthetic_set

#: kernel order g, u, d, s, ubar, dbar, sbar and the squared charges summed by the FF channel
KERNEL_PIDS = (21, 2, 1, 3, -2, -1, -3)
EQ2 = np.array([0.0, 4 / 9, 1 / 9, 1 / 9, 4 / 9, 1 / 9, 1 / 9])


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    """Small synthetic sets of each error type (default knots), written once for the module."""
    d = tmp_path_factory.mktemp("sets")
    return {"replicas": load_set(make_synthetic_set(d, "SYNREP", 21, "replicas", seed=1)),
            "symmhessian": load_set(make_synthetic_set(d, "SYNSYM", 9, "symmhessian", seed=2)),
            "hessian": load_set(make_synthetic_set(d, "SYNHES", 11, "hessian", seed=3, error_conf_level=90.0))}


def nnpdf_set(directory, nnpdf_path, force_positive, n_members=5, name=None):
    """A set of perturbations of the NNPDF3.1 LO member on its own knots (keeps its negative x f values)."""
    xk, qk = knots_of(nnpdf_path)
    return load_set(make_synthetic_set(directory, name or f"NNFP{force_positive}", n_members, "replicas", seed=7,
                                       x_knots=xk, q_subgrids=qk, base=LHAGrid(nnpdf_path),
                                       force_positive=force_positive))


# ---------------------------------------------------------------- loading
def test_load_set_by_path_and_name(sets, monkeypatch):
    s = sets["replicas"]
    assert len(s) == 21 and s.name == "SYNREP" and s.error_type == "replicas" and s.error_conf_level == 68.27
    assert s.info["NumMembers"] == 21 and s.info["Flavors"] == [-5, -4, -3, -2, -1, 21, 1, 2, 3, 4, 5]
    assert [m.member for m in s.members] == list(range(21)) and all(isinstance(m, LHAGrid) for m in s)
    assert sets["hessian"].error_conf_level == 90.0
    monkeypatch.setenv("LHAPDF_DATA_PATH", str(s.path.rsplit("/", 1)[0]))
    by_name = jf.pdf.load_set("SYNREP")
    assert by_name.path == s.path and by_name[3].xfxQ(21, 0.01, 10.0) == s[3].xfxQ(21, 0.01, 10.0)
    assert load_set(f"{s.path}/SYNREP.info").fingerprint == s.fingerprint
    with pytest.raises(FileNotFoundError, match="LHAPDF_DATA_PATH"):
        load_set("NoSuchSet")


def test_replica_member0_is_the_mean(sets):
    s = sets["replicas"]
    x, Q = np.geomspace(1e-4, 0.9, 7), np.geomspace(2.0, 500.0, 7)
    for pid in (21, 2, -1):
        vals = np.array([m.xfxQ(pid, x, Q) for m in s])
        np.testing.assert_allclose(vals[0], vals[1:].mean(axis=0), rtol=1e-12)


def test_set_metadata_errors(tmp_path, sets):
    src = sets["symmhessian"]
    d = tmp_path / "BAD"
    d.mkdir()
    for k in range(3):
        (d / f"BAD_{k:04d}.dat").write_bytes(open(src[k].path, "rb").read())
    (d / "BAD.info").write_text("Format: lhagrid1\nErrorType: symmhessian\n")
    with pytest.raises(PDFFileError, match="NumMembers"):
        PDFSet(d)
    (d / "BAD.info").write_text("NumMembers: 4\nErrorType: symmhessian\n")
    with pytest.raises(FileNotFoundError, match="missing"):
        PDFSet(d)
    (d / "BAD.info").write_text("NumMembers: 3\nErrorType: symmhessian\nErrorConfLevel: 120\n")
    with pytest.raises(PDFFileError, match="ErrorConfLevel"):
        PDFSet(d)
    (d / "BAD.info").write_text("NumMembers: 3\nErrorType: symmhessian\nForcePositive: 3\n")
    with pytest.raises(PDFFileError, match="ForcePositive"):
        PDFSet(d)


# ---------------------------------------------------------------- uncertainties by hand
def test_uncertainty_by_hand():
    u = pdf_uncertainty([10.0, 1.0, 2.0, 3.0, 4.0], "replicas")     # central = mean of replicas, not member 0
    assert u.central == 2.5 and u.errplus == u.errminus == u.errsymm == pytest.approx(math.sqrt(5 / 3), rel=1e-15)
    u = pdf_uncertainty([1.0, 1.1, 0.8, 1.2], "symmhessian")
    assert u.central == 1.0 and u.errsymm == pytest.approx(0.3, rel=1e-14) and u.errplus == u.errminus == u.errsymm
    u = pdf_uncertainty([1.0, 1.2, 0.9, 0.95, 1.05], "hessian")
    assert u.errplus == pytest.approx(math.hypot(0.2, 0.05), rel=1e-14)
    assert u.errminus == pytest.approx(math.hypot(0.1, 0.05), rel=1e-14)
    assert u.errsymm == pytest.approx(0.5 * math.hypot(0.3, 0.1), rel=1e-14)
    # one parameter-variation pair at the end ("hessian+as"), added in quadrature
    u = pdf_uncertainty([1.0, 1.2, 0.9, 0.95, 1.05, 1.1, 0.96], "hessian+as")
    assert u.err_par == pytest.approx(0.07, rel=1e-13)
    assert u.errplus == pytest.approx(math.sqrt(0.2 ** 2 + 0.05 ** 2 + 0.07 ** 2), rel=1e-13)
    # arrays: one uncertainty per trailing element
    u = pdf_uncertainty(np.array([[1.0, 2.0], [1.1, 2.2], [0.8, 2.4], [1.2, 1.6]]), "symmhessian")
    np.testing.assert_allclose(u.errsymm, [0.3, math.sqrt(0.04 + 0.16 + 0.16)], rtol=1e-14)


def test_uncertainty_cl_rescaling():
    chi2 = pytest.importorskip("scipy.stats").chi2
    vals = [1.0, 1.1, 0.8, 1.2]
    u68 = pdf_uncertainty(vals, "symmhessian", cl_set=90.0)
    assert u68.scale == pytest.approx(math.sqrt(chi2.ppf(0.6827, 1) / chi2.ppf(0.90, 1)), rel=1e-12)
    assert u68.errsymm == pytest.approx(0.3 * u68.scale, rel=1e-12)
    assert pdf_uncertainty(vals, "symmhessian", cl_set=90.0, cl=90.0).scale == 1.0
    # replicas are rescaled too (docs/physics.md 10.3), from the set's level (68.27 % by default)
    u = pdf_uncertainty([0.0, 1.0, 2.0, 3.0], "replicas", cl=95.0)
    assert u.errsymm == pytest.approx(1.0 * math.sqrt(chi2.ppf(0.95, 1) / chi2.ppf(0.6827, 1)), rel=1e-12)
    for bad in (0.0, 100.0, -5.0, float("nan")):
        with pytest.raises(ValueError, match="cl"):
            pdf_uncertainty(vals, "symmhessian", cl=bad)


def test_uncertainty_alternative_replicas():
    rng = np.random.default_rng(0)
    ten = np.concatenate([[99.0], rng.permutation(np.arange(1.0, 11.0))])
    u = pdf_uncertainty(ten, "replicas", alternative=True)
    # median of 1..10; LHAPDF indices: upper = round(0.5 * 1.6827 * 10) = 8, lower = 1 + round(1.5865) = 3
    assert (u.central, u.errplus, u.errminus) == (5.5, 2.5, 2.5) and u.errsymm == 2.5
    nine = np.concatenate([[99.0], rng.permutation(np.arange(1.0, 10.0))])
    assert pdf_uncertainty(nine, "replicas", alternative=True).central == 5.0
    with pytest.raises(ValueError, match="replica"):
        pdf_uncertainty([1.0, 1.1, 0.9], "symmhessian", alternative=True)


def test_uncertainty_errors():
    with pytest.raises(ValueError, match="ErrorType"):
        pdf_uncertainty([1.0, 2.0], "montecarlo")
    with pytest.raises(ValueError, match="finite"):
        pdf_uncertainty([1.0, np.nan, 2.0], "replicas")
    with pytest.raises(ValueError, match="pairs"):
        pdf_uncertainty([1.0, 1.1, 0.9, 1.2], "hessian")
    with pytest.raises(ValueError, match="n_members"):
        pdf_uncertainty([1.0], "replicas")


def test_set_uncertainty_uses_set_metadata(sets):
    s = sets["hessian"]
    vals = np.array([m.xfxQ(21, np.array([0.01, 0.1]), 10.0) for m in s])
    u = s.uncertainty(vals)
    v = pdf_uncertainty(vals, "hessian", cl_set=90.0, cl=68.27)
    for name in ("central", "errplus", "errminus", "errsymm"):
        np.testing.assert_array_equal(getattr(u, name), getattr(v, name))
    assert u.scale < 1.0                                  # a 90 % set shown at 68.27 %
    with pytest.raises(ValueError, match="one entry per member"):
        s.uncertainty(vals[:-1])


# ---------------------------------------------------------------- correlations
def test_correlation_by_hand(sets):
    rng = np.random.default_rng(5)
    for et, n in (("replicas", 30), ("symmhessian", 9), ("hessian", 11)):
        a = rng.normal(1.0, 0.1, (n, 4))
        np.testing.assert_allclose(pdf_correlation(a, a, et), 1.0, rtol=1e-12)
        np.testing.assert_allclose(pdf_correlation(a, 3.0 - 2.0 * a, et), -1.0, rtol=1e-12)
    a = np.array([1.0, 1.1, 1.0, 1.0])
    b = np.array([1.0, 1.0, 1.2, 1.0])
    assert pdf_correlation(a, b, "symmhessian") == 0.0    # orthogonal eigenvector directions
    with pytest.raises(ValueError, match="undefined"):
        pdf_correlation(a, np.ones(4), "symmhessian")
    assert np.isnan(pdf_correlation(a, np.ones(4), "symmhessian", undefined="nan"))
    s = sets["symmhessian"]
    g = np.array([m.xfxQ(21, 0.01, 10.0) for m in s])
    u = np.array([m.xfxQ(2, 0.01, 10.0) for m in s])
    assert -1.0 <= s.correlation(g, u) <= 1.0


def _reference():
    ref = pytest.importorskip("jpsi_fast.reference")
    if not hasattr(ref, "pdf_uncertainty") or not hasattr(ref, "pdf_correlation"):
        pytest.skip("jpsi_fast.reference.pdf_uncertainty / pdf_correlation not written yet")
    return ref


@pytest.mark.parametrize("error_type, n, cl_set", [("replicas", 101, 68.27), ("symmhessian", 31, 68.27),
                                                   ("hessian", 41, 90.0), ("hessian", 41, 68.27)])
@pytest.mark.parametrize("cl", [68.27, 90.0, 95.0])
def test_uncertainty_matches_reference(error_type, n, cl_set, cl):
    ref = _reference()
    rng = np.random.default_rng(n + int(cl))
    vals = rng.normal(1.0, 0.05, (n, 3, 4))
    mine = pdf_uncertainty(vals, error_type, cl_set=cl_set, cl=cl)
    theirs = ref.pdf_uncertainty(vals, error_type, cl_set=cl_set, cl_req=cl)
    for name in ("central", "errplus", "errminus", "errsymm"):
        np.testing.assert_allclose(getattr(mine, name), getattr(theirs, name), rtol=1e-12, err_msg=name)
    if error_type == "replicas":
        mine = pdf_uncertainty(vals, error_type, cl_set=cl_set, cl=cl, alternative=True)
        theirs = ref.pdf_uncertainty(vals, error_type, cl_set=cl_set, cl_req=cl, alternative=True)
        for name in ("central", "errplus", "errminus", "errsymm"):
            np.testing.assert_allclose(getattr(mine, name), getattr(theirs, name), rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("error_type, n", [("replicas", 101), ("symmhessian", 31), ("hessian", 41)])
def test_correlation_matches_reference(error_type, n):
    ref = _reference()
    rng = np.random.default_rng(n)
    a = rng.normal(1.0, 0.05, (n, 5))
    b = a * rng.normal(1.0, 0.02, (n, 5)) + rng.normal(0.0, 0.03, (n, 5))
    np.testing.assert_allclose(pdf_correlation(a, b, error_type), ref.pdf_correlation(a, b, error_type),
                               rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------- alpha_s
def test_alpha_s_interpolation(sets):
    s = sets["replicas"]
    qs, vals = np.array(s.info["AlphaS_Qs"]), np.array(s.info["AlphaS_Vals"])
    np.testing.assert_array_equal(s.alpha_s(qs), vals)                  # knots exactly
    assert s.alpha_s_mz == s.info["AlphaS_MZ"]
    q = np.geomspace(qs[0], qs[-1], 200)
    one_loop = 2 * math.pi / ((11 - 10 / 3) * np.log(q / 0.2))          # what the synthetic set tabulates
    inner = (q > qs[1]) & (q < qs[-2])       # the end intervals use one-sided knot slopes: less accurate
    np.testing.assert_allclose(s.alpha_s(q[inner]), one_loop[inner], rtol=1e-4)
    np.testing.assert_allclose(s.alpha_s(q), one_loop, rtol=3e-3)
    assert s.alpha_s(1e5 * qs[-1]) == vals[-1]                          # frozen above the last knot
    lo = qs[0] / 2                                                      # power law below the first knot
    grad = math.log10(vals[1] / vals[0]) / math.log10(qs[1] ** 2 / qs[0] ** 2)
    assert s.alpha_s(lo) == pytest.approx(vals[0] * (lo ** 2 / qs[0] ** 2) ** grad, rel=1e-14)
    for bad in (0.0, -1.0, np.nan):
        with pytest.raises(ValueError, match="Q"):
            s.alpha_s(bad)


def test_alpha_s_thresholds(tmp_path, sets):
    """Repeated Q knots split the table into subgrids (flavour thresholds); a Q on the threshold uses the upper."""
    src = sets["symmhessian"]
    d = tmp_path / "THR"
    d.mkdir()
    for k in range(len(src)):
        (d / f"THR_{k:04d}.dat").write_bytes(open(src[k].path, "rb").read())
    info = open(f"{src.path}/SYNSYM.info").read().split("AlphaS_Qs")[0]
    (d / "THR.info").write_text(info + "AlphaS_Qs: [2.0, 3.0, 4.0, 4.5, 4.5, 6.0, 8.0, 10.0]\n"
                                       "AlphaS_Vals: [0.30, 0.26, 0.23, 0.22, 0.225, 0.20, 0.18, 0.17]\n")
    s = PDFSet(d)
    assert s.alpha_s(4.5) == 0.225 and s.alpha_s(np.nextafter(4.5, 0)) == pytest.approx(0.22, rel=1e-9)
    assert s.alpha_s(4.0) == 0.23 and s.alpha_s(6.0) == 0.20


# ---------------------------------------------------------------- pickling
def _member_values(pdf):
    x = np.geomspace(1e-4, 0.95, 9)
    return np.array([pdf.xfxQ(pid, x, 12.3) for pid in KERNEL_PIDS])


def _set_values(pdf_set):
    return np.array([_member_values(m) for m in pdf_set])


def test_sets_pickle_in_other_process(sets):
    s = sets["hessian"]
    t = pickle.loads(pickle.dumps(s))
    assert len(t) == len(s) and t.fingerprint == s.fingerprint
    with ProcessPoolExecutor(max_workers=1) as ex:
        remote_set = ex.submit(_set_values, s).result()
        remote_member = ex.submit(_member_values, s[3]).result()
    np.testing.assert_array_equal(remote_member, _member_values(s[3]))
    np.testing.assert_array_equal(remote_set, _set_values(s))


def test_set_unpickle_detects_changed_files(tmp_path):
    s = load_set(make_synthetic_set(tmp_path, "CHG", 3, "symmhessian", seed=4))
    blob = pickle.dumps(s)
    info = f"{s.path}/CHG.info"
    with open(info, "a") as fh:
        fh.write("# edited\n")
    with pytest.raises(PDFFileError, match="changed"):
        pickle.loads(blob)


# ---------------------------------------------------------------- LumiSetCore
def _per_member(s, x, q2, eq2=EQ2):
    """sum_q eq2 x f_q (summed in kernel order from 0.0, as pdf_charge_sum_gluon) and x g, member by member."""
    sumq = np.zeros((len(x), len(s)))
    xg = np.empty((len(x), len(s)))
    for k, m in enumerate(s):
        xg[:, k] = m.xfxQ2(21, x, q2)
        for p in range(1, 7):
            sumq[:, k] += eq2[p] * m.xfxQ2(KERNEL_PIDS[p], x, q2)
    return sumq, xg


def _points(pdf, n, seed):
    """Random points over the whole grid plus knots, the subgrid boundary and the range edges."""
    rng = np.random.default_rng(seed)
    (xlo, xhi), (qlo, qhi) = pdf.x_range, pdf.Q_range
    xhi = min(xhi, np.nextafter(1.0, 0.0))                           # x = 1 is a knot but not a valid x
    x = np.exp(rng.uniform(np.log(xlo), np.log(xhi), n))
    Q = np.exp(rng.uniform(np.log(qlo), np.log(qhi), n))
    xk = np.concatenate([s[0] for s in pdf.subgrids])
    qk = np.concatenate([s[1] for s in pdf.subgrids])
    x[: n // 8] = rng.choice(xk[(xk >= xlo) & (xk <= xhi)], n // 8)
    Q[n // 8: n // 4] = rng.choice(qk, n // 4 - n // 8)
    Q[n // 4: n // 4 + 20] = pdf.subgrids[-1][1][0]                     # shared subgrid boundary knot
    x[-4:], Q[-4:] = [xlo, xhi, xlo, xhi], [qlo, qhi, qhi, qlo]
    return x, Q * Q


def _term_scale(s, x, q2, eq2=EQ2):
    """sum_t |w_t| sum_q eq2[q] |x f_q(knot t)| per point and member: the size of the terms of the interpolated
    charge sum (its rounding is relative to this, not to the sum where the interpolation cancels)."""
    m0 = s[0]
    cols = [m0.pids.index(KERNEL_PIDS[p]) for p in range(1, 7)]
    absq = [np.abs(np.stack([m.subgrids[k][2] for m in s])[:, :, cols]) @ eq2[1:] for k in range(len(m0.subgrids))]
    out = np.empty((len(x), len(s)))
    for i in range(len(x)):
        isub, knots, w = m0.core.weights(x[i], q2[i])
        out[i] = absq[isub][:, knots] @ np.abs(w)
    return out


def _assert_lumi_equal(core, s, x, q2, eq2=EQ2, exact=False):
    sumq, xg = core.eval(x, q2, eq2)
    ref_sumq, ref_xg = _per_member(s, x, q2, eq2)
    np.testing.assert_array_equal(xg, ref_xg)
    if exact:
        np.testing.assert_array_equal(sumq, ref_sumq)
        return
    # the pre-summed charge sum: another summation order, rounding only (1e-13 relative where the
    # interpolation does not cancel; 1e-13 of the size of its terms everywhere)
    scale = _term_scale(s, x, q2, eq2)
    err = np.abs(sumq - ref_sumq)
    assert np.max(err / scale) <= 1e-13
    plain = np.abs(ref_sumq) > 1e-3 * scale
    assert plain.mean() > 0.9 and np.max(err[plain] / np.abs(ref_sumq[plain])) <= 1e-13


def test_lumi_set_matches_members(sets):
    for s in sets.values():
        core = s.lumi_core()
        assert core.shared and core.n_members == len(s)
        x, q2 = _points(s[0], 3000, len(s))
        _assert_lumi_equal(core, s, x, q2)
        # other charges than the pre-summed ones (e.g. a flavour subset): the six quarks, bit-identical
        eq2 = EQ2 * np.array([1, 1, 0, 1, 1, 0, 1])
        _assert_lumi_equal(core, s, x, q2, eq2, exact=True)
        # member by member (allow_shared=False): bit-identical
        _assert_lumi_equal(_pdf.LumiSetCore(s, allow_shared=False), s, x, q2, eq2, exact=True)


@pytest.mark.parametrize("force_positive", [0, 1, 2])
def test_lumi_set_force_positive_nnpdf(tmp_path, nnpdf_path, force_positive):
    s = nnpdf_set(tmp_path, nnpdf_path, force_positive)
    core = s.lumi_core()
    assert core.shared
    x, q2 = _points(s[0], 4000, force_positive)
    _assert_lumi_equal(core, s, x, q2)
    sumq, xg = core.eval(x, q2, EQ2)
    if force_positive:
        # NNPDF3.1 LO has negative x f (strange at most x): ForcePositive acts in part of the cells
        assert 0.2 < core.safe_fraction < 0.95
        assert xg.min() >= (0.0 if force_positive == 1 else 1e-10) and sumq.min() > 0.0
        raw = nnpdf_set(tmp_path, nnpdf_path, 0, name="NNRAW").lumi_core().eval(x, q2, EQ2)[0]
        assert np.mean(sumq != raw) > 0.01                 # ... and changes the charge sum there
    else:
        assert core.safe_fraction == 1.0


def test_lumi_set_fallback_and_errors(nnpdf_path):
    grv, grid = GRV94LO(exact=True), LHAGrid(nnpdf_path)
    core = _pdf.LumiSetCore([grv, grid])
    assert not core.shared and core.x_range == (grv.x_range[0], grv.x_range[1])      # the common range
    x = np.array([1e-4, 0.01, 0.3, 0.9])
    q2 = np.array([3.0, 100.0, 2e3, 1e5])
    _assert_lumi_equal(core, [grv, grid], x, q2, exact=True)
    with pytest.raises(ValueError, match="x must be in"):
        core.eval([1e-6], [10.0], EQ2)
    with pytest.raises(ValueError, match="q2 must be in"):
        core.eval([0.1], [2e6], EQ2)
    with pytest.raises(ValueError, match="extrapolate"):
        _pdf.LumiSetCore([grid, LHAGrid(nnpdf_path, extrapolate="nearest")])
    with pytest.raises(TypeError, match="pdfs"):
        _pdf.LumiSetCore([grid, "not a pdf"])
    with pytest.raises(ValueError, match="eq2"):
        core.eval(x, q2, EQ2[:5])


def test_lumi_set_nearest_and_pickle(tmp_path, sets):
    s = PDFSet(sets["symmhessian"].path, extrapolate="nearest")
    core = s.lumi_core()
    x = np.array([1e-7, 0.5, 0.3, 1e-7])
    q2 = np.array([1.0, 1e8, 50.0, 1e8])
    _assert_lumi_equal(core, s, x, q2)
    a = core.eval(x, q2, EQ2)
    b = pickle.loads(pickle.dumps(core)).eval(x, q2, EQ2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    tot = core.eval_sum(x, q2, EQ2)
    np.testing.assert_allclose(tot[0], a[0].sum(axis=0), rtol=1e-15)


def test_lumi_more_members_than_a_chunk(tmp_path):
    """More members than one chunk of lumi_set_eval (LUMI_CHUNK = 128)."""
    s = load_set(make_synthetic_set(tmp_path, "BIG", 131, "replicas", seed=9, x_knots=np.geomspace(1e-4, 1, 12),
                                    q_subgrids=[np.geomspace(2.0, 100.0, 6)]))
    x, q2 = _points(s[0], 300, 11)
    _assert_lumi_equal(s.lumi_core(), s, x, q2)


def test_info_parser_on_synthetic_info(sets):
    """The parser reads what make_synthetic_set writes (and PyYAML, if installed, agrees)."""
    text = open(f"{sets['hessian'].path}/SYNHES.info").read()
    info = parse_info(text)
    assert info["ErrorConfLevel"] == 90.0 and len(info["AlphaS_Qs"]) == len(info["AlphaS_Vals"])
    yaml = pytest.importorskip("yaml")
    assert _as_yaml_1_2(yaml.safe_load(text)) == info


def _as_yaml_1_2(value):
    """PyYAML follows YAML 1.1, where '1e-05' (an exponent without a dot) is a string; LHAPDF's yaml-cpp follows
    YAML 1.2, where it is a float. Convert such strings so the two readings can be compared."""
    if isinstance(value, dict):
        return {key: _as_yaml_1_2(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_yaml_1_2(item) for item in value]
    if isinstance(value, str) and re.fullmatch(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", value):
        return float(value)
    return value
