"""JSON for ``json/plain`` payloads: encoding values and decoding them by type hint.

Its one job is the JSON mapping behind :class:`durable.converter.JSONPlainPayloadConverter`:
:func:`to_json_bytes` and :func:`value_to_type` (the table of Python types is in the
``durable.converter`` module docstring). Private: import these names from durable.converter.
"""

from __future__ import annotations

import base64
import collections
import collections.abc
import dataclasses
import enum
import functools
import inspect
import json
import sys
import types
import typing
import uuid
from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from typing import Any

from durable.exceptions import PayloadConversionError

_NoneType = type(None)


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
        value: The value (see the ``durable.converter`` docstring for supported types).

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
