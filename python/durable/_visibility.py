"""Listing and counting workflows (re-exported by ``durable.client``; names as temporalio's).

``Client.list_workflows(query)`` returns a :class:`WorkflowExecutionAsyncIterator` that fetches
pages of ``ListWorkflowExecutions`` lazily; ``Client.count_workflows(query)`` returns a
:class:`WorkflowExecutionCount`. The query language is Temporal's list filter
(docs/visibility.md); the engine answers from its visibility indexes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from durable import _rpc_options
from durable._history_events import WorkflowHistoryEventFilterType
from durable._description import WorkflowExecutionStatus
from durable._search_attributes import TypedSearchAttributes, _from_value
from durable.v1 import service_pb2

if TYPE_CHECKING:
    from durable.client import Client

__all__ = [
    "WorkflowExecution",
    "WorkflowExecutionAsyncIterator",
    "WorkflowExecutionCount",
    "WorkflowExecutionCountAggregationGroup",
]


@dataclass(frozen=True)
class WorkflowExecution:
    """One run, as listed by :meth:`durable.client.Client.list_workflows` (temporalio's fields,
    in its order)."""

    close_time: datetime | None
    execution_time: datetime | None
    history_length: int  # 0 while running (the record is written at start and close)
    id: str
    namespace: str
    parent_id: str | None
    parent_run_id: str | None
    root_id: str | None  # the root of its parent chain (itself for a root workflow)
    root_run_id: str | None
    raw_info: service_pb2.WorkflowExecutionInfo
    run_id: str
    search_attributes: Mapping[str, Sequence[Any]]  # deprecated untyped form, as temporalio
    start_time: datetime
    status: WorkflowExecutionStatus | None
    task_queue: str
    typed_search_attributes: TypedSearchAttributes
    workflow_type: str
    # the converter of this workflow's serialization context, for memo()
    _context_free_data_converter: Any = field(default=None, repr=False, compare=False)

    @property
    def data_converter(self) -> Any:
        """The data converter memo() decodes with."""
        return self._context_free_data_converter

    async def memo(self) -> Mapping[str, Any]:
        """The memo, decoded with the client's data converter."""
        out: dict[str, Any] = {}
        for k, p in self.raw_info.memo.items():
            (out[k],) = await self.data_converter.decode([p])
        return out

    async def memo_value(self, key: str, default: Any = KeyError, *,
                         type_hint: Any = None) -> Any:
        """One memo value, decoded (``type_hint`` as the target type).

        Raises:
            KeyError: No such key and no default.
        """
        p = self.raw_info.memo.get(key)
        if p is None:
            if default is KeyError:
                raise KeyError(f"memo has no key {key!r}")
            return default
        (value,) = await self.data_converter.decode([p], [type_hint] if type_hint else None)
        return value

    @staticmethod
    def _from_proto(info: service_pb2.WorkflowExecutionInfo, data_converter: Any,
                    namespace: str = "default") -> WorkflowExecution:
        from durable._search_attributes import decode_search_attributes
        from durable.common import us_to_datetime

        def when(us: int) -> datetime | None:
            return us_to_datetime(us) if us else None

        return WorkflowExecution(
            close_time=when(info.close_time_us),
            execution_time=when(info.execution_time_us),
            history_length=info.history_length,
            id=info.execution.workflow_id,
            namespace=namespace,
            parent_id=info.parent.workflow_id or None,
            parent_run_id=info.parent.run_id or None,
            root_id=info.root_execution.workflow_id or None,
            root_run_id=info.root_execution.run_id or None,
            raw_info=info,
            run_id=info.execution.run_id,
            search_attributes=decode_search_attributes(info.search_attributes),
            start_time=us_to_datetime(info.start_time_us),
            status=WorkflowExecutionStatus(info.status) if info.status else None,
            task_queue=info.task_queue,
            typed_search_attributes=TypedSearchAttributes._from_proto(info.search_attributes),
            workflow_type=info.workflow_type,
            _context_free_data_converter=data_converter,
        )


class WorkflowExecutionAsyncIterator(AsyncIterator[WorkflowExecution]):
    """Pages through ``ListWorkflowExecutions``; ``async for wf in client.list_workflows(q)``
    (built by ``Client.list_workflows``; its constructor is internal)."""

    def __init__(self, client: Client, query: str, *, page_size: int, limit: int | None,
                 next_page_token: bytes | None, rpc: tuple[Any, Any] = ({}, None)) -> None:
        self._client = client
        self._rpc = rpc  # (rpc_metadata, rpc_timeout) of each call
        self._query = query
        self._page_size = page_size
        self._limit = limit
        self._yielded = 0
        self._index = 0
        self._done = False
        self._current_page: list[WorkflowExecution] | None = None
        self._next_page_token: bytes | None = next_page_token

    @property
    def current_page(self) -> list[WorkflowExecution] | None:
        """The executions of the page being iterated (None before the first)."""
        return self._current_page

    @property
    def current_page_index(self) -> int:
        """Index in :attr:`current_page` of the execution the next ``__anext__`` returns."""
        return self._index

    @property
    def next_page_token(self) -> bytes | None:
        """Token of the page after the current one (None at the end)."""
        return self._next_page_token

    async def fetch_next_page(self, *, page_size: int | None = None) -> None:
        """Fetch the next page into ``current_page`` (empty at the end)."""
        req = service_pb2.ListWorkflowExecutionsRequest(
            query=self._query, page_size=page_size or self._page_size,
            next_page_token=self._next_page_token or b"", namespace=self._client.namespace)
        with _rpc_options.rpc_options(*self._rpc):
            resp = await self._client.transport.call_async("list_workflow_executions", req)
        # Each memo is decoded in its workflow's serialization context, as temporalio.
        self._current_page = [
            WorkflowExecution._from_proto(i, self._client._workflow_dc(i.execution.workflow_id),
                                          self._client.namespace)
            for i in resp.executions]
        self._index = 0
        self._next_page_token = resp.next_page_token or None

    async def map_histories(
        self, *,
        event_filter_type: WorkflowHistoryEventFilterType = WorkflowHistoryEventFilterType.ALL_EVENT,
        skip_archival: bool = False,
        rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
        rpc_timeout: timedelta | None = None,
    ) -> AsyncIterator[Any]:
        """The history of each listed run (``WorkflowHandle.fetch_history`` on each, same
        options), e.g. for ``Replayer.workflow_replay_iterator``."""
        async for wf in self:
            yield await self._client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history(
                event_filter_type=event_filter_type,
                skip_archival=skip_archival, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)

    def __aiter__(self) -> WorkflowExecutionAsyncIterator:
        return self

    async def __anext__(self) -> WorkflowExecution:
        if self._limit is not None and self._yielded >= self._limit:
            raise StopAsyncIteration
        while self._current_page is None or self._index >= len(self._current_page):
            if self._done or (self._current_page is not None and self._next_page_token is None):
                raise StopAsyncIteration
            await self.fetch_next_page()
            if self._next_page_token is None:
                self._done = not self._current_page
        wf = self._current_page[self._index]
        self._index += 1
        self._yielded += 1
        return wf


@dataclass(frozen=True)
class WorkflowExecutionCountAggregationGroup:
    """One GROUP BY bucket: its values (e.g. ``["Running"]``) and count."""

    count: int
    group_values: Sequence[Any]


@dataclass(frozen=True)
class WorkflowExecutionCount:
    """What :meth:`durable.client.Client.count_workflows` returns."""

    count: int
    groups: Sequence[WorkflowExecutionCountAggregationGroup]

    @staticmethod
    def _from_proto(resp: service_pb2.CountWorkflowExecutionsResponse) -> WorkflowExecutionCount:
        return WorkflowExecutionCount(
            count=resp.count,
            groups=[WorkflowExecutionCountAggregationGroup(
                count=g.count, group_values=[_from_value(v) for v in g.group_values])
                for g in resp.groups])
