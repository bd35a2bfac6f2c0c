"""workflow.wait / workflow.as_completed: asyncio.wait / as_completed with lists in a
deterministic order, durable timeouts, replayed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from durable import activity, workflow
from durable.client import Client
from durable.common import RetryPolicy
from durable.worker import Replayer, Worker


@activity.defn
async def echo(value: str) -> str:
    return value


@activity.defn
async def boom(value: str) -> str:
    raise RuntimeError(f"boom {value}")


def run_echo(value: str) -> asyncio.Task[str]:
    return asyncio.ensure_future(workflow.execute_activity(
        echo, value, start_to_close_timeout=timedelta(seconds=10)))


@workflow.defn
class WaitWorkflow:
    @workflow.run
    async def run(self) -> dict[str, object]:
        out: dict[str, object] = {}
        # ALL_COMPLETED: every task done, the list in the order given.
        tasks = [run_echo(v) for v in ("a", "b", "c")]
        done, pending = await workflow.wait(tasks)
        out["all"] = [t.result() for t in done]
        out["all_pending"] = len(pending)
        # FIRST_COMPLETED racing an activity against a long timer: the activity wins.
        timer = asyncio.ensure_future(asyncio.sleep(3600))
        act = run_echo("fast")
        done, pending = await workflow.wait([timer, act], return_when=asyncio.FIRST_COMPLETED)
        out["first"] = [t is act for t in done]
        out["first_pending"] = [t is timer for t in pending]
        timer.cancel()
        # timeout: a durable timer; what is not done is returned pending.
        never = asyncio.ensure_future(asyncio.sleep(7200))
        done, pending = await workflow.wait([never], timeout=0.2)
        out["timeout"] = (len(done), len(pending))
        never.cancel()
        # as_completed: results in completion order (sleeps of 0.3, 0.1, 0.2 seconds).
        async def after(seconds: float) -> float:
            await asyncio.sleep(seconds)
            return seconds

        out["as_completed"] = [await f for f in workflow.as_completed(
            [after(0.3), after(0.1), after(0.2)])]
        # as_completed with a timeout: the slow one raises TimeoutError.
        results: list[object] = []
        for f in workflow.as_completed([after(0.1), after(3600)], timeout=0.5):
            try:
                results.append(await f)
            except asyncio.TimeoutError:
                results.append("timeout")
        out["as_completed_timeout"] = results
        return out


async def test_wait_and_as_completed_in_a_workflow(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[WaitWorkflow],
                      activities=[echo], max_cached_workflows=0):
        result = await client.execute_workflow(WaitWorkflow.run, id="wait-1",
                                               task_queue=task_queue)
    assert result == {
        "all": ["a", "b", "c"], "all_pending": 0,
        "first": [True], "first_pending": [True],
        "timeout": [0, 1],
        "as_completed": [0.1, 0.2, 0.3],
        "as_completed_timeout": [0.1, "timeout"],
    }
    history = await client.get_workflow_handle("wait-1").fetch_history()
    await Replayer(workflows=[WaitWorkflow]).replay_workflow(history)


@workflow.defn
class FirstExceptionWorkflow:
    @workflow.run
    async def run(self) -> list[str]:
        bad = asyncio.ensure_future(workflow.execute_activity(
            boom, "x", start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=1)))
        slow = asyncio.ensure_future(asyncio.sleep(3600))
        done, pending = await workflow.wait([slow, bad], return_when=asyncio.FIRST_EXCEPTION)
        slow.cancel()
        return [type(t.exception()).__name__ for t in done] + ["pending"] * len(pending)


async def test_wait_first_exception(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[FirstExceptionWorkflow],
                      activities=[boom]):
        result = await client.execute_workflow(FirstExceptionWorkflow.run, id="wait-exc",
                                               task_queue=task_queue)
    assert result == ["ActivityError", "pending"]


# --- Outside workflows: the same functions on a plain event loop -----------------------------


async def test_wait_returns_lists_in_the_given_order() -> None:
    futures = [asyncio.get_running_loop().create_future() for _ in range(5)]
    for i in (4, 1, 3):
        futures[i].set_result(i)
    done, pending = await workflow.wait(futures, return_when=asyncio.FIRST_COMPLETED)
    assert [f.result() for f in done] == [1, 3, 4]
    assert pending == [futures[0], futures[2]]


async def test_wait_refuses_bad_input() -> None:
    loop = asyncio.get_running_loop()
    with pytest.raises(ValueError, match="at least one"):
        await workflow.wait([])
    with pytest.raises(ValueError, match="return_when"):
        await workflow.wait([loop.create_future()], return_when="SOMETIMES")
    coro = asyncio.sleep(0)
    with pytest.raises(TypeError, match="not coroutines"):
        await workflow.wait([coro])
    coro.close()
    with pytest.raises(TypeError, match="iterable"):
        await workflow.wait(loop.create_future())  # type: ignore[arg-type]
