"""examples/hello end to end (its history is recorded for the replay tests)."""

from __future__ import annotations

from typing import Any

from durable.client import Client
from example_modules import load_example

hello = load_example("hello", "run")
GreetingWorkflow = hello.GreetingWorkflow


async def test_hello_example_greets(durable_client: Client, durable_worker: Any) -> None:
    async with durable_worker(workflows=[GreetingWorkflow],
                              activities=[hello.compose_greeting]) as w:
        result = await durable_client.execute_workflow(GreetingWorkflow.run, "Ada",
                                                       id="hello-Ada", task_queue=w.task_queue)
    assert result == "Hello, Ada!"
