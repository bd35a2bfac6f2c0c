"""Data conversion: Python values <-> ``durable.v1.Payload``, exceptions <-> ``Failure``.

Mirrors ``temporalio.converter``. A :class:`DataConverter` bundles three parts:

* a :class:`PayloadConverter` (sync, deterministic; used inside workflow code). The default
  one tries, in order (temporalio's): ``binary/null`` for ``None``, ``binary/plain`` for
  ``bytes``, ``json/protobuf`` for protobuf messages (``binary/protobuf`` is decoded too),
  and ``json/plain`` (compact UTF-8 JSON) for everything else;
* a :class:`FailureConverter` turning exceptions into ``Failure`` protos and back;
* an optional :class:`PayloadCodec` (async; e.g. encryption or compression) that the client
  and the worker apply to payloads on their way to and from the engine. Workflow code never
  sees encoded payloads.

Any of the three (and any encoding converter) that also subclasses
:class:`WithSerializationContext` is told, before each conversion, which workflow or
activity the payloads belong to (:class:`WorkflowSerializationContext`,
:class:`ActivitySerializationContext`; who gets which: ``durable._converter_context``).

JSON mapping (encoding; decoding is driven by type hints, see :func:`value_to_type`):

==========================  ================================================================
Python                      JSON
==========================  ================================================================
None, bool, int, float, str the same (NaN and infinities as Python's ``json`` writes them)
list, tuple, NamedTuple     array
set, frozenset              array, sorted when the items are comparable (deterministic)
dict / Mapping              object; keys may be str, int, float, bool, None, Enum, UUID
dataclass                   object of all its fields
pydantic v2 model           ``model.model_dump(mode="json")``
enum.Enum (any kind)        its ``value``
datetime, date, time        ISO 8601 string (``isoformat()``; naive stays naive)
timedelta                   number of seconds (float, microsecond precision)
uuid.UUID                   its canonical string
bytes inside a structure    base64 string (at top level ``bytes`` use ``binary/plain``)
==========================  ================================================================

Anything else (``Decimal``, ``object()``, functions, sockets, ...) raises
:class:`~durable.exceptions.PayloadConversionError` naming the type and the field path.

The JSON mapping lives in ``_converter_json``, protobuf (de)serialization in
``_converter_proto``, transfer types in ``_converter_transfer``, payload codecs in
``_converter_codec``, failure converters in ``_converter_failure`` and serialization
contexts in ``_converter_context``; their public names are re-exported here.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, TypeAlias

from durable import _converter_proto
from durable._converter_codec import (
    PayloadCodec,
    decode_payloads_in_message,
    encode_payloads_in_message,
)
from durable._converter_context import (
    ActivitySerializationContext,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
    apply_context,
    takes_context,
)
from durable._converter_failure import (
    DefaultFailureConverter,
    DefaultFailureConverterWithEncodedAttributes,
    FailureConverter,
)
from durable._converter_json import _type_name, to_json_bytes, value_to_type
from durable._converter_proto import MESSAGE_TYPE_KEY
from durable._converter_transfer import (
    TransferTypeConverter,
    create_payload_validation_error,
    transfer_converter_of,
    transfer_type_convertible,
)
from durable._search_attributes import (
    decode_search_attributes,
    decode_typed_search_attributes,
    encode_search_attributes,
    encode_typed_search_attribute_value,
)
from durable.exceptions import FailureError, PayloadConversionError
from durable.v1 import common_pb2

__all__ = [
    "ActivitySerializationContext",
    "BinaryNullPayloadConverter",
    "BinaryPlainPayloadConverter",
    "BinaryProtoPayloadConverter",
    "CompositePayloadConverter",
    "DataConverter",
    "DefaultFailureConverter",
    "DefaultFailureConverterWithEncodedAttributes",
    "DefaultPayloadConverter",
    "EncodingPayloadConverter",
    "FailureConverter",
    "JSONPlainPayloadConverter",
    "JSONProtoPayloadConverter",
    "PayloadCodec",
    "PayloadConverter",
    "SerializationContext",
    "TransferTypeConverter",
    "WithSerializationContext",
    "WorkflowSerializationContext",
    "create_payload_validation_error",
    "decode_payloads_in_message",
    "decode_search_attributes",
    "decode_typed_search_attributes",
    "default",
    "encode_payloads_in_message",
    "encode_search_attributes",
    "encode_typed_search_attribute_value",
    "transfer_type_convertible",
    "value_to_type",
]

Payload: TypeAlias = common_pb2.Payload
Failure: TypeAlias = common_pb2.Failure

ENCODING_KEY = "encoding"


# --- Payload converters ---------------------------------------------------------------------


class PayloadConverter(ABC):
    """Turns Python values into payloads and back. Must be deterministic and synchronous."""

    @abstractmethod
    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        """Encode values, one payload each.

        Args:
            values: The values.

        Returns:
            One payload per value, in order.

        Raises:
            PayloadConversionError: A value cannot be encoded.
        """

    @abstractmethod
    def from_payloads(
        self, payloads: Sequence[Payload], type_hints: Sequence[Any] | None = None
    ) -> list[Any]:
        """Decode payloads.

        Args:
            payloads: The payloads.
            type_hints: Target types, matched by position. Missing entries (a shorter list,
                e.g. parameters with defaults) and ``None`` entries mean "no hint": the plain
                JSON value is returned. Extra entries are ignored.

        Returns:
            One value per payload, in order.

        Raises:
            PayloadConversionError: A payload cannot be decoded to its type hint.
        """

    def to_payload(self, value: Any) -> Payload:
        """Encode one value.

        Args:
            value: The value.

        Returns:
            Its payload.

        Raises:
            PayloadConversionError: The value cannot be encoded.
        """
        return self.to_payloads([value])[0]

    def from_payload(self, payload: Payload, type_hint: Any | None = None) -> Any:
        """Decode one payload.

        Args:
            payload: The payload.
            type_hint: Target type, or ``None`` for the plain JSON value.

        Returns:
            The value.

        Raises:
            PayloadConversionError: The payload cannot be decoded to ``type_hint``.
        """
        return self.from_payloads([payload], [type_hint])[0]


class EncodingPayloadConverter(ABC):
    """Converts the values it supports to payloads of one ``encoding``."""

    @property
    @abstractmethod
    def encoding(self) -> str:
        """The ``encoding`` metadata value this converter writes and reads."""

    @abstractmethod
    def to_payload(self, value: Any) -> Payload | None:
        """Encode a value.

        Args:
            value: The value.

        Returns:
            The payload, or ``None`` if this converter does not handle such values (the next
            converter of a :class:`CompositePayloadConverter` is tried).

        Raises:
            PayloadConversionError: The value is of a handled kind but cannot be encoded.
        """

    @abstractmethod
    def from_payload(self, payload: Payload, type_hint: Any | None = None) -> Any:
        """Decode a payload of this converter's encoding.

        Args:
            payload: The payload.
            type_hint: Target type, or ``None``.

        Returns:
            The value.

        Raises:
            PayloadConversionError: The payload does not fit ``type_hint`` or is corrupt.
        """

    def _payload(self, data: bytes) -> Payload:
        return Payload(metadata={ENCODING_KEY: self.encoding.encode()}, data=data)


class BinaryNullPayloadConverter(EncodingPayloadConverter):
    """``None`` <-> ``binary/null`` (empty data)."""

    @property
    def encoding(self) -> str:
        """``binary/null``."""
        return "binary/null"

    def to_payload(self, value: Any) -> Payload | None:
        """See :meth:`EncodingPayloadConverter.to_payload`."""
        return self._payload(b"") if value is None else None

    def from_payload(self, payload: Payload, type_hint: Any | None = None) -> Any:
        """See :meth:`EncodingPayloadConverter.from_payload`."""
        if payload.data:
            raise PayloadConversionError(
                f"binary/null payload carries {len(payload.data)} bytes of data; expected none"
            )
        return value_to_type(type_hint, None)


class BinaryPlainPayloadConverter(EncodingPayloadConverter):
    """``bytes`` / ``bytearray`` <-> ``binary/plain`` (the raw bytes)."""

    @property
    def encoding(self) -> str:
        """``binary/plain``."""
        return "binary/plain"

    def to_payload(self, value: Any) -> Payload | None:
        """See :meth:`EncodingPayloadConverter.to_payload`."""
        if isinstance(value, (bytes, bytearray)):
            return self._payload(bytes(value))
        return None

    def from_payload(self, payload: Payload, type_hint: Any | None = None) -> Any:
        """See :meth:`EncodingPayloadConverter.from_payload`."""
        return value_to_type(type_hint, bytes(payload.data))


class JSONProtoPayloadConverter(EncodingPayloadConverter):
    """Protobuf messages <-> ``json/protobuf`` (compact proto3 JSON, sorted keys), with the
    message's full name in the ``messageType`` metadata (as temporalio and other SDKs).

    Decoding makes an instance of the class ``messageType`` names (its generated module must
    have been imported); a type hint is not needed.

    Args:
        ignore_unknown_fields: Decode JSON that has fields the message does not know (sent
            by a newer schema) instead of refusing it.
    """

    def __init__(self, ignore_unknown_fields: bool = False) -> None:
        self._ignore_unknown_fields = ignore_unknown_fields

    @property
    def encoding(self) -> str:
        """``json/protobuf``."""
        return "json/protobuf"

    def to_payload(self, value: Any) -> Payload | None:
        """See :meth:`EncodingPayloadConverter.to_payload`."""
        if not _converter_proto.is_message(value):
            return None
        p = self._payload(_converter_proto.to_json(value))
        p.metadata[MESSAGE_TYPE_KEY] = _converter_proto.message_type(value).encode()
        return p

    def from_payload(self, payload: Payload, type_hint: Any | None = None) -> Any:
        """See :meth:`EncodingPayloadConverter.from_payload`."""
        return _converter_proto.from_json(payload, type_hint,
                                          ignore_unknown_fields=self._ignore_unknown_fields)


class BinaryProtoPayloadConverter(EncodingPayloadConverter):
    """Protobuf messages <-> ``binary/protobuf`` (wire format), with the message's full name
    in the ``messageType`` metadata. In the default converter it comes after
    ``json/protobuf``, which encodes every message first: it is there to decode
    ``binary/protobuf`` payloads (from other SDKs, or a converter that lists it first).
    """

    @property
    def encoding(self) -> str:
        """``binary/protobuf``."""
        return "binary/protobuf"

    def to_payload(self, value: Any) -> Payload | None:
        """See :meth:`EncodingPayloadConverter.to_payload`."""
        if not _converter_proto.is_message(value):
            return None
        p = self._payload(_converter_proto.to_binary(value))
        p.metadata[MESSAGE_TYPE_KEY] = _converter_proto.message_type(value).encode()
        return p

    def from_payload(self, payload: Payload, type_hint: Any | None = None) -> Any:
        """See :meth:`EncodingPayloadConverter.from_payload`."""
        return _converter_proto.from_binary(payload, type_hint)


class JSONPlainPayloadConverter(EncodingPayloadConverter):
    """Any JSON-representable value <-> ``json/plain`` (compact UTF-8 JSON).

    See the module docstring for the mapping of Python types.
    """

    @property
    def encoding(self) -> str:
        """``json/plain``."""
        return "json/plain"

    def to_payload(self, value: Any) -> Payload | None:
        """See :meth:`EncodingPayloadConverter.to_payload`."""
        return self._payload(to_json_bytes(value))

    def from_payload(self, payload: Payload, type_hint: Any | None = None) -> Any:
        """See :meth:`EncodingPayloadConverter.from_payload`."""
        try:
            obj = json.loads(payload.data)
        except (ValueError, UnicodeDecodeError) as e:
            raise PayloadConversionError(f"json/plain payload is not valid JSON: {e}") from e
        return value_to_type(type_hint, obj)


class CompositePayloadConverter(PayloadConverter, WithSerializationContext):
    """Tries encoding converters in order to encode; picks by ``encoding`` to decode.

    Classes decorated with :func:`transfer_type_convertible` are converted to and from their
    transfer type around that (for values of the class, and type hints naming it).

    Encoding converters that subclass :class:`WithSerializationContext` get the context of
    each conversion (see :meth:`with_context`).

    Args:
        *converters: The converters, most specific first.

    Raises:
        ValueError: No converters, or two with the same encoding.
    """

    def __init__(self, *converters: EncodingPayloadConverter) -> None:
        if not converters:
            raise ValueError("CompositePayloadConverter needs at least one converter")
        self._set_converters(*converters)

    def _set_converters(self, *converters: EncodingPayloadConverter) -> None:
        by_encoding: dict[str, EncodingPayloadConverter] = {}
        for c in converters:
            if c.encoding in by_encoding:
                raise ValueError(f"two payload converters for encoding {c.encoding!r}")
            by_encoding[c.encoding] = c
        self._converters: tuple[EncodingPayloadConverter, ...] = converters
        self._by_encoding = by_encoding
        self._any_takes_context = any(isinstance(c, WithSerializationContext)
                                      for c in converters)

    def _parts_take_context(self) -> bool:  # see _converter_context.takes_context
        # A subclass's own with_context may use the context: it is always called.
        return (self._any_takes_context
                or type(self).with_context is not CompositePayloadConverter.with_context)

    def with_context(self, context: SerializationContext) -> CompositePayloadConverter:
        """A copy whose context-aware encoding converters are configured for ``context``.

        Args:
            context: The context of the coming conversions.

        Returns:
            ``self`` when no encoding converter changes with the context, else a copy (same
            class and attributes) holding what their ``with_context`` returned.
        """
        converters = self.get_converters_with_context(context)
        if converters is None:
            return self
        clone = copy.copy(self)
        clone._set_converters(*converters)
        return clone

    def get_converters_with_context(
        self, context: SerializationContext
    ) -> list[EncodingPayloadConverter] | None:
        """The encoding converters, each configured for ``context`` if it takes contexts.

        Args:
            context: The context.

        Returns:
            The converters in order, or ``None`` when none of them changes with the context.
        """
        if not self._any_takes_context:
            return None
        out: list[EncodingPayloadConverter] = []
        changed = False
        for c in self._converters:
            new = apply_context(c, context)
            changed |= new is not c
            out.append(new)
        return out if changed else None

    @property
    def converters(self) -> tuple[EncodingPayloadConverter, ...]:
        """The encoding converters, in the order they are tried."""
        return self._converters

    def to_payload(self, value: Any) -> Payload:
        """See :meth:`PayloadConverter.to_payload`."""
        transfer = transfer_converter_of(type(value))
        if transfer is not None:
            value = transfer.to_transfer_type(value)
        for c in self._converters:
            payload = c.to_payload(value)
            if payload is not None:
                return payload
        raise PayloadConversionError(
            f"no payload converter accepts a value of type {_type_name(type(value))} "
            f"(tried {', '.join(self._by_encoding)})"
        )

    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        """See :meth:`PayloadConverter.to_payloads`."""
        if len(values) == 1:
            return [self.to_payload(values[0])]
        out = []
        for i, v in enumerate(values):
            try:
                out.append(self.to_payload(v))
            except PayloadConversionError as e:
                raise PayloadConversionError(f"value {i}: {e}") from e
        return out

    def from_payloads(
        self, payloads: Sequence[Payload], type_hints: Sequence[Any] | None = None
    ) -> list[Any]:
        """See :meth:`PayloadConverter.from_payloads`."""
        out = []
        for i, p in enumerate(payloads):
            hint = type_hints[i] if type_hints is not None and i < len(type_hints) else None
            try:
                out.append(self._from_payload(p, hint))
            except PayloadConversionError as e:
                if len(payloads) == 1:
                    raise
                raise PayloadConversionError(f"payload {i}: {e}") from e
        return out

    def from_payload(self, payload: Payload, type_hint: Any | None = None) -> Any:
        """See :meth:`PayloadConverter.from_payload`."""
        return self._from_payload(payload, type_hint)

    def _from_payload(self, payload: Payload, hint: Any) -> Any:
        if not isinstance(payload, common_pb2.Payload):
            raise PayloadConversionError(
                f"expected a durable.v1.Payload, got {_type_name(type(payload))}"
            )
        raw = payload.metadata.get(ENCODING_KEY)
        if raw is None:
            raise PayloadConversionError("payload has no 'encoding' metadata")
        encoding = raw.decode("utf-8", errors="replace")
        converter = self._by_encoding.get(encoding)
        if converter is None:
            raise PayloadConversionError(
                f"unknown payload encoding {encoding!r} (known: {', '.join(self._by_encoding)}); "
                "was a payload codec not applied?"
            )
        transfer = transfer_converter_of(hint) if hint is not None else None
        if transfer is None:
            return converter.from_payload(payload, hint)
        return transfer.from_transfer_type(
            converter.from_payload(payload, transfer.transfer_type), hint)


class DefaultPayloadConverter(CompositePayloadConverter):
    """``binary/null``, ``binary/plain``, ``json/protobuf``, ``binary/protobuf``, then
    ``json/plain`` (temporalio's order: a protobuf message is written as ``json/protobuf``;
    ``json/plain`` is last because it takes, or refuses, anything)."""

    default_encoding_payload_converters: ClassVar[tuple[EncodingPayloadConverter, ...]] = (
        BinaryNullPayloadConverter(),
        BinaryPlainPayloadConverter(),
        JSONProtoPayloadConverter(),
        BinaryProtoPayloadConverter(),
        JSONPlainPayloadConverter(),
    )

    def __init__(self) -> None:
        super().__init__(*self.default_encoding_payload_converters)

# --- Data converter -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DataConverter(WithSerializationContext):
    """Payload converter + failure converter + optional codec. Immutable; share freely.

    Customize with ``dataclasses.replace(DataConverter.default, payload_codec=MyCodec())``.

    Attributes:
        payload_converter: Values <-> payloads (sync, used in workflow code).
        failure_converter: Exceptions <-> failures.
        payload_codec: Optional async payload transformation applied by client and worker.
        default: The default instance (class attribute).
    """

    payload_converter: PayloadConverter = dataclasses.field(default_factory=DefaultPayloadConverter)
    failure_converter: FailureConverter = dataclasses.field(default_factory=DefaultFailureConverter)
    payload_codec: PayloadCodec | None = None
    # temporalio's way (DataConverter(payload_converter_class=MyConverter)): when given, an
    # instance made with no arguments replaces payload_converter / failure_converter.
    payload_converter_class: type[PayloadConverter] | None = None
    failure_converter_class: type[FailureConverter] | None = None

    default: ClassVar[DataConverter]

    def __post_init__(self) -> None:
        if self.payload_converter_class is not None:
            object.__setattr__(self, "payload_converter", self.payload_converter_class())
        if self.failure_converter_class is not None:
            object.__setattr__(self, "failure_converter", self.failure_converter_class())

    def _parts_take_context(self) -> bool:  # see _converter_context.takes_context
        return (takes_context(self.payload_converter) or takes_context(self.failure_converter)
                or takes_context(self.payload_codec)
                or type(self).with_context is not DataConverter.with_context)

    def with_context(self, context: SerializationContext) -> DataConverter:
        """This converter with its payload converter, failure converter and codec each
        configured for ``context`` (those that subclass :class:`WithSerializationContext`).

        The client and the worker call it for every workflow and activity they convert
        payloads of (the module ``durable._converter_context`` lists who gets which context).

        Args:
            context: A :class:`WorkflowSerializationContext` or
                :class:`ActivitySerializationContext`.

        Returns:
            ``self`` when no part changes with the context, else a copy with the new parts.
        """
        pc = apply_context(self.payload_converter, context)
        fc = apply_context(self.failure_converter, context)
        codec = apply_context(self.payload_codec, context)
        if (pc is self.payload_converter and fc is self.failure_converter
                and codec is self.payload_codec):
            return self
        clone = copy.copy(self)  # not replace(): __post_init__ would remake the parts
        object.__setattr__(clone, "payload_converter", pc)
        object.__setattr__(clone, "failure_converter", fc)
        object.__setattr__(clone, "payload_codec", codec)
        return clone

    # Sync API (no codec) -- safe in workflow code.

    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        """Encode values with the payload converter (no codec).

        Args:
            values: The values.

        Returns:
            One payload per value.

        Raises:
            PayloadConversionError: A value cannot be encoded.
        """
        return self.payload_converter.to_payloads(values)

    def from_payloads(
        self, payloads: Sequence[Payload], type_hints: Sequence[Any] | None = None
    ) -> list[Any]:
        """Decode payloads with the payload converter (no codec).

        Args:
            payloads: The payloads.
            type_hints: Target types by position (see :meth:`PayloadConverter.from_payloads`).

        Returns:
            One value per payload.

        Raises:
            PayloadConversionError: A payload does not fit its hint.
        """
        return self.payload_converter.from_payloads(payloads, type_hints)

    def to_payload(self, value: Any) -> Payload:
        """Encode one value (no codec).

        Args:
            value: The value.

        Returns:
            Its payload.

        Raises:
            PayloadConversionError: The value cannot be encoded.
        """
        return self.payload_converter.to_payload(value)

    def from_payload(self, payload: Payload, type_hint: Any | None = None) -> Any:
        """Decode one payload (no codec).

        Args:
            payload: The payload.
            type_hint: Target type, or ``None``.

        Returns:
            The value.

        Raises:
            PayloadConversionError: The payload does not fit ``type_hint``.
        """
        return self.payload_converter.from_payload(payload, type_hint)

    def to_failure(self, exception: BaseException) -> Failure:
        """Convert an exception to a failure (no codec). Never raises.

        Args:
            exception: The exception.

        Returns:
            The failure.
        """
        return self.failure_converter.to_failure(exception, self.payload_converter)

    def from_failure(self, failure: Failure) -> FailureError:
        """Convert a failure to an exception (no codec). Never raises.

        Args:
            failure: The failure.

        Returns:
            The exception, cause chain in ``__cause__``.
        """
        return self.failure_converter.from_failure(failure, self.payload_converter)

    # Async API (converter + codec) -- used by the client and the worker.

    async def encode(self, values: Sequence[Any]) -> list[Payload]:
        """Encode values, then apply the codec.

        Args:
            values: The values.

        Returns:
            One payload per value.

        Raises:
            PayloadConversionError: A value cannot be encoded, or the codec returned the
                wrong number of payloads.
        """
        payloads = self.payload_converter.to_payloads(values)
        if self.payload_codec is None:
            return payloads
        encoded = await self.payload_codec.encode(payloads)
        _check_count("encode", payloads, encoded)
        return list(encoded)

    async def decode(
        self, payloads: Sequence[Payload], type_hints: Sequence[Any] | None = None
    ) -> list[Any]:
        """Apply the codec's decode, then decode values.

        Args:
            payloads: The payloads.
            type_hints: Target types by position.

        Returns:
            One value per payload.

        Raises:
            PayloadConversionError: A payload does not fit its hint, or the codec returned the
                wrong number of payloads.
        """
        if self.payload_codec is not None:
            decoded = await self.payload_codec.decode(payloads)
            _check_count("decode", payloads, decoded)
            payloads = decoded
        return self.payload_converter.from_payloads(payloads, type_hints)

    async def encode_failure(self, exception: BaseException) -> Failure:
        """Convert an exception to a failure, then apply the codec to its payloads.

        Args:
            exception: The exception.

        Returns:
            The failure.

        Raises:
            PayloadConversionError: The codec returned the wrong number of payloads.
        """
        failure = self.to_failure(exception)
        if self.payload_codec is not None:
            await self.payload_codec.encode_failure(failure)
        return failure

    async def decode_failure(self, failure: Failure) -> FailureError:
        """Apply the codec's decode to a copy of a failure, then convert it to an exception.

        Args:
            failure: The failure (left unchanged).

        Returns:
            The exception, cause chain in ``__cause__``.

        Raises:
            PayloadConversionError: The codec returned the wrong number of payloads.
        """
        if self.payload_codec is not None:
            copy = Failure()
            copy.CopyFrom(failure)
            await self.payload_codec.decode_failure(copy)
            failure = copy
        return self.from_failure(failure)


def _check_count(what: str, before: Sequence[Payload], after: Sequence[Payload]) -> None:
    if len(after) != len(before):
        raise PayloadConversionError(
            f"payload codec {what} returned {len(after)} payloads for {len(before)}"
        )


DataConverter.default = DataConverter()


def default() -> DataConverter:
    """Return ``DataConverter.default``.

    Returns:
        The default data converter.
    """
    return DataConverter.default
