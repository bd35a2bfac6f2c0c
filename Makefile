# The two commands of the README, and the steps they are made of.
PY := .venv/bin/python
BUILD_DIR = $(firstword $(wildcard build/cp*))

.PHONY: setup demo test test-cpp test-py bench clean

setup:
	scripts/bootstrap.sh

demo: setup
	$(PY) examples/osm_lcm/demo.py

test: setup
	$(MAKE) --no-print-directory test-cpp test-py

test-cpp:
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

test-py:
	$(PY) -m pytest -q

bench: setup
	$(PY) bench/hello.py

clean:
	rm -rf build .venv
