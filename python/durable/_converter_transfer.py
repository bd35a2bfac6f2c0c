"""Transfer types: a class converted to another value (its transfer type) before encoding,
and rebuilt from it after decoding (temporalio 1.35's experimental
``TransferTypeConverter`` / ``@transfer_type_convertible``).

Its one job is that hook and :func:`create_payload_validation_error`. Applied by
:class:`durable.converter.CompositePayloadConverter` (so by the default converter and every
one built on it): a value whose class was decorated is encoded as what
``to_transfer_type`` returns; a payload decoded for a decorated type hint is decoded with the
hint ``transfer_type`` and handed to ``from_transfer_type``. Private: import these names from
durable.converter.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from durable.exceptions import ApplicationError

ValueT = TypeVar("ValueT")
TransferTypeT = TypeVar("TransferTypeT")

_ATTR = "__durable_transfer_type_converter"


class TransferTypeConverter(Generic[ValueT, TransferTypeT], ABC):
    """Converts a user-facing value to a value the payload converter handles, and back.

    Attributes:
        transfer_type: The type hint to decode the payload with before
            :meth:`from_transfer_type` (``None``: no hint, the plain JSON value).
    """

    transfer_type: ClassVar[Any] = None

    @abstractmethod
    def to_transfer_type(self, value: ValueT) -> TransferTypeT:
        """The value to encode instead of ``value``.

        Args:
            value: An instance of the decorated class.

        Returns:
            Its transfer value (anything the payload converter encodes).
        """

    @abstractmethod
    def from_transfer_type(self, value: TransferTypeT, type_hint: Any) -> ValueT:
        """Rebuild the user-facing value.

        Args:
            value: The decoded transfer value.
            type_hint: The requested type, with its generic arguments (``Box[int]``).

        Returns:
            The value to hand to the code.
        """


def transfer_type_convertible(
    converter_type: type[TransferTypeConverter[ValueT, TransferTypeT]],
) -> Callable[[type[ValueT]], type[ValueT]]:
    """Class decorator: convert instances of the class with ``converter_type()``.

    Args:
        converter_type: A :class:`TransferTypeConverter` subclass with a no-argument
            constructor (one instance serves the class).

    Returns:
        The decorator; it returns the class itself.

    Raises:
        TypeError: (from the decorator) The class, or a base, has a converter already.
    """

    def decorate(cls: type[ValueT]) -> type[ValueT]:
        if hasattr(cls, _ATTR):
            raise TypeError(f"class {cls.__qualname__} already has a transfer type converter")
        setattr(cls, _ATTR, converter_type())
        return cls

    return decorate


def transfer_converter_of(value_type: object) -> TransferTypeConverter[Any, Any] | None:
    """The converter of a class (or a generic alias of one, ``Box[int]``), if decorated."""
    converter = getattr(value_type, _ATTR, None)
    return converter if isinstance(converter, TransferTypeConverter) else None


def create_payload_validation_error(details: Any) -> ApplicationError:
    """The error a converter raises for a payload it understood but finds invalid.

    A non-retryable ``ApplicationError("Payload validation failed", type=
    "PayloadValidationError")``: raised while decoding an activity's arguments it fails the
    activity without retries.

    Args:
        details: What was wrong (one detail of the error), or ``None`` for no details.

    Returns:
        The error, to raise.
    """
    return ApplicationError("Payload validation failed",
                            *(() if details is None else (details,)),
                            type="PayloadValidationError", non_retryable=True)
