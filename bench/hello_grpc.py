"""Benchmark: N hello workflows (one activity each) over gRPC: a durable-server (WAL synced,
as in production) and W worker processes on one task queue; the client starts all N at once
and waits for every result. Prints one JSON line like bench/hello.py.

    .venv/bin/python bench/hello_grpc.py [N] [--workers W]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _stats import Stopwatch, report  # noqa: E402
from hello import GreetingWorkflow  # noqa: E402

from durable._server_process import ServerProcess  # noqa: E402
from durable.client import Client  # noqa: E402


def start_workers(address: str, count: int) -> list[subprocess.Popen[str]]:
    procs = []
    for i in range(count):
        p = subprocess.Popen([sys.executable, os.path.join(HERE, "_grpc_worker.py"), address,
                              f"bench-w{i}"], stdout=subprocess.PIPE, text=True)
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        procs.append(p)
    return procs


async def main(n: int, workers: int) -> None:
    with ServerProcess() as server:
        procs = start_workers(server.address, workers)
        try:
            client = await Client.connect(server.address)

            async def one(i: int) -> float:
                t = time.perf_counter()
                result = await client.execute_workflow(
                    GreetingWorkflow.run, f"n{i}", id=f"hello-{i}", task_queue="hello")
                assert result == f"Hello, n{i}!"
                return time.perf_counter() - t

            watch = Stopwatch()
            latencies = await asyncio.gather(*(one(i) for i in range(n)))
            report(f"durable (gRPC, {workers} worker process{'es' if workers > 1 else ''})",
                   n, watch.elapsed(), latencies)
            await client.close()
        finally:
            for p in procs:
                p.kill()
                p.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=500)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.workers))
