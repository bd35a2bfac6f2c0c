"""Hello, durable: one workflow, one activity, on the embedded engine.

    python examples/hello/run.py [--dir DIR] [--name NAME]

Opens (or creates) the engine's directory, starts a worker, runs the workflow and prints
its result. Run it twice with the same --dir: the second run finds the first one's history.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from datetime import timedelta

from durable import activity, workflow
from durable.client import Client
from durable.worker import Worker


@activity.defn
async def compose_greeting(name: str) -> str:
    return f"Hello, {name}!"


@workflow.defn
class GreetingWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            compose_greeting, name, start_to_close_timeout=timedelta(seconds=10)
        )


async def main(directory: str, name: str) -> None:
    client = await Client.connect(directory)
    async with Worker(
        client, task_queue="hello", workflows=[GreetingWorkflow], activities=[compose_greeting]
    ):
        result = await client.execute_workflow(
            GreetingWorkflow.run, name, id=f"hello-{name}", task_queue="hello"
        )
    print(result)
    handle = client.get_workflow_handle(f"hello-{name}")
    history = await handle.fetch_history()
    print(f"history of {handle.id}: {len(history.events)} events in {directory}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=None, help="engine directory (default: a new temp dir)")
    parser.add_argument("--name", default="World")
    args = parser.parse_args()
    asyncio.run(main(args.dir or tempfile.mkdtemp(prefix="durable-hello-"), args.name))
