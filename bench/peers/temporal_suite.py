"""Peer: the suite's workloads (bench/_suite.py) on Temporal: `temporal server start-dev`
(SQLite file, loopback port) and one temporalio worker in this process, running
bench/peers/_temporal_workflows.py (the same workflow code as durable's).

    python bench/peers/temporal_suite.py WORKLOAD TEMPORAL_BIN [--n N]

CPU seconds and peak RSS cover this process and the dev server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import _temporal_workflows as wf  # noqa: E402
from _suite import SIZES, run_workload  # noqa: E402
from _temporal_dev import dev_server_with_pid  # noqa: E402

from temporalio.worker import Worker  # noqa: E402


async def main(workload: str, binary: str, n: int) -> None:
    async with dev_server_with_pid(binary) as (client, server_pid):
        async with Worker(client, task_queue=wf.TASK_QUEUE, workflows=wf.WORKFLOWS,
                          activities=wf.ACTIVITIES):
            await run_workload(workload, "temporal (dev server, sqlite file)", client, wf, n,
                               pids=[server_pid])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=sorted(SIZES))
    parser.add_argument("binary")
    parser.add_argument("--n", type=int)
    args = parser.parse_args()
    asyncio.run(main(args.workload, args.binary, args.n or SIZES[args.workload]))
