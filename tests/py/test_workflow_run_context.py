"""What a run knows of itself, with temporalio's names: workflow.random_seed, new_random,
register_random_seed_callback, cancellation_reason, is_failure_exception,
get/set_current_details, get_last_failure, has_last_completion_result /
get_last_completion_result — on both transports."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest

from durable import workflow
from durable.client import Client, WorkflowFailureError
from durable.common import RetryPolicy
from durable.exceptions import ApplicationError, CancelledError
from durable.worker import Replayer, Worker


class Custom(Exception):
    pass


@workflow.defn(failure_exception_types=[Custom])
class SeedWorkflow:
    @workflow.run
    async def run(self) -> dict[str, object]:
        seen: list[int] = []
        workflow.register_random_seed_callback(seen.append)
        seed = workflow.random_seed()
        plain = workflow.new_random()
        named = workflow.new_random("other")
        workflow.set_current_details("step 1 of 2")
        return {
            "seed": seed,
            # Unnamed: the same sequence as workflow.random(); named: another one.
            "plain": [plain.random() for _ in range(3)],
            "random": [workflow.random().random() for _ in range(3)],
            "named": [named.random() for _ in range(3)],
            "callbacks": seen,  # durable's seed never changes within a run
            "details": workflow.get_current_details(),
            "failure": [workflow.is_failure_exception(e) for e in (
                ApplicationError("x"), Custom(), ValueError())],
            "last": [workflow.has_last_completion_result(),
                     workflow.get_last_completion_result(), workflow.get_last_failure()],
            "reason": workflow.cancellation_reason(),
        }


async def test_seed_details_and_failure_rules(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[SeedWorkflow]):
        out = await client.execute_workflow(SeedWorkflow.run, id=f"{task_queue}-seed",
                                            task_queue=task_queue)
    seed = out["seed"]
    assert isinstance(seed, int)
    expected = random.Random(seed)
    assert out["plain"] == [expected.random() for _ in range(3)]
    assert out["random"] == out["plain"]
    named = random.Random(f"{seed}:other")
    assert out["named"] == [named.random() for _ in range(3)]
    assert out["callbacks"] == []
    assert out["details"] == "step 1 of 2"
    assert out["failure"] == [True, True, False]
    assert out["last"] == [False, None, None]
    assert out["reason"] is None
    history = await client.get_workflow_handle(f"{task_queue}-seed").fetch_history()
    await Replayer(workflows=[SeedWorkflow]).replay_workflow(history)  # deterministic


@workflow.defn
class CancelReasonWorkflow:
    def __init__(self) -> None:
        self.inner_reason: str | None = "unset"

    @workflow.run
    async def run(self) -> str:
        inner = asyncio.ensure_future(asyncio.sleep(3600))
        await asyncio.sleep(0)
        inner.cancel()  # an inner cancel is not a cancellation request
        try:
            await inner
        except asyncio.CancelledError:
            self.inner_reason = workflow.cancellation_reason()
        try:
            await workflow.wait_condition(lambda: False)
        except asyncio.CancelledError:
            raise ApplicationError(f"inner={self.inner_reason!r} "
                                   f"reason={workflow.cancellation_reason()!r}")
        return "never"

    @workflow.query
    def inner(self) -> str | None:
        return self.inner_reason


async def test_cancellation_reason(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CancelReasonWorkflow]):
        handle = await client.start_workflow(CancelReasonWorkflow.run, id=f"{task_queue}-c",
                                             task_queue=task_queue)
        while await handle.query(CancelReasonWorkflow.inner) == "unset":
            await asyncio.sleep(0.05)
        await handle.cancel(reason="operator asked")
        with pytest.raises(WorkflowFailureError) as e:
            await handle.result()
    assert isinstance(e.value.cause, ApplicationError)
    assert e.value.cause.message == "inner=None reason='operator asked'"


@workflow.defn
class RetriedWorkflow:
    @workflow.run
    async def run(self) -> str:
        if workflow.info().attempt == 1:
            raise ApplicationError("first attempt fails", type="Flaky")
        last = workflow.get_last_failure()
        if not isinstance(last, ApplicationError):
            return f"last failure is {last!r}"
        return f"attempt {workflow.info().attempt} after {last.type}: {last.message}"


async def test_get_last_failure_on_a_retry(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[RetriedWorkflow]):
        result = await client.execute_workflow(
            RetriedWorkflow.run, id=f"{task_queue}-r", task_queue=task_queue,
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=10),
                                     maximum_attempts=2))
    assert result == "attempt 2 after Flaky: first attempt fails"


def test_run_context_needs_a_workflow() -> None:
    for fn in (workflow.random_seed, workflow.cancellation_reason,
               workflow.get_current_details, workflow.get_last_failure,
               workflow.has_last_completion_result, workflow.new_random):
        with pytest.raises(RuntimeError, match="not in workflow code"):
            fn()
    with pytest.raises(RuntimeError, match="not in workflow code"):
        workflow.is_failure_exception(CancelledError("x"))
