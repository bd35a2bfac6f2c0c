"""Local activities: run by the workflow's worker inside the workflow task, retried
locally, recorded as a marker — and never run again when the history is replayed."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import Client, WorkflowFailureError
from durable.common import RetryPolicy
from durable.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    NondeterminismError,
    TimeoutError,
    TimeoutType,
)
from durable.worker import Replayer, Worker

_calls: dict[str, list[tuple[int, float]]] = {}
_finished: set[str] = set()  # keys whose slow_local ran to its end


@pytest.fixture(autouse=True)
def _fresh_state() -> None:
    # Each test, and each transport's run of it, starts from empty records.
    _calls.clear()
    _finished.clear()


@activity.defn
async def count_call(key: str) -> str:
    i = activity.info()
    assert i.is_local
    _calls.setdefault(key, []).append((i.attempt, time.monotonic()))
    return f"{key} call {len(_calls[key])}"


@activity.defn
def sync_count_call(key: str) -> str:
    _calls.setdefault(key, []).append((activity.info().attempt, time.monotonic()))
    return f"sync {key}"


@activity.defn
async def flaky_local(key: str, fail_times: int, non_retryable: bool) -> str:
    attempt = activity.info().attempt
    _calls.setdefault(key, []).append((attempt, time.monotonic()))
    if attempt <= fail_times:
        raise ApplicationError(f"attempt {attempt} failed", type="Flaky",
                               non_retryable=non_retryable)
    return f"ok at attempt {attempt}"


@activity.defn
async def slow_local(key: str, seconds: float) -> str:
    _calls.setdefault(key, []).append((activity.info().attempt, time.monotonic()))
    await asyncio.sleep(seconds)
    _finished.add(key)
    return "slow done"


@workflow.defn
class LocalWorkflow:
    @workflow.run
    async def run(self, scenario: str, key: str) -> Any:
        opts: dict[str, Any] = dict(start_to_close_timeout=timedelta(seconds=5))
        if scenario == "replay":
            first = await workflow.execute_local_activity(count_call, key, **opts)
            await asyncio.sleep(0.1)  # a second workflow task, replayed from the start
            second = await workflow.execute_local_activity(sync_count_call, key, **opts)
            return [first, second]
        if scenario == "retry":
            return await workflow.execute_local_activity(
                flaky_local, args=[key, 2, False], **opts,
                retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100)))
        if scenario == "non_retryable":
            return await workflow.execute_local_activity(
                flaky_local, args=[key, 5, True], **opts)
        if scenario == "max_attempts":
            return await workflow.execute_local_activity(
                flaky_local, args=[key, 5, False], **opts,
                retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=10),
                                         maximum_attempts=2))
        if scenario == "timeout":
            return await workflow.execute_local_activity(
                slow_local, args=[key, 60.0], start_to_close_timeout=timedelta(milliseconds=200),
                retry_policy=RetryPolicy(maximum_attempts=1))
        if scenario == "cancel":
            slow = workflow.start_local_activity(slow_local, args=[key, 30.0], **opts)
            await workflow.execute_local_activity(count_call, key, **opts)
            slow.cancel()
            try:
                await slow
            except ActivityError as e:
                return f"cancelled: {type(e.cause).__name__}"
            return "not cancelled"
        if scenario == "cancel_unstarted":
            never = workflow.start_local_activity(count_call, key, **opts)
            never.cancel()
            try:
                await never
            except ActivityError as e:
                return f"cancelled: {type(e.cause).__name__}"
            return "not cancelled"
        if scenario == "unregistered":
            return await workflow.execute_local_activity("no_such_activity", key, **opts)
        raise ValueError(scenario)


async def _run(client: Client, task_queue: str, scenario: str, key: str,
               **worker_opts: Any) -> Any:
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        async with Worker(client, task_queue=task_queue, workflows=[LocalWorkflow],
                          activities=[count_call, sync_count_call, flaky_local, slow_local],
                          activity_executor=pool, **worker_opts):
            handle = await client.start_workflow(LocalWorkflow.run, args=[scenario, key],
                                                 id=f"wf-{key}", task_queue=task_queue)
            try:
                return await handle.result(), await handle.fetch_history()
            except WorkflowFailureError as e:
                return e, await handle.fetch_history()


def _kinds(history: Any) -> list[str]:
    return [e.WhichOneof("attributes") for e in history.events]


@pytest.mark.parametrize("cached", [True, False])
async def test_result_is_a_marker_and_replay_does_not_run_it_again(
        client: Client, task_queue: str, cached: bool) -> None:
    key = f"replay-{cached}"
    result, history = await _run(client, task_queue, "replay", key,
                                 max_cached_workflows=100 if cached else 0)
    assert result == [f"{key} call 1", f"sync {key}"]
    # Each ran exactly once, although without the cache the second task replays the
    # first local activity from the start.
    assert [a for a, _ in _calls[key]] == [1, 1]
    kinds = _kinds(history)
    assert kinds.count("marker_recorded") == 2
    assert "activity_task_scheduled" not in kinds


async def test_replayer_reads_the_markers(client: Client, task_queue: str) -> None:
    result, history = await _run(client, task_queue, "replay", "replayer")
    assert len(_calls["replayer"]) == 2
    await Replayer(workflows=[LocalWorkflow]).replay_workflow(history)
    assert len(_calls["replayer"]) == 2  # replaying ran neither local activity


async def test_changed_local_activity_is_nondeterministic(client: Client,
                                                          task_queue: str) -> None:
    _, history = await _run(client, task_queue, "replay", "changed")

    @workflow.defn(name="LocalWorkflow")
    class ChangedWorkflow:
        @workflow.run
        async def run(self, scenario: str, key: str) -> Any:
            # Another activity type where history recorded count_call's marker.
            return await workflow.execute_local_activity(
                slow_local, args=[key, 0.0], start_to_close_timeout=timedelta(seconds=5))

    with pytest.raises(NondeterminismError, match="slow_local.*count_call"):
        await Replayer(workflows=[ChangedWorkflow]).replay_workflow(history)
    assert len(_calls["changed"]) == 2


async def test_retried_locally_with_backoff(client: Client, task_queue: str) -> None:
    result, history = await _run(client, task_queue, "retry", "retry")
    assert result == "ok at attempt 3"
    times = [t for _, t in _calls["retry"]]
    assert [a for a, _ in _calls["retry"]] == [1, 2, 3]
    assert times[1] - times[0] >= 0.1 - 0.01
    assert times[2] - times[1] >= 0.2 - 0.01
    assert _kinds(history).count("marker_recorded") == 1


async def test_non_retryable_failure_is_final(client: Client, task_queue: str) -> None:
    err, history = await _run(client, task_queue, "non_retryable", "nonretry")
    assert isinstance(err, WorkflowFailureError)
    assert isinstance(err.cause, ActivityError)
    assert isinstance(err.cause.cause, ApplicationError)
    assert err.cause.cause.non_retryable
    assert len(_calls["nonretry"]) == 1
    assert _kinds(history).count("marker_recorded") == 1


async def test_maximum_attempts(client: Client, task_queue: str) -> None:
    err, _ = await _run(client, task_queue, "max_attempts", "maxatt")
    assert isinstance(err.cause, ActivityError)
    assert err.cause.cause.message == "attempt 2 failed"
    assert [a for a, _ in _calls["maxatt"]] == [1, 2]


async def test_start_to_close_timeout(client: Client, task_queue: str) -> None:
    err, _ = await _run(client, task_queue, "timeout", "lto")
    assert isinstance(err.cause, ActivityError)
    assert isinstance(err.cause.cause, TimeoutError)
    assert err.cause.cause.type == TimeoutType.START_TO_CLOSE
    assert "lto" not in _finished  # the timeout ended it, not the activity's own 60 s


async def test_cancel_a_running_local_activity(client: Client, task_queue: str) -> None:
    result, _ = await _run(client, task_queue, "cancel", "lcancel")
    assert result == f"cancelled: {CancelledError.__name__}"


async def test_cancel_before_it_ran(client: Client, task_queue: str) -> None:
    result, history = await _run(client, task_queue, "cancel_unstarted", "lnever")
    assert result == f"cancelled: {CancelledError.__name__}"
    assert "lnever" not in _calls
    assert "marker_recorded" not in _kinds(history)


async def test_unregistered_local_activity_fails_clearly(client: Client,
                                                         task_queue: str) -> None:
    err, _ = await _run(client, task_queue, "unregistered", "unreg")
    assert isinstance(err.cause, ActivityError)
    assert isinstance(err.cause.cause, ApplicationError)
    assert "no_such_activity" in err.cause.cause.message
    assert "not registered" in err.cause.cause.message


def test_local_activity_needs_a_timeout() -> None:
    with pytest.raises(ValueError, match="start_to_close_timeout or schedule_to_close_timeout"):
        workflow.start_local_activity(count_call, "x")
    with pytest.raises(ValueError, match="positive timedelta"):
        workflow.start_local_activity(count_call, "x", start_to_close_timeout=timedelta(0))
