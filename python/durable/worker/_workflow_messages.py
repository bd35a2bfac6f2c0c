"""Signals, queries, updates and patches of the workflow event loop.

A mixin of ``WorkflowInstance``; the handlers themselves are defined with
``durable.workflow.signal`` / ``query`` / ``update`` (``durable/_workflow_handlers.py``).

* ``SignalWorkflow`` job: the handler runs as a task of the workflow; without a handler the
  signal is buffered (in order) until ``workflow.set_signal_handler`` registers one.
* ``QueryWorkflow`` job: the handler runs at once, read-only, and the answer is a
  ``RespondToQuery`` command (never recorded). An unknown query fails naming the known ones.
* ``DoUpdate`` job: when ``run_validator`` (a live request), the validator runs read-only;
  if it raises, ``RejectUpdate`` (never recorded). Otherwise ``AcceptUpdate`` and the
  handler runs as a task whose outcome is ``CompleteUpdate``.
* Signal and update handlers in progress are tracked (``workflow.all_handlers_finished``);
  closing the workflow while some run warns per their ``unfinished_policy``
  (``UnfinishedUpdateHandlersWarning`` / ``UnfinishedSignalHandlersWarning``, as temporalio).
* ``workflow.patched`` / ``deprecate_patch``: a ``core_patch`` marker (see
  ``cpp/core/src/history/events.h``), answered from ``NotifyHasPatch`` jobs on replay.

Read-only code (queries, validators) cannot issue commands, start tasks or schedule
callbacks: ``workflow.ReadOnlyContextError`` says which handler tried.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import json
import logging
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from durable import workflow
from durable._workflow_event_groups import _inbound_signal_group, _inbound_update_group
from durable._workflow_handlers import (
    HandlerUnfinishedPolicy,
    RawValue,
    ReadOnlyContextError,
    UnfinishedSignalHandlersWarning,
    UnfinishedUpdateHandlersWarning,
    UpdateInfo,
    _current_update_info,
    _HandlerDefinition,
    _Handlers,
)
from durable.exceptions import ApplicationError, FailureError
from durable.exceptions import CancelledError as FailureCancelledError
from durable.v1 import activation_pb2, commands_pb2, common_pb2, history_pb2
from durable.worker import _interceptor

logger = logging.getLogger("durable.worker")

_PATCH_MARKER = "core_patch"
_PATCH_ID_KEY = "patch_id"
_STACK_TRACE_QUERY = "__stack_trace"


class _MessagesMixin:
    """Signal, query and update handlers and patches; mixed into ``WorkflowInstance``."""

    # Provided by WorkflowInstance.
    _commands: list[commands_pb2.Command]
    _pc: Any
    _fc: Any
    _defn: workflow._Definition
    _object: Any
    _replaying: bool
    _completed: bool
    _task_failure: BaseException | None
    _failure_types: tuple[type[BaseException], ...]
    _patches: set[str]

    def _add_command(self, command: commands_pb2.Command) -> None: ...  # pragma: no cover
    def create_task(self, coro: Any, *, name: str | None = None,
                    context: Any = None) -> asyncio.Task[Any]: ...  # pragma: no cover

    def _init_messages(self) -> None:
        handlers = _Handlers.of_class(self._defn.cls)
        self._handlers: dict[str, dict[str | None, _HandlerDefinition]] = {
            "signal": dict(handlers.signals),
            "query": dict(handlers.queries),
            "update": dict(handlers.updates),
        }
        self._buffered_signals: list[activation_pb2.SignalWorkflow] = []
        self._read_only: str | None = None  # the read-only handler running, if any
        self._patch_memo: dict[str, bool] = {}
        # Running signal / update handlers: key -> (definition, name, update id or None).
        self._in_progress: dict[int, tuple[_HandlerDefinition, str, str | None]] = {}
        self._in_progress_seq = 0

    def _handler_started(self, d: _HandlerDefinition, name: str, update_id: str | None) -> int:
        self._in_progress_seq += 1
        self._in_progress[self._in_progress_seq] = (d, name, update_id)
        return self._in_progress_seq

    def _warn_unfinished_handlers(self) -> None:
        """Called when the workflow closes: warn about handlers still running (as temporalio),
        unless their ``unfinished_policy`` is ABANDON."""
        warn = [(d, name, uid) for d, name, uid in self._in_progress.values()
                if d.unfinished_policy is HandlerUnfinishedPolicy.WARN_AND_ABANDON]
        where = f"workflow {getattr(self, '_workflow_id', '?')} ({self._defn.name})"
        advice = ("wait for them with `await workflow.wait_condition(workflow.all_handlers_finished)` "
                  "before returning, or mark the handler `unfinished_policy="
                  "workflow.HandlerUnfinishedPolicy.ABANDON` if cutting it short is fine")
        updates = [{"name": name, "id": uid} for d, name, uid in warn if d.kind == "update"]
        if updates:
            self._warn(UnfinishedUpdateHandlersWarning(
                f"[TMPRL1102] {where} finished while update handlers were still running; "
                f"their callers get an error instead of a result. To avoid it, {advice}. "
                f"Unfinished updates: {json.dumps(updates)}"))
        signals = Counter(name for d, name, _ in warn if d.kind == "signal")
        if signals:
            self._warn(UnfinishedSignalHandlersWarning(
                f"[TMPRL1102] {where} finished while signal handlers were still running. "
                f"To avoid it, {advice}. Unfinished signals: "
                f"{json.dumps([{'name': n, 'count': c} for n, c in signals.most_common()])}"))

    @staticmethod
    def _warn(warning: Warning) -> None:
        try:
            warnings.warn(warning, stacklevel=1)
        except Exception:  # warnings turned into errors: never fail the workflow task for it
            logger.warning("%s", warning)

    def workflow_all_handlers_finished(self) -> bool:
        return not self._in_progress

    def workflow_is_read_only(self) -> bool:
        return self._read_only is not None

    def _apply_message_job(self, kind: str, job: activation_pb2.WorkflowActivationJob) -> bool:
        """Apply a signal / query / update job; False if ``kind`` is none of them."""
        if kind == "signal_workflow":
            self._signal(job.signal_workflow)
        elif kind == "query_workflow":
            self._commands.append(self._query(job.query_workflow))
        elif kind == "do_update":
            self._update(job.do_update)
        else:
            return False
        return True

    # --- Read-only scope --------------------------------------------------------------------

    @contextmanager
    def _read_only_scope(self, what: str) -> Iterator[None]:
        previous = self._read_only
        self._read_only = what
        try:
            yield
        finally:
            self._read_only = previous

    def _check_writable(self, action: str) -> None:
        """Raise ``ReadOnlyContextError`` if a query or validator is running."""
        if self._read_only is not None:
            raise ReadOnlyContextError(
                f"{self._read_only} tried to {action}: queries and update validators are "
                "read-only (no activities, timers, children, signals, tasks or patches); do "
                "this in the workflow, a signal handler or an update handler")

    # --- Calling handlers -------------------------------------------------------------------

    def _handler_call(self, d: _HandlerDefinition, name: str,
                      payloads: list[common_pb2.Payload],
                      fn: Callable[..., Any] | None = None) -> tuple[Callable[..., Any], list[Any]]:
        """The callable (bound to the workflow object) and decoded arguments of a handler."""
        f = fn if fn is not None else d.fn
        if d.is_method:
            f = functools.partial(f, self._object)
        if d.name is None:  # dynamic: (name, [RawValue, ...])
            return f, [name, [RawValue(p) for p in payloads]]
        hints = d.arg_types
        if hints is not None and len(hints) != len(payloads):
            hints = None  # let the call report the arity mismatch
        return f, (self._pc.from_payloads(payloads, hints) if payloads else [])

    def _known(self, kind: str) -> list[str]:
        names = sorted(n for n in self._handlers[kind] if n is not None)
        if kind == "query":
            names.append(_STACK_TRACE_QUERY)
        return names

    def _lookup(self, kind: str, name: str) -> _HandlerDefinition | None:
        table = self._handlers[kind]
        return table.get(name) or table.get(None)

    def _fails_workflow(self, exc: BaseException) -> bool:
        return isinstance(exc, (FailureError, *self._failure_types))

    # --- Signals ----------------------------------------------------------------------------

    def _signal(self, job: activation_pb2.SignalWorkflow) -> None:
        d = self._lookup("signal", job.signal_name)
        if d is None:
            self._buffered_signals.append(job)
            return
        try:
            fn, args = self._handler_call(d, job.signal_name, list(job.input.payloads))
        except Exception as e:  # as temporalio: a signal that cannot be decoded is dropped
            logger.warning("workflow %s (%s): dropping signal %r whose input cannot be decoded: "
                           "%s", getattr(self, "_workflow_id", "?"), self._defn.name,
                           job.signal_name, e)
            return
        key = self._handler_started(d, job.signal_name, None)
        handle = _interceptor.HandleSignalInput(signal=job.signal_name, args=args,
                                                headers=dict(job.header))
        self.create_task(self._run_signal(handle, key, job.originating_event_id),
                         name=f"signal {job.signal_name}")

    async def _run_signal(self, input: _interceptor.HandleSignalInput, key: int,
                          event_id: int = 0) -> None:
        try:
            with _inbound_signal_group(event_id).scope():
                await self._run_signal_handler(input)
        finally:
            self._in_progress.pop(key, None)

    def _bound_handler(self, kind: str, name: str) -> Callable[..., Any]:
        """The handler for ``name`` (at the end of the inbound interceptor chain)."""
        d = self._lookup(kind, name)
        if d is None:
            raise ApplicationError(f"workflow {self._defn.name!r} has no handler for {kind} "
                                   f"{name!r}; known: {self._known(kind)}",
                                   type=f"{kind.capitalize()}NotFound", non_retryable=True)
        return functools.partial(d.fn, self._object) if d.is_method else d.fn

    async def _call_handler(self, kind: str, name: str, args: Sequence[Any]) -> Any:
        result = self._bound_handler(kind, name)(*args)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def _run_signal_handler(self, input: _interceptor.HandleSignalInput) -> None:
        try:
            await self._inbound.handle_signal(input)  # type: ignore[attr-defined]
        except asyncio.CancelledError:
            return  # the handler was cancelled (eviction or its own choice)
        except GeneratorExit:
            raise
        except BaseException as e:  # a BaseException too: else its task swallows the signal
            self._handler_failed(e)

    def _handler_failed(self, exc: BaseException) -> None:
        """A signal or update handler raised: fail the workflow, or the workflow task."""
        if self._completed or self._task_failure is not None:
            return
        if self._fails_workflow(exc):
            self._add_command(commands_pb2.Command(
                fail_workflow_execution=commands_pb2.FailWorkflowExecutionCommand(
                    failure=self._fc.to_failure(exc, self._pc))))
            self._completed = True
        else:
            self._task_failure = exc

    def _drain_signals(self) -> None:
        pending, self._buffered_signals = self._buffered_signals, []
        for job in pending:
            self._signal(job)  # re-buffers those still without a handler, in order

    # --- Queries ----------------------------------------------------------------------------

    def _query(self, q: activation_pb2.QueryWorkflow) -> commands_pb2.Command:
        respond = commands_pb2.RespondToQueryCommand(query_id=q.query_id)
        try:
            if q.query_type == _STACK_TRACE_QUERY and self._lookup("query", q.query_type) is None:
                value: Any = self._stack_trace()
            else:
                d = self._lookup("query", q.query_type)
                if d is None:
                    raise ApplicationError(
                        f"workflow {self._defn.name!r} has no handler for query "
                        f"{q.query_type!r}; known queries: {self._known('query')}",
                        type="QueryNotFound", non_retryable=True)
                _, args = self._handler_call(d, q.query_type, list(q.arguments.payloads))
                handle = _interceptor.HandleQueryInput(id=q.query_id, query=q.query_type,
                                                       args=args, headers=dict(q.header))
                with self._read_only_scope(f"query handler {q.query_type!r}"):
                    value = _run_now(self._inbound.handle_query(handle),  # type: ignore[attr-defined]
                                     f"query {q.query_type!r}")
            respond.succeeded.payloads.extend(self._pc.to_payloads([value]))
        except Exception as e:
            respond.failed.CopyFrom(self._fc.to_failure(e, self._pc))
        return commands_pb2.Command(respond_to_query=respond)

    def answer_query(self, query: Any) -> commands_pb2.RespondToQueryCommand:
        """Answer a query task (``service_pb2.QueryTask``) from the current state.

        Runs as an activation holding only the query job (same workflow time, nothing
        recorded). Never raises: a failure is the answer's ``failed``.
        """
        activation = activation_pb2.WorkflowActivation(
            run_id=getattr(self, "_run_id", ""), timestamp_us=getattr(self, "_now_us", 0),
            is_replaying=False)
        job = activation.jobs.add().query_workflow
        job.query_id = query.query_id
        job.query_type = query.query_type
        job.arguments.CopyFrom(query.query_args)
        for k, v in query.header.items():
            job.header[k].CopyFrom(v)
        completion = self.activate(activation)  # type: ignore[attr-defined]
        if completion.HasField("failed"):
            return commands_pb2.RespondToQueryCommand(query_id=query.query_id,
                                                      failed=completion.failed)
        for c in completion.successful.commands:
            if c.HasField("respond_to_query"):
                return c.respond_to_query
        return commands_pb2.RespondToQueryCommand(
            query_id=query.query_id, failed=common_pb2.Failure(
                message="the workflow gave no answer to the query", source="python"))

    def _stack_trace(self) -> str:
        """Where each task of the workflow waits (the ``__stack_trace`` query)."""
        out = []
        for task in asyncio.all_tasks(self):  # type: ignore[arg-type]
            frames = []
            coro: Any = task.get_coro()
            while coro is not None:  # follow the chain of awaits down to the innermost
                frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
                if frame is None:
                    break
                frames.append(frame)
                coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
            summary = traceback.StackSummary.extract((f, f.f_lineno) for f in frames)
            out.append(f"{task.get_name()}:\n" + "".join(summary.format()))
        return "\n".join(out)

    # --- Updates ----------------------------------------------------------------------------

    def _update(self, u: activation_pb2.DoUpdate) -> None:
        def reject(exc: BaseException) -> None:
            self._commands.append(commands_pb2.Command(reject_update=commands_pb2.RejectUpdateCommand(
                update_id=u.id, failure=self._fc.to_failure(exc, self._pc))))

        d = self._lookup("update", u.name)
        if d is None:
            reject(ApplicationError(
                f"workflow {self._defn.name!r} has no handler for update {u.name!r}; known "
                f"updates: {self._known('update')}", type="UpdateNotFound", non_retryable=True))
            return
        try:
            fn, args = self._handler_call(d, u.name, list(u.input.payloads))
        except Exception as e:
            reject(e)
            return
        info = UpdateInfo(id=u.id, name=u.name)
        handle = _interceptor.HandleUpdateInput(id=u.id, update=u.name, args=args,
                                                headers=dict(u.header))
        if u.run_validator and d.validator is not None:
            context = contextvars.copy_context()  # workflow.current_update_info() in it
            context.run(_current_update_info.set, info)
            try:
                with self._read_only_scope(f"validator of update {u.name!r}"):
                    context.run(self._inbound.handle_update_validator, handle)  # type: ignore[attr-defined]
            except Exception as e:
                reject(e)
                return
        self._add_command(commands_pb2.Command(
            accept_update=commands_pb2.AcceptUpdateCommand(update_id=u.id)))
        key = self._handler_started(d, u.name, u.id)
        self.create_task(self._run_update(handle, info, key), name=f"update {u.name} {u.id}")

    def _validate_update(self, input: _interceptor.HandleUpdateInput) -> None:
        """Run the validator (at the end of the inbound interceptor chain)."""
        d = self._lookup("update", input.update)
        if d is not None and d.validator is not None:
            vfn, _ = self._handler_call(d, input.update, [], fn=d.validator)
            vfn(*input.args)

    async def _run_update(self, input: _interceptor.HandleUpdateInput, info: UpdateInfo,
                          key: int) -> None:
        _current_update_info.set(info)  # this task's context (and the tasks it starts)
        try:
            with _inbound_update_group(input.id).scope():
                await self._run_update_handler(input)
        finally:
            self._in_progress.pop(key, None)

    async def _run_update_handler(self, input: _interceptor.HandleUpdateInput) -> None:
        update_id = input.id
        outcome = history_pb2.UpdateOutcome()
        try:
            result = await self._inbound.handle_update_handler(input)  # type: ignore[attr-defined]
            outcome.success.payloads.extend(self._pc.to_payloads([result]))
        except asyncio.CancelledError:
            outcome.failure.CopyFrom(self._fc.to_failure(
                FailureCancelledError("update handler cancelled"), self._pc))
        except GeneratorExit:
            raise
        except BaseException as e:  # SystemExit & co fail the task (_fails_workflow: False)
            if not self._fails_workflow(e):
                self._handler_failed(e)  # a bug: fails the workflow task
                return
            outcome.failure.CopyFrom(self._fc.to_failure(e, self._pc))
        self._add_command(commands_pb2.Command(complete_update=commands_pb2.CompleteUpdateCommand(
            update_id=update_id, outcome=outcome)))

    # --- Runtime (workflow module) ----------------------------------------------------------

    def workflow_set_handler(self, kind: str, name: str | None,
                             definition: _HandlerDefinition | None) -> None:
        self._check_writable(f"set a {kind} handler")
        table = self._handlers[kind]
        if definition is None:
            table.pop(name, None)
            return
        table[name] = definition
        if kind == "signal" and self._buffered_signals:
            self._drain_signals()

    def workflow_get_handler(self, kind: str, name: str | None) -> Callable[..., Any] | None:
        d = self._handlers[kind].get(name)
        if d is None:
            return None
        return functools.partial(d.fn, self._object) if d.is_method else d.fn

    def workflow_patch(self, patch_id: str, *, deprecated: bool) -> bool:
        self._check_writable(f"check patch {patch_id!r}")
        known = self._patch_memo.get(patch_id)
        if known is not None:
            return known
        recorded = patch_id in self._patches
        use = True if deprecated else (not self._replaying or recorded)
        if (not self._replaying) or recorded:
            self._add_command(commands_pb2.Command(record_marker=commands_pb2.RecordMarkerCommand(
                marker_name=_PATCH_MARKER,
                details={_PATCH_ID_KEY: common_pb2.Payloads(payloads=[common_pb2.Payload(
                    metadata={"encoding": b"binary/plain"}, data=patch_id.encode())])})))
        self._patch_memo[patch_id] = use
        return use

    def workflow_payload_converter(self) -> Any:
        return self._pc


def _run_now(coro: Any, what: str) -> Any:
    """Run a coroutine that must not wait (a query through the interceptor chain)."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise TypeError(f"{what} awaited something; query handlers (and query interceptors) "
                    "must answer without waiting")
