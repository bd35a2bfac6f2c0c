"""The walking skeleton end to end on the embedded engine: workflows, activities, errors."""

from __future__ import annotations

import asyncio
import socket
import concurrent.futures
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from durable.common import RetryPolicy
from durable.exceptions import (
    ActivityError,
    ApplicationError,
    NotFoundError,
    PayloadConversionError,
    WorkflowAlreadyStartedError,
)
from durable.worker import Worker

TIMEOUT = dict(start_to_close_timeout=timedelta(seconds=10))
ONE_ATTEMPT = RetryPolicy(maximum_attempts=1)


@dataclass
class Person:
    name: str
    age: int


@dataclass
class Greeting:
    text: str
    years_to_100: int


@activity.defn
async def compose_greeting(name: str) -> str:
    return f"Hello, {name}!"


@activity.defn
async def greet_person(person: Person, punctuation: str) -> Greeting:
    assert isinstance(person, Person)
    return Greeting(f"Hi {person.name}{punctuation}", 100 - person.age)


@activity.defn(name="sync-info")
def sync_info(tag: str) -> dict:
    i = activity.info()
    return {"tag": tag, "type": i.activity_type, "attempt": i.attempt, "wf": i.workflow_id,
            "token": bool(i.task_token), "thread": threading.current_thread().name}


@activity.defn
async def fails_until_third_attempt(x: int) -> int:
    if activity.info().attempt < 3:
        raise ApplicationError(f"attempt {activity.info().attempt} failed", type="Flaky")
    return x * 10


@activity.defn
async def always_fails() -> None:
    raise ApplicationError("the disk is full", {"free": 0}, type="DiskFull")


@workflow.defn
class GreetingWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(compose_greeting, name, **TIMEOUT)


@workflow.defn(name="people")
class PeopleWorkflow:
    @workflow.run
    async def run(self, person: Person, punctuation: str, times: int) -> list[Greeting]:
        out = []
        for _ in range(times):
            out.append(await workflow.execute_activity(
                greet_person, args=[person, punctuation], **TIMEOUT))
        return out


@workflow.defn
class InfoWorkflow:
    @workflow.run
    async def run(self) -> dict:
        await asyncio.sleep(0.05)  # a durable timer
        sync = await workflow.execute_activity(sync_info, "t", **TIMEOUT)
        i = workflow.info()
        return {"sync": sync, "wf": [i.workflow_id, i.run_id, i.workflow_type, i.task_queue,
                                     i.attempt], "now": workflow.now().year,
                "uuid": str(workflow.uuid4())}


@workflow.defn
class RetryWorkflow:
    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(
            fails_until_third_attempt, 4, start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=10),
                                     maximum_attempts=5))


@workflow.defn
class CatchesActivityError:
    @workflow.run
    async def run(self) -> list[Any]:
        try:
            await workflow.execute_activity(always_fails, retry_policy=ONE_ATTEMPT, **TIMEOUT)
        except ActivityError as e:
            cause = e.cause
            assert isinstance(cause, ApplicationError)
            return [type(e).__name__, e.activity_type, cause.type, cause.message,
                    list(cause.details)]
        return ["no error"]


@workflow.defn
class LetsActivityErrorEscape:
    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(always_fails, retry_policy=ONE_ATTEMPT, **TIMEOUT)


@workflow.defn
class RaisesApplicationError:
    @workflow.run
    async def run(self, n: int) -> None:
        raise ApplicationError(f"cannot handle {n}", type="TooBig", non_retryable=True)


@workflow.defn
class CallsMissingActivity:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_activity("no_such_activity", 1, retry_policy=ONE_ATTEMPT,
                                            **TIMEOUT)
        except ActivityError as e:
            assert isinstance(e.cause, ApplicationError)
            return f"{e.cause.type}: {e.cause.message}"
        return "no error"


@workflow.defn
class Waits:
    @workflow.run
    async def run(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "woke"


ALL_WORKFLOWS = [GreetingWorkflow, PeopleWorkflow, InfoWorkflow, RetryWorkflow,
                 CatchesActivityError, LetsActivityErrorEscape, RaisesApplicationError,
                 CallsMissingActivity, Waits]
ALL_ACTIVITIES = [compose_greeting, greet_person, sync_info, fails_until_third_attempt,
                  always_fails]


@pytest.fixture
async def worker(client: Client, task_queue: str) -> Any:
    with concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="act") as ex:
        async with Worker(client, task_queue=task_queue, workflows=ALL_WORKFLOWS,
                          activities=ALL_ACTIVITIES, activity_executor=ex) as w:
            yield w


async def test_hello(client: Client, task_queue: str, worker: Worker) -> None:
    result = await client.execute_workflow(GreetingWorkflow.run, "World", id="hello",
                                           task_queue=task_queue)
    assert result == "Hello, World!"


async def test_multiple_args_and_dataclasses(client: Client, task_queue: str,
                                             worker: Worker) -> None:
    result = await client.execute_workflow(
        PeopleWorkflow.run, args=[Person("Ada", 36), "!", 2], id="people",
        task_queue=task_queue)
    assert result == [Greeting("Hi Ada!", 64), Greeting("Hi Ada!", 64)]
    # By name, without type information: plain JSON values.
    handle = client.get_workflow_handle("people")
    assert await handle.result() == [{"text": "Hi Ada!", "years_to_100": 64}] * 2


async def test_info_sync_activity_and_timer(client: Client, task_queue: str,
                                            worker: Worker) -> None:
    handle = await client.start_workflow(InfoWorkflow.run, id="info", task_queue=task_queue)
    result = await handle.result()
    assert result["sync"] == {"tag": "t", "type": "sync-info", "attempt": 1, "wf": "info",
                              "token": True, "thread": result["sync"]["thread"]}
    assert result["sync"]["thread"].startswith("act")
    assert result["wf"] == ["info", handle.run_id, "InfoWorkflow", task_queue, 1]
    assert result["now"] >= 2024
    desc = await handle.describe()
    assert desc.status == WorkflowExecutionStatus.COMPLETED
    assert desc.workflow_type == "InfoWorkflow"
    history = await handle.fetch_history()
    kinds = [e.WhichOneof("attributes") for e in history.events]
    assert kinds[0] == "workflow_execution_started"
    assert kinds[-1] == "workflow_execution_completed"
    assert "timer_fired" in kinds and "activity_task_completed" in kinds


async def test_activity_retries_per_policy(client: Client, task_queue: str,
                                           worker: Worker) -> None:
    assert await client.execute_workflow(RetryWorkflow.run, id="retry",
                                         task_queue=task_queue) == 40


async def test_activity_error_reaches_the_workflow_with_its_cause(
        client: Client, task_queue: str, worker: Worker) -> None:
    result = await client.execute_workflow(CatchesActivityError.run, id="catch",
                                           task_queue=task_queue)
    assert result == ["ActivityError", "always_fails", "DiskFull", "the disk is full",
                      [{"free": 0}]]


async def test_workflow_failure_has_the_cause_chain(client: Client, task_queue: str,
                                                    worker: Worker) -> None:
    with pytest.raises(WorkflowFailureError) as info:
        await client.execute_workflow(LetsActivityErrorEscape.run, id="escape",
                                      task_queue=task_queue)
    act_err = info.value.cause
    assert isinstance(act_err, ActivityError)
    assert isinstance(act_err.cause, ApplicationError)
    assert act_err.cause.type == "DiskFull"

    with pytest.raises(WorkflowFailureError) as info:
        await client.execute_workflow(RaisesApplicationError.run, 7, id="raises",
                                      task_queue=task_queue)
    err = info.value.cause
    assert isinstance(err, ApplicationError)
    assert (err.type, err.message, err.non_retryable) == ("TooBig", "cannot handle 7", True)
    desc = await client.get_workflow_handle("raises").describe()
    assert desc.status == WorkflowExecutionStatus.FAILED


async def test_unregistered_activity_fails_the_attempt_with_a_clear_error(
        client: Client, task_queue: str, worker: Worker) -> None:
    result = await client.execute_workflow(CallsMissingActivity.run, id="missing-act",
                                           task_queue=task_queue)
    assert result.startswith("NotFoundError: activity type 'no_such_activity' is not registered")
    assert "compose_greeting" in result


async def test_durable_timer(client: Client, task_queue: str, worker: Worker) -> None:
    assert await client.execute_workflow(Waits.run, 0.2, id="waits",
                                         task_queue=task_queue) == "woke"


async def test_unserializable_argument_writes_nothing(client: Client, task_queue: str) -> None:
    with pytest.raises(PayloadConversionError):
        await client.start_workflow(GreetingWorkflow.run, object(), id="bad-arg",
                                    task_queue=task_queue)
    with pytest.raises(NotFoundError):
        await client.get_workflow_handle("bad-arg").describe()


async def test_second_start_of_a_running_id_is_refused(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow(GreetingWorkflow.run, "a", id="dup",
                                         task_queue=task_queue)
    with pytest.raises(WorkflowAlreadyStartedError) as info:
        await client.start_workflow(GreetingWorkflow.run, "b", id="dup", task_queue=task_queue)
    assert info.value.workflow_id == "dup"
    # Nothing was lost: the first run still completes once a worker comes.
    async with Worker(client, task_queue=task_queue, workflows=[GreetingWorkflow],
                      activities=[compose_greeting]):
        assert await handle.result() == "Hello, a!"


async def test_closed_workflow_id_can_be_started_again(client: Client, task_queue: str,
                                                       worker: Worker) -> None:
    h1 = await client.start_workflow(GreetingWorkflow.run, "one", id="again",
                                     task_queue=task_queue)
    assert await h1.result() == "Hello, one!"
    h2 = await client.start_workflow(GreetingWorkflow.run, "two", id="again",
                                     task_queue=task_queue)
    assert h2.run_id != h1.run_id
    assert await h2.result() == "Hello, two!"
    assert await h1.result() == "Hello, one!"  # a handle on a run keeps its result
    assert await client.get_workflow_handle("again").result() == "Hello, two!"


async def test_unknown_workflow_type_fails_the_task_and_keeps_the_workflow(
        client: Client, task_queue: str) -> None:
    handle = await client.start_workflow("GreetingWorkflow", "late", id="unknown-type",
                                         task_queue=task_queue)
    async with Worker(client, task_queue=task_queue, workflows=[Waits]):
        failed = await _wait_for_event(handle, "workflow_task_failed")
    f = failed.workflow_task_failed.failure
    assert "workflow type 'GreetingWorkflow' is not registered" in f.message
    assert "['Waits']" in f.message
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    # Deploying the type fixes it.
    async with Worker(client, task_queue=task_queue, workflows=[GreetingWorkflow],
                      activities=[compose_greeting]):
        assert await asyncio.wait_for(handle.result(), 60) == "Hello, late!"


async def test_worker_run_and_shutdown(client: Client, task_queue: str) -> None:
    w = Worker(client, task_queue=task_queue, workflows=[GreetingWorkflow],
               activities=[compose_greeting], max_cached_workflows=0)
    run = asyncio.create_task(w.run())
    try:
        assert await client.execute_workflow(GreetingWorkflow.run, "run", id="run-form",
                                             task_queue=task_queue) == "Hello, run!"
    finally:
        await w.shutdown()
    await asyncio.wait_for(run, 30)
    with pytest.raises(RuntimeError, match="already started"):
        await w.run()


async def test_max_cached_workflows_zero_replays_every_task(client: Client,
                                                            task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[PeopleWorkflow],
                      activities=[greet_person], max_cached_workflows=0):
        result = await client.execute_workflow(
            PeopleWorkflow.run, args=[Person("Bo", 50), ".", 3], id="nocache",
            task_queue=task_queue)
    assert result == [Greeting("Hi Bo.", 50)] * 3


async def test_connect_targets(tmp_path: Any) -> None:
    from durable import _transport
    from durable.exceptions import UnavailableError

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UnavailableError, match=f"127.0.0.1:{port}"):
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: _transport.open_transport(f"127.0.0.1:{port}", connect_timeout=0.5))
    with pytest.raises(ValueError):
        await Client.connect("")
    c1 = await Client.connect(f"embedded:{tmp_path}/e")
    c2 = await Client.connect(str(tmp_path / "e"))  # same directory: shares the engine
    assert c1.transport.root is c2.transport.root
    await c1.close()
    await c2.close()


async def _wait_for_event(handle: Any, kind: str, timeout: float = 30.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        history = await handle.fetch_history()
        for e in history.events:
            if e.WhichOneof("attributes") == kind:
                return e
        if asyncio.get_running_loop().time() > deadline:
            kinds = [e.WhichOneof("attributes") for e in history.events]
            raise AssertionError(f"no {kind} event within {timeout}s; history: {kinds}")
        await asyncio.sleep(0.05)
