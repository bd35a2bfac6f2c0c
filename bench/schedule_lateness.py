"""Benchmark: schedule firing lateness (the workload is bench/_lateness.py), on the embedded
engine (WAL synced) or a durable-server; the Temporal peer is bench/peers/temporal_schedules.py
with the same workload. Prints one JSON line: p50/p99/max lateness.

    .venv/bin/python bench/schedule_lateness.py [--schedules 1000] [--every 10] [--rounds 3]
                                                [--server]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _lateness import measure  # noqa: E402

from durable import client as sdk_client  # noqa: E402
from durable import common as sdk_common  # noqa: E402
from durable._server_process import ServerProcess  # noqa: E402


async def main(schedules: int, every: float, rounds: int, server: bool) -> None:
    directory = tempfile.mkdtemp(prefix="bench-sched-")
    proc = ServerProcess(directory) if server else None
    try:
        client = await sdk_client.Client.connect(proc.start() if proc else directory)
        await measure(sdk_client, sdk_common, client,
                      "durable-server" if server else "durable (embedded)",
                      schedules, every, rounds)
        await client.close()
    finally:
        if proc:
            proc.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--schedules", type=int, default=1000)
    ap.add_argument("--every", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--server", action="store_true")
    a = ap.parse_args()
    asyncio.run(main(a.schedules, a.every, a.rounds, a.server))
