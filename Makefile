# The two commands of the README, and the steps they are made of.
PY := .venv/bin/python
BUILD_DIR = $(firstword $(wildcard build/cp*))

.PHONY: setup demo test test-cpp test-py test-pythons test-wheel test-fuzz test-sanitizers bench clean

setup:
	scripts/bootstrap.sh

demo: setup
	$(PY) examples/osm_lcm/demo.py

# The C++ suite and the fuzz targets on the editable build, the C++ suite again under the
# sanitizers; the Python suite on the oldest and the newest supported Python, each against
# its release wheel (test-pythons).
test: setup
	$(MAKE) --no-print-directory test-cpp test-fuzz test-sanitizers test-pythons

test-cpp:
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

# The Python suite on the development venv (.venv, editable), in 3 processes.
test-py:
	$(PY) -m pytest -q -n 3

# Release wheels for Python 3.10 and 3.13 built and checked (scripts/build-wheels.sh), then
# the Python suite against each installed wheel (scripts/test-pythons.sh).
test-pythons:
	scripts/test-pythons.sh 3.10 3.13

# Only the release-wheel test (in test-py too; test-pythons runs the same checks itself):
# builds this Python's wheel with scripts/build-wheels.sh and checks it, also with the
# Debian libraries hidden.
test-wheel:
	$(PY) -m pytest -q -m wheel

# Every fuzz target for a short while (docs/reliability.md); longer: scripts/fuzz.sh SECONDS.
test-fuzz:
	scripts/fuzz.sh 10

# ASan+UBSan over every C++ test, TSan over the engine's (clang builds in build/asan, build/tsan).
test-sanitizers:
	scripts/sanitizers.sh address
	scripts/sanitizers.sh thread

bench: setup
	$(PY) bench/hello.py

clean:
	rm -rf build .venv
