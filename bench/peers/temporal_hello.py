"""Peer: Temporal (Python SDK + `temporal server start-dev`, SQLite file), the hello workload.

    python bench/peers/temporal_hello.py N TEMPORAL_BIN

Starts the dev server on a loopback port with a fresh SQLite file, runs the workload with
one worker in this process, and stops the server.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _stats import Stopwatch, report  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _temporal_dev import dev_server  # noqa: E402

from temporalio import activity, workflow  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 500
TEMPORAL = sys.argv[2] if len(sys.argv) > 2 else "temporal"


@activity.defn
async def compose_greeting(name: str) -> str:
    return f"Hello, {name}!"


@workflow.defn
class GreetingWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            compose_greeting, name, start_to_close_timeout=timedelta(seconds=10))


async def main() -> None:
    async with dev_server(TEMPORAL) as client:
        async with Worker(client, task_queue="hello", workflows=[GreetingWorkflow],
                          activities=[compose_greeting]):

            async def one(i: int) -> float:
                t = time.perf_counter()
                result = await client.execute_workflow(
                    GreetingWorkflow.run, f"n{i}", id=f"hello-{i}", task_queue="hello")
                assert result == f"Hello, n{i}!"
                return time.perf_counter() - t

            watch = Stopwatch()
            latencies = await asyncio.gather(*(one(i) for i in range(N)))
            report("temporal (dev server, sqlite file)", N, watch.elapsed(), latencies)


if __name__ == "__main__":
    asyncio.run(main())
