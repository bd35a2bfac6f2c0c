"""A worker process for the multi-process server tests: serves server_workflows on one task
queue of a durable-server until killed.

    python server_worker_child.py ADDRESS TASK_QUEUE IDENTITY
"""

from __future__ import annotations

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from server_workflows import CounterWorkflow, MixWorkflow, double  # noqa: E402

from durable.client import Client  # noqa: E402
from durable.worker import Worker  # noqa: E402


async def main(address: str, task_queue: str, identity: str) -> None:
    client = await Client.connect(address, identity=identity)
    async with Worker(client, task_queue=task_queue, workflows=[MixWorkflow, CounterWorkflow],
                      activities=[double], identity=identity, max_concurrent_activities=50,
                      max_concurrent_workflow_tasks=8):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
