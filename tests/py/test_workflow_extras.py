"""workflow.time_ns, instance, memo, memo_value, uuid7 (temporalio's names)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from durable import workflow
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
