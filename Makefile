# The two commands of the README, and the steps they are made of.
PY := .venv/bin/python
BUILD_DIR = $(firstword $(wildcard build/cp*))

.PHONY: setup demo test test-cpp test-py test-wheel test-fuzz test-sanitizers bench clean

setup:
	scripts/bootstrap.sh

demo: setup
	$(PY) examples/osm_lcm/demo.py

test: setup
	$(MAKE) --no-print-directory test-cpp test-py test-fuzz

test-cpp:
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

test-py:
	$(PY) -m pytest -q

# Only the release-wheel test (in test-py too): builds this Python's wheel with
# scripts/build-wheels.sh and checks it, also with the Debian libraries hidden.
test-wheel:
	$(PY) -m pytest -q -m wheel

# Every fuzz target for a short while (docs/reliability.md); longer: scripts/fuzz.sh SECONDS.
test-fuzz:
	scripts/fuzz.sh 10

# Not in `make test` (time): ASan+UBSan over every C++ test, TSan over the engine's.
test-sanitizers:
	scripts/sanitizers.sh address
	scripts/sanitizers.sh thread

bench: setup
	$(PY) bench/hello.py

clean:
	rm -rf build .venv
