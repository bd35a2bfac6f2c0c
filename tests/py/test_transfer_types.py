"""Transfer types (``@transfer_type_convertible`` + ``TransferTypeConverter``, temporalio 1.35)
and ``create_payload_validation_error``: a class that is not JSON itself travels as its
transfer value through a workflow and an activity, and a converter that finds a decoded
value invalid fails the activity without retries."""

from __future__ import annotations

import typing
from datetime import timedelta
from typing import Any, Generic, TypeVar

import pytest

from durable import activity, workflow
from durable.client import Client
from durable.common import RetryPolicy
from durable.converter import (
    DefaultPayloadConverter,
    TransferTypeConverter,
    create_payload_validation_error,
    transfer_type_convertible,
)
from durable.exceptions import ActivityError, ApplicationError, RetryState
from durable.worker import Worker

T = TypeVar("T")


class MoneyConverter(TransferTypeConverter["Money", str]):
    transfer_type = str

    def to_transfer_type(self, value: Money) -> str:
        return f"{value.cents} {value.currency}"

    def from_transfer_type(self, value: str, type_hint: Any) -> Money:
        cents, currency = value.split(" ")
        if int(cents) < 0:
            raise create_payload_validation_error({"cents": "must not be negative"})
        return Money(int(cents), currency)


@transfer_type_convertible(MoneyConverter)
class Money:
    """Not a dataclass: JSON could not encode it without its converter."""

    def __init__(self, cents: int, currency: str) -> None:
        self.cents, self.currency = cents, currency

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and (self.cents, self.currency) == (
            other.cents, other.currency)


class BoxConverter(TransferTypeConverter["Box[Any]", list]):  # type: ignore[type-arg]
    transfer_type = list

    def to_transfer_type(self, value: Box[Any]) -> list[Any]:
        return [str(v) for v in value.items]

    def from_transfer_type(self, value: list[Any], type_hint: Any) -> Box[Any]:
        (item_type,) = typing.get_args(type_hint) or (str,)  # Box[int] -> int
        return Box([item_type(v) for v in value])


@transfer_type_convertible(BoxConverter)
class Box(Generic[T]):
    def __init__(self, items: list[T]) -> None:
        self.items = items


def test_a_decorated_class_is_encoded_as_its_transfer_value() -> None:
    pc = DefaultPayloadConverter()
    p = pc.to_payload(Money(250, "EUR"))
    assert p.metadata["encoding"] == b"json/plain" and p.data == b'"250 EUR"'
    assert pc.from_payload(p, Money) == Money(250, "EUR")
    assert pc.from_payload(p) == "250 EUR"  # no hint: the transfer value as it is
    # The generic arguments of the hint reach from_transfer_type.
    box = pc.from_payload(pc.to_payload(Box([1, 2])), Box[int])
    assert isinstance(box, Box) and box.items == [1, 2]
    assert pc.from_payload(pc.to_payload(Box([1, 2])), Box[str]).items == ["1", "2"]


def test_a_class_takes_one_transfer_type_converter() -> None:
    with pytest.raises(TypeError, match="already has a transfer type converter"):
        transfer_type_convertible(MoneyConverter)(Money)


def test_create_payload_validation_error() -> None:
    err = create_payload_validation_error({"field": "bad"})
    assert isinstance(err, ApplicationError)
    assert (err.message, err.type, err.non_retryable) == (
        "Payload validation failed", "PayloadValidationError", True)
    assert list(err.details) == [{"field": "bad"}]
    assert list(create_payload_validation_error(None).details) == []


_charged: list[int] = []


@activity.defn
async def charge(amount: Money, parts: Box[int]) -> Money:
    _charged.append(amount.cents)
    return Money(amount.cents + sum(parts.items), amount.currency)


@workflow.defn
class PaymentWorkflow:
    @workflow.run
    async def run(self, amount: Money) -> Money:
        total = await workflow.execute_activity(
            charge, args=[amount, Box([5, 6])], start_to_close_timeout=timedelta(seconds=30))
        assert isinstance(total, Money)
        return total


@workflow.defn
class RefusedPaymentWorkflow:
    @workflow.run
    async def run(self) -> list[Any]:
        try:
            await workflow.execute_activity(
                charge, args=[Money(-1, "EUR"), Box([])],
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=10),
                                         maximum_attempts=3))
        except ActivityError as e:
            assert isinstance(e.cause, ApplicationError)
            return [e.cause.type, list(e.cause.details),
                    e.retry_state.name if e.retry_state is not None else None]
        return []


async def test_transfer_types_through_a_workflow_and_an_activity(client: Client) -> None:
    _charged.clear()
    async with Worker(client, task_queue="transfer",
                      workflows=[PaymentWorkflow, RefusedPaymentWorkflow], activities=[charge]):
        total = await client.execute_workflow(PaymentWorkflow.run, Money(100, "EUR"),
                                              id="wf-transfer", task_queue="transfer")
        refused = await client.execute_workflow(RefusedPaymentWorkflow.run,
                                                id="wf-refused", task_queue="transfer")
    assert total == Money(111, "EUR")  # decoded by the run method's return hint
    # The negative amount never reached the activity: decoding refused it, once.
    assert refused == ["PayloadValidationError", [{"cents": "must not be negative"}],
                       RetryState.NON_RETRYABLE_FAILURE.name]
    assert _charged == [100]


def test_only_top_level_values_are_converted() -> None:
    # As in temporalio: a decorated value inside a structure is not converted.
    from durable.exceptions import PayloadConversionError

    with pytest.raises(PayloadConversionError, match="of type Money"):
        DefaultPayloadConverter().to_payload({"total": Money(1, "EUR")})
