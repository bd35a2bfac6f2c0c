"""temporalio's ``common.Priority`` (accepted and checked where temporalio takes it; durable
records no priority) and ``converter``'s search attribute helpers, which take and fill
durable's typed ``durable.v1.SearchAttributes``."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from durable import converter, workflow
from durable.client import Client, WithStartWorkflowOperation
from durable.common import (
    Priority,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIdConflictPolicy,
)
from durable.v1 import common_pb2
from durable.worker import Worker


@workflow.defn
class Hello:
    @workflow.run
    async def run(self, name: str) -> str:
        return f"hello {name}"


def test_priority_is_checked_as_in_temporalio() -> None:
    assert Priority.default == Priority()
    assert Priority(priority_key=1, fairness_key="tenant-a", fairness_weight=2.0).priority_key == 1
    with pytest.raises(ValueError, match="positive"):
        Priority(priority_key=0)
    with pytest.raises(TypeError, match="integer"):
        Priority(priority_key="high")  # type: ignore[arg-type]


async def test_start_workflow_and_with_start_take_a_priority(client: Client,
                                                            task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Hello]):
        assert await client.execute_workflow(Hello.run, "ann", id="prio", task_queue=task_queue,
                                             priority=Priority(priority_key=2)) == "hello ann"
        with pytest.raises(TypeError, match="Priority"):
            await client.start_workflow(Hello.run, "x", id="prio-bad", task_queue=task_queue,
                                        priority=2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Priority"):
        WithStartWorkflowOperation(Hello.run, "x", id="w", task_queue=task_queue,
                                   id_conflict_policy=WorkflowIdConflictPolicy.FAIL,
                                   priority=5)  # type: ignore[arg-type]


def test_search_attribute_helpers_round_trip() -> None:
    team = SearchAttributeKey.for_keyword("Team")
    count = SearchAttributeKey.for_int("Count")
    when = SearchAttributeKey.for_datetime("When")
    tags = SearchAttributeKey.for_keyword_list("Tags")
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    attrs = TypedSearchAttributes([SearchAttributePair(team, "core"),
                                   SearchAttributePair(count, 3),
                                   SearchAttributePair(when, at),
                                   SearchAttributePair(tags, ["a", "b"])])
    api = common_pb2.SearchAttributes()
    converter.encode_search_attributes(attrs, api)
    assert set(api.indexed_fields) == {"Team", "Count", "When", "Tags"}
    back = converter.decode_typed_search_attributes(api)
    assert back[team] == "core" and back[count] == 3 and back[when] == at
    assert list(back[tags]) == ["a", "b"]
    assert converter.decode_search_attributes(api) == {
        "Team": ["core"], "Count": [3], "When": [at], "Tags": ["a", "b"]}
    v = converter.encode_typed_search_attribute_value(count, 7)
    assert v.int_value == 7
    assert converter.encode_typed_search_attribute_value(count, None) == (
        common_pb2.SearchAttributeValue())
    assert team.origin_value_type is str
    with pytest.raises(TypeError, match="TypedSearchAttributes"):
        converter.encode_search_attributes({"Team": ["core"]}, api)  # type: ignore[arg-type]
