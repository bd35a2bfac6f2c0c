"""workflow.time_ns, instance, memo, memo_value, uuid7, and the summary= keywords
(temporalio's names)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from durable import activity, workflow
from durable.client import Client
from durable.worker import Replayer, Worker


@dataclass
class Owner:
    name: str
    team: str


@workflow.defn
class ExtrasWorkflow:
    @workflow.run
    async def run(self) -> dict[str, object]:
        first = workflow.uuid7()
        second = workflow.uuid7()
        try:
            workflow.memo_value("absent")
            missing = "no error"
        except KeyError as e:
            missing = str(e)
        return {
            "time_ns": workflow.time_ns() // 1000 == round(workflow.time() * 1e6),
            "instance": workflow.instance() is self,
            "memo": dict(workflow.memo()),
            "owner_typed": isinstance(workflow.memo_value("owner", type_hint=Owner), Owner),
            "default": workflow.memo_value("absent", "fallback"),
            "missing": missing,
            # Version 7, RFC 9562 variant, the workflow time's milliseconds in front.
            "uuid7": [first.version, first.variant == "specified in RFC 4122",
                      first.int >> 80 == workflow.time_ns() // 1_000_000 == second.int >> 80],
            "uuids": [str(first), str(second)],
        }


async def test_extras(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[ExtrasWorkflow]):
        result = await client.execute_workflow(
            ExtrasWorkflow.run, id=f"{task_queue}-x", task_queue=task_queue,
            memo={"owner": Owner("ada", "core"), "tier": 2})
    uuids = result.pop("uuids")
    assert result == {
        "time_ns": True, "instance": True,
        "memo": {"owner": {"name": "ada", "team": "core"}, "tier": 2},
        "owner_typed": True, "default": "fallback", "missing": "\"memo has no key 'absent'\"",
        "uuid7": [7, True, True],
    }
    # Deterministic: the run replays without a non-determinism error.
    history = await client.get_workflow_handle(f"{task_queue}-x").fetch_history()
    await Replayer(workflows=[ExtrasWorkflow]).replay_workflow(history)
    assert len(set(uuids)) == 2


def test_extras_need_a_workflow() -> None:
    for fn in (workflow.time_ns, workflow.instance, workflow.memo, workflow.uuid7):
        with pytest.raises(RuntimeError, match="not in workflow code"):
            fn()


@activity.defn
async def noted(x: int) -> int:
    return x + 1


@workflow.defn
class SummaryWorkflow:
    @workflow.run
    async def run(self) -> int:
        # temporalio's UI notes are accepted (and not recorded) so ported code runs.
        a = await workflow.execute_activity(noted, 1, summary="first step",
                                            start_to_close_timeout=timedelta(seconds=10))
        b = await workflow.execute_local_activity(noted, a, summary="local step",
                                                  start_to_close_timeout=timedelta(seconds=10))
        await workflow.sleep(0.01, summary="pause")
        await workflow.wait_condition(lambda: True, timeout=5, timeout_summary="no wait")
        try:
            workflow.start_activity(noted, 0, summary=42,  # type: ignore[arg-type]
                                    start_to_close_timeout=timedelta(seconds=10))
        except TypeError:
            return b
        return -1


async def test_summaries_are_accepted(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[SummaryWorkflow],
                      activities=[noted]):
        assert await client.execute_workflow(SummaryWorkflow.run, id=f"{task_queue}-s",
                                             task_queue=task_queue) == 3
