"""The README's promises (issue 10, item 6): every Python snippet and every `jpsi-fast` command of the README
runs as written, in a fresh working directory. Slow (≈ 1 min): run by `.ci/run` with `-m slow`."""
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

pytestmark = pytest.mark.slow


def _blocks(lang):
    if not README.exists():
        pytest.skip("README.md is not beside the tests (installed-wheel run)")
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def _python_blocks():
    try:
        return _blocks("python")
    except pytest.skip.Exception:
        return []


def test_readme_has_snippets_and_commands():
    assert len(_blocks("python")) >= 4
    assert any("jpsi-fast demo" in b for b in _blocks("bash"))


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_python_snippet_runs(index, tmp_path):
    code = _python_blocks()[index]
    if "dask_jobqueue" in code:                 # the cluster example needs a SLURM cluster and dask-jobqueue
        pytest.importorskip("dask_jobqueue")
        if shutil.which("sbatch") is None:
            pytest.skip("the dask-jobqueue example needs SLURM (sbatch)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"README snippet {index} failed:\n{code}\n{proc.stderr[-3000:]}"


def _cli_lines():
    lines = []
    for block in _blocks("bash"):
        for line in block.splitlines():
            line = line.split("  #", 1)[0].strip()
            if line.startswith("jpsi-fast "):
                lines.append(line)
    return lines


def test_readme_cli_chain_runs_in_order(tmp_path):
    """The README's command-line block in order (grid -> corrupt -> clean reads what the line before wrote)."""
    lines = [ln for ln in _cli_lines() if not ln.startswith("jpsi-fast demo")]
    assert any(ln.startswith("jpsi-fast clean") for ln in lines)
    exe = Path(sys.executable).with_name("jpsi-fast")
    env = dict(os.environ, JPSI_FAST_NUM_THREADS="2")
    examples = README.parent / "examples"
    if examples.is_dir():                      # commands that name examples/ files run as from the repository root
        shutil.copytree(examples, tmp_path / "examples")
    for line in lines:
        argv = [str(exe) if exe.exists() else "jpsi-fast"] + shlex.split(line)[1:]
        proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env)
        assert proc.returncode == 0, f"{line}\n{proc.stderr[-3000:]}"
