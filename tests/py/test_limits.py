"""Engine limits (docs/limits.md) on both transports, with small limits so the tests run
fast: the embedded engine through ``Client.connect(dir, limits=...)``, a durable-server
through its flags."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import Client, WorkflowFailureError
from durable.common import EngineLimits, RetryPolicy
from durable.exceptions import (
    ActivityError,
    ApplicationError,
    InvalidArgumentError,
    RPCError,
    TerminatedError,
)
from durable.worker import Worker
from history_util import wait_for_event

LIMITS = EngineLimits(max_history_events=200, warn_history_events=100,
                      max_payload_bytes=10 * 1024, warn_payload_bytes=4 * 1024,
                      max_pending_activities=3)


@dataclass
class Limited:
    """A client on an engine with LIMITS, and what that engine logged."""

    client: Client
    log: Callable[[], str]


@pytest.fixture
async def limited(tmp_path: Path, transport_kind: str,
                  capfd: pytest.CaptureFixture[str]) -> AsyncIterator[Limited]:
    if transport_kind == "server":
        from durable._server_process import ServerProcess

        flags = [f"--{name.replace('_', '-')}={value}" for name, value in vars(LIMITS).items()
                 if value is not None]
        proc = ServerProcess(str(tmp_path / "server"), args=["--relaxed-writes", *flags])
        proc.start()
        client = await Client.connect(proc.address)
        try:
            yield Limited(client, lambda: "\n".join(proc.log))
        finally:
            await client.close()
            proc.stop()
    else:
        client = await Client.connect(str(tmp_path / "engine"), sync_writes=False, limits=LIMITS)
        seen: list[str] = []

        def log() -> str:  # the embedded engine warns on this process's stderr
            seen.append(capfd.readouterr().err)
            return "".join(seen)
        try:
            yield Limited(client, log)
        finally:
            await client.close()


async def until(predicate: Callable[[], Any], what: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        await asyncio.sleep(0.05)


@workflow.defn
class CountsSignals:
    def __init__(self) -> None:
        self.count = 0
        self.suggested_at: int | None = None

    @workflow.signal
    def tick(self) -> None:
        self.count += 1
        if self.suggested_at is None and workflow.info().is_continue_as_new_suggested():
            self.suggested_at = workflow.info().get_current_history_length()

    @workflow.query
    def suggested(self) -> int | None:
        return self.suggested_at

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: False)
        return self.count


async def test_signals_past_the_event_limit_terminate_the_run_with_the_cause(
        limited: Limited, task_queue: str) -> None:
    client = limited.client
    async with Worker(client, task_queue=task_queue, workflows=[CountsSignals]):
        handle = await client.start_workflow(CountsSignals.run, id="lim-signals",
                                             task_queue=task_queue)
        refused = None
        for _ in range(1000):
            try:
                await handle.signal(CountsSignals.tick)
            except RPCError as e:
                refused = e
                break
        assert refused is not None, "no signal was refused past the event limit"
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
        assert isinstance(info.value.cause, TerminatedError)
        assert info.value.cause.message == "Workflow history size / count exceeds limit."
    history = await handle.fetch_history()
    last = history.events[-1]
    assert last.WhichOneof("attributes") == "workflow_execution_terminated"
    assert last.workflow_execution_terminated.identity == "durable-engine"
    assert b"the limit is 200 events" in last.workflow_execution_terminated.details.payloads[0].data
    assert 200 <= len(history.events) <= 210  # terminated in the write that reached 200
    log = limited.log()
    assert "past the warning threshold of 100 events" in log
    assert "the run was terminated" in log


async def test_continue_as_new_is_suggested_past_the_warning_threshold(
        limited: Limited, task_queue: str) -> None:
    client = limited.client
    async with Worker(client, task_queue=task_queue, workflows=[CountsSignals]):
        handle = await client.start_workflow(CountsSignals.run, id="lim-can",
                                             task_queue=task_queue)
        assert await handle.query(CountsSignals.suggested) is None
        suggested_at = None
        for _ in range(200):  # until suggested, before the limit (200 events) is reached
            await handle.signal(CountsSignals.tick)
            suggested_at = await handle.query(CountsSignals.suggested)
            if suggested_at is not None:
                break
        assert suggested_at is not None and 100 <= suggested_at < 200
        assert not (await handle.describe()).status.name == "TERMINATED"


@workflow.defn
class ReturnsTooMuch:
    @workflow.run
    async def run(self) -> str:
        return "x" * (30 * 1024)


async def test_oversized_workflow_result_fails_the_workflow_non_retryable(
        limited: Limited, task_queue: str) -> None:
    client = limited.client
    async with Worker(client, task_queue=task_queue, workflows=[ReturnsTooMuch]):
        handle = await client.start_workflow(
            ReturnsTooMuch.run, id="lim-result", task_queue=task_queue,
            retry_policy=RetryPolicy(maximum_attempts=5))
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.non_retryable
    assert cause.type == "PayloadSizeLimitExceeded"
    assert cause.message.startswith("workflow result is 30.0 KB (")
    assert "over the 10 KB payload limit (workflow 'lim-result')" in cause.message
    kinds = [e.WhichOneof("attributes") for e in (await handle.fetch_history()).events]
    assert kinds[-1] == "workflow_execution_failed"
    assert "workflow_task_failed" not in kinds


@activity.defn
async def big_result() -> str:
    return "y" * (30 * 1024)


@workflow.defn
class CallsBigActivity:
    @workflow.run
    async def run(self) -> list[Any]:
        try:
            await workflow.execute_activity(
                big_result, start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=3,
                                         initial_interval=timedelta(milliseconds=10)))
        except ActivityError as e:
            c = e.cause
            assert isinstance(c, ApplicationError)
            return [type(c).__name__, c.non_retryable, c.type, c.message]
        return ["no error"]


async def test_oversized_activity_result_is_a_non_retryable_activity_error(
        limited: Limited, task_queue: str) -> None:
    client = limited.client
    async with Worker(client, task_queue=task_queue, workflows=[CallsBigActivity],
                      activities=[big_result]):
        handle = await client.start_workflow(CallsBigActivity.run, id="lim-act",
                                             task_queue=task_queue)
        name, non_retryable, kind, message = await handle.result()
    assert (name, non_retryable, kind) == ("ApplicationError", True, "PayloadSizeLimitExceeded")
    assert message.startswith("result of activity '1' (big_result) is 30.0 KB (")
    assert "over the 10 KB payload limit" in message
    history = await handle.fetch_history()
    failed = [e for e in history.events if e.HasField("activity_task_failed")]
    assert len(failed) == 1  # one attempt: not retried
    assert not [e for e in history.events if e.HasField("activity_task_timed_out")]


async def test_oversized_signal_and_start_input_are_refused_naming_size_and_limit(
        limited: Limited, task_queue: str) -> None:
    client = limited.client
    handle = await client.start_workflow(CountsSignals.run, id="lim-sig", task_queue=task_queue)
    with pytest.raises(InvalidArgumentError) as info:
        await handle.signal("tick", "z" * (20 * 1024))
    assert "signal 'tick' input is 20.0 KB (" in str(info.value)
    assert "over the 10 KB payload limit (workflow 'lim-sig')" in str(info.value)
    with pytest.raises(InvalidArgumentError) as info:
        await client.start_workflow("CountsSignals", "z" * (20 * 1024), id="lim-start",
                                    task_queue=task_queue)
    assert "input is 20.0 KB (" in str(info.value)
    assert "over the 10 KB payload limit" in str(info.value)
    # Over the warning threshold: accepted, and logged once.
    await handle.signal("tick", "w" * (5 * 1024))
    assert limited.log().count("over the 4 KB payload warning threshold") == 1


RELEASE: dict[str, str] = {}


@activity.defn
async def waits_for_release(n: int) -> int:
    while not os.path.exists(RELEASE["path"]):  # released by the test
        await asyncio.sleep(0.02)
    return n


@workflow.defn
class StartsFourActivities:
    @workflow.run
    async def run(self) -> list[int]:
        opts: dict[str, Any] = {"start_to_close_timeout": timedelta(seconds=60)}
        first = [workflow.start_activity(waits_for_release, i, **opts) for i in range(3)]
        await asyncio.sleep(0.01)  # a second workflow task: the 4th activity
        fourth = workflow.start_activity(waits_for_release, 3, **opts)
        return list(await asyncio.gather(*first, fourth))


async def test_pending_activities_past_the_limit_fail_the_task_until_some_resolve(
        limited: Limited, task_queue: str, tmp_path: Path) -> None:
    RELEASE["path"] = str(tmp_path / "release")
    client = limited.client
    async with Worker(client, task_queue=task_queue, workflows=[StartsFourActivities],
                      activities=[waits_for_release]):
        handle = await client.start_workflow(StartsFourActivities.run, id="lim-pending",
                                             task_queue=task_queue)
        failed = await wait_for_event(handle, "workflow_task_failed")
        assert failed.workflow_task_failed.cause == "pending_activities_limit_exceeded"
        assert ("would make 4 pending activities, over the limit of 3"
                in failed.workflow_task_failed.failure.message)
        Path(RELEASE["path"]).touch()
        assert await handle.result() == [0, 1, 2, 3]


def test_bad_limits_are_refused_with_the_field_named() -> None:
    import subprocess

    from durable._server_process import server_binary

    with pytest.raises(ValueError, match=r"EngineLimits.max_history_events must be a whole "
                                         r"number >= 0 \(0 = no limit\), got -1"):
        EngineLimits(max_history_events=-1)
    proc = subprocess.run([server_binary(), "--db", "/nonexistent", "--max-history-events", "x"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--max-history-events needs a whole number >= 0 (0 = no limit), got 'x'" in proc.stderr


async def test_limits_with_a_server_address_are_refused() -> None:
    with pytest.raises(ValueError, match="limits apply to the embedded engine"):
        await Client.connect("127.0.0.1:1", limits=EngineLimits(max_history_events=10))
