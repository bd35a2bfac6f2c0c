"""Tests of durable.converter: payload encodings, JSON by type hints, codecs, DataConverter."""

from __future__ import annotations

import collections
import dataclasses
import enum
import json
import socket
import sys
import uuid
import zlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Generic, Literal, NamedTuple, NewType, Optional, TypedDict, TypeVar, Union

import pytest

from durable.converter import (
    BinaryNullPayloadConverter,
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    PayloadCodec,
    decode_payloads_in_message,
    default,
    encode_payloads_in_message,
    value_to_type,
)
from durable.exceptions import DurableError, PayloadConversionError
from durable.v1 import commands_pb2, common_pb2

Payload = common_pb2.Payload
DC = DataConverter.default


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Shape(str, enum.Enum):
    CIRCLE = "circle"
    SQUARE = "square"


class Num(enum.Enum):
    ONE = 1
    TWO = 2


@dataclasses.dataclass
class Item:
    name: str
    price: float
    qty: int = 1


@dataclasses.dataclass
class Address:
    street: str
    zip: Optional[str] = None


@dataclasses.dataclass
class Order:
    id: int
    items: list[Item]
    color: Color
    level: Level
    shape: Shape
    address: Address | None
    tags: set[str] = dataclasses.field(default_factory=set)
    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    by_level: dict[Level, list[Item]] = dataclasses.field(default_factory=dict)
    by_num: dict[Num, str] = dataclasses.field(default_factory=dict)
    by_int: dict[int, float] = dataclasses.field(default_factory=dict)
    pair: tuple[int, str] = (0, "")
    many: tuple[float, ...] = ()
    extra: Any = None
    when: Optional[datetime] = None
    day: Optional[date] = None
    wait: timedelta = timedelta(0)
    ref: Optional[uuid.UUID] = None
    blob: bytes = b""


T = TypeVar("T")


@dataclasses.dataclass
class Box(Generic[T]):
    value: T
    values: list[T]


@dataclasses.dataclass
class NeedsPositive:
    n: int

    def __post_init__(self) -> None:
        if self.n <= 0:
            raise ValueError("n must be positive")


@dataclasses.dataclass
class Node:
    name: str
    children: list[Node] = dataclasses.field(default_factory=list)


class Point(NamedTuple):
    x: int
    y: float


class Movie(TypedDict):
    title: str
    year: int


UserId = NewType("UserId", int)


def roundtrip(value: Any, hint: Any = None) -> Any:
    return DC.from_payload(DC.to_payload(value), hint)


def full_order() -> Order:
    return Order(
        id=7,
        items=[Item("apple", 0.5, 3), Item("pear", 2.0)],
        color=Color.GREEN,
        level=Level.HIGH,
        shape=Shape.SQUARE,
        address=Address("Main St 1", "12345"),
        tags={"b", "a"},
        counts={"x": 1},
        by_level={Level.LOW: [Item("plum", 1.0)]},
        by_num={Num.TWO: "two"},
        by_int={3: 1.5},
        pair=(1, "one"),
        many=(1.0, 2.5),
        extra={"free": ["form", 1]},
        when=datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc),
        day=date(2024, 1, 2),
        wait=timedelta(seconds=90, microseconds=5),
        ref=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        blob=b"\x00\xff",
    )


# --- Encodings ------------------------------------------------------------------------------


def test_none_uses_binary_null() -> None:
    p = DC.to_payload(None)
    assert p.metadata["encoding"] == b"binary/null"
    assert p.data == b""
    assert DC.from_payload(p) is None


def test_bytes_use_binary_plain() -> None:
    p = DC.to_payload(b"\x00\x01raw")
    assert p.metadata["encoding"] == b"binary/plain"
    assert p.data == b"\x00\x01raw"
    assert DC.from_payload(p, bytes) == b"\x00\x01raw"
    assert DC.from_payload(p, bytearray) == bytearray(b"\x00\x01raw")
    assert DC.to_payload(bytearray(b"ab")).data == b"ab"


def test_json_is_compact_utf8_and_unsorted() -> None:
    p = DC.to_payload({"b": 1, "a": [1, 2], "é": "ü"})
    assert p.metadata["encoding"] == b"json/plain"
    assert p.data == '{"b":1,"a":[1,2],"é":"ü"}'.encode()


def test_plain_values_roundtrip_without_hint() -> None:
    for v in [0, -5, 2**70, 1.25, "", "text", True, False, [1, "a", None], {"k": {"n": [1]}}]:
        assert roundtrip(v) == v
        assert type(roundtrip(v)) is type(v)


def test_to_payloads_and_from_payloads_by_position() -> None:
    payloads = DC.to_payloads([1, None, b"x", Item("a", 1.0)])
    assert [p.metadata["encoding"] for p in payloads] == [
        b"json/plain",
        b"binary/null",
        b"binary/plain",
        b"json/plain",
    ]
    values = DC.from_payloads(payloads, [int, type(None), bytes, Item])
    assert values == [1, None, b"x", Item("a", 1.0)]
    # Fewer hints than payloads: the rest are plain values.
    assert DC.from_payloads(payloads, [int])[3] == {"name": "a", "price": 1.0, "qty": 1}
    assert DC.from_payloads([]) == []


def test_default_function_and_instance() -> None:
    assert default() is DataConverter.default
    assert isinstance(DataConverter.default.payload_converter, DefaultPayloadConverter)


# --- Type-hint driven decoding --------------------------------------------------------------


def test_nested_dataclass_roundtrip() -> None:
    order = full_order()
    back = roundtrip(order, Order)
    assert back == order
    assert type(back.items[0]) is Item
    assert type(back.address) is Address
    assert back.color is Color.GREEN and back.level is Level.HIGH and back.shape is Shape.SQUARE
    assert back.by_level == {Level.LOW: [Item("plum", 1.0)]}
    assert isinstance(back.tags, set)
    assert back.pair == (1, "one") and isinstance(back.pair, tuple)
    assert back.when is not None and back.when.tzinfo is not None


def test_dataclass_json_form_is_documented_shape() -> None:
    data = json.loads(DC.to_payload(full_order()).data)
    assert data["color"] == "green"
    assert data["level"] == 2
    assert data["by_level"] == {"1": [{"name": "plum", "price": 1.0, "qty": 1}]}
    assert data["by_num"] == {"2": "two"}
    assert data["tags"] == ["a", "b"]  # sets are sorted, so encoding is deterministic
    assert data["when"] == "2024-05-06T07:08:09.123456+00:00"
    assert data["day"] == "2024-01-02"
    assert data["wait"] == 90.000005
    assert data["ref"] == "12345678-1234-5678-1234-567812345678"
    assert data["blob"] == "AP8="


def test_missing_fields_take_defaults_and_unknown_keys_are_ignored() -> None:
    payload = DC.to_payload({"name": "x", "price": 2, "unknown": True})
    item = DC.from_payload(payload, Item)
    assert item == Item("x", 2.0, 1)
    assert isinstance(item.price, float)


def test_missing_required_field_is_named() -> None:
    with pytest.raises(PayloadConversionError, match=r"at 'items\[0\]\.price'.*missing required"):
        DC.from_payload(DC.to_payload({"id": 1, "items": [{"name": "x"}]}), Order)


def test_optional_and_union_hints() -> None:
    assert roundtrip(None, Optional[int]) is None
    assert roundtrip(3, Optional[int]) == 3
    assert roundtrip(None, int | None) is None
    assert roundtrip("s", Union[int, str]) == "s"
    assert roundtrip(3, Union[float, int]) == 3 and type(roundtrip(3, Union[float, int])) is int
    assert roundtrip({"name": "a", "price": 1}, Union[int, Item]) == Item("a", 1.0)
    with pytest.raises(PayloadConversionError, match="matches no member"):
        roundtrip([1], Union[int, str])


def test_enums_decode_by_value() -> None:
    assert roundtrip(Color.RED, Color) is Color.RED
    assert roundtrip(Level.LOW, Level) is Level.LOW
    assert roundtrip(Shape.CIRCLE, Shape) is Shape.CIRCLE
    with pytest.raises(PayloadConversionError, match=r"'blue' is not a value of Color"):
        roundtrip("blue", Color)
    # By value, not by name.
    with pytest.raises(PayloadConversionError):
        roundtrip("RED", Color)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="enum.StrEnum is new in 3.11")
def test_strenum() -> None:
    class Mode(enum.StrEnum):  # type: ignore[name-defined,misc]
        FAST = "fast"

    assert DC.to_payload(Mode.FAST).data == b'"fast"'
    assert roundtrip(Mode.FAST, Mode) is Mode.FAST


def test_time_types() -> None:
    naive = datetime(2020, 2, 29, 12, 0)
    assert roundtrip(naive, datetime) == naive
    assert roundtrip(time(1, 2, 3), time) == time(1, 2, 3)
    assert roundtrip(date(1999, 12, 31), date) == date(1999, 12, 31)
    assert roundtrip(timedelta(days=2, microseconds=7), timedelta) == timedelta(
        days=2, microseconds=7
    )
    assert value_to_type(datetime, "2024-01-01T00:00:00Z") == datetime(
        2024, 1, 1, tzinfo=timezone.utc
    )
    with pytest.raises(PayloadConversionError, match="ISO 8601 datetime"):
        value_to_type(datetime, "yesterday")
    with pytest.raises(PayloadConversionError, match="number of seconds"):
        value_to_type(timedelta, "90s")


def test_uuid_and_bytes_in_structures() -> None:
    u = uuid.uuid4()
    assert roundtrip(u, uuid.UUID) == u
    assert roundtrip({"b": b"\x01\x02"}, dict[str, bytes]) == {"b": b"\x01\x02"}
    with pytest.raises(PayloadConversionError, match="UUID string"):
        value_to_type(uuid.UUID, "not-a-uuid")
    with pytest.raises(PayloadConversionError, match="base64"):
        value_to_type(bytes, "***")


def test_containers() -> None:
    assert roundtrip([1, 2], list[int]) == [1, 2]
    assert roundtrip([1, 2], Sequence[float]) == [1.0, 2.0]
    assert roundtrip({3, 1}, frozenset[int]) == frozenset({1, 3})
    assert roundtrip((1, "a", None), tuple[int, str, None]) == (1, "a", None)
    assert roundtrip((), tuple[()]) == ()
    assert roundtrip([1, 2, 3], tuple[int, ...]) == (1, 2, 3)
    assert roundtrip({"1": 2}, dict[int, int]) == {1: 2}
    assert roundtrip({"a": [1]}, Mapping[str, list[int]]) == {"a": [1]}
    assert roundtrip([1], collections.deque) == collections.deque([1])
    with pytest.raises(PayloadConversionError, match="expected an array of 2 items, got 3"):
        roundtrip([1, 2, 3], tuple[int, int])
    with pytest.raises(PayloadConversionError, match=r"at '\['x'\]'.*not a valid int"):
        roundtrip({"x": 1}, dict[int, int])


def test_generic_dataclass() -> None:
    back = roundtrip(Box(Item("a", 1.0), [Item("b", 2.0)]), Box[Item])
    assert back == Box(Item("a", 1.0), [Item("b", 2.0)])
    assert type(back.values[0]) is Item
    with pytest.raises(PayloadConversionError, match="expected int"):
        roundtrip(Box("x", ["y"]), Box[int])


def test_recursive_dataclass() -> None:
    tree = Node("root", [Node("a", [Node("a1")]), Node("b")])
    assert roundtrip(tree, Node) == tree


def test_namedtuple_typeddict_newtype_literal() -> None:
    assert roundtrip(Point(1, 2.5), Point) == Point(1, 2.5)
    assert roundtrip({"title": "x", "year": 1999}, Movie) == {"title": "x", "year": 1999}
    with pytest.raises(PayloadConversionError, match="missing required key 'year'"):
        roundtrip({"title": "x"}, Movie)
    assert roundtrip(5, UserId) == 5
    assert roundtrip("b", Literal["a", "b"]) == "b"
    with pytest.raises(PayloadConversionError, match="expected one of"):
        roundtrip("c", Literal["a", "b"])


def test_any_and_no_hint_give_plain_json() -> None:
    assert roundtrip(Item("a", 1.0), Any) == {"name": "a", "price": 1.0, "qty": 1}
    assert roundtrip(Color.RED, object) == "red"
    assert roundtrip((1, 2)) == [1, 2]


def test_dataclass_post_init_error_is_reported() -> None:
    with pytest.raises(PayloadConversionError, match="NeedsPositive.*n must be positive"):
        roundtrip({"n": -1}, NeedsPositive)


def test_pydantic_models_when_available() -> None:
    pydantic = pytest.importorskip("pydantic")

    class Account(pydantic.BaseModel):
        owner: str
        opened: datetime
        balance: float = 0.0

    acc = Account(owner="ann", opened=datetime(2024, 1, 1, tzinfo=timezone.utc), balance=3.5)
    assert roundtrip(acc, Account) == acc
    # Nested in a dataclass (made with real types: a local class can't be named in a string).
    wrapper = dataclasses.make_dataclass("Wrapper", [("account", Account)])
    assert roundtrip(wrapper(acc), wrapper) == wrapper(acc)
    assert type(roundtrip(wrapper(acc), wrapper).account) is Account
    with pytest.raises(PayloadConversionError, match="pydantic validation failed"):
        roundtrip({"owner": "ann"}, Account)


# --- Bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(object(), "object"), (lambda: 1, "function"), (Decimal("1.5"), "Decimal")],
)
def test_unserializable_values_name_their_type(value: Any, type_name: str) -> None:
    with pytest.raises(PayloadConversionError, match=f"value of type {type_name}:"):
        DC.to_payload(value)


def test_unserializable_socket() -> None:
    with socket.socket() as s, pytest.raises(PayloadConversionError, match="type socket"):
        DC.to_payload({"conn": s})


def test_unserializable_field_names_its_path() -> None:
    order = full_order()
    order.items.append(Item("x", Decimal("9.99")))  # type: ignore[arg-type]
    with pytest.raises(PayloadConversionError) as info:
        DC.to_payload(order)
    msg = str(info.value)
    assert "field 'items[2].price' of type Decimal" in msg
    assert "value of type Order" in msg
    assert isinstance(info.value, TypeError) and isinstance(info.value, DurableError)


def test_unserializable_dict_key_and_value_paths() -> None:
    with pytest.raises(PayloadConversionError, match=r"field '\['a'\]\[1\]' of type object"):
        DC.to_payload({"a": [1, object()]})
    with pytest.raises(PayloadConversionError, match="dict keys must be"):
        DC.to_payload({(1, 2): "tuple key"})


def test_to_payloads_names_the_argument_index() -> None:
    with pytest.raises(PayloadConversionError, match="^value 1: "):
        DC.to_payloads([1, object(), 3])


def test_circular_reference_is_an_error() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(PayloadConversionError, match="circular reference"):
        DC.to_payload(loop)


def test_lone_surrogate_is_an_error() -> None:
    with pytest.raises(PayloadConversionError, match="not valid Unicode"):
        DC.to_payload("\ud800")


def test_decoding_mismatch_names_target_type() -> None:
    with pytest.raises(PayloadConversionError, match=r"to int: expected int, got str 'x'"):
        roundtrip("x", int)
    with pytest.raises(PayloadConversionError, match="expected int, got bool"):
        roundtrip(True, int)
    with pytest.raises(PayloadConversionError, match="expected an object for Item"):
        roundtrip([1, 2], Item)
    with pytest.raises(PayloadConversionError, match="to str"):
        roundtrip(None, str)
    with pytest.raises(PayloadConversionError, match="expected str"):
        DC.from_payload(DC.to_payload(b"raw"), str)


def test_from_payloads_names_the_payload_index() -> None:
    payloads = DC.to_payloads([1, "x"])
    with pytest.raises(PayloadConversionError, match="^payload 1: cannot convert payload to int"):
        DC.from_payloads(payloads, [int, int])


def test_bad_payloads() -> None:
    with pytest.raises(PayloadConversionError, match="no 'encoding' metadata"):
        DC.from_payload(Payload(data=b"1"))
    with pytest.raises(PayloadConversionError, match="unknown payload encoding 'binary/encrypted'"):
        DC.from_payload(Payload(metadata={"encoding": b"binary/encrypted"}, data=b"1"))
    with pytest.raises(PayloadConversionError, match="not valid JSON"):
        DC.from_payload(Payload(metadata={"encoding": b"json/plain"}, data=b"{nope"))
    with pytest.raises(PayloadConversionError, match="not valid JSON"):
        DC.from_payload(Payload(metadata={"encoding": b"json/plain"}, data=b"\xff\xfe"))
    with pytest.raises(PayloadConversionError, match="expected none"):
        DC.from_payload(Payload(metadata={"encoding": b"binary/null"}, data=b"x"))
    with pytest.raises(PayloadConversionError, match="expected a durable.v1.Payload"):
        DC.from_payload(b"not a payload")  # type: ignore[arg-type]


def test_unresolvable_forward_reference_is_a_clear_error() -> None:
    @dataclasses.dataclass
    class Local:
        other: LocalOnly  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(PayloadConversionError, match="cannot resolve the type hint 'LocalOnly'"):
        roundtrip({"other": 1}, Local)


def test_unsupported_dict_key_hint() -> None:
    with pytest.raises(PayloadConversionError, match="unsupported dict key type"):
        roundtrip({"a": 1}, dict[Item, int])


def test_composite_validates_its_converters() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CompositePayloadConverter()
    with pytest.raises(ValueError, match="two payload converters for encoding 'json/plain'"):
        CompositePayloadConverter(JSONPlainPayloadConverter(), JSONPlainPayloadConverter())
    only_null = CompositePayloadConverter(BinaryNullPayloadConverter())
    with pytest.raises(PayloadConversionError, match="no payload converter accepts.*int"):
        only_null.to_payload(1)


# --- Codecs ---------------------------------------------------------------------------------


class ZlibCodec(PayloadCodec):
    """Compresses each payload into a ``binary/zlib`` payload; counts calls."""

    def __init__(self) -> None:
        self.encode_calls = 0
        self.decode_calls = 0

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.encode_calls += 1
        return [
            Payload(
                metadata={"encoding": b"binary/zlib"}, data=zlib.compress(p.SerializeToString())
            )
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.decode_calls += 1
        out = []
        for p in payloads:
            assert p.metadata["encoding"] == b"binary/zlib"
            out.append(Payload.FromString(zlib.decompress(p.data)))
        return out


class DroppingCodec(PayloadCodec):
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)[:-1]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return []


async def test_encode_decode_apply_the_codec() -> None:
    codec = ZlibCodec()
    conv = dataclasses.replace(DataConverter.default, payload_codec=codec)
    payloads = await conv.encode([Item("a", 1.0), None])
    assert all(p.metadata["encoding"] == b"binary/zlib" for p in payloads)
    assert await conv.decode(payloads, [Item]) == [Item("a", 1.0), None]
    assert (codec.encode_calls, codec.decode_calls) == (1, 1)
    # The sync API never applies the codec; encoded payloads are not readable by it.
    with pytest.raises(PayloadConversionError, match="was a payload codec not applied"):
        conv.from_payloads(payloads)


async def test_no_codec_async_api_equals_sync_api() -> None:
    payloads = await DC.encode([1, "a"])
    assert payloads == DC.to_payloads([1, "a"])
    assert await DC.decode(payloads, [int, str]) == [1, "a"]


async def test_codec_returning_wrong_count_is_an_error() -> None:
    conv = DataConverter(payload_codec=DroppingCodec())
    with pytest.raises(PayloadConversionError, match="returned 1 payloads for 2"):
        await conv.encode([1, 2])
    with pytest.raises(PayloadConversionError, match="returned 0 payloads for 1"):
        await conv.decode(DC.to_payloads([1]))


async def test_codec_over_a_whole_message_including_maps() -> None:
    cmd = commands_pb2.ScheduleActivityCommand(
        activity_id="1",
        input=common_pb2.Payloads(payloads=DC.to_payloads(["x", 2])),
        header={"trace": DC.to_payload("abc"), "b": DC.to_payload(None)},
    )
    original = commands_pb2.ScheduleActivityCommand()
    original.CopyFrom(cmd)
    codec = ZlibCodec()
    await encode_payloads_in_message(codec, cmd)
    assert codec.encode_calls == 1
    assert all(p.metadata["encoding"] == b"binary/zlib" for p in cmd.input.payloads)
    assert cmd.header["trace"].metadata["encoding"] == b"binary/zlib"
    assert cmd.activity_id == "1"
    await decode_payloads_in_message(codec, cmd)
    assert cmd == original

    await encode_payloads_in_message(codec, cmd, skip_fields={"header"})
    assert cmd.header["trace"] == original.header["trace"]
    assert cmd.input != original.input
