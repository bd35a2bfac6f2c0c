"""A hello worker process for the gRPC benchmarks: `_grpc_worker.py ADDRESS IDENTITY`."""

from __future__ import annotations

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hello import GreetingWorkflow, compose_greeting  # noqa: E402

from durable.client import Client  # noqa: E402
from durable.worker import Worker  # noqa: E402


async def main(address: str, identity: str) -> None:
    client = await Client.connect(address, identity=identity)
    async with Worker(client, task_queue="hello", workflows=[GreetingWorkflow],
                      activities=[compose_greeting], identity=identity):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
