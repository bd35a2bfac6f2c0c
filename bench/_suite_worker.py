"""A worker process for the suite's gRPC runs: `_suite_worker.py ADDRESS IDENTITY`; prints
"ready" once polling."""

from __future__ import annotations

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _suite_workflows as wf  # noqa: E402

from durable.client import Client  # noqa: E402
from durable.worker import Worker  # noqa: E402


async def main(address: str, identity: str) -> None:
    client = await Client.connect(address, identity=identity)
    async with Worker(client, task_queue=wf.TASK_QUEUE, workflows=wf.WORKFLOWS,
                      activities=wf.ACTIVITIES, identity=identity):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
