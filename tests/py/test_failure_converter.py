"""Tests of failure exceptions (durable.exceptions) and DefaultFailureConverter."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from durable.converter import DataConverter, DefaultFailureConverter, PayloadCodec
from durable.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    DurableError,
    FailureError,
    RetryState,
    ServerError,
    TerminatedError,
    TimeoutError,
    TimeoutType,
    WorkflowAlreadyStartedError,
    WorkflowFailureError,
    is_cancelled_exception,
)
from durable.v1 import common_pb2

DC = DataConverter.default
Failure = common_pb2.Failure
Payload = common_pb2.Payload


@dataclasses.dataclass
class Detail:
    code: int
    reason: str


def raised(exc: BaseException) -> BaseException:
    """Raise and catch ``exc`` so that it carries a traceback."""
    try:
        raise exc
    except BaseException as e:
        return e


def roundtrip(exc: BaseException) -> FailureError:
    failure = DC.to_failure(exc)
    # Through bytes, as it would cross the engine.
    return DC.from_failure(Failure.FromString(failure.SerializeToString()))


# --- Exception classes ----------------------------------------------------------------------


def test_enum_values_match_the_proto() -> None:
    for member in TimeoutType:
        assert common_pb2.TimeoutType.Value(f"TIMEOUT_TYPE_{member.name}") == member.value
    for member in RetryState:
        assert common_pb2.RetryState.Value(f"RETRY_STATE_{member.name}") == member.value


def test_application_error_attributes() -> None:
    err = ApplicationError("boom", 1, "two", type="Bad", non_retryable=True,
                           next_retry_delay=timedelta(seconds=3))
    assert str(err) == "boom" and err.message == "boom"
    assert err.details == (1, "two")
    assert err.type == "Bad" and err.non_retryable
    assert err.next_retry_delay == timedelta(seconds=3)
    assert err.failure is None and err.cause is None
    assert isinstance(err, FailureError) and isinstance(err, DurableError)


def test_application_error_rejects_bad_retry_delay() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        ApplicationError("x", next_retry_delay=timedelta(seconds=-1))
    with pytest.raises(TypeError, match="must be a timedelta"):
        ApplicationError("x", next_retry_delay=5)  # type: ignore[arg-type]


def test_is_cancelled_exception() -> None:
    assert is_cancelled_exception(asyncio.CancelledError())
    assert is_cancelled_exception(CancelledError())
    act = ActivityError("failed", scheduled_event_id=1, started_event_id=2, identity="w",
                        activity_type="a", activity_id="1", retry_state=None)
    assert not is_cancelled_exception(act)
    act.__cause__ = CancelledError("stop")
    assert is_cancelled_exception(act)
    assert not is_cancelled_exception(ApplicationError("x"))
    wrapped = ApplicationError("x")
    wrapped.__cause__ = CancelledError()
    assert not is_cancelled_exception(wrapped)


def test_workflow_failure_error_carries_cause() -> None:
    cause = ApplicationError("inner")
    err = WorkflowFailureError(cause=cause)
    assert err.cause is cause and err.__cause__ is cause
    assert "failed" in str(err)


def test_workflow_already_started_error() -> None:
    err = WorkflowAlreadyStartedError("wf-1", "MyWorkflow", run_id="r1")
    assert (err.workflow_id, err.workflow_type, err.run_id) == ("wf-1", "MyWorkflow", "r1")
    assert "wf-1" in str(err)


# --- to_failure -----------------------------------------------------------------------------


def test_plain_exception_becomes_application_failure_with_class_name() -> None:
    f = DC.to_failure(raised(KeyError("missing")))
    assert f.WhichOneof("info") == "application_failure_info"
    assert f.application_failure_info.type == "KeyError"
    assert f.message == "'missing'"
    assert f.source == "python"
    assert "raise exc" in f.stack_trace
    assert not f.application_failure_info.non_retryable


def test_application_error_fields_on_the_wire() -> None:
    f = DC.to_failure(
        ApplicationError("bad card", Detail(4, "expired"), type="CardError",
                         non_retryable=True, next_retry_delay=timedelta(milliseconds=1500))
    )
    info = f.application_failure_info
    assert (info.type, info.non_retryable, info.next_retry_delay_us) == (
        "CardError", True, 1_500_000)
    assert info.details.payloads[0].data == b'{"code":4,"reason":"expired"}'
    assert f.stack_trace == ""  # never raised


def test_asyncio_cancelled_becomes_canceled_failure() -> None:
    f = DC.to_failure(raised(asyncio.CancelledError()))
    assert f.WhichOneof("info") == "canceled_failure_info"
    assert f.message == "cancelled"
    assert isinstance(DC.from_failure(f), CancelledError)


def test_unserializable_details_are_dropped_not_raised() -> None:
    f = DC.to_failure(ApplicationError("oops", object(), type="T"))
    assert f.message.startswith("oops (details dropped: cannot serialize a value of type object")
    assert len(f.application_failure_info.details.payloads) == 0
    assert f.application_failure_info.type == "T"


def test_context_is_used_when_there_is_no_cause() -> None:
    try:
        try:
            raise ValueError("first")
        except ValueError:
            raise RuntimeError("second")  # noqa: B904 - implicit context on purpose
    except RuntimeError as e:
        f = DC.to_failure(e)
    assert f.message == "second"
    assert f.cause.message == "first"
    assert f.cause.application_failure_info.type == "ValueError"


def test_suppressed_context_is_not_a_cause() -> None:
    try:
        try:
            raise ValueError("first")
        except ValueError:
            raise RuntimeError("second") from None
    except RuntimeError as e:
        f = DC.to_failure(e)
    assert not f.HasField("cause")


def test_cause_chain_depth_is_bounded_and_cycles_end() -> None:
    top = ApplicationError("level 0")
    cur = top
    for i in range(1, 100):
        nxt = ApplicationError(f"level {i}")
        cur.__cause__ = nxt
        cur = nxt
    conv = DefaultFailureConverter(max_cause_depth=5)
    f = conv.to_failure(top, DC.payload_converter)
    depth = 0
    while f.HasField("cause"):
        f = f.cause
        depth += 1
    assert depth == 5 and f.message == "level 5"

    a, b = ApplicationError("a"), ApplicationError("b")
    a.__cause__, b.__cause__ = b, a
    f = DC.to_failure(a)
    assert f.cause.message == "b" and not f.cause.HasField("cause")
    with pytest.raises(ValueError, match="max_cause_depth"):
        DefaultFailureConverter(max_cause_depth=-1)


def test_failure_error_from_a_failure_is_written_back_unchanged() -> None:
    original = DC.to_failure(raised(ApplicationError("deep", type="X")))
    err = DC.from_failure(original)
    # Re-raised in another place: the original failure (and its stack trace) is kept.
    again = DC.to_failure(raised(err))
    assert again == original


# --- Round trips ----------------------------------------------------------------------------


def test_roundtrip_application_error_with_dataclass_details() -> None:
    back = roundtrip(ApplicationError("bad", Detail(1, "r"), [1, 2], type="T",
                                      non_retryable=True, next_retry_delay=timedelta(seconds=2)))
    assert isinstance(back, ApplicationError)
    assert back.message == "bad"
    # Details are decoded without type hints: dataclasses come back as plain dicts ...
    assert back.details == ({"code": 1, "reason": "r"}, [1, 2])
    # ... which convert to the dataclass on demand.
    assert back.failure is not None
    assert DC.from_payload(back.failure.application_failure_info.details.payloads[0],
                           Detail) == Detail(1, "r")
    assert (back.type, back.non_retryable, back.next_retry_delay) == (
        "T", True, timedelta(seconds=2))


def test_roundtrip_plain_exception() -> None:
    back = roundtrip(raised(ZeroDivisionError("division by zero")))
    assert isinstance(back, ApplicationError)
    assert back.type == "ZeroDivisionError"
    assert back.message == "division by zero"
    assert back.details == () and back.next_retry_delay is None and not back.non_retryable
    assert back.failure is not None and "raise exc" in back.failure.stack_trace


def test_roundtrip_timeout_error() -> None:
    back = roundtrip(TimeoutError("timed out", type=TimeoutType.HEARTBEAT,
                                  last_heartbeat_details=[{"progress": 40}]))
    assert isinstance(back, TimeoutError)
    assert back.type is TimeoutType.HEARTBEAT
    assert list(back.last_heartbeat_details) == [{"progress": 40}]
    assert roundtrip(TimeoutError("t", type=None)).type is None  # type: ignore[union-attr]


def test_roundtrip_cancelled_error() -> None:
    back = roundtrip(CancelledError("stop it", "why"))
    assert isinstance(back, CancelledError)
    assert back.message == "stop it" and back.details == ("why",)


def test_roundtrip_terminated_and_server_errors() -> None:
    back = roundtrip(TerminatedError("by admin"))
    assert isinstance(back, TerminatedError) and back.message == "by admin"
    back = roundtrip(ServerError("disk full", non_retryable=True))
    assert isinstance(back, ServerError) and back.non_retryable


def test_roundtrip_activity_error_with_cause() -> None:
    err = ActivityError("activity failed", scheduled_event_id=5, started_event_id=6,
                        identity="worker-1", activity_type="charge", activity_id="act-1",
                        retry_state=RetryState.MAXIMUM_ATTEMPTS_REACHED)
    err.__cause__ = ApplicationError("card declined", type="CardError")
    back = roundtrip(err)
    assert isinstance(back, ActivityError)
    assert (back.scheduled_event_id, back.started_event_id, back.identity,
            back.activity_type, back.activity_id, back.retry_state) == (
        5, 6, "worker-1", "charge", "act-1", RetryState.MAXIMUM_ATTEMPTS_REACHED)
    assert isinstance(back.cause, ApplicationError) and back.cause.type == "CardError"


def test_roundtrip_child_workflow_error() -> None:
    err = ChildWorkflowError("child failed", namespace="default", workflow_id="child-1",
                             run_id="run-9", workflow_type="Child", initiated_event_id=3,
                             started_event_id=4, retry_state=RetryState.NON_RETRYABLE_FAILURE)
    err.__cause__ = TimeoutError("t", type=TimeoutType.START_TO_CLOSE)
    back = roundtrip(err)
    assert isinstance(back, ChildWorkflowError)
    assert (back.namespace, back.workflow_id, back.run_id, back.workflow_type,
            back.initiated_event_id, back.started_event_id, back.retry_state) == (
        "default", "child-1", "run-9", "Child", 3, 4, RetryState.NON_RETRYABLE_FAILURE)
    assert isinstance(back.cause, TimeoutError)
    assert back.cause.type is TimeoutType.START_TO_CLOSE


def test_roundtrip_three_level_cause_chain() -> None:
    try:
        try:
            try:
                raise ValueError("root cause")
            except ValueError as e:
                raise ApplicationError("middle", Detail(2, "mid"), type="Mid") from e
        except ApplicationError as e:
            raise RuntimeError("top") from e
    except RuntimeError as e:
        top = e
    back = roundtrip(top)
    assert isinstance(back, ApplicationError) and back.type == "RuntimeError"
    middle = back.cause
    assert isinstance(middle, ApplicationError) and middle.type == "Mid"
    assert middle.details == ({"code": 2, "reason": "mid"},)
    root = middle.cause
    assert isinstance(root, ApplicationError) and root.type == "ValueError"
    assert root.message == "root cause" and root.cause is None
    # Each level keeps its own failure (and stack trace).
    assert back.failure is not None and back.failure.cause.message == "middle"
    assert "raise RuntimeError" in back.failure.stack_trace
    assert root.failure is not None and "raise RuntimeError" not in root.failure.stack_trace
    assert "raise ValueError" in root.failure.stack_trace


def test_plain_failure_error_and_already_started_map_to_application_info() -> None:
    back = roundtrip(FailureError("generic"))
    assert isinstance(back, ApplicationError) and back.type == "FailureError"
    back = roundtrip(WorkflowAlreadyStartedError("wf", "T"))
    assert isinstance(back, ApplicationError) and back.type == "WorkflowAlreadyStartedError"


# --- from_failure on odd input --------------------------------------------------------------


def test_failure_without_info_becomes_application_error() -> None:
    back = DC.from_failure(Failure(message="engine said no", source="engine"))
    assert isinstance(back, ApplicationError)
    assert back.message == "engine said no" and back.type is None


def test_unknown_enum_values_become_none() -> None:
    f = Failure(message="t", timeout_failure_info=common_pb2.TimeoutFailureInfo(timeout_type=99))
    back = DC.from_failure(f)
    assert isinstance(back, TimeoutError) and back.type is None


def test_undecodable_details_are_kept_as_raw_payloads() -> None:
    raw = Payload(metadata={"encoding": b"binary/encrypted"}, data=b"\x01")
    f = Failure(message="m", application_failure_info=common_pb2.ApplicationFailureInfo(
        details=common_pb2.Payloads(payloads=[raw])))
    back = DC.from_failure(f)
    assert isinstance(back, ApplicationError)
    assert back.details == (raw,)


def test_extreme_retry_delays() -> None:
    for us, expected in [(2**63 - 1, timedelta(microseconds=2**63 - 1)), (-5, None)]:
        f = Failure(message="m", application_failure_info=common_pb2.ApplicationFailureInfo(
            next_retry_delay_us=us))
        back = DC.from_failure(f)
        assert isinstance(back, ApplicationError) and back.next_retry_delay == expected


def test_exception_with_broken_str_still_converts() -> None:
    class Broken(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    f = DC.to_failure(Broken())
    assert f.message == "<str() of Broken raised RuntimeError>"
    assert f.application_failure_info.type == "Broken"


def test_from_failure_does_not_alias_the_input() -> None:
    f = DC.to_failure(ApplicationError("a"))
    back = DC.from_failure(f)
    f.message = "changed"
    assert back.failure is not None and back.failure.message == "a"


# --- Codec on failures ----------------------------------------------------------------------


class ReverseCodec(PayloadCodec):
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [Payload(metadata={"encoding": b"binary/reversed"},
                        data=p.SerializeToString()[::-1]) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [Payload.FromString(p.data[::-1]) for p in payloads]


async def test_encode_and_decode_failure_apply_codec_through_the_chain() -> None:
    conv = dataclasses.replace(DataConverter.default, payload_codec=ReverseCodec())
    outer = ApplicationError("outer", "o-detail")
    outer.__cause__ = TimeoutError("inner", type=TimeoutType.HEARTBEAT,
                                   last_heartbeat_details=[Detail(7, "hb")])
    f = await conv.encode_failure(outer)
    assert f.application_failure_info.details.payloads[0].metadata["encoding"] == (
        b"binary/reversed")
    hb = f.cause.timeout_failure_info.last_heartbeat_details.payloads[0]
    assert hb.metadata["encoding"] == b"binary/reversed"
    encoded_copy = Failure()
    encoded_copy.CopyFrom(f)

    back = await conv.decode_failure(f)
    assert f == encoded_copy  # the input is left unchanged
    assert isinstance(back, ApplicationError) and back.details == ("o-detail",)
    assert isinstance(back.cause, TimeoutError)
    assert list(back.cause.last_heartbeat_details) == [{"code": 7, "reason": "hb"}]


async def test_failure_error_keeps_details_encoded_without_codec() -> None:
    conv = dataclasses.replace(DataConverter.default, payload_codec=ReverseCodec())
    f = await conv.encode_failure(ApplicationError("x", 1))
    # Decoding without the codec cannot read details; they are kept raw, nothing raises.
    back: Any = DC.from_failure(f)
    assert isinstance(back.details[0], Payload)
