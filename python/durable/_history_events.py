"""Paged history iteration (temporalio's ``WorkflowHandle.fetch_history_events``).

durable's history call returns every event from an event id on (or, waiting, the next
ones): the page token is the id of the next event to fetch, and a ``page_size`` cuts the
pages on the client side. ``wait_new_event`` keeps iterating as the run makes progress
until it closes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from enum import IntEnum
from typing import TYPE_CHECKING

from durable import _rpc_options
from durable.v1 import common_pb2, history_pb2, service_pb2

if TYPE_CHECKING:
    from durable.client import Client


class WorkflowHistoryEventFilterType(IntEnum):
    """Which events of a history to fetch (as temporalio's)."""

    ALL_EVENT = 1
    CLOSE_EVENT = 2  # only the event that closed the run (none while it is open)


_CLOSE_EVENTS = frozenset({
    "workflow_execution_completed", "workflow_execution_failed", "workflow_execution_timed_out",
    "workflow_execution_canceled", "workflow_execution_terminated",
    "workflow_execution_continued_as_new",
})


def is_close_event(event: history_pb2.HistoryEvent) -> bool:
    return event.WhichOneof("attributes") in _CLOSE_EVENTS


def encode_token(next_event_id: int) -> bytes:
    return str(next_event_id).encode()


def decode_token(token: bytes | None) -> int:
    if not token:
        return 1
    try:
        value = int(token.decode())
    except (UnicodeDecodeError, ValueError):
        raise ValueError(f"next_page_token {token!r} is not a token of durable's "
                         "fetch_history_events") from None
    if value < 1:
        raise ValueError(f"next_page_token {token!r} is not a token of durable's "
                         "fetch_history_events")
    return value


class WorkflowHistoryEventAsyncIterator:
    """Asynchronous iterator over a run's history events; use ``async for`` on what
    ``WorkflowHandle.fetch_history_events`` returns (its constructor is internal)."""

    def __init__(self, client: Client, *, id: str, run_id: str | None,
                 page_size: int | None, next_page_token: bytes | None,
                 wait_new_event: bool, event_filter_type: WorkflowHistoryEventFilterType,
                 rpc_metadata: Mapping[str, str | bytes], rpc_timeout: timedelta | None) -> None:
        if page_size is not None and (not isinstance(page_size, int) or page_size < 1):
            raise ValueError(f"page_size must be an int >= 1 or None, got {page_size!r}")
        self._client = client
        self._id = id
        self._run_id = run_id
        self._page_size = page_size
        self._next_event_id = decode_token(next_page_token)
        self._wait = bool(wait_new_event)
        self._filter = WorkflowHistoryEventFilterType(event_filter_type)
        self._rpc = (rpc_metadata, rpc_timeout)
        _rpc_options._check(rpc_metadata, rpc_timeout)
        self._next_page_token: bytes | None = next_page_token
        self._current_page: Sequence[history_pb2.HistoryEvent] | None = None
        self._current_page_index = 0
        self._closed = False  # the close event was returned: nothing comes after it
        self._resp_run_id = ""  # the run the engine answered for (the latest when run_id None)

    @property
    def current_page_index(self) -> int:
        """Index in :attr:`current_page` of the event the next ``__anext__`` returns."""
        return self._current_page_index

    @property
    def current_page(self) -> Sequence[history_pb2.HistoryEvent] | None:
        """The page fetched last, if any."""
        return self._current_page

    @property
    def next_page_token(self) -> bytes | None:
        """Token of the next page (None: no more pages)."""
        return self._next_page_token

    async def fetch_next_page(self, *, page_size: int | None = None) -> None:
        """Fetch the next page (``page_size`` overrides the iterator's for this page)."""
        size = page_size or self._page_size
        close_only = self._filter == WorkflowHistoryEventFilterType.CLOSE_EVENT
        req = service_pb2.GetWorkflowExecutionHistoryRequest(
            execution=common_pb2.WorkflowExecution(workflow_id=self._id,
                                                   run_id=self._run_id or ""),
            from_event_id=self._next_event_id, wait_new_event=self._wait,
            close_event_only=close_only and self._wait)
        with _rpc_options.rpc_options(*self._rpc):
            resp = await self._client.transport.call_async(
                "get_workflow_execution_history", req, long_poll=self._wait)
        self._resp_run_id = resp.run_id or self._resp_run_id
        events = [e for e in resp.history.events if e.event_id >= self._next_event_id]
        if close_only:
            events = [e for e in events if is_close_event(e)]
        if size is not None:
            events = events[:size]
        if events:
            self._next_event_id = events[-1].event_id + 1
            self._closed = is_close_event(events[-1])
        more = not self._closed and (self._wait or (size is not None and len(events) == size))
        self._next_page_token = encode_token(self._next_event_id) if more else None
        self._current_page = events
        self._current_page_index = 0

    def __aiter__(self) -> WorkflowHistoryEventAsyncIterator:
        return self

    async def __anext__(self) -> history_pb2.HistoryEvent:
        while True:
            if self._current_page is not None and self._current_page_index < len(
                    self._current_page):
                event = self._current_page[self._current_page_index]
                self._current_page_index += 1
                return event
            if self._current_page is not None and not self._next_page_token:
                raise StopAsyncIteration
            await self.fetch_next_page()


