"""Determinism: workflow.now/random/uuid4/info/logger, and the guard on non-deterministic calls."""

from __future__ import annotations

import datetime as datetime_module
import logging
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import Client
from durable.worker import Replayer, Worker


@activity.defn
async def record(values: list[Any]) -> None:
    return None


@workflow.defn
class DeterministicWorkflow:
    @workflow.run
    async def run(self) -> dict[str, Any]:
        first = [workflow.now().isoformat(), workflow.random().random(), str(workflow.uuid4())]
        workflow.logger.info("step one of %s", workflow.info().workflow_id)
        # Recorded in history (the activity's input) by the first task that ran this code.
        await workflow.execute_activity(record, first, start_to_close_timeout=timedelta(seconds=5))
        await workflow.sleep(0.05)
        workflow.logger.info("step two")
        i = workflow.info()
        return {"first": first, "later_now": workflow.now().isoformat(),
                "info": [i.workflow_id, i.workflow_type, i.task_queue, i.attempt, i.run_id]}


async def test_now_random_uuid_are_the_same_on_replay(client: Client, task_queue: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="durable.workflow")
    # max_cached_workflows=0: every task replays the run from its first event, so the final
    # result is computed by a replay; it must equal what the first execution recorded.
    async with Worker(client, task_queue=task_queue, workflows=[DeterministicWorkflow],
                      activities=[record], max_cached_workflows=0):
        handle = await client.start_workflow(DeterministicWorkflow.run, id="det",
                                             task_queue=task_queue)
        result = await handle.result()
    history = await handle.fetch_history()
    scheduled = next(e.activity_task_scheduled for e in history.events
                     if e.HasField("activity_task_scheduled"))
    recorded = client.data_converter.payload_converter.from_payloads(
        list(scheduled.input.payloads))[0]
    assert result["first"] == recorded
    assert result["later_now"] > result["first"][0]
    assert result["info"] == ["det", "DeterministicWorkflow", task_queue, 1, handle.run_id]
    uuid.UUID(result["first"][2])  # a valid UUID
    # The replay-aware logger: each message once, though the code ran 3 times.
    messages = [r.getMessage() for r in caplog.records if r.name == "durable.workflow"]
    assert sum(m.startswith("step one of det") for m in messages) == 1
    assert sum(m.startswith("step two") for m in messages) == 1
    await Replayer(workflows=[DeterministicWorkflow]).replay_workflow(history)


def _socket() -> Any:
    s = socket.socket()
    s.close()


def _thread() -> None:
    threading.Thread(target=lambda: None).start()


def _open() -> None:
    open("/tmp/durable-guard-test.txt", "w").close()


FORBIDDEN: dict[str, Any] = {
    "time.time": time.time,
    "time.monotonic": time.monotonic,
    "time.sleep": lambda: time.sleep(0.001),
    "datetime.now": datetime.now,
    "datetime.utcnow": datetime.utcnow,
    "datetime.datetime.now": lambda: datetime_module.datetime.now(),
    "date.today": lambda: datetime_module.date.today(),
    "random.random": random.random,
    "random.randint": lambda: random.randint(1, 6),
    "uuid.uuid4": uuid.uuid4,
    "open": _open,
    "socket": _socket,
    "thread": _thread,
    "subprocess": lambda: subprocess.run(["true"]),
}


@workflow.defn
class ForbiddenCallsWorkflow:
    @workflow.run
    async def run(self) -> dict[str, str]:
        out = {}
        for name, call in FORBIDDEN.items():
            try:
                call()
                out[name] = "allowed"
            except workflow.NondeterminismGuardError as e:
                out[name] = str(e)
        # Dates are still built and compared normally.
        d = datetime(2024, 1, 2)
        out["isinstance"] = str(isinstance(d, datetime)
                                and type(d) is sys.modules["datetime"].datetime
                                and d == sys.modules["datetime"].datetime(2024, 1, 2))
        with workflow.unsafe.sandbox_unrestricted():
            out["unrestricted"] = str(time.time() > 0)
        return out


async def test_non_deterministic_calls_in_workflow_code_raise_a_clear_error(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[ForbiddenCallsWorkflow]):
        out = await client.execute_workflow(ForbiddenCallsWorkflow.run, id="forbidden",
                                            task_queue=task_queue)
    for name in FORBIDDEN:
        assert "is not allowed in workflow code" in out[name], (name, out[name])
    assert "workflow.now()" in out["time.time"]
    assert "workflow.now()" in out["datetime.now"]
    assert "workflow.random()" in out["random.random"]
    assert "workflow.uuid4()" in out["uuid.uuid4"]
    assert "asyncio.sleep()" in out["time.sleep"]
    assert "activity" in out["open"] and "activity" in out["socket"]
    assert "asyncio.create_task()" in out["thread"]
    assert out["isinstance"] == "True"
    assert out["unrestricted"] == "True"


def test_guarded_calls_pass_through_outside_workflows() -> None:
    for name, call in FORBIDDEN.items():
        if name == "datetime.utcnow" and sys.version_info >= (3, 12):
            # Deprecated from 3.12; the warning names this file, not durable's guard.
            with pytest.warns(DeprecationWarning, match="utcnow") as caught:
                call()
            assert caught[0].filename == __file__
        elif name not in ("open", "socket", "thread", "subprocess"):
            call()
    assert isinstance(datetime.now(), datetime)
    assert datetime.now().tzinfo is None

# What the guard costs outside workflow code is measured by bench/guard_overhead.py (a
# nanosecond budget asserted here could fail on a loaded machine).
