"""Helpers for tests that assert on event histories."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any


async def event_types(handle: Any) -> list[str]:
    """The run's event types in order (``workflow_execution_started``, ...)."""
    history = await handle.fetch_history()
    return [e.WhichOneof("attributes") for e in history.events]


def assert_in_order(kinds: Sequence[str], expected: Sequence[str]) -> None:
    """Assert that ``expected`` occurs in ``kinds`` in this order (other events may interleave)."""
    it = iter(enumerate(kinds))
    for want in expected:
        for _, k in it:
            if k == want:
                break
        else:
            raise AssertionError(f"{want!r} missing (in order {list(expected)}) from {list(kinds)}")


def commands_only(kinds: Sequence[str]) -> list[str]:
    """``kinds`` without workflow task bookkeeping events."""
    return [k for k in kinds if not k.startswith("workflow_task_")]


async def wait_for_event(handle: Any, kind: str, timeout: float = 30.0) -> Any:
    """Poll the history until an event of ``kind`` appears (or the workflow exists); return it."""
    from durable.exceptions import NotFoundError

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            history = await handle.fetch_history()
        except NotFoundError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.02)
            continue
        for e in history.events:
            if e.WhichOneof("attributes") == kind:
                return e
        if loop.time() > deadline:
            kinds = [e.WhichOneof("attributes") for e in history.events]
            raise AssertionError(f"no {kind} event within {timeout}s; history: {kinds}")
        await asyncio.sleep(0.02)


async def replay_closed_runs(client: Any, workflows: Sequence[type]) -> int:
    """Replay every closed run of the given workflow types from its recorded history.

    Fails on the first run whose history the current code does not reproduce (a
    ``NondeterminismError`` or any other replay failure). Returns how many were replayed.
    """
    from durable.v1 import common_pb2, service_pb2
    from durable.worker import Replayer
    from durable.workflow import _Definition

    names = {_Definition.must_from_class(w).name for w in workflows}
    replayer = Replayer(workflows=list(workflows))
    count = 0
    token = b""
    while True:
        resp = await client.transport.call_async(
            "list_workflow_executions",
            service_pb2.ListWorkflowExecutionsRequest(page_size=1000, next_page_token=token))
        for info in resp.executions:
            if info.workflow_type not in names or not info.close_time_us:
                continue
            if info.status == common_pb2.WORKFLOW_EXECUTION_STATUS_TERMINATED:
                continue  # closed by the engine mid-run: nothing to check at its end
            handle = client.get_workflow_handle(info.execution.workflow_id,
                                                run_id=info.execution.run_id)
            result = await replayer.replay_workflow(await handle.fetch_history(),
                                                    raise_on_replay_failure=False)
            if result.replay_failure is not None:
                raise AssertionError(
                    f"run {info.execution.run_id} of {info.execution.workflow_id} "
                    f"({info.workflow_type}) does not replay: {result.replay_failure!r}"
                ) from result.replay_failure
            count += 1
        token = resp.next_page_token
        if not token:
            return count
