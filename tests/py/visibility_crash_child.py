"""Child process of test_visibility_crash.py: starts workflows that upsert search attributes
and complete, on an engine directory, without end — until the parent kills it (SIGKILL).

    python visibility_crash_child.py DIR

Writes DIR/started after the first 50 starts.
"""

from __future__ import annotations

import asyncio
import os
import sys

from durable import workflow
from durable.client import Client
from durable.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from durable.worker import Worker

DIRECTORY = sys.argv[1]
STEP = SearchAttributeKey.for_int("Step")
COLOR = SearchAttributeKey.for_keyword("Color")


@workflow.defn
class Stepper:
    @workflow.run
    async def run(self, n: int) -> int:
        workflow.upsert_search_attributes([STEP.value_set(n + 1), COLOR.value_set("done")])
        await asyncio.sleep(0.01 * (n % 3))
        return n


async def main() -> None:
    client = await Client.connect(os.path.join(DIRECTORY, "engine"))
    await client.add_search_attributes([STEP, COLOR])
    async with Worker(client, task_queue="crash-q", workflows=[Stepper]):
        i = 0
        while True:
            await client.start_workflow(
                Stepper.run, i, id=f"s-{i}", task_queue="crash-q",
                search_attributes=TypedSearchAttributes([SearchAttributePair(STEP, i),
                                                         SearchAttributePair(COLOR, "new")]))
            i += 1
            if i == 50:
                open(os.path.join(DIRECTORY, "started"), "w").close()


asyncio.run(main())
