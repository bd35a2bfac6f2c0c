"""Logging as temporalio does it: a workflow-task failure is a WARNING with its traceback on
a logger named after durable's module (so logging configuration and filters apply);
workflow.logger and activity.logger put the workflow / activity context on each record
(``extra``), and workflow.logger is silent while history is replayed."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from durable import activity, workflow
from durable.client import Client
from durable.worker import Worker

_failures_left: dict[str, int] = {}


@activity.defn
async def noisy(x: int) -> int:
    activity.logger.info("activity got %d", x)
    return x + 1


@workflow.defn
class LoggingWorkflow:
    @workflow.run
    async def run(self, key: str) -> int:
        workflow.logger.info("before the activity")
        if _failures_left.get(key, 0) > 0:
            _failures_left[key] -= 1
            raise RuntimeError("a bug in the workflow: fails the task, not the workflow")
        y = await workflow.execute_activity(noisy, 1, start_to_close_timeout=timedelta(seconds=30))
        workflow.logger.info("after the activity: %d", y)
        return y


class _KeepWorkflowTaskFailures(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.seen.append(record)
        return False  # a user's filter decides: this one drops them


async def test_workflow_task_failure_is_a_warning_with_traceback(
        client: Client, task_queue: str, caplog: pytest.LogCaptureFixture) -> None:
    key = f"{task_queue}-fail"
    _failures_left[key] = 1
    task_logger = logging.getLogger("durable.worker._workflow_instance")
    keep = _KeepWorkflowTaskFailures()
    task_logger.addFilter(keep)
    try:
        async with Worker(client, task_queue=task_queue, workflows=[LoggingWorkflow],
                          activities=[noisy]):
            assert await client.execute_workflow(LoggingWorkflow.run, key, id=key,
                                                 task_queue=task_queue) == 2
    finally:
        task_logger.removeFilter(keep)
    [record] = [r for r in keep.seen if r.getMessage().startswith("Failed activation")]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (f"Failed activation on workflow LoggingWorkflow with ID "
                                   f"{key} and run ID {record.run_id}")  # type: ignore[attr-defined]
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
    assert record.workflow_id == key  # type: ignore[attr-defined]
    # The filter dropped it: it reached no handler.
    assert not [r for r in caplog.records if r.getMessage().startswith("Failed activation")]


async def test_loggers_add_context_and_workflow_logger_skips_replay(
        client: Client, task_queue: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="durable.workflow")
    caplog.set_level(logging.INFO, logger="durable.activity")
    key = f"{task_queue}-ctx"
    # No cache: every workflow task replays the run from its start.
    async with Worker(client, task_queue=task_queue, workflows=[LoggingWorkflow],
                      activities=[noisy], max_cached_workflows=0):
        handle = await client.start_workflow(LoggingWorkflow.run, key, id=key,
                                             task_queue=task_queue)
        assert await handle.result() == 2
    wf = [r for r in caplog.records if r.name == "durable.workflow"]
    assert [r.getMessage().split(" (")[0] for r in wf] == ["before the activity",
                                                           "after the activity: 2"]
    for r in wf:
        assert (r.workflow_id, r.run_id, r.workflow_type) == (  # type: ignore[attr-defined]
            key, handle.run_id, "LoggingWorkflow")
    [act] = [r for r in caplog.records if r.name == "durable.activity"]
    assert act.getMessage().startswith("activity got 1")
    assert (act.activity_type, act.workflow_id, act.attempt) == (  # type: ignore[attr-defined]
        "noisy", key, 1)
    assert act.activity_id == "1"  # type: ignore[attr-defined]
