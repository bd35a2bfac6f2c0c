"""Signal, query and update handlers of workflows (re-exported by ``durable.workflow``).

Handlers are methods of the ``@workflow.defn`` class marked with :func:`signal`,
:func:`query` or :func:`update`, or callables registered while the workflow runs with
``workflow.set_signal_handler`` & co. The decorators validate at definition time; the
worker's workflow instance (``worker/_workflow_instance.py``) calls the handlers:

* a signal handler (sync or async) runs as a task of the workflow, in the order signals
  were recorded; a signal without a handler is buffered until one is registered;
* a query handler (sync only) runs read-only: issuing a command from it is an error;
* an update handler (sync or async) runs as a task after its optional validator (sync,
  read-only) accepted the update; a validator that raises rejects the update, which leaves
  no trace in history.
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar, overload


def _wf() -> Any:
    """``durable.workflow``, imported late (it re-exports this module's names)."""
    from durable import workflow

    return workflow

CallableType = TypeVar("CallableType", bound=Callable[..., Any])

_SIGNAL_ATTR = "__durable_signal_definition"
_QUERY_ATTR = "__durable_query_definition"
_UPDATE_ATTR = "__durable_update_definition"
_HANDLERS_ATTR = "__durable_workflow_handlers"


@dataclass(frozen=True)
class RawValue:
    """An undecoded argument of a dynamic handler (as ``temporalio.common.RawValue``).

    Decode it with ``workflow.payload_converter().from_payload(raw.payload, MyType)``.

    Attributes:
        payload: The payload as recorded.
    """

    payload: Any


class HandlerUnfinishedPolicy(Enum):
    """What happens when the workflow closes while this handler still runs (as temporalio).

    Either way the handler is abandoned; the difference is the warning.
    """

    WARN_AND_ABANDON = 1
    """Warn (``UnfinishedUpdateHandlersWarning`` / ``UnfinishedSignalHandlersWarning``)."""
    ABANDON = 2
    """Abandon silently (the update's caller gets an error instead of a result)."""


class UnfinishedUpdateHandlersWarning(RuntimeWarning):
    """The workflow closed while update handlers were still running."""


class UnfinishedSignalHandlersWarning(RuntimeWarning):
    """The workflow closed while signal handlers were still running."""


@dataclass(frozen=True)
class UpdateInfo:
    """The update whose handler (or validator) is running (see :func:`current_update_info`).

    Attributes:
        id: The update's id.
        name: The update's name.
    """

    id: str
    name: str


_current_update_info: contextvars.ContextVar[UpdateInfo] = contextvars.ContextVar(
    "durable_current_update_info")


def current_update_info() -> UpdateInfo | None:
    """The update being handled by the calling code, or None.

    Held in a ``contextvars`` variable: set in the update's validator, its handler and the
    tasks the handler starts; None anywhere else.
    """
    return _current_update_info.get(None)


class ReadOnlyContextError(Exception):
    """Code that must be read-only (a query handler, an update validator) tried to change the
    workflow: issue a command, start a task, schedule a callback, check a patch."""


@dataclass
class _HandlerDefinition:
    """A signal, query or update handler.

    Attributes:
        kind: ``"signal"``, ``"query"`` or ``"update"``.
        name: The handler's name; None for the dynamic handler (any name without its own).
        fn: The function (an unbound method when ``is_method``).
        is_method: Whether ``fn`` takes the workflow object first.
        arg_types: Parameter annotations used to decode arguments (None: untyped).
        ret_type: Return annotation (query and update results).
        validator: An update's validator (same parameters, returns None).
    """

    kind: str
    name: str | None
    fn: Callable[..., Any]
    is_method: bool
    arg_types: list[Any] | None
    ret_type: Any
    validator: Callable[..., Any] | None = None
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON
    description: str | None = None

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)

    def describe(self) -> str:
        return f"{self.kind} {self.name!r}" if self.name is not None else f"dynamic {self.kind}"


@dataclass
class _Handlers:
    """The handlers a workflow class defines, by kind then name (None = dynamic)."""

    signals: dict[str | None, _HandlerDefinition] = field(default_factory=dict)
    queries: dict[str | None, _HandlerDefinition] = field(default_factory=dict)
    updates: dict[str | None, _HandlerDefinition] = field(default_factory=dict)

    @staticmethod
    def of_class(cls: type) -> _Handlers:
        h = cls.__dict__.get(_HANDLERS_ATTR)
        if not isinstance(h, _Handlers):
            h = _collect(cls)
        return h


def _collect(cls: type) -> _Handlers:
    """Find and validate the handlers of a workflow class; cached on the class.

    Raises:
        ValueError: Two handlers of one kind share a name.
    """
    handlers = _Handlers()
    seen: dict[tuple[str, str | None], str] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            for a in (_SIGNAL_ATTR, _QUERY_ATTR, _UPDATE_ATTR):
                d = getattr(value, a, None)
                if not isinstance(d, _HandlerDefinition):
                    continue
                key = (d.kind, d.name)
                other = seen.get(key)
                if other is not None and other != attr and klass is cls:
                    raise ValueError(
                        f"workflow class {cls.__qualname__}: {attr} and {other} are both the "
                        f"{d.describe()} handler")
                seen[key] = attr
                getattr(handlers, d.kind + "s" if d.kind != "query" else "queries")[d.name] = d
    setattr(cls, _HANDLERS_ATTR, handlers)
    return handlers


def _make(kind: str, fn: Callable[..., Any], name: str | None, dynamic: bool,
          unfinished_policy: HandlerUnfinishedPolicy, description: str | None
          ) -> _HandlerDefinition:
    if not callable(fn):
        raise ValueError(f"@workflow.{kind} decorates a method, got {fn!r}")
    qual = getattr(fn, "__qualname__", repr(fn))
    if dynamic and name is not None:
        raise ValueError(f"{qual}: a dynamic {kind} handler has no name; pass name= or dynamic=True")
    if name is not None and (not isinstance(name, str) or not name):
        raise ValueError(f"{qual}: the {kind} name must be a non-empty string, got {name!r}")
    if kind == "query" and inspect.iscoroutinefunction(fn):
        raise ValueError(f"query handler {qual} must not be async: queries read workflow state "
                         "and cannot wait; use 'def', not 'async def'")
    arg_types, ret_type = _wf()._type_hints(fn, skip_first=True)
    if dynamic:
        params = list(inspect.signature(fn).parameters.values())[1:]
        if len(params) != 2:
            raise ValueError(f"dynamic {kind} handler {qual} must take (self, name: str, "
                             "args: Sequence[RawValue])")
        arg_types = None
    if not isinstance(unfinished_policy, HandlerUnfinishedPolicy):
        raise ValueError(f"{qual}: unfinished_policy must be a HandlerUnfinishedPolicy, got "
                         f"{unfinished_policy!r}")
    return _HandlerDefinition(kind=kind, name=None if dynamic else (name or fn.__name__),
                              fn=fn, is_method=True, arg_types=arg_types, ret_type=ret_type,
                              unfinished_policy=unfinished_policy, description=description)


def _decorator(kind: str, attr: str, fn: Any, name: str | None, dynamic: bool,
               unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
               description: str | None = None) -> Any:
    def apply(f: CallableType) -> CallableType:
        d = _make(kind, f, name, dynamic, unfinished_policy, description)
        setattr(f, attr, d)
        if kind == "update":
            setattr(f, "validator", _validator_decorator(d))
        return f

    if fn is not None:
        return apply(fn)
    return apply


@overload
def signal(fn: CallableType) -> CallableType: ...


@overload
def signal(*, name: str | None = None, dynamic: bool = False,
           unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
           description: str | None = None) -> Callable[[CallableType], CallableType]: ...


def signal(fn: CallableType | None = None, *, name: str | None = None,
           dynamic: bool = False,
           unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
           description: str | None = None) -> Any:
    """Mark a method of a workflow class as a signal handler.

    A signal is a one-way message recorded in history. Its handler (``def`` or ``async
    def``) runs as a task of the workflow, in the order signals were recorded; signals
    that arrive before a handler exists are kept until one is registered.

    Args:
        fn: The method (when used without parentheses).
        name: Signal name; defaults to the method's name.
        dynamic: Handle every signal that has no handler of its own; the method then takes
            ``(self, name: str, args: Sequence[RawValue])``.
        unfinished_policy: Whether closing the workflow while this handler runs warns
            (the default) or not; see :func:`all_handlers_finished`.
        description: Free text (kept on the definition; durable shows it nowhere yet).

    Returns:
        The method, marked.

    Raises:
        ValueError: Both ``name`` and ``dynamic``, an empty name, or a dynamic handler with
            the wrong parameters.
    """
    return _decorator("signal", _SIGNAL_ATTR, fn, name, dynamic, unfinished_policy,
                      description)


@overload
def query(fn: CallableType) -> CallableType: ...


@overload
def query(*, name: str | None = None, dynamic: bool = False,
          description: str | None = None) -> Callable[[CallableType], CallableType]: ...


def query(fn: CallableType | None = None, *, name: str | None = None,
          dynamic: bool = False, description: str | None = None) -> Any:
    """Mark a method of a workflow class as a query handler.

    Queries read workflow state and return a value; they are not recorded in history. The
    handler must be a plain ``def`` and must not issue commands (start an activity, sleep,
    ...): doing so fails the query with a clear error.

    Args:
        fn: The method (when used without parentheses).
        name: Query name; defaults to the method's name.
        dynamic: Answer every query that has no handler of its own; the method then takes
            ``(self, name: str, args: Sequence[RawValue])``.

    Returns:
        The method, marked.

    Raises:
        ValueError: The method is ``async``, or the options are wrong (as for signal).
    """
    return _decorator("query", _QUERY_ATTR, fn, name, dynamic, description=description)


@overload
def update(fn: CallableType) -> CallableType: ...


@overload
def update(*, name: str | None = None, dynamic: bool = False,
           unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
           description: str | None = None) -> Callable[[CallableType], CallableType]: ...


def update(fn: CallableType | None = None, *, name: str | None = None,
           dynamic: bool = False,
           unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
           description: str | None = None) -> Any:
    """Mark a method of a workflow class as an update handler.

    An update is a request that the workflow accepts (recorded), handles, and answers with
    a result (recorded). Add a validator with ``@my_update.validator``: a plain ``def``
    with the same parameters that raises to reject the update (rejections leave no trace
    in history) and must not change state.

    Args:
        fn: The method (when used without parentheses).
        name: Update name; defaults to the method's name.
        dynamic: Handle every update that has no handler of its own; the method then takes
            ``(self, name: str, args: Sequence[RawValue])``.
        unfinished_policy: Whether closing the workflow while this handler runs warns
            (the default) or not; the update's caller gets an error either way.
        description: Free text (kept on the definition).

    Returns:
        The method, marked, with a ``validator`` decorator attribute.

    Raises:
        ValueError: The options are wrong (as for signal).
    """
    return _decorator("update", _UPDATE_ATTR, fn, name, dynamic, unfinished_policy,
                      description)


def _validator_decorator(d: _HandlerDefinition) -> Callable[[CallableType], CallableType]:
    def validator(vfn: CallableType) -> CallableType:
        if inspect.iscoroutinefunction(vfn):
            raise ValueError(f"update validator {vfn.__qualname__} must not be async: a "
                             "validator decides at once, without waiting")
        d.validator = vfn
        return vfn

    return validator


def _definition_of(fn: Any, kind: str) -> _HandlerDefinition | None:
    attr = {"signal": _SIGNAL_ATTR, "query": _QUERY_ATTR, "update": _UPDATE_ATTR}[kind]
    d = getattr(fn, attr, None)
    return d if isinstance(d, _HandlerDefinition) else None


def _name_and_ret_type(handler: Any, kind: str) -> tuple[str, Any]:
    """Name and result type of a handler given to the client: a marked method or a name.

    Raises:
        ValueError: Not a string, nor a method marked with ``@workflow.<kind>``, or dynamic.
    """
    if isinstance(handler, str):
        if not handler:
            raise ValueError(f"{kind} name must not be empty")
        return handler, None
    d = _definition_of(handler, kind)
    if d is None:
        raise ValueError(
            f"{getattr(handler, '__qualname__', handler)!r} is not a {kind} handler: pass a "
            f"method marked with @workflow.{kind}, or the {kind}'s name as a string")
    if d.name is None:
        raise ValueError(f"{getattr(handler, '__qualname__', handler)!r} is a dynamic {kind} "
                         "handler: pass the name to send as a string")
    return d.name, d.ret_type


def _runtime_definition(kind: str, name: str | None, handler: Callable[..., Any] | None,
                        validator: Callable[..., Any] | None = None
                        ) -> _HandlerDefinition | None:
    """A definition for a handler registered at run time (a plain callable, not a method)."""
    if handler is None:
        return None
    if not callable(handler):
        raise ValueError(f"{kind} handler must be callable, got {handler!r}")
    if kind == "query" and inspect.iscoroutinefunction(handler):
        raise ValueError("a query handler must not be async")
    if name is not None and (not isinstance(name, str) or not name):
        raise ValueError(f"{kind} name must be a non-empty string, got {name!r}")
    arg_types, ret_type = _wf()._type_hints(handler, skip_first=False)
    return _HandlerDefinition(kind=kind, name=name, fn=handler, is_method=False,
                              arg_types=None if name is None else arg_types,
                              ret_type=ret_type, validator=validator)


def set_signal_handler(name: str, handler: Callable[..., Any] | None) -> None:
    """Register (or with None, remove) the handler of signal ``name`` while the workflow runs.

    Signals of that name buffered so far are delivered to it at once, in order.

    Raises:
        ValueError: Empty name or not callable.
        RuntimeError: Not in workflow code.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"signal name must be a non-empty string, got {name!r}")
    _wf()._Runtime.current().workflow_set_handler(
        "signal", name, _runtime_definition("signal", name, handler))


def set_dynamic_signal_handler(handler: Callable[..., Any] | None) -> None:
    """Register (or remove) the handler of signals without their own handler.

    It is called as ``handler(name, args)`` with ``args`` a sequence of :class:`RawValue`.
    """
    _wf()._Runtime.current().workflow_set_handler(
        "signal", None, _runtime_definition("signal", None, handler))


def set_query_handler(name: str, handler: Callable[..., Any] | None) -> None:
    """Register (or remove) the handler of query ``name`` while the workflow runs.

    Raises:
        ValueError: Empty name, not callable, or async.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"query name must be a non-empty string, got {name!r}")
    _wf()._Runtime.current().workflow_set_handler(
        "query", name, _runtime_definition("query", name, handler))


def set_dynamic_query_handler(handler: Callable[..., Any] | None) -> None:
    """Register (or remove) the handler of queries without their own handler."""
    _wf()._Runtime.current().workflow_set_handler(
        "query", None, _runtime_definition("query", None, handler))


def set_update_handler(name: str, handler: Callable[..., Any] | None, *,
                       validator: Callable[..., Any] | None = None) -> None:
    """Register (or remove) the handler (and validator) of update ``name`` while running.

    Raises:
        ValueError: Empty name or not callable.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"update name must be a non-empty string, got {name!r}")
    _wf()._Runtime.current().workflow_set_handler(
        "update", name, _runtime_definition("update", name, handler, validator))


def set_dynamic_update_handler(handler: Callable[..., Any] | None, *,
                               validator: Callable[..., Any] | None = None) -> None:
    """Register (or remove) the handler of updates without their own handler."""
    _wf()._Runtime.current().workflow_set_handler(
        "update", None, _runtime_definition("update", None, handler, validator))


def get_signal_handler(name: str) -> Callable[..., Any] | None:
    """The current handler of signal ``name`` (bound to the workflow object), or None."""
    return _wf()._Runtime.current().workflow_get_handler("signal", name)


def get_dynamic_signal_handler() -> Callable[..., Any] | None:
    """The current dynamic signal handler, or None."""
    return _wf()._Runtime.current().workflow_get_handler("signal", None)


def get_query_handler(name: str) -> Callable[..., Any] | None:
    """The current handler of query ``name``, or None."""
    return _wf()._Runtime.current().workflow_get_handler("query", name)


def get_dynamic_query_handler() -> Callable[..., Any] | None:
    """The current dynamic query handler, or None."""
    return _wf()._Runtime.current().workflow_get_handler("query", None)


def get_update_handler(name: str) -> Callable[..., Any] | None:
    """The current handler of update ``name``, or None."""
    return _wf()._Runtime.current().workflow_get_handler("update", name)


def get_dynamic_update_handler() -> Callable[..., Any] | None:
    """The current dynamic update handler, or None."""
    return _wf()._Runtime.current().workflow_get_handler("update", None)


__all__ = [
    "HandlerUnfinishedPolicy",
    "RawValue",
    "UnfinishedSignalHandlersWarning",
    "UnfinishedUpdateHandlersWarning",
    "UpdateInfo",
    "current_update_info",
    "ReadOnlyContextError",
    "get_dynamic_query_handler",
    "get_dynamic_signal_handler",
    "get_dynamic_update_handler",
    "get_query_handler",
    "get_signal_handler",
    "get_update_handler",
    "query",
    "set_dynamic_query_handler",
    "set_dynamic_signal_handler",
    "set_dynamic_update_handler",
    "set_query_handler",
    "set_signal_handler",
    "set_update_handler",
    "signal",
    "update",
]
