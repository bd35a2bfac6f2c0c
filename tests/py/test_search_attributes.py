"""Typed search attributes and memo: on start, upserted by the workflow, seen by info(),
describe() and list queries; registration per namespace; clear errors; replay."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

import pytest
from history_util import replay_closed_runs

from durable import workflow
from durable.client import Client, WorkflowExecutionStatus
from durable.common import (
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)
from durable.exceptions import AlreadyExistsError, InvalidArgumentError
from durable.worker import Worker

CUSTOMER = SearchAttributeKey.for_keyword("Customer")
STEP = SearchAttributeKey.for_int("Step")
SCORE = SearchAttributeKey.for_float("Score")
DONE = SearchAttributeKey.for_bool("Done")
WHEN = SearchAttributeKey.for_datetime("When")
LABELS = SearchAttributeKey.for_keyword_list("Labels")
ABOUT = SearchAttributeKey.for_text("About")
ALL = [CUSTOMER, STEP, SCORE, DONE, WHEN, LABELS, ABOUT]
T0 = datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc)


@workflow.defn
class Tracked:
    def __init__(self) -> None:
        self._go = False
        self.seen: list[Any] = []

    @workflow.signal
    def go(self) -> None:
        self._go = True

    @workflow.query
    def attributes(self) -> dict[str, Any]:
        sa = workflow.info().typed_search_attributes
        return {"customer": sa.get(CUSTOMER), "step": sa.get(STEP),
                "labels": sa.get(LABELS), "memo": dict(workflow.memo())}

    @workflow.run
    async def run(self) -> str:
        first = workflow.info().typed_search_attributes[CUSTOMER]
        workflow.upsert_search_attributes([STEP.value_set(1), LABELS.value_set(["new", "eu"])])
        workflow.upsert_memo({"stage": "waiting", "owner": None})
        await workflow.wait_condition(lambda: self._go)
        # temporalio's typed form (each pair set), then an update list by keyword
        workflow.upsert_search_attributes(TypedSearchAttributes([
            SearchAttributePair(STEP, 2), SearchAttributePair(DONE, True)]))
        workflow.upsert_search_attributes(attributes=[CUSTOMER.value_unset()])
        workflow.upsert_memo({"stage": "done"})
        assert CUSTOMER not in workflow.info().typed_search_attributes
        return first


@pytest.fixture
async def registered(client: Client) -> Client:
    await client.add_search_attributes(ALL)
    return client


async def test_start_upsert_describe_and_list(registered: Client, task_queue: str) -> None:
    client = registered
    attrs = TypedSearchAttributes([
        SearchAttributePair(CUSTOMER, "acme"), SearchAttributePair(SCORE, 0.5),
        SearchAttributePair(WHEN, T0), SearchAttributePair(ABOUT, "Rush order for ACME")])
    async with Worker(client, task_queue=task_queue, workflows=[Tracked]):
        h = await client.start_workflow(Tracked.run, id="t-1", task_queue=task_queue,
                                        search_attributes=attrs, memo={"owner": "ops"})
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while (await h.query(Tracked.attributes))["step"] != 1:
            assert loop.time() < deadline
            await asyncio.sleep(0.05)
        q = await h.query(Tracked.attributes)
        assert q == {"customer": "acme", "step": 1, "labels": ["new", "eu"],
                     "memo": {"stage": "waiting"}}
        desc = await h.describe()
        sa = desc.typed_search_attributes
        assert (sa[CUSTOMER], sa[STEP], sa[SCORE], sa[WHEN], sa[LABELS], sa[ABOUT]) == (
            "acme", 1, 0.5, T0, ["new", "eu"], "Rush order for ACME")
        [listed] = [wf async for wf in client.list_workflows("Step = 1 AND Labels = 'eu'")]
        assert listed.id == "t-1" and listed.typed_search_attributes == sa
        # temporalio's untyped form, each name to a list of values, and the namespace
        assert listed.search_attributes["Customer"] == ["acme"]
        assert listed.search_attributes["Labels"] == ["new", "eu"]
        assert listed.namespace == client.namespace
        assert await listed.memo() == {"stage": "waiting"}
        assert [wf.id async for wf in client.list_workflows("About = 'acme rush'")] == ["t-1"]
        assert [wf.id async for wf in client.list_workflows(f"When = '{T0.isoformat()}'")] == ["t-1"]

        await h.signal(Tracked.go)
        assert await h.result() == "acme"
    [closed] = [wf async for wf in client.list_workflows("Step = 2 AND Done = true")]
    assert closed.status == WorkflowExecutionStatus.COMPLETED
    assert CUSTOMER not in closed.typed_search_attributes
    assert await closed.memo_value("stage") == "done"
    assert [wf async for wf in client.list_workflows("Customer = 'acme'")] == []
    assert [wf.id async for wf in client.list_workflows("Customer IS NULL")] == ["t-1"]
    await replay_closed_runs(client, [Tracked])


async def test_undeclared_or_mistyped_attributes_are_clear_errors(
        registered: Client, task_queue: str) -> None:
    client = registered
    nope = SearchAttributeKey.for_keyword("Nope")
    with pytest.raises(InvalidArgumentError, match="'Nope' is not registered in namespace 'default'"):
        await client.start_workflow(Tracked.run, id="bad-1", task_queue=task_queue,
                                    search_attributes=TypedSearchAttributes(
                                        [SearchAttributePair(nope, "x")]))
    # Declared Int in the namespace, sent as a Keyword: the engine refuses it.
    as_keyword = SearchAttributeKey.for_keyword("Step")
    with pytest.raises(InvalidArgumentError, match="'Step' is declared Int, got a Keyword value"):
        await client.start_workflow(Tracked.run, id="bad-2", task_queue=task_queue,
                                    search_attributes=TypedSearchAttributes(
                                        [SearchAttributePair(as_keyword, "x")]))
    assert (await client.count_workflows()).count == 0  # nothing was written
    # A Python value of the wrong type never leaves the client.
    with pytest.raises(TypeError, match="'Step' \\(INT\\) needs an int"):
        TypedSearchAttributes([SearchAttributePair(STEP, "one")])
    with pytest.raises(TypeError, match="timezone-aware"):
        WHEN.value_set(datetime(2026, 1, 1))
    with pytest.raises(AlreadyExistsError, match="already registered as Int"):
        await client.add_search_attributes([SearchAttributeKey.for_text("Step")])
    with pytest.raises(AlreadyExistsError, match="built in"):
        await client.add_search_attributes([SearchAttributeKey.for_keyword("WorkflowId")])
    with pytest.raises(InvalidArgumentError, match="may hold only letters"):
        await client.add_search_attributes([SearchAttributeKey.for_keyword("bad name")])
    await client.add_search_attributes([STEP])  # same type again: fine
    listed = await client.list_search_attributes()
    assert listed["Step"] == SearchAttributeIndexedValueType.INT
    assert listed["WorkflowId"] == SearchAttributeIndexedValueType.KEYWORD
    assert listed["TemporalScheduledById"] == SearchAttributeIndexedValueType.KEYWORD


async def test_typed_search_attributes_collection() -> None:
    sa = TypedSearchAttributes([SearchAttributePair(STEP, 1), SearchAttributePair(CUSTOMER, "a")])
    assert len(sa) == 2 and STEP in sa and sa[STEP] == 1 and sa.get(DONE) is None
    assert sa.get(DONE, False) is False
    with pytest.raises(KeyError):
        sa[DONE]
    assert sa.updated(SearchAttributePair(STEP, 2))[STEP] == 2
    assert sa[STEP] == 1  # immutable
    assert isinstance(STEP.value_unset(), SearchAttributeUpdate)
    assert STEP.value_unset().value is None and STEP.value_set(3).value == 3
    assert TypedSearchAttributes.empty == TypedSearchAttributes()
    assert LABELS.value_type is not None and STEP.indexed_value_type.name == "INT"
