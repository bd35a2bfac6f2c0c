#!/usr/bin/env bash
# Installs what durable needs on a fresh Debian machine (run as root), then builds it into
# .venv. Idempotent: when everything is there it only re-runs the incremental build.
#   scripts/bootstrap.sh            # system packages + .venv + editable build
# Env: DURABLE_CMAKE_DEFINES  extra CMake defines for the build (e.g. "DURABLE_WERROR=ON").
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(build-essential cmake ninja-build pkg-config
      librocksdb-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
      libgtest-dev libbenchmark-dev python3-dev python3-venv
      libabsl-dev tzdata
      prometheus-cpp-dev  # durable-server --metrics (prometheus-cpp core + pull exposer)
      libcivetweb-dev     # durable-server --ui and --http (web UI, JSON gateway, HTTP API)
      nlohmann-json3-dev libtomlplusplus-dev  # the HTTP API's JSON and its clients file (header-only)
      chromium chromium-driver fonts-dejavu-core  # the web UI browser tests and screenshots
      openssl   # openssl: the TLS tests make their certificates with it
      ccache    # shares compiled objects between the editable build and the wheels' builds
      clang libclang-rt-14-dev llvm)  # the fuzz targets and sanitizer builds (docs/reliability.md)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3-dev/-venv only matter when python3 is Debian's own; a pyenv python has both.
if python3 -c 'import venv, ensurepip, sysconfig, os; assert os.path.exists(sysconfig.get_paths()["include"] + "/Python.h")' 2>/dev/null; then
  missing=("${missing[@]/python3-dev}"); missing=("${missing[@]/python3-venv}")
fi
# Go builds FerretDB (scripts/ferretdb.sh); Debian's is the fallback where none is installed.
command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || missing+=(golang-go)
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  python3 -m venv .venv
fi
py=.venv/bin/python
# Re-install the requirements whenever the list changes (its hash is kept in .venv).
req_hash=$(sha256sum scripts/requirements-dev.txt | cut -d' ' -f1)
if [ "$(cat .venv/.requirements-hash 2>/dev/null)" != "$req_hash" ]; then
  echo "bootstrap: installing Python build and test requirements"
  $py -m pip install -q --upgrade pip
  $py -m pip install -q -r scripts/requirements-dev.txt
  echo "$req_hash" > .venv/.requirements-hash
fi

# Editable install: the C++ build lives in build/<wheel tag> and is incremental.
defines="DURABLE_BUILD_TESTS=ON${DURABLE_CMAKE_DEFINES:+;$DURABLE_CMAKE_DEFINES}"
echo "bootstrap: building durable (CMake defines: $defines)"
# ccache, as scripts/build-wheels.sh: the wheels' builds then reuse these objects.
export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
SKBUILD_CMAKE_DEFINE="$defines" \
  $py -m pip install -q --no-build-isolation --no-deps -e . 
$py -c 'import durable._core' || { echo "bootstrap: the extension does not import" >&2; exit 1; }
# FerretDB: the MongoDB wire-protocol server the OSM LCM example keeps GridFS in.
scripts/ferretdb.sh
echo "bootstrap: ready (.venv/bin/python)"
