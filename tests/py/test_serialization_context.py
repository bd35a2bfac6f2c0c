"""Serialization contexts (temporalio's ``WithSerializationContext``): every payload is
converted in the context of the workflow or activity it belongs to, on the client, in the
workflow and in the activity worker, on both transports.

The converter under test stamps each payload with the context it was encoded in and refuses
to decode it in any other one: a path that converts without the right context (or with
none) fails the run, so the workflow completing is itself the proof; the recorded contexts
show which ids reached the converter.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import (
    ActivitySerializationContext,
    Client,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from durable.converter import (
    BinaryNullPayloadConverter,
    BinaryPlainPayloadConverter,
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    PayloadCodec,
    SerializationContext,
)
from durable.exceptions import ActivityError, ApplicationError, PayloadConversionError
from durable.worker import Worker

_seen: list[tuple[str, str]] = []  # (what, context) in the order conversions happened
_failures_seen: list[tuple[str, str]] = []  # (to_failure / from_failure, context)
_tokens: dict[str, bytes] = {}


@pytest.fixture(autouse=True)
def _fresh() -> None:
    _seen.clear()
    _failures_seen.clear()
    _tokens.clear()


def _name(context: SerializationContext | None) -> str:
    if isinstance(context, WorkflowSerializationContext):
        return f"workflow {context.namespace}/{context.workflow_id}"
    if isinstance(context, ActivitySerializationContext):
        return (f"activity {context.namespace}/{context.workflow_id}/{context.workflow_type}/"
                f"{context.activity_type}#{context.activity_id}@{context.activity_task_queue}"
                f"{' local' if context.is_local else ''}")
    return "no context"


class StampingJSON(JSONPlainPayloadConverter, WithSerializationContext):
    """json/plain that writes its context into the payload and decodes only in the same."""

    def __init__(self, context: SerializationContext | None = None) -> None:
        self.context = context

    def with_context(self, context: SerializationContext) -> StampingJSON:
        return StampingJSON(context)

    def to_payload(self, value: Any) -> Any:
        p = super().to_payload(value)
        p.metadata["context"] = _name(self.context).encode()
        _seen.append(("encode", _name(self.context)))
        return p

    def from_payload(self, payload: Any, type_hint: Any = None) -> Any:
        stamped = payload.metadata.get("context", b"<unstamped>").decode()
        _seen.append(("decode", _name(self.context)))
        if stamped != _name(self.context):
            raise PayloadConversionError(
                f"encoded in {stamped!r}, decoded in {_name(self.context)!r}")
        return super().from_payload(payload, type_hint)


class StampingPayloadConverter(CompositePayloadConverter):
    def __init__(self) -> None:
        super().__init__(BinaryNullPayloadConverter(), BinaryPlainPayloadConverter(),
                         StampingJSON())


class RecordingFailureConverter(DefaultFailureConverter, WithSerializationContext):
    def __init__(self, context: SerializationContext | None = None) -> None:
        super().__init__()
        self.context = context

    def with_context(self, context: SerializationContext) -> RecordingFailureConverter:
        return RecordingFailureConverter(context)

    def to_failure(self, exception: BaseException, payload_converter: Any) -> Any:
        _failures_seen.append(("to_failure", _name(self.context)))
        return super().to_failure(exception, payload_converter)

    def from_failure(self, failure: Any, payload_converter: Any) -> Any:
        _failures_seen.append(("from_failure", _name(self.context)))
        return super().from_failure(failure, payload_converter)


stamping_converter = DataConverter(payload_converter_class=StampingPayloadConverter,
                                   failure_converter_class=RecordingFailureConverter)


def _stamp_of(payload_converter: Any) -> str:
    return payload_converter.to_payload("x").metadata["context"].decode()  # type: ignore[no-any-return]


@activity.defn
async def shout(text: str) -> str:
    # activity.payload_converter() is the one in this activity's context.
    return f"{text.upper()} [{_stamp_of(activity.payload_converter())}]"


@activity.defn
async def refuse(detail: dict[str, int]) -> None:
    raise ApplicationError("refused", detail, non_retryable=True)


@activity.defn
async def completes_elsewhere(key: str) -> str:
    _tokens[key] = activity.info().task_token
    activity.raise_complete_async()


@workflow.defn
class ChildWorkflow:
    def __init__(self) -> None:
        self._go: str | None = None

    @workflow.signal
    def go(self, word: str) -> None:
        self._go = word

    @workflow.run
    async def run(self, prefix: str) -> str:
        await workflow.wait_condition(lambda: self._go is not None)
        return f"{prefix}-{self._go}"


@workflow.defn
class ContextWorkflow:
    def __init__(self) -> None:
        self._signals: list[str] = []
        self._done = False

    @workflow.signal
    def note(self, text: str) -> None:
        self._signals.append(text)

    @workflow.query
    def greet(self, name: str) -> str:
        return f"hi {name}"

    @workflow.update
    def finish(self, word: str) -> str:
        self._done = True
        return f"finished with {word}"

    @workflow.run
    async def run(self, name: str) -> dict[str, Any]:
        out: dict[str, Any] = {"arg": name,
                               "workflow_pc": _stamp_of(workflow.payload_converter())}
        out["activity"] = await workflow.execute_activity(
            shout, name, start_to_close_timeout=timedelta(seconds=30))
        out["named_activity"] = await workflow.execute_activity(
            shout, "named", activity_id="my-act", start_to_close_timeout=timedelta(seconds=30))
        out["local"] = await workflow.execute_local_activity(
            shout, "local", start_to_close_timeout=timedelta(seconds=30))
        try:
            await workflow.execute_activity(refuse, {"code": 7},
                                            start_to_close_timeout=timedelta(seconds=30))
        except ActivityError as e:
            assert isinstance(e.cause, ApplicationError)
            out["failure_details"] = list(e.cause.details)
        child = await workflow.start_child_workflow(
            ChildWorkflow.run, "child", id=f"{workflow.info().workflow_id}-child")
        await child.signal(ChildWorkflow.go, "now")
        out["child"] = await child
        await workflow.wait_condition(lambda: self._done)
        out["signals"] = list(self._signals)
        return out


@workflow.defn
class AsyncCompletionWorkflow:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(  # type: ignore[no-any-return]
            completes_elsewhere, "k", activity_id="ext",
            start_to_close_timeout=timedelta(seconds=30))


async def test_each_payload_is_converted_in_its_workflow_or_activity_context(
        client: Client) -> None:
    c = Client(**{**client.config(), "data_converter": stamping_converter})
    ns = c.namespace
    async with Worker(c, task_queue="ctx", workflows=[ContextWorkflow, ChildWorkflow],
                      activities=[shout, refuse]):
        handle = await c.start_workflow(ContextWorkflow.run, "ana", id="wf-ctx",
                                        task_queue="ctx", memo={"owner": "ana"})
        await handle.signal(ContextWorkflow.note, "one")
        await handle.signal(ContextWorkflow.note, "two")
        assert await handle.query(ContextWorkflow.greet, "bo") == "hi bo"
        assert await handle.execute_update(ContextWorkflow.finish, "bye") == "finished with bye"
        result = await handle.result()
        # The memo, as listed, is decoded in the listed workflow's context too.
        listed = [wf async for wf in c.list_workflows("WorkflowId = 'wf-ctx'")]
        assert [await wf.memo() for wf in listed] == [{"owner": "ana"}]

    wf = f"workflow {ns}/wf-ctx"
    act = f"activity {ns}/wf-ctx/ContextWorkflow/shout"
    assert result == {
        "arg": "ana",
        "workflow_pc": wf,
        "activity": f"ANA [{act}#1@ctx]",  # the id durable gave it (the seq)
        "named_activity": f"NAMED [{act}#my-act@ctx]",
        "local": f"LOCAL [{act}#1@ctx local]",
        "failure_details": [{"code": 7}],
        "child": "child-now",
        "signals": ["one", "two"],
    }
    seen = set(_seen)
    # The client's start argument, signals, query, update and result: the workflow's context.
    assert ("encode", wf) in seen and ("decode", wf) in seen
    # Child workflow: its argument, the signal to it and its result in the child's context.
    child = f"workflow {ns}/wf-ctx-child"
    assert ("encode", child) in seen and ("decode", child) in seen
    # The failing activity: its argument and failure details in the activity's context.
    refuse_ctx = f"activity {ns}/wf-ctx/ContextWorkflow/refuse#3@ctx"
    assert ("encode", refuse_ctx) in seen and ("decode", refuse_ctx) in seen
    # The failure converter got the same context on both sides of the activity's failure.
    assert ("to_failure", refuse_ctx) in _failures_seen
    assert ("from_failure", refuse_ctx) in _failures_seen
    # No payload was converted without a context.
    assert not [s for s in _seen if s[1] == "no context"], _seen


async def _token(key: str, timeout: float = 15.0) -> bytes:
    deadline = time.monotonic() + timeout
    while key not in _tokens:
        assert time.monotonic() < deadline, f"activity {key} did not start"
        await asyncio.sleep(0.02)
    return _tokens[key]


async def test_async_activity_handle_with_context_encodes_as_the_worker_decodes(
        client: Client) -> None:
    c = Client(**{**client.config(), "data_converter": stamping_converter})
    async with Worker(c, task_queue="ctx-async", workflows=[AsyncCompletionWorkflow],
                      activities=[completes_elsewhere]):
        handle = await c.start_workflow(AsyncCompletionWorkflow.run, id="wf-async",
                                        task_queue="ctx-async")
        await _token("k")
        plain = c.get_async_activity_handle(workflow_id="wf-async", activity_id="ext")
        context = ActivitySerializationContext(
            namespace=c.namespace, activity_id="ext", activity_type="completes_elsewhere",
            activity_task_queue="ctx-async", workflow_id="wf-async",
            workflow_type="AsyncCompletionWorkflow", is_local=False)
        with_context = plain.with_context(context)
        assert with_context is not plain
        await with_context.complete("done elsewhere")
        assert await handle.result() == "done elsewhere"
    expected = f"activity {c.namespace}/wf-async/AsyncCompletionWorkflow/completes_elsewhere"
    assert ("encode", f"{expected}#ext@ctx-async") in _seen
    # A client whose converter takes no context: the handle itself comes back.
    same = client.get_async_activity_handle(workflow_id="wf-async", activity_id="ext")
    assert same.with_context(context) is same


async def test_a_mismatched_context_is_refused_by_the_stamping_converter() -> None:
    # The test converter itself: what one context encodes, another cannot decode.
    pc = StampingPayloadConverter()
    a = pc.with_context(WorkflowSerializationContext(namespace="default", workflow_id="a"))
    b = pc.with_context(WorkflowSerializationContext(namespace="default", workflow_id="b"))
    payload = a.to_payload({"x": 1})
    assert a.from_payload(payload) == {"x": 1}
    with pytest.raises(PayloadConversionError, match="encoded in 'workflow default/a'"):
        b.from_payload(payload)


class KeyedCodec(PayloadCodec, WithSerializationContext):
    def __init__(self, key: str = "") -> None:
        self.key = key

    def with_context(self, context: SerializationContext) -> KeyedCodec:
        assert isinstance(context, WorkflowSerializationContext)
        return KeyedCodec(context.workflow_id)

    async def encode(self, payloads: Any) -> list[Any]:
        out = []
        for p in payloads:
            q = type(p)()
            q.CopyFrom(p)
            q.metadata["key"] = self.key.encode()
            out.append(q)
        return out

    async def decode(self, payloads: Any) -> list[Any]:
        for p in payloads:
            assert p.metadata["key"] == self.key.encode()
        return list(payloads)


async def test_data_converter_with_context_replaces_the_parts_that_take_one() -> None:
    ctx = WorkflowSerializationContext(namespace="default", workflow_id="w1")
    # Nothing takes a context: the same objects come back.
    assert DataConverter.default.with_context(ctx) is DataConverter.default
    default_pc = DefaultPayloadConverter()
    assert default_pc.get_converters_with_context(ctx) is None
    assert default_pc.with_context(ctx) is default_pc
    # A codec that takes one: a copy with the codec's with_context, the rest unchanged.
    dc = dataclasses.replace(DataConverter.default, payload_codec=KeyedCodec())
    w1 = dc.with_context(ctx)
    assert w1 is not dc and isinstance(w1.payload_codec, KeyedCodec)
    assert w1.payload_codec.key == "w1" and w1.payload_converter is dc.payload_converter
    assert dc.payload_codec.key == ""  # type: ignore[union-attr]  # the original is untouched
    (p,) = await w1.encode(["v"])
    assert p.metadata["key"] == b"w1"
    assert await w1.decode([p]) == ["v"]
    with pytest.raises(AssertionError):
        await dc.with_context(WorkflowSerializationContext("default", "w2")).decode([p])
    # The composite: the context-aware encoding converter is replaced, the others kept.
    stamping = StampingPayloadConverter()
    convs = stamping.get_converters_with_context(ctx)
    assert convs is not None and [type(c) for c in convs] == [
        BinaryNullPayloadConverter, BinaryPlainPayloadConverter, StampingJSON]
    assert convs[0] is stamping.converters[0] and convs[2] is not stamping.converters[2]
    assert isinstance(stamping.with_context(ctx), StampingPayloadConverter)


class ComposedContextConverter(CompositePayloadConverter):
    """A composite that takes the context itself (its encoding converters take none)."""

    def __init__(self, context: SerializationContext | None = None) -> None:
        super().__init__(BinaryNullPayloadConverter(), JSONPlainPayloadConverter())
        self.context = context

    def with_context(self, context: SerializationContext) -> ComposedContextConverter:
        return ComposedContextConverter(context)


def test_only_converters_that_take_no_context_are_skipped() -> None:
    from durable._converter_context import takes_context

    # The default parts take none: the SDK does not even build a context for them.
    assert not takes_context(DataConverter.default)
    assert not takes_context(DefaultPayloadConverter())
    assert takes_context(StampingPayloadConverter())
    assert takes_context(stamping_converter)
    assert takes_context(dataclasses.replace(DataConverter.default, payload_codec=KeyedCodec()))
    # A composite overriding with_context is asked even though its parts take none.
    composed = DataConverter(payload_converter_class=ComposedContextConverter)
    assert takes_context(composed)
    ctx = WorkflowSerializationContext(namespace="default", workflow_id="w9")
    assert composed.with_context(ctx).payload_converter.context == ctx  # type: ignore[attr-defined]
