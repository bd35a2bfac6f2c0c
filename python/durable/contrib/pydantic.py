"""A data converter for pydantic v2 (mirrors ``temporalio.contrib.pydantic``).

Install with ``pip install 'durable[pydantic]'``, then::

    client = await Client.connect(target, data_converter=pydantic_data_converter)

Values are serialized with ``pydantic_core.to_json`` and decoded with
``pydantic.TypeAdapter(type_hint).validate_json``: pydantic models (nested), dataclasses,
``datetime`` / ``date`` / ``timedelta`` / ``UUID`` / ``Decimal``, sets, unions (pydantic's
smart union picks the member that fits), ``Literal``, and everything else pydantic
supports. Without a type hint the plain JSON value comes back. The encoding stays
``json/plain``, so payloads interoperate with the default converter and with temporalio.
Pydantic v1 is not supported.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, SchemaSerializer, to_json
from pydantic_core.core_schema import any_schema

from durable.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    EncodingPayloadConverter,
    JSONPlainPayloadConverter,
)
from durable.exceptions import PayloadConversionError
from durable.v1.common_pb2 import Payload

__all__ = [
    "PydanticJSONPlainPayloadConverter",
    "PydanticPayloadConverter",
    "ToJsonOptions",
    "pydantic_data_converter",
]


@dataclass
class ToJsonOptions:
    """Options of the JSON serialization."""

    exclude_unset: bool = False
    """Leave out model fields that were never set."""


class PydanticJSONPlainPayloadConverter(EncodingPayloadConverter):
    """``json/plain`` through pydantic.

    Args:
        to_json_options: Serialization options (None: pydantic's defaults).
        max_cached_type_adapters: How many ``TypeAdapter``\\ s (one per type hint) to keep;
            None = unbounded, 0 = no cache.
    """

    def __init__(self, to_json_options: ToJsonOptions | None = None, *,
                 max_cached_type_adapters: int | None = 1024) -> None:
        if max_cached_type_adapters is not None and max_cached_type_adapters < 0:
            raise ValueError("max_cached_type_adapters must be >= 0 or None")
        self._options = to_json_options
        self._serializer = SchemaSerializer(any_schema())
        self._adapter = functools.lru_cache(maxsize=max_cached_type_adapters)(TypeAdapter)

    @property
    def encoding(self) -> str:
        """``json/plain``."""
        return "json/plain"

    def to_payload(self, value: Any) -> Payload | None:
        """Serialize ``value`` with pydantic (any value pydantic can serialize)."""
        try:
            data = (self._serializer.to_json(value, exclude_unset=self._options.exclude_unset)
                    if self._options else to_json(value))
        except PydanticSerializationError as e:
            raise PayloadConversionError(
                f"pydantic cannot serialize a {type(value).__name__}: {e}") from e
        return self._payload(data)

    def from_payload(self, payload: Payload, type_hint: Any | None = None) -> Any:
        """Validate the JSON into ``type_hint`` (the plain JSON value without one)."""
        hint = Any if type_hint is None else type_hint
        try:
            adapter = self._adapter(hint)
        except TypeError:  # an unhashable hint: no cache
            adapter = TypeAdapter(hint)
        try:
            return adapter.validate_json(payload.data)
        except ValidationError as e:
            raise PayloadConversionError(
                f"payload does not validate as {getattr(hint, '__name__', hint)}: {e}") from e


class PydanticPayloadConverter(CompositePayloadConverter):
    """The default converters with ``json/plain`` replaced by pydantic's."""

    def __init__(self, to_json_options: ToJsonOptions | None = None) -> None:
        json_conv = PydanticJSONPlainPayloadConverter(to_json_options)
        super().__init__(*(json_conv if isinstance(c, JSONPlainPayloadConverter) else c
                           for c in DefaultPayloadConverter.default_encoding_payload_converters))


pydantic_data_converter = DataConverter(payload_converter=PydanticPayloadConverter())
"""A data converter that uses pydantic for JSON (pass it as ``data_converter=``)."""
