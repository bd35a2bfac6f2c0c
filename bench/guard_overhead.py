"""Benchmark: what the determinism guard costs a guarded call made outside workflow code
(``time.monotonic`` wrapped process-wide vs the original); prints one JSON line.

    .venv/bin/python bench/guard_overhead.py [--calls N] [--repeat R]

Moved here from tests/py/test_determinism.py: a nanosecond budget asserted in a test can fail
on a loaded machine; the figure is measured and recorded here instead (bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import time
import timeit

import durable.workflow  # noqa: F401  (installs the guard)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    original = time.monotonic.__durable_original__  # type: ignore[attr-defined]
    wrapped_s = min(timeit.repeat(time.monotonic, number=args.calls, repeat=args.repeat))
    original_s = min(timeit.repeat(original, number=args.calls, repeat=args.repeat))
    print(json.dumps({
        "benchmark": "guard_overhead",
        "calls": args.calls,
        "original_ns": round(original_s / args.calls * 1e9, 1),
        "wrapped_ns": round(wrapped_s / args.calls * 1e9, 1),
        "overhead_ns": round((wrapped_s - original_s) / args.calls * 1e9, 1),
    }))


if __name__ == "__main__":
    main()
