"""Fuzzing the command line ``python -m jpsi_fast`` against its contract: any bad input gives exit code 2 with exactly
one line on stderr and no traceback (a valid input exits 0), within a time limit, and a failed command leaves no
output file (nor a temporary one) and never touches an existing output file.

Default run: ~40 curated commands (each < 60 s, in all ~30 s). ``-m slow``: ~300 generated garbage commands.
"""
from __future__ import annotations

import hashlib
import random
from pathlib import Path

import numpy as np
import pytest

from _fuzz_helpers import check_cli_exit, run_cli, temp_leftovers

TIMEOUT = 90.0
PTS = ["--x", "0.2", "--z", "0.3", "--Q", "12", "--PT", "0.5"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Input files, good and bad, in one folder (the commands run in a fresh copy-free sub-folder each)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import jpsi_fast as jf
    d = tmp_path_factory.mktemp("cli_inputs")
    f = {}
    xs = jf.CrossSection()
    grid = jf.data.GridSpec(x=(0.1, 0.9, 4), z=(0.2, 0.8, 3), Q=(10.0, 40.0, 3), PT=(0.0, 3.0, 3))
    f["good.parquet"] = d / "good.parquet"
    jf.data.write_dataset(f["good.parquet"], xs, grid=grid)
    f["good.csv"] = d / "good.csv"
    jf.data.write_dataset(f["good.csv"], xs, grid=grid)
    f["points.csv"] = d / "points.csv"
    f["points.csv"].write_text("x,z,Q,PT\n0.2,0.3,12,0.5\n0.5,0.75,20,1\n0.15,0.6,25,3\n")
    f["empty.csv"] = d / "empty.csv"
    f["empty.csv"].write_bytes(b"")
    f["header_only.csv"] = d / "header_only.csv"
    f["header_only.csv"].write_text("x,z,Q,PT\n")
    f["garbage.csv"] = d / "garbage.csv"
    f["garbage.csv"].write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8)))
    f["ragged.csv"] = d / "ragged.csv"
    f["ragged.csv"].write_text("x,z,Q,PT\n0.2,0.3,12\n0.5,0.75,20,1,7,8\n")
    f["strings.csv"] = d / "strings.csv"
    f["strings.csv"].write_text("x,z,Q,PT\nabc,0.3,12,0.5\n")
    f["nan.csv"] = d / "nan.csv"
    f["nan.csv"].write_text("x,z,Q,PT\n0.2,0.3,12,0.5\nnan,0.3,12,0.5\n")
    f["huge.csv"] = d / "huge.csv"
    f["huge.csv"].write_text("x,z,Q,PT\n0.2,0.3,1e400,0.5\n")
    f["missing_col.csv"] = d / "missing_col.csv"
    f["missing_col.csv"].write_text("x,z,Q\n0.2,0.3,12\n")
    f["corrupt.parquet"] = d / "corrupt.parquet"
    f["corrupt.parquet"].write_bytes(b"PAR1" + bytes(np.random.default_rng(1).integers(0, 256, 2000, dtype=np.uint8))
                                     + b"PAR1")
    raw = f["good.parquet"].read_bytes()
    f["truncated.parquet"] = d / "truncated.parquet"
    f["truncated.parquet"].write_bytes(raw[: len(raw) // 2])
    f["empty.parquet"] = d / "empty.parquet"
    pq.write_table(pa.table({"x": pa.array([], pa.float64()), "z": pa.array([], pa.float64()),
                             "Q": pa.array([], pa.float64()), "PT": pa.array([], pa.float64())}), f["empty.parquet"])
    f["lists.parquet"] = d / "lists.parquet"
    pq.write_table(pa.table({"x": [[0.2, 0.3]], "z": [0.3], "Q": [12.0], "PT": [0.5]}), f["lists.parquet"])
    f["zero_bytes.parquet"] = d / "zero_bytes.parquet"
    f["zero_bytes.parquet"].write_bytes(b"")
    f["adir"] = d / "adir"
    f["adir"].mkdir()
    f["dir.csv"] = d / "dir.csv"
    f["dir.csv"].mkdir()
    f["missing.csv"] = d / "missing.csv"
    f["missing.parquet"] = d / "missing.parquet"
    f["bad.toml"] = d / "bad.toml"
    f["bad.toml"].write_text("sqrt_s = = 3\n[domain\n")
    f["unknown.toml"] = d / "unknown.toml"
    f["unknown.toml"].write_text("sqrt_s = 63.0\nfoo = 1\n")
    f["types.toml"] = d / "types.toml"
    f["types.toml"].write_text('sqrt_s = "sixty-three"\n')
    f["flavours.toml"] = d / "flavours.toml"
    f["flavours.toml"].write_text("flavours = 5\n")
    f["domain.toml"] = d / "domain.toml"
    f["domain.toml"].write_text("[domain]\nx = [0.9, 0.1]\n")
    f["domain_scalar.toml"] = d / "domain_scalar.toml"
    f["domain_scalar.toml"].write_text("domain = 5\n")
    f["bigint.toml"] = d / "bigint.toml"
    f["bigint.toml"].write_text("n_f = 9223372036854775807\n")
    f["empty_domain.toml"] = d / "empty_domain.toml"
    f["empty_domain.toml"].write_text("sqrt_s = 2.0\n")
    f["bad_pdf.dat"] = d / "BADPDF_0000.dat"
    f["bad_pdf.dat"].write_text("PdfType: central\nFormat: lhagrid1\n---\n1 2 3\nnonsense\n")
    f["a_file"] = d / "a_file"
    f["a_file"].write_text("not a folder\n")
    return f


def _copy_inputs(files, dest):
    """A private copy of the input files (a command may write over any of them) -> name -> path."""
    import shutil
    master = files["adir"].parent
    shutil.copytree(master, dest)
    return {k: dest / Path(v).relative_to(master) for k, v in files.items()}


def _sub(f, args):
    """Replace {name} placeholders by the paths of the input files."""
    out = []
    for a in args:
        a = str(a)
        if a.startswith("{") and a.endswith("}"):
            a = str(f[a[1:-1]])
        out.append(a)
    return out


#: (arguments, allowed exit codes, outputs that must not exist after a failure)
CASES = [
    ([], (2,), []),
    (["frobnicate"], (2,), []),
    (["evaluate", "--threads", "200000", *PTS], (2,), []),
    (["evaluate", "--sqrt-s", "1e300", *PTS], (2,), []),
    (["grid", "--sample", "0", "--output", "g.parquet"], (2,), ["g.parquet"]),
    (["grid", "--n", "1000,1000,1000,1000", "--output", "g.parquet"], (2,), ["g.parquet"]),
    (["bins", "--states", "U,X"], (2,), []),
    (["bins", "--pt-edges", "0,6,30000000"], (2,), []),
    (["evaluate", "--x", "nan", "--z", "0.3", "--Q", "12", "--PT", "0.5"], (2,), []),
    (["evaluate", "--x", "", "--z", "0.3", "--Q", "12", "--PT", "0.5"], (2,), []),
    (["evaluate", "--x", "0.1,0.2", "--z", "0.1,0.2,0.3", "--Q", "12", "--PT", "0.5"], (2,), []),
    (["evaluate", "--x", "0.5", "--z", "0.5", "--Q", "1e7", "--PT", "1"], (2,), []),
    (["evaluate", "--input", "{missing.csv}"], (2,), []),
    (["evaluate", "--input", "{adir}"], (2,), []),
    (["evaluate", "--input", "{empty.csv}", "--output", "o.parquet"], (2,), ["o.parquet"]),
    (["evaluate", "--input", "{garbage.csv}", "--output", "o.parquet"], (2,), ["o.parquet"]),
    (["evaluate", "--input", "{corrupt.parquet}"], (2,), []),
    (["evaluate", "--input", "{truncated.parquet}"], (2,), []),
    (["evaluate", "--input", "{strings.csv}"], (2,), []),
    (["evaluate", "--input", "{nan.csv}", "--output", "o.csv"], (2,), ["o.csv", "o.csv.meta.json"]),
    (["evaluate", "--params", "{bad.toml}", *PTS], (2,), []),
    (["evaluate", "--params", "{flavours.toml}", *PTS], (2,), []),
    (["evaluate", "--pdf", "NoSuchSet_xyz", *PTS], (2,), []),
    (["corrupt", "{missing.parquet}", "o.parquet"], (2,), ["o.parquet"]),
    (["corrupt", "{good.parquet}", "{adir}"], (2,), []),
    (["clean", "{garbage.csv}", "o.csv"], (2,), ["o.csv", "o.csv.meta.json"]),
    (["regions", "--budget", "5"], (2,), []),
    (["demo", "--out", "{a_file}"], (2,), []),
    (["grid", "--output", "{adir}"], (2,), []),
    (["--version"], (0,), []),
    (["evaluate", *PTS], (0,), []),
    (["regions", "--target", "large", "--budget", "20", "--batch", "10", "--n-test", "100"], (0,), []),
]
#: more curated commands, run with -m slow
MORE_CASES = [
    (["info", "--bogus"], (2,), []),
    (["evaluate", "--threads", "0", *PTS], (2,), []),
    (["evaluate", "--threads", "1.5", *PTS], (2,), []),
    (["evaluate", "--sqrt-s", "nan", *PTS], (2,), []),
    (["grid", "--n", "2,2,2", "--output", "g.parquet"], (2,), ["g.parquet"]),
    (["grid", "--n", "2,2,2,2", "--sqrt-s", "2", "--output", "g.csv"], (2,), ["g.csv", "g.csv.meta.json"]),
    (["bins", "--pt-edges", "6,0", "--neval", "1000", "--nitn", "1", "--warmup", "0"], (2,), []),
    (["bins", "--pt-edges", "0,nan,6"], (2,), []),
    (["bins", "--neval", "10"], (2,), []),
    (["evaluate", "--x", "1e400", "--z", "0.3", "--Q", "12", "--PT", "0.5"], (2,), []),
    (["evaluate", "--x", "0.5", "--z", "0.5", "--Q", "-5", "--PT", "1"], (2,), []),
    (["evaluate", "--input", "{dir.csv}"], (2,), []),
    (["evaluate", "--input", "{ragged.csv}"], (2,), []),
    (["evaluate", "--input", "{zero_bytes.parquet}"], (2,), []),
    (["evaluate", "--input", "{lists.parquet}"], (2,), []),
    (["evaluate", "--input", "{huge.csv}"], (2,), []),
    (["evaluate", "--input", "{missing_col.csv}"], (2,), []),
    (["evaluate", "--input", "{points.csv}", *PTS], (2,), []),
    (["evaluate", "--params", "{missing.csv}", *PTS], (2,), []),
    (["evaluate", "--params", "{unknown.toml}", *PTS], (2,), []),
    (["evaluate", "--params", "{types.toml}", *PTS], (2,), []),
    (["evaluate", "--params", "{domain.toml}", *PTS], (2,), []),
    (["evaluate", "--params", "{domain_scalar.toml}", *PTS], (2,), []),
    (["evaluate", "--params", "{bigint.toml}", *PTS], (2,), []),
    (["evaluate", "--params", "{adir}", *PTS], (2,), []),
    (["evaluate", "--pdf", "{bad_pdf.dat}", *PTS], (2,), []),
    (["evaluate", "--pdf", "{adir}", *PTS], (2,), []),
    (["corrupt", "{good.parquet}", "o.parquet", "--noise", "2"], (2,), ["o.parquet"]),
    (["corrupt", "{good.parquet}", "o.parquet", "--missing", "nan"], (2,), ["o.parquet"]),
    (["corrupt", "{points.csv}", "o.csv"], (2,), ["o.csv", "o.csv.meta.json"]),
    (["corrupt", "{header_only.csv}", "o.csv"], (2,), ["o.csv", "o.csv.meta.json"]),
    (["clean", "{points.csv}", "o.csv"], (2,), ["o.csv", "o.csv.meta.json"]),
    (["clean", "{empty.parquet}", "o.parquet"], (2,), ["o.parquet"]),
    (["clean", "{good.parquet}", "o.parquet", "--contamination", "0.9"], (2,), ["o.parquet"]),
    (["regions", "--budget", "10", "--batch", "20"], (2,), []),
    (["regions", "--n-test", "5"], (2,), []),
    (["demo", "--seed", "-1"], (2,), []),
    (["evaluate", *PTS, "--output", "{adir}"], (2,), []),
    (["info"], (0,), []),
    (["evaluate", "--input", "{points.csv}", "--output", "p.parquet"], (0,), []),
    (["evaluate", "--input", "{header_only.csv}"], (0,), []),
    (["corrupt", "{good.parquet}", "c.parquet"], (0,), []),
    (["grid", "--n", "2,2,2,2", "--output", "g.csv", "--chunk", "3"], (0,), []),
]


def _run_and_check(args, allowed, must_not_exist, cwd, files):
    files = _copy_inputs(files, cwd.parent / "inputs")
    args = _sub(files, args)
    cwd.mkdir(parents=True, exist_ok=True)
    rc, out, err, secs = run_cli(args, cwd, timeout=TIMEOUT)
    problems = check_cli_exit(args, rc, out, err, secs, TIMEOUT, allowed=allowed)
    if rc != 0:
        left = [str(cwd / p) for p in must_not_exist if (cwd / p).exists()]
        if left:
            problems.append(f"jpsi-fast {' '.join(args)}: exit {rc} but left output file(s) {left}")
    leftovers = temp_leftovers(cwd) + temp_leftovers(files["adir"].parent)
    if leftovers:
        problems.append(f"jpsi-fast {' '.join(args)}: temporary files left behind: {leftovers}")
    return problems, rc, secs


@pytest.mark.parametrize("case", range(len(CASES)), ids=lambda i: " ".join(map(str, CASES[i][0]))[:60] or "(none)")
def test_cli_curated(case, files, tmp_path):
    """Curated bad (and a few valid) commands: exit 2 with one stderr line (0 when valid), no traceback, no output
    or temporary file left by a failure."""
    args, allowed, must_not_exist = CASES[case]
    problems, rc, secs = _run_and_check(args, allowed, must_not_exist, tmp_path / "run", files)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("case", range(len(MORE_CASES)),
                         ids=lambda i: " ".join(map(str, MORE_CASES[i][0]))[:60] or "(none)")
def test_cli_curated_more(case, files, tmp_path):
    args, allowed, must_not_exist = MORE_CASES[case]
    problems, rc, secs = _run_and_check(args, allowed, must_not_exist, tmp_path / "run", files)
    assert not problems, "\n".join(problems)


def test_cli_failed_command_keeps_existing_output(files, tmp_path):
    """An existing output file survives, byte for byte, a command that fails while it would replace it."""
    tmp_path.mkdir(exist_ok=True)
    target = tmp_path / "keep.parquet"
    target.write_bytes(b"precious data, not a parquet file\n" * 100)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    for args in (["evaluate", "--input", str(files["nan.csv"]), "--output", str(target)],
                 ["corrupt", str(files["truncated.parquet"]), str(target)],
                 ["grid", "--n", "2,2,2,2", "--sqrt-s", "2", "--output", str(target)],
                 ["clean", str(files["garbage.csv"]), str(target)]):
        rc, out, err, secs = run_cli(args, tmp_path, timeout=TIMEOUT)
        assert not check_cli_exit(args, rc, out, err, secs, TIMEOUT, allowed=(2,)), err
        assert hashlib.sha256(target.read_bytes()).hexdigest() == digest, f"{args} changed {target}"
    assert not temp_leftovers(tmp_path)


# ------------------------------------------------------------------------------------------------ generated garbage
GARBAGE = ["", " ", "nan", "NaN", "inf", "-inf", "-1", "0", "-0", "1e308", "1e-308", "abc", "1,2,3", ",", "0x10",
           "999999999999999999999999", "-999999999999999999999999", "1_000", "+5", "  3  ", "3.", ".5", "é", "None",
           "[1]", "--", "-", "1e400", "2.5", "true", "0,0,0,0", "-1,-1,-1,-1", "1,nan", "1;2", "'1'", "∞", "٣",
           "\t", "$HOME", "a/b/c.parquet"]
FILE_TOKENS = ["{missing.csv}", "{adir}", "{dir.csv}", "{empty.csv}", "{header_only.csv}", "{garbage.csv}",
               "{ragged.csv}", "{strings.csv}", "{nan.csv}", "{huge.csv}", "{missing_col.csv}", "{corrupt.parquet}",
               "{truncated.parquet}", "{empty.parquet}", "{lists.parquet}", "{zero_bytes.parquet}",
               "{points.csv}", "{good.parquet}", "{good.csv}", "{bad.toml}", "{types.toml}", "{flavours.toml}",
               "{domain.toml}", "{bigint.toml}", "{empty_domain.toml}", "{bad_pdf.dat}", "{a_file}"]
CHEAP_BINS = ["--nitn", "1", "--neval", "1000", "--warmup", "0", "--pt-edges", "0,6,4"]
CHEAP_REGIONS = ["--budget", "20", "--batch", "10", "--n-test", "100"]
#: per subcommand: a cheap valid command, its options that take a value (mutated), positional slots
BASES = {
    "evaluate": (["evaluate", *PTS], ["--x", "--z", "--Q", "--PT", "--sqrt-s", "--tmd-pdf", "--pdf", "--params",
                                      "--threads", "--input", "--output"], []),
    "bins": (["bins", *CHEAP_BINS], ["--nitn", "--neval", "--warmup", "--pt-edges", "--states", "--format",
                                      "--figure", "--seed", "--sqrt-s", "--tmd-pdf", "--threads", "--out",
                                      "--params", "--pdf"], []),
    "grid": (["grid", "--n", "2,2,2,2", "--output", "g.parquet"], ["--n", "--sample", "--chunk", "--output",
                                                                    "--seed", "--sqrt-s", "--params", "--threads"],
             []),
    "corrupt": (["corrupt", "{good.parquet}", "c.parquet"], ["--noise", "--noise-sigma", "--missing", "--seed"],
                [1, 2]),
    "clean": (["clean", "{good.parquet}", "k.parquet", "--detect", "recompute"],
              ["--impute", "--detect", "--contamination", "--report", "--seed", "--threads"], [1, 2]),
    "regions": (["regions", *CHEAP_REGIONS], ["--target", "--state", "--n-test", "--seed", "--sqrt-s",
                                               "--threads", "--out", "--params"], []),
    "info": (["info"], [], []),
}
#: options whose huge values are valid but unbounded work (the user asked for it): not fuzzed with huge numbers
HUGE_OK = {"--budget", "--batch"}


def _generate(n, seed):
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        sub = rng.choice(sorted(BASES))
        base, opts, positional = BASES[sub]
        args = list(base)
        for _ in range(rng.randint(1, 3)):
            kind = rng.random()
            if kind < 0.5 and opts:
                opt = rng.choice(opts)
                val = rng.choice(GARBAGE + FILE_TOKENS) if rng.random() < 0.8 else rng.choice(FILE_TOKENS)
                if opt in args and args.index(opt) + 1 < len(args):
                    args[args.index(opt) + 1] = val
                else:
                    args += [opt, val]
            elif kind < 0.65 and positional and max(positional) < len(args):
                args[rng.choice(positional)] = rng.choice(GARBAGE + FILE_TOKENS)
            elif kind < 0.75:
                args.append(rng.choice(["--bogus", "--x", "-h" if rng.random() < 0.1 else "--yes", "extra",
                                        "--threads=", "--sqrt-s=1e-5", "-n", "--input"]))
            elif kind < 0.85 and len(args) > 1:
                del args[rng.randrange(1, len(args))]
            else:
                args.insert(rng.randrange(0, len(args) + 1), rng.choice(GARBAGE))
        cases.append(args)
    return cases


SLOW_CASES = _generate(300, seed=20240601)


@pytest.mark.slow
@pytest.mark.parametrize("case", range(len(SLOW_CASES)), ids=lambda i: f"gen{i:03d}")
def test_cli_generated(case, files, tmp_path):
    """Generated garbage (wrong types, huge numbers, NaN, empty strings, unknown options, missing/bad files, a
    folder for a file, dropped or extra arguments): exit 0 or 2, one stderr line on 2, no traceback, no temporary
    file left."""
    problems, rc, secs = _run_and_check(SLOW_CASES[case], (0, 2), [], tmp_path / "run", files)
    assert not problems, "\n".join(problems)


def test_generated_cases_are_deterministic():
    assert _generate(5, 1) == _generate(5, 1)
