"""Protobuf messages as workflow and activity values: ``json/protobuf`` (the default
converter's choice, as temporalio's) and ``binary/protobuf``, both with the ``messageType``
metadata; well-known types and durable's own wire types (``durable.api.common.v1``)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from google.protobuf import duration_pb2, struct_pb2, timestamp_pb2, wrappers_pb2

from durable import activity, workflow
from durable.api.common.v1 import Payload, WorkflowExecution
from durable.client import Client
from durable.converter import (
    BinaryNullPayloadConverter,
    BinaryPlainPayloadConverter,
    BinaryProtoPayloadConverter,
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    JSONProtoPayloadConverter,
)
from durable.exceptions import PayloadConversionError
from durable.worker import Worker

_WHEN = datetime(2026, 12, 4, 21, 0, 5, 250000, tzinfo=timezone.utc)


def _timestamp() -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(_WHEN)
    return ts


def test_the_default_converter_orders_encodings_as_temporalio() -> None:
    assert [c.encoding for c in DefaultPayloadConverter().converters] == [
        "binary/null", "binary/plain", "json/protobuf", "binary/protobuf", "json/plain"]


def test_a_message_becomes_json_protobuf_with_its_message_type() -> None:
    pc = DefaultPayloadConverter()
    p = pc.to_payload(_timestamp())
    assert p.metadata["encoding"] == b"json/protobuf"
    assert p.metadata["messageType"] == b"google.protobuf.Timestamp"
    assert json.loads(p.data) == "2026-12-04T21:00:05.250Z"
    back = pc.from_payload(p)  # no type hint needed: messageType names the class
    assert isinstance(back, timestamp_pb2.Timestamp) and back == _timestamp()
    # Compact JSON, sorted keys, proto3 JSON names (camelCase), as temporalio writes it.
    we = WorkflowExecution(workflow_id="w", run_id="r")
    pw = pc.to_payload(we)
    assert pw.data == b'{"runId":"r","workflowId":"w"}'
    assert pc.from_payload(pw, WorkflowExecution) == we


def test_durable_payload_and_well_known_types_round_trip() -> None:
    pc = DefaultPayloadConverter()
    inner = Payload(metadata={"encoding": b"json/plain"}, data=b'{"a":1}')
    struct = struct_pb2.Struct()
    struct.update({"name": "ns-1", "count": 3, "tags": ["a", "b"]})
    values = [inner, struct, duration_pb2.Duration(seconds=90, nanos=5),
              wrappers_pb2.StringValue(value="hi"), struct_pb2.Value(bool_value=True)]
    payloads = pc.to_payloads(values)
    assert {p.metadata["encoding"] for p in payloads} == {b"json/protobuf"}
    assert payloads[0].metadata["messageType"] == b"durable.v1.Payload"
    back = pc.from_payloads(payloads)
    assert back == values and [type(v) for v in back] == [type(v) for v in values]


def test_binary_protobuf_round_trips_and_is_decoded_by_the_default_converter() -> None:
    binary = BinaryProtoPayloadConverter()
    p = binary.to_payload(_timestamp())
    assert p is not None
    assert p.metadata["encoding"] == b"binary/protobuf"
    assert p.metadata["messageType"] == b"google.protobuf.Timestamp"
    assert p.data == _timestamp().SerializeToString()
    assert DefaultPayloadConverter().from_payload(p) == _timestamp()
    # Values that are not messages are left to the next converter.
    assert binary.to_payload({"a": 1}) is None
    assert JSONProtoPayloadConverter().to_payload(b"bytes") is None
    assert binary.to_payload(timestamp_pb2.Timestamp) is None  # a class, not a message


def test_bad_protobuf_payloads_are_refused_with_a_clear_error() -> None:
    pc = DefaultPayloadConverter()
    good = pc.to_payload(_timestamp())
    unknown = Payload()
    unknown.CopyFrom(good)
    unknown.metadata["messageType"] = b"no.such.Message"
    with pytest.raises(PayloadConversionError, match="unknown protobuf message type"):
        pc.from_payload(unknown)
    missing = Payload(metadata={"encoding": b"binary/protobuf"}, data=b"")
    with pytest.raises(PayloadConversionError, match="no 'messageType' metadata"):
        pc.from_payload(missing)
    corrupt = Payload(metadata={"encoding": b"binary/protobuf",
                                "messageType": b"google.protobuf.Timestamp"}, data=b"\xff\xff")
    with pytest.raises(PayloadConversionError, match="not a valid google.protobuf.Timestamp"):
        pc.from_payload(corrupt)
    extra = Payload(metadata={"encoding": b"json/protobuf",
                              "messageType": b"durable.v1.WorkflowExecution"},
                    data=b'{"workflowId":"w","fromTheFuture":1}')
    with pytest.raises(PayloadConversionError, match="not a valid durable.v1.WorkflowExecution"):
        pc.from_payload(extra)
    lenient = JSONProtoPayloadConverter(ignore_unknown_fields=True)
    assert lenient.from_payload(extra) == WorkflowExecution(workflow_id="w")


@activity.defn
async def stamp(ts: timestamp_pb2.Timestamp, extra: struct_pb2.Struct) -> struct_pb2.Struct:
    assert isinstance(ts, timestamp_pb2.Timestamp) and isinstance(extra, struct_pb2.Struct)
    out = struct_pb2.Struct()
    out.update({"at": ts.ToJsonString(), **dict(extra)})
    return out


@workflow.defn
class ProtoWorkflow:
    @workflow.run
    async def run(self, ts: timestamp_pb2.Timestamp, raw: Payload) -> Payload:
        extra = struct_pb2.Struct()
        extra.update({"raw_encoding": raw.metadata["encoding"].decode()})
        stamped = await workflow.execute_activity(
            stamp, args=[ts, extra], start_to_close_timeout=timedelta(seconds=30))
        assert isinstance(stamped, struct_pb2.Struct)
        return Payload(metadata={"encoding": b"json/plain"},
                       data=json.dumps(dict(stamped), sort_keys=True).encode())


async def _run(c: Client, wid: str) -> tuple[Payload, list[bytes]]:
    async with Worker(c, task_queue="proto", workflows=[ProtoWorkflow], activities=[stamp]):
        raw = Payload(metadata={"encoding": b"binary/plain"}, data=b"\x00\x01")
        handle = await c.start_workflow(ProtoWorkflow.run, args=[_timestamp(), raw], id=wid,
                                        task_queue="proto")
        result = await handle.result()
        history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started
    return result, [p.metadata["encoding"] for p in started.input.payloads]


async def test_protobuf_messages_as_workflow_and_activity_arguments_and_results(
        client: Client) -> None:
    result, encodings = await _run(client, "wf-proto")
    assert encodings == [b"json/protobuf", b"json/protobuf"]
    assert isinstance(result, Payload)
    assert json.loads(result.data) == {"at": "2026-12-04T21:00:05.250Z",
                                       "raw_encoding": "binary/plain"}


class BinaryFirstConverter(CompositePayloadConverter):
    def __init__(self) -> None:
        super().__init__(BinaryNullPayloadConverter(), BinaryPlainPayloadConverter(),
                         BinaryProtoPayloadConverter(), JSONPlainPayloadConverter())


async def test_binary_protobuf_through_a_workflow(client: Client) -> None:
    c = Client(**{**client.config(),
                  "data_converter": DataConverter(payload_converter_class=BinaryFirstConverter)})
    result, encodings = await _run(c, "wf-proto-binary")
    assert encodings == [b"binary/protobuf", b"binary/protobuf"]
    assert json.loads(result.data)["at"] == "2026-12-04T21:00:05.250Z"
