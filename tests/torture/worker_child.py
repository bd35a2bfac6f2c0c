"""A process the harness kills with SIGKILL and starts again.

    python worker_child.py server ADDRESS TASK_QUEUE IDENTITY
        a worker of durable-server, until killed;
    python worker_child.py embedded DIR TASK_QUEUE ACK_LOG PLANS_JSON
        the embedded engine on DIR, its worker and the driver in one process (killing it
        kills all three); exits 0 once every plan's result is acknowledged.

Prints "ready" once its worker polls. Activities log to $TORTURE_SIDE_EFFECTS.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from driver import drive  # noqa: E402
from workflows import TortureChild, TortureWorkflow, step  # noqa: E402

from durable.client import Client  # noqa: E402
from durable.worker import Worker  # noqa: E402


def _worker(client: Client, task_queue: str, identity: str) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=[TortureWorkflow, TortureChild],
                  activities=[step], identity=identity, max_concurrent_activities=40,
                  max_concurrent_workflow_tasks=8)


async def serve(address: str, task_queue: str, identity: str) -> None:
    client = await Client.connect(address, identity=identity)
    async with _worker(client, task_queue, identity):
        print("ready", flush=True)
        await asyncio.Event().wait()


async def embedded(directory: str, task_queue: str, ack_log: str, plans_json: str) -> None:
    with open(plans_json) as f:
        plans = json.load(f)
    client = await Client.connect(directory)
    async with _worker(client, task_queue, f"{os.getpid()}@embedded"):
        print("ready", flush=True)
        await drive(client, plans, task_queue, ack_log)
    await client.close()
    print("done", flush=True)


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    asyncio.run(serve(*rest) if mode == "server" else embedded(*rest))
