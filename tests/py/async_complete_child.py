"""Child process of test_async_completion.py: completes an activity on an engine directory.

    python async_complete_child.py ENGINE_DIR token TASK_TOKEN_HEX RESULT
    python async_complete_child.py ENGINE_DIR id WORKFLOW_ID ACTIVITY_ID RESULT

Opens the engine (the parent has closed it), completes the activity and prints "DONE".
"""

from __future__ import annotations

import asyncio
import sys

from durable.client import Client


async def main(directory: str, mode: str, *rest: str) -> None:
    client = await Client.connect(directory)
    try:
        if mode == "token":
            handle = client.get_async_activity_handle(task_token=bytes.fromhex(rest[0]))
        else:
            handle = client.get_async_activity_handle(workflow_id=rest[0], activity_id=rest[1])
        await handle.complete(rest[-1])
    finally:
        await client.close()
    print("DONE", flush=True)


asyncio.run(main(*sys.argv[1:]))
