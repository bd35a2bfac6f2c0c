"""Peer: Temporal (Python SDK + `temporal server start-dev`, SQLite file), the hello workload.

    python bench/peers/temporal_hello.py N TEMPORAL_BIN

Starts the dev server on a loopback port with a fresh SQLite file, runs the workload with
one worker in this process, and stops the server.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _stats import Stopwatch, report  # noqa: E402

from temporalio import activity, workflow  # noqa: E402
from temporalio.client import Client  # noqa: E402
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def main() -> None:
    port = free_port()
    db = os.path.join(tempfile.mkdtemp(prefix="bench-temporal-"), "temporal.db")
    server = subprocess.Popen(
        [TEMPORAL, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
         "--db-filename", db, "--log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = None
        for _ in range(300):
            try:
                client = await Client.connect(f"127.0.0.1:{port}")
                break
            except Exception:
                await asyncio.sleep(0.1)
        assert client is not None, "temporal dev server did not come up"
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
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
