"""Ported by hand from the style of temporalio's custom-converter sample: a class that JSON
cannot carry gets its own EncodingPayloadConverter, plugged in with
DataConverter(payload_converter_class=...)."""

from __future__ import annotations

import dataclasses
from typing import Any

from durable import workflow
from durable.api.common.v1 import Payload
from durable.client import Client
from durable.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    EncodingPayloadConverter,
)
from durable.worker import Worker


class GreetingInput:
    def __init__(self, name: str) -> None:
        self.name = name


class GreetingOutput:
    def __init__(self, result: str) -> None:
        self.result = result


class GreetingEncodingPayloadConverter(EncodingPayloadConverter):
    @property
    def encoding(self) -> str:
        return "text/my-greeting-encoding"

    def to_payload(self, value: Any) -> Payload | None:
        if isinstance(value, GreetingInput):
            return Payload(metadata={"encoding": self.encoding.encode(), "is_input": b"true"},
                           data=value.name.encode())
        if isinstance(value, GreetingOutput):
            return Payload(metadata={"encoding": self.encoding.encode()},
                           data=value.result.encode())
        return None

    def from_payload(self, payload: Payload, type_hint: Any | None = None) -> Any:
        if payload.metadata.get("is_input") == b"true":
            return GreetingInput(payload.data.decode())
        return GreetingOutput(payload.data.decode())


class GreetingPayloadConverter(CompositePayloadConverter):
    def __init__(self) -> None:
        # Ours first: the JSON converter would refuse these classes.
        super().__init__(GreetingEncodingPayloadConverter(),
                         *DefaultPayloadConverter.default_encoding_payload_converters)


greeting_data_converter = dataclasses.replace(DataConverter.default,
                                              payload_converter_class=GreetingPayloadConverter)


@workflow.defn
class GreetingWorkflow:
    @workflow.run
    async def run(self, input: GreetingInput) -> GreetingOutput:
        return GreetingOutput(f"Hello, {input.name}")


async def test_custom_payload_converter(client: Client, task_queue: str) -> None:
    client = Client(**{**client.config(), "data_converter": greeting_data_converter})
    async with Worker(client, task_queue=task_queue, workflows=[GreetingWorkflow]):
        handle = await client.start_workflow(GreetingWorkflow.run, GreetingInput("Temporal"),
                                             id=f"{task_queue}-conv", task_queue=task_queue)
        result = await handle.result()
    assert isinstance(result, GreetingOutput) and result.result == "Hello, Temporal"
    history = await handle.fetch_history()
    (arg,) = history.events[0].workflow_execution_started.input.payloads
    assert arg.metadata["encoding"] == b"text/my-greeting-encoding"
