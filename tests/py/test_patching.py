"""Versioning with workflow.patched / deprecate_patch: old runs keep their branch."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import Client
from durable.exceptions import NondeterminismError
from durable.worker import Replayer, Worker

TIMEOUT = dict(start_to_close_timeout=timedelta(seconds=10))


def commands_only(history: Any) -> list[str]:
    return [e.WhichOneof("attributes") for e in history.events
            if not e.WhichOneof("attributes").startswith("workflow_task_")]


@activity.defn
async def ship_by_post(order: str) -> str:
    return f"{order} posted"


@activity.defn
async def ship_by_courier(order: str) -> str:
    return f"{order} couriered"


class _Base:
    def __init__(self) -> None:
        self.paid = False

    @workflow.signal
    def pay(self) -> None:
        self.paid = True


@workflow.defn(name="Shipping")
class ShippingV1(_Base):
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: self.paid)
        return await workflow.execute_activity(ship_by_post, order, **TIMEOUT)


@workflow.defn(name="Shipping")
class ShippingV2(_Base):
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: self.paid)
        if workflow.patched("courier"):
            return await workflow.execute_activity(ship_by_courier, order, **TIMEOUT)
        return await workflow.execute_activity(ship_by_post, order, **TIMEOUT)


@workflow.defn(name="Shipping")
class ShippingV3(_Base):
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: self.paid)
        workflow.deprecate_patch("courier")
        return await workflow.execute_activity(ship_by_courier, order, **TIMEOUT)


ACTIVITIES = [ship_by_post, ship_by_courier]


async def test_patched_workflow_replays_the_pre_patch_history(client: Client,
                                                              task_queue: str) -> None:
    # A run started (and completed) with the old code.
    async with Worker(client, task_queue=task_queue, workflows=[ShippingV1],
                      activities=ACTIVITIES):
        old = await client.start_workflow("Shipping", "o1", id="o1", task_queue=task_queue)
        await old.signal(ShippingV1.pay)
        assert await old.result() == "o1 posted"
    old_history = await old.fetch_history()
    assert "marker_recorded" not in commands_only(old_history)
    # The new code replays it: patched() is False there and the old branch runs.
    await Replayer(workflows=[ShippingV2]).replay_workflow(old_history)
    # Without the patch, the new code would not match the old history.
    with pytest.raises(NondeterminismError):
        await Replayer(workflows=[ShippingV3]).replay_workflow(old_history)


async def test_open_run_keeps_its_old_branch_and_new_runs_take_the_new_one(
        client: Client, task_queue: str) -> None:
    # Started on the old code, which took the old branch (scheduled ship_by_post), and is
    # still open when the new code is deployed (no activity worker yet).
    async with Worker(client, task_queue=task_queue, workflows=[ShippingV1]):
        old = await client.start_workflow("Shipping", "o2", id="o2", task_queue=task_queue)
        await old.signal(ShippingV1.pay)
        for _ in range(500):
            if "activity_task_scheduled" in commands_only(await old.fetch_history()):
                break
            await asyncio.sleep(0.01)
    async with Worker(client, task_queue=task_queue, workflows=[ShippingV2],
                      activities=ACTIVITIES):
        # The new worker replays the old history: patched() is False, the old branch goes on.
        assert await old.result() == "o2 posted"
        new = await client.start_workflow(ShippingV2.run, "n1", id="n1", task_queue=task_queue)
        await new.signal(ShippingV2.pay)
        assert await new.result() == "n1 couriered"
    new_history = await new.fetch_history()
    assert commands_only(new_history) == [
        "workflow_execution_started", "workflow_execution_signaled", "marker_recorded",
        "activity_task_scheduled", "activity_task_started", "activity_task_completed",
        "workflow_execution_completed"]
    marker = next(e.marker_recorded for e in new_history.events
                  if e.HasField("marker_recorded"))
    assert marker.marker_name == "core_patch"
    assert marker.details["patch_id"].payloads[0].data == b"courier"
    assert "marker_recorded" not in commands_only(await old.fetch_history())
    # Both histories replay on the patched code; the deprecated patch replays the new one.
    replayer = Replayer(workflows=[ShippingV2])
    await replayer.replay_workflow(await old.fetch_history())
    await replayer.replay_workflow(new_history)
    await Replayer(workflows=[ShippingV3]).replay_workflow(new_history)


async def test_deprecated_patch_records_its_marker_on_new_runs(client: Client,
                                                               task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[ShippingV3],
                      activities=ACTIVITIES, max_cached_workflows=0):
        h = await client.start_workflow("Shipping", "d1", id="d1", task_queue=task_queue)
        await h.signal(ShippingV3.pay)
        assert await h.result() == "d1 couriered"
    history = await h.fetch_history()
    assert "marker_recorded" in commands_only(history)
    # Code still holding patched() replays a history written by deprecate_patch().
    await Replayer(workflows=[ShippingV2]).replay_workflow(history)


def test_patch_id_must_not_be_empty() -> None:
    with pytest.raises(ValueError, match="patch id"):
        workflow.patched("")
    with pytest.raises(ValueError, match="patch id"):
        workflow.deprecate_patch("")
