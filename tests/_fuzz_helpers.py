"""Shared tools of the fuzz tests (tests/test_fuzz_*.py, tests/test_interrupts.py): time limits, a small LHAPDF
grid, running the CLI in a subprocess and checking the contract of its exit."""
from __future__ import annotations

import contextlib
import faulthandler
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

#: the checkout whose package the tests exercise (src layout)
ROOT = Path(__file__).resolve().parents[1]


class CallTimeout(AssertionError):
    """A call ran past its time limit (the contract: never hang)."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str = "call"):
    """Fail with CallTimeout when the block runs longer than ``seconds`` (SIGALRM, seen between bytecodes), and
    kill the whole process with a traceback dump after 3 x ``seconds`` (a hang inside compiled code that never
    returns to Python)."""
    def on_alarm(signum, frame):
        raise CallTimeout(f"{what} took longer than {seconds} s (hang?)")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(3 * seconds, exit=True)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, old)


def make_lhagrid(folder: Path) -> Path:
    """A small lhagrid1 member file tabulating GRV94 LO: x in [1e-5, 1] (log-spaced, then dense linear knots above
    x = 0.1 where the PDFs fall to 0), Q in [1.3, 1e4] GeV (two subgrids). Interpolation between knots can still
    undershoot below 0 close to x = 1."""
    import jpsi_fast as jf
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "FUZZGRID_0000.dat"
    if not path.exists():
        x_knots = np.concatenate([np.geomspace(1e-5, 0.1, 25)[:-1], np.linspace(0.1, 1.0, 46)])
        jf.pdf.write_lhagrid(path, jf.pdf.GRV94LO(extrapolate="nearest"), x_knots,
                             [np.geomspace(1.3, 10.0, 8), np.geomspace(10.0, 1e4, 12)])
    return path


# ------------------------------------------------------------------------------------------------ the CLI
def cli_env(**extra) -> dict:
    """Environment of a CLI subprocess: the package this test process imported (an in-place build, an editable or a
    wheel install) first on PYTHONPATH, one OpenMP thread by default, no debug tracebacks."""
    import jpsi_fast

    env = dict(os.environ)
    src = str(Path(jpsi_fast.__file__).resolve().parents[1])
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("OMP_NUM_THREADS", "1")
    env.pop("JPSI_FAST_DEBUG", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_cli(args, cwd, timeout=60.0, env=None):
    """Run ``python -m jpsi_fast *args`` in ``cwd``: (returncode, stdout, stderr, seconds). A run past ``timeout``
    is killed and reported as returncode None."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-m", "jpsi_fast", *map(str, args)], cwd=str(cwd),
                           env=env or cli_env(), capture_output=True, timeout=timeout)
        rc = p.returncode
        out, err = p.stdout, p.stderr
    except subprocess.TimeoutExpired as exc:
        rc, out, err = None, exc.stdout or b"", exc.stderr or b""
    return rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), time.perf_counter() - t0


_TMP_RE = re.compile(r"^\..*\.tmp$")


def temp_leftovers(folder: Path) -> list:
    """Hidden temporary files of the atomic writers (".NAME.RANDOM.tmp") anywhere under ``folder``."""
    return sorted(str(p) for p in Path(folder).rglob("*") if _TMP_RE.search(p.name))


def check_cli_exit(args, rc, out, err, seconds, timeout, allowed=(0, 2)):
    """Problems (list of strings, empty when fine) of one CLI run against the contract: it finished within its
    time limit, exited 0 or 2, never printed a traceback, and an exit 2 printed exactly one line on stderr."""
    problems = []
    cmd = "jpsi-fast " + " ".join(map(repr, map(str, args)))
    if rc is None:
        return [f"{cmd}: no exit within {timeout} s (hang); stderr tail: {err[-300:]!r}"]
    if rc not in allowed:
        problems.append(f"{cmd}: exit code {rc} (expected one of {allowed}); stderr tail: {err[-400:]!r}")
    if "Traceback" in err or "Traceback" in out:
        problems.append(f"{cmd}: printed a traceback: {err[-600:]!r}")
    if rc == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        if len(lines) != 1 or err.count("\n") > 1:
            problems.append(f"{cmd}: exit 2 with {len(lines)} non-empty stderr lines (expected exactly 1): "
                            f"{err[-600:]!r}")
    return problems
