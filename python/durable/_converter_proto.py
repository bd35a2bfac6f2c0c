"""Protobuf messages as payload data: ``binary/protobuf`` and ``json/protobuf``.

Its one job is the protobuf mechanics behind :class:`durable.converter.BinaryProtoPayloadConverter`
and :class:`durable.converter.JSONProtoPayloadConverter`: serializing a message (wire format,
or compact JSON with sorted keys and proto3 JSON field names, as temporalio writes it), and
finding the message class named by a payload's ``messageType`` metadata to parse it again.
Private: the converters are in durable.converter.
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import descriptor_pool, json_format, message, message_factory

from durable.exceptions import PayloadConversionError

MESSAGE_TYPE_KEY = "messageType"


def is_message(value: Any) -> bool:
    """Whether ``value`` is a protobuf message instance (not a class)."""
    return isinstance(value, message.Message) and value.DESCRIPTOR is not None


def message_type(value: message.Message) -> str:
    """The full name written as ``messageType`` (``google.protobuf.Timestamp``)."""
    return value.DESCRIPTOR.full_name  # type: ignore[no-any-return]


def to_binary(value: message.Message) -> bytes:
    """The message in protobuf wire format (deterministic: map entries sorted)."""
    return value.SerializeToString(deterministic=True)


def to_json(value: message.Message) -> bytes:
    """The message as compact proto3 JSON with sorted keys (UTF-8)."""
    # MessageToJson has no compact form: go through the dict, as temporalio does.
    return json.dumps(json_format.MessageToDict(value), separators=(",", ":"),
                      sort_keys=True).encode()


def _message_class(payload_type: str, type_hint: Any) -> type[message.Message]:
    if (isinstance(type_hint, type) and issubclass(type_hint, message.Message)
            and type_hint.DESCRIPTOR.full_name == payload_type):
        return type_hint
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(payload_type)
    except KeyError:
        raise PayloadConversionError(
            f"unknown protobuf message type {payload_type!r}: import the module that "
            "defines it (its generated _pb2 module) before decoding") from None
    return message_factory.GetMessageClass(descriptor)  # type: ignore[no-any-return]


def _payload_type(payload: Any, encoding: str) -> str:
    raw = payload.metadata.get(MESSAGE_TYPE_KEY)
    if raw is None:
        raise PayloadConversionError(f"{encoding} payload has no {MESSAGE_TYPE_KEY!r} metadata")
    return raw.decode("utf-8", errors="replace")  # type: ignore[no-any-return]


def from_binary(payload: Any, type_hint: Any) -> message.Message:
    """Parse a ``binary/protobuf`` payload into an instance of its ``messageType``.

    Raises:
        PayloadConversionError: No ``messageType``, an unknown type, or corrupt data.
    """
    cls = _message_class(_payload_type(payload, "binary/protobuf"), type_hint)
    value = cls()
    try:
        value.ParseFromString(payload.data)
    except message.DecodeError as e:
        raise PayloadConversionError(
            f"binary/protobuf payload is not a valid {cls.DESCRIPTOR.full_name}: {e}") from e
    return value


def from_json(payload: Any, type_hint: Any, *, ignore_unknown_fields: bool) -> message.Message:
    """Parse a ``json/protobuf`` payload into an instance of its ``messageType``.

    Raises:
        PayloadConversionError: No ``messageType``, an unknown type, invalid JSON, or (unless
            ``ignore_unknown_fields``) a field the message does not have.
    """
    cls = _message_class(_payload_type(payload, "json/protobuf"), type_hint)
    try:
        return json_format.Parse(payload.data, cls(),  # type: ignore[no-any-return]
                                 ignore_unknown_fields=ignore_unknown_fields)
    except (json_format.ParseError, UnicodeDecodeError) as e:
        raise PayloadConversionError(
            f"json/protobuf payload is not a valid {cls.DESCRIPTOR.full_name}: {e}") from e
