"""Activity retries end to end: the engine retries by the retry policy, with backoff.

What the history records (as in Temporal): failed attempts that are retried write no
event; the final ``ActivityTaskStarted`` carries the attempt number and the last failure.
The spacing of attempts is observed by the activity itself
(``info().current_attempt_scheduled_time`` and the wall clock at each attempt) and, while an
attempt is pending, through ``describe()`` (attempt, last failure).
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from durable import activity, workflow
from durable.client import Client, WorkflowFailureError
from durable.common import RetryPolicy
from durable.exceptions import ActivityError, ApplicationError, RetryState
from durable.v1 import history_pb2
from durable.worker import Worker

# Attempt number -> wall-clock time (time.time()) it started, per test key.
_attempt_times: dict[str, list[float]] = {}
_scheduled_times: dict[str, list[float]] = {}


@pytest.fixture(autouse=True)
def _fresh_state() -> None:
    # Each test, and each transport's run of it, starts from empty records.
    _attempt_times.clear()
    _scheduled_times.clear()
    _released.clear()


@activity.defn
async def flaky(key: str) -> str:
    i = activity.info()
    _attempt_times.setdefault(key, []).append(time.time())
    _scheduled_times.setdefault(key, []).append(i.current_attempt_scheduled_time.timestamp())
    if i.attempt < 3:
        raise ApplicationError(f"attempt {i.attempt} failed", type="Flaky")
    return f"ok at attempt {i.attempt}"


@activity.defn
async def fails_with(key: str, kind: str) -> str:
    _attempt_times.setdefault(key, []).append(time.time())
    if kind == "non_retryable":
        raise ApplicationError("bad input", type="BadInput", non_retryable=True)
    if kind == "listed_type":
        raise ApplicationError("quota gone", type="QuotaGone")
    if kind == "python_type":
        raise KeyError("missing")
    if kind == "next_retry_delay" and activity.info().attempt == 1:
        raise ApplicationError("come back later", type="Busy",
                               next_retry_delay=timedelta(milliseconds=1500))
    if kind == "next_retry_delay":
        return f"attempt {activity.info().attempt}"
    raise ApplicationError(f"attempt {activity.info().attempt} failed", type="Always")


@activity.defn
async def fails_until_released(key: str) -> str:
    if key not in _released:
        raise ApplicationError(f"attempt {activity.info().attempt}: not yet", type="NotYet")
    return "released"


_released: set[str] = set()


@workflow.defn
class RetryWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        return await workflow.execute_activity(
            flaky, key, start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=300),
                                     backoff_coefficient=2.0))


@workflow.defn
class FailWithWorkflow:
    @workflow.run
    async def run(self, key: str, kind: str) -> str:
        return await workflow.execute_activity(
            fails_with, args=[key, kind], start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100),
                                     maximum_attempts=3,
                                     non_retryable_error_types=["QuotaGone", "KeyError"]))


@workflow.defn
class DefaultPolicyWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        return await workflow.execute_activity(fails_until_released, key,
                                               start_to_close_timeout=timedelta(seconds=10))


def _events(history: object, kind: str) -> list[history_pb2.HistoryEvent]:
    return [e for e in history.events if e.WhichOneof("attributes") == kind]  # type: ignore[attr-defined]


async def test_retried_until_success_with_exponential_backoff(client: Client,
                                                              task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[RetryWorkflow],
                      activities=[flaky]):
        handle = await client.start_workflow(RetryWorkflow.run, "backoff", id="wf-backoff",
                                             task_queue=task_queue)
        assert await handle.result() == "ok at attempt 3"

    starts = _attempt_times["backoff"]
    assert len(starts) == 3
    # Delays: 0.3 s before attempt 2, 0.6 s before attempt 3 (initial 0.3 s, coefficient 2).
    assert starts[1] - starts[0] >= 0.3 - 0.02
    assert starts[2] - starts[1] >= 0.6 - 0.02
    assert starts[2] - starts[1] > starts[1] - starts[0]
    # Each retry is scheduled for after its backoff, and runs once it is due (the engine's
    # and the activity's clocks are the same machine's; 1 ms for rounding to microseconds).
    sched = _scheduled_times["backoff"]
    assert sched[1] - sched[0] >= 0.3 - 0.02 and sched[2] - sched[1] >= 0.6 - 0.02
    assert all(s <= t + 0.001 for s, t in zip(sched, starts)), (sched, starts)

    history = await handle.fetch_history()
    [started] = _events(history, "activity_task_started")
    assert started.activity_task_started.attempt == 3
    assert started.activity_task_started.last_failure.message == "attempt 2 failed"
    [scheduled] = _events(history, "activity_task_scheduled")
    [completed] = _events(history, "activity_task_completed")
    # The whole activity took at least the two backoff delays.
    assert completed.event_time_us - scheduled.event_time_us >= 900_000 - 20_000
    policy = scheduled.activity_task_scheduled.retry_policy
    assert policy.initial_interval_us == 300_000
    assert policy.maximum_interval_us == 30_000_000  # 100 x initial, set by the engine


@pytest.mark.parametrize("kind", ["non_retryable", "listed_type", "python_type"])
async def test_non_retryable_failure_stops_at_first_attempt(client: Client, task_queue: str,
                                                            kind: str) -> None:
    key = f"nr-{kind}"
    async with Worker(client, task_queue=task_queue, workflows=[FailWithWorkflow],
                      activities=[fails_with]):
        with pytest.raises(WorkflowFailureError) as ei:
            await client.execute_workflow(FailWithWorkflow.run, args=[key, kind], id=key,
                                          task_queue=task_queue)
    err = ei.value.cause
    assert isinstance(err, ActivityError)
    assert err.retry_state == RetryState.NON_RETRYABLE_FAILURE
    assert isinstance(err.cause, ApplicationError)
    assert err.cause.non_retryable == (kind == "non_retryable")
    assert len(_attempt_times[key]) == 1


async def test_maximum_attempts_reached(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[FailWithWorkflow],
                      activities=[fails_with]):
        with pytest.raises(WorkflowFailureError) as ei:
            await client.execute_workflow(FailWithWorkflow.run, args=["max", "always"],
                                          id="wf-max", task_queue=task_queue)
    err = ei.value.cause
    assert isinstance(err, ActivityError)
    assert err.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED
    assert isinstance(err.cause, ApplicationError)
    assert err.cause.message == "attempt 3 failed"
    assert len(_attempt_times["max"]) == 3


async def test_next_retry_delay_overrides_the_policy(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[FailWithWorkflow],
                      activities=[fails_with]):
        result = await client.execute_workflow(FailWithWorkflow.run,
                                               args=["nrd", "next_retry_delay"],
                                               id="wf-nrd", task_queue=task_queue)
    assert result == "attempt 2"
    starts = _attempt_times["nrd"]
    # The policy says 0.1 s; the error asked for 1.5 s.
    assert starts[1] - starts[0] >= 1.5 - 0.02


async def test_describe_shows_attempt_and_last_failure_of_pending_activity(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[DefaultPolicyWorkflow],
                      activities=[fails_until_released]):
        handle = await client.start_workflow(DefaultPolicyWorkflow.run, "pending",
                                             id="wf-pending", task_queue=task_queue)
        # Default policy: 1 s, then 2 s: attempt 2 is scheduled ~1 s after attempt 1.
        deadline = time.monotonic() + 15
        while True:
            desc = await handle.describe()
            pending = list(desc.raw_description.pending_activities)
            if pending and pending[0].attempt >= 2:
                break
            assert time.monotonic() < deadline, f"no retry seen: {pending}"
            await asyncio.sleep(0.1)
        [act] = pending
        assert act.activity_type == "fails_until_released"
        assert act.last_failure.message.endswith(": not yet")
        assert act.last_failure.application_failure_info.type == "NotYet"
        assert act.maximum_attempts == 0  # the default policy: unlimited
        _released.add("pending")
        assert await handle.result() == "released"
    history = await handle.fetch_history()
    policy = _events(history, "activity_task_scheduled")[0].activity_task_scheduled.retry_policy
    # Temporal's defaults, applied by the engine.
    assert policy.initial_interval_us == 1_000_000
    assert policy.backoff_coefficient == 2.0
    assert policy.maximum_interval_us == 100_000_000
    assert policy.maximum_attempts == 0
