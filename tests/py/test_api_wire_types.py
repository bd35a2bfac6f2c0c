"""Wire-level types under temporalio's module paths: a custom EncodingPayloadConverter
written against ``durable.api.common.v1.Payload`` (as temporalio's docs write it against
``temporalio.api.common.v1.Payload``) converts a workflow's and an activity's values."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from typing import Any

from durable import activity, workflow
from durable.api.common.v1 import Payload, Payloads, WorkflowExecution
from durable.api.enums.v1 import (
    TIMEOUT_TYPE_HEARTBEAT,
    WORKFLOW_EXECUTION_STATUS_COMPLETED,
    WorkflowIdReusePolicy as WireReusePolicy,
)
from durable.api.failure.v1 import Failure
from durable.api.history.v1 import History
from durable.client import Client, WorkflowExecutionStatus
from durable.common import WorkflowIdReusePolicy
from durable.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    EncodingPayloadConverter,
)
from durable.worker import Worker


@dataclasses.dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


class MoneyConverter(EncodingPayloadConverter):
    @property
    def encoding(self) -> str:
        return "text/money"

    def to_payload(self, value: Any) -> Payload | None:
        if not isinstance(value, Money):
            return None
        return Payload(metadata={"encoding": self.encoding.encode()},
                       data=f"{value.amount} {value.currency}".encode())

    def from_payload(self, payload: Payload, type_hint: Any | None = None) -> Any:
        amount, currency = payload.data.decode().split()
        return Money(Decimal(amount), currency)


class MoneyPayloadConverter(CompositePayloadConverter):
    def __init__(self) -> None:
        super().__init__(MoneyConverter(),
                         *DefaultPayloadConverter.default_encoding_payload_converters)


@activity.defn
async def add_fee(m: Money) -> Money:
    return Money(m.amount + Decimal("0.30"), m.currency)


@workflow.defn
class PriceWorkflow:
    @workflow.run
    async def run(self, m: Money) -> Money:
        assert isinstance(m, Money)
        return await workflow.execute_activity(add_fee, m,
                                               start_to_close_timeout=timedelta(seconds=30))


async def test_a_custom_converter_on_the_wire_types(client: Client, task_queue: str) -> None:
    money = Client(**{**client.config(),
                      "data_converter": DataConverter(payload_converter=MoneyPayloadConverter())})
    async with Worker(money, task_queue=task_queue, workflows=[PriceWorkflow],
                      activities=[add_fee]):
        handle = await money.start_workflow(PriceWorkflow.run, Money(Decimal("9.70"), "EUR"),
                                            id=f"{task_queue}-money", task_queue=task_queue)
        assert await handle.result() == Money(Decimal("10.00"), "EUR")
    history = await handle.fetch_history()
    assert isinstance(history.to_proto(), History)
    started = history.events[0].workflow_execution_started
    assert isinstance(started.input, Payloads)
    (arg,) = started.input.payloads
    assert isinstance(arg, Payload)
    assert (arg.metadata["encoding"], arg.data) == (b"text/money", b"9.70 EUR")
    desc = await handle.describe()
    assert desc.status == WorkflowExecutionStatus.COMPLETED == WORKFLOW_EXECUTION_STATUS_COMPLETED


def test_enums_and_messages_agree_with_durables() -> None:
    assert WireReusePolicy.Value("WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE") == int(
        WorkflowIdReusePolicy.REJECT_DUPLICATE)
    assert TIMEOUT_TYPE_HEARTBEAT == 4
    execution = WorkflowExecution(workflow_id="w", run_id="r")
    assert WorkflowExecution.FromString(execution.SerializeToString()) == execution
    failure = Failure(message="boom")
    failure.application_failure_info.type = "ValueError"
    assert failure.WhichOneof("info") == "application_failure_info"
