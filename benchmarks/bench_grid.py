"""Dataset export: `jpsi-fast grid` (the earlier study's 25 x 25 x 25 x 75 grid, every channel x state, shares,
dominant label, to Parquet) against the earlier study's pipeline re-implemented as a baseline in the same run:
PDFs from scipy's RegularGridInterpolator over a tabulated GRV94, each channel computed with NumPy on the full grid
(collinear FF model, as a NumPy pipeline would), a pandas DataFrame written to CSV.

    python benchmarks/bench_grid.py [--n 25,25,25,75] [--repeat 3]

Prints both wall times and their ratio (target of issue 5: >= 35x; `jpsi-fast grid` <= 2 s).
"""
import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np

import jpsi_fast as jf
from jpsi_fast import data

GEV2PB = 0.3893794e9


def baseline_pipeline(n, path, p=jf.Params(tmd_pdf="collinear")):
    """The earlier study's NumPy/SciPy/pandas pipeline (no jpsi_fast kernels)."""
    import pandas as pd
    from scipy.interpolate import RegularGridInterpolator
    grv = jf.reference.GRV94LO()
    lx = np.linspace(np.log(1e-3), np.log(0.999), 120)
    lq = np.linspace(np.log(4.0), np.log(3000.0), 60)
    LX, LQ = np.meshgrid(lx, lq, indexing="ij")
    pids = {"g": 21, "u": 2, "d": 1, "s": 3, "ubar": -2, "dbar": -1, "sbar": -3}
    interp = {k: RegularGridInterpolator((lx, lq), grv.xfxQ2(pid, np.exp(LX), np.exp(LQ)), method="cubic")
              for k, pid in pids.items()}
    axes = [np.linspace(0.1, 0.99, n[0]), np.linspace(0.1, 0.8, n[1]), np.linspace(10, 50, n[2]),
            np.linspace(0, 6, n[3])]
    x, z, Q, PT = (a.ravel() for a in np.meshgrid(*axes, indexing="ij"))
    s = p.sqrt_s ** 2
    y = Q * Q / (x * s)
    ok = y <= 1
    pts = np.column_stack([np.log(x), np.log(Q * Q)])
    f = {k: ip(pts) / x for k, ip in interp.items()}
    a_em, M = p.alpha_em, p.M
    as_ff = 2 * math.pi / ((11 - 2 * 5 / 3) * math.log(M / 0.2))
    as_pgf = 2 * math.pi / ((11 - 2 * 5 / 3) * math.log(30.0 / 0.2))
    Yf = 1 - y + y * y / 2
    # quark fragmentation, collinear: k_T = P_T / z
    k2 = (PT / z) ** 2
    delta = z * z * k2 + M * M * (1 - z)
    c = 2 * as_ff ** 2 * p.ldme_3s1_8 / (9 * math.pi * 3 * M ** 3 * z)
    D1 = c * (k2 * z * z * (z * z - 2 * z + 2) + 2 * M * M * (1 - z) ** 2) / delta ** 2
    D1LL = c * (k2 * z * z * (z * z - 2 * z + 2) - 4 * M * M * (1 - z) ** 2) / delta ** 2
    sumq = 4 / 9 * (f["u"] + f["ubar"]) + 1 / 9 * (f["d"] + f["dbar"] + f["s"] + f["sbar"])
    pre = math.pi * 4 * math.pi * a_em ** 2 / Q ** 4 * Yf * sumq * GEV2PB
    cols = {"x": x, "z": z, "Q": Q, "PT": PT, "y": y}
    cols["ff_U"], cols["ff_L"] = pre * 3 * D1, pre * (D1 - D1LL)
    fg = f["g"]
    GT = np.exp(-PT ** 2 / p.pt2_pgf) / (math.pi * p.pt2_pgf)
    Gz = np.exp(-(1 - z) ** 2 / p.dz2_pgf) / math.sqrt(math.pi * p.dz2_pgf)
    U1 = Yf * 32 * math.pi ** 3 * z * a_em ** 2 * as_pgf * p.ldme_1s0_8 / (9 * M * Q ** 6 * (2 - z) ** 3) * fg * Gz * GT * GEV2PB
    cols["pgf_1s0_8_U"], cols["pgf_1s0_8_L"] = U1, U1 / 3
    pre3 = 64 * math.pi ** 3 * z * a_em ** 2 * as_pgf * p.ldme_3p0_8 / (9 * M ** 3 * Q ** 6 * (2 - z) ** 5) * fg * Gz * GT * GEV2PB
    cols["pgf_3pj_8_U"] = pre3 * (y * y * (8 - 8 * z + 3 * z * z) + 8 * (1 - y) * (2 - z) - 2 * (1 - y) * z * (2 - z) ** 2)
    cols["pgf_3pj_8_L"] = pre3 * z * z * ((2 - y) ** 2 - 2 * z * (1 - y))
    K = (512 * math.pi * (1 - z) * a_em ** 2 * as_pgf ** 2 * p.ldme_3s1_1 / (243 * M * Q ** 6 * z * (2 - z) ** 2)
         * Yf * fg * GEV2PB)
    den = PT ** 2 + (1 - z) ** 2 * M * M
    cols["pgf_3s1_1_U"] = K * (PT ** 2 + (1 - z) ** 2 * M * M * (1 + (1 - z) ** 2)) / den ** 2
    cols["pgf_3s1_1_L"] = K * PT ** 2 / den ** 2
    for ch in jf.CHANNELS:
        cols[f"{ch}_U"] = np.where(ok, cols[f"{ch}_U"], 0.0)
        cols[f"{ch}_L"] = np.where(ok, cols[f"{ch}_L"], 0.0)
        cols[f"{ch}_T"] = cols[f"{ch}_U"] - cols[f"{ch}_L"]
    df = pd.DataFrame(cols)
    tot = df[[f"{ch}_U" for ch in jf.CHANNELS]].sum(axis=1)
    for ch in jf.CHANNELS:
        df[f"share_{ch}"] = np.where(tot > 0, df[f"{ch}_U"] / tot.where(tot > 0, 1), 0)
    df["dominant"] = np.where(tot > 0, df[[f"share_{ch}" for ch in jf.CHANNELS]].to_numpy().argmax(axis=1), -1)
    df.to_csv(path, index=False)
    return len(df)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", default="25,25,25,75")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    n = [int(v) for v in args.n.split(",")]
    spec = data.GridSpec.from_domain(jf.Domain(), n)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        res = {}
        for mode in ("collinear", "gaussian"):
            xs = jf.CrossSection(jf.Params(tmd_pdf=mode))
            data.write_dataset(tmp / "warm.parquet", xs, grid=data.GridSpec.from_domain(jf.Domain(), (3, 3, 3, 3)))
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                s = data.write_dataset(tmp / "grid.parquet", xs, grid=spec)
                times.append(time.perf_counter() - t)
            res[mode] = (min(times), s["rows"], (tmp / "grid.parquet").stat().st_size)
        t = time.perf_counter()
        rows = baseline_pipeline(n, tmp / "baseline.csv")
        base = time.perf_counter() - t
    print(f"grid {'x'.join(map(str, n))} = {rows:,} rows, all channels x states, shares, dominant label; "
          f"jpsi_fast {jf.__version__}, OpenMP {'on' if jf.openmp_enabled() else 'off'} ({jf.max_threads()} threads)\n")
    print("| pipeline | wall time [s] | ratio |")
    print("|---|---|---|")
    print(f"| baseline: RegularGridInterpolator PDFs + NumPy channels (collinear) + pandas CSV | {base:.2f} | 1 |")
    for mode, (tm, r, size) in res.items():
        print(f"| `jpsi-fast grid` ({mode} FF), Parquet ({size / 1e6:.0f} MB) | {tm:.2f} | {base / tm:.0f}x |")
    print(f"\ntargets (issue 5): jpsi-fast grid <= 2 s, >= 35x the baseline; measured {res['gaussian'][0]:.2f} s "
          f"(Gaussian), ratio {base / res['collinear'][0]:.0f}x (collinear vs collinear baseline)")


if __name__ == "__main__":
    main()
