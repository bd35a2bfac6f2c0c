"""Benchmark: N hello workflows (one activity each), started concurrently, on the embedded
engine; prints completions/s and p50/p99 start->result latency as one JSON line.

    .venv/bin/python bench/hello.py [N] [--relaxed]

--relaxed opens the engine without WAL sync (a benchmark-only mode; see docs).
bench/run_hello.sh runs this next to the peers and records the table in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _stats import Stopwatch, report  # noqa: E402

from durable import activity, workflow  # noqa: E402
from durable.client import Client  # noqa: E402
from durable.worker import Worker  # noqa: E402


@activity.defn
async def compose_greeting(name: str) -> str:
    return f"Hello, {name}!"


@workflow.defn
class GreetingWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            compose_greeting, name, start_to_close_timeout=timedelta(seconds=10))


async def main(n: int, relaxed: bool) -> None:
    directory = tempfile.mkdtemp(prefix="bench-durable-")
    client = await Client.connect(directory, sync_writes=not relaxed)
    async with Worker(client, task_queue="hello", workflows=[GreetingWorkflow],
                      activities=[compose_greeting]):

        async def one(i: int) -> float:
            t = time.perf_counter()
            result = await client.execute_workflow(
                GreetingWorkflow.run, f"n{i}", id=f"hello-{i}", task_queue="hello")
            assert result == f"Hello, n{i}!"
            return time.perf_counter() - t

        watch = Stopwatch()
        latencies = await asyncio.gather(*(one(i) for i in range(n)))
        report("durable (embedded)" + (" relaxed" if relaxed else ""), n, watch.elapsed(), latencies)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=500)
    parser.add_argument("--relaxed", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.n, args.relaxed))
