#!/usr/bin/env bash
# The C++ tests under sanitizers, in their own build directories (clang):
#   scripts/sanitizers.sh address   # ASan + UBSan: core, server and every C++ test (build/asan)
#   scripts/sanitizers.sh thread    # TSan: the engine's concurrency tests (build/tsan)
# Extra arguments go to ctest (e.g. -R EngineStep2). A report fails the test that caused it.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-address}"; shift || true
case "$kind" in
  address) sanitize="address;undefined"; build=build/asan
           export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1}"
           export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
           filter=() ;;
  thread)  sanitize="thread"; build=build/tsan
           # ignore_noninstrumented_modules: Debian's RocksDB and libstdc++ are not built with TSan, so
           # their own synchronisation (memtable, write group) is invisible to it; races are
           # reported only for accesses made from our instrumented code.
           export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1}"
           # The engine and matching tests: transitions, polls and timers on many threads at once.
           filter=(-R "Engine|Matching") ;;
  *) echo "usage: scripts/sanitizers.sh address|thread [ctest args]" >&2; exit 2 ;;
esac
# ccache (bootstrap installs it): a rerun recompiles only what changed.
launcher=(); command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" \
  -DDURABLE_SANITIZE="$sanitize" -DDURABLE_BUILD_TESTS=ON -DDURABLE_BUILD_PYTHON=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "${filter[@]}" "$@"
