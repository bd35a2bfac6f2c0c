"""Shared by the hello benchmarks (durable's and the peers'): timing and one JSON report line.

Each benchmark program starts N workflows of one activity each, all at once, and waits for
every result. It prints one JSON line: system, n, wall seconds, completions/s, and the
p50/p99 of each workflow's start->result latency.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def report(system: str, n: int, wall_s: float, latencies_s: Sequence[float], **extra: object) -> None:
    line = {
        "system": system,
        "n": n,
        "wall_s": round(wall_s, 3),
        "completions_per_s": round(n / wall_s, 1),
        "p50_ms": round(percentile(latencies_s, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies_s, 99) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies_s) * 1000, 1),
        **extra,
    }
    print(json.dumps(line), flush=True)


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start
