"""durable.contrib.opentelemetry.TracingInterceptor: the spans of a client call, the workflow
run, its handlers, activities and a child, in one trace with the parent chain carried in
headers; failures recorded; no span recorded twice when a run is replayed on a new worker."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from durable import activity, workflow
from durable.client import Client, WorkflowFailureError
from durable.common import RetryPolicy
from durable.contrib.opentelemetry import TracingInterceptor
from durable.exceptions import ApplicationError
from durable.worker import Worker
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

_OPTS: dict[str, Any] = {"start_to_close_timeout": timedelta(seconds=30)}


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    yield InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    p = TracerProvider()
    p.add_span_processor(SimpleSpanProcessor(exporter))
    yield p
    p.shutdown()


def _traced(client: Client, provider: TracerProvider) -> Client:
    return Client(**{**client.config(),
                     "interceptors": [TracingInterceptor(provider.get_tracer("test"))]})


def _by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    counts = Counter(s.name for s in spans)
    assert [n for n, c in counts.items() if c > 1] == [], counts
    return {s.name: s for s in spans}


def _parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def _id(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.span_id


@activity.defn
async def step(name: str) -> str:
    return f"step {name}"


@activity.defn
async def child_step() -> str:
    return "child step"


@workflow.defn
class ChildTraced:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(child_step, **_OPTS)


@workflow.defn
class ParentTraced:
    def __init__(self) -> None:
        self.finished = False
        self.bumps = 0

    @workflow.run
    async def run(self) -> list[str]:
        out = [await workflow.execute_activity(step, "parent", **_OPTS)]
        out.append(await workflow.execute_child_workflow(
            ChildTraced.run, id=f"{workflow.info().workflow_id}-child"))
        await workflow.wait_condition(lambda: self.finished)
        return out

    @workflow.signal
    def finish(self) -> None:
        self.finished = True

    @workflow.query
    def bumped(self) -> int:
        return self.bumps

    @workflow.update
    def bump(self) -> int:
        self.bumps += 1
        return self.bumps

    @bump.validator
    def check_bump(self) -> None:
        pass


async def test_one_trace_from_the_client_to_the_childs_activity(
        client: Client, task_queue: str, provider: TracerProvider,
        exporter: InMemorySpanExporter) -> None:
    traced = _traced(client, provider)
    wf_id = f"{task_queue}-parent"
    async with Worker(traced, task_queue=task_queue, workflows=[ParentTraced, ChildTraced],
                      activities=[step, child_step]):
        with provider.get_tracer("test").start_as_current_span("test-root") as root:
            handle = await traced.start_workflow(ParentTraced.run, id=wf_id,
                                                 task_queue=task_queue)
            assert await handle.execute_update(ParentTraced.bump) == 1
            assert await handle.query(ParentTraced.bumped) == 1
            await handle.signal(ParentTraced.finish)
            assert await handle.result() == ["step parent", "child step"]
    spans = exporter.get_finished_spans()
    s = _by_name(spans)
    assert {sp.context.trace_id for sp in spans} == {root.get_span_context().trace_id}
    root_id = root.get_span_context().span_id
    start = s["StartWorkflow:ParentTraced"]
    child_start = s["StartChildWorkflow:ChildTraced"]
    expected_parents = {
        "StartWorkflow:ParentTraced": root_id,
        "RunWorkflow:ParentTraced": _id(start),
        "StartActivity:step": _id(start),
        "RunActivity:step": _id(s["StartActivity:step"]),
        "StartChildWorkflow:ChildTraced": _id(start),
        "RunWorkflow:ChildTraced": _id(child_start),
        "StartActivity:child_step": _id(child_start),
        "RunActivity:child_step": _id(s["StartActivity:child_step"]),
        "CompleteWorkflow:ChildTraced": _id(child_start),
        "StartWorkflowUpdate:bump": root_id,
        "HandleUpdateValidator:bump": _id(s["StartWorkflowUpdate:bump"]),
        "HandleUpdateHandler:bump": _id(s["StartWorkflowUpdate:bump"]),
        "QueryWorkflow:bumped": root_id,
        "HandleQuery:bumped": _id(s["QueryWorkflow:bumped"]),
        "SignalWorkflow:finish": root_id,
        "HandleSignal:finish": _id(s["SignalWorkflow:finish"]),
        "CompleteWorkflow:ParentTraced": _id(start),
    }
    assert sorted(s) == sorted([*expected_parents, "test-root"])
    assert {n: _parent_of(s[n]) for n in expected_parents} == expected_parents
    for name, wf in (("RunActivity:step", wf_id), ("RunActivity:child_step", f"{wf_id}-child"),
                     ("StartActivity:child_step", f"{wf_id}-child")):
        assert s[name].attributes["temporalWorkflowID"] == wf
    assert s["RunActivity:step"].attributes["temporalActivityID"]
    assert s["RunActivity:step"].attributes["temporalRunID"] == handle.result_run_id
    assert s["RunActivity:step"].kind == SpanKind.SERVER
    run = s["RunWorkflow:ParentTraced"]
    assert run.attributes["temporalWorkflowID"] == wf_id
    assert run.attributes["temporalRunID"] == handle.result_run_id
    assert start.attributes["temporalRunID"] == handle.result_run_id
    assert run.start_time == run.end_time  # workflow spans have no duration
    assert start.kind == SpanKind.CLIENT and run.kind == SpanKind.SERVER
    # A handler's parent is its caller's span; it links to the workflow's start span.
    assert [link.context.span_id for link in s["HandleSignal:finish"].links] == [_id(start)]
    # The context travels as a JSON payload under "_tracer-data" (W3C traceparent).
    started = (await handle.fetch_history()).events[0].workflow_execution_started
    assert b'"traceparent"' in started.header["_tracer-data"].data
    assert started.header["_tracer-data"].metadata["encoding"] == b"json/plain"


_flaky_attempts: list[int] = []


@activity.defn
async def flaky() -> str:
    _flaky_attempts.append(activity.info().attempt)
    if activity.info().attempt == 1:
        raise RuntimeError("first attempt fails")
    return "ok"


@activity.defn
async def doomed() -> None:
    raise ApplicationError("no way", non_retryable=True)


@workflow.defn
class FailingTraced:
    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(
            flaky, **_OPTS, retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=10),
                                                     maximum_attempts=2))
        await workflow.execute_activity(doomed, **_OPTS)


async def test_activity_and_workflow_failures_are_recorded(
        client: Client, task_queue: str, provider: TracerProvider,
        exporter: InMemorySpanExporter) -> None:
    traced = _traced(client, provider)
    _flaky_attempts.clear()
    async with Worker(traced, task_queue=task_queue, workflows=[FailingTraced],
                      activities=[flaky, doomed]):
        with pytest.raises(WorkflowFailureError):
            await traced.execute_workflow(FailingTraced.run, id=f"{task_queue}-fail",
                                          task_queue=task_queue)
    spans = exporter.get_finished_spans()
    assert _flaky_attempts == [1, 2]
    attempts = [sp for sp in spans if sp.name == "RunActivity:flaky"]
    assert [sp.status.status_code for sp in attempts] == [StatusCode.ERROR, StatusCode.UNSET]
    assert [e.name for e in attempts[0].events] == ["exception"]
    assert attempts[0].events[0].attributes["exception.message"] == "first attempt fails"
    # One StartActivity for both attempts: a retry is not a new schedule.
    assert [sp.name for sp in spans].count("StartActivity:flaky") == 1
    (failed,) = [sp for sp in spans if sp.name == "RunActivity:doomed"]
    assert failed.status.status_code == StatusCode.ERROR
    assert "no way" in (failed.status.description or "")
    (complete,) = [sp for sp in spans if sp.name == "CompleteWorkflow:FailingTraced"]
    assert complete.status.status_code == StatusCode.ERROR
    assert [e.name for e in complete.events] == ["exception"]
    (start,) = [sp for sp in spans if sp.name == "StartWorkflow:FailingTraced"]
    assert start.status.status_code == StatusCode.UNSET  # the start itself succeeded
    assert {sp.context.trace_id for sp in spans} == {start.context.trace_id}


_replays: list[bool] = []


@workflow.defn
class WaitsTraced:
    def __init__(self) -> None:
        self.released = False

    @workflow.run
    async def run(self) -> list[str]:
        _replays.append(workflow.unsafe.is_replaying())
        out = [await workflow.execute_activity(step, "before", **_OPTS)]
        await workflow.wait_condition(lambda: self.released)
        out.append(await workflow.execute_activity(step, "after", **_OPTS))
        return out

    @workflow.signal
    def release(self) -> None:
        self.released = True


async def _until_waiting_after_the_first_activity(handle: Any) -> None:
    """Until the workflow task that followed the activity's completion has completed (the
    run now waits for the signal). Reads history: a query would be traced."""
    while True:
        kinds = [e.WhichOneof("attributes") for e in (await handle.fetch_history()).events]
        if "activity_task_completed" in kinds and kinds[-1] == "workflow_task_completed":
            return
        await asyncio.sleep(0.02)


async def test_a_run_replayed_on_a_new_worker_records_no_span_twice(
        client: Client, task_queue: str, provider: TracerProvider,
        exporter: InMemorySpanExporter) -> None:
    traced = _traced(client, provider)
    _replays.clear()
    worker_args: dict[str, Any] = {"task_queue": task_queue, "workflows": [WaitsTraced],
                                       "activities": [step]}
    async with Worker(traced, **worker_args):
        handle = await traced.start_workflow(WaitsTraced.run, id=f"{task_queue}-waits",
                                             task_queue=task_queue)
        await _until_waiting_after_the_first_activity(handle)
    before = Counter(sp.name for sp in exporter.get_finished_spans())
    assert before == Counter({"StartWorkflow:WaitsTraced": 1, "RunWorkflow:WaitsTraced": 1,
                              "StartActivity:step": 1, "RunActivity:step": 1})
    async with Worker(traced, **worker_args):  # a new cache: it replays the run
        await handle.signal(WaitsTraced.release)
        assert await handle.result() == ["step before", "step after"]
    assert _replays == [False, True]  # the second worker did replay the start
    spans = exporter.get_finished_spans()
    assert Counter(sp.name for sp in spans) == Counter({
        "StartWorkflow:WaitsTraced": 1, "RunWorkflow:WaitsTraced": 1,
        "StartActivity:step": 2, "RunActivity:step": 2, "SignalWorkflow:release": 1,
        "HandleSignal:release": 1, "CompleteWorkflow:WaitsTraced": 1})
    start = next(sp for sp in spans if sp.name == "StartWorkflow:WaitsTraced")
    # The second worker's spans hang from the same start span (read from history).
    assert [sp.name for sp in spans if _parent_of(sp) == _id(start)] == [
        "RunWorkflow:WaitsTraced", "StartActivity:step", "StartActivity:step",
        "CompleteWorkflow:WaitsTraced"]


@workflow.defn
class Untraced:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(step, "alone", **_OPTS)


async def test_workflow_spans_need_a_propagated_parent_unless_always(
        client: Client, task_queue: str, provider: TracerProvider,
        exporter: InMemorySpanExporter) -> None:
    tracer = provider.get_tracer("test")
    async with Worker(client, task_queue=task_queue, workflows=[Untraced], activities=[step],
                      interceptors=[TracingInterceptor(tracer)]):
        await client.execute_workflow(Untraced.run, id=f"{task_queue}-1", task_queue=task_queue)
    # Started by an untraced client: no workflow spans; the activity is a root of its own.
    assert [sp.name for sp in exporter.get_finished_spans()] == ["RunActivity:step"]
    exporter.clear()
    async with Worker(client, task_queue=task_queue, workflows=[Untraced], activities=[step],
                      interceptors=[TracingInterceptor(tracer,
                                                       always_create_workflow_spans=True)]):
        await client.execute_workflow(Untraced.run, id=f"{task_queue}-2", task_queue=task_queue)
    spans = exporter.get_finished_spans()
    assert sorted(sp.name for sp in spans) == [
        "CompleteWorkflow:Untraced", "RunActivity:step", "RunWorkflow:Untraced",
        "StartActivity:step"]
    run = next(sp for sp in spans if sp.name == "RunWorkflow:Untraced")
    assert run.parent is None


async def test_signal_with_start_is_one_span_the_run_and_handler_hang_from(
        client: Client, task_queue: str, provider: TracerProvider,
        exporter: InMemorySpanExporter) -> None:
    traced = _traced(client, provider)
    async with Worker(traced, task_queue=task_queue, workflows=[WaitsTraced],
                      activities=[step]):
        handle = await traced.start_workflow(WaitsTraced.run, id=f"{task_queue}-sws",
                                             task_queue=task_queue,
                                             start_signal=WaitsTraced.release)
        assert await handle.result() == ["step before", "step after"]
    s = _by_name(tuple(sp for sp in exporter.get_finished_spans()
                       if not sp.name.endswith("Activity:step")))
    start = s["SignalWithStartWorkflow:WaitsTraced"]
    assert start.parent is None and "StartWorkflow:WaitsTraced" not in s
    assert _parent_of(s["RunWorkflow:WaitsTraced"]) == _id(start)
    assert _parent_of(s["HandleSignal:release"]) == _id(start)


_tracer_for_sync: list[Any] = []


@activity.defn
def sync_step() -> str:
    # In the executor's thread: the attempt's span is current, so this one hangs from it.
    with _tracer_for_sync[0].start_as_current_span("inside sync_step"):
        return "sync"


@workflow.defn
class LocalAndSync:
    @workflow.run
    async def run(self) -> list[str]:
        return [await workflow.execute_local_activity(step, "local", **_OPTS),
                await workflow.execute_activity(sync_step, **_OPTS)]


async def test_local_and_thread_pool_activities_are_traced(
        client: Client, task_queue: str, provider: TracerProvider,
        exporter: InMemorySpanExporter) -> None:
    import concurrent.futures

    traced = _traced(client, provider)
    _tracer_for_sync[:] = [provider.get_tracer("test")]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        async with Worker(traced, task_queue=task_queue, workflows=[LocalAndSync],
                          activities=[step, sync_step], activity_executor=pool):
            assert await traced.execute_workflow(LocalAndSync.run, id=f"{task_queue}-ls",
                                                 task_queue=task_queue) == ["step local", "sync"]
    s = _by_name(exporter.get_finished_spans())
    assert _parent_of(s["RunActivity:step"]) == _id(s["StartActivity:step"])
    assert _parent_of(s["RunActivity:sync_step"]) == _id(s["StartActivity:sync_step"])
    assert _parent_of(s["inside sync_step"]) == _id(s["RunActivity:sync_step"])
