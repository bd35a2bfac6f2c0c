"""Workflow definitions and the calls workflow code makes (mirrors ``temporalio.workflow``).

A workflow is a class decorated with :func:`defn` with one ``async`` method decorated with
:func:`run`. Its code runs inside a deterministic event loop driven by the workflow's
history (``durable.worker._workflow_instance``): ``asyncio.sleep`` is a durable timer,
:func:`now` is the time of the workflow task, :func:`random` and :func:`uuid4` draw from a
seed recorded with the run. Everything with a side effect belongs in an activity, called
with :func:`execute_activity` / :func:`start_activity`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random as _random_module
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, overload

from durable import _task_compat, _workflow_guard
from durable._metrics import MetricMeter
from durable._workflow_asyncio import as_completed, wait
from durable._workflow_event_groups import EventGroup, create_event_group
from durable._workflow_event_groups import applied as _event_groups_applied
from durable._workflow_configs import ActivityConfig, ChildWorkflowConfig, LocalActivityConfig
from durable._search_attributes import SearchAttributeUpdate, TypedSearchAttributes

_workflow_guard.install()  # non-deterministic calls raise inside workflow code (see there)

if TYPE_CHECKING:
    from durable.common import RetryPolicy, WorkflowIdReusePolicy

__all__ = [
    "ActivityConfig",
    "EventGroup",
    "create_event_group",
    "ChildWorkflowConfig",
    "DynamicWorkflowConfig",
    "dynamic_config",
    "LocalActivityConfig",
    "HandlerUnfinishedPolicy",
    "UnfinishedSignalHandlersWarning",
    "UnfinishedUpdateHandlersWarning",
    "UpdateInfo",
    "all_handlers_finished",
    "as_completed",
    "current_update_info",
    "init",
    "instance",
    "memo",
    "memo_value",
    "metric_meter",
    "time_ns",
    "uuid7",
    "cancellation_reason",
    "get_current_details",
    "get_last_completion_result",
    "get_last_failure",
    "has_last_completion_result",
    "is_failure_exception",
    "new_random",
    "random_seed",
    "register_random_seed_callback",
    "set_current_details",
    "wait",
    "ActivityCancellationType",
    "ActivityHandle",
    "ChildWorkflowCancellationType",
    "ChildWorkflowHandle",
    "ContinueAsNewError",
    "ExternalWorkflowHandle",
    "Info",
    "ParentClosePolicy",
    "ParentInfo",
    "RootInfo",
    "RawValue",
    "NondeterminismGuardError",
    "ReadOnlyContextError",
    "WorkflowIOError",
    "continue_as_new",
    "defn",
    "deprecate_patch",
    "execute_activity",
    "execute_activity_class",
    "execute_activity_method",
    "execute_local_activity_class",
    "start_activity_class",
    "start_local_activity_class",
    "execute_child_workflow",
    "execute_local_activity",
    "execute_local_activity_method",
    "get_dynamic_query_handler",
    "get_dynamic_signal_handler",
    "get_dynamic_update_handler",
    "get_external_workflow_handle",
    "get_external_workflow_handle_for",
    "get_query_handler",
    "get_signal_handler",
    "get_update_handler",
    "in_workflow",
    "info",
    "logger",
    "memo",
    "memo_value",
    "now",
    "patched",
    "payload_converter",
    "query",
    "random",
    "run",
    "set_dynamic_query_handler",
    "set_dynamic_signal_handler",
    "set_dynamic_update_handler",
    "set_query_handler",
    "set_signal_handler",
    "set_update_handler",
    "signal",
    "sleep",
    "start_activity",
    "start_activity_method",
    "start_child_workflow",
    "start_local_activity",
    "start_local_activity_method",
    "time",
    "unsafe",
    "update",
    "upsert_memo",
    "upsert_search_attributes",
    "uuid4",
    "wait_condition",
]

ClassType = TypeVar("ClassType", bound=type)
CallableType = TypeVar("CallableType", bound=Callable[..., Any])
ReturnType = TypeVar("ReturnType")

_RUN_ATTR = "__durable_workflow_run"
_DEFN_ATTR = "__durable_workflow_definition"
_RUNTIME_ATTR = "__durable_workflow_runtime"
_INIT_ATTR = "__durable_workflow_init"
_DYNAMIC_CONFIG_ATTR = "__durable_workflow_dynamic_config"
_DYNAMIC_KEY = ""  # where workers file the dynamic workflow (no workflow has an empty name)


class _ArgUnset:
    def __repr__(self) -> str:
        return "<unset>"


_arg_unset: Any = _ArgUnset()


# --- Definition -----------------------------------------------------------------------------


@overload
def defn(cls: ClassType) -> ClassType: ...


@overload
def defn(
    *, name: str | None = None, sandboxed: bool = True, dynamic: bool = False,
    failure_exception_types: Sequence[type[BaseException]] = ()
) -> Callable[[ClassType], ClassType]: ...


def defn(
    cls: ClassType | None = None,
    *,
    name: str | None = None,
    sandboxed: bool = True,
    dynamic: bool = False,
    failure_exception_types: Sequence[type[BaseException]] = (),
) -> ClassType | Callable[[ClassType], ClassType]:
    """Decorate a class as a workflow definition.

    Args:
        cls: The class (when used as ``@workflow.defn`` without parentheses).
        name: The workflow type name; defaults to the class name.
        sandboxed: Accepted for temporalio code and ignored: durable has no sandbox (its
            determinism guard always applies; ``workflow.unsafe.sandbox_unrestricted()``
            lifts it for a block).
        dynamic: A dynamic workflow (as temporalio): the worker runs it for every workflow
            type it has no other workflow for. Its run method takes one parameter, a
            ``Sequence[RawValue]`` (decode with :func:`payload_converter`); its type is
            ``info().workflow_type``; a :func:`dynamic_config` method may set its options.
            Not with ``name``.
        failure_exception_types: Exception classes that, raised by workflow code, fail the
            *workflow* instead of the workflow *task*. ``FailureError`` (e.g.
            ``ApplicationError``) always fails the workflow; any other exception fails the
            task, which is retried, so that a bug can be fixed by deploying new code.

    Returns:
        The class, unchanged but for the attached definition.

    Raises:
        ValueError: The class has no ``@workflow.run`` method, has two, the name is empty,
            or a ``@workflow.init`` ``__init__`` takes other parameters than the run method.
    """
    if not isinstance(sandboxed, bool):
        raise ValueError(f"sandboxed must be True or False, got {sandboxed!r}")

    def decorator(c: ClassType) -> ClassType:
        _Definition._apply(c, name, tuple(failure_exception_types), sandboxed, bool(dynamic))
        return c

    if cls is not None:
        return decorator(cls)
    return decorator


def init(init_fn: CallableType) -> CallableType:
    """Decorate the workflow class's ``__init__`` so that it receives the workflow's
    arguments (as temporalio's ``workflow.init``).

    Its parameters must be those of the ``@workflow.run`` method (names aside): the
    object is then built with the run's arguments before any signal, update or query
    handler runs, so handlers can rely on state derived from the input.

    Raises:
        ValueError: Not used on ``__init__``.
    """
    if getattr(init_fn, "__name__", None) != "__init__":
        raise ValueError("@workflow.init decorates the __init__ method only, got "
                         f"{getattr(init_fn, '__qualname__', init_fn)!r}")
    setattr(init_fn, _INIT_ATTR, True)
    return init_fn


def _same_parameters(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    """Whether two methods take the same parameters (kind, default, annotation; any names)."""
    def params(fn: Callable[..., Any]) -> list[tuple[Any, Any, Any]]:
        return [(p.kind, p.default, p.annotation)
                for p in inspect.signature(fn).parameters.values()]

    return params(a) == params(b)


def run(fn: CallableType) -> CallableType:
    """Decorate the workflow's entry method (exactly one per :func:`defn` class).

    Args:
        fn: An ``async def`` method. Its parameter annotations decide how the workflow's
            arguments are decoded; its return annotation how the client decodes the result.

    Returns:
        The method, marked.

    Raises:
        ValueError: ``fn`` is not an async function.
    """
    if not inspect.iscoroutinefunction(fn):
        raise ValueError(
            f"the run method must be an async function: "
            f"{getattr(fn, '__qualname__', fn)!r} is not defined with 'async def'"
        )
    setattr(fn, _RUN_ATTR, True)
    return fn


def _type_hints(fn: Callable[..., Any], *, skip_first: bool) -> tuple[list[Any] | None, Any]:
    """Parameter and return annotations of ``fn`` (None where unknown or unresolvable).

    Returns ``(arg_types, return_type)``; ``arg_types`` is None when the function takes
    ``*args`` or an annotation cannot be resolved (the values are then decoded untyped).
    """
    try:
        sig = inspect.signature(fn, eval_str=True)
    except Exception:  # an annotation names something not importable at module level
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return None, None
    params = list(sig.parameters.values())
    if skip_first and params:
        params = params[1:]
    arg_types: list[Any] | None = []
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            arg_types = None
            break
        ann = p.annotation
        assert arg_types is not None
        arg_types.append(None if ann is p.empty or isinstance(ann, str) else ann)
    ret = sig.return_annotation
    if ret is sig.empty or isinstance(ret, str):
        ret = None
    return arg_types, ret


@dataclass(frozen=True)
class _Definition:
    """What the worker needs to know about a workflow class."""

    name: str
    cls: type
    run_fn: Callable[..., Awaitable[Any]]
    arg_types: list[Any] | None
    ret_type: Any
    failure_exception_types: tuple[type[BaseException], ...] = ()
    init_takes_args: bool = False  # __init__ is marked @workflow.init
    sandboxed: bool = True  # as given to @workflow.defn; durable has no sandbox
    dynamic: bool = False  # runs the workflow types no other workflow of the worker has
    dynamic_config_fn: Callable[[Any], DynamicWorkflowConfig] | None = None

    @property
    def key(self) -> str:
        """Where workers file the definition: its name, or the dynamic key."""
        return _DYNAMIC_KEY if self.dynamic else self.name

    @staticmethod
    def from_class(cls: type) -> _Definition | None:
        defn_ = cls.__dict__.get(_DEFN_ATTR) if isinstance(cls, type) else None
        return defn_ if isinstance(defn_, _Definition) else None

    @staticmethod
    def must_from_class(cls: Any) -> _Definition:
        d = _Definition.from_class(cls)
        if d is None:
            raise ValueError(
                f"{getattr(cls, '__qualname__', cls)!r} is not a workflow: "
                "decorate the class with @workflow.defn"
            )
        return d

    @staticmethod
    def from_run_fn(fn: Any) -> _Definition | None:
        d = getattr(fn, _DEFN_ATTR, None)
        return d if isinstance(d, _Definition) else None

    @staticmethod
    def _apply(cls: type, name: str | None, failure_types: tuple[type[BaseException], ...],
               sandboxed: bool = True, dynamic: bool = False) -> None:
        if not isinstance(cls, type):
            raise ValueError(f"@workflow.defn decorates a class, got {cls!r}")
        if dynamic and name is not None:
            raise ValueError(f"dynamic workflow {cls.__qualname__} cannot also have a name")
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"workflow name must be a non-empty string, got {name!r}")
        run_fns: dict[str, Callable[..., Any]] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if callable(value) and getattr(value, _RUN_ATTR, False):
                    run_fns[attr] = value
                elif attr in run_fns:  # overridden without @workflow.run
                    del run_fns[attr]
        if not run_fns:
            raise ValueError(
                f"workflow class {cls.__qualname__} has no @workflow.run method: "
                "mark its async entry method with @workflow.run"
            )
        if len(run_fns) > 1:
            raise ValueError(
                f"workflow class {cls.__qualname__} has more than one @workflow.run method: "
                f"{sorted(run_fns)}"
            )
        for t in failure_types:
            if not (isinstance(t, type) and issubclass(t, BaseException)):
                raise ValueError(f"failure_exception_types must hold exception classes, got {t!r}")
        run_fn = next(iter(run_fns.values()))
        init_fn = cls.__init__
        init_takes_args = bool(getattr(init_fn, _INIT_ATTR, False))
        if init_takes_args and not _same_parameters(init_fn, run_fn):
            raise ValueError(
                f"workflow class {cls.__qualname__}: the @workflow.init __init__ must take the "
                f"same parameters as the @workflow.run method {run_fn.__name__} (names may "
                f"differ): {inspect.signature(init_fn)} vs {inspect.signature(run_fn)}")
        arg_types, ret_type = _type_hints(run_fn, skip_first=True)
        config_fns = [v for klass in reversed(cls.__mro__) for v in vars(klass).values()
                      if callable(v) and getattr(v, _DYNAMIC_CONFIG_ATTR, False)]
        if config_fns and not dynamic:
            raise ValueError(f"workflow class {cls.__qualname__}: @workflow.dynamic_config is "
                             "only for dynamic workflows (@workflow.defn(dynamic=True))")
        if dynamic:
            if arg_types is None or len(arg_types) != 1:
                raise ValueError(f"dynamic workflow {cls.__qualname__}: the run method must "
                                 "take one parameter: args: Sequence[RawValue]")
            arg_types = None  # the worker passes the undecoded payloads
        d = _Definition(
            name=name or cls.__name__,
            cls=cls,
            run_fn=run_fn,
            arg_types=arg_types,
            ret_type=ret_type,
            failure_exception_types=failure_types,
            init_takes_args=init_takes_args,
            sandboxed=sandboxed,
            dynamic=dynamic,
            dynamic_config_fn=config_fns[-1] if config_fns else None,
        )
        from durable._workflow_handlers import _collect

        _collect(cls)  # validates signal/query/update handlers (ValueError)
        _workflow_guard.guard_module(cls.__module__)
        setattr(cls, _DEFN_ATTR, d)
        setattr(run_fn, _DEFN_ATTR, d)


@dataclass(frozen=True)
class DynamicWorkflowConfig:
    """What a :func:`dynamic_config` method returns: options of a dynamic workflow that
    override those of :func:`defn` (as temporalio).

    Attributes:
        failure_exception_types: When not None, replaces the definition's
            ``failure_exception_types`` (the worker's still apply).
        versioning_behavior: Accepted and ignored: durable has no worker versioning.
    """

    failure_exception_types: Sequence[type[BaseException]] | None = None
    versioning_behavior: Any = None


def dynamic_config(fn: CallableType) -> CallableType:
    """Decorate the method of a dynamic workflow that returns its
    :class:`DynamicWorkflowConfig`; it is called with only ``self``, after ``__init__`` and
    before the run method.

    Raises:
        ValueError: ``fn`` is async or takes other parameters than ``self``.
    """
    if inspect.iscoroutinefunction(fn):
        raise ValueError(f"the dynamic_config method {getattr(fn, '__qualname__', fn)!r} "
                         "must not be async")
    if len(inspect.signature(fn).parameters) != 1:
        raise ValueError(f"the dynamic_config method {getattr(fn, '__qualname__', fn)!r} "
                         "must take only self")
    setattr(fn, _DYNAMIC_CONFIG_ATTR, True)
    return fn


# --- Info -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParentInfo:
    """The parent of a child workflow."""

    namespace: str
    run_id: str
    workflow_id: str


@dataclass(frozen=True)
class RootInfo:
    """The root of a child workflow's parent chain (``Info.root``): the workflow that started
    the first parent, as Temporal defines it. A workflow without a parent has none."""

    run_id: str
    workflow_id: str


@dataclass(frozen=True)
class Info:
    """Information about the running workflow (see :func:`info`)."""

    attempt: int
    continued_run_id: str | None
    execution_timeout: timedelta | None
    first_execution_run_id: str
    headers: Mapping[str, Any]
    namespace: str
    parent: ParentInfo | None
    retry_policy: RetryPolicy | None
    run_id: str
    run_timeout: timedelta | None
    start_time: datetime
    task_queue: str
    task_timeout: timedelta
    workflow_id: str
    workflow_type: str
    memo: Mapping[str, Any] = field(default_factory=dict)
    typed_search_attributes: TypedSearchAttributes = field(
        default_factory=lambda: TypedSearchAttributes.empty)
    """The run's search attributes: those it started with, then its upserts."""
    root: RootInfo | None = None
    """The root of the parent chain; None for a workflow without a parent (its own root).
    Continue-as-new and retries keep it."""

    def get_current_history_length(self) -> int:
        """Events in the run's history up to the current workflow task's start."""
        return _Runtime.current().workflow_history_status()[0]

    def get_current_history_size(self) -> int:
        """Bytes of the run's history before the current workflow task."""
        return _Runtime.current().workflow_history_status()[1]

    def is_continue_as_new_suggested(self) -> bool:
        """True once the history is past the engine's warning threshold (10,240 events or
        10 MB by default; docs/limits.md): continue as new before the run is terminated at
        the limit."""
        return _Runtime.current().workflow_history_status()[2]


# --- Runtime: what the workflow event loop provides ------------------------------------------


class _Runtime(ABC):
    """Implemented by the worker's workflow event loop; found through the running loop."""

    @staticmethod
    def current() -> _Runtime:
        rt = _Runtime.maybe_current()
        if rt is None:
            raise RuntimeError("not in workflow code (no workflow event loop is running)")
        return rt

    @staticmethod
    def maybe_current() -> _Runtime | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        rt = getattr(loop, _RUNTIME_ATTR, None)
        return rt if isinstance(rt, _Runtime) else None

    @abstractmethod
    def workflow_info(self) -> Info: ...

    @abstractmethod
    def workflow_time_us(self) -> int: ...

    def workflow_history_status(self) -> tuple[int, int, bool]:
        """(history length, history bytes, continue-as-new suggested) of the current task."""
        return (0, 0, False)

    @abstractmethod
    def workflow_is_replaying(self) -> bool: ...

    def workflow_metric_meter(self) -> MetricMeter:
        return MetricMeter.noop

    @abstractmethod
    def workflow_random(self) -> _random_module.Random: ...

    @abstractmethod
    def workflow_start_activity(
        self,
        activity_type: str,
        args: Sequence[Any],
        *,
        task_queue: str | None,
        result_type: Any,
        schedule_to_close_timeout: timedelta | None,
        schedule_to_start_timeout: timedelta | None,
        start_to_close_timeout: timedelta | None,
        heartbeat_timeout: timedelta | None,
        retry_policy: RetryPolicy | None,
        activity_id: str | None,
        cancellation_type: ActivityCancellationType,
    ) -> ActivityHandle[Any]: ...

    def workflow_start_local_activity(
        self,
        activity_type: str,
        args: Sequence[Any],
        *,
        result_type: Any,
        schedule_to_close_timeout: timedelta | None,
        start_to_close_timeout: timedelta | None,
        retry_policy: RetryPolicy | None,
        activity_id: str | None,
    ) -> ActivityHandle[Any]:
        raise NotImplementedError("local activities are not supported by this runtime")

    @abstractmethod
    async def workflow_start_child_workflow(
        self, workflow_type: str, args: Sequence[Any], options: _ChildWorkflowOptions
    ) -> ChildWorkflowHandle[Any, Any]: ...

    @abstractmethod
    async def workflow_signal_external(
        self, workflow_id: str, run_id: str | None, signal: str, args: Sequence[Any], *,
        child_workflow_only: bool
    ) -> None: ...

    @abstractmethod
    async def workflow_cancel_external(self, workflow_id: str, run_id: str | None) -> None: ...

    def workflow_continue_as_new(self, err: ContinueAsNewError) -> NoReturn:
        """Raise ``err`` (a worker passes it through its outbound interceptors first)."""
        raise err

    @abstractmethod
    async def workflow_wait_condition(
        self, fn: Callable[[], bool], *, timeout: float | None
    ) -> None: ...

    # Handlers and patches (_workflow_handlers.py, patched / deprecate_patch).

    @abstractmethod
    def workflow_set_handler(self, kind: str, name: str | None, definition: Any) -> None: ...

    @abstractmethod
    def workflow_get_handler(self, kind: str, name: str | None) -> Callable[..., Any] | None: ...

    @abstractmethod
    def workflow_patch(self, patch_id: str, *, deprecated: bool) -> bool: ...

    @abstractmethod
    def workflow_payload_converter(self) -> Any: ...

    @abstractmethod
    def workflow_all_handlers_finished(self) -> bool: ...

    @abstractmethod
    def workflow_is_read_only(self) -> bool: ...

    @abstractmethod
    def workflow_instance(self) -> Any: ...

    # What the run knows of itself (worker/_workflow_run_context.py).

    @abstractmethod
    def workflow_random_seed(self) -> int: ...

    @abstractmethod
    def workflow_register_random_seed_callback(self, callback: Callable[[int], None]) -> None: ...

    @abstractmethod
    def workflow_cancellation_reason(self) -> str | None: ...

    @abstractmethod
    def workflow_is_failure_exception(self, err: BaseException) -> bool: ...

    @abstractmethod
    def workflow_get_current_details(self) -> str: ...

    @abstractmethod
    def workflow_set_current_details(self, details: str) -> None: ...

    @abstractmethod
    def workflow_has_last_completion_result(self) -> bool: ...

    @abstractmethod
    def workflow_last_completion_result(self, type_hint: Any) -> Any: ...

    @abstractmethod
    def workflow_last_failure(self) -> BaseException | None: ...

    def workflow_upsert_search_attributes(self, updates: Sequence[SearchAttributeUpdate[Any]]) -> None:
        raise NotImplementedError("search attributes are not supported by this runtime")

    def workflow_upsert_memo(self, updates: Mapping[str, Any]) -> None:
        raise NotImplementedError("memo upserts are not supported by this runtime")


def in_workflow() -> bool:
    """Whether the caller runs inside workflow code."""
    return _Runtime.maybe_current() is not None


def info() -> Info:
    """Information about the current workflow (ids, type, task queue, attempt, times...).

    Raises:
        RuntimeError: Not called from workflow code.
    """
    return _Runtime.current().workflow_info()


def now() -> datetime:
    """The workflow's current time: the start time of the current workflow task (UTC).

    Deterministic: replay sees the same value. Never use ``datetime.now()`` in a workflow.
    """
    from durable.common import us_to_datetime

    return us_to_datetime(_Runtime.current().workflow_time_us())


def time() -> float:
    """The workflow's current time as seconds since the epoch (= ``loop.time()``)."""
    return _Runtime.current().workflow_time_us() / 1e6


def time_ns() -> int:
    """The workflow's current time in nanoseconds since the epoch (as ``time.time_ns``)."""
    return _Runtime.current().workflow_time_us() * 1000


def instance() -> Any:
    """The running workflow's object (the instance of the ``@workflow.defn`` class)."""
    return _Runtime.current().workflow_instance()


def memo() -> Mapping[str, Any]:
    """The run's memo, each value decoded without type hints (a dataclass comes back as a
    dict; use :func:`memo_value` with ``type_hint`` for the type)."""
    pc = payload_converter()
    return {k: pc.from_payload(v) for k, v in info().memo.items()}


def memo_value(key: str, default: Any = _arg_unset, *, type_hint: Any = None) -> Any:
    """One memo value, decoded with ``type_hint`` when given.

    Raises:
        KeyError: ``key`` is not in the memo and no ``default`` was given.
    """
    raw = info().memo.get(key)
    if raw is None:
        if default is _arg_unset:
            raise KeyError(f"memo has no key {key!r}")
        return default
    return payload_converter().from_payload(raw, type_hint)


def random() -> _random_module.Random:
    """A ``random.Random`` seeded deterministically for this run (same values on replay)."""
    return _Runtime.current().workflow_random()


def random_seed() -> int:
    """The seed of :func:`random` for this run (recorded with its start; same on replay)."""
    return _Runtime.current().workflow_random_seed()


def register_random_seed_callback(callback: Callable[[int], None]) -> None:
    """Register ``callback(seed)`` to be called when the run's random seed changes.

    durable's seed is fixed for the whole run (temporalio's changes on a reset), so the
    callback is kept and never called; code written for temporalio still works.
    """
    _Runtime.current().workflow_register_random_seed_callback(callback)


def new_random(name: str | None = None) -> _random_module.Random:
    """A new ``random.Random`` seeded from :func:`random_seed` (as temporalio).

    Args:
        name: Mixed into the seed when given, so that differently named generators and
            :func:`random` draw different sequences; without it the generator starts out
            identical to :func:`random`.
    """
    def seed_for(seed: int) -> int | str:
        return seed if name is None else f"{seed}:{name}"

    rng = _random_module.Random(seed_for(random_seed()))
    register_random_seed_callback(lambda seed: rng.seed(seed_for(seed)))
    return rng


def cancellation_reason() -> str | None:
    """The reason sent with the workflow's cancellation request (maybe empty), or None
    while no cancellation was requested (cancels of inner tasks do not count)."""
    return _Runtime.current().workflow_cancellation_reason()


def is_failure_exception(err: BaseException) -> bool:
    """Whether ``err``, raised by the run method, fails the workflow (a ``FailureError``
    such as ``ApplicationError``, or one of the ``failure_exception_types`` of the
    definition or the worker) rather than its workflow task."""
    return _Runtime.current().workflow_is_failure_exception(err)


def get_current_details() -> str:
    """The run's current details, as last set by :func:`set_current_details` (empty at
    first). durable keeps them in the workflow; no UI shows them."""
    return _Runtime.current().workflow_get_current_details()


def set_current_details(description: str) -> None:
    """Set the run's current details (see :func:`get_current_details`)."""
    _Runtime.current().workflow_set_current_details(description)


def has_last_completion_result() -> bool:
    """Whether the run started with a last completion result (see
    :func:`get_last_completion_result`)."""
    return _Runtime.current().workflow_has_last_completion_result()


def get_last_completion_result(type_hint: Any = None) -> Any:
    """The result of the last completed run of a cron chain (``cron_schedule=``), decoded
    with ``type_hint`` when given; None without one (runs started by a schedule get none
    yet: docs/temporal-compatibility.md)."""
    return _Runtime.current().workflow_last_completion_result(type_hint)


def get_last_failure() -> BaseException | None:
    """The failure of the previous attempt when this run is a retry of a failed one (the
    workflow's retry policy), or of the previous run of a cron chain; else None."""
    return _Runtime.current().workflow_last_failure()


def uuid4() -> uuid.UUID:
    """A version-4 UUID drawn from :func:`random` (deterministic across replays)."""
    return uuid.UUID(int=random().getrandbits(128), version=4)


def uuid7() -> uuid.UUID:
    """A version-7 UUID (RFC 9562: time-ordered): the workflow time in milliseconds, then
    bits drawn from :func:`random` (deterministic across replays)."""
    ms = time_ns() // 1_000_000
    bits = random().getrandbits(74)
    value = (ms & (2**48 - 1)) << 80 | 0x7 << 76 | (bits >> 62) << 64 | 0b10 << 62 | (
        bits & (2**62 - 1))
    return uuid.UUID(int=value)


def _check_summary(label: str, summary: Any) -> None:
    """``summary=`` & co: temporalio's UI notes; accepted, checked, not recorded (durable has
    no UI for them yet: docs/temporal-compatibility.md)."""
    if summary is not None and not isinstance(summary, str):
        raise TypeError(f"{label} must be a string or None, got {type(summary).__name__}")


async def sleep(duration: float | timedelta, *, summary: str | None = None,
                event_groups: Sequence[EventGroup] | None = None) -> None:
    """Sleep durably (a timer recorded in history); same as ``asyncio.sleep``.

    Args:
        duration: Seconds, or a timedelta.
        summary: temporalio's note for the timer; accepted, not recorded.
        event_groups: Event groups the timer's commands belong to (besides the active scopes).
    """
    _check_summary("summary", summary)
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
    with _event_groups_applied(event_groups):
        await asyncio.sleep(seconds)


async def wait_condition(fn: Callable[[], bool], *, timeout: float | timedelta | None = None,
                         timeout_summary: str | None = None,
                         event_groups: Sequence[EventGroup] | None = None) -> None:
    """Wait until ``fn()`` is true; it is re-checked each time workflow code has run.

    Args:
        fn: A side-effect-free predicate over workflow state.
        timeout: Optional limit (a durable timer); ``asyncio.TimeoutError`` when it passes.
        timeout_summary: temporalio's note for the timeout timer; accepted, not recorded.
        event_groups: Event groups of the timeout timer's commands (besides active scopes).
    """
    _check_summary("timeout_summary", timeout_summary)
    t = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
    with _event_groups_applied(event_groups):
        await _Runtime.current().workflow_wait_condition(fn, timeout=t)


def all_handlers_finished() -> bool:
    """Whether no signal or update handler is running (as temporalio).

    Wait for it before returning or continuing as new, so that no handler is cut short::

        await workflow.wait_condition(workflow.all_handlers_finished)

    Raises:
        RuntimeError: Not called from workflow code.
    """
    return _Runtime.current().workflow_all_handlers_finished()


def metric_meter() -> MetricMeter:
    """The workflow's metric meter (temporalio's interface).

    It records into the worker's client's ``durable.runtime.Runtime`` (Prometheus, see
    docs/metrics.md) with the attributes namespace, task_queue and workflow_type, and
    records nothing while the workflow replays (as temporalio's). Without metrics it is
    ``MetricMeter.noop``, which checks its input and records nothing.

    Raises:
        RuntimeError: Not called from workflow code.
    """
    return _Runtime.current().workflow_metric_meter()


_imports_passed_through = threading.local()


class unsafe:
    """Escape hatches that are only safe when you know what replay means."""

    @staticmethod
    def is_replaying() -> bool:
        """Whether workflow code is re-running recorded history (not making progress).

        False outside workflow code (temporalio raises there).
        """
        rt = _Runtime.maybe_current()
        return rt is not None and rt.workflow_is_replaying()

    @staticmethod
    def is_replaying_history_events() -> bool:
        """Whether recorded history is being replayed, not counting queries and update
        validators (they are live even during a replay)."""
        rt = _Runtime.maybe_current()
        return rt is not None and rt.workflow_is_replaying() and not rt.workflow_is_read_only()

    @staticmethod
    def is_read_only() -> bool:
        """Whether a query handler or an update validator is running (no commands allowed)."""
        rt = _Runtime.maybe_current()
        return rt is not None and rt.workflow_is_read_only()

    @staticmethod
    def in_sandbox() -> bool:
        """Always False: durable runs workflow code without a sandbox."""
        return False

    @staticmethod
    def is_sandbox_unrestricted() -> bool:
        """Whether the calling code is inside :meth:`sandbox_unrestricted`."""
        return in_workflow() and not _workflow_guard._state.active

    @staticmethod
    @contextlib.contextmanager
    def imports_passed_through() -> Iterator[None]:
        """A no-op ``with`` block, for temporalio code that imports activities and models
        through the sandbox::

            with workflow.unsafe.imports_passed_through():
                from myapp.activities import charge

        durable has no sandbox: every module is imported once, normally (a documented
        no-op, usable at module level and in workflow code).
        """
        depth = getattr(_imports_passed_through, "depth", 0)
        _imports_passed_through.depth = depth + 1
        try:
            yield
        finally:
            _imports_passed_through.depth = depth

    @staticmethod
    def is_imports_passed_through() -> bool:
        """Whether the calling code is inside :meth:`imports_passed_through`."""
        return getattr(_imports_passed_through, "depth", 0) > 0

    @staticmethod
    def sandbox_unrestricted() -> contextlib.AbstractContextManager[None]:
        """A ``with`` block in which workflow code may call what the guard refuses.

        ``time.time()``, ``random.random()``, ``open()``... then run as usual (as in
        temporalio, where this lifts the sandbox). Only for calls whose result cannot change
        what the workflow does (metrics, debugging aids): anything else breaks replay.
        """
        return _workflow_guard.suspended()


NondeterminismGuardError = _workflow_guard.NondeterminismGuardError


class WorkflowIOError(RuntimeError):
    """Workflow code tried to do I/O (sockets, subprocesses, threads) on the workflow loop.

    Workflow code must be deterministic: do such work in an activity.
    """


# --- Search attributes and memo ------------------------------------------------------------


def upsert_search_attributes(
        attributes: TypedSearchAttributes | Sequence[SearchAttributeUpdate[Any]], *,
        event_groups: Sequence[EventGroup] | None = None) -> None:
    """Set or remove search attributes of this run (recorded; visible to list queries).

    ``workflow.info().typed_search_attributes`` reflects the change at once::

        workflow.upsert_search_attributes([CUSTOMER.value_set("acme"), STEP.value_unset()])

    Args:
        attributes: ``key.value_set(value)`` / ``key.value_unset()`` of registered
            attributes; or a ``TypedSearchAttributes``, each of its pairs set (as temporalio).
        event_groups: Event groups the upsert belongs to (besides the active scopes).

    Raises:
        TypeError: An update is not a SearchAttributeUpdate, or a value has the wrong type.
    """
    with _event_groups_applied(event_groups):
        updates = ([pair.key.value_set(pair.value) for pair in attributes]
                   if isinstance(attributes, TypedSearchAttributes) else list(attributes))
        _Runtime.current().workflow_upsert_search_attributes(updates)


def upsert_memo(updates: Mapping[str, Any], *,
                event_groups: Sequence[EventGroup] | None = None) -> None:
    """Set memo fields of this run (a value of None removes the field); ``event_groups``:
    event groups the upsert belongs to (besides the active scopes)."""
    if not isinstance(updates, Mapping):
        raise TypeError(f"upsert_memo takes a mapping, got {type(updates).__name__}")
    with _event_groups_applied(event_groups):
        _Runtime.current().workflow_upsert_memo(dict(updates))


def memo() -> Mapping[str, Any]:
    """The run's memo, decoded with the worker's payload converter."""
    pc = _Runtime.current().workflow_payload_converter()
    return {k: pc.from_payloads([p])[0] for k, p in info().memo.items()}


def memo_value(key: str, default: Any = KeyError, *, type_hint: Any = None) -> Any:
    """One memo value, decoded (``type_hint`` as the target type).

    Raises:
        KeyError: No such key and no default.
    """
    p = info().memo.get(key)
    if p is None:
        if default is KeyError:
            raise KeyError(f"memo has no key {key!r}")
        return default
    pc = _Runtime.current().workflow_payload_converter()
    return pc.from_payloads([p], [type_hint] if type_hint is not None else None)[0]


# --- Versioning -----------------------------------------------------------------------------


def patched(id: str, *, event_groups: Sequence[EventGroup] | None = None) -> bool:
    """Whether this run takes the new branch of a code change marked ``id``.

    Use it to change workflow code while runs started with the old code are still open::

        if workflow.patched("use-v2-activity"):
            await workflow.execute_activity(new_step, ...)
        else:
            await workflow.execute_activity(old_step, ...)

    A new run (not replaying) takes the new branch and records a ``core_patch`` marker in
    history. Replaying, it answers True only if the history recorded the marker at this
    point: a run started before the change replays its old branch. The answer for one id
    is fixed for the rest of the run.

    Args:
        id: The change's name, unique in the workflow.

    Returns:
        True for the new branch.

    Raises:
        ValueError: ``id`` is empty.
    """
    if not isinstance(id, str) or not id:
        raise ValueError(f"patch id must be a non-empty string, got {id!r}")
    with _event_groups_applied(event_groups):  # of the marker, when one is recorded
        return _Runtime.current().workflow_patch(id, deprecated=False)


def deprecate_patch(id: str) -> None:
    """Mark that every open run now takes the new branch of patch ``id``.

    The step after :func:`patched`: once no run that took the old branch is open, replace
    ``if workflow.patched(id): new else: old`` with ``workflow.deprecate_patch(id); new``.
    Runs that recorded the marker still replay; once no such run is open, remove the call.

    Args:
        id: The patch's id.

    Raises:
        ValueError: ``id`` is empty.
    """
    if not isinstance(id, str) or not id:
        raise ValueError(f"patch id must be a non-empty string, got {id!r}")
    _Runtime.current().workflow_patch(id, deprecated=True)


def payload_converter() -> Any:
    """The payload converter of the worker running this workflow (to decode ``RawValue``)."""
    return _Runtime.current().workflow_payload_converter()


# --- Activities -----------------------------------------------------------------------------


class ActivityCancellationType(IntEnum):
    """What cancelling an activity from workflow code does (as in temporalio)."""

    TRY_CANCEL = 0
    """Ask the engine to cancel the activity and resolve it as cancelled at once (default)."""
    WAIT_CANCELLATION_COMPLETED = 1
    """Ask the engine to cancel it and wait until the activity ends (it may still complete,
    fail, or acknowledge the cancellation by raising ``CancelledError``)."""
    ABANDON = 2
    """Resolve it as cancelled at once without telling the engine; the activity runs on."""


class _CancelHookTask(_task_compat.Task):  # type: ignore[type-arg,misc]
    """A task whose ``cancel()`` before its first step is handed to the runtime.

    A coroutine cancelled before it starts never reaches its ``try``: the runtime's hook
    cancels the underlying command instead, and the task then reports the outcome.
    """

    _durable_cancel_unstarted: Callable[[], bool] | None = None

    def cancel(self, msg: Any = None) -> bool:
        hook = self._durable_cancel_unstarted
        if hook is not None and not self.done() and hook():
            return True
        return super().cancel(msg)


class ActivityHandle(_CancelHookTask, Generic[ReturnType]):
    """A running activity: an ``asyncio.Task`` whose result is the activity's result.

    ``cancel()`` requests cancellation of the activity as its ``cancellation_type`` says
    (an activity whose command was not sent yet is simply dropped). Awaiting a cancelled
    activity raises ``durable.exceptions.ActivityError`` whose ``cause`` is a
    ``durable.exceptions.CancelledError`` (unless, with ``WAIT_CANCELLATION_COMPLETED``,
    the activity completed or failed first).
    """


def _activity_name_and_result_type(activity: Any) -> tuple[str, Any]:
    if isinstance(activity, str):
        if not activity:
            raise ValueError("activity name must not be empty")
        return activity, None
    from durable.activity import _Definition as _ActivityDefinition

    d = _ActivityDefinition.from_callable(activity)
    if d is None:
        raise ValueError(
            f"{getattr(activity, '__qualname__', activity)!r} is not an activity: decorate it "
            "with @activity.defn, or pass the activity's name as a string"
        )
    return d.name, d.ret_type


def _check_activity_timeouts(kind: str, name: str, schedule_to_close_timeout: Any,
                             start_to_close_timeout: Any) -> None:
    if start_to_close_timeout is None and schedule_to_close_timeout is None:
        raise ValueError(
            f"{kind} {name!r}: set start_to_close_timeout or schedule_to_close_timeout")


def start_activity(
    activity: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    result_type: Any = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    activity_id: str | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    summary: str | None = None,
    event_groups: Sequence[EventGroup] | None = None,
) -> ActivityHandle[Any]:
    """Schedule an activity and return a handle (a task) for its result.

    Args:
        activity: An ``@activity.defn`` function, or an activity type name.
        arg: The single argument (or use ``args``).
        args: Several arguments.
        task_queue: Task queue of the activity; defaults to the workflow's.
        result_type: Type to decode the result into; defaults to the function's return
            annotation.
        schedule_to_close_timeout: Limit on the whole activity, retries included.
        schedule_to_start_timeout: Limit on the wait for a worker to pick it up.
        start_to_close_timeout: Limit on one attempt.
        heartbeat_timeout: Limit between heartbeats.
        retry_policy: How attempts are retried; the engine's defaults when None.
        activity_id: Id within the workflow; defaults to the command's sequence number.
        cancellation_type: What cancelling the returned handle does (see
            :class:`ActivityCancellationType`).
        summary: temporalio's note for the UI; accepted (a string), not recorded.

    Returns:
        A handle; await it for the result. A failed activity raises
        ``durable.exceptions.ActivityError`` whose ``cause`` is the activity's failure.

    Raises:
        ValueError: Neither ``start_to_close_timeout`` nor ``schedule_to_close_timeout`` is
            set, both ``arg`` and ``args`` are given, or ``activity`` is not an activity.
    """
    name, ret_type = _activity_name_and_result_type(activity)
    _check_summary("summary", summary)
    args = _one_or_many(arg, args)
    if not isinstance(cancellation_type, ActivityCancellationType):
        raise ValueError(
            f"cancellation_type must be an ActivityCancellationType, got {cancellation_type!r}")
    _check_activity_timeouts("activity", name, schedule_to_close_timeout,
                             start_to_close_timeout)
    with _event_groups_applied(event_groups):
        return _Runtime.current().workflow_start_activity(
            name,
            args,
            task_queue=task_queue,
            result_type=result_type if result_type is not None else ret_type,
            schedule_to_close_timeout=schedule_to_close_timeout,
            schedule_to_start_timeout=schedule_to_start_timeout,
            start_to_close_timeout=start_to_close_timeout,
            heartbeat_timeout=heartbeat_timeout,
            retry_policy=retry_policy,
            activity_id=activity_id,
            cancellation_type=cancellation_type,
        )


async def execute_activity(
    activity: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    result_type: Any = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    activity_id: str | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    summary: str | None = None,
    event_groups: Sequence[EventGroup] | None = None,
) -> Any:
    """Run an activity and wait for its result: :func:`start_activity`, then await it.

    Raises:
        durable.exceptions.ActivityError: The activity failed (after its retries); the
            activity's own failure (e.g. ``ApplicationError``) is the ``cause``.
    """
    return await start_activity(
        activity,
        arg,
        args=args,
        task_queue=task_queue,
        result_type=result_type,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        activity_id=activity_id,
        cancellation_type=cancellation_type,
        summary=summary,
        event_groups=event_groups,
    )


def start_activity_method(
    activity: Callable[..., Any],
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    **kwargs: Any,
) -> ActivityHandle[Any]:
    """:func:`start_activity` for an activity that is a method (``MyActivities.run``).

    The worker registers the bound method (``activities=[obj.run]``); workflow code names the
    unbound one. Takes the same options as :func:`start_activity`.

    Raises:
        ValueError: As :func:`start_activity`.
    """
    return start_activity(activity, arg, args=args, **kwargs)


async def execute_activity_method(
    activity: Callable[..., Any],
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    **kwargs: Any,
) -> Any:
    """:func:`execute_activity` for an activity that is a method (``MyActivities.run``).

    Raises:
        durable.exceptions.ActivityError: As :func:`execute_activity`.
    """
    return await start_activity(activity, arg, args=args, **kwargs)


# --- Local activities ----------------------------------------------------------------------


def start_local_activity(
    activity: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    result_type: Any = None,
    schedule_to_close_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    activity_id: str | None = None,
    summary: str | None = None,
) -> ActivityHandle[Any]:
    """Run an activity in this worker, inside the workflow task, and return a handle.

    The activity must be registered on the worker running the workflow. Its outcome is
    recorded in history as a marker: a replay reads the marker and does not run it again.
    Failed attempts are retried by the worker (backoff per ``retry_policy``, Temporal's
    defaults when None) within the workflow task: keep local activities short.

    Args:
        activity: An ``@activity.defn`` function, or an activity type name.
        arg: The single argument (or use ``args``).
        args: Several arguments.
        result_type: Type to decode the result into; defaults to the return annotation.
        schedule_to_close_timeout: Limit on all attempts together.
        start_to_close_timeout: Limit on one attempt.
        retry_policy: How attempts are retried.
        activity_id: Id within the workflow; defaults to the command's sequence number.
        summary: temporalio's note for the UI; accepted (a string), not recorded.

    Returns:
        A handle; await it for the result (``ActivityError`` on failure, as for
        :func:`start_activity`). ``cancel()`` cancels the running attempt.

    Raises:
        ValueError: Neither timeout is set, both ``arg`` and ``args`` are given, or
            ``activity`` is not an activity.
    """
    name, ret_type = _activity_name_and_result_type(activity)
    _check_summary("summary", summary)
    args = _one_or_many(arg, args)
    _check_activity_timeouts("local activity", name, schedule_to_close_timeout,
                             start_to_close_timeout)
    for label, t in (("schedule_to_close_timeout", schedule_to_close_timeout),
                     ("start_to_close_timeout", start_to_close_timeout)):
        if t is not None and (not isinstance(t, timedelta) or t <= timedelta(0)):
            raise ValueError(f"local activity {name!r}: {label} must be a positive timedelta, "
                             f"got {t!r}")
    return _Runtime.current().workflow_start_local_activity(
        name,
        args,
        result_type=result_type if result_type is not None else ret_type,
        schedule_to_close_timeout=schedule_to_close_timeout,
        start_to_close_timeout=start_to_close_timeout,
        retry_policy=retry_policy,
        activity_id=activity_id,
    )


async def execute_local_activity(
    activity: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    result_type: Any = None,
    schedule_to_close_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    activity_id: str | None = None,
    summary: str | None = None,
) -> Any:
    """Run a local activity and wait for its result: :func:`start_local_activity`, awaited.

    Raises:
        durable.exceptions.ActivityError: The local activity failed after its retries.
        ValueError: As :func:`start_local_activity`.
    """
    return await start_local_activity(
        activity, arg, args=args, result_type=result_type,
        schedule_to_close_timeout=schedule_to_close_timeout,
        start_to_close_timeout=start_to_close_timeout, retry_policy=retry_policy,
        activity_id=activity_id, summary=summary)


def start_local_activity_method(activity: Callable[..., Any], arg: Any = _arg_unset, *,
                                args: Sequence[Any] = (), **kwargs: Any) -> ActivityHandle[Any]:
    """:func:`start_local_activity` for an activity that is a method.

    Raises:
        ValueError: As :func:`start_local_activity`.
    """
    return start_local_activity(activity, arg, args=args, **kwargs)


async def execute_local_activity_method(activity: Callable[..., Any], arg: Any = _arg_unset, *,
                                        args: Sequence[Any] = (), **kwargs: Any) -> Any:
    """:func:`execute_local_activity` for an activity that is a method.

    Raises:
        durable.exceptions.ActivityError: As :func:`execute_local_activity`.
    """
    return await start_local_activity(activity, arg, args=args, **kwargs)


def start_activity_class(activity: type, arg: Any = _arg_unset, *, args: Sequence[Any] = (),
                         **kwargs: Any) -> ActivityHandle[Any]:
    """:func:`start_activity` for a callable-class activity (``@activity.defn`` on a class
    with ``__call__``): the worker registers an instance (``activities=[MyActivity(db)]``),
    workflow code names the class. Takes the same options as :func:`start_activity`."""
    return start_activity(activity, arg, args=args, **kwargs)


async def execute_activity_class(activity: type, arg: Any = _arg_unset, *,
                                 args: Sequence[Any] = (), **kwargs: Any) -> Any:
    """:func:`execute_activity` for a callable-class activity (see
    :func:`start_activity_class`)."""
    return await start_activity(activity, arg, args=args, **kwargs)


def start_local_activity_class(activity: type, arg: Any = _arg_unset, *,
                               args: Sequence[Any] = (), **kwargs: Any) -> ActivityHandle[Any]:
    """:func:`start_local_activity` for a callable-class activity (see
    :func:`start_activity_class`)."""
    return start_local_activity(activity, arg, args=args, **kwargs)


async def execute_local_activity_class(activity: type, arg: Any = _arg_unset, *,
                                       args: Sequence[Any] = (), **kwargs: Any) -> Any:
    """:func:`execute_local_activity` for a callable-class activity (see
    :func:`start_activity_class`)."""
    return await start_local_activity(activity, arg, args=args, **kwargs)


# --- Child workflows ------------------------------------------------------------------------


class ParentClosePolicy(IntEnum):
    """What happens to a child when its parent closes; values match the proto enum."""

    UNSPECIFIED = 0
    """The engine's default, ``TERMINATE``."""
    TERMINATE = 1
    """Terminate the child (the default)."""
    ABANDON = 2
    """Leave the child running."""
    REQUEST_CANCEL = 3
    """Request cancellation of the child."""


class ChildWorkflowCancellationType(IntEnum):
    """What cancelling a child workflow from the parent does (as in temporalio)."""

    ABANDON = 0
    """Resolve it as cancelled at once; do not tell the child."""
    TRY_CANCEL = 1
    """Request cancellation of the child and resolve it as cancelled at once."""
    WAIT_CANCELLATION_COMPLETED = 2
    """Request cancellation and wait for the child to close (the default)."""
    WAIT_CANCELLATION_REQUESTED = 3
    """Request cancellation and resolve as cancelled once the child has received it."""


@dataclass(frozen=True)
class _ChildWorkflowOptions:
    """Options of :func:`start_child_workflow`, as handed to the runtime."""

    id: str
    task_queue: str | None
    result_type: Any
    cancellation_type: ChildWorkflowCancellationType
    parent_close_policy: ParentClosePolicy
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    id_reuse_policy: WorkflowIdReusePolicy
    retry_policy: RetryPolicy | None
    memo: Mapping[str, Any] | None


SelfType = TypeVar("SelfType")


class ChildWorkflowHandle(_CancelHookTask, Generic[SelfType, ReturnType]):
    """A started child workflow: an ``asyncio.Task`` whose result is the child's result.

    Awaiting it raises ``durable.exceptions.ChildWorkflowError`` (``cause``: the child's
    failure, ``CancelledError``, ``TerminatedError`` or ``TimeoutError``) when the child does
    not complete. ``cancel()`` requests cancellation of the child as its
    ``cancellation_type`` says.
    """

    _child_id: str
    _child_first_run_id: str

    @property
    def id(self) -> str:
        """The child's workflow id."""
        return self._child_id

    @property
    def first_execution_run_id(self) -> str:
        """Run id of the child's first run."""
        return self._child_first_run_id

    async def signal(self, signal: str | Callable[..., Any], arg: Any = _arg_unset, *,
                     args: Sequence[Any] = (),
                     event_groups: Sequence[EventGroup] | None = None) -> None:
        """Send a signal to the child (recorded in the parent's history).

        Args:
            signal: The signal name, or the child's ``@workflow.signal`` method.
            arg: The single argument (or use ``args``).
            args: Several arguments.
            event_groups: Event groups of the signal's command (besides the active scopes).

        Raises:
            durable.exceptions.ApplicationError: The child was not found (already closed).
            ValueError: Both ``arg`` and ``args`` given.
        """
        with _event_groups_applied(event_groups):
            await _Runtime.current().workflow_signal_external(
                self._child_id, None, _signal_name(signal), _one_or_many(arg, args),
                child_workflow_only=True)


def _signal_name(signal: Any) -> str:
    from durable._workflow_handlers import _name_and_ret_type

    return _name_and_ret_type(signal, "signal")[0]


def _one_or_many(arg: Any, args: Sequence[Any]) -> list[Any]:
    if arg is not _arg_unset:
        if args:
            raise ValueError("pass either arg or args=[...], not both")
        return [arg]
    return list(args)


def _workflow_name_and_result_type(workflow: Any) -> tuple[str, Any]:
    if isinstance(workflow, str):
        if not workflow:
            raise ValueError("workflow type name must not be empty")
        return workflow, None
    d = _Definition.from_run_fn(workflow)
    if d is None and isinstance(workflow, type):
        d = _Definition.from_class(workflow)
    if d is None:
        raise ValueError(
            f"{getattr(workflow, '__qualname__', workflow)!r} is not a workflow run method: "
            "pass MyWorkflow.run (of a @workflow.defn class) or the workflow type name")
    return d.name, d.ret_type


async def start_child_workflow(
    workflow: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    id: str | None = None,
    task_queue: str | None = None,
    result_type: Any = None,
    cancellation_type: ChildWorkflowCancellationType = (
        ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED),
    parent_close_policy: ParentClosePolicy = ParentClosePolicy.TERMINATE,
    execution_timeout: timedelta | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    id_reuse_policy: WorkflowIdReusePolicy | None = None,
    retry_policy: RetryPolicy | None = None,
    memo: Mapping[str, Any] | None = None,
    event_groups: Sequence[EventGroup] | None = None,
) -> ChildWorkflowHandle[Any, Any]:
    """Start a child workflow and wait until it has started.

    Args:
        workflow: The child's run method (``Child.run``) or its workflow type name.
        arg: The single argument (or use ``args``).
        args: Several arguments.
        id: The child's workflow id; a deterministic random UUID by default.
        task_queue: The child's task queue; defaults to the parent's.
        result_type: Type to decode the result into (default: the run method's annotation).
        cancellation_type: What cancelling the child from the parent does.
        parent_close_policy: What happens to the child when the parent closes.
        execution_timeout: Limit on the child's whole chain of runs.
        run_timeout: Limit on one run of the child.
        task_timeout: Limit on one workflow task of the child.
        id_reuse_policy: Whether a closed workflow's id may be reused (default: allow).
        retry_policy: Retry the child on failure (none by default).
        memo: Values stored with the child.
        event_groups: Event groups of the child's commands (besides the active scopes).

    Returns:
        A handle to the started child; await it for the child's result.

    Raises:
        durable.exceptions.WorkflowAlreadyStartedError: A workflow with this id is running
            (or the reuse policy refuses the id).
        asyncio.CancelledError: Cancelled before the start command was sent.
        ValueError: Bad options.
    """
    from durable.common import WorkflowIdReusePolicy

    name, ret_type = _workflow_name_and_result_type(workflow)
    all_args = _one_or_many(arg, args)
    if id is not None and (not isinstance(id, str) or not id):
        raise ValueError(f"child workflow id must be a non-empty string, got {id!r}")
    if task_queue is not None and (not isinstance(task_queue, str) or not task_queue):
        raise ValueError(f"task_queue must be a non-empty string, got {task_queue!r}")
    if not isinstance(cancellation_type, ChildWorkflowCancellationType):
        raise ValueError(f"cancellation_type must be a ChildWorkflowCancellationType, "
                         f"got {cancellation_type!r}")
    if not isinstance(parent_close_policy, ParentClosePolicy):
        raise ValueError(f"parent_close_policy must be a ParentClosePolicy, "
                         f"got {parent_close_policy!r}")
    options = _ChildWorkflowOptions(
        id=id if id is not None else str(uuid4()),
        task_queue=task_queue,
        result_type=result_type if result_type is not None else ret_type,
        cancellation_type=cancellation_type,
        parent_close_policy=parent_close_policy,
        execution_timeout=execution_timeout,
        run_timeout=run_timeout,
        task_timeout=task_timeout,
        id_reuse_policy=(id_reuse_policy if id_reuse_policy is not None
                         else WorkflowIdReusePolicy.ALLOW_DUPLICATE),
        retry_policy=retry_policy,
        memo=memo,
    )
    with _event_groups_applied(event_groups):
        return await _Runtime.current().workflow_start_child_workflow(name, all_args, options)


async def execute_child_workflow(
    workflow: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    **kwargs: Any,
) -> Any:
    """Start a child workflow and wait for its result (:func:`start_child_workflow`, await).

    Takes the same options as :func:`start_child_workflow`.

    Returns:
        The child's result.

    Raises:
        durable.exceptions.ChildWorkflowError: The child failed, was cancelled, terminated
            or timed out; ``cause`` says which.
        durable.exceptions.WorkflowAlreadyStartedError: As :func:`start_child_workflow`.
    """
    handle = await start_child_workflow(workflow, arg, args=args, **kwargs)
    return await handle


# --- External workflows ---------------------------------------------------------------------


class ExternalWorkflowHandle(Generic[SelfType]):
    """A handle to another workflow, to signal or cancel it from workflow code.

    Both calls are commands recorded in this workflow's history. Get one with
    :func:`get_external_workflow_handle`.
    """

    def __init__(self, id: str, run_id: str | None) -> None:
        self._id = id
        self._run_id = run_id

    @property
    def id(self) -> str:
        """The workflow id."""
        return self._id

    @property
    def run_id(self) -> str | None:
        """The run id (None = the latest run)."""
        return self._run_id

    async def signal(self, signal: str | Callable[..., Any], arg: Any = _arg_unset, *,
                     args: Sequence[Any] = (),
                     event_groups: Sequence[EventGroup] | None = None) -> None:
        """Send a signal to the workflow.

        Args:
            signal: The signal name, or the target's ``@workflow.signal`` method.
            arg: The single argument (or use ``args``).
            args: Several arguments.
            event_groups: Event groups of the signal's command (besides the active scopes).

        Raises:
            durable.exceptions.ApplicationError: No such (running) workflow.
            ValueError: Both ``arg`` and ``args`` given.
        """
        with _event_groups_applied(event_groups):
            await _Runtime.current().workflow_signal_external(
                self._id, self._run_id, _signal_name(signal), _one_or_many(arg, args),
                child_workflow_only=False)

    async def cancel(self) -> None:
        """Request cancellation of the workflow; returns once the request is recorded.

        Raises:
            durable.exceptions.ApplicationError: No such (running) workflow.
        """
        await _Runtime.current().workflow_cancel_external(self._id, self._run_id)


def get_external_workflow_handle(workflow_id: str, *,
                                 run_id: str | None = None) -> ExternalWorkflowHandle[Any]:
    """A handle to another workflow (no call is made).

    Args:
        workflow_id: The workflow id.
        run_id: A specific run; the latest when None.

    Raises:
        ValueError: Empty workflow id.
        RuntimeError: Not called from workflow code.
    """
    _Runtime.current()
    if not isinstance(workflow_id, str) or not workflow_id:
        raise ValueError(f"workflow id must be a non-empty string, got {workflow_id!r}")
    return ExternalWorkflowHandle(workflow_id, run_id or None)


def get_external_workflow_handle_for(workflow: Any, workflow_id: str, *,
                                     run_id: str | None = None) -> ExternalWorkflowHandle[Any]:
    """Like :func:`get_external_workflow_handle`, typed by the workflow's run method."""
    _workflow_name_and_result_type(workflow)
    return get_external_workflow_handle(workflow_id, run_id=run_id)


# --- Continue-as-new ------------------------------------------------------------------------


class ContinueAsNewError(BaseException):
    """Raised by :func:`continue_as_new`; the worker turns it into the continue-as-new command.

    A ``BaseException`` so that ``except Exception`` in workflow code does not swallow it.
    Do not catch it.
    """

    def __init__(self, *, workflow_type: str | None, args: list[Any], task_queue: str | None,
                 run_timeout: timedelta | None, task_timeout: timedelta | None,
                 retry_policy: RetryPolicy | None, memo: Mapping[str, Any] | None,
                 headers: Mapping[str, Any] | None = None) -> None:
        super().__init__("continue as new")
        self.headers = dict(headers or {})  # the new run's header (set by interceptors)
        self.workflow_type = workflow_type
        self.input_args = args
        self.task_queue = task_queue
        self.run_timeout = run_timeout
        self.task_timeout = task_timeout
        self.retry_policy = retry_policy
        self.memo = memo


def continue_as_new(
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    memo: Mapping[str, Any] | None = None,
    workflow: Any = None,
) -> NoReturn:
    """Close this run and start a new run of the workflow (same id) with fresh history.

    Call it from the run method (or let it propagate there). The new run gets a new run id;
    its ``workflow.info().continued_run_id`` is this run's. ``handle.result()`` on the client
    follows the chain.

    Args:
        arg: The new run's single argument (or use ``args``).
        args: The new run's arguments.
        task_queue: Task queue of the new run; defaults to this one's.
        run_timeout: Run timeout of the new run; defaults to this one's.
        task_timeout: Workflow task timeout of the new run; defaults to this one's.
        retry_policy: Retry policy of the new run; defaults to this one's.
        memo: Memo of the new run; defaults to this one's.
        workflow: Continue as another workflow type (its run method or name); default same.

    Raises:
        ContinueAsNewError: Always (that is how it works).
        RuntimeError: Not called from workflow code.
        ValueError: Both ``arg`` and ``args`` given.
    """
    rt = _Runtime.current()
    wf_type = _workflow_name_and_result_type(workflow)[0] if workflow is not None else None
    rt.workflow_continue_as_new(ContinueAsNewError(
        workflow_type=wf_type, args=_one_or_many(arg, args), task_queue=task_queue,
        run_timeout=run_timeout, task_timeout=task_timeout, retry_policy=retry_policy,
        memo=memo))


# --- Logging --------------------------------------------------------------------------------


class LoggerAdapter(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger that adds the workflow's ids and stays silent while replaying.

    Attributes:
        log_during_replay: Set to True to also log while history is replayed.
    """

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger, {})
        self.log_during_replay = False

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        rt = _Runtime.maybe_current()
        if rt is not None:
            i = rt.workflow_info()
            extra = {
                "workflow_id": i.workflow_id,
                "run_id": i.run_id,
                "workflow_type": i.workflow_type,
                "task_queue": i.task_queue,
                "attempt": i.attempt,
            }
            kwargs["extra"] = {**extra, "durable_workflow": extra, **(kwargs.get("extra") or {})}
            msg = f"{msg} ({{'workflow_type': {i.workflow_type!r}, 'workflow_id': {i.workflow_id!r}, 'run_id': {i.run_id!r}}})"
        return msg, kwargs

    def isEnabledFor(self, level: int) -> bool:
        if not self.log_during_replay and unsafe.is_replaying():
            return False
        return super().isEnabledFor(level)

    @property
    def base_logger(self) -> logging.Logger:
        """The wrapped logger."""
        return self.logger


logger = LoggerAdapter(logging.getLogger("durable.workflow"))
"""Logger for workflow code: adds the workflow ids, silent during replay."""


from durable._workflow_handlers import (  # noqa: E402  (they use this module)
    HandlerUnfinishedPolicy,
    RawValue,
    ReadOnlyContextError,
    UnfinishedSignalHandlersWarning,
    UnfinishedUpdateHandlersWarning,
    UpdateInfo,
    current_update_info,
    get_dynamic_query_handler,
    get_dynamic_signal_handler,
    get_dynamic_update_handler,
    get_query_handler,
    get_signal_handler,
    get_update_handler,
    query,
    set_dynamic_query_handler,
    set_dynamic_signal_handler,
    set_dynamic_update_handler,
    set_query_handler,
    set_signal_handler,
    set_update_handler,
    signal,
    update,
)
