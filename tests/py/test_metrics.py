"""Prometheus metrics, scraped before and after a batch of workflows (docs/metrics.md).

durable-server's ``--metrics`` endpoint: counters move by exactly what the batch did
(started, completed, failed by workflow type), schedule-to-start histograms count the
dispatched tasks, queue gauges and RocksDB gauges exist. The SDK side (a worker whose client
has a ``Runtime`` with ``PrometheusConfig``): workflow-task and activity latency histograms
and the sticky cache gauge, on both transports.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from durable import activity, workflow
from durable._server_process import ServerProcess
from durable.client import Client, WorkflowFailureError
from durable.common import RetryPolicy
from durable.exceptions import ActivityError, ApplicationError
from durable.runtime import PrometheusConfig, Runtime, TelemetryConfig
from durable.worker import Worker

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

N_OK, N_FAIL = 3, 2


@activity.defn
async def metrics_step(fail: bool) -> str:
    activity.metric_meter().create_counter("metrics_step_calls", "Calls").add(1)
    if fail:
        raise ApplicationError("step failed", type="StepFailed", non_retryable=True)
    return "ok"


@workflow.defn
class MetricsWorkflow:
    @workflow.run
    async def run(self, fail: bool) -> str:
        # Once per run, however often the run is replayed (the meter is silent on replay).
        workflow.metric_meter().create_counter("metrics_workflow_runs", "Runs").add(1)
        try:
            return await workflow.execute_activity(
                metrics_step, fail, start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=1))
        except ActivityError as e:
            raise ApplicationError("the step failed", type="RunFailed") from e


def scrape(address: str) -> Samples:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as r:
        text = r.read().decode()
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 if none)."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


def has(samples: Samples, name: str, **labels: str) -> bool:
    want = set(labels.items())
    return any(n == name and want <= ls for (n, ls) in samples)


async def run_batch(client: Client, task_queue: str, max_cached_workflows: int = 1000) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[MetricsWorkflow],
                      activities=[metrics_step], max_cached_workflows=max_cached_workflows):
        handles = [await client.start_workflow(MetricsWorkflow.run, i >= N_OK,
                                               id=f"metrics-{uuid.uuid4().hex[:8]}",
                                               task_queue=task_queue)
                   for i in range(N_OK + N_FAIL)]
        for i, h in enumerate(handles):
            if i < N_OK:
                assert await h.result() == "ok"
            else:
                with pytest.raises(WorkflowFailureError):
                    await h.result()


def metrics_address(proc: ServerProcess) -> str:
    for line in proc.log:
        m = re.search(r"durable-server metrics on http://(\S+)/metrics", line)
        if m:
            return m.group(1)
    raise AssertionError(f"no metrics line in the server's log: {proc.log}")


@pytest.fixture
def metrics_server(tmp_path: Path) -> Any:
    proc = ServerProcess(str(tmp_path / "server"),
                         args=["--relaxed-writes", "--metrics", "127.0.0.1:0"])
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def runtime() -> Any:
    rt = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address="127.0.0.1:0")))
    try:
        yield rt
    finally:
        rt.shutdown()


async def test_server_counters_move_by_the_batch(metrics_server: ServerProcess,
                                                 task_queue: str) -> None:
    address = metrics_address(metrics_server)
    before = scrape(address)
    client = await Client.connect(metrics_server.address)
    try:
        await run_batch(client, task_queue)
    finally:
        await client.close()
    after = scrape(address)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    wf = {"namespace": "default", "workflow_type": "MetricsWorkflow"}
    assert delta("durable_workflow_started_total", **wf) == N_OK + N_FAIL
    assert delta("durable_workflow_completed_total", **wf) == N_OK
    assert delta("durable_workflow_failed_total", **wf) == N_FAIL
    assert delta("durable_workflow_timed_out_total", **wf) == 0
    queue = {"namespace": "default", "task_queue": task_queue}
    # Each run: a first workflow task, one activity, a workflow task after it.
    assert delta("durable_task_schedule_to_start_seconds_count", task_kind="workflow",
                 **queue) >= 2 * (N_OK + N_FAIL)
    assert delta("durable_task_schedule_to_start_seconds_count", task_kind="activity",
                 **queue) == N_OK + N_FAIL
    assert has(after, "durable_task_queue_depth", task_kind="workflow", **queue)
    assert has(after, "durable_task_queue_pollers", task_kind="activity", **queue)
    assert delta("durable_transitions_total", namespace="default") >= 3 * (N_OK + N_FAIL)
    assert delta("durable_wal_syncs_total", namespace="default") == 0  # --relaxed-writes
    assert value(after, "durable_rocksdb_estimate_num_keys", namespace="default") > 0


def test_server_metrics_address_taken_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = ServerProcess(str(tmp_path / "server"),
                             args=["--metrics", f"127.0.0.1:{port}"])
        with pytest.raises(RuntimeError, match=f"--metrics: cannot listen on 127.0.0.1:{port}"):
            proc.start()
        proc.stop()


async def test_sdk_metrics_of_a_worker(client: Client, runtime: Runtime,
                                       task_queue: str) -> None:
    before = scrape(runtime.prometheus_address)
    metered = Client(**{**client.config(), "runtime": runtime})
    await run_batch(metered, task_queue)
    after = scrape(runtime.prometheus_address)
    queue = {"namespace": "default", "task_queue": task_queue}

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("durable_activity_execution_latency_seconds_count",
                 activity_type="metrics_step", **queue) == N_OK + N_FAIL
    assert delta("durable_workflow_task_execution_latency_seconds_count",
                 workflow_type="MetricsWorkflow", **queue) >= 2 * (N_OK + N_FAIL)
    assert has(after, "durable_sticky_cache_size", **queue)
    # What the activity recorded on activity.metric_meter(), with the worker's attributes.
    assert delta("metrics_step_calls_total", activity_type="metrics_step",
                 **queue) == N_OK + N_FAIL
    assert delta("metrics_workflow_runs_total", workflow_type="MetricsWorkflow",
                 **queue) == N_OK + N_FAIL


@workflow.defn
class WaitsForSignal:
    def __init__(self) -> None:
        self._go = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self._go)
        return "went"

    @workflow.signal
    def go(self) -> None:
        self._go = True


async def wait_for_value(address: str, expected: float, name: str, **labels: str) -> None:
    """Scrapes until the metric has the expected value (a condition, bounded by a deadline)."""
    deadline = time.monotonic() + 30
    while (got := value(scrape(address), name, **labels)) != expected:
        assert time.monotonic() < deadline, f"{name}{labels} stayed {got}, expected {expected}"
        await asyncio.sleep(0.05)


async def test_sticky_cache_size_counts_open_runs(client: Client, runtime: Runtime,
                                                  task_queue: str) -> None:
    metered = Client(**{**client.config(), "runtime": runtime})
    queue = {"namespace": "default", "task_queue": task_queue}
    async with Worker(metered, task_queue=task_queue, workflows=[WaitsForSignal]):
        h = await metered.start_workflow(WaitsForSignal.run, id=f"sticky-{uuid.uuid4().hex[:8]}",
                                         task_queue=task_queue)
        await wait_for_value(runtime.prometheus_address, 1, "durable_sticky_cache_size", **queue)
        await h.signal(WaitsForSignal.go)
        assert await h.result() == "went"
        # A closed run leaves the cache.
        await wait_for_value(runtime.prometheus_address, 0, "durable_sticky_cache_size", **queue)


async def test_workflow_meter_is_silent_on_replay(client: Client, runtime: Runtime,
                                                  task_queue: str) -> None:
    # No sticky cache: every workflow task replays the run from its first event.
    metered = Client(**{**client.config(), "runtime": runtime})
    await run_batch(metered, task_queue, max_cached_workflows=0)
    after = scrape(runtime.prometheus_address)
    queue = {"namespace": "default", "task_queue": task_queue}
    assert value(after, "metrics_workflow_runs_total", workflow_type="MetricsWorkflow",
                 **queue) == N_OK + N_FAIL
    assert value(after, "durable_sticky_cache_size", **queue) == 0


async def test_metric_meter_of_a_runtime_records_and_checks(runtime: Runtime) -> None:
    meter = runtime.metric_meter.with_additional_attributes({"app": "a"})
    c = meter.create_counter("app_requests", "Requests")
    c.add(2, {"route": "x"})
    c.add(3, {"route": "x"})
    meter.create_histogram_timedelta("app_wait_seconds").record(timedelta(milliseconds=20))
    meter.create_gauge("app_inflight").set(7)
    with pytest.raises(ValueError):
        c.add(-1)
    with pytest.raises(TypeError):
        c.add(1, {"bad": object()})  # type: ignore[dict-item]
    s = scrape(runtime.prometheus_address)
    assert value(s, "app_requests_total", app="a", route="x") == 5
    assert value(s, "app_wait_seconds_count", app="a") == 1
    assert value(s, "app_wait_seconds_sum", app="a") == pytest.approx(0.02)
    assert value(s, "app_inflight", app="a") == 7
