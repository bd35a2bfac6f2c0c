#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan+UBSan) in build/fuzz and runs each
# for SECONDS (default 20) over its committed seed corpus. New inputs libFuzzer finds go to
# build/fuzz/corpus/<target> (not the repository); a crash, leak or sanitizer report stops
# the run, leaves the input in build/fuzz/crashes/ and exits non-zero.
#   scripts/fuzz.sh            # every target, 20 s each (what CI runs)
#   scripts/fuzz.sh 600 query  # one target for ten minutes (a long run)
# Then the Python history JSON reader, with atheris (tests/fuzz/history_json_fuzz.py), as long.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"; only="${2:-}"
build=build/fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDURABLE_FUZZ=ON -DDURABLE_BUILD_TESTS=OFF -DDURABLE_BUILD_PYTHON=OFF >/dev/null
cmake --build "$build" --target fuzz_targets -j "$(nproc)"
mkdir -p "$build/crashes"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for src in tests/fuzz/*_fuzz.cc; do
  target=$(basename "$src" .cc); name=${target%_fuzz}
  [ -n "$only" ] && [ "$only" != "$name" ] && continue
  mkdir -p "$build/corpus/$name"
  echo "fuzz: $target for ${seconds}s (seeds: tests/fuzz/corpus/$name)"
  "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/crashes/$name-" \
    "$build/corpus/$name" "tests/fuzz/corpus/$name" 2>&1 | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|==|SUMMARY|.*ERROR)" || true
  # grep hides libFuzzer's progress lines; its exit status is what counts.
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "fuzz: $target FAILED (input in $build/crashes/)" >&2; exit 1; }
done
if [ -z "$only" ] || [ "$only" = history_json ]; then
  mkdir -p "$build/corpus/history_json"
  echo "fuzz: history_json_fuzz.py for ${seconds}s (seeds: tests/fuzz/corpus/history_json)"
  .venv/bin/python tests/fuzz/history_json_fuzz.py -max_total_time="$seconds" -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$build/crashes/history_json-" \
    "$build/corpus/history_json" tests/fuzz/corpus/history_json 2>&1 \
    | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|==|.*Error|.*Traceback)" || true
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "fuzz: history_json FAILED (input in $build/crashes/)" >&2; exit 1; }
fi
echo "fuzz: every target ran clean"
