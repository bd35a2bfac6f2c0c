"""The four activity timeouts, each fired by the engine and seen by the workflow as
``ActivityError`` caused by ``TimeoutError`` whose ``type`` names the timeout; and the
worker's own cancellation of an attempt whose start-to-close timeout passed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from durable import activity, workflow
from durable.client import Client, WorkflowFailureError
from durable.common import RetryPolicy
from durable.exceptions import ActivityError, ApplicationError, RetryState, TimeoutError, TimeoutType
from durable.worker import Worker

ONE_ATTEMPT = RetryPolicy(maximum_attempts=1)
_seen: dict[str, list[str]] = {}


@pytest.fixture(autouse=True)
def _fresh_state() -> None:
    # Each test, and each transport's run of it, starts from empty records.
    _seen.clear()


@activity.defn
async def sleeper(key: str, seconds: float) -> str:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        _seen.setdefault(key, []).append(f"cancelled:{activity.is_cancelled()}")
        raise
    return "slept"


@activity.defn
async def heartbeats_then_stalls(key: str) -> str:
    activity.heartbeat("step-1")
    await asyncio.sleep(0.1)
    activity.heartbeat("step-2")
    await asyncio.sleep(30)  # no more heartbeats
    return "unreachable"


@activity.defn
async def always_fails(key: str, seconds: float) -> str:
    await asyncio.sleep(seconds)
    raise RuntimeError(f"attempt {activity.info().attempt}")


@workflow.defn
class TimeoutWorkflow:
    @workflow.run
    async def run(self, kind: str, key: str) -> str:
        if kind == "start_to_close":
            return await workflow.execute_activity(
                sleeper, args=[key, 30.0], start_to_close_timeout=timedelta(seconds=1),
                retry_policy=ONE_ATTEMPT)
        if kind == "schedule_to_start":
            return await workflow.execute_activity(
                sleeper, args=[key, 0.0], task_queue=f"{workflow.info().task_queue}-nobody",
                schedule_to_start_timeout=timedelta(milliseconds=500),
                start_to_close_timeout=timedelta(seconds=5))
        if kind.startswith("schedule_to_close"):
            # Slow attempts: the deadline passes while attempt 2 runs. Fast ones: a
            # failure whose retry would start after the deadline ends the retries.
            # (Fast: attempts at 0 s and 1 s; the next would start at 2 s, past the 1.5 s
            # deadline. The 0.5 s margin keeps a loaded machine from letting the deadline
            # fall inside attempt 2 instead.)
            slow = kind == "schedule_to_close"
            return await workflow.execute_activity(
                always_fails, args=[key, 1.0 if slow else 0.0],
                schedule_to_close_timeout=timedelta(seconds=1.5),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(milliseconds=100 if slow else 1000),
                    backoff_coefficient=1.0))
        if kind == "heartbeat":
            return await workflow.execute_activity(
                heartbeats_then_stalls, key, start_to_close_timeout=timedelta(seconds=60),
                heartbeat_timeout=timedelta(seconds=1), retry_policy=ONE_ATTEMPT)
        raise ValueError(kind)


async def _run_to_error(client: Client, task_queue: str, kind: str) -> ActivityError:
    async with Worker(client, task_queue=task_queue, workflows=[TimeoutWorkflow],
                      activities=[sleeper, heartbeats_then_stalls, always_fails]):
        with pytest.raises(WorkflowFailureError) as ei:
            await client.execute_workflow(TimeoutWorkflow.run, args=[kind, kind],
                                          id=f"wf-{kind}", task_queue=task_queue)
    err = ei.value.cause
    assert isinstance(err, ActivityError), repr(err)
    return err


async def test_start_to_close_timeout(client: Client, task_queue: str) -> None:
    err = await _run_to_error(client, task_queue, "start_to_close")
    assert isinstance(err.cause, TimeoutError)
    assert err.cause.type == TimeoutType.START_TO_CLOSE
    assert err.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED
    # The worker cancelled the attempt on its side too (it does not run for 30 s).
    assert _seen["start_to_close"] == ["cancelled:True"]


async def test_schedule_to_start_timeout(client: Client, task_queue: str) -> None:
    err = await _run_to_error(client, task_queue, "schedule_to_start")
    assert isinstance(err.cause, TimeoutError)
    assert err.cause.type == TimeoutType.SCHEDULE_TO_START
    assert err.retry_state == RetryState.TIMEOUT


async def test_schedule_to_close_timeout_ends_the_retries(client: Client,
                                                          task_queue: str) -> None:
    err = await _run_to_error(client, task_queue, "schedule_to_close")
    assert isinstance(err.cause, TimeoutError)
    assert err.cause.type == TimeoutType.SCHEDULE_TO_CLOSE
    assert err.retry_state == RetryState.TIMEOUT


async def test_schedule_to_close_deadline_stops_retrying_between_attempts(
        client: Client, task_queue: str) -> None:
    # As in Temporal: the last attempt's own failure, with retry state TIMEOUT.
    err = await _run_to_error(client, task_queue, "schedule_to_close_fast")
    assert isinstance(err.cause, ApplicationError)
    assert err.cause.type == "RuntimeError"
    assert err.retry_state == RetryState.TIMEOUT


async def test_heartbeat_timeout_carries_last_details(client: Client, task_queue: str) -> None:
    err = await _run_to_error(client, task_queue, "heartbeat")
    assert isinstance(err.cause, TimeoutError)
    assert err.cause.type == TimeoutType.HEARTBEAT
    assert list(err.cause.last_heartbeat_details) == ["step-2"]
