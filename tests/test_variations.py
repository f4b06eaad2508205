"""Theory variations evaluated in the same pass (docs/physics.md §10) against direct evaluations and against the
independent NumPy reference (jpsi_fast.reference: scales evaluated directly, LDME sets, LHAPDF uncertainty
formulas)."""
import dataclasses
import pickle

import numpy as np
import pytest

import jpsi_fast as jf
from conftest import random_points
from jpsi_fast import reference as ref
from jpsi_fast.params import LDME_FIELDS, LDME_SET_UNCERTAINTIES
from jpsi_fast.pdf import load_set
from jpsi_fast.pdf_testing import make_synthetic_set
from jpsi_fast.variations import SCALE_POINTS, band

RTOL = 1e-12
#: the compiled GRV94 is a table of the analytic GRV94 of the reference: they agree to ~2e-7
RTOL_GRV94_TABLE = 1e-6


def assert_states_close(actual, desired, rtol=RTOL):
    """Values (n_channels, n_states (U, L, T), n) equal to rtol relative to each channel's U at the point (T = U - L
    cancels: its rounding is relative to U)."""
    actual, desired = np.asarray(actual), np.asarray(desired)
    scale = np.abs(desired[:, :1])
    assert np.all(np.abs(actual - desired) <= rtol * scale), np.max(np.abs(actual - desired) / np.maximum(scale, 1e-300))


def _ref_params(p):
    """The reference Params with the fields of a jpsi_fast Params."""
    fields = {f.name for f in dataclasses.fields(ref.DEFAULTS)}
    return ref.make_params(**{k: getattr(p, k) for k in fields if hasattr(p, k) and k != "ldme_set"})


@pytest.fixture(scope="module")
def points():
    return random_points(400, 31)


@pytest.fixture(scope="module", params=["collinear", "gaussian"])
def model(request):
    return request.param


# ---------------------------------------------------------------- §10.1 LDME sets
def test_ldme_table_matches_reference():
    assert set(jf.LDME_SETS) == set(ref.LDME_SETS)
    for name, values in jf.LDME_SETS.items():
        for f in LDME_FIELDS:
            assert values[f] == pytest.approx(ref.LDME_SETS[name][f], rel=1e-14), (name, f)
            assert LDME_SET_UNCERTAINTIES[name][f] == pytest.approx(ref.LDME_SET_UNCERTAINTIES[name][f], rel=1e-14)
    assert jf.Params().ldme_set == "chao2012"


@pytest.mark.parametrize("name", ["bk2011_a", "bk2011_b", "gwwz2013"])
def test_negative_sets_raise_unless_allowed(name):
    with pytest.raises(ValueError, match=f"{name}.*allow_negative_ldme"):
        jf.Params(ldme_set=name)
    with pytest.raises(ValueError, match=f"{name}.*negative"):
        jf.Variations(ldme_sets=(name,))
    with pytest.warns(UserWarning, match="negative"):
        p = jf.Params(ldme_set=name, allow_negative_ldme=True, tmd_pdf="collinear")
    r = jf.CrossSection(p).evaluate(0.3, 0.5, 12.0, 1.0)
    assert np.any(r.values < 0)          # the signed values are kept (documented)
    with pytest.warns(UserWarning, match="negative"):
        lay = jf.CrossSection(jf.Params(tmd_pdf="collinear")).layout(
            variations=jf.Variations(ldme_sets=(name,), allow_negative_ldme=True))
    assert lay.n_variations == 2


def test_user_ldme_set_and_errors():
    user = dict(ldme_3s1_1=1.2, ldme_3s1_8=0.01, ldme_1s0_8=0.02, ldme_3p0_8_reduced=0.005)
    assert jf.Params(ldme_set=user).ldme_3s1_8 == 0.01
    v = jf.Variations(ldme_sets=(user, "bckl2014"))
    names = [x.name for x in v.resolve(jf.Params())]
    assert names == ["central", "ldme:user0", "ldme:bckl2014"]
    with pytest.raises(ValueError, match="exactly the keys"):
        jf.Variations(ldme_sets=({"ldme_3s1_1": 1.0},))
    with pytest.raises(ValueError, match="unknown LDME set"):
        jf.Variations(ldme_sets=("nope",))
    with pytest.raises(ValueError, match="3-point"):
        jf.Variations(scales="5-point")
    with pytest.raises(ValueError, match="widths"):
        jf.Variations(widths=0.5)


@pytest.mark.parametrize("name", ["bckl2014", "chao2012_set3", "pythia8", "sharma_vitev2013"])
def test_ldme_variation_equals_direct_evaluation(name, points, model):
    p = jf.Params(tmd_pdf=model)
    xs = jf.CrossSection(p)
    r = xs.evaluate(*points, variations=jf.Variations(ldme_sets=(name,)))
    direct = jf.CrossSection(jf.Params(tmd_pdf=model, ldme_set=name)).evaluate(*points)
    assert_states_close(r.variation(f"ldme:{name}").values, direct.values)
    np.testing.assert_array_equal(r.variation("central").values, xs.evaluate(*points).values)


def test_ldme_fit_band_is_reference_half_width(points):
    p = jf.Params(tmd_pdf="collinear")
    r = jf.CrossSection(p).evaluate(*points, variations=jf.Variations(ldme_uncertainties=True))
    c, lo, hi = r.band("ldme_fit")
    rp = _ref_params(p)
    rr = ref.evaluate(*points, params=rp)
    expected = ref.ldme_set_half_width({ch: rr[ch, "U"] for ch in ref.CHANNELS}, "chao2012")
    np.testing.assert_allclose(0.5 * (hi - lo), expected, rtol=RTOL_GRV94_TABLE)
    np.testing.assert_allclose(c, rr.values[:, 0].sum(axis=0), rtol=RTOL_GRV94_TABLE)


# ---------------------------------------------------------------- §10.2 scales
@pytest.mark.parametrize("scales", ["3-point", "7-point"])
def test_scale_variations_against_reference(scales, points, model):
    p = jf.Params(tmd_pdf=model)
    r = jf.CrossSection(p).evaluate(*points, variations=jf.Variations(scales=scales))
    rp = _ref_params(p)
    assert [(v.xi_r, v.xi_f) for v in r.layout.variations] == list(SCALE_POINTS[scales])
    per_var = []
    for v in r.layout.variations:
        rr = ref.evaluate_scale_variation(*points, v.xi_r, v.xi_f, params=rp)
        assert_states_close(r.variation(v.name).values, rr.values, rtol=RTOL_GRV94_TABLE)
        per_var.append(rr.values[:, 0].sum(axis=0))
    c, lo, hi = r.band("scale")
    rc, rlo, rhi = ref.scale_band(per_var)
    np.testing.assert_allclose(lo, rlo, rtol=RTOL_GRV94_TABLE)
    np.testing.assert_allclose(hi, rhi, rtol=RTOL_GRV94_TABLE)
    assert np.all(lo <= c) and np.all(c <= hi) and np.any(hi > lo)


def test_alpha_s_rescaling_is_exact(points, model):
    """xi_R only: the variation is the central value times (alpha_s(xi mu)/alpha_s(mu))^n per channel, equal to a
    direct evaluation at mu_FF = 2 M, mu_PGF = 60 GeV."""
    p = jf.Params(tmd_pdf=model)
    r = jf.CrossSection(p).evaluate(*points, variations=jf.Variations(scales="7-point"))
    direct = jf.CrossSection(jf.Params(tmd_pdf=model, mu_ff=2 * p.M, mu_pgf=2 * p.mu_pgf)).evaluate(*points)
    assert_states_close(r.variation("scale:2,1").values, direct.values)


@pytest.mark.parametrize("xi_f", [2.0, 0.5])
def test_mu_f_variation_equals_direct_evaluation(xi_f, points, model):
    p = jf.Params(tmd_pdf=model)
    r = jf.CrossSection(p).evaluate(*points, variations=jf.Variations(scales="7-point"))
    direct = jf.CrossSection(jf.Params(tmd_pdf=model, mu_f_factor=xi_f)).evaluate(*points)
    assert_states_close(r.variation(f"scale:1,{xi_f:g}").values, direct.values)


def test_mu_f_outside_pdf_range_is_a_clear_error():
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    # Q = 0.7 GeV: mu_F = 0.35 GeV at xi_F = 1/2 is below the GRV94 range
    xs.evaluate(0.01, 0.5, 0.7, 0.5)
    with pytest.raises(ValueError, match="Q must be.*every factorization scale"):
        xs.evaluate(0.01, 0.5, 0.7, 0.5, variations=jf.Variations(scales=3))


# ---------------------------------------------------------------- widths
def test_width_variations_equal_direct_evaluations(points):
    p = jf.Params()
    r = jf.CrossSection(p).evaluate(*points, variations=jf.Variations(widths=2.0))
    assert len(r.layout.variations) == 7
    for field in ("kt2_pdf", "pt2_pgf", "dz2_pgf"):
        for tag, f in (("up", 2.0), ("down", 0.5)):
            direct = jf.CrossSection(p.replace(**{field: getattr(p, field) * f})).evaluate(*points)
            assert_states_close(r.variation(f"width:{field}:{tag}").values, direct.values, rtol=1e-11)
    # collinear: no kt2_pdf variation
    rc = jf.CrossSection(jf.Params(tmd_pdf="collinear")).evaluate(*points, variations=jf.Variations(widths=2.0))
    assert len(rc.layout.variations) == 5


# ---------------------------------------------------------------- §10.3 PDF-set members
@pytest.fixture(scope="module")
def synthetic_sets(tmp_path_factory):
    d = tmp_path_factory.mktemp("sets")
    return {t: load_set(make_synthetic_set(d, f"VAR{t.upper()}", n, t, seed=4))
            for t, n in (("replicas", 13), ("hessian", 9), ("symmhessian", 7))}


@pytest.mark.parametrize("error_type", ["replicas", "hessian", "symmhessian"])
def test_pdf_members_and_band(synthetic_sets, error_type, points):
    pset = synthetic_sets[error_type]
    p = jf.Params(tmd_pdf="collinear")
    xs = jf.CrossSection(p, pdf=pset[0])
    r = xs.evaluate(*points, variations=jf.Variations(pdf_set=pset))
    members = []
    for k in range(len(pset)):
        direct = jf.CrossSection(p, pdf=pset[k]).evaluate(*points)
        # all members at once sum the pre-summed charge sum (another summation order): 1e-10 with cancellations
        assert_states_close(r.variation(f"pdf:{k}").values, direct.values, rtol=1e-10)
        members.append(direct.total())
    c, lo, hi = r.band("pdf")
    u = ref.pdf_uncertainty(np.array(members), error_type, cl_set=pset.error_conf_level)
    np.testing.assert_allclose(c, u["central"] if isinstance(u, dict) else u.central, rtol=1e-12)
    errp = u["errplus"] if isinstance(u, dict) else u.errplus
    errm = u["errminus"] if isinstance(u, dict) else u.errminus
    # errors are differences of member values: their rounding is relative to the central value
    assert np.all(np.abs((hi - c) - errp) <= 1e-8 * np.abs(c))
    assert np.all(np.abs((c - lo) - errm) <= 1e-8 * np.abs(c))
    assert np.any(hi > lo)


def test_pdf_members_with_scales_and_thread_independence(synthetic_sets, points):
    pset = synthetic_sets["replicas"]
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"), pdf=pset[0])
    v = jf.Variations(scales=7, ldme_sets="positive", pdf_set=pset)
    r1 = xs.evaluate(*points, variations=v, n_threads=1)
    r2 = xs.evaluate(*points, variations=v, n_threads=2)
    np.testing.assert_array_equal(r1.base, r2.base)
    assert r1.layout.sources == ("central", "scale", "ldme", "pdf")
    c, lo, hi = r1.band("total")
    half = np.sqrt(sum((0.5 * np.subtract(*r1.band(s)[:0:-1])) ** 2 for s in ("scale", "pdf")))
    np.testing.assert_allclose(hi - c, half, rtol=1e-12)


# ---------------------------------------------------------------- bands, objects
def test_band_function_and_errors():
    from jpsi_fast.components import CENTRAL, Variation
    vs = (CENTRAL, Variation("s1", "scale", xi_r=2.0), Variation("s2", "scale", xi_r=0.5))
    vals = np.array([[1.0, 2.0], [1.5, 1.0], [0.5, 3.0]])
    c, lo, hi = band(vals, vs, "scale")
    np.testing.assert_array_equal(lo, [0.5, 1.0])
    np.testing.assert_array_equal(hi, [1.5, 3.0])
    c, lo, hi = band(vals, vs, "total")
    np.testing.assert_allclose(hi - c, [0.5, 1.0])
    with pytest.raises(ValueError, match="no 'pdf' variations"):
        band(vals, vs, "pdf")
    with pytest.raises(ValueError, match="band source"):
        band(vals, vs, "nonsense")
    r = jf.CrossSection().evaluate(0.3, 0.4, 12.0, 1.0)
    with pytest.raises(ValueError, match="no theory variations"):
        r.band("scale")


def test_layout_and_variations_pickle(synthetic_sets):
    pset = synthetic_sets["hessian"]
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"), pdf=pset[0])
    v = jf.Variations(scales=3, ldme_sets=("bckl2014",), pdf_set=pset, widths=1.5)
    lay = xs.layout(variations=v)
    assert pickle.loads(pickle.dumps(lay)) == lay
    assert pickle.loads(pickle.dumps(v)) == v
    assert len(lay.base_sets) == 1 + 2 + len(pset) + 4     # central, two xi_F, members, pt2/dz2 up/down


# ---------------------------------------------------------------- integration and histograms
@pytest.fixture(scope="module")
def integrated():
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    v = jf.Variations(scales=7, ldme_sets="positive")
    plain = jf.Integrator(jf.Domain(), seed=3).integrate(xs, nitn=5, neval=30_000, progress=False)
    var = jf.Integrator(jf.Domain(), seed=3).integrate(xs, nitn=5, neval=30_000, variations=v, track="all",
                                                       progress=False)
    return xs, v, plain, var


def test_integration_central_unchanged_by_variations(integrated):
    _, _, plain, var = integrated
    assert var.total().mean == pytest.approx(plain.total().mean, rel=1e-12)
    assert var.total().sdev == pytest.approx(plain.total().sdev, rel=1e-9)


def test_variation_differences_have_small_mc_errors(integrated):
    """Same points for every variation: the MC error of a difference is far below the variations' own errors and
    far below the difference itself."""
    _, _, _, var = integrated
    for name in ("scale:2,2", "scale:0.5,0.5", "ldme:bckl2014"):
        d = var.variation_difference(name)
        i = var.layout.variation_index(name)
        own = var.combination(var.layout.weights(state="U", variation=i))
        assert d.sdev < 0.5 * own.sdev, name
        assert d.sdev < 0.01 * abs(d.mean), name
    c, lo, hi = var.band("scale")
    assert lo < c < hi and (hi - lo) > 50 * var.total().sdev


def test_integrated_band_matches_integrated_direct_evaluations(integrated):
    """The integrated scale variation equals an integration of the directly varied cross section (independent
    runs: within their MC errors)."""
    xs, _, _, var = integrated
    direct_xs = jf.CrossSection(jf.Params(tmd_pdf="collinear", mu_f_factor=2.0, mu_ff=2 * xs.params.M,
                                          mu_pgf=2 * xs.params.mu_pgf))
    direct = jf.Integrator(jf.Domain(), seed=11).integrate(direct_xs, nitn=5, neval=30_000, progress=False)
    i = var.layout.variation_index("scale:2,2")
    mine = var.combination(var.layout.weights(state="U", variation=i))
    assert abs(mine.mean - direct.total().mean) < 5 * np.hypot(mine.sdev, direct.total().sdev)


def test_histogram_band():
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    v = jf.Variations(scales=3)
    h0 = jf.Integrator(jf.Domain(), seed=5).histogram(xs, nitn=2, neval=20_000, progress=False)
    h = jf.Integrator(jf.Domain(), seed=5).histogram(xs, nitn=2, neval=20_000, variations=v, progress=False)
    np.testing.assert_allclose(h.values()[:, :, 0], h0.values(), rtol=1e-12, atol=0)
    assert h.axes.name == ("channel", "state", "variation", "bin", "PT") and h.variations[0] == "central"
    c, lo, hi = h.band("scale")
    assert c.shape == lo.shape == (len(h.bins), len(h.pt_edges) - 1)
    assert np.all(lo <= c) and np.all(c <= hi)
    with pytest.raises(ValueError, match="no theory variations"):
        h0.band("scale")


def test_events_carry_variation_weights():
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    v = jf.Variations(scales=3, ldme_sets=("bckl2014",))
    integ = jf.Integrator(jf.Domain(), seed=2)
    ev = integ.sample(xs, 3000, variations=v, neval=20_000, progress=False)
    plain = jf.Integrator(jf.Domain(), seed=2).sample(xs, 3000, neval=20_000, progress=False)
    np.testing.assert_array_equal(ev.points, plain.points)          # the same events, reweighted
    assert ev.variation_weights.shape == (3000, 4)
    np.testing.assert_array_equal(ev.variation_weights[:, 0], ev.weight)
    direct = jf.CrossSection(jf.Params(tmd_pdf="collinear", ldme_set="bckl2014")).evaluate(ev.x, ev.z, ev.Q, ev.PT)
    central = xs.evaluate(ev.x, ev.z, ev.Q, ev.PT)
    np.testing.assert_allclose(ev.variation_weights[:, 3], ev.weight * direct.total() / central.total(), rtol=1e-12)
    assert ev.variation_names[3] == "ldme:bckl2014"
    c, lo, hi = ev.band("scale")
    assert lo < c < hi and c == pytest.approx(ev.weight.sum())
    batches = list(jf.Integrator(jf.Domain(), seed=2).iter_events(xs, 3000, 1000, variations=v, neval=20_000,
                                                                  progress=False))
    np.testing.assert_array_equal(np.concatenate([b.variation_weights for b in batches]), ev.variation_weights)


# ---------------------------------------------------------------- command line
def test_cli_band_options(tmp_path, capsys, synthetic_sets):
    from jpsi_fast.cli import main
    pts = ["--x", "0.2,0.5", "--z", "0.3,0.75", "--Q", "12,20", "--PT", "0.5,1", "--tmd-pdf", "collinear"]
    out = tmp_path / "ev.csv"
    assert main(["evaluate", *pts, "--band", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "U scale" in text and "U LDME sets" in text
    from jpsi_fast.data import read_dataset as read_columns
    cols = read_columns(out)
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    r = xs.evaluate([0.2, 0.5], [0.3, 0.75], [12.0, 20.0], [0.5, 1.0],
                    variations=jf.Variations(scales=7, ldme_sets="positive"))
    np.testing.assert_allclose(cols["sigma_U_scale_lo"], r.band("scale")[1], rtol=1e-12)
    np.testing.assert_allclose(cols["sigma_U_ldme_hi"], r.band("ldme")[2], rtol=1e-12)
    np.testing.assert_allclose(cols["sigma_ff_U"], r["ff", "U"], rtol=1e-12)
    # a PDF set by folder, 3-point scales, another central LDME set
    pset = synthetic_sets["hessian"]
    assert main(["evaluate", *pts, "--pdf", str(pset[0].path), "--pdf-set", pset.path, "--scale-variation", "3",
                 "--ldme-set", "bckl2014"]) == 0
    text = capsys.readouterr().out
    assert "U pdf" in text and "U total" in text and "U scale" in text
    grid = tmp_path / "g.parquet"
    assert main(["grid", "--n", "3,3,3,3", "--band", "--tmd-pdf", "collinear", "--output", str(grid)]) == 0
    cols = read_columns(grid)
    assert {"sigma_U_scale_lo", "sigma_U_ldme_hi", "sigma_U_total_lo"} <= set(cols)
    assert np.all(cols["sigma_U_scale_lo"] <= cols["sigma_U_scale_hi"])


def test_cli_band_errors(capsys):
    from jpsi_fast.cli import main
    pts = ["--x", "0.2", "--z", "0.3", "--Q", "12", "--PT", "0.5"]
    assert main(["evaluate", *pts, "--ldme-sets", "gwwz2013"]) == 2
    assert "negative" in capsys.readouterr().err
    assert main(["evaluate", *pts, "--ldme-set", "nope"]) == 2
    assert "unknown LDME set" in capsys.readouterr().err
    assert main(["evaluate", *pts, "--pdf-set", "NO_SUCH_SET"]) == 2
    assert "NO_SUCH_SET" in capsys.readouterr().err
    assert main(["evaluate", *pts, "--scale-variation", "5"]) == 2
    assert "--scale-variation" in capsys.readouterr().err


# ---------------------------------------------------------------- regressions (review of the first version)
def test_rows_without_terms_are_zero():
    """A channel rescaled by 0 (an LDME set with that LDME = 0) has no kernel terms: the kernel writes 0."""
    xs = jf.CrossSection()
    lay = xs.layout(channels=("ff",), states=("U",), variations=jf.Variations(ldme_sets=("chao2012_set3",)))
    cfg = xs.kernel_config(lay, derived=True)
    out = np.full((2, 4), np.nan)
    a = np.full(4, 0.3)
    assert jf._kernels.evaluate_into(cfg, xs.pdf.core, a, a + 0.2, np.full(4, 10.0), np.full(4, 1.0), out, 0, 4,
                                     1, False) == (0, -1)
    assert np.all(out[0] > 0) and np.all(out[1] == 0.0)


@pytest.mark.parametrize("central", ["chao2012_set2", "chao2012_set3"])
def test_central_set_with_a_zero_ldme(central, points):
    p = jf.Params(ldme_set=central, tmd_pdf="collinear")
    xs = jf.CrossSection(p)
    r = xs.evaluate(*points, variations=jf.Variations(scales=7, ldme_sets="positive", ldme_uncertainties=True))
    assert_states_close(r.variation("central").values, xs.evaluate(*points).values)
    for name in jf.params.POSITIVE_LDME_SETS:
        if name != central:
            direct = jf.CrossSection(jf.Params(ldme_set=name, tmd_pdf="collinear")).evaluate(*points)
            assert_states_close(r.variation(f"ldme:{name}").values, direct.values)


def test_variations_normalised_and_validated(synthetic_sets):
    assert jf.Variations(scales=3) == jf.Variations(scales="3-point")
    assert hash(jf.Variations(scales=7)) == hash(jf.Variations(scales="7-point"))
    with pytest.raises(ValueError, match="duplicates"):
        jf.Variations(ldme_sets=("bckl2014", "bckl2014"))
    bad = dict(ldme_3s1_1=1.2, ldme_3s1_8=float("nan"), ldme_1s0_8=0.02, ldme_3p0_8_reduced=0.005)
    with pytest.raises(ValueError, match="ldme_3s1_8"):
        jf.Variations(ldme_sets=(bad,))
    with pytest.raises(ValueError, match="ldme_3s1_8"):
        jf.Variations(ldme_sets=({**bad, "ldme_3s1_8": "x"},))
    pset = synthetic_sets["hessian"]
    near = load_set(pset.path, extrapolate="nearest")
    assert jf.Variations(pdf_set=pset) != jf.Variations(pdf_set=near)
    with pytest.raises(ValueError, match="no theory variations"):
        jf.CrossSection().evaluate(0.3, 0.4, 12.0, 1.0).variation("central")


def test_total_band_uses_the_symmetric_hessian_error(synthetic_sets, points):
    pset = synthetic_sets["hessian"]
    r = jf.CrossSection(jf.Params(tmd_pdf="collinear"), pdf=pset[0]).evaluate(
        *points, variations=jf.Variations(pdf_set=pset))
    c, lo, hi = r.band("total")
    u = pset.uncertainty(r.by_variation()[1:])
    np.testing.assert_allclose(hi - c, u.errsymm, rtol=1e-12)


def test_pdf_band_of_another_pdf_warns(synthetic_sets):
    with pytest.warns(UserWarning, match="centred on the set's central value"):
        jf.CrossSection().evaluate(0.3, 0.4, 12.0, 1.0, variations=jf.Variations(pdf_set=synthetic_sets["hessian"]))


def test_band_per_component(points, synthetic_sets):
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    r = xs.evaluate(*points, variations=jf.Variations(scales=7, ldme_sets="positive"))
    for source in ("scale", "ldme", "total"):
        c, lo, hi = r.band(source, per_component=True)
        assert c.shape == lo.shape == hi.shape == r.values.shape[1:]
        for ch in ("ff", "pgf_3s1_1"):
            i = r.channels.index(ch)
            np.testing.assert_allclose(np.array(r.band(source, channels=ch, state="L"))[:, :],
                                       np.array([c[i, 1], lo[i, 1], hi[i, 1]]), rtol=1e-12, atol=0)
    pset = synthetic_sets["replicas"]
    rp = jf.CrossSection(jf.Params(tmd_pdf="collinear"), pdf=pset[0]).evaluate(
        *points, variations=jf.Variations(pdf_set=pset))
    c, lo, hi = rp.band("pdf", per_component=True)
    u = pset.uncertainty(rp.values[1:])
    np.testing.assert_allclose(hi - c, u.errplus, rtol=1e-12, atol=0)


def test_band_of_a_derived_state(points):
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    v = jf.Variations(scales=3)
    full = xs.evaluate(*points, variations=v)
    lt = xs.evaluate(*points, variations=v, states=("L", "T"))
    np.testing.assert_allclose(lt.band("scale")[2], full.band("scale")[2], rtol=1e-12)
    with pytest.raises(ValueError, match="cannot be formed"):
        xs.evaluate(*points, variations=v, states=("L",)).band("scale")


def test_event_weights_follow_the_sampled_component():
    xs = jf.CrossSection(jf.Params(tmd_pdf="collinear"))
    v = jf.Variations(scales=3)
    ev = jf.Integrator(jf.Domain(), seed=4).sample(xs, 2000, unweighted=False, adapt_to=("ff", "U"),
                                                    variations=v, neval=20_000, progress=False)
    r = xs.evaluate(ev.x, ev.z, ev.Q, ev.PT, variations=v)
    ff = r.by_variation("ff", "U")
    np.testing.assert_allclose(ev.variation_weights, (ev.weight * ff / ff[0]).T, rtol=1e-12)


def test_cli_band_edge_cases(tmp_path, capsys, synthetic_sets):
    from jpsi_fast.cli import main
    pts = ["--x", "0.5", "--z", "0.75", "--Q", "20", "--PT", "1", "--tmd-pdf", "collinear"]
    assert main(["evaluate", *pts, "--ldme-sets", "chao2012"]) == 2
    assert "nothing to vary" in capsys.readouterr().err
    # --pdf-set alone: the set's member 0 is the central PDF, so the band brackets the printed value
    out = tmp_path / "t.csv"
    assert main(["evaluate", *pts, "--pdf-set", synthetic_sets["symmhessian"].path, "--output", str(out)]) == 0
    from jpsi_fast.data import read_dataset
    cols = read_dataset(out)
    total = sum(cols[f"sigma_{c}_U"] for c in jf.CHANNELS)
    assert cols["sigma_U_pdf_lo"][0] <= total[0] <= cols["sigma_U_pdf_hi"][0]
    assert main(["evaluate", *pts, "--ldme-fit", "--width-variation", "2"]) == 0
    text = capsys.readouterr().out
    assert "U ldme_fit" in text and "U width" in text


def test_negative_channel_conventions():
    """docs/physics.md §10.1: with a negative-LDME set, shares, the dominant mechanism and lambda_theta use the
    signed values; unweighted sampling draws from max(f, 0) with signed weights sigma/n."""
    with pytest.warns(UserWarning):
        p = jf.Params(ldme_set="gwwz2013", allow_negative_ldme=True, tmd_pdf="collinear")
    xs = jf.CrossSection(p)
    x, z, Q, PT = random_points(2000, 8)
    r = xs.evaluate(x, z, Q, PT)
    U = r.values[:, 0]
    assert np.any(U[0] < 0)                                  # ff is negative (negative <O(3S1[8])>)
    tot = U.sum(axis=0)
    shares = r.fractions("U")
    ok = tot > 0
    np.testing.assert_allclose(shares[:, ok], U[:, ok] / tot[ok], rtol=1e-14)
    assert np.any(shares[0, ok] < 0) and np.all(shares[:, ~ok] == 0)
    np.testing.assert_array_equal(r.dominant("U")[ok], np.argmax(U[:, ok], axis=0))
    L, T = r.values[:, 1].sum(axis=0), r.values[:, 2].sum(axis=0)
    den = T + 2 * L
    lam = r.lambda_theta()
    pos = den > 0
    np.testing.assert_allclose(lam[pos], (T[pos] - 2 * L[pos]) / den[pos], rtol=1e-12)
    assert np.all(np.isnan(lam[~pos]))
    ev = jf.Integrator(jf.Domain(), seed=1).sample(xs, 500, neval=20_000, progress=False)
    assert np.all(ev.weight == ev.weight[0])
    f = xs.evaluate(ev.x, ev.z, ev.Q, ev.PT).total("U")
    assert np.all(f > 0)                                     # accepted points have a positive sampled component
