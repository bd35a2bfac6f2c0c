"""client.list_workflows / count_workflows: every operator against a brute-force filter,
pagination stable while workflows start, clear errors for bad queries."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from durable import workflow
from durable.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionCount,
    WorkflowExecutionStatus,
)
from durable.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)
from durable.exceptions import ApplicationError, InvalidArgumentError
from durable.worker import Worker

COLOR = SearchAttributeKey.for_keyword("Color")
SIZE = SearchAttributeKey.for_int("Size")
PRICE = SearchAttributeKey.for_float("Price")
URGENT = SearchAttributeKey.for_bool("Urgent")
DUE = SearchAttributeKey.for_datetime("Due")
TAGS = SearchAttributeKey.for_keyword_list("Tags")
NOTE = SearchAttributeKey.for_text("Note")
KEYS = [COLOR, SIZE, PRICE, URGENT, DUE, TAGS, NOTE]

COLORS = ["red", "green", "blue", "blue-ish", "Red"]
WORDS = ["alpha", "beta", "gamma", "delta"]
BASE = datetime(2026, 1, 1, tzinfo=timezone.utc)


async def _finish(outcome: str) -> str:
    if outcome == "fail":
        raise ApplicationError("asked to fail", non_retryable=True)
    if outcome == "wait":
        await workflow.wait_condition(lambda: False)
    return outcome


@workflow.defn
class Finisher:
    @workflow.run
    async def run(self, outcome: str) -> str:
        return await _finish(outcome)


@workflow.defn
class Other:
    @workflow.run
    async def run(self, outcome: str) -> str:
        return await _finish(outcome)


def _random_attributes(rng: random.Random) -> TypedSearchAttributes:
    pairs: list[SearchAttributePair[Any]] = []
    if rng.random() < 0.8:
        pairs.append(SearchAttributePair(COLOR, rng.choice(COLORS)))
    if rng.random() < 0.8:
        pairs.append(SearchAttributePair(SIZE, rng.randint(-5, 20)))
    if rng.random() < 0.7:
        pairs.append(SearchAttributePair(PRICE, round(rng.uniform(-10, 100), 2)))
    if rng.random() < 0.6:
        pairs.append(SearchAttributePair(URGENT, rng.random() < 0.5))
    if rng.random() < 0.7:
        pairs.append(SearchAttributePair(DUE, BASE + timedelta(hours=rng.randint(0, 24 * 30))))
    if rng.random() < 0.6:
        pairs.append(SearchAttributePair(TAGS, rng.sample(WORDS, rng.randint(0, 3))))
    if rng.random() < 0.6:
        pairs.append(SearchAttributePair(NOTE, " ".join(rng.choices(WORDS, k=rng.randint(1, 3)))))
    return TypedSearchAttributes(pairs)


async def _all(client: Client, query: str, page_size: int = 400) -> list[WorkflowExecution]:
    return [wf async for wf in client.list_workflows(query, page_size=page_size)]


def _sa(wf: WorkflowExecution, key: SearchAttributeKey[Any]) -> Any:
    return wf.typed_search_attributes.get(key)


def _queries(rows: list[WorkflowExecution]) -> list[tuple[str, Callable[[WorkflowExecution], bool]]]:
    """(query, brute-force predicate) for every operator over built-in and custom attributes."""
    starts = sorted(r.start_time for r in rows)
    t1, t2 = starts[len(starts) // 3], starts[2 * len(starts) // 3]
    iso = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
    some = rows[len(rows) // 2]
    due = BASE + timedelta(days=10)
    due2 = BASE + timedelta(days=20)

    def cmp(key: SearchAttributeKey[Any], op: Callable[[Any], bool]) -> Callable[[WorkflowExecution], bool]:
        return lambda r: _sa(r, key) is not None and op(_sa(r, key))

    def words(text: str | None) -> set[str]:
        return set((text or "").lower().split())

    S = WorkflowExecutionStatus
    return [
        ("", lambda r: True),
        ("WorkflowId = '%s'" % some.id, lambda r: r.id == some.id),
        ("RunId = '%s'" % some.run_id, lambda r: r.run_id == some.run_id),
        ("WorkflowType = 'Other'", lambda r: r.workflow_type == "Other"),
        ("WorkflowType != 'Other'", lambda r: r.workflow_type != "Other"),
        ("ExecutionStatus = 'Running'", lambda r: r.status == S.RUNNING),
        ("ExecutionStatus = 'Completed'", lambda r: r.status == S.COMPLETED),
        ("ExecutionStatus IN ('Failed', 'Terminated')",
         lambda r: r.status in (S.FAILED, S.TERMINATED)),
        ("ExecutionStatus NOT IN ('Running')", lambda r: r.status != S.RUNNING),
        ("TaskQueue = 'q-b'", lambda r: r.task_queue == "q-b"),
        ("WorkflowId STARTS_WITH 'wf-1'", lambda r: r.id.startswith("wf-1")),
        ("WorkflowId NOT STARTS_WITH 'wf-1'", lambda r: not r.id.startswith("wf-1")),
        ("WorkflowId > 'wf-5' AND WorkflowId <= 'wf-7'", lambda r: "wf-5" < r.id <= "wf-7"),
        ("StartTime < '%s'" % iso(t1), lambda r: r.start_time < t1),
        ("StartTime >= '%s'" % iso(t1), lambda r: r.start_time >= t1),
        ("StartTime BETWEEN '%s' AND '%s'" % (iso(t1), iso(t2)),
         lambda r: t1 <= r.start_time <= t2),
        ("ExecutionTime > '%s'" % iso(t2), lambda r: r.execution_time is not None and r.execution_time > t2),
        ("CloseTime IS NULL", lambda r: r.close_time is None),
        ("CloseTime IS NOT NULL", lambda r: r.close_time is not None),
        ("CloseTime > '%s'" % iso(t1), lambda r: r.close_time is not None and r.close_time > t1),
        ("ParentWorkflowId IS NULL", lambda r: r.parent_id is None),
        ("Color = 'red'", cmp(COLOR, lambda v: v == "red")),
        ("Color != 'red'", lambda r: _sa(r, COLOR) != "red"),
        ("Color < 'green'", cmp(COLOR, lambda v: v < "green")),
        ("Color >= 'blue'", cmp(COLOR, lambda v: v >= "blue")),
        ("Color IN ('red', 'Red')", cmp(COLOR, lambda v: v in ("red", "Red"))),
        ("Color STARTS_WITH 'blue'", cmp(COLOR, lambda v: v.startswith("blue"))),
        ("Color IS NULL", lambda r: _sa(r, COLOR) is None),
        ("Color IS NOT NULL", lambda r: _sa(r, COLOR) is not None),
        ("Size = 3", cmp(SIZE, lambda v: v == 3)),
        ("Size != 3", lambda r: _sa(r, SIZE) != 3),
        ("Size < 0", cmp(SIZE, lambda v: v < 0)),
        ("Size <= 0", cmp(SIZE, lambda v: v <= 0)),
        ("Size > 15", cmp(SIZE, lambda v: v > 15)),
        ("Size >= 15", cmp(SIZE, lambda v: v >= 15)),
        ("Size BETWEEN -2 AND 4", cmp(SIZE, lambda v: -2 <= v <= 4)),
        ("Size NOT BETWEEN -2 AND 4", lambda r: not (_sa(r, SIZE) is not None and -2 <= _sa(r, SIZE) <= 4)),
        ("Size IN (1, 2, 19)", cmp(SIZE, lambda v: v in (1, 2, 19))),
        ("Price > 50.5", cmp(PRICE, lambda v: v > 50.5)),
        ("Price <= -3", cmp(PRICE, lambda v: v <= -3)),
        ("Price BETWEEN 10 AND 20.25", cmp(PRICE, lambda v: 10 <= v <= 20.25)),
        ("Urgent = true", cmp(URGENT, lambda v: v is True)),
        ("Urgent != true", lambda r: _sa(r, URGENT) is not True),
        ("Due > '%s'" % iso(due), cmp(DUE, lambda v: v > due)),
        ("Due BETWEEN '%s' AND '%s'" % (iso(due), iso(due2)), cmp(DUE, lambda v: due <= v <= due2)),
        ("Tags = 'beta'", cmp(TAGS, lambda v: "beta" in v)),
        ("Tags != 'beta'", lambda r: "beta" not in (_sa(r, TAGS) or [])),
        ("Tags IN ('alpha', 'delta')", cmp(TAGS, lambda v: "alpha" in v or "delta" in v)),
        ("Tags STARTS_WITH 'ga'", cmp(TAGS, lambda v: any(t.startswith("ga") for t in v))),
        ("Tags IS NULL", lambda r: not _sa(r, TAGS)),
        ("Note = 'gamma'", lambda r: "gamma" in words(_sa(r, NOTE))),
        ("Note = 'Alpha beta'", lambda r: {"alpha", "beta"} <= words(_sa(r, NOTE))),
        ("Note != 'delta'", lambda r: "delta" not in words(_sa(r, NOTE))),
        ("Color = 'blue' AND Size > 5", lambda r: _sa(r, COLOR) == "blue" and (_sa(r, SIZE) or -99) > 5),
        ("Color = 'blue' OR Size > 18", lambda r: _sa(r, COLOR) == "blue" or (_sa(r, SIZE) or -99) > 18),
        ("NOT (Color = 'blue' OR Urgent = false)",
         lambda r: not (_sa(r, COLOR) == "blue" or _sa(r, URGENT) is False)),
        ("(Color = 'red' OR Color = 'green') AND NOT ExecutionStatus = 'Running' AND Size < 10",
         lambda r: _sa(r, COLOR) in ("red", "green") and r.status != S.RUNNING
         and _sa(r, SIZE) is not None and _sa(r, SIZE) < 10),
        ("Tags = 'alpha' AND Tags = 'beta' OR WorkflowType = 'Other' AND Urgent = true",
         lambda r: ("alpha" in (_sa(r, TAGS) or []) and "beta" in (_sa(r, TAGS) or []))
         or (r.workflow_type == "Other" and _sa(r, URGENT) is True)),
    ]


@pytest.mark.timeout(900)
async def test_every_operator_matches_a_brute_force_filter(client: Client, task_queue: str) -> None:
    await client.add_search_attributes(KEYS)
    rng = random.Random(20261202)
    n = 10_000  # the size; ~1 min on one core
    outcomes = ["complete", "fail", "wait", "terminate", "wait"]
    handles = []
    for i in range(n):
        wf = Other.run if rng.random() < 0.3 else Finisher.run
        outcome = rng.choice(outcomes)
        handles.append((outcome, await client.start_workflow(
            wf, outcome, id=f"wf-{i}", task_queue=task_queue if outcome != "wait" else "q-b",
            search_attributes=_random_attributes(rng),
            start_delay=timedelta(seconds=rng.randint(0, 5)) if outcome == "wait" else None)))
    for outcome, h in handles:
        if outcome == "terminate":
            await h.terminate(reason="test")
    async with Worker(client, task_queue=task_queue, workflows=[Finisher, Other]):
        for outcome, h in handles:
            if outcome in ("complete", "fail"):
                try:
                    await h.result()
                except Exception:
                    pass
    rows = await _all(client, "")
    assert len(rows) == n and len({r.run_id for r in rows}) == n
    assert [r.start_time for r in rows] == sorted((r.start_time for r in rows), reverse=True)
    statuses = {r.status for r in rows}
    assert statuses == {WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED,
                        WorkflowExecutionStatus.FAILED, WorkflowExecutionStatus.TERMINATED}
    for query, predicate in _queries(rows):
        expected = {r.run_id for r in rows if predicate(r)}
        assert expected, f"{query!r} matches nothing: a weak check"
        got = await _all(client, query)
        got_ids = [r.run_id for r in got]
        assert len(got_ids) == len(set(got_ids)), f"duplicates for {query!r}"
        assert set(got_ids) == expected, (
            f"{query!r}: {len(expected)} expected, {len(got_ids)} listed; "
            f"missing {sorted(expected - set(got_ids))[:5]}, extra {sorted(set(got_ids) - expected)[:5]}")
        count = await client.count_workflows(query)
        assert count.count == len(expected), query
    # A selective query still covers the other runs' states exactly: nothing got lost.
    grouped = await client.count_workflows("GROUP BY ExecutionStatus")
    assert isinstance(grouped, WorkflowExecutionCount)
    assert grouped.count == n
    by_status = {g.group_values[0]: g.count for g in grouped.groups}
    expected_groups: dict[str, int] = {}
    for r in rows:
        assert r.status is not None
        name = {"RUNNING": "Running", "COMPLETED": "Completed", "FAILED": "Failed",
                "TERMINATED": "Terminated"}[r.status.name]
        expected_groups[name] = expected_groups.get(name, 0) + 1
    assert by_status == expected_groups


async def test_order_by_and_limit(client: Client, task_queue: str) -> None:
    await client.add_search_attributes([SIZE])
    sizes = [5, 3, 9, 3, 7]
    for i, s in enumerate(sizes):
        await client.start_workflow(Finisher.run, "wait", id=f"o-{i}", task_queue=task_queue,
                                    search_attributes=TypedSearchAttributes(
                                        [SearchAttributePair(SIZE, s)]))
    await client.start_workflow(Finisher.run, "wait", id="o-none", task_queue=task_queue)
    asc = [(_sa(r, SIZE), r.id) async for r in client.list_workflows("ORDER BY Size", page_size=2)]
    assert asc == [(3, "o-1"), (3, "o-3"), (5, "o-0"), (7, "o-4"), (9, "o-2"), (None, "o-none")]
    desc = [r.id async for r in client.list_workflows("ORDER BY Size DESC, WorkflowId DESC")]
    assert desc == ["o-none", "o-2", "o-4", "o-0", "o-3", "o-1"]
    newest = [r.id async for r in client.list_workflows(limit=2)]
    assert newest == ["o-none", "o-4"]
    oldest = [r.id async for r in client.list_workflows("ORDER BY StartTime ASC", limit=1)]
    assert oldest == ["o-0"]


async def test_pagination_never_repeats_or_skips_while_workflows_start(
        client: Client, task_queue: str) -> None:
    for i in range(60):
        await client.start_workflow(Finisher.run, "wait", id=f"p-{i}", task_queue=task_queue)
    for query in ("", "WorkflowId STARTS_WITH 'p-'", "ORDER BY WorkflowId",
                  "ExecutionStatus = 'Running' ORDER BY StartTime ASC"):
        seen: list[str] = []
        extra = 0
        it = client.list_workflows(query, page_size=7)
        async for wf in it:
            seen.append(wf.id)
            if len(seen) % 5 == 0:  # new runs while the listing goes on
                extra += 1
                await client.start_workflow(Finisher.run, "wait", id=f"late-{query}-{extra}",
                                            task_queue=task_queue)
        assert len(seen) == len(set(seen)), query
        assert {f"p-{i}" for i in range(60)} <= set(seen), query


async def test_bad_queries_name_the_token_and_position(client: Client) -> None:
    with pytest.raises(InvalidArgumentError, match=r"after '=' at position 14, got end of query"):
        await _all(client, "WorkflowId = ")
    with pytest.raises(InvalidArgumentError, match=r"unknown search attribute 'Colour' at position 1"):
        await client.count_workflows("Colour = 'red'")
    await client.add_search_attributes([SIZE])
    with pytest.raises(InvalidArgumentError, match=r"value 'big' at position 8 is not an integer"):
        await _all(client, "Size = 'big'")
    with pytest.raises(ValueError, match="page_size"):
        client.list_workflows(page_size=0)


async def test_count_groups_by_status(client: Client, task_queue: str) -> None:
    for i in range(3):
        await client.start_workflow(Finisher.run, "wait", id=f"c-{i}", task_queue=task_queue)
    await client.get_workflow_handle("c-1").terminate()
    res = await client.count_workflows("GROUP BY ExecutionStatus")
    assert res.count == 3
    assert sorted((g.group_values, g.count) for g in res.groups) == [
        (["Running"], 2), (["Terminated"], 1)]
    assert (await client.count_workflows("ExecutionStatus = 'Running'")).count == 2
    await asyncio.sleep(0)
