"""Refuse obviously non-deterministic calls made from workflow code, without a sandbox.

Installed once per process (``install()``, done when ``durable.workflow`` is imported):

* module-level callables ``time.time``, ``time.time_ns``, ``time.monotonic``,
  ``time.monotonic_ns``, ``time.perf_counter``, ``time.perf_counter_ns``, the functions of the
  ``random`` module, ``uuid.uuid1``, ``uuid.uuid4``, ``os.urandom``, ``time.sleep`` and
  ``threading.Thread.start`` are replaced by
  wrappers that raise :class:`NondeterminismGuardError` while workflow code runs on this
  thread and call the original otherwise;
* an audit hook (``sys.addaudithook``) refuses, while workflow code runs: ``open`` (except
  reading Python sources, as imports and tracebacks do), sockets, subprocesses,
  ``os.system`` / ``exec`` / ``fork`` / ``posix_spawn``, new threads and ``time.sleep``;
* ``guard_module(name)`` (called by ``@workflow.defn`` for the workflow's module) rebinds that
  module's names for the above callables (``from time import time``, bound before durable
  was imported) and for ``datetime`` / ``date`` / the ``datetime`` module, to guarded
  versions whose ``now()`` / ``utcnow()`` / ``today()`` refuse in workflow code.

"While workflow code runs" is a thread-local flag the workflow instance sets around each
activation (``active()``). Outside it, a wrapper costs one Python call and one attribute read.
Calls made by ``logging`` and by durable itself (e.g. a log record's timestamp) pass.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
import random
import sys
import threading
import time
import types
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class NondeterminismGuardError(RuntimeError):
    """Workflow code called something non-deterministic or blocking (``time.time()``,
    ``datetime.now()``, ``random.random()``, ``uuid.uuid4()``, ``open()``, a socket, a thread,
    a subprocess, ``time.sleep()``). The message names the deterministic alternative.

    It fails the workflow task (not the workflow): fix the code and the task is retried.
    """


class _State(threading.local):
    active = False


_state = _State()
_ALLOWED_CALLERS = ("logging", "durable.", "traceback", "linecache", "warnings", "inspect")

_ADVICE_TIME = "use workflow.now() or workflow.time() (the time of the workflow task)"
_ADVICE_RANDOM = "use workflow.random() (seeded per run, the same on replay)"
_ADVICE_UUID = "use workflow.uuid4() (drawn from workflow.random())"
_ADVICE_IO = "do I/O in an activity (workflow.execute_activity)"
_ADVICE_SLEEP = ("use asyncio.sleep() or workflow.sleep() (a durable timer); never block the "
                 "workflow thread")
_ADVICE_THREAD = "use asyncio.create_task() for concurrency inside a workflow"


def _refuse(what: str, advice: str) -> None:
    raise NondeterminismGuardError(
        f"{what} is not allowed in workflow code: it is not deterministic, so replaying the "
        f"workflow's history would diverge; {advice}")


def _caller_allowed(depth: int) -> bool:
    try:
        name = sys._getframe(depth).f_globals.get("__name__", "")
    except ValueError:
        return True
    return name.startswith(_ALLOWED_CALLERS)


@contextmanager
def active() -> Iterator[None]:
    """Mark this thread as running workflow code for the duration of the block."""
    previous = _state.active
    _state.active = True
    try:
        yield
    finally:
        _state.active = previous


@contextmanager
def suspended() -> Iterator[None]:
    """Let the block call guarded functions (SDK code acting on behalf of the workflow)."""
    previous = _state.active
    _state.active = False
    try:
        yield
    finally:
        _state.active = previous


def _wrap(fn: Callable[..., Any], what: str, advice: str) -> Callable[..., Any]:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if _state.active and not _caller_allowed(2):
            _refuse(what, advice)
        return fn(*args, **kwargs)

    functools.update_wrapper(guarded, fn)
    guarded.__durable_original__ = fn  # type: ignore[attr-defined]
    return guarded


_RANDOM_FUNCS = ("random", "uniform", "triangular", "randint", "choice", "randrange", "sample",
                 "shuffle", "choices", "normalvariate", "lognormvariate", "expovariate",
                 "vonmisesvariate", "gammavariate", "gauss", "betavariate", "paretovariate",
                 "weibullvariate", "getrandbits", "randbytes", "seed", "getstate", "setstate")

_replaced: dict[int, Callable[..., Any]] = {}  # id(original) -> wrapper
_installed = False
_install_lock = threading.Lock()


def _patch(module: Any, name: str, what: str, advice: str) -> None:
    original = getattr(module, name, None)
    if original is None or hasattr(original, "__durable_original__"):
        return
    wrapper = _wrap(original, what, advice)
    _replaced[id(original)] = wrapper
    setattr(module, name, wrapper)


_AUDIT_REFUSED = {
    "socket.__new__": "opening a socket", "socket.connect": "connecting a socket",
    "socket.getaddrinfo": "resolving a host name", "subprocess.Popen": "starting a subprocess",
    "os.system": "os.system()", "os.exec": "os.exec*()", "os.fork": "os.fork()",
    "os.posix_spawn": "os.posix_spawn()", "os.spawn": "os.spawn*()",
    "_thread.start_new_thread": "starting a thread", "time.sleep": "time.sleep()",
    "urllib.Request": "an HTTP request",
}
_SOURCE_SUFFIXES = (".py", ".pyc", ".pyi", ".so", ".pth")


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _state.active:
        return
    if event == "open":
        path, mode = args[0], args[1]
        read_only = mode is None or (isinstance(mode, str) and not set(mode) & set("wax+"))
        if read_only and isinstance(path, (str, bytes, os.PathLike)) and os.fspath(
                path if not isinstance(path, bytes) else path.decode(errors="replace")
        ).endswith(_SOURCE_SUFFIXES):
            return  # imports and tracebacks read sources
        if _caller_allowed(2):
            return
        _refuse(f"open({path!r})", _ADVICE_IO)
    what = _AUDIT_REFUSED.get(event)
    if what is not None and not _caller_allowed(2):
        if event == "time.sleep":
            _refuse(what, _ADVICE_SLEEP)
        if event == "_thread.start_new_thread":
            _refuse(what, _ADVICE_THREAD)
        _refuse(what, _ADVICE_IO)


def install() -> None:
    """Patch the module-level callables and add the audit hook (once per process)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        _installed = True
        for name in ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter",
                     "perf_counter_ns"):
            _patch(time, name, f"time.{name}()", _ADVICE_TIME)
        for name in _RANDOM_FUNCS:
            _patch(random, name, f"random.{name}()", _ADVICE_RANDOM)
        _patch(uuid, "uuid1", "uuid.uuid1()", _ADVICE_UUID)
        _patch(uuid, "uuid4", "uuid.uuid4()", _ADVICE_UUID)
        _patch(os, "urandom", "os.urandom()", _ADVICE_RANDOM)
        # No audit events for these before Python 3.12 / 3.13.
        _patch(time, "sleep", "time.sleep()", _ADVICE_SLEEP)
        _patch(threading.Thread, "start", "starting a thread", _ADVICE_THREAD)
        sys.addaudithook(_audit)


# --- datetime ---------------------------------------------------------------------------


def _guarded_class(original: type, what: str, methods: tuple[str, ...]) -> type:
    """A stand-in for ``datetime.datetime`` / ``datetime.date`` in a workflow module.

    Its ``now()`` & co. refuse in workflow code; it builds instances of the original class,
    and ``isinstance`` / ``issubclass`` / ``==`` treat it as the original.
    """

    class _Meta(type):
        def __instancecheck__(cls, obj: Any) -> bool:
            return isinstance(obj, original)

        def __subclasscheck__(cls, sub: type) -> bool:
            return issubclass(sub, original)

        def __eq__(cls, other: object) -> bool:
            return other is cls or other is original

        def __hash__(cls) -> int:
            return hash(original)

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        return original(*args, **kwargs)

    ns: dict[str, Any] = {"__new__": __new__, "__module__": original.__module__,
                          "__qualname__": original.__qualname__, "__doc__": original.__doc__}

    def guard(name: str) -> classmethod:  # type: ignore[type-arg]
        target = getattr(original, name)
        if name == "utcnow" and sys.version_info >= (3, 12):
            target = _utcnow_warning_at_caller

        def method(cls: type, *args: Any, **kwargs: Any) -> Any:
            if _state.active and not _caller_allowed(2):
                _refuse(f"{what}.{name}()", _ADVICE_TIME)
            return target(*args, **kwargs)

        method.__name__ = name
        return classmethod(method)

    for m in methods:
        ns[m] = guard(m)
    return _Meta(original.__name__, (original,), ns)


def _utcnow_warning_at_caller() -> _dt.datetime:
    """``datetime.utcnow()`` from 3.12, with its DeprecationWarning attributed to the code
    that called it (the C original would blame this module, so a user's warning filters and
    ``-W error`` for their own code would misfire on durable)."""
    warnings.warn("datetime.datetime.utcnow() is deprecated and scheduled for removal in a "
                  "future version. Use timezone-aware objects to represent datetimes in UTC: "
                  "datetime.datetime.now(datetime.UTC).", DeprecationWarning, stacklevel=3)
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)


_GuardedDatetime = _guarded_class(_dt.datetime, "datetime", ("now", "utcnow", "today"))
_GuardedDate = _guarded_class(_dt.date, "date", ("today",))


class _GuardedDatetimeModule(types.ModuleType):
    """The ``datetime`` module as a workflow module sees it (``import datetime``)."""

    datetime = _GuardedDatetime
    date = _GuardedDate

    def __getattr__(self, name: str) -> Any:
        return getattr(_dt, name)


_guarded_datetime_module = _GuardedDatetimeModule("datetime")


def guard_module(module_name: str) -> None:
    """Rebind a workflow module's names for guarded callables to their guarded versions.

    Catches ``from time import time`` / ``from datetime import datetime`` written before
    durable was imported. Other modules are left alone.
    """
    install()
    module = sys.modules.get(module_name)
    if module is None or module_name.startswith("durable."):
        return
    g = module.__dict__
    for key, value in list(g.items()):
        if key.startswith("__"):
            continue
        if value is _dt.datetime:
            g[key] = _GuardedDatetime
        elif value is _dt.date:
            g[key] = _GuardedDate
        elif value is _dt:
            g[key] = _guarded_datetime_module
        elif callable(value):
            try:
                wrapper = _replaced.get(id(value))
            except TypeError:
                continue
            if wrapper is not None and getattr(wrapper, "__durable_original__", None) is value:
                g[key] = wrapper
