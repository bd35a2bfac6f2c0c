"""Schedules (re-exported by ``durable.client``; names and shapes as ``temporalio.client``).

    await client.create_schedule("clean", Schedule(
        action=ScheduleActionStartWorkflow(FsClean.run, id="clean", task_queue="lcm"),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=1))])))
    handle = client.get_schedule_handle("clean")
    await handle.pause(note="maintenance"); await handle.trigger(); await handle.describe()

The engine drives schedules with durable timers (cpp/core/src/engine/schedules.cc); the spec
math is in cpp/core/src/schedules/. See docs/schedules.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from durable._description import WorkflowExecutionStatus
from durable._search_attributes import TypedSearchAttributes
from durable.exceptions import AlreadyExistsError
from durable.v1 import common_pb2, schedule_pb2

if TYPE_CHECKING:
    from durable.client import Client

__all__ = [
    "Schedule",
    "ScheduleAction",
    "ScheduleActionExecution",
    "ScheduleActionExecutionStartWorkflow",
    "ScheduleActionResult",
    "ScheduleActionStartWorkflow",
    "ScheduleAlreadyRunningError",
    "ScheduleAsyncIterator",
    "ScheduleBackfill",
    "ScheduleCalendarSpec",
    "ScheduleDescription",
    "ScheduleHandle",
    "ScheduleInfo",
    "ScheduleIntervalSpec",
    "ScheduleListDescription",
    "ScheduleOverlapPolicy",
    "SchedulePolicy",
    "ScheduleRange",
    "ScheduleSpec",
    "ScheduleState",
    "ScheduleUpdate",
    "ScheduleUpdateInput",
]


def _us(td: timedelta | None) -> int:
    from durable.common import timedelta_to_us

    return timedelta_to_us(td)


def _dt_us(dt: datetime | None) -> int:
    if dt is None:
        return 0
    from durable.common import datetime_to_us

    return datetime_to_us(dt)


def _when(us: int) -> datetime | None:
    from durable.common import us_to_datetime

    return us_to_datetime(us) if us else None


class ScheduleOverlapPolicy(IntEnum):
    """What to do when an action is due while the schedule's previous run still runs."""

    SKIP = 1
    """Do not start it."""
    BUFFER_ONE = 2
    """Start it when the running one closes; at most one waits (later ones are skipped)."""
    BUFFER_ALL = 3
    """Start every one, one after another, as the running ones close."""
    CANCEL_OTHER = 4
    """Request cancellation of the running one; start this one when it has closed."""
    TERMINATE_OTHER = 5
    """Terminate the running one and start this one at once."""
    ALLOW_ALL = 6
    """Start it at once, whatever runs."""


@dataclass(frozen=True)
class ScheduleRange:
    """``start`` to ``end`` inclusive (``end`` 0: only ``start``), every ``step`` (0: 1)."""

    start: int
    end: int = 0
    step: int = 0

    def _to_proto(self) -> schedule_pb2.ScheduleRange:
        return schedule_pb2.ScheduleRange(start=self.start, end=self.end, step=self.step)

    @staticmethod
    def _from_proto(p: schedule_pb2.ScheduleRange) -> ScheduleRange:
        return ScheduleRange(p.start, p.end, p.step)


@dataclass(frozen=True)
class ScheduleCalendarSpec:
    """Times whose fields all match, in the spec's time zone (defaults: 00:00:00 every day)."""

    second: Sequence[ScheduleRange] = (ScheduleRange(0),)
    minute: Sequence[ScheduleRange] = (ScheduleRange(0),)
    hour: Sequence[ScheduleRange] = (ScheduleRange(0),)
    day_of_month: Sequence[ScheduleRange] = (ScheduleRange(1, 31),)
    month: Sequence[ScheduleRange] = (ScheduleRange(1, 12),)
    year: Sequence[ScheduleRange] = ()
    day_of_week: Sequence[ScheduleRange] = (ScheduleRange(0, 6),)
    comment: str | None = None

    def _to_proto(self) -> schedule_pb2.ScheduleCalendarSpec:
        p = schedule_pb2.ScheduleCalendarSpec(comment=self.comment or "")
        for name in ("second", "minute", "hour", "day_of_month", "month", "year", "day_of_week"):
            getattr(p, name).extend(r._to_proto() for r in getattr(self, name))
        return p

    @staticmethod
    def _from_proto(p: schedule_pb2.ScheduleCalendarSpec) -> ScheduleCalendarSpec:
        def ranges(name: str) -> tuple[ScheduleRange, ...]:
            return tuple(ScheduleRange._from_proto(r) for r in getattr(p, name))

        return ScheduleCalendarSpec(
            second=ranges("second"), minute=ranges("minute"), hour=ranges("hour"),
            day_of_month=ranges("day_of_month"), month=ranges("month"), year=ranges("year"),
            day_of_week=ranges("day_of_week"), comment=p.comment or None)


@dataclass(frozen=True)
class ScheduleIntervalSpec:
    """Every ``every`` since the Unix epoch (UTC), shifted by ``offset``."""

    every: timedelta
    offset: timedelta | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    """When a schedule acts: the union of its calendars, intervals and cron strings, minus
    ``skip``, between ``start_at`` and ``end_at``, each action delayed by up to ``jitter``."""

    calendars: Sequence[ScheduleCalendarSpec] = ()
    intervals: Sequence[ScheduleIntervalSpec] = ()
    cron_expressions: Sequence[str] = ()
    skip: Sequence[ScheduleCalendarSpec] = ()
    start_at: datetime | None = None
    end_at: datetime | None = None
    jitter: timedelta | None = None
    time_zone_name: str | None = None

    def _to_proto(self) -> schedule_pb2.ScheduleSpec:
        p = schedule_pb2.ScheduleSpec(
            cron_expressions=list(self.cron_expressions), start_at_us=_dt_us(self.start_at),
            end_at_us=_dt_us(self.end_at), jitter_us=_us(self.jitter),
            time_zone_name=self.time_zone_name or "")
        p.calendars.extend(c._to_proto() for c in self.calendars)
        p.skip.extend(c._to_proto() for c in self.skip)
        p.intervals.extend(schedule_pb2.ScheduleIntervalSpec(every_us=_us(i.every),
                                                              offset_us=_us(i.offset))
                           for i in self.intervals)
        return p

    @staticmethod
    def _from_proto(p: schedule_pb2.ScheduleSpec) -> ScheduleSpec:
        from durable.common import us_to_optional_timedelta, us_to_timedelta

        return ScheduleSpec(
            calendars=[ScheduleCalendarSpec._from_proto(c) for c in p.calendars],
            intervals=[ScheduleIntervalSpec(us_to_timedelta(i.every_us),
                                            us_to_optional_timedelta(i.offset_us))
                       for i in p.intervals],
            cron_expressions=list(p.cron_expressions),
            skip=[ScheduleCalendarSpec._from_proto(c) for c in p.skip],
            start_at=_when(p.start_at_us), end_at=_when(p.end_at_us),
            jitter=us_to_optional_timedelta(p.jitter_us), time_zone_name=p.time_zone_name or None)


class ScheduleAction:
    """Base class of a schedule's actions (durable has one: ScheduleActionStartWorkflow)."""


class ScheduleActionExecution:
    """Base class of what an action did (ScheduleActionExecutionStartWorkflow)."""


class ScheduleAlreadyRunningError(AlreadyExistsError):
    """``create_schedule`` with the id of an existing schedule (as temporalio; also an
    ``AlreadyExistsError``)."""

    def __init__(self, message: str = "Schedule already running") -> None:
        super().__init__(message)


class ScheduleActionStartWorkflow(ScheduleAction):
    """Start a workflow: ``ScheduleActionStartWorkflow(MyWorkflow.run, arg, id=..., task_queue=...)``.

    Each run is named ``<id>-<UTC time>`` (``clean-2026-12-02T09:30:00Z``) and carries the
    search attributes ``TemporalScheduledById`` (the schedule id) and
    ``TemporalScheduledStartTime``.
    """

    def __init__(self, workflow: Any, *args: Any, id: str, task_queue: str,
                 execution_timeout: timedelta | None = None,
                 run_timeout: timedelta | None = None,
                 task_timeout: timedelta | None = None,
                 retry_policy: Any = None,
                 memo: Mapping[str, Any] | None = None,
                 typed_search_attributes: TypedSearchAttributes | None = None) -> None:
        from durable.workflow import _workflow_name_and_result_type

        self.workflow = workflow if isinstance(workflow, str) else \
            _workflow_name_and_result_type(workflow)[0]
        self.args = list(args)
        if not isinstance(id, str) or not id:
            raise ValueError(f"id must be a non-empty string, got {id!r}")
        if not isinstance(task_queue, str) or not task_queue:
            raise ValueError(f"task_queue must be a non-empty string, got {task_queue!r}")
        self.id = id
        self.task_queue = task_queue
        self.execution_timeout = execution_timeout
        self.run_timeout = run_timeout
        self.task_timeout = task_timeout
        self.retry_policy = retry_policy
        self.memo = dict(memo or {})
        self.typed_search_attributes = typed_search_attributes or TypedSearchAttributes.empty
        self._raw: schedule_pb2.ScheduleActionStartWorkflow | None = None

    async def _to_proto(self, data_converter: Any) -> schedule_pb2.ScheduleActionStartWorkflow:
        p = schedule_pb2.ScheduleActionStartWorkflow(
            workflow_id=self.id, workflow_type=self.workflow, task_queue=self.task_queue,
            execution_timeout_us=_us(self.execution_timeout), run_timeout_us=_us(self.run_timeout),
            task_timeout_us=_us(self.task_timeout))
        if self._raw is not None and not self.args:
            p.input.CopyFrom(self._raw.input)
        else:
            p.input.CopyFrom(common_pb2.Payloads(payloads=await data_converter.encode(self.args)))
        if self.retry_policy is not None:
            p.retry_policy.CopyFrom(self.retry_policy.to_proto())
        for k, v in self.memo.items():
            if isinstance(v, common_pb2.Payload):
                p.memo[k].CopyFrom(v)
            else:
                (pl,) = await data_converter.encode([v])
                p.memo[k].CopyFrom(pl)
        p.search_attributes.CopyFrom(self.typed_search_attributes._to_proto())
        return p

    @staticmethod
    def _from_proto(p: schedule_pb2.ScheduleActionStartWorkflow) -> ScheduleActionStartWorkflow:
        from durable.common import RetryPolicy, us_to_optional_timedelta

        a = ScheduleActionStartWorkflow(
            p.workflow_type, id=p.workflow_id, task_queue=p.task_queue,
            execution_timeout=us_to_optional_timedelta(p.execution_timeout_us),
            run_timeout=us_to_optional_timedelta(p.run_timeout_us),
            task_timeout=us_to_optional_timedelta(p.task_timeout_us),
            retry_policy=RetryPolicy.from_proto(p.retry_policy)
            if p.HasField("retry_policy") else None,
            memo=dict(p.memo),
            typed_search_attributes=TypedSearchAttributes._from_proto(p.search_attributes))
        a._raw = p  # arguments stay encoded (kept as they are by an update)
        return a

    def __repr__(self) -> str:
        return (f"ScheduleActionStartWorkflow({self.workflow!r}, id={self.id!r}, "
                f"task_queue={self.task_queue!r})")


@dataclass(frozen=True)
class SchedulePolicy:
    overlap: ScheduleOverlapPolicy = ScheduleOverlapPolicy.SKIP
    catchup_window: timedelta = timedelta(days=365)
    """Actions missed (engine down, ...) by more than this are not taken."""
    pause_on_failure: bool = False
    """Pause the schedule when a run it started fails or times out."""


@dataclass(frozen=True)
class ScheduleState:
    note: str | None = None
    paused: bool = False
    limited_actions: bool = False
    """With ``remaining_actions``: act at most that many more times."""
    remaining_actions: int = 0


@dataclass
class Schedule:
    action: ScheduleActionStartWorkflow
    spec: ScheduleSpec
    policy: SchedulePolicy = field(default_factory=SchedulePolicy)
    state: ScheduleState = field(default_factory=ScheduleState)

    async def _to_proto(self, data_converter: Any) -> schedule_pb2.Schedule:
        if not isinstance(self.action, ScheduleActionStartWorkflow):
            raise TypeError("Schedule.action must be a ScheduleActionStartWorkflow")
        p = schedule_pb2.Schedule(spec=self.spec._to_proto())
        p.action.start_workflow.CopyFrom(await self.action._to_proto(data_converter))
        p.policy.CopyFrom(schedule_pb2.SchedulePolicy(
            overlap=int(self.policy.overlap), catchup_window_us=_us(self.policy.catchup_window),
            pause_on_failure=self.policy.pause_on_failure))
        p.state.CopyFrom(schedule_pb2.ScheduleState(
            note=self.state.note or "", paused=self.state.paused,
            limited_actions=self.state.limited_actions,
            remaining_actions=self.state.remaining_actions))
        return p

    @staticmethod
    def _from_proto(p: schedule_pb2.Schedule) -> Schedule:
        from durable.common import us_to_timedelta

        return Schedule(
            action=ScheduleActionStartWorkflow._from_proto(p.action.start_workflow),
            spec=ScheduleSpec._from_proto(p.spec),
            policy=SchedulePolicy(
                overlap=ScheduleOverlapPolicy(p.policy.overlap or 1),
                catchup_window=us_to_timedelta(p.policy.catchup_window_us)
                if p.policy.catchup_window_us else timedelta(days=365),
                pause_on_failure=p.policy.pause_on_failure),
            state=ScheduleState(note=p.state.note or None, paused=p.state.paused,
                                limited_actions=p.state.limited_actions,
                                remaining_actions=p.state.remaining_actions))


@dataclass(frozen=True)
class ScheduleBackfill:
    """Take the actions of ``start_at`` (inclusive) to ``end_at`` (exclusive) now."""

    start_at: datetime
    end_at: datetime
    overlap: ScheduleOverlapPolicy | None = None


@dataclass(frozen=True)
class ScheduleActionExecutionStartWorkflow(ScheduleActionExecution):
    """A run a schedule started. ``status`` (last known) is durable's addition."""

    workflow_id: str
    first_execution_run_id: str
    status: WorkflowExecutionStatus | None = None


@dataclass(frozen=True)
class ScheduleActionResult:
    scheduled_at: datetime
    started_at: datetime
    action: ScheduleActionExecutionStartWorkflow


@dataclass(frozen=True)
class ScheduleInfo:
    num_actions: int
    num_actions_missed_catchup_window: int
    num_actions_skipped_overlap: int
    running_actions: Sequence[ScheduleActionExecutionStartWorkflow]
    recent_actions: Sequence[ScheduleActionResult]
    next_action_times: Sequence[datetime]
    created_at: datetime
    last_updated_at: datetime | None
    num_buffered_actions: int = 0

    @staticmethod
    def _from_proto(p: schedule_pb2.ScheduleInfo) -> ScheduleInfo:
        from durable.common import us_to_datetime

        def ex(e: Any, status: int = 0) -> ScheduleActionExecutionStartWorkflow:
            return ScheduleActionExecutionStartWorkflow(
                e.workflow_id, e.run_id, WorkflowExecutionStatus(status) if status else None)

        return ScheduleInfo(
            num_actions=p.num_actions,
            num_actions_missed_catchup_window=p.num_actions_missed_catchup_window,
            num_actions_skipped_overlap=p.num_actions_skipped_overlap,
            running_actions=[ex(e, 1) for e in p.running_workflows],
            recent_actions=[ScheduleActionResult(
                scheduled_at=us_to_datetime(a.schedule_time_us),
                started_at=us_to_datetime(a.actual_time_us),
                action=ex(a.start_workflow_result, a.status)) for a in p.recent_actions],
            next_action_times=[us_to_datetime(t) for t in p.future_action_times_us],
            created_at=us_to_datetime(p.create_time_us),
            last_updated_at=_when(p.update_time_us),
            num_buffered_actions=p.num_buffered_actions)


_UNSET: Any = object()


class _ScheduleMemo:
    """``memo()`` / ``memo_value()`` of a described or listed schedule, as temporalio's."""

    memo_payloads: Mapping[str, common_pb2.Payload]
    data_converter: Any

    async def memo(self) -> Mapping[str, Any]:
        """The memo's values, decoded without type hints."""
        from durable.converter import DataConverter

        dc = self.data_converter or DataConverter.default
        return {k: (await dc.decode([v]))[0] for k, v in self.memo_payloads.items()}

    async def memo_value(self, key: str, default: Any = _UNSET, *,
                         type_hint: Any = None) -> Any:
        """One memo value, decoded with ``type_hint``; ``default`` (else KeyError) when the
        key is absent."""
        from durable.converter import DataConverter

        p = self.memo_payloads.get(key)
        if p is None:
            if default is _UNSET:
                raise KeyError(f"Memo does not have a value for key {key}")
            return default
        dc = self.data_converter or DataConverter.default
        return (await dc.decode([p], [type_hint] if type_hint is not None else None))[0]


@dataclass(frozen=True)
class ScheduleDescription(_ScheduleMemo):
    """What :meth:`ScheduleHandle.describe` returns."""

    id: str
    schedule: Schedule
    info: ScheduleInfo
    raw_description: schedule_pb2.DescribeScheduleResponse
    memo_payloads: Mapping[str, common_pb2.Payload] = field(default_factory=dict)
    data_converter: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class ScheduleListDescription(_ScheduleMemo):
    """One schedule of :meth:`durable.client.Client.list_schedules`."""

    id: str
    schedule: Schedule
    info: ScheduleInfo
    memo_payloads: Mapping[str, common_pb2.Payload] = field(default_factory=dict)
    data_converter: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class ScheduleUpdateInput:
    description: ScheduleDescription


@dataclass(frozen=True)
class ScheduleUpdate:
    """What an updater of :meth:`ScheduleHandle.update` returns. ``search_attributes`` must
    stay None (durable schedules have none: ValueError)."""

    schedule: Schedule
    search_attributes: Any = None


_NO_METADATA: Mapping[str, str | bytes] = {}


class ScheduleHandle:
    """A handle to a schedule (no call is made until a method is). Each method goes through
    the client's interceptors (``OutboundInterceptor.describe_schedule``, ...) and takes
    ``rpc_metadata`` / ``rpc_timeout`` as every client call does (embedded engine: ignored)."""

    def __init__(self, client: Client, id: str) -> None:
        self._client = client
        self.id = id

    async def _call(self, rpc: str, req: Any) -> Any:
        return await self._client.transport.call_async(rpc, req)

    async def describe(self, *, rpc_metadata: Mapping[str, str | bytes] = _NO_METADATA,
                       rpc_timeout: timedelta | None = None) -> ScheduleDescription:
        """The schedule, its recent actions (with their runs' status) and next action times.

        Raises:
            durable.exceptions.NotFoundError: No such schedule.
        """
        from durable._client_interceptor import DescribeScheduleInput

        return await self._client._outbound.describe_schedule(DescribeScheduleInput(
            id=self.id, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout))

    async def _describe(self) -> ScheduleDescription:
        resp = await self._call("describe_schedule", schedule_pb2.DescribeScheduleRequest(
            schedule_id=self.id, namespace=self._client.namespace))
        return ScheduleDescription(id=self.id, schedule=Schedule._from_proto(resp.schedule),
                                   info=ScheduleInfo._from_proto(resp.info),
                                   raw_description=resp, memo_payloads=dict(resp.memo),
                                   data_converter=self._client.data_converter)

    async def _patch(self, **kwargs: Any) -> None:
        await self._call("patch_schedule", schedule_pb2.PatchScheduleRequest(
            schedule_id=self.id, namespace=self._client.namespace, **kwargs))

    async def pause(self, *, note: str | None = None,
                    rpc_metadata: Mapping[str, str | bytes] = _NO_METADATA,
                    rpc_timeout: timedelta | None = None) -> None:
        """Pause the schedule (no actions until unpaused); ``note`` says why."""
        from durable._client_interceptor import PauseScheduleInput

        await self._client._outbound.pause_schedule(PauseScheduleInput(
            id=self.id, note=note, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout))

    async def unpause(self, *, note: str | None = None,
                      rpc_metadata: Mapping[str, str | bytes] = _NO_METADATA,
                      rpc_timeout: timedelta | None = None) -> None:
        """Unpause the schedule."""
        from durable._client_interceptor import UnpauseScheduleInput

        await self._client._outbound.unpause_schedule(UnpauseScheduleInput(
            id=self.id, note=note, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout))

    async def trigger(self, *, overlap: ScheduleOverlapPolicy | None = None,
                      rpc_metadata: Mapping[str, str | bytes] = _NO_METADATA,
                      rpc_timeout: timedelta | None = None) -> None:
        """Take the action now (the overlap policy applies: the schedule's, or ``overlap``)."""
        from durable._client_interceptor import TriggerScheduleInput

        await self._client._outbound.trigger_schedule(TriggerScheduleInput(
            id=self.id, overlap=overlap, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout))

    async def backfill(self, *backfill: ScheduleBackfill,
                       rpc_metadata: Mapping[str, str | bytes] = _NO_METADATA,
                       rpc_timeout: timedelta | None = None) -> None:
        """Take now the actions of past (or future) periods, as if they had been due."""
        if not backfill:
            raise ValueError("backfill needs at least one ScheduleBackfill")
        from durable._client_interceptor import BackfillScheduleInput

        await self._client._outbound.backfill_schedule(BackfillScheduleInput(
            id=self.id, backfills=list(backfill), rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout))

    async def _backfill(self, backfill: Sequence[ScheduleBackfill]) -> None:
        await self._patch(backfill=[schedule_pb2.ScheduleBackfill(
            start_time_us=_dt_us(b.start_at), end_time_us=_dt_us(b.end_at),
            overlap=int(b.overlap or 0)) for b in backfill])

    async def update(self, updater: Callable[[ScheduleUpdateInput], Any], *,
                     rpc_metadata: Mapping[str, str | bytes] = _NO_METADATA,
                     rpc_timeout: timedelta | None = None) -> None:
        """Replace the schedule by what ``updater(ScheduleUpdateInput(description))`` returns
        (a ``ScheduleUpdate``; None leaves it as it is). May be async."""
        from durable._client_interceptor import UpdateScheduleInput

        await self._client._outbound.update_schedule(UpdateScheduleInput(
            id=self.id, updater=updater, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout))

    async def _update(self, updater: Callable[[ScheduleUpdateInput], Any]) -> None:
        import inspect

        desc = await self._describe()
        out = updater(ScheduleUpdateInput(desc))
        if inspect.isawaitable(out):
            out = await out
        if out is None:
            return
        if getattr(out, "search_attributes", None) is not None:
            raise ValueError(f"schedule '{self.id}': ScheduleUpdate.search_attributes is not "
                             "supported (durable schedules have no search attributes)")
        await self._call("update_schedule", schedule_pb2.UpdateScheduleRequest(
            schedule_id=self.id, namespace=self._client.namespace,
            schedule=await out.schedule._to_proto(_action_dc(self._client, out.schedule))))

    async def delete(self, *, rpc_metadata: Mapping[str, str | bytes] = _NO_METADATA,
                     rpc_timeout: timedelta | None = None) -> None:
        """Delete the schedule (runs it started go on)."""
        from durable._client_interceptor import DeleteScheduleInput

        await self._client._outbound.delete_schedule(DeleteScheduleInput(
            id=self.id, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout))

    async def _delete(self) -> None:
        await self._call("delete_schedule", schedule_pb2.DeleteScheduleRequest(
            schedule_id=self.id, namespace=self._client.namespace))


def _action_dc(client: Client, schedule: Any) -> Any:
    """The data converter for a schedule's start-workflow action: the workflow context of
    the configured workflow id (as temporalio: the id the runs' ids are made from)."""
    return client._workflow_dc(getattr(schedule.action, "id", "") or "")


async def create_schedule(client: Client, input: Any) -> ScheduleHandle:
    """The create itself (a ``CreateScheduleInput``), at the end of the interceptor chain."""
    if input.search_attributes is not None:
        raise ValueError(f"schedule '{input.id}': search_attributes is not supported (durable "
                         "schedules have no search attributes; the started workflows may)")
    req = schedule_pb2.CreateScheduleRequest(
        schedule_id=input.id, namespace=client.namespace, identity=client.identity,
        schedule=await input.schedule._to_proto(_action_dc(client, input.schedule)),
        trigger_immediately=input.trigger_immediately,
        backfill=[schedule_pb2.ScheduleBackfill(start_time_us=_dt_us(b.start_at),
                                                end_time_us=_dt_us(b.end_at),
                                                overlap=int(b.overlap or 0))
                  for b in input.backfill])
    for k, v in (input.memo or {}).items():
        (p,) = await client.data_converter.encode([v])
        req.memo[k].CopyFrom(p)
    try:
        await client.transport.call_async("create_schedule", req)
    except AlreadyExistsError as e:
        raise ScheduleAlreadyRunningError(str(e)) from e
    return ScheduleHandle(client, input.id)


class ScheduleAsyncIterator:
    """The schedules of the namespace, by id, fetched a page at a time (as temporalio's;
    ``await client.list_schedules()`` also gives this iterator, as temporalio's
    ``list_schedules`` is a coroutine)."""

    def __init__(self, client: Client, input: Any) -> None:
        if input.query:
            raise ValueError("list_schedules(query=...) is not supported: durable lists every "
                             "schedule of the namespace (filter the results)")
        self._client = client
        self._input = input
        self._next_page_token: bytes | None = input.next_page_token
        self._current_page: list[ScheduleListDescription] | None = None
        self._current_page_index = 0

    @property
    def current_page_index(self) -> int:
        """Index of the next entry of :attr:`current_page`."""
        return self._current_page_index

    @property
    def current_page(self) -> Sequence[ScheduleListDescription] | None:
        """The page fetched last (None before the first fetch)."""
        return self._current_page

    @property
    def next_page_token(self) -> bytes | None:
        """Token of the next page (None: no more)."""
        return self._next_page_token

    async def fetch_next_page(self, *, page_size: int | None = None) -> None:
        """Fetch the next page into :attr:`current_page`."""
        from durable._rpc_options import rpc_options

        with rpc_options(self._input.rpc_metadata, self._input.rpc_timeout):
            resp = await self._client.transport.call_async(
                "list_schedules", schedule_pb2.ListSchedulesRequest(
                    namespace=self._client.namespace,
                    page_size=page_size or self._input.page_size,
                    next_page_token=self._next_page_token or b""))
        dc = self._client.data_converter
        self._current_page = [ScheduleListDescription(
            id=e.schedule_id, schedule=Schedule._from_proto(e.schedule),
            info=ScheduleInfo._from_proto(e.info), memo_payloads=dict(e.memo),
            data_converter=dc) for e in resp.schedules]
        self._current_page_index = 0
        self._next_page_token = resp.next_page_token or None

    def __await__(self) -> Any:
        async def itself() -> ScheduleAsyncIterator:
            return self
        return itself().__await__()

    def __aiter__(self) -> ScheduleAsyncIterator:
        return self

    async def __anext__(self) -> ScheduleListDescription:
        while True:
            if self._current_page is None:
                await self.fetch_next_page()
                continue
            if self._current_page_index >= len(self._current_page):
                if self._next_page_token is not None:
                    await self.fetch_next_page()
                    continue
                raise StopAsyncIteration
            out = self._current_page[self._current_page_index]
            self._current_page_index += 1
            return out
