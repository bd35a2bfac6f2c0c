#!/usr/bin/env bash
# The Python suite on other Pythons than the development venv's (CI: the oldest and the
# newest supported, 3.10 and 3.13). For each one: the release wheel is built and checked
# (scripts/build-wheels.sh: bundled libraries, hello, the server, Debian libraries hidden),
# installed into a venv of its own with the test requirements, and tests/py runs against
# that installed wheel, not the source tree.
#   scripts/test-pythons.sh 3.10 3.13                 # the whole suite on each
#   scripts/test-pythons.sh 3.13 -- -k schedules      # pytest arguments after --
# A version is a pyenv one ($PYENV_ROOT/versions/X.Y.*) or pythonX.Y on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
versions=(); pytest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; pytest_args=("$@"); break ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    3.*) versions+=("$1"); shift ;;
    *) echo "test-pythons: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#versions[@]} -gt 0 ] || { echo "test-pythons: name at least one version (3.10 ...)" >&2; exit 2; }

find_python() {
  local v=$1 py
  py=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python 2>/dev/null | sort -V | tail -1)
  [ -n "$py" ] || py=$(command -v "python$v" || true)
  [ -n "$py" ] || { echo "test-pythons: no Python $v (pyenv or python$v on PATH)" >&2; return 1; }
  echo "$py"
}

work=$root/build/pythons; mkdir -p "$work"
for v in "${versions[@]}"; do
  py=$(find_python "$v")
  tag=$("$py" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
  echo "test-pythons: $v ($py)"
  scripts/build-wheels.sh --python "$py" --out "$work/dist"
  venv=$work/venv-$tag
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  "$venv/bin/pip" install -q -r scripts/requirements-dev.txt
  "$venv/bin/pip" install -q --force-reinstall --no-deps "$work"/dist/durable-*-"$tag"-*.whl
  # Imported from the wheel: the source tree's python/ is not on the path.
  "$venv/bin/python" -c 'import durable, sys; assert "site-packages" in durable.__file__, durable.__file__'
  "$venv/bin/python" -m pytest -q -n 3 -m "not wheel" -p no:cacheprovider "${pytest_args[@]}"
done
echo "test-pythons: passed on ${versions[*]}"
