"""Data conversion: Python values <-> ``durable.v1.Payload``, exceptions <-> ``Failure``.

Mirrors ``temporalio.converter``. A :class:`DataConverter` bundles three parts:

* a :class:`PayloadConverter` (sync, deterministic; used inside workflow code). The default
  one tries, in order: ``binary/null`` for ``None``, ``binary/plain`` for ``bytes``, and
  ``json/plain`` (compact UTF-8 JSON) for everything else;
* a :class:`FailureConverter` turning exceptions into ``Failure`` protos and back;
* an optional :class:`PayloadCodec` (async; e.g. encryption or compression) that the client
  and the worker apply to payloads on their way to and from the engine. Workflow code never
  sees encoded payloads.

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
"""

from __future__ import annotations

import asyncio
import base64
import collections
import collections.abc
import dataclasses
import enum
import functools
import inspect
import json
import sys
import traceback
import types
import typing
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar, TypeAlias

from google.protobuf.message import Message

from durable.common import timedelta_to_us, us_to_optional_timedelta
from durable.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    FailureError,
    PayloadConversionError,
    RetryState,
    ServerError,
    TerminatedError,
    TimeoutError,
    TimeoutType,
)
from durable.v1 import common_pb2

__all__ = [
    "BinaryNullPayloadConverter",
    "BinaryPlainPayloadConverter",
    "CompositePayloadConverter",
    "DataConverter",
    "DefaultFailureConverter",
    "DefaultPayloadConverter",
    "EncodingPayloadConverter",
    "FailureConverter",
    "JSONPlainPayloadConverter",
    "PayloadCodec",
    "PayloadConverter",
    "decode_payloads_in_message",
    "default",
    "encode_payloads_in_message",
    "value_to_type",
]

Payload: TypeAlias = common_pb2.Payload
Failure: TypeAlias = common_pb2.Failure

ENCODING_KEY = "encoding"
_NoneType = type(None)


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


class CompositePayloadConverter(PayloadConverter):
    """Tries encoding converters in order to encode; picks by ``encoding`` to decode.

    Args:
        *converters: The converters, most specific first.

    Raises:
        ValueError: No converters, or two with the same encoding.
    """

    def __init__(self, *converters: EncodingPayloadConverter) -> None:
        if not converters:
            raise ValueError("CompositePayloadConverter needs at least one converter")
        self._converters: tuple[EncodingPayloadConverter, ...] = converters
        self._by_encoding: dict[str, EncodingPayloadConverter] = {}
        for c in converters:
            if c.encoding in self._by_encoding:
                raise ValueError(f"two payload converters for encoding {c.encoding!r}")
            self._by_encoding[c.encoding] = c

    @property
    def converters(self) -> tuple[EncodingPayloadConverter, ...]:
        """The encoding converters, in the order they are tried."""
        return self._converters

    def to_payload(self, value: Any) -> Payload:
        """See :meth:`PayloadConverter.to_payload`."""
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
        return converter.from_payload(payload, hint)


class DefaultPayloadConverter(CompositePayloadConverter):
    """``binary/null``, then ``binary/plain``, then ``json/plain``."""

    default_encoding_payload_converters: ClassVar[tuple[EncodingPayloadConverter, ...]] = (
        BinaryNullPayloadConverter(),
        BinaryPlainPayloadConverter(),
        JSONPlainPayloadConverter(),
    )

    def __init__(self) -> None:
        super().__init__(*self.default_encoding_payload_converters)


# --- JSON encoding --------------------------------------------------------------------------

_SUPPORTED = (
    "supported are None, bool, int, float, str, bytes, list, tuple, set, dict, dataclasses, "
    "enums, datetime, date, time, timedelta, UUID and pydantic models"
)


class _NotSerializable(Exception):
    pass


def _sorted_if_possible(items: Collection[Any]) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:
        return list(items)


def _pydantic_base() -> type | None:
    # Only a model class can be given to us if pydantic is imported already: never import it.
    mod = sys.modules.get("pydantic")
    return getattr(mod, "BaseModel", None) if mod is not None else None


def _json_shallow(obj: Any) -> Any:
    """One step of conversion of a non-JSON-native object; raises _NotSerializable."""
    if isinstance(obj, enum.Enum):
        return obj.value
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, (datetime, date, time)):
        return obj.isoformat()
    if isinstance(obj, timedelta):
        return obj.total_seconds()
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return base64.b64encode(obj).decode("ascii")
    if isinstance(obj, (set, frozenset)):
        return _sorted_if_possible(obj)
    if isinstance(obj, collections.abc.Mapping):
        return dict(obj)
    base = _pydantic_base()
    if base is not None and isinstance(obj, base):
        return obj.model_dump(mode="json")  # type: ignore[attr-defined]
    raise _NotSerializable


def _json_default(obj: Any) -> Any:
    try:
        return _json_shallow(obj)
    except _NotSerializable:
        raise TypeError(f"not serializable: {type(obj)}") from None


_JSON_SCALARS = (str, int, float, bool, _NoneType)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _EncodeError(Exception):
    def __init__(self, path: str, obj: Any, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.obj = obj
        self.reason = reason


def _key_to_json(key: Any, path: str) -> Any:
    while isinstance(key, enum.Enum):
        key = key.value
    if isinstance(key, uuid.UUID):
        return str(key)
    if isinstance(key, _JSON_SCALARS):
        return key
    raise _EncodeError(path, key, "dict keys must be str, int, float, bool, None, Enum or UUID")


def _to_jsonable(obj: Any, path: str, active: set[int]) -> Any:
    """Convert ``obj`` to JSON-native values, naming the path of what cannot be."""
    # Exact scalar types first; enums and other subclasses of scalars go through _json_shallow.
    if type(obj) in _JSON_SCALARS:
        return obj
    if isinstance(obj, (list, tuple)) and not isinstance(obj, enum.Enum):
        seq: Any = obj
    elif isinstance(obj, _JSON_SCALARS) and not isinstance(obj, enum.Enum):
        return obj
    else:
        try:
            seq = _json_shallow(obj)
        except _NotSerializable:
            raise _EncodeError(path, obj, _SUPPORTED) from None
        except Exception as e:  # e.g. a pydantic serializer error
            raise _EncodeError(path, obj, f"{type(e).__name__}: {e}") from e
        if type(seq) in _JSON_SCALARS:
            return seq
    if id(obj) in active:
        raise _EncodeError(path, obj, "circular reference")
    active.add(id(obj))
    try:
        if isinstance(seq, dict):
            is_fields = dataclasses.is_dataclass(obj)
            out = {}
            for k, v in seq.items():
                sub = _join(path, k) if is_fields else f"{path}[{k!r}]"
                out[_key_to_json(k, sub)] = _to_jsonable(v, sub, active)
            return out
        if isinstance(seq, (list, tuple)):
            return [_to_jsonable(v, f"{path}[{i}]", active) for i, v in enumerate(seq)]
        return _to_jsonable(seq, path, active)
    finally:
        active.discard(id(obj))


def to_json_bytes(value: Any) -> bytes:
    """Serialize a value as compact UTF-8 JSON (the ``json/plain`` format).

    Args:
        value: The value (see the module docstring for supported types).

    Returns:
        The JSON text, UTF-8 encoded.

    Raises:
        PayloadConversionError: Something in ``value`` cannot be serialized; the message names
            its type and path.
    """
    try:
        # Fast path: C encoder plus a hook for dataclasses, enums, datetimes, ...
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    except (TypeError, ValueError, RecursionError):
        # Slow path: convert explicitly to find (and name) what is wrong, or to handle what the
        # fast path cannot (e.g. Enum dict keys).
        try:
            native = _to_jsonable(value, "", set())
        except _EncodeError as e:
            leaf = _type_name(type(e.obj))
            if e.path:
                raise PayloadConversionError(
                    f"cannot serialize field '{e.path}' of type {leaf} "
                    f"(in a value of type {_type_name(type(value))}): {e.reason}"
                ) from None
            raise PayloadConversionError(
                f"cannot serialize a value of type {leaf}: {e.reason}"
            ) from None
        except RecursionError:
            raise PayloadConversionError(
                f"cannot serialize a value of type {_type_name(type(value))}: nested too deeply"
            ) from None
        try:
            text = json.dumps(native, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError) as e:
            raise PayloadConversionError(
                f"cannot serialize a value of type {_type_name(type(value))}: {e}"
            ) from e
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise PayloadConversionError(
            f"cannot serialize a value of type {_type_name(type(value))}: a string is not "
            f"valid Unicode ({e.reason} at position {e.start})"
        ) from None


# --- Decoding by type hint ------------------------------------------------------------------


class _Mismatch(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


def _type_name(hint: Any) -> str:
    if isinstance(hint, type) and not typing.get_args(hint):
        return hint.__qualname__
    return repr(hint).replace("typing.", "")


def _describe(value: Any) -> str:
    r = repr(value)
    if len(r) > 60:
        r = r[:57] + "..."
    return f"{type(value).__name__} {r}"


@functools.lru_cache(maxsize=2048)
def _class_hints(cls: type) -> dict[str, Any]:
    """Resolved annotations of a class; unresolvable ones stay strings (error when used)."""
    try:
        return typing.get_type_hints(cls)
    except Exception:
        pass
    globalns = getattr(sys.modules.get(cls.__module__), "__dict__", {})
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name, ann in getattr(klass, "__annotations__", {}).items():
            if isinstance(ann, str):
                try:
                    ann = eval(ann, dict(globalns), dict(vars(cls)))  # annotations are code
                except Exception:
                    pass
            hints[name] = ann
    return hints


def _substitute(hint: Any, mapping: dict[Any, Any]) -> Any:
    if not mapping:
        return hint
    if isinstance(hint, typing.TypeVar):
        return mapping.get(hint, hint)
    params = getattr(hint, "__parameters__", ())
    if params:
        try:
            return hint[tuple(mapping.get(p, p) for p in params)]
        except TypeError:
            return hint
    return hint


_SEQUENCE_ORIGINS = (
    list,
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Iterable,
    collections.abc.Collection,
    collections.deque,
)
_SET_ORIGINS = (set, frozenset, collections.abc.Set, collections.abc.MutableSet)
_MAPPING_ORIGINS = (
    dict,
    collections.abc.Mapping,
    collections.abc.MutableMapping,
    collections.OrderedDict,
    collections.defaultdict,
)


def value_to_type(hint: Any, value: Any) -> Any:
    """Convert a plain JSON value (as ``json.loads`` returns it) to the type ``hint``.

    Supported hints: ``None`` / ``Any`` / ``object`` (value returned as is), ``NoneType``,
    ``bool``, ``int``, ``float`` (accepts ints), ``str``, ``bytes`` / ``bytearray`` (from base64
    strings), ``Optional[X]`` / ``X | None`` / other unions (exact scalar type first, then
    each member in order), ``Literal``, ``Annotated``, ``NewType``, enums (by value),
    ``datetime`` / ``date`` / ``time`` (ISO 8601 strings; a trailing ``Z`` is accepted),
    ``timedelta`` (seconds), ``UUID`` (string), dataclasses (nested; missing fields take their
    defaults; unknown keys are ignored; generic dataclasses), ``TypedDict``, ``NamedTuple``,
    pydantic v2 models (``model_validate``), ``list[T]`` / ``Sequence[T]``, ``set[T]`` /
    ``frozenset[T]``, ``tuple[A, B]`` / ``tuple[T, ...]``, ``dict[K, V]`` / ``Mapping[K, V]``
    with str, int, float, bool, Enum or UUID keys. Any other class accepts instances of itself.

    Args:
        hint: The target type.
        value: The JSON value.

    Returns:
        The converted value.

    Raises:
        PayloadConversionError: ``value`` does not fit ``hint``; the message names the
            target type, the path inside it and what was found.
    """
    try:
        return _convert(hint, value, "")
    except _Mismatch as e:
        where = f" at '{e.path}'" if e.path else ""
        raise PayloadConversionError(
            f"cannot convert payload to {_type_name(hint)}{where}: {e.reason}"
        ) from None
    except RecursionError:
        raise PayloadConversionError(
            f"cannot convert payload to {_type_name(hint)}: nested too deeply"
        ) from None


def _convert(hint: Any, value: Any, path: str) -> Any:  # one dispatch table
    if hint is None or hint is Any or hint is object or hint is inspect.Parameter.empty:
        return value
    if hint is _NoneType:
        if value is None:
            return None
        raise _Mismatch(path, f"expected null, got {_describe(value)}")
    if isinstance(hint, (str, typing.ForwardRef)):
        name = hint if isinstance(hint, str) else hint.__forward_arg__
        raise _Mismatch(
            path,
            f"cannot resolve the type hint {name!r}; define the class it names at module level",
        )
    if isinstance(hint, typing.TypeVar):
        if hint.__bound__ is not None:
            return _convert(hint.__bound__, value, path)
        if hint.__constraints__:
            return _convert(typing.Union[hint.__constraints__], value, path)
        return value
    supertype = getattr(hint, "__supertype__", None)
    if supertype is not None:  # typing.NewType
        return _convert(supertype, value, path)

    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is not None:
        if origin is typing.Annotated:
            return _convert(args[0], value, path)
        if origin is typing.Union or origin is types.UnionType:
            return _convert_union(hint, args, value, path)
        if origin is typing.Literal:
            for a in args:
                if value == a and type(value) is type(a):
                    return a
                if isinstance(a, enum.Enum) and value == a.value:
                    return a
            raise _Mismatch(path, f"expected one of {list(args)!r}, got {_describe(value)}")
        if origin is tuple:
            return _convert_tuple(args, value, path)
        if origin in _SEQUENCE_ORIGINS:
            items = _convert_items(args[0] if args else Any, value, path)
            return collections.deque(items) if origin is collections.deque else items
        if origin in _SET_ORIGINS:
            items = _convert_items(args[0] if args else Any, value, path)
            try:
                return frozenset(items) if origin is frozenset else set(items)
            except TypeError as e:
                raise _Mismatch(path, f"set items must be hashable: {e}") from None
        if origin in _MAPPING_ORIGINS:
            return _convert_dict(args[0] if args else Any, args[1] if args else Any, value, path)
        if isinstance(origin, type) and dataclasses.is_dataclass(origin):
            params = getattr(origin, "__parameters__", ())
            return _convert_dataclass(origin, value, path, dict(zip(params, args)))
        if isinstance(origin, type):
            return _convert(origin, value, path)
        raise _Mismatch(path, f"unsupported type hint {_type_name(hint)}")

    if not isinstance(hint, type):
        raise _Mismatch(path, f"unsupported type hint {_type_name(hint)}")
    if typing.is_typeddict(hint):  # before any isinstance(): TypedDicts refuse it
        return _convert_typeddict(hint, value, path)
    if issubclass(hint, enum.Enum):
        if isinstance(value, hint):
            return value
        try:
            return hint(value)
        except (ValueError, TypeError):
            valid = [m.value for m in hint]
            raise _Mismatch(
                path, f"{_describe(value)} is not a value of {hint.__qualname__} {valid!r}"
            ) from None
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise _Mismatch(path, f"expected bool, got {_describe(value)}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return int(value)
        raise _Mismatch(path, f"expected int, got {_describe(value)}")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise _Mismatch(path, f"expected float, got {_describe(value)}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise _Mismatch(path, f"expected str, got {_describe(value)}")
    if hint in (bytes, bytearray):
        if isinstance(value, (bytes, bytearray)):
            return hint(value)
        if isinstance(value, str):
            try:
                return hint(base64.b64decode(value, validate=True))
            except ValueError:
                raise _Mismatch(path, f"expected base64 text, got {_describe(value)}") from None
        raise _Mismatch(path, f"expected {hint.__name__} (base64 text), got {_describe(value)}")
    if hint in (datetime, date, time):
        if isinstance(value, hint):
            return value
        if isinstance(value, str):
            zulu = value.endswith(("Z", "z")) and hint is not date
            text = value[:-1] + "+00:00" if zulu else value
            try:
                return hint.fromisoformat(text)
            except ValueError:
                pass
        raise _Mismatch(
            path, f"expected an ISO 8601 {hint.__name__} string, got {_describe(value)}"
        )
    if hint is timedelta:
        if isinstance(value, timedelta):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return timedelta(seconds=value)
            except (OverflowError, ValueError):
                pass
        raise _Mismatch(path, f"expected a number of seconds, got {_describe(value)}")
    if hint is uuid.UUID:
        if isinstance(value, uuid.UUID):
            return value
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError:
                pass
        raise _Mismatch(path, f"expected a UUID string, got {_describe(value)}")
    if dataclasses.is_dataclass(hint):
        return _convert_dataclass(hint, value, path, {})
    pydantic_base = _pydantic_base()
    if pydantic_base is not None and issubclass(hint, pydantic_base):
        if isinstance(value, hint):
            return value
        try:
            return hint.model_validate(value)  # type: ignore[attr-defined]
        except Exception as e:
            raise _Mismatch(path, f"pydantic validation failed: {e}") from None
    if issubclass(hint, tuple) and hasattr(hint, "_fields"):  # NamedTuple
        return _convert_namedtuple(hint, value, path)
    if hint is tuple:
        return _convert_tuple((Any, ...), value, path)
    if hint in (list, collections.deque):
        return hint(_convert_items(Any, value, path))
    if hint in (set, frozenset):
        try:
            return hint(_convert_items(Any, value, path))
        except TypeError as e:
            raise _Mismatch(path, f"set items must be hashable: {e}") from None
    if hint is dict:
        return _convert_dict(Any, Any, value, path)
    for base in (str, int, float):  # subclasses of scalars, e.g. class UserId(str)
        if issubclass(hint, base) and isinstance(value, base) and not isinstance(value, bool):
            try:
                return hint(value)
            except Exception as e:
                raise _Mismatch(path, f"{hint.__qualname__}({value!r}) raised {e!r}") from None
    try:
        if isinstance(value, hint):
            return value
    except TypeError:
        pass
    raise _Mismatch(path, f"cannot make a {hint.__qualname__} from {_describe(value)}")


def _convert_union(hint: Any, args: tuple[Any, ...], value: Any, path: str) -> Any:
    if value is None and _NoneType in args:
        return None
    members = [a for a in args if a is not _NoneType]
    for a in members:
        if a in (str, int, float, bool) and type(value) is a:
            return value
    if len(members) == 1:
        return _convert(members[0], value, path)
    reasons = []
    for a in members:
        try:
            return _convert(a, value, path)
        except _Mismatch as e:
            reasons.append(f"{_type_name(a)}: {e.reason}")
    raise _Mismatch(
        path, f"{_describe(value)} matches no member of {_type_name(hint)} ({'; '.join(reasons)})"
    )


def _convert_items(item_hint: Any, value: Any, path: str) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise _Mismatch(path, f"expected an array, got {_describe(value)}")
    return [_convert(item_hint, v, f"{path}[{i}]") for i, v in enumerate(value)]


def _convert_tuple(args: tuple[Any, ...], value: Any, path: str) -> tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise _Mismatch(path, f"expected an array, got {_describe(value)}")
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_convert(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
    if args == ((),):  # typing.Tuple[()] on older Pythons
        args = ()
    if len(value) != len(args):
        raise _Mismatch(path, f"expected an array of {len(args)} items, got {len(value)}")
    return tuple(_convert(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, value)))


def _convert_key(key_hint: Any, key: Any, path: str) -> Any:
    if key_hint is None or key_hint is Any or key_hint is object or key_hint is str:
        return key
    supertype = getattr(key_hint, "__supertype__", None)
    if supertype is not None:
        return _convert_key(supertype, key, path)
    origin = typing.get_origin(key_hint)
    if origin is typing.Union or origin is types.UnionType:
        for a in typing.get_args(key_hint):
            try:
                return _convert_key(a, key, path)
            except _Mismatch:
                pass
    elif origin is typing.Literal:
        for a in typing.get_args(key_hint):
            if key == a or (not isinstance(a, str) and key == json.dumps(a)):
                return a
    elif origin is typing.Annotated:
        return _convert_key(typing.get_args(key_hint)[0], key, path)
    elif isinstance(key_hint, type):
        if not isinstance(key, str):  # a Python dict given directly
            return _convert(key_hint, key, path)
        try:
            if key_hint is bool:
                if key in ("true", "false"):
                    return key == "true"
            elif key_hint is int:
                return int(key)
            elif key_hint is float:
                return float(key)
            elif key_hint is uuid.UUID:
                return uuid.UUID(key)
            elif issubclass(key_hint, enum.Enum):
                for candidate in (key, int(key) if key.lstrip("-").isdigit() else None):
                    try:
                        return key_hint(candidate)
                    except ValueError:
                        pass
            elif issubclass(key_hint, str):
                return key_hint(key)
            else:
                raise _Mismatch(path, f"unsupported dict key type {_type_name(key_hint)}")
        except ValueError:
            pass
    else:
        raise _Mismatch(path, f"unsupported dict key type {_type_name(key_hint)}")
    raise _Mismatch(path, f"dict key {key!r} is not a valid {_type_name(key_hint)}")


def _convert_dict(key_hint: Any, value_hint: Any, value: Any, path: str) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise _Mismatch(path, f"expected an object, got {_describe(value)}")
    out = {}
    for k, v in value.items():
        sub = f"{path}[{k!r}]"
        out[_convert_key(key_hint, k, sub)] = _convert(value_hint, v, sub)
    return out


def _convert_dataclass(cls: type, value: Any, path: str, typevars: dict[Any, Any]) -> Any:
    if isinstance(value, cls) and not typevars:
        return value
    if not isinstance(value, dict):
        raise _Mismatch(path, f"expected an object for {cls.__qualname__}, got {_describe(value)}")
    hints = _class_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        sub = _join(path, f.name)
        if f.name in value:
            field_hint = _substitute(hints.get(f.name, Any), typevars)
            kwargs[f.name] = _convert(field_hint, value[f.name], sub)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _Mismatch(sub, f"missing required field {f.name!r} of {cls.__qualname__}")
    try:
        return cls(**kwargs)
    except Exception as e:
        raise _Mismatch(path, f"{cls.__qualname__}(...) raised {type(e).__name__}: {e}") from None


def _convert_typeddict(cls: type, value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Mismatch(path, f"expected an object for {cls.__qualname__}, got {_describe(value)}")
    hints = _class_hints(cls)
    for required in getattr(cls, "__required_keys__", ()):
        if required not in value:
            raise _Mismatch(
                _join(path, required), f"missing required key {required!r} of {cls.__qualname__}"
            )
    return {k: _convert(hints.get(k, Any), v, _join(path, k)) for k, v in value.items()}


def _convert_namedtuple(cls: type, value: Any, path: str) -> Any:
    hints = _class_hints(cls)
    fields: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    if isinstance(value, dict):
        kwargs = {k: _convert(hints.get(k, Any), v, _join(path, k)) for k, v in value.items()}
        try:
            return cls(**kwargs)
        except TypeError as e:
            raise _Mismatch(path, f"{cls.__qualname__}(...) raised TypeError: {e}") from None
    if not isinstance(value, (list, tuple)):
        raise _Mismatch(path, f"expected an array for {cls.__qualname__}, got {_describe(value)}")
    if len(value) > len(fields):
        raise _Mismatch(path, f"expected at most {len(fields)} items, got {len(value)}")
    items = [
        _convert(hints.get(name, Any), v, f"{path}[{i}]")
        for i, (name, v) in enumerate(zip(fields, value))
    ]
    try:
        return cls(*items)
    except TypeError as e:
        raise _Mismatch(path, f"{cls.__qualname__}(...) raised TypeError: {e}") from None


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


# --- Failure converters ---------------------------------------------------------------------


class FailureConverter(ABC):
    """Turns exceptions into ``durable.v1.Failure`` protos and back."""

    @abstractmethod
    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter) -> Failure:
        """Convert an exception and its cause chain to a failure. Never raises.

        Args:
            exception: The exception.
            payload_converter: Converter for details.

        Returns:
            A new Failure.
        """

    @abstractmethod
    def from_failure(self, failure: Failure, payload_converter: PayloadConverter) -> FailureError:
        """Convert a failure and its cause chain to an exception. Never raises.

        Args:
            failure: The failure.
            payload_converter: Converter for details.

        Returns:
            The exception; its ``__cause__`` chain mirrors ``failure.cause``.
        """


class DefaultFailureConverter(FailureConverter):
    """The failure converter of ``DataConverter.default`` (same mapping as temporalio).

    * :class:`ApplicationError` -> ``application_failure_info`` (type, non_retryable, details,
      next_retry_delay); any exception that is not a :class:`FailureError` -> the same, with
      ``type`` = its class name and ``message`` = ``str(exc)``.
    * :class:`TimeoutError`, :class:`CancelledError` (and ``asyncio.CancelledError``),
      :class:`TerminatedError`, :class:`ServerError`, :class:`ActivityError`,
      :class:`ChildWorkflowError` -> their own infos.
    * A :class:`FailureError` that came from a Failure is written back as that Failure, cause
      chain included (a re-raised activity error keeps its original stack trace).
    * The cause chain follows ``__cause__``, else ``__context__`` (unless suppressed), up to
      ``max_cause_depth`` levels; a cycle ends it.
    * Details that cannot be encoded are dropped and the message says so: ``to_failure`` never
      raises. Details that cannot be decoded are kept as raw ``Payload`` protos.

    Args:
        max_cause_depth: Maximum number of causes below the top failure.
    """

    def __init__(self, *, max_cause_depth: int = 32) -> None:
        if max_cause_depth < 0:
            raise ValueError(f"max_cause_depth must not be negative, got {max_cause_depth}")
        self.max_cause_depth = max_cause_depth

    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter) -> Failure:
        """See :meth:`FailureConverter.to_failure`."""
        root = Failure()
        current = root
        exc: BaseException | None = exception
        seen: set[int] = set()
        depth = 0
        while exc is not None:
            seen.add(id(exc))
            if self._fill(exc, payload_converter, current):
                break  # copied an existing Failure, causes included
            nxt = exc.__cause__
            if nxt is None and not exc.__suppress_context__:
                nxt = exc.__context__
            if nxt is None or id(nxt) in seen or depth >= self.max_cause_depth:
                break
            depth += 1
            current = current.cause
            exc = nxt
        return root

    def _fill(self, exc: BaseException, pc: PayloadConverter, f: Failure) -> bool:
        if isinstance(exc, FailureError) and exc.failure is not None:
            f.CopyFrom(exc.failure)
            return True
        f.source = "python"
        if exc.__traceback__ is not None:
            f.stack_trace = "".join(traceback.format_tb(exc.__traceback__))
        if isinstance(exc, FailureError):
            f.message = exc.message
        elif isinstance(exc, asyncio.CancelledError):
            f.message = _safe_str(exc) or "cancelled"
            f.canceled_failure_info.SetInParent()
            return False
        else:
            f.message = _safe_str(exc)

        if isinstance(exc, ApplicationError):
            info = f.application_failure_info
            info.type = exc.type or ""
            info.non_retryable = exc.non_retryable
            info.next_retry_delay_us = timedelta_to_us(exc.next_retry_delay)
            self._set_details(info.details, exc.details, pc, f)
        elif isinstance(exc, TimeoutError):
            f.timeout_failure_info.timeout_type = int(exc.type) if exc.type is not None else 0
            self._set_details(
                f.timeout_failure_info.last_heartbeat_details, exc.last_heartbeat_details, pc, f
            )
        elif isinstance(exc, CancelledError):
            f.canceled_failure_info.SetInParent()
            self._set_details(f.canceled_failure_info.details, exc.details, pc, f)
        elif isinstance(exc, TerminatedError):
            f.terminated_failure_info.SetInParent()
        elif isinstance(exc, ServerError):
            f.server_failure_info.non_retryable = exc.non_retryable
        elif isinstance(exc, ActivityError):
            a = f.activity_failure_info
            a.scheduled_event_id = exc.scheduled_event_id
            a.started_event_id = exc.started_event_id
            a.identity = exc.identity
            a.activity_type = exc.activity_type
            a.activity_id = exc.activity_id
            a.retry_state = int(exc.retry_state) if exc.retry_state is not None else 0
        elif isinstance(exc, ChildWorkflowError):
            c = f.child_workflow_failure_info
            c.namespace = exc.namespace
            c.workflow_execution.workflow_id = exc.workflow_id
            c.workflow_execution.run_id = exc.run_id
            c.workflow_type = exc.workflow_type
            c.initiated_event_id = exc.initiated_event_id
            c.started_event_id = exc.started_event_id
            c.retry_state = int(exc.retry_state) if exc.retry_state is not None else 0
        else:
            f.application_failure_info.type = type(exc).__name__
        return False

    @staticmethod
    def _set_details(
        target: common_pb2.Payloads, details: Sequence[Any], pc: PayloadConverter, f: Failure
    ) -> None:
        if not details:
            return
        try:
            target.payloads.extend(pc.to_payloads(list(details)))
        except Exception as e:
            del target.payloads[:]
            f.message += f" (details dropped: {e})"

    def from_failure(self, failure: Failure, payload_converter: PayloadConverter) -> FailureError:
        """See :meth:`FailureConverter.from_failure`."""
        chain = [failure]
        while chain[-1].HasField("cause") and len(chain) <= self.max_cause_depth:
            chain.append(chain[-1].cause)
        errors = [self._single(f, payload_converter) for f in chain]
        for err, cause in zip(errors, errors[1:]):
            err.__cause__ = cause
        return errors[0]

    def _single(self, f: Failure, pc: PayloadConverter) -> FailureError:
        which = f.WhichOneof("info")
        err: FailureError
        if which == "timeout_failure_info":
            t = f.timeout_failure_info
            err = TimeoutError(
                f.message,
                type=_enum_or_none(TimeoutType, t.timeout_type),
                last_heartbeat_details=self._details(t.last_heartbeat_details, pc),
            )
        elif which == "canceled_failure_info":
            err = CancelledError(f.message, *self._details(f.canceled_failure_info.details, pc))
        elif which == "terminated_failure_info":
            err = TerminatedError(f.message)
        elif which == "server_failure_info":
            err = ServerError(f.message, non_retryable=f.server_failure_info.non_retryable)
        elif which == "activity_failure_info":
            a = f.activity_failure_info
            err = ActivityError(
                f.message,
                scheduled_event_id=a.scheduled_event_id,
                started_event_id=a.started_event_id,
                identity=a.identity,
                activity_type=a.activity_type,
                activity_id=a.activity_id,
                retry_state=_enum_or_none(RetryState, a.retry_state),
            )
        elif which == "child_workflow_failure_info":
            c = f.child_workflow_failure_info
            err = ChildWorkflowError(
                f.message,
                namespace=c.namespace,
                workflow_id=c.workflow_execution.workflow_id,
                run_id=c.workflow_execution.run_id,
                workflow_type=c.workflow_type,
                initiated_event_id=c.initiated_event_id,
                started_event_id=c.started_event_id,
                retry_state=_enum_or_none(RetryState, c.retry_state),
            )
        else:  # application_failure_info, or no/unknown info
            app = f.application_failure_info
            delay: timedelta | None = None
            if app.next_retry_delay_us > 0:
                try:
                    delay = us_to_optional_timedelta(app.next_retry_delay_us)
                except ValueError:
                    delay = None  # out of range for timedelta: use the retry policy
            err = ApplicationError(
                f.message,
                *self._details(app.details, pc),
                type=app.type or None,
                non_retryable=app.non_retryable,
                next_retry_delay=delay,
            )
        proto = Failure()
        proto.CopyFrom(f)
        err._failure = proto
        return err

    @staticmethod
    def _details(payloads: common_pb2.Payloads, pc: PayloadConverter) -> list[Any]:
        if not payloads.payloads:
            return []
        try:
            return pc.from_payloads(list(payloads.payloads))
        except Exception:
            return [_copy(p) for p in payloads.payloads]


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception as e:  # a broken __str__ must not lose the failure
        return f"<str() of {type(exc).__name__} raised {type(e).__name__}>"


def _enum_or_none(cls: type[enum.IntEnum], value: int) -> Any:
    try:
        return cls(value)
    except ValueError:
        return None


# --- Data converter -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DataConverter:
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

    default: ClassVar[DataConverter]

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
