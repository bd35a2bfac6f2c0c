"""Serialization contexts: which workflow or activity a payload belongs to.

Its one job is the context types of temporalio's converter API and the one rule for applying
them. A payload converter, failure converter, encoding payload converter or payload codec
that subclasses :class:`WithSerializationContext` is replaced, for each conversion, by what
its ``with_context(context)`` returns, so that it can, e.g., pick an encryption key per
workflow. Who gets which context:

* the client, for a workflow's start arguments, memo (also as listed), signals, queries,
  updates, result, failure and terminate details, and a schedule's start-workflow action:
  :class:`WorkflowSerializationContext` with the workflow's id;
* workflow code, for its own arguments, result, failure, signals, queries, updates,
  ``workflow.payload_converter()`` and continue-as-new arguments: the workflow's own
  :class:`WorkflowSerializationContext`; for a child workflow's arguments and outcome, or an
  external signal: the *target* workflow's;
* workflow code, for an activity's (or local activity's) arguments and outcome, and the
  activity worker, for that activity's arguments, result, failure, heartbeat details and
  ``activity.payload_converter()``: :class:`ActivitySerializationContext` with the workflow's
  and the activity's ids.

Private: import these names from durable.converter (or durable.client).
"""

from __future__ import annotations

import dataclasses
from abc import ABC
from typing import Any, TypeVar

_T = TypeVar("_T")


class SerializationContext(ABC):  # noqa: B024 (a marker base, as in temporalio)
    """What a payload being converted belongs to (see the subclasses)."""


@dataclasses.dataclass(frozen=True)
class WorkflowSerializationContext(SerializationContext):
    """A payload that is an input or output of a workflow.

    Attributes:
        namespace: The workflow's namespace.
        workflow_id: The id of the workflow whose input or output the payload is (for a
            child workflow or an external signal: the child's / the target's id).
    """

    namespace: str
    workflow_id: str


@dataclasses.dataclass(frozen=True)
class ActivitySerializationContext(SerializationContext):
    """A payload that is an input or output of an activity.

    Attributes:
        namespace: The namespace of the activity's workflow.
        activity_id: The activity's id (also when the workflow did not choose one: durable
            gives the id it schedules the activity with).
        activity_type: The activity's type name.
        activity_task_queue: The task queue the activity runs on.
        workflow_id: The id of the workflow that scheduled the activity.
        workflow_type: That workflow's type name.
        is_local: Whether it is a local activity.
    """

    namespace: str
    activity_id: str | None
    activity_type: str | None
    activity_task_queue: str | None
    workflow_id: str | None
    workflow_type: str | None
    is_local: bool


class WithSerializationContext(ABC):  # noqa: B024 (with_context has a default body)
    """A converter or codec that wants to know the context of each conversion.

    Subclass it next to :class:`~durable.converter.PayloadConverter`,
    :class:`~durable.converter.EncodingPayloadConverter`,
    :class:`~durable.converter.FailureConverter` or :class:`~durable.converter.PayloadCodec`
    and override :meth:`with_context`. The SDK calls it before converting and uses what it
    returns; returning ``self`` means "the context changes nothing".
    """

    def with_context(self, context: SerializationContext) -> Any:
        """Return this object configured for ``context`` (a copy, or ``self``).

        Args:
            context: The context of the coming conversions.

        Returns:
            The object to convert with.

        Raises:
            NotImplementedError: The subclass did not override it.
        """
        raise NotImplementedError(
            f"{type(self).__name__} subclasses WithSerializationContext but does not "
            "override with_context")


def takes_context(obj: Any) -> bool:
    """Whether :func:`apply_context` may return something else than ``obj``.

    False lets the SDK skip building a context at all (the default converters take none);
    a composite or data converter answers for its parts, any other
    :class:`WithSerializationContext` is assumed to take one.
    """
    if not isinstance(obj, WithSerializationContext):
        return False
    parts_take_context = getattr(obj, "_parts_take_context", None)
    return True if parts_take_context is None else bool(parts_take_context())


def apply_context(obj: _T, context: SerializationContext) -> _T:
    """``obj.with_context(context)`` if ``obj`` takes contexts, else ``obj`` itself.

    Args:
        obj: A converter, codec or data converter (or None).
        context: The context.

    Returns:
        The object to use for conversions in that context.
    """
    if isinstance(obj, WithSerializationContext):
        return obj.with_context(context)  # type: ignore[no-any-return]
    return obj
