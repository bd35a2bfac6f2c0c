"""Payload codecs: the :class:`PayloadCodec` interface and applying one to every payload in a
proto message.

Its one job is codec plumbing (encryption, compression); private: import these names from
durable.converter.
"""

from __future__ import annotations

import collections.abc
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from typing import TypeAlias

from google.protobuf.message import Message

from durable.exceptions import PayloadConversionError
from durable.v1 import common_pb2

Payload: TypeAlias = common_pb2.Payload
Failure: TypeAlias = common_pb2.Failure


# --- Payload codecs -------------------------------------------------------------------------


class PayloadCodec(ABC):
    """Transforms payloads on their way to and from the engine (encryption, compression).

    Applied by the client and the worker, never inside workflow code. ``encode`` and
    ``decode`` must return exactly one payload per input payload, in order.
    """

    @abstractmethod
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encode payloads.

        Args:
            payloads: Payloads produced by the payload converter.

        Returns:
            The encoded payloads, one per input.
        """

    @abstractmethod
    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decode payloads (the inverse of :meth:`encode`).

        Args:
            payloads: Encoded payloads.

        Returns:
            The decoded payloads, one per input.
        """

    async def encode_failure(self, failure: Failure) -> None:
        """Encode, in place, every payload inside a failure and its causes.

        Args:
            failure: The failure to modify.

        Raises:
            PayloadConversionError: The codec returned the wrong number of payloads.
        """
        await encode_payloads_in_message(self, failure)

    async def decode_failure(self, failure: Failure) -> None:
        """Decode, in place, every payload inside a failure and its causes.

        Args:
            failure: The failure to modify.

        Raises:
            PayloadConversionError: The codec returned the wrong number of payloads.
        """
        await decode_payloads_in_message(self, failure)


_PAYLOAD_FULL_NAME = Payload.DESCRIPTOR.full_name


def _collect_payloads(msg: Message, out: list[Payload], skip: Collection[str]) -> None:
    for fd, value in msg.ListFields():
        mt = fd.message_type
        if mt is None or fd.name in skip:
            continue
        if mt.full_name == _PAYLOAD_FULL_NAME:
            if fd.is_repeated:
                out.extend(value)
            else:
                out.append(value)
        elif mt.GetOptions().map_entry:
            value_fd = mt.fields_by_name["value"]
            if value_fd.message_type is None:
                continue
            for key in sorted(value):
                v = value[key]
                if value_fd.message_type.full_name == _PAYLOAD_FULL_NAME:
                    out.append(v)
                else:
                    _collect_payloads(v, out, skip)
        elif fd.is_repeated:
            for m in value:
                _collect_payloads(m, out, skip)
        else:
            _collect_payloads(value, out, skip)


async def _apply_codec(
    message: Message,
    fn: Callable[[Sequence[Payload]], collections.abc.Awaitable[list[Payload]]],
    what: str,
    skip_fields: Collection[str],
) -> None:
    found: list[Payload] = []
    _collect_payloads(message, found, skip_fields)
    if not found:
        return
    replaced = await fn([_copy(p) for p in found])
    if len(replaced) != len(found):
        raise PayloadConversionError(
            f"payload codec {what} returned {len(replaced)} payloads for {len(found)}"
        )
    for old, new in zip(found, replaced):
        old.CopyFrom(new)


def _copy(p: Payload) -> Payload:
    c = Payload()
    c.CopyFrom(p)
    return c


async def encode_payloads_in_message(
    codec: PayloadCodec, message: Message, *, skip_fields: Collection[str] = ()
) -> None:
    """Encode, in place and in one ``codec.encode`` call, every Payload inside a proto message.

    Walks singular, repeated and map fields recursively (e.g. an activation completion, a
    command list, a Failure with its causes).

    Args:
        codec: The codec.
        message: Any protobuf message; modified in place.
        skip_fields: Field names not to descend into (e.g. ``{"header"}``).

    Raises:
        PayloadConversionError: The codec returned the wrong number of payloads.
    """
    await _apply_codec(message, codec.encode, "encode", skip_fields)


async def decode_payloads_in_message(
    codec: PayloadCodec, message: Message, *, skip_fields: Collection[str] = ()
) -> None:
    """Decode, in place and in one ``codec.decode`` call, every Payload inside a proto message.

    Args:
        codec: The codec.
        message: Any protobuf message; modified in place.
        skip_fields: Field names not to descend into.

    Raises:
        PayloadConversionError: The codec returned the wrong number of payloads.
    """
    await _apply_codec(message, codec.decode, "decode", skip_fields)
