"""Shared by the drivers that run durable and its peers in interleaved rounds
(bench/latency.py, bench/run_suite.py): where the peers are, running one benchmark program,
and the header every results file starts with (date, nproc, load, commit)."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS_VENV = Path(os.environ.get("DURABLE_PEERS_VENV", ROOT / "build" / "peers-venv"))
TEMPORAL_BIN = Path(os.environ.get("DURABLE_TEMPORAL_BIN", ROOT / "build" / "peers-bin" / "temporal"))
PEER_PY = PEERS_VENV / "bin" / "python"
BENCH = ROOT / "bench"


def have_dbos() -> bool:
    return PEER_PY.exists()


def have_temporal() -> bool:
    return PEER_PY.exists() and TEMPORAL_BIN.exists()


def durable_cmd(workload: str, n: int, transport: str = "embedded", workers: int = 1,
                relaxed: bool = False) -> list[str]:
    return [sys.executable, str(BENCH / "suite.py"), workload, "--n", str(n),
            "--transport", transport, "--workers", str(workers),
            *(["--relaxed"] if relaxed else [])]


def dbos_cmd(workload: str, n: int) -> list[str]:
    return [str(PEER_PY), str(BENCH / "peers" / "dbos_suite.py"), workload, "--n", str(n)]


def temporal_cmd(workload: str, n: int) -> list[str]:
    return [str(PEER_PY), str(BENCH / "peers" / "temporal_suite.py"), workload,
            str(TEMPORAL_BIN), "--n", str(n)]


def run_once(cmd: list[str], timeout: float = 300) -> list[dict]:
    """Runs one benchmark program; returns its JSON report lines."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[1:3])} failed:\n{proc.stderr[-3000:]}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def commit() -> str:
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "python", "cpp"],
                               capture_output=True, text=True).stdout.strip()
        return head + (" (python/ or cpp/ with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def header(title: str, rounds: int, load_before: tuple[float, ...],
           load_after: tuple[float, ...]) -> str:
    return (f"# {title}\n\n"
            f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on "
            f"{platform.machine()}, nproc {os.cpu_count()}, main at {commit()}; median of "
            f"{rounds} interleaved rounds. Load average (1 min) {load_before[0]:.1f} before, "
            f"{load_after[0]:.1f} after: the machine was shared with other builds and tests "
            "(loaded), so read medians and the ratios measured in the same run, not absolute "
            "figures.\n\n")
