"""The suite's workloads on durable, one workload per run; prints one JSON line per result
(bench/_suite.py).

    .venv/bin/python bench/suite.py WORKLOAD [--n N] [--transport embedded|grpc] [--workers W]

--relaxed turns the WAL sync off (to split a latency into sync and the rest).
WORKLOAD is latency (one workflow at a time, 1 and 3 activities), seq10, fanout100, timer or
signals. embedded: the engine in this process (WAL synced) and one worker in it. grpc: a
durable-server child process (WAL synced), W worker processes (bench/_suite_worker.py), the
client in this process. CPU seconds and peak RSS cover all of those processes.
bench/latency.py and bench/run_suite.py run this next to the peers and write the tables.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _suite_workflows as wf  # noqa: E402
from _suite import SIZES, run_workload  # noqa: E402

from durable._server_process import ServerProcess  # noqa: E402
from durable.client import Client  # noqa: E402
from durable.worker import Worker  # noqa: E402


async def embedded(workload: str, n: int, relaxed: bool) -> None:
    client = await Client.connect(tempfile.mkdtemp(prefix="bench-suite-"),
                                  sync_writes=not relaxed)
    async with Worker(client, task_queue=wf.TASK_QUEUE, workflows=wf.WORKFLOWS,
                      activities=wf.ACTIVITIES):
        await run_workload(workload, "durable (embedded)" + (" relaxed" if relaxed else ""),
                           client, wf, n)


async def grpc(workload: str, n: int, workers: int, relaxed: bool) -> None:
    with ServerProcess(args=["--relaxed-writes"] if relaxed else []) as server:
        procs = []
        try:
            for i in range(workers):
                p = subprocess.Popen([sys.executable, os.path.join(HERE, "_suite_worker.py"),
                                      server.address, f"suite-w{i}"],
                                     stdout=subprocess.PIPE, text=True)
                procs.append(p)
                assert p.stdout is not None and p.stdout.readline().strip() == "ready"
            client = await Client.connect(server.address)
            pids = [server.pid, *(p.pid for p in procs)]
            label = (f"durable (gRPC, {workers} worker process{'es' if workers > 1 else ''})"
                     + (" relaxed" if relaxed else ""))
            await run_workload(workload, label, client, wf, n, pids=pids)
            await client.close()
        finally:
            for p in procs:
                p.kill()
                p.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=sorted(SIZES))
    parser.add_argument("--n", type=int)
    parser.add_argument("--transport", choices=["embedded", "grpc"], default="embedded")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--relaxed", action="store_true",
                        help="no WAL sync (embedded: sync_writes=False; server: --relaxed-writes)")
    args = parser.parse_args()
    n = args.n or SIZES[args.workload]
    if args.transport == "embedded":
        asyncio.run(embedded(args.workload, n, args.relaxed))
    else:
        asyncio.run(grpc(args.workload, n, args.workers, args.relaxed))
