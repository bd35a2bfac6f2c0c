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


def _proc_cpu_s(pid: int) -> float:
    """utime + stime of a live process, from /proc/PID/stat (Linux)."""
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Usage:
    """CPU seconds (user + system) spent by this process and the given child processes (a
    server, worker processes) between construction and ``cpu_s()``, and their summed peak
    resident memory (VmHWM, MB) so far. Linux only (/proc)."""

    def __init__(self, pids: Sequence[int] = ()) -> None:
        import os

        self.pids = [os.getpid(), *pids]
        self.start = {pid: _proc_cpu_s(pid) for pid in self.pids}

    def cpu_s(self) -> float:
        return sum(_proc_cpu_s(pid) - self.start[pid] for pid in self.pids)

    def peak_rss_mb(self) -> float:
        return sum(_proc_peak_rss_mb(pid) for pid in self.pids)

    def extra(self) -> dict:
        return {"cpu_s": round(self.cpu_s(), 2), "peak_rss_mb": round(self.peak_rss_mb(), 1)}
