"""Event groups (temporalio 1.35, experimental there): markers that tie workflow commands, and
the history events the engine writes for them, to a logical group for observability.

A group is created with :func:`create_event_group` and attached to every command issued
inside :meth:`EventGroup.scope` (a contextvar, so tasks started inside inherit it). The SDK
also opens an implicit group around each signal and update handler. Markers never take part in replay's
determinism checks. Private: import these names from durable.workflow.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from durable.v1 import common_pb2

__all__ = ["EventGroup", "create_event_group"]


class EventGroup:
    """A token grouping workflow commands (and their history events). Create it with
    :func:`create_event_group`; attach it with :meth:`scope` (or an API's ``event_groups=``).
    """

    def __init__(self, marker: common_pb2.EventGroupMarker, *, key: str | None,
                 implicit: bool = False) -> None:
        self._marker = marker
        self._key = key          # the explicit group's id; None for implicit groups
        self._implicit = implicit

    @contextmanager
    def scope(self) -> Iterator[None]:
        """Attach this group to every command issued inside the block (scopes nest).

        Raises:
            RuntimeError: Not inside a workflow.
        """
        _require_workflow()
        token = _active.set(self._applied_over(_active.get()))
        try:
            yield
        finally:
            try:
                _active.reset(token)
            except ValueError:
                pass  # unwound in another context (a suspended coroutine closed): discarded

    def _applied_over(self, active: _Active) -> _Active:
        if self._implicit:
            # an inbound handler's group does not inherit the scope it was registered in
            return _Active(implicit=self if self._marker.WhichOneof("variant") else None)
        assert self._key is not None
        return _Active(implicit=active.implicit, explicit={**active.explicit, self._key: self})


@dataclass(frozen=True)
class _Active:
    implicit: EventGroup | None = None
    explicit: dict[str, EventGroup] = field(default_factory=dict)


_active: contextvars.ContextVar[_Active] = contextvars.ContextVar(
    "durable_active_event_groups", default=_Active())


def _require_workflow() -> None:
    from durable.workflow import in_workflow

    if not in_workflow():
        raise RuntimeError("event groups can only be used inside a workflow")


def create_event_group(id: str, *, label: str | None = None) -> EventGroup:
    """Create an event group for commands of this workflow.

    Args:
        id: Non-empty identity; commands with the same id belong to the same group. Stored in
            history as plain text.
        label: Optional non-empty display text, recorded as a JSON string payload (which a
            payload codec encodes).

    Returns:
        The group.

    Raises:
        ValueError: ``id`` or ``label`` is empty.
        RuntimeError: Not inside a workflow.
    """
    _require_workflow()
    if not id:
        raise ValueError("Event group id cannot be empty")
    if label is not None and not label:
        raise ValueError("Event group label cannot be empty")
    m = common_pb2.EventGroupMarker()
    m.label.id = id
    if label is not None:
        # The default converter on purpose, as temporalio: a UI reads it as JSON.
        from durable.converter import DataConverter

        (p,) = DataConverter.default.payload_converter.to_payloads([label])
        m.label.label.CopyFrom(p)
    return EventGroup(m, key=id)


def _inbound_signal_group(event_id: int) -> EventGroup:
    """The implicit group of the handler of the signal recorded as event ``event_id`` (a
    group without a marker when the id is unknown: it still isolates the handler)."""
    m = common_pb2.EventGroupMarker()
    if event_id > 0:
        m.inbound_event.inbound_event_id = event_id
    return EventGroup(m, key=None, implicit=True)


def _inbound_update_group(update_id: str) -> EventGroup:
    m = common_pb2.EventGroupMarker()
    m.inbound_update.inbound_update_id = update_id
    return EventGroup(m, key=None, implicit=True)


@contextmanager
def applied(groups: Sequence[EventGroup] | None) -> Iterator[None]:
    """Attach ``groups`` (an API's ``event_groups=``) to the commands issued inside."""
    if not groups:
        yield
        return
    active = _active.get()
    explicit = dict(active.explicit)
    for g in groups:
        if not isinstance(g, EventGroup) or g._key is None:
            raise TypeError("Event groups must be created with workflow.create_event_group()")
        explicit[g._key] = g
    token = _active.set(_Active(implicit=active.implicit, explicit=explicit))
    try:
        yield
    finally:
        try:
            _active.reset(token)
        except ValueError:
            pass


def capture_markers(directs: Sequence[EventGroup] | None = None) -> list[common_pb2.EventGroupMarker]:
    """The markers of the groups active in the calling context plus ``directs``."""
    active = _active.get()
    explicit = active.explicit
    if directs:
        explicit = dict(explicit)
        for g in directs:
            if not isinstance(g, EventGroup) or g._key is None:
                raise TypeError("Event groups must be created with workflow.create_event_group()")
            explicit[g._key] = g
    markers = [g._marker for g in explicit.values()]
    if active.implicit is not None:
        markers.insert(0, active.implicit._marker)
    return markers
