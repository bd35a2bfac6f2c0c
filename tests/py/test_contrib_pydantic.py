"""durable.contrib.pydantic.pydantic_data_converter as temporalio's documentation uses it:
pydantic v2 models (nested) with datetimes and unions, through a workflow and an activity."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Literal, Union
from uuid import UUID

import pytest
from pydantic import BaseModel, Field

from durable import activity, workflow
from durable.client import Client
from durable.contrib.pydantic import (
    PydanticJSONPlainPayloadConverter,
    ToJsonOptions,
    pydantic_data_converter,
)
from durable.exceptions import PayloadConversionError
from durable.worker import Worker


class Address(BaseModel):
    street: str
    city: str


class Card(BaseModel):
    kind: Literal["card"] = "card"
    number: str


class Transfer(BaseModel):
    kind: Literal["transfer"] = "transfer"
    iban: str


class Order(BaseModel):
    id: UUID
    placed_at: datetime
    ship_to: Address
    lines: list[tuple[str, int]]
    total: Decimal
    payment: Union[Card, Transfer] = Field(discriminator="kind")
    note: str | None = None


@dataclasses.dataclass
class Receipt:
    order_id: UUID
    paid_at: datetime
    paid_by: Union[Card, Transfer]
    delay: timedelta


@activity.defn
async def charge(order: Order) -> Receipt:
    assert isinstance(order.ship_to, Address) and isinstance(order.payment, Transfer)
    return Receipt(order_id=order.id, paid_at=order.placed_at + timedelta(minutes=5),
                   paid_by=order.payment, delay=timedelta(minutes=5))


@workflow.defn
class OrderWorkflow:
    @workflow.run
    async def run(self, order: Order) -> tuple[Order, Receipt]:
        assert isinstance(order.placed_at, datetime) and order.placed_at.tzinfo is not None
        receipt = await workflow.execute_activity(charge, order,
                                                  start_to_close_timeout=timedelta(seconds=30))
        assert isinstance(receipt, Receipt) and isinstance(receipt.paid_by, Transfer)
        return order, receipt


ORDER = Order(id=UUID("12345678-1234-5678-1234-567812345678"),
              placed_at=datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc),
              ship_to=Address(street="1 Rue X", city="Sophia"), lines=[("vnf", 2)],
              total=Decimal("10.50"), payment=Transfer(iban="FR76"))


async def test_models_travel_through_workflow_and_activity(client: Client,
                                                           task_queue: str) -> None:
    pyd = Client(**{**client.config(), "data_converter": pydantic_data_converter})
    async with Worker(pyd, task_queue=task_queue, workflows=[OrderWorkflow],
                      activities=[charge]):
        order, receipt = await pyd.execute_workflow(OrderWorkflow.run, ORDER,
                                                    id=f"{task_queue}-order",
                                                    task_queue=task_queue)
    assert order == ORDER
    assert receipt == Receipt(order_id=ORDER.id,
                              paid_at=datetime(2026, 12, 2, 15, 5, tzinfo=timezone.utc),
                              paid_by=Transfer(iban="FR76"), delay=timedelta(minutes=5))


def test_union_picks_the_member_that_fits_and_plain_json_without_hint() -> None:
    pc = pydantic_data_converter.payload_converter
    (payload,) = pc.to_payloads([Card(number="4111")])
    assert payload.metadata["encoding"] == b"json/plain"
    assert pc.from_payloads([payload], [Union[Transfer, Card]]) == [Card(number="4111")]
    assert pc.from_payloads([payload]) == [{"kind": "card", "number": "4111"}]
    # None and bytes keep their own encodings, as with the default converter.
    assert [p.metadata["encoding"] for p in pc.to_payloads([None, b"x"])] == [
        b"binary/null", b"binary/plain"]


def test_bad_input_is_a_conversion_error() -> None:
    conv = PydanticJSONPlainPayloadConverter()
    payload = conv.to_payload({"street": "only the street"})
    assert payload is not None
    with pytest.raises(PayloadConversionError, match="does not validate as Address"):
        conv.from_payload(payload, Address)
    with pytest.raises(PayloadConversionError, match="cannot serialize a object"):
        conv.to_payload(object())
    with pytest.raises(ValueError, match="max_cached_type_adapters"):
        PydanticJSONPlainPayloadConverter(max_cached_type_adapters=-1)


def test_exclude_unset() -> None:
    conv = PydanticJSONPlainPayloadConverter(ToJsonOptions(exclude_unset=True))
    payload = conv.to_payload(Address(street="s", city="c").model_copy())
    assert payload is not None and payload.data == b'{"street":"s","city":"c"}'
    order = conv.to_payload(ORDER)
    assert order is not None and b'"note"' not in order.data
