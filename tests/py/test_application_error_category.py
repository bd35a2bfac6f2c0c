"""exceptions.ApplicationErrorCategory and ApplicationError(category=...)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from durable import activity, workflow
from durable.client import Client
from durable.common import RetryPolicy
from durable.exceptions import ActivityError, ApplicationError, ApplicationErrorCategory
from durable.worker import Worker


def test_category_defaults_and_values() -> None:
    assert ApplicationError("x").category is ApplicationErrorCategory.UNSPECIFIED
    benign = ApplicationError("x", category=ApplicationErrorCategory.BENIGN)
    assert benign.category is ApplicationErrorCategory.BENIGN
    assert [c.value for c in ApplicationErrorCategory] == [0, 1]  # temporalio's numbers
    assert ApplicationError("x", category=1).category is ApplicationErrorCategory.BENIGN  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="category must be an ApplicationErrorCategory"):
        ApplicationError("x", category=7)  # type: ignore[arg-type]


@activity.defn
async def not_ready_yet() -> str:
    raise ApplicationError("nothing to fetch yet", type="NotReady", non_retryable=True,
                           category=ApplicationErrorCategory.BENIGN)


@workflow.defn
class BenignWorkflow:
    @workflow.run
    async def run(self) -> list[str]:
        try:
            await workflow.execute_activity(not_ready_yet,
                                            start_to_close_timeout=timedelta(seconds=10),
                                            retry_policy=RetryPolicy(maximum_attempts=1))
        except ActivityError as e:
            assert isinstance(e.cause, ApplicationError)
            return [e.cause.type or "", e.cause.message, str(e.cause.non_retryable)]
        return ["no error"]


async def test_benign_error_fails_the_activity_as_any_application_error(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[BenignWorkflow],
                      activities=[not_ready_yet]):
        result = await client.execute_workflow(BenignWorkflow.run, id=f"{task_queue}-benign",
                                               task_queue=task_queue)
    assert result == ["NotReady", "nothing to fetch yet", "True"]
