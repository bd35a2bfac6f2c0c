"""Benchmark: N workflows parked on a one-day durable timer in a durable-server — the
server's resident memory and disk per parked workflow, and how long a restart after
SIGKILL takes until it serves again. Prints one JSON line.

    .venv/bin/python bench/parked_timers.py [N]    # default 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from durable import workflow  # noqa: E402
from durable._server_process import ServerProcess  # noqa: E402
from durable.client import Client  # noqa: E402
from durable.worker import Worker  # noqa: E402

parked = 0


@workflow.defn
class ParkedWorkflow:
    @workflow.run
    async def run(self) -> None:
        global parked
        if not workflow.unsafe.is_replaying():
            parked += 1  # the benchmark's progress counter, not workflow state
        await workflow.sleep(timedelta(days=1))


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def disk_mb(path: str) -> float:
    out = subprocess.run(["du", "-sk", path], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0]) / 1024


async def main(n: int) -> None:
    server = ServerProcess()
    address = server.start()
    try:
        client = await Client.connect(address)
        base_rss = rss_mb(server.pid or 0)
        started = time.perf_counter()
        async with Worker(client, task_queue="parked", workflows=[ParkedWorkflow],
                          max_cached_workflows=100, max_concurrent_workflow_tasks=8):
            sem = asyncio.Semaphore(200)

            async def start(i: int) -> None:
                async with sem:
                    await client.start_workflow(ParkedWorkflow.run, id=f"parked-{i}",
                                                task_queue="parked")

            await asyncio.gather(*(start(i) for i in range(n)))
            while parked < n:
                print(f"parked {parked}/{n}", file=sys.stderr, flush=True)
                await asyncio.sleep(2)
        took = time.perf_counter() - started
        await client.close()
        time.sleep(2)  # let the memtables settle
        rss = rss_mb(server.pid or 0)
        disk = disk_mb(server.db)
        server.kill()
        restart_at = time.perf_counter()
        server = ServerProcess(server.db, listen=address)
        server.start()
        serving_after = time.perf_counter() - restart_at
        print(json.dumps({
            "n": n, "start_and_park_s": round(took, 1), "parked_per_s": round(n / took, 1),
            "server_rss_mb": round(rss, 1), "server_rss_base_mb": round(base_rss, 1),
            "rss_kb_per_workflow": round((rss - base_rss) * 1024 / n, 2),
            "disk_mb": round(disk, 1), "disk_kb_per_workflow": round(disk * 1024 / n, 2),
            "serving_again_after_sigkill_s": round(serving_after, 2),
        }), flush=True)
    finally:
        server.kill()
        import shutil
        shutil.rmtree(server.db, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    asyncio.run(main(parser.parse_args().n))
