"""BaseExceptions that are not cancellations (SystemExit, KeyboardInterrupt, a user's own
BaseException subclass) never escape a worker: raised by workflow code they fail the
workflow task with a clear error (retried: the workflow carries on once the code stops
raising); raised by an activity or a local activity they fail the attempt like any error
(as in temporalio), instead of stopping the worker or leaving the attempt to time out."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import Client
from durable.common import RetryPolicy
from durable.exceptions import ActivityError, ApplicationError
from durable.worker import Worker
from history_util import wait_for_event


class UserBaseError(BaseException):
    """A user's own BaseException subclass (not an Exception)."""


def _keyboard_interrupt() -> None:
    raise KeyboardInterrupt("ctrl-c")


def _user_base_error() -> None:
    raise UserBaseError("mine")


_RAISERS: dict[str, Any] = {
    "SystemExit": lambda: sys.exit(3),
    "KeyboardInterrupt": _keyboard_interrupt,
    "UserBaseError": _user_base_error,
}

_lock = threading.Lock()
_raised: dict[str, int] = {}


def _raise_once(key: str, kind: str) -> None:
    """Raise ``kind`` the first time ``key`` is seen (the task's retry then succeeds).

    Never while replaying: a recorded history (tests/py/histories) replays in any process.
    """
    if workflow.unsafe.is_replaying():
        return
    with _lock:
        first = key not in _raised
        _raised[key] = _raised.get(key, 0) + 1
    if first:
        _RAISERS[kind]()


@workflow.defn
class RaisesInRunWorkflow:
    @workflow.run
    async def run(self, key: str, kind: str) -> str:
        with workflow.unsafe.sandbox_unrestricted():
            _raise_once(key, kind)
        return "carried on"


@workflow.defn
class RaisesInInitWorkflow:
    def __init__(self) -> None:
        with workflow.unsafe.sandbox_unrestricted():
            _raise_once(f"init-{workflow.info().task_queue}", "SystemExit")

    @workflow.run
    async def run(self) -> str:
        return "carried on"


@workflow.defn
class RaisesInSignalWorkflow:
    def __init__(self) -> None:
        self._got: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: len(self._got) == 1)
        return self._got

    @workflow.signal
    def poke(self, key: str, kind: str) -> None:
        with workflow.unsafe.sandbox_unrestricted():
            _raise_once(key, kind)
        self._got.append(key)

    @workflow.update
    async def prod(self, key: str, kind: str) -> str:
        with workflow.unsafe.sandbox_unrestricted():
            _raise_once(key, kind)
        self._got.append(key)
        return "updated"


@workflow.defn
class HelloWorkflow:
    @workflow.run
    async def run(self) -> str:
        return "hello"


_attempts: list[tuple[str, int]] = []


@activity.defn
async def async_raiser(kind: str) -> str:
    _attempts.append((activity.info().workflow_run_id, activity.info().attempt))
    _RAISERS[kind]()
    return "unreachable"


@activity.defn
def sync_raiser(kind: str) -> str:
    _attempts.append((activity.info().workflow_run_id, activity.info().attempt))
    _RAISERS[kind]()
    return "unreachable"


@workflow.defn
class CallsRaisingActivityWorkflow:
    @workflow.run
    async def run(self, name: str, kind: str, local: bool) -> list[str]:
        opts: dict[str, Any] = dict(start_to_close_timeout=timedelta(seconds=60),
                                    retry_policy=RetryPolicy(maximum_attempts=2,
                                                             initial_interval=timedelta(
                                                                 milliseconds=10)))
        try:
            if local:
                await workflow.execute_local_activity(name, kind, **opts)
            else:
                await workflow.execute_activity(name, kind, **opts)
        except ActivityError as e:
            cause = e.cause
            assert isinstance(cause, ApplicationError), repr(cause)
            return [type(e).__name__, cause.type or ""]
        return ["no error"]


_KINDS = list(_RAISERS)


@pytest.mark.parametrize("kind", _KINDS)
async def test_workflow_code_raising_a_base_exception_fails_the_task_and_is_retried(
        client: Client, task_queue: str, kind: str) -> None:
    key = f"run-{kind}-{task_queue}"
    async with Worker(client, task_queue=task_queue,
                      workflows=[RaisesInRunWorkflow, HelloWorkflow]):
        handle = await client.start_workflow(RaisesInRunWorkflow.run, args=[key, kind],
                                             id=f"raises-{kind}", task_queue=task_queue)
        assert await asyncio.wait_for(handle.result(), 60) == "carried on"
        # The worker kept running: it still serves other workflows.
        assert await asyncio.wait_for(client.execute_workflow(
            HelloWorkflow.run, id="after", task_queue=task_queue), 60) == "hello"
    assert _raised[key] == 2  # the first task failed, its retry ran the code again
    failed = (await wait_for_event(handle, "workflow_task_failed")).workflow_task_failed
    expected_text = {"SystemExit": "'3'", "KeyboardInterrupt": "'ctrl-c'",
                     "UserBaseError": "'mine'"}[kind]
    assert failed.failure.message.startswith(f"workflow code raised {kind}({expected_text})"), \
        failed.failure.message
    assert failed.failure.application_failure_info.type == kind


async def test_system_exit_in_workflow_init_fails_only_the_task(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[RaisesInInitWorkflow]):
        init = await client.start_workflow(RaisesInInitWorkflow.run, id="init",
                                           task_queue=task_queue)
        assert await asyncio.wait_for(init.result(), 60) == "carried on"
    failed = (await wait_for_event(init, "workflow_task_failed")).workflow_task_failed
    assert "workflow code raised SystemExit" in failed.failure.message


@pytest.mark.parametrize("handler", ["signal", "update"])
@pytest.mark.parametrize("kind", _KINDS)
async def test_a_handler_raising_a_base_exception_fails_the_task_and_loses_nothing(
        client: Client, task_queue: str, kind: str, handler: str) -> None:
    key = f"{handler}-{kind}-{task_queue}"
    async with Worker(client, task_queue=task_queue, workflows=[RaisesInSignalWorkflow]):
        handle = await client.start_workflow(RaisesInSignalWorkflow.run, id="handled",
                                             task_queue=task_queue)
        if handler == "signal":
            await handle.signal(RaisesInSignalWorkflow.poke, args=[key, kind])
        else:
            assert await asyncio.wait_for(handle.execute_update(
                RaisesInSignalWorkflow.prod, args=[key, kind]), 60) == "updated"
        # The signal (or update) was not dropped: the retried task ran the handler again.
        assert await asyncio.wait_for(handle.result(), 60) == [key]
    assert _raised[key] == 2
    failed = (await wait_for_event(handle, "workflow_task_failed")).workflow_task_failed
    assert f"workflow code raised {kind}" in failed.failure.message


@pytest.mark.parametrize("local", [False, True], ids=["activity", "local_activity"])
@pytest.mark.parametrize("name", ["async_raiser", "sync_raiser"])
@pytest.mark.parametrize("kind", _KINDS)
async def test_an_activity_raising_a_base_exception_fails_the_attempt(
        client: Client, task_queue: str, kind: str, name: str, local: bool) -> None:
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        async with Worker(client, task_queue=task_queue,
                          workflows=[CallsRaisingActivityWorkflow, HelloWorkflow],
                          activities=[async_raiser, sync_raiser], activity_executor=executor):
            # Both attempts fail with the exception's type (not a start-to-close timeout),
            # then the workflow sees the final ActivityError.
            handle = await client.start_workflow(
                CallsRaisingActivityWorkflow.run, args=[name, kind, local], id="calls",
                task_queue=task_queue)
            outcome = await asyncio.wait_for(handle.result(), 50)
            assert outcome == ["ActivityError", kind]
            assert sorted(a for r, a in _attempts if r == handle.run_id) == [1, 2]
            # The worker is still up.
            assert await asyncio.wait_for(client.execute_workflow(
                HelloWorkflow.run, id="after", task_queue=task_queue), 60) == "hello"
