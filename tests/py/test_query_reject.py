"""WorkflowHandle.query(reject_condition=QueryRejectCondition...) and
WorkflowQueryRejectedError, as temporalio has them — on both transports."""

from __future__ import annotations

import pytest

from durable import workflow
from durable.client import (Client, WorkflowExecutionStatus, WorkflowFailureError,
                            WorkflowQueryRejectedError)
from durable.common import QueryRejectCondition
from durable.exceptions import ApplicationError
from durable.worker import Worker


@workflow.defn
class Closing:
    def __init__(self) -> None:
        self.how = ""

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: bool(self.how))
        if self.how == "fail":
            raise ApplicationError("asked to fail")
        return "completed"

    @workflow.signal
    def close(self, how: str) -> None:
        self.how = how

    @workflow.query
    def state(self) -> str:
        return self.how or "open"


async def test_reject_conditions(client: Client, task_queue: str) -> None:
    NOT_OPEN, NOT_CLEAN = QueryRejectCondition.NOT_OPEN, QueryRejectCondition.NOT_COMPLETED_CLEANLY
    async with Worker(client, task_queue=task_queue, workflows=[Closing]):
        ok = await client.start_workflow(Closing.run, id=f"{task_queue}-ok",
                                         task_queue=task_queue)
        bad = await client.start_workflow(Closing.run, id=f"{task_queue}-bad",
                                          task_queue=task_queue)
        # Open: answered whatever the condition.
        for condition in QueryRejectCondition:
            assert await ok.query(Closing.state, reject_condition=condition) == "open"
        await ok.signal(Closing.close, "complete")
        await bad.signal(Closing.close, "fail")
        assert await ok.result() == "completed"
        with pytest.raises(WorkflowFailureError):
            await bad.result()

        with pytest.raises(WorkflowQueryRejectedError) as e:
            await ok.query(Closing.state, reject_condition=NOT_OPEN)
        assert e.value.status == WorkflowExecutionStatus.COMPLETED
        assert await ok.query(Closing.state, reject_condition=NOT_CLEAN) == "complete"
        with pytest.raises(WorkflowQueryRejectedError) as e:
            await bad.query(Closing.state, reject_condition=NOT_CLEAN)
        assert e.value.status == WorkflowExecutionStatus.FAILED
        assert await bad.query(Closing.state) == "fail"  # no condition: answered
