"""Typed search attributes (re-exported by ``durable.common``; names as ``temporalio.common``).

    CUSTOMER = SearchAttributeKey.for_keyword("Customer")
    await client.add_search_attributes([CUSTOMER])          # once per namespace
    await client.start_workflow(..., search_attributes=TypedSearchAttributes(
        [SearchAttributePair(CUSTOMER, "acme")]))
    workflow.upsert_search_attributes([CUSTOMER.value_set("globex")])

Values cross the engine as ``durable.v1.SearchAttributeValue`` (typed, not opaque payloads:
the engine indexes them).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import IntEnum
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar, overload

from durable.v1 import common_pb2

__all__ = [
    "SearchAttributeIndexedValueType",
    "SearchAttributeKey",
    "SearchAttributePair",
    "SearchAttributeUpdate",
    "TypedSearchAttributes",
]

T = TypeVar("T")


class SearchAttributeIndexedValueType(IntEnum):
    """Type of a search attribute (values match ``durable.v1.IndexedValueType``)."""

    TEXT = 1
    KEYWORD = 2
    INT = 3
    DOUBLE = 4
    BOOL = 5
    DATETIME = 6
    KEYWORD_LIST = 7


_PY_TYPES: dict[SearchAttributeIndexedValueType, Any] = {
    SearchAttributeIndexedValueType.TEXT: str,
    SearchAttributeIndexedValueType.KEYWORD: str,
    SearchAttributeIndexedValueType.INT: int,
    SearchAttributeIndexedValueType.DOUBLE: float,
    SearchAttributeIndexedValueType.BOOL: bool,
    SearchAttributeIndexedValueType.DATETIME: datetime,
    SearchAttributeIndexedValueType.KEYWORD_LIST: Sequence,
}


@dataclass(frozen=True)
class SearchAttributeKey(Generic[T]):
    """A search attribute's name and type. Create with the ``for_*`` functions."""

    name: str
    indexed_value_type: SearchAttributeIndexedValueType

    @property
    def value_type(self) -> Any:
        """The Python type of its values."""
        return _PY_TYPES[self.indexed_value_type]

    @property
    def origin_value_type(self) -> Any:
        """The Python type of its values (temporalio's name for :attr:`value_type`)."""
        return self.value_type

    @staticmethod
    def for_text(name: str) -> SearchAttributeKey[str]:
        """A full-text attribute (``=`` matches when every word of the value is present)."""
        return SearchAttributeKey._make(name, SearchAttributeIndexedValueType.TEXT)

    @staticmethod
    def for_keyword(name: str) -> SearchAttributeKey[str]:
        """An exact-match string attribute."""
        return SearchAttributeKey._make(name, SearchAttributeIndexedValueType.KEYWORD)

    @staticmethod
    def for_int(name: str) -> SearchAttributeKey[int]:
        return SearchAttributeKey._make(name, SearchAttributeIndexedValueType.INT)

    @staticmethod
    def for_float(name: str) -> SearchAttributeKey[float]:
        return SearchAttributeKey._make(name, SearchAttributeIndexedValueType.DOUBLE)

    @staticmethod
    def for_bool(name: str) -> SearchAttributeKey[bool]:
        return SearchAttributeKey._make(name, SearchAttributeIndexedValueType.BOOL)

    @staticmethod
    def for_datetime(name: str) -> SearchAttributeKey[datetime]:
        """A time attribute; values must be timezone-aware datetimes."""
        return SearchAttributeKey._make(name, SearchAttributeIndexedValueType.DATETIME)

    @staticmethod
    def for_keyword_list(name: str) -> SearchAttributeKey[Sequence[str]]:
        """A list of keywords (``=`` matches when the list holds the value)."""
        return SearchAttributeKey._make(name, SearchAttributeIndexedValueType.KEYWORD_LIST)

    @staticmethod
    def _make(name: str, t: SearchAttributeIndexedValueType) -> SearchAttributeKey[Any]:
        if not isinstance(name, str) or not name:
            raise ValueError(f"search attribute name must be a non-empty string, got {name!r}")
        return SearchAttributeKey(name, t)

    def value_set(self, value: T) -> SearchAttributeUpdate[T]:
        """An update that sets this attribute to ``value``."""
        _to_value(self, value)  # type check now, not at the engine
        return SearchAttributeUpdate(self, value)

    def value_unset(self) -> SearchAttributeUpdate[T]:
        """An update that removes this attribute."""
        return SearchAttributeUpdate(self, None)


class _SearchAttributePairFields(NamedTuple):
    key: SearchAttributeKey[Any]
    value: Any


# Not `class SearchAttributePair(NamedTuple, Generic[T])`: Python 3.10 refuses a generic
# NamedTuple ("Multiple inheritance with NamedTuple is not supported"; allowed from 3.11).
class SearchAttributePair(_SearchAttributePairFields, Generic[T]):
    """A key and its value (a named tuple ``(key, value)``)."""

    __slots__ = ()


@dataclass(frozen=True)
class SearchAttributeUpdate(Generic[T]):
    """Set (``value``) or remove (``value`` None) an attribute; see ``value_set``/``value_unset``."""

    key: SearchAttributeKey[T]
    value: T | None


class TypedSearchAttributes(Collection[SearchAttributePair[Any]]):
    """An immutable collection of search attribute pairs, at most one per name."""

    empty: ClassVar[TypedSearchAttributes]

    def __init__(self, search_attributes: Sequence[SearchAttributePair[Any]] = ()) -> None:
        by_name: dict[str, SearchAttributePair[Any]] = {}
        for pair in search_attributes:
            if not isinstance(pair, SearchAttributePair):
                pair = SearchAttributePair(*pair)
            _to_value(pair.key, pair.value)  # type check
            by_name[pair.key.name] = pair
        self.search_attributes: Sequence[SearchAttributePair[Any]] = tuple(
            sorted(by_name.values(), key=lambda p: p.key.name))

    def __len__(self) -> int:
        return len(self.search_attributes)

    def __iter__(self) -> Iterator[SearchAttributePair[Any]]:
        return iter(self.search_attributes)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, SearchAttributeKey):
            return any(p.key == item for p in self.search_attributes)
        return item in self.search_attributes

    def __getitem__(self, key: SearchAttributeKey[T]) -> T:
        for p in self.search_attributes:
            if p.key == key:
                return p.value  # type: ignore[no-any-return]
        raise KeyError(key)

    @overload
    def get(self, key: SearchAttributeKey[T]) -> T | None: ...

    @overload
    def get(self, key: SearchAttributeKey[T], default: Any) -> Any: ...

    def get(self, key: SearchAttributeKey[T], default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def updated(self, *search_attributes: SearchAttributePair[Any]) -> TypedSearchAttributes:
        """A copy with these pairs set (replacing pairs of the same name)."""
        return TypedSearchAttributes([*self.search_attributes, *search_attributes])

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TypedSearchAttributes)
                and self.search_attributes == other.search_attributes)

    def __hash__(self) -> int:
        return hash(self.search_attributes)

    def __repr__(self) -> str:
        return f"TypedSearchAttributes({list(self.search_attributes)!r})"

    def _apply(self, updates: Sequence[SearchAttributeUpdate[Any]]) -> TypedSearchAttributes:
        by_name = {p.key.name: p for p in self.search_attributes}
        for u in updates:
            if u.value is None:
                by_name.pop(u.key.name, None)
            else:
                by_name[u.key.name] = SearchAttributePair(u.key, u.value)
        return TypedSearchAttributes(list(by_name.values()))

    def _to_proto(self) -> common_pb2.SearchAttributes:
        out = common_pb2.SearchAttributes()
        for p in self.search_attributes:
            out.indexed_fields[p.key.name].CopyFrom(_to_value(p.key, p.value))
        return out

    @staticmethod
    def _from_proto(proto: common_pb2.SearchAttributes) -> TypedSearchAttributes:
        pairs = []
        for name, v in proto.indexed_fields.items():
            if v.type:
                key = SearchAttributeKey(name, SearchAttributeIndexedValueType(v.type))
                pairs.append(SearchAttributePair(key, _from_value(v)))
        return TypedSearchAttributes(pairs)


TypedSearchAttributes.empty = TypedSearchAttributes()


def _to_value(key: SearchAttributeKey[Any], value: Any) -> common_pb2.SearchAttributeValue:
    t = key.indexed_value_type
    v = common_pb2.SearchAttributeValue(type=int(t))

    def wrong(expected: str) -> TypeError:
        return TypeError(f"search attribute {key.name!r} ({t.name}) needs {expected}, "
                         f"got {value!r}")

    if t in (SearchAttributeIndexedValueType.TEXT, SearchAttributeIndexedValueType.KEYWORD):
        if not isinstance(value, str):
            raise wrong("a str")
        v.string_value = value
    elif t == SearchAttributeIndexedValueType.INT:
        if not isinstance(value, int) or isinstance(value, bool):
            raise wrong("an int")
        if not -(2**63) <= value < 2**63:
            raise ValueError(f"search attribute {key.name!r}: {value} does not fit in 64 bits")
        v.int_value = value
    elif t == SearchAttributeIndexedValueType.DOUBLE:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise wrong("a float")
        v.double_value = float(value)
    elif t == SearchAttributeIndexedValueType.BOOL:
        if not isinstance(value, bool):
            raise wrong("a bool")
        v.bool_value = value
    elif t == SearchAttributeIndexedValueType.DATETIME:
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise wrong("a timezone-aware datetime")
        delta = value - datetime(1970, 1, 1, tzinfo=timezone.utc)
        v.int_value = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    elif t == SearchAttributeIndexedValueType.KEYWORD_LIST:
        if isinstance(value, str) or not isinstance(value, Sequence) or not all(
                isinstance(s, str) for s in value):
            raise wrong("a sequence of str")
        v.keyword_list.extend(value)
    return v


def _from_value(v: common_pb2.SearchAttributeValue) -> Any:
    t = SearchAttributeIndexedValueType(v.type)
    if t in (SearchAttributeIndexedValueType.TEXT, SearchAttributeIndexedValueType.KEYWORD):
        return v.string_value
    if t == SearchAttributeIndexedValueType.INT:
        return v.int_value
    if t == SearchAttributeIndexedValueType.DOUBLE:
        return v.double_value
    if t == SearchAttributeIndexedValueType.BOOL:
        return v.bool_value
    if t == SearchAttributeIndexedValueType.DATETIME:
        from durable.common import us_to_datetime

        return us_to_datetime(v.int_value)
    return list(v.keyword_list)


def _updates_to_proto(updates: Sequence[SearchAttributeUpdate[Any]]) -> common_pb2.SearchAttributes:
    out = common_pb2.SearchAttributes()
    for u in updates:
        if not isinstance(u, SearchAttributeUpdate):
            raise TypeError(f"expected SearchAttributeUpdate (key.value_set(v) / "
                            f"key.value_unset()), got {u!r}")
        if u.value is None:
            out.indexed_fields[u.key.name].CopyFrom(common_pb2.SearchAttributeValue())
        else:
            out.indexed_fields[u.key.name].CopyFrom(_to_value(u.key, u.value))
    return out


# --- temporalio.converter's search attribute helpers -----------------------------------------
# durable carries search attributes as typed values (durable.v1.SearchAttributeValue), not as
# payloads with a type in their metadata: these take and fill durable.v1.SearchAttributes.


def encode_search_attributes(attributes: TypedSearchAttributes,
                             api: common_pb2.SearchAttributes) -> None:
    """Set ``attributes`` on ``api`` (a ``durable.v1.SearchAttributes``), replacing the
    fields of the same names. Only the typed form (temporalio's dict form is deprecated)."""
    if not isinstance(attributes, TypedSearchAttributes):
        raise TypeError("search attributes must be a TypedSearchAttributes (the dict form is "
                        f"not supported), got {type(attributes).__name__}")
    for name, value in attributes._to_proto().indexed_fields.items():
        api.indexed_fields[name].CopyFrom(value)


def decode_typed_search_attributes(api: common_pb2.SearchAttributes) -> TypedSearchAttributes:
    """The typed collection of a ``durable.v1.SearchAttributes`` (a new object each time)."""
    return TypedSearchAttributes._from_proto(api)


def decode_search_attributes(api: common_pb2.SearchAttributes) -> dict[str, list[Any]]:
    """temporalio's deprecated untyped form: each name to a list of its values."""
    out: dict[str, list[Any]] = {}
    for pair in decode_typed_search_attributes(api):
        out[pair.key.name] = list(pair.value) if isinstance(pair.value, (list, tuple)) else [
            pair.value]
    return out


def encode_typed_search_attribute_value(key: SearchAttributeKey[Any], value: Any
                                        ) -> common_pb2.SearchAttributeValue:
    """One value as durable carries it (``durable.v1.SearchAttributeValue``; temporalio
    returns a Payload). None gives an empty value (the attribute removed)."""
    if value is None:
        return common_pb2.SearchAttributeValue()
    return _to_value(key, value)
