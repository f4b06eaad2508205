"""The command line through its real entry point (subprocess) and the dataset tools of jpsi_fast.data."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import jpsi_fast as jf
from jpsi_fast import data

PNG = b"\x89PNG\r\n\x1a\n"


def run_cli(*args, cwd=None, check=True):
    exe = shutil.which("jpsi-fast")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "jpsi_fast", *args]
    env = dict(os.environ, OMP_NUM_THREADS="2")
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def assert_png(path):
    raw = open(path, "rb").read()
    assert raw[:8] == PNG and len(raw) > 10_000, path


def test_help_on_every_subcommand():
    out = run_cli("--help").stdout
    for sub in ("demo", "evaluate", "bins", "grid", "corrupt", "clean", "regions", "info", "events", "rates"):
        assert sub in out
        assert "usage" in run_cli(sub, "--help").stdout


def test_demo(tmp_path):
    p = run_cli("demo", "--out", str(tmp_path))
    assert "pgf_3s1_1" in p.stdout and "sigma_U [pb]" in p.stdout and "region map" in p.stdout
    assert "LDME-set envelope" in p.stdout and "scale)" in p.stdout           # theory bands by default
    assert "lambda_thetaphi" in p.stdout and "+0.529" in p.stdout             # SPEC §12 check point, channel sum
    for name in ("demo_dsigma_dpt_bins.png", "demo_dsigma_dpt_bands.png", "demo_region_map_z_Q.png",
                 "demo_lambdas_vs_pt.png"):
        assert_png(tmp_path / name)
    table = data.read_dataset(tmp_path / "demo_dsigma_dpt_bins.csv")
    channels = table["channel"] != "total"
    yields = np.isin(table["state"], ("U", "L", "T"))
    assert np.count_nonzero(channels) == 4 * 4 * 5 * 24 and np.all(table["dsigma_dPT"][yields] >= 0)
    assert set(table["state"][channels]) == {"U", "L", "T", "Sp0", "Spm"}
    assert np.count_nonzero(~channels) == 4 * 24                             # channel-sum rows with the bands
    assert np.all(table["scale_lo"][~channels] <= table["dsigma_dPT"][~channels])
    assert np.all(np.isnan(table["scale_lo"][channels]))


def test_evaluate_points_and_file(tmp_path):
    p = run_cli("evaluate", "--x", "0.2", "--z", "0.3", "--Q", "12", "--PT", "0.5", "--tmd-pdf", "collinear")
    assert "2.1371e-05" in p.stdout                          # SPEC 9 ff U, collinear (tabulated GRV94)
    pts = tmp_path / "pts.csv"
    pts.write_text("x,z,Q,PT\n0.2,0.3,12,0.5\n0.5,0.75,20,1.0\n")
    out = tmp_path / "table.parquet"
    run_cli("evaluate", "--input", str(pts), "--output", str(out))
    t = data.read_dataset(out)
    ref = jf.CrossSection().evaluate([0.2, 0.5], [0.3, 0.75], [12, 20], [0.5, 1.0])
    np.testing.assert_allclose(t["sigma_ff_U"], ref["ff", "U"], rtol=1e-15)


def test_bins(tmp_path):
    run_cli("bins", "--nitn", "2", "--neval", "30000", "--warmup", "2", "--pt-edges", "0,6,12", "--format", "parquet",
            "--out", str(tmp_path))
    t = data.read_dataset(tmp_path / "dsigma_dpt_bins.parquet")
    assert len(t["dsigma_dPT"]) == 4 * 4 * 3 * 12
    assert set(t["channel"]) == set(jf.CHANNELS)
    assert_png(tmp_path / "dsigma_dpt_bins.png")
    run_cli("bins", "--nitn", "1", "--neval", "20000", "--warmup", "1", "--figure", "pdf", "--out", str(tmp_path))
    assert open(tmp_path / "dsigma_dpt_bins.pdf", "rb").read(4) == b"%PDF"


def test_grid_parquet_csv_and_params_file(tmp_path):
    out = tmp_path / "grid.parquet"
    p = run_cli("grid", "--n", "6,5,4,7", "--output", str(out))
    assert "840 rows" in p.stdout
    t = data.read_dataset(out)
    assert list(t) == list(data.dataset_columns())
    import pyarrow.parquet as pq
    meta = json.loads(pq.read_schema(out).metadata[b"jpsi_fast"])
    assert meta["units"]["sigma_ff_U"] == "pb/GeV^4" and meta["units"]["Q"] == "GeV"
    # values are the kernels' and the dominant label follows the shares
    ref = jf.CrossSection().evaluate(t["x"], t["z"], t["Q"], t["PT"])
    np.testing.assert_allclose(t["sigma_pgf_3s1_1_L"], ref["pgf_3s1_1", "L"], rtol=1e-15)
    assert np.array_equal(t["dominant"], ref.dominant_names("U"))
    shares = np.column_stack([t[f"share_{c}"] for c in jf.CHANNELS])
    assert np.allclose(shares[t["in_cuts"]].sum(axis=1)[ref.total("U")[t["in_cuts"]] > 0], 1.0)
    # CSV, a TOML parameter file, sampled events
    toml = tmp_path / "p.toml"
    toml.write_text('sqrt_s = 105.0\ntmd_pdf = "collinear"\n[domain]\nQ = [10.0, 30.0]\n')
    csv = tmp_path / "s.csv"
    run_cli("grid", "--sample", "500", "--params", str(toml), "--output", str(csv))
    s = data.read_dataset(csv)
    assert len(s["x"]) == 500 and s["Q"].max() <= 30.0
    meta = json.loads(open(str(csv) + ".meta.json").read())
    assert meta["params"]["sqrt_s"] == 105.0 and meta["params"]["tmd_pdf"] == "collinear"


def test_corrupt_and_clean(tmp_path):
    src = tmp_path / "g.parquet"
    run_cli("grid", "--n", "12,10,10,12", "--output", str(src))
    bad = tmp_path / "bad.parquet"
    run_cli("corrupt", str(src), str(bad), "--noise", "0.05", "--missing", "0.02", "--seed", "3")
    t = data.read_dataset(bad)
    assert "corrupted" in t and 0 < t["corrupted"].mean() < 0.1 and np.isnan(t["sigma_ff_U"]).any()
    clean = tmp_path / "clean.parquet"
    rep = tmp_path / "rep.json"
    p = run_cli("clean", str(bad), str(clean), "--report", str(rep))
    assert "precision" in p.stdout
    r = json.loads(rep.read_text())
    assert r["recall_large"] > 0.8
    c = data.read_dataset(clean)
    assert not np.isnan(c["sigma_ff_U"]).any() and len(c["x"]) < len(t["x"])


def test_regions_and_info(tmp_path):
    p = run_cli("regions", "--budget", "1000", "--batch", "500", "--n-test", "5000", "--out", str(tmp_path))
    assert "sigma-weighted accuracy" in p.stdout
    m = json.loads((tmp_path / "regions_metrics.json").read_text())
    assert m["metrics"]["target"] == "dominant" and m["metrics"]["labels"] == 1000
    for name in ("regions_learning_curves.png", "regions_map_x_Q.png", "regions_map_z_PT.png"):
        assert_png(tmp_path / name)
    out = run_cli("info").stdout
    assert "OpenMP" in out and jf.__version__ in out


@pytest.mark.parametrize("args, word", [
    (("evaluate", "--x", "2", "--z", "0.3", "--Q", "12", "--PT", "1"), "x must be"),
    (("evaluate", "--x", "0.2"), "give --x"),
    (("evaluate", "--x", "a", "--z", "0.3", "--Q", "12", "--PT", "1"), "--x"),
    (("grid", "--n", "3,3"), "--n"),
    (("demo", "--sqrt-s", "-5"), "--sqrt-s"),
    (("demo", "--params", "/no/such.toml"), "--params"),
    (("evaluate", "--pdf", "NoSuchSet", "--x", "0.2", "--z", "0.3", "--Q", "12", "--PT", "1"), "NoSuchSet"),
    (("nonsense",), "invalid choice"),
    (("bins", "--pt-edges", "5,1"), "pt_edges"),
    (("clean", "/no/file.parquet", "out.parquet"), "error"),
    (("evaluate", "--threads", "200000", "--x", "0.2", "--z", "0.3", "--Q", "12", "--PT", "1"), "--threads"),
    (("evaluate", "--threads", "99999999999", "--x", "0.2", "--z", "0.3", "--Q", "12", "--PT", "1"), "--threads"),
    (("demo", "--sqrt-s", "1e300"), "--sqrt-s"),
    (("grid", "--sample", "0"), "--sample"),
    (("grid", "--n", "2.5,3,3,3"), "--n"),
    (("grid", "--n", "1000,1000,1000,1000"), "--yes"),
    (("bins", "--states", "U,X"), "--states"),
    (("bins", "--pt-edges", "0,6,30000000"), "--pt-edges"),
    (("regions", "--budget", "100", "--batch", "500"), "budget"),
    (("demo", "--params", "p.toml"), "--params"),
    (("events", "--n", "10"), "--beams"),
    (("events", "--beams", "18x275", "--n", "1000000000"), "--yes"),
    (("events", "--beams", "18y275"), "--beams"),
    (("events", "--beams", "18x275", "--sqrt-s", "100"), "--beams"),
    (("events", "--beams", "18x275", "--output", "e.txt"), "--output"),
    (("events", "--beams", "18x275", "--lepton-eta", "3,-3"), "lepton_eta"),
    (("rates", "--beams", "18x275", "--lumi", "-1"), "--lumi"),
    (("rates", "--beams", "18x275", "--z-edges", "0.5"), "--z-edges"),
    (("regions", "--target", "dominant", "--lumi", "10"), "--lumi"),
])
def test_bad_arguments_one_line_error(args, word, tmp_path):
    p = run_cli(*args, check=False, cwd=tmp_path)
    assert p.returncode != 0
    err = p.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert word in err


def test_data_api_corrupt_impute_detect():
    xs = jf.CrossSection()
    spec = data.GridSpec(x=(0.1, 0.99, 14), z=(0.1, 0.8, 12), Q=(10, 50, 12), PT=(0, 6, 14))
    axes = spec.axes()
    G = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 4)
    cols = data.compute_rows(xs, *G.T)
    bad, truth = data.corrupt(cols, noise_fraction=0.05, missing_fraction=0.02, seed=5)
    bad2, truth2 = data.corrupt(cols, noise_fraction=0.05, missing_fraction=0.02, seed=5)
    assert np.array_equal(truth.noisy_rows, truth2.noisy_rows)                 # seeded
    assert all(np.array_equal(np.isnan(bad[c]), np.isnan(bad2[c])) for c in data.SIGMA_COLUMNS)
    filled = data.impute(bad, xs=xs)
    clean_rows = ~truth.noisy_rows
    np.testing.assert_allclose(filled["sigma_ff_U"][clean_rows], cols["sigma_ff_U"][clean_rows], rtol=1e-15)
    assert not any(np.isnan(filled[c]).any() for c in data.SIGMA_COLUMNS)
    small = {k: v[:3000] for k, v in bad.items()}            # KNNImputer is quadratic in the rows
    for method, d in (("median", bad), ("knn", small)):
        f = data.impute(d, method=method)
        assert not any(np.isnan(f[c]).any() for c in data.SIGMA_COLUMNS)
    rep = data.detect_corrupted(filled, truth, contamination=0.05)
    assert rep["recall_large"] > 0.8 and rep["precision"] > 0.3
    # clean data keep (nearly) all their rows, and precision/recall are undefined without corrupted rows
    no_noise = data.corrupt(cols, noise_fraction=0.0, seed=1)[1]
    none = data.detect_corrupted(data.impute(cols, xs=xs), no_noise)
    assert none["flagged"] <= 0.03 * len(cols["x"]) and none["recall"] is None and none["recall_large"] is None
    exact = data.detect_corrupted(filled, truth, method="recompute", xs=xs)
    assert exact["precision"] == 1.0 and exact["recall"] > 0.99
    assert data.detect_corrupted(cols, no_noise, method="recompute", xs=xs)["flagged"] == 0
    with pytest.raises(ValueError, match="noise_fraction"):
        data.corrupt(cols, noise_fraction=2)
    with pytest.raises(ValueError, match="method"):
        data.impute(bad, method="magic")
    with pytest.raises(ValueError, match="recompute"):
        data.impute(bad)
    with pytest.raises(ValueError, match="method"):
        data.detect_corrupted(filled, method="svm")


def test_streaming_chunks_identical(tmp_path):
    xs = jf.CrossSection()
    spec = data.GridSpec(x=(0.1, 0.99, 7), z=(0.1, 0.8, 6), Q=(10, 50, 5), PT=(0, 6, 9))
    a = data.write_dataset(tmp_path / "a.parquet", xs, grid=spec, chunk_rows=100)
    b = data.write_dataset(tmp_path / "b.parquet", xs, grid=spec)
    assert a["rows"] == b["rows"] == spec.size
    ta, tb = data.read_dataset(tmp_path / "a.parquet"), data.read_dataset(tmp_path / "b.parquet")
    assert all(np.array_equal(ta[c], tb[c]) for c in data.dataset_columns())
    with pytest.raises(ValueError, match="exactly one"):
        data.write_dataset(tmp_path / "c.parquet", xs, grid=spec, sample=10)


def test_evaluate_lambdas_and_polarized_beams(tmp_path):
    p = run_cli("evaluate", "--x", "0.2,0.6", "--z", "0.3,0.5", "--Q", "12,40", "--PT", "0.5,2", "--lambdas")
    assert "+0.529" in p.stdout and "+0.582" in p.stdout                      # SPEC §12 sums of channels (gaussian)
    out = tmp_path / "pol.csv"
    p = run_cli("evaluate", "--x", "0.2", "--z", "0.3", "--Q", "12", "--PT", "0.5", "--tmd-pdf", "collinear",
                "--lambda-e", "1", "--S-N", "1", "--no-helicity-positivity", "--output", str(out))
    t = data.read_dataset(out)
    assert float(t["A_LL_U"][0]) == pytest.approx(0.0613381, abs=6e-8)       # SPEC §11 check value
    ref = jf.CrossSection(jf.Params(tmd_pdf="collinear"), helicity_positivity=False).evaluate(
        0.2, 0.3, 12, 0.5, lambda_e=1, S_N=1)
    np.testing.assert_allclose(t["sigma_ff_U"], ref["ff", "U"], rtol=1e-15)
    bad = run_cli("evaluate", "--x", "0.2", "--z", "0.3", "--Q", "12", "--PT", "0.5", "--lambda-e", "2", check=False)
    assert bad.returncode == 2 and "--lambda-e" in bad.stderr
    bad = run_cli("evaluate", "--x", "0.2", "--z", "0.3", "--Q", "12", "--PT", "0.5", "--states", "U,Sxx",
                  check=False)
    assert bad.returncode != 0 and "--states" in bad.stderr


def test_bins_lambdas_and_polarized(tmp_path):
    p = run_cli("bins", "--nitn", "2", "--neval", "20000", "--warmup", "1", "--pt-edges", "0,6,6", "--lambdas",
                "--out", str(tmp_path))
    assert "lambda_theta =" in p.stdout
    assert_png(tmp_path / "lambdas_vs_pt.png")
    p = run_cli("bins", "--nitn", "2", "--neval", "20000", "--warmup", "1", "--pt-edges", "0,6,6", "--lambda-e",
                "1", "--S-N", "-1", "--out", str(tmp_path))
    assert "A_LL(U) =" in p.stdout
    t = data.read_dataset(tmp_path / "dsigma_dpt_bins.csv")
    assert "U_LL" in set(t["state"])
    bad = run_cli("bins", "--lambdas", "--lambda-e", "1", "--out", str(tmp_path), check=False)
    assert bad.returncode != 0 and "unpolarized" in bad.stderr


def test_evaluate_with_lhapdf_helicity_set(tmp_path):
    path = jf.pdf.write_lhagrid(tmp_path / "POL_0000.dat", jf.pdf.GRSV2000LO(),
                                np.concatenate([np.geomspace(1e-4, 0.1, 20), np.linspace(0.12, 0.9, 30), [1.0]]),
                                [np.geomspace(0.9, 300.0, 20)])
    p = run_cli("evaluate", "--x", "0.3", "--z", "0.5", "--Q", "20", "--PT", "1", "--lambda-e", "1", "--S-N", "1",
                "--helicity-pdf", str(path))
    assert "A_LL_U" in p.stdout
    bad = run_cli("evaluate", "--x", "0.3", "--z", "0.5", "--Q", "20", "--PT", "1", "--lambda-e", "1",
                  "--helicity-pdf", str(tmp_path / "missing_0000.dat"), check=False)
    assert bad.returncode != 0 and "missing_0000" in bad.stderr


def test_events_hepmc3_lhe_parquet(tmp_path):
    """`jpsi-fast events` writes files the libraries read back, with the cross section and the channel names."""
    pyhepmc = pytest.importorskip("pyhepmc")
    pylhe = pytest.importorskip("pylhe")
    pq = pytest.importorskip("pyarrow.parquet")
    out = run_cli("events", "--beams", "18x275", "--n", "3000", "--output", str(tmp_path / "jpsi.hepmc"),
                  "--acceptance", "typical").stdout
    assert "wrote 3,000 unweighted events" in out and "18x275" in out
    with pyhepmc.open(tmp_path / "jpsi.hepmc") as f:
        events = list(f)
    assert len(events) == 3000
    ev = events[0]
    assert sorted(p.pid for p in ev.particles) == sorted([11, 2212, 11, 22, 443, 13, -13, 90])
    mu = [p for p in ev.particles if abs(p.pid) == 13]
    assert all(p.status == 1 for p in mu) and all(abs(p.momentum.eta()) < 3.5 and p.momentum.pt() > 0.5 for p in mu)
    sigma = ev.cross_section.xsec()
    assert sigma > 0 and np.isclose(sum(e.weights[0] for e in events), sigma, rtol=1e-9)
    out = run_cli("events", "--beams", "5x41", "--n", "2000", "--output", str(tmp_path / "jpsi.lhe.gz"),
                  "--decay", "ee", "--seed", "3").stdout
    assert "J/psi -> ee" in out
    lhe = list(pylhe.LHEFile.fromfile(str(tmp_path / "jpsi.lhe.gz")).events)
    assert len(lhe) == 2000 and sorted(abs(p.id) for p in lhe[0].particles).count(11) == 4
    run_cli("events", "--beams", "10x100", "--n", "2000", "--output", str(tmp_path / "ev.parquet"), "--weighted",
            "--scale-variation", "3")
    t = pq.read_table(tmp_path / "ev.parquet")
    assert 0 < t.num_rows <= 2000 and "weight_scale:2,2" in t.column_names
    assert {"jpsi_E", "lep_plus_pz", "X_px", "channel", "event_number"} <= set(t.column_names)
    info = json.loads(t.schema.metadata[b"jpsi_fast.run_info"])
    assert np.isclose(np.sum(t["weight"]), info["sigma_pb"], rtol=0.05)
    assert not list(tmp_path.glob(".*tmp*"))


def test_rates(tmp_path):
    out = run_cli("rates", "--beams", "18x275", "--lumi", "10/fb", "--neval", "20000", "--nitn", "2",
                  "--z-edges", "0.1,0.45,0.8", "--pt-edges", "0,1,6", "--out", str(tmp_path)).stdout
    assert "expected J/psi -> mumu events for 10 fb^-1 at 18x275 GeV" in out and "dominant" in out
    assert_png(tmp_path / "rates_z_pt.png")
    rows = open(tmp_path / "rates_z_pt.csv").read().splitlines()
    assert len(rows) == 1 + 4 and "counts" in rows[0]
