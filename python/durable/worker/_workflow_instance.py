"""The deterministic event loop that runs one workflow run's code.

``WorkflowInstance`` is an ``asyncio.AbstractEventLoop`` driven by activations instead of
I/O: ``activate(activation)`` applies the activation's jobs (start the workflow, fire a
timer, resolve an activity, ...), runs every ready callback until none is left, and
returns a completion holding the commands the code issued. Nothing else ever runs the loop.

* ``time()`` is the activation's timestamp (the workflow task's time, from history).
* ``call_soon`` appends to a FIFO, so callbacks run in a deterministic order.
* ``call_later`` / ``call_at`` become ``StartTimerCommand``s (so ``asyncio.sleep``,
  ``asyncio.wait_for`` and ``asyncio.timeout`` are durable timers); cancelling the handle
  emits ``CancelTimerCommand`` (or drops the start if it was not sent yet).
* I/O methods (sockets, pipes, subprocesses, executors, signals) raise ``WorkflowIOError``.

Commands are numbered with a sequence per kind (timer, activity); the replay core resolves
results back by that number.

``activate()`` never raises. An exception escaping workflow code that is a
``FailureError`` (e.g. ``ApplicationError``), or one of the definition's
``failure_exception_types``, fails the *workflow* (``FailWorkflowExecutionCommand``); any
other exception fails the workflow *task* (the completion's ``failed``), which the engine
retries later - a bug fixed by deploying new code then lets the workflow continue.

Not thread-safe: one activation at a time (the worker serializes tasks of a run).
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import dataclasses
import logging
import math
import random
import weakref
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from durable import _task_compat, workflow
from durable._workflow_event_groups import capture_markers
from durable._converter_context import (
    ActivitySerializationContext,
    SerializationContext,
    WorkflowSerializationContext,
    apply_context,
    takes_context,
)
from durable._metrics import MetricMeter
from durable._metrics_replay_safe import ReplaySafeMeter
from durable._search_attributes import TypedSearchAttributes, _updates_to_proto
from durable.exceptions import CancelledError as FailureCancelledError
from durable.exceptions import ApplicationError, FailureError, is_cancelled_exception
from durable.v1 import activation_pb2, commands_pb2, common_pb2
from durable.worker import _interceptor, _workflow_interception
from durable.worker._workflow_children import _ChildrenMixin
from durable import _workflow_guard
from durable.worker._workflow_messages import _MessagesMixin
from durable.worker._workflow_run_context import _RunContextMixin

logger = logging.getLogger("durable.worker")
_task_logger = logging.getLogger(__name__)  # durable.worker._workflow_instance

_asyncio_events: Any = asyncio.events


def _converter_parts(data_converter: Any) -> tuple[Any, Any]:
    """(payload converter, failure converter) of a DataConverter."""
    pc = getattr(data_converter, "payload_converter", data_converter)
    return pc, data_converter.failure_converter


class _TimerHandle(asyncio.TimerHandle):
    """A durable timer: ``seq`` is its StartTimerCommand's sequence number (None = 0 delay)."""

    __slots__ = ("seq",)

    def __init__(self, seq: int | None, when: float, callback: Callable[..., Any],
                 args: Sequence[Any], loop: WorkflowInstance,
                 context: contextvars.Context | None) -> None:
        super().__init__(when, callback, args, loop, context)
        self.seq = seq


class _PendingActivity:
    __slots__ = ("seq", "future", "result_type", "activity_type", "activity_id",
                 "cancellation_type", "cancel_sent", "waiting", "pc", "fc")

    def __init__(self, seq: int, future: asyncio.Future[Any], result_type: Any,
                 activity_type: str, activity_id: str,
                 cancellation_type: workflow.ActivityCancellationType,
                 converters: tuple[Any, Any]) -> None:
        self.seq = seq
        # Payload and failure converter in the activity's ActivitySerializationContext.
        self.pc, self.fc = converters
        self.future = future
        self.result_type = result_type
        self.activity_type = activity_type
        self.activity_id = activity_id
        self.cancellation_type = cancellation_type
        self.cancel_sent = False
        self.waiting = False  # its handle's coroutine has started


class WorkflowInstance(_ChildrenMixin, _MessagesMixin, _RunContextMixin,
                       asyncio.AbstractEventLoop,
                       workflow._Runtime):
    """One workflow run's code and state, advanced one activation at a time.

    Args:
        definition: The workflow's definition (``@workflow.defn`` class).
        data_converter: Converts arguments, results and failures.
        workflow_id: The run's workflow id.
        run_id: The run id.
        failure_exception_types: Extra exception classes that fail the workflow (the
            worker's ``workflow_failure_exception_types``), besides the definition's.
        namespace: The run's namespace (``workflow.info().namespace`` and the namespace of
            the serialization contexts).
    """

    def __init__(
        self,
        definition: workflow._Definition,
        *,
        data_converter: Any,
        workflow_id: str,
        run_id: str,
        failure_exception_types: Sequence[type[BaseException]] = (),
        interceptor_classes: Sequence[type[_interceptor.WorkflowInboundInterceptor]] = (),
        metric_meter: MetricMeter = MetricMeter.noop,
        namespace: str = "default",
    ) -> None:
        super().__init__()
        self._base_meter = metric_meter  # the worker's (namespace, task_queue attributes)
        self._meter: MetricMeter | None = None  # made on first workflow.metric_meter()
        setattr(self, workflow._RUNTIME_ATTR, self)
        self._defn = definition
        self._dc = data_converter
        self._namespace = namespace
        # The converters as configured, and in this workflow's serialization context (its
        # own inputs and outputs: arguments, result, messages, workflow.payload_converter()).
        self._base_pc, self._base_fc = self._pc, self._fc = _converter_parts(data_converter)
        # False (the default converters): every context would give the same converters.
        self._contextual = takes_context(self._base_pc) or takes_context(self._base_fc)
        if self._contextual:
            self._pc, self._fc = self._converters_in(
                WorkflowSerializationContext(namespace=namespace, workflow_id=workflow_id))
        self._workflow_id = workflow_id
        self._run_id = run_id
        self._failure_types = tuple(definition.failure_exception_types) + tuple(
            failure_exception_types)

        self._ready: collections.deque[asyncio.Handle] = collections.deque()
        # This instance's tasks (create_task), so that dispose() need not scan asyncio's
        # process-wide task set (every task of every run and of the client), which made
        # each eviction O(tasks in the process).
        self._tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        self._commands: list[commands_pb2.Command] = []
        self._seq: dict[str, int] = collections.defaultdict(int)
        self._timers: dict[int, _TimerHandle] = {}
        self._activities: dict[int, _PendingActivity] = {}
        self._local_activities: dict[int, _PendingActivity] = {}
        self._conditions: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._init_children()
        self._init_messages()
        self._init_run_context()
        self._pending_main: tuple[Callable[..., Any], list[Any]] | None = None

        self._info: workflow.Info | None = None
        self._object: Any = None
        self._main_task: asyncio.Task[Any] | None = None
        self._random = random.Random(0)
        self._now_us = 0
        self._history_status: tuple[int, int, bool] = (0, 0, False)
        self._replaying = False
        self._cancel_requested = False
        self._completed = False  # a command closing the workflow was issued
        self._task_failure: BaseException | None = None
        self._in_activation = False
        self._disposed = False
        self._exception_handler: Any = None
        self._task_factory: Any = None
        self._patches: set[str] = set()
        self._failure_logged = False  # the current _task_failure was logged
        self._inbound: _interceptor.WorkflowInboundInterceptor
        self._outbound: _interceptor.WorkflowOutboundInterceptor
        _workflow_interception.install(self, interceptor_classes)

    # --- Activation ---------------------------------------------------------------------

    @property
    def completed(self) -> bool:
        """Whether the workflow issued its closing command (complete, fail, cancel)."""
        return self._completed

    def activate(
        self, activation: activation_pb2.WorkflowActivation
    ) -> activation_pb2.WorkflowActivationCompletion:
        """Apply an activation and run workflow code until it blocks. Never raises.

        Args:
            activation: Jobs from the replay core.

        Returns:
            The commands issued (``successful``), or a workflow task failure (``failed``).
        """
        completion = activation_pb2.WorkflowActivationCompletion(run_id=activation.run_id)
        self._commands = []
        self._now_us = activation.timestamp_us
        self._replaying = activation.is_replaying
        self._history_status = (activation.history_length, activation.history_size_bytes,
                                activation.continue_as_new_suggested)
        error: BaseException | None = None
        was_completed = self._completed
        previous_loop = _asyncio_events._get_running_loop()
        _asyncio_events._set_running_loop(self)
        self._in_activation = True
        guard_was_active = _workflow_guard._state.active
        _workflow_guard._state.active = True  # non-deterministic calls now raise
        try:
            for job in activation.jobs:
                self._apply(job)
            self._start_main()
            self._run_until_blocked()
            self._check_main_task()
            if self._completed and not was_completed and not self._replaying:
                self._warn_unfinished_handlers()
        except BaseException as e:  # an SDK bug, a job the code could not handle, SystemExit
            error = e
        finally:
            self._in_activation = False
            _workflow_guard._state.active = guard_was_active
            _asyncio_events._set_running_loop(previous_loop)
        if error is None:
            error = self._task_failure
        if error is not None:
            if error is not self._task_failure or not self._failure_logged:
                # As temporalio: WARNING with the traceback, on a logger named after this
                # module, so logging configuration and filters apply (once per failure).
                _task_logger.warning(
                    "Failed activation on workflow %s with ID %s and run ID %s",
                    self._defn.name, self._workflow_id, self._run_id, exc_info=error,
                    extra={"workflow_id": self._workflow_id, "run_id": self._run_id,
                           "workflow_type": self._defn.name})
                self._failure_logged = True
            self._task_failure = error
            completion.failed.CopyFrom(self._task_failure_proto(error))
        else:
            completion.successful.commands.extend(self._commands)
        self._commands = []
        return completion

    def _task_failure_proto(self, error: BaseException) -> common_pb2.Failure:
        if not isinstance(error, (Exception, asyncio.CancelledError)):
            # SystemExit, KeyboardInterrupt, ...: their str() is often empty; say what it was.
            wrapped = ApplicationError(
                f"workflow code raised {type(error).__name__}({str(error)!r}): workflow code "
                "cannot exit the worker; the workflow task failed and will be retried",
                type=type(error).__name__)
            wrapped.__cause__ = error
            error = wrapped
        try:
            return self._fc.to_failure(error, self._pc)
        except Exception as conv_error:  # never let a conversion bug escape activate()
            import traceback

            return common_pb2.Failure(
                message=f"{type(error).__name__}: {error} (and converting it failed: {conv_error})",
                source="python",
                stack_trace="".join(traceback.format_exception(error)),
                application_failure_info=common_pb2.ApplicationFailureInfo(
                    type=type(error).__name__),
            )

    def _apply(self, job: activation_pb2.WorkflowActivationJob) -> None:
        kind = job.WhichOneof("variant")
        if kind == "initialize_workflow":
            self._initialize(job.initialize_workflow)
        elif kind == "fire_timer":
            handle = self._timers.pop(job.fire_timer.seq, None)
            if handle is not None and not handle.cancelled():
                self._ready.append(handle)
        elif kind == "resolve_activity":
            self._resolve_activity(job.resolve_activity)
        elif kind == "cancel_workflow":
            self._cancel_requested = True
            self._note_cancel_requested(job.cancel_workflow.reason)
            if self._main_task is not None and not self._main_task.done():
                self._main_task.cancel(job.cancel_workflow.reason or None)
        elif kind == "notify_has_patch":
            self._patches.add(job.notify_has_patch.patch_id)
        elif kind == "remove_from_cache":
            pass  # the worker drops the instance; dispose() releases it
        elif self._apply_message_job(kind, job):
            pass
        elif self._apply_children_job(kind, job):
            pass
        else:
            raise NotImplementedError(f"activation job {kind!r} is not supported by this SDK yet")

    def _initialize(self, init: activation_pb2.InitializeWorkflow) -> None:
        from durable.common import RetryPolicy, us_to_datetime, us_to_optional_timedelta

        if self._info is not None:
            raise RuntimeError(f"workflow {self._workflow_id} initialized twice")
        s = init.started
        self._init_run_context_from(init)
        self._info = workflow.Info(
            attempt=s.attempt or 1,
            continued_run_id=s.continued_execution_run_id or None,
            execution_timeout=us_to_optional_timedelta(s.execution_timeout_us),
            first_execution_run_id=s.first_execution_run_id or self._run_id,
            headers=dict(s.header),
            namespace=self._namespace,
            parent=workflow.ParentInfo(namespace="default", run_id=s.parent.run_id,
                                       workflow_id=s.parent.workflow_id)
            if s.HasField("parent") and s.parent.workflow_id else None,
            retry_policy=RetryPolicy.from_proto(s.retry_policy)
            if s.HasField("retry_policy") else None,
            run_id=self._run_id,
            run_timeout=us_to_optional_timedelta(s.run_timeout_us),
            start_time=us_to_datetime(self._now_us),
            task_queue=s.task_queue,
            task_timeout=us_to_optional_timedelta(s.task_timeout_us) or timedelta(seconds=10),
            workflow_id=init.workflow_id or self._workflow_id,
            workflow_type=init.workflow_type or s.workflow_type or self._defn.name,
            memo=dict(s.memo),
            typed_search_attributes=TypedSearchAttributes._from_proto(s.search_attributes),
            root=workflow.RootInfo(run_id=s.root_workflow_execution.run_id,
                                   workflow_id=s.root_workflow_execution.workflow_id)
            if s.root_workflow_execution.workflow_id else None,
        )
        payloads = list(init.arguments.payloads)
        arg_types = self._defn.arg_types
        if arg_types is not None and len(arg_types) != len(payloads):
            # Let Python report a clear arity error at the call, decode without hints.
            arg_types = None
        try:
            if self._defn.dynamic:  # one argument: the undecoded payloads
                args = [[workflow.RawValue(p) for p in payloads]]
            else:
                args = self._pc.from_payloads(payloads, arg_types) if payloads else []
        except Exception as e:
            raise RuntimeError(
                f"cannot decode the arguments of workflow {self._defn.name!r}: {e}") from e
        # @workflow.init: __init__ takes the run's arguments (before any handler runs).
        self._object = self._defn.cls(*args) if self._defn.init_takes_args else self._defn.cls()
        if self._defn.dynamic_config_fn is not None:
            self._apply_dynamic_config(self._defn.dynamic_config_fn(self._object))
        # Started once the activation's other jobs are applied, so that the handlers of
        # signals and updates that came with the start run first (as in temporalio).
        self._pending_main = (self._defn.run_fn, args)

    def _apply_dynamic_config(self, config: Any) -> None:
        if not isinstance(config, workflow.DynamicWorkflowConfig):
            raise TypeError(f"the dynamic_config method of workflow {self._defn.name!r} must "
                            f"return a workflow.DynamicWorkflowConfig, got {config!r}")
        if config.failure_exception_types is not None:
            # Replaces the definition's types; the worker's still apply (as temporalio).
            worker_types = self._failure_types[len(self._defn.failure_exception_types):]
            self._failure_types = tuple(config.failure_exception_types) + worker_types

    def _start_main(self) -> None:
        if self._pending_main is None:
            return
        run_fn, args = self._pending_main
        self._pending_main = None
        self._main_task = self.create_task(
            self._run_main(run_fn, args), name=f"workflow {self._defn.name} run")
        if self._cancel_requested:
            self._main_task.cancel()

    async def _run_main(self, run_fn: Callable[..., Any], args: list[Any]) -> Any:
        assert self._info is not None
        return await self._inbound.execute_workflow(_interceptor.ExecuteWorkflowInput(
            type=self._defn.cls, run_fn=run_fn, args=args, headers=self._info.headers))

    def _run_until_blocked(self) -> None:
        ready = self._ready
        while True:
            while ready:
                handle = ready.popleft()
                if not handle._cancelled:  # type: ignore[attr-defined]
                    handle._run()  # type: ignore[attr-defined]
            if not self._check_conditions():
                return

    def _check_conditions(self) -> bool:
        """Resolve wait_condition futures whose predicate became true; True if any did."""
        if not self._conditions:
            return False
        fired = False
        remaining = []
        for fn, fut in self._conditions:
            if fut.done():
                continue
            if fn():  # an exception here fails the task (raised out of activate's loop)
                fut.set_result(None)
                fired = True
            else:
                remaining.append((fn, fut))
        self._conditions = remaining
        return fired

    def _check_main_task(self) -> None:
        task = self._main_task
        if task is None or not task.done() or self._completed or self._task_failure:
            return
        if task.cancelled():
            exc: BaseException | None = asyncio.CancelledError()
        else:
            exc = task.exception()
        if exc is None:
            result = task.result()
            payloads = self._pc.to_payloads([result])
            self._add_command(commands_pb2.Command(
                complete_workflow_execution=commands_pb2.CompleteWorkflowExecutionCommand(
                    result=common_pb2.Payloads(payloads=payloads))))
            self._completed = True
            return
        if isinstance(exc, workflow.ContinueAsNewError):
            self._add_command(self._continue_as_new_command(exc))
            self._completed = True
            return
        if is_cancelled_exception(exc) and self._cancel_requested:
            self._add_command(commands_pb2.Command(
                cancel_workflow_execution=commands_pb2.CancelWorkflowExecutionCommand()))
            self._completed = True
            return
        if isinstance(exc, asyncio.CancelledError):
            # Cancelled without a cancellation request: record it as a cancelled failure.
            exc = FailureCancelledError(str(exc) or "workflow code was cancelled")
        if isinstance(exc, (FailureError, *self._failure_types)):
            self._add_command(commands_pb2.Command(
                fail_workflow_execution=commands_pb2.FailWorkflowExecutionCommand(
                    failure=self._fc.to_failure(exc, self._pc))))
            self._completed = True
            return
        self._task_failure = exc

    def _continue_as_new_command(self, err: workflow.ContinueAsNewError) -> commands_pb2.Command:
        from durable.common import timedelta_to_us

        info = self.workflow_info()
        cmd = commands_pb2.ContinueAsNewWorkflowExecutionCommand(
            workflow_type=err.workflow_type or info.workflow_type,
            task_queue=err.task_queue or info.task_queue,
            input=common_pb2.Payloads(payloads=self._pc.to_payloads(err.input_args)),
            run_timeout_us=timedelta_to_us(err.run_timeout or info.run_timeout),
            task_timeout_us=timedelta_to_us(err.task_timeout or info.task_timeout),
        )
        retry_policy = err.retry_policy or info.retry_policy
        if retry_policy is not None:
            cmd.retry_policy.CopyFrom(retry_policy.to_proto())
        for k, v in err.headers.items():
            cmd.header[k].CopyFrom(v)
        if err.memo is not None:
            for k, v in err.memo.items():
                cmd.memo[k].CopyFrom(self._pc.to_payloads([v])[0])
        else:
            for k, p in info.memo.items():
                if isinstance(p, common_pb2.Payload):
                    cmd.memo[k].CopyFrom(p)
        return commands_pb2.Command(continue_as_new_workflow_execution=cmd)

    def workflow_upsert_search_attributes(self, updates: Sequence[Any]) -> None:
        self._check_writable("upsert search attributes")
        proto = _updates_to_proto(updates)  # type checks before anything is recorded
        self._add_command(commands_pb2.Command(
            upsert_workflow_search_attributes=commands_pb2.UpsertWorkflowSearchAttributesCommand(
                search_attributes=proto)))
        self._info = dataclasses.replace(
            self._info, typed_search_attributes=self._info.typed_search_attributes._apply(updates))

    def workflow_upsert_memo(self, updates: dict[str, Any]) -> None:
        self._check_writable("upsert the memo")
        cmd = commands_pb2.ModifyWorkflowPropertiesCommand()
        memo = dict(self._info.memo)
        for k, v in updates.items():
            if v is None:
                cmd.upserted_memo[k].CopyFrom(common_pb2.Payload())
                memo.pop(k, None)
            else:
                (p,) = self._pc.to_payloads([v])
                cmd.upserted_memo[k].CopyFrom(p)
                memo[k] = p
        self._add_command(commands_pb2.Command(modify_workflow_properties=cmd))
        self._info = dataclasses.replace(self._info, memo=memo)

    def _add_command(self, command: commands_pb2.Command) -> None:
        self._check_writable(f"issue {command.WhichOneof('variant')}")
        if self._completed or self._disposed:
            return  # the workflow is closing; nothing more is recorded
        if not command.event_group_markers and command.WhichOneof("variant") != "respond_to_query":
            command.event_group_markers.extend(capture_markers())
        self._commands.append(command)

    def _converters_in(self, context: SerializationContext) -> tuple[Any, Any]:
        """(payload converter, failure converter) configured for ``context``."""
        return apply_context(self._base_pc, context), apply_context(self._base_fc, context)

    def _workflow_converters(self, workflow_id: str) -> tuple[Any, Any]:
        """The converters for another workflow's inputs and outputs (a child, a signal)."""
        if not self._contextual or workflow_id == self._workflow_id:
            return self._pc, self._fc
        return self._converters_in(
            WorkflowSerializationContext(namespace=self._namespace, workflow_id=workflow_id))

    def _activity_converters(self, activity_type: str, activity_id: str, task_queue: str,
                             is_local: bool) -> tuple[Any, Any]:
        """The converters for an activity's inputs and outputs."""
        assert self._info is not None
        if not self._contextual:
            return self._pc, self._fc
        return self._converters_in(ActivitySerializationContext(
            namespace=self._namespace, activity_id=activity_id, activity_type=activity_type,
            activity_task_queue=task_queue, workflow_id=self._info.workflow_id,
            workflow_type=self._info.workflow_type, is_local=is_local))

    def _next_seq(self, kind: str) -> int:
        self._check_writable(f"start a {kind}")
        self._seq[kind] += 1
        return self._seq[kind]

    # --- Activities ---------------------------------------------------------------------

    def _resolve_activity(self, job: activation_pb2.ResolveActivity) -> None:
        pending = (self._local_activities if job.is_local else self._activities).pop(
            job.seq, None)
        if pending is None or pending.future.done():
            return  # cancelled by workflow code already (TRY_CANCEL semantics)
        status = job.result.WhichOneof("status")
        if status == "completed":
            payloads = list(job.result.completed.payloads)
            try:
                value = (pending.pc.from_payloads(payloads, [pending.result_type])[0]
                         if payloads else None)
            except Exception as e:
                pending.future.set_exception(e)
            else:
                pending.future.set_result(value)
        elif status in ("failed", "cancelled"):
            failure = job.result.failed if status == "failed" else job.result.cancelled
            pending.future.set_exception(pending.fc.from_failure(failure, pending.pc))
        else:
            raise RuntimeError(f"activity {job.seq} resolved without a result")

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
        retry_policy: Any,
        activity_id: str | None,
        cancellation_type: workflow.ActivityCancellationType = (
            workflow.ActivityCancellationType.TRY_CANCEL),
    ) -> workflow.ActivityHandle[Any]:
        return self._outbound.start_activity(_interceptor.StartActivityInput(
            activity=activity_type, args=list(args), activity_id=activity_id,
            task_queue=task_queue, schedule_to_close_timeout=schedule_to_close_timeout,
            schedule_to_start_timeout=schedule_to_start_timeout,
            start_to_close_timeout=start_to_close_timeout, heartbeat_timeout=heartbeat_timeout,
            retry_policy=retry_policy, cancellation_type=cancellation_type, headers={},
            ret_type=result_type))

    def _start_activity(self, input: _interceptor.StartActivityInput
                        ) -> workflow.ActivityHandle[Any]:
        """The scheduling itself, at the end of the outbound interceptor chain."""
        from durable.common import timedelta_to_us

        assert self._info is not None
        activity_type, activity_id = input.activity, input.activity_id
        result_type, cancellation_type = input.ret_type, input.cancellation_type
        # The id is known before the sequence number is taken (a conversion error must not
        # take one): the activity's serialization context names it.
        act_id = activity_id if activity_id is not None else str(self._seq["activity"] + 1)
        task_queue = input.task_queue or self._info.task_queue
        converters = self._activity_converters(activity_type, act_id, task_queue, False)
        payloads = converters[0].to_payloads(list(input.args))
        seq = self._next_seq("activity")
        cmd = commands_pb2.ScheduleActivityCommand(
            seq=seq,
            activity_id=act_id,
            activity_type=activity_type,
            task_queue=task_queue,
            input=common_pb2.Payloads(payloads=payloads),
            schedule_to_close_timeout_us=timedelta_to_us(input.schedule_to_close_timeout),
            schedule_to_start_timeout_us=timedelta_to_us(input.schedule_to_start_timeout),
            start_to_close_timeout_us=timedelta_to_us(input.start_to_close_timeout),
            heartbeat_timeout_us=timedelta_to_us(input.heartbeat_timeout),
        )
        if input.retry_policy is not None:
            cmd.retry_policy.CopyFrom(input.retry_policy.to_proto())
        for k, v in input.headers.items():
            cmd.header[k].CopyFrom(v)
        command = commands_pb2.Command(schedule_activity=cmd)
        self._add_command(command)
        pending = _PendingActivity(seq, self.create_future(), result_type, activity_type, act_id,
                                   cancellation_type, converters)
        self._activities[seq] = pending
        return self._activity_handle(pending, lambda: self._cancel_activity(pending, command),
                                     f"activity {activity_type} {act_id}")

    def workflow_start_local_activity(
        self,
        activity_type: str,
        args: Sequence[Any],
        *,
        result_type: Any,
        schedule_to_close_timeout: timedelta | None,
        start_to_close_timeout: timedelta | None,
        retry_policy: Any,
        activity_id: str | None,
    ) -> workflow.ActivityHandle[Any]:
        return self._outbound.start_local_activity(_interceptor.StartLocalActivityInput(
            activity=activity_type, args=list(args), activity_id=activity_id,
            schedule_to_close_timeout=schedule_to_close_timeout,
            schedule_to_start_timeout=None, start_to_close_timeout=start_to_close_timeout,
            retry_policy=retry_policy, local_retry_threshold=None,
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            headers={}, ret_type=result_type))

    def _start_local_activity(self, input: _interceptor.StartLocalActivityInput
                              ) -> workflow.ActivityHandle[Any]:
        """The scheduling itself, at the end of the outbound interceptor chain."""
        from durable.common import timedelta_to_us

        assert self._info is not None
        activity_type, activity_id, result_type = input.activity, input.activity_id, input.ret_type
        act_id = (activity_id if activity_id is not None
                  else str(self._seq["local_activity"] + 1))
        converters = self._activity_converters(activity_type, act_id, self._info.task_queue,
                                               True)
        payloads = converters[0].to_payloads(list(input.args))
        seq = self._next_seq("local_activity")
        cmd = commands_pb2.ScheduleLocalActivityCommand(
            seq=seq,
            activity_id=act_id,
            activity_type=activity_type,
            input=common_pb2.Payloads(payloads=payloads),
            schedule_to_close_timeout_us=timedelta_to_us(input.schedule_to_close_timeout),
            start_to_close_timeout_us=timedelta_to_us(input.start_to_close_timeout),
            attempt=1,
            original_schedule_time_us=self._now_us,
        )
        if input.retry_policy is not None:
            cmd.retry_policy.CopyFrom(input.retry_policy.to_proto())
        for k, v in input.headers.items():
            cmd.header[k].CopyFrom(v)
        command = commands_pb2.Command(schedule_local_activity=cmd)
        self._add_command(command)
        pending = _PendingActivity(seq, self.create_future(), result_type, activity_type, act_id,
                                   workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                                   converters)
        self._local_activities[seq] = pending
        return self._activity_handle(
            pending, lambda: self._cancel_local_activity(pending, command),
            f"local activity {activity_type} {act_id}")

    def _activity_handle(self, pending: _PendingActivity, cancel: Callable[[], None],
                         name: str) -> workflow.ActivityHandle[Any]:
        """The handle of a (local) activity; ``cancel`` cancels it as its kind says."""
        handle: workflow.ActivityHandle[Any] = workflow.ActivityHandle(
            self._wait_activity(pending, cancel), loop=self, name=name)

        def cancel_unstarted() -> bool:
            if pending.waiting:
                return False  # the coroutine handles its CancelledError
            cancel()
            return True

        handle._durable_cancel_unstarted = cancel_unstarted
        return handle

    def _cancel_local_activity(self, pending: _PendingActivity,
                               command: commands_pb2.Command) -> None:
        if pending.cancel_sent:
            return
        pending.cancel_sent = True
        if any(c is command for c in self._commands):
            # Not handed to the worker yet: forget it.
            self._commands = [c for c in self._commands if c is not command]
            self._local_activities.pop(pending.seq, None)
            pending.future.set_exception(self._activity_cancelled_error(pending))
        else:
            # The worker stops it and resolves it (normally as cancelled).
            self._add_command(commands_pb2.Command(
                request_cancel_local_activity=commands_pb2.RequestCancelLocalActivityCommand(
                    seq=pending.seq)))

    async def _wait_activity(self, pending: _PendingActivity,
                             cancel: Callable[[], None]) -> Any:
        pending.waiting = True
        while True:
            try:
                # Shielded: cancelling the handle must not cancel the resolution's future.
                return await asyncio.shield(pending.future)
            except asyncio.CancelledError:
                if pending.future.done():
                    if pending.future.cancelled():
                        raise  # evicted
                    continue  # resolved meanwhile: its outcome wins
                cancel()

    def _cancel_activity(self, pending: _PendingActivity, command: commands_pb2.Command) -> None:
        """Cancel a pending activity as its cancellation type says (see ActivityHandle)."""
        kind = workflow.ActivityCancellationType
        if pending.cancel_sent:
            return
        pending.cancel_sent = True
        if any(c is command for c in self._commands):
            # Never sent to the engine: forget it.
            self._commands = [c for c in self._commands if c is not command]
        elif pending.cancellation_type != kind.ABANDON:
            self._add_command(commands_pb2.Command(
                request_cancel_activity=commands_pb2.RequestCancelActivityCommand(
                    seq=pending.seq)))
            if pending.cancellation_type == kind.WAIT_CANCELLATION_COMPLETED:
                return  # the engine's outcome (ActivityTaskCanceled, ...) resolves it
        self._activities.pop(pending.seq, None)
        pending.future.set_exception(self._activity_cancelled_error(pending))

    def _activity_cancelled_error(self, pending: _PendingActivity) -> BaseException:
        failure = common_pb2.Failure(
            message="activity error", source="python",
            activity_failure_info=common_pb2.ActivityFailureInfo(
                activity_type=pending.activity_type, activity_id=pending.activity_id,
                retry_state=common_pb2.RETRY_STATE_CANCEL_REQUESTED),
            cause=common_pb2.Failure(message="activity cancelled", source="python",
                                     canceled_failure_info=common_pb2.CanceledFailureInfo()))
        return pending.fc.from_failure(failure, pending.pc)  # type: ignore[no-any-return]

    # --- Runtime (workflow module) ------------------------------------------------------

    def workflow_info(self) -> workflow.Info:
        if self._info is None:
            raise RuntimeError("the workflow is not initialized yet")
        return self._info

    def workflow_time_us(self) -> int:
        return self._now_us

    def workflow_history_status(self) -> tuple[int, int, bool]:
        return self._history_status

    def workflow_instance(self) -> Any:
        return self._object

    def workflow_is_replaying(self) -> bool:
        return self._replaying

    def workflow_metric_meter(self) -> MetricMeter:
        if self._base_meter is MetricMeter.noop:
            return MetricMeter.noop  # no metrics: nothing to silence
        if self._meter is None:
            self._meter = ReplaySafeMeter(
                self._base_meter.with_additional_attributes(
                    {"workflow_type": self.workflow_info().workflow_type}),
                lambda: self._replaying)
        return self._meter

    def workflow_random(self) -> random.Random:
        return self._random

    async def workflow_wait_condition(self, fn: Callable[[], bool], *,
                                      timeout: float | None) -> None:
        if fn():
            return
        fut: asyncio.Future[None] = self.create_future()
        self._conditions.append((fn, fut))
        if timeout is None:
            await fut
        else:
            await asyncio.wait_for(fut, timeout)

    # --- Event loop: scheduling ---------------------------------------------------------

    def time(self) -> float:
        return self._now_us / 1e6

    def call_soon(self, callback: Callable[..., Any], *args: Any,
                  context: contextvars.Context | None = None) -> asyncio.Handle:
        self._check_not_disposed()
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any,
                   context: contextvars.Context | None = None) -> asyncio.TimerHandle:
        self._check_not_disposed()
        self._check_writable("start a timer")
        if delay is None or math.isnan(delay):
            raise ValueError(f"timer delay must be a number of seconds, got {delay!r}")
        delay_us = math.ceil(delay * 1e6 - 0.5) if delay > 0 else 0
        if delay_us <= 0:
            handle = _TimerHandle(None, self.time(), callback, args, self, context)
            self._ready.append(handle)
            return handle
        seq = self._next_seq("timer")
        handle = _TimerHandle(seq, self.time() + delay_us / 1e6, callback, args, self, context)
        self._timers[seq] = handle
        self._add_command(commands_pb2.Command(
            start_timer=commands_pb2.StartTimerCommand(seq=seq, start_to_fire_timeout_us=delay_us)))
        return handle

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any,
                context: contextvars.Context | None = None) -> asyncio.TimerHandle:
        return self.call_later(when - self.time(), callback, *args, context=context)

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        seq = getattr(handle, "seq", None)
        if seq is None or self._timers.pop(seq, None) is None:
            return  # zero-delay, already fired, or already cancelled
        for i, c in enumerate(self._commands):
            if c.WhichOneof("variant") == "start_timer" and c.start_timer.seq == seq:
                del self._commands[i]  # never sent: forget it
                return
        self._add_command(commands_pb2.Command(
            cancel_timer=commands_pb2.CancelTimerCommand(seq=seq)))

    def create_future(self) -> asyncio.Future[Any]:
        return asyncio.Future(loop=self)

    def create_task(self, coro: Any, *, name: str | None = None,
                    context: contextvars.Context | None = None) -> asyncio.Task[Any]:
        self._check_not_disposed()
        self._check_writable("start a task")
        if self._task_factory is not None:
            task = self._task_factory(self, coro)
            if name is not None:
                task.set_name(name)
        elif context is not None:
            # A task copies the context it is made in (Task(context=) is 3.11+).
            task = context.run(_task_compat.Task, coro, loop=self, name=name)
        else:
            task = _task_compat.Task(coro, loop=self, name=name)
        self._tasks.add(task)
        return task

    def set_task_factory(self, factory: Any) -> None:
        self._task_factory = factory

    def get_task_factory(self) -> Any:
        return self._task_factory

    def _check_not_disposed(self) -> None:
        if self._disposed:
            raise RuntimeError("the workflow instance was evicted")

    # --- Event loop: lifecycle (driven by activate(), never run directly) ----------------

    def is_running(self) -> bool:
        return self._in_activation

    def is_closed(self) -> bool:
        return self._disposed

    def get_debug(self) -> bool:
        return False

    def set_debug(self, enabled: bool) -> None:
        pass

    def _not_runnable(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the workflow event loop is driven by the worker; it cannot be run")

    run_forever = run_until_complete = stop = _not_runnable  # type: ignore[assignment]

    def close(self) -> None:
        self.dispose()

    async def shutdown_asyncgens(self) -> None:
        pass

    async def shutdown_default_executor(self, timeout: float | None = None) -> None:
        pass

    def get_exception_handler(self) -> Any:
        return self._exception_handler

    def set_exception_handler(self, handler: Any) -> None:
        self._exception_handler = handler

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        message = context.get("message") or "unhandled exception in workflow code"
        exc = context.get("exception")
        if self._disposed or isinstance(exc, asyncio.CancelledError):
            return
        if "task" in context and "destroyed but it is pending" in str(message):
            return  # an instance dropped without dispose(): its tasks simply never resume
        logger.error("%s (workflow %s, run %s)", message, self._workflow_id, self._run_id,
                     exc_info=(type(exc), exc, exc.__traceback__) if exc is not None else None)

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        if self._exception_handler is not None:
            try:
                self._exception_handler(self, context)
                return
            except Exception:
                logger.exception("the workflow's exception handler raised")
        self.default_exception_handler(context)

    # --- Eviction -----------------------------------------------------------------------

    def dispose(self) -> None:
        """Cancel every task (those made through create_task: asyncio.create_task,
        ensure_future, gather, TaskGroup) and release the instance (eviction). Emits no
        commands."""
        if self._disposed:
            return
        previous_loop = _asyncio_events._get_running_loop()
        _asyncio_events._set_running_loop(self)
        self._completed = True  # drop any command issued while unwinding
        try:
            for _ in range(10):
                tasks = [t for t in self._tasks if not t.done()]
                if not tasks and not self._ready:
                    break
                for t in tasks:
                    t.cancel()
                for f in ([p.future for p in self._activities.values()]
                          + [p.future for p in self._local_activities.values()]
                          + self._child_futures()):
                    f.cancel()
                self._activities.clear()
                self._local_activities.clear()
                self._init_children()
                self._timers.clear()
                try:
                    self._run_until_blocked()
                except Exception:
                    logger.debug("error while evicting workflow %s", self._workflow_id,
                                 exc_info=True)
        finally:
            _asyncio_events._set_running_loop(previous_loop)
            self._disposed = True
            self._ready.clear()
            self._conditions.clear()


def _refuse_io(name: str) -> Callable[..., Any]:
    def method(self: WorkflowInstance, *args: Any, **kwargs: Any) -> Any:
        raise workflow.WorkflowIOError(
            f"workflow code cannot use loop.{name}(): workflows must be deterministic and "
            "do no I/O, threads or subprocesses; do this in an activity")

    method.__name__ = name
    return method


for _name in (
    "call_soon_threadsafe", "run_in_executor", "set_default_executor", "getaddrinfo",
    "getnameinfo", "create_connection", "create_server", "sendfile", "start_tls",
    "create_unix_connection", "create_unix_server", "create_datagram_endpoint",
    "connect_accepted_socket", "connect_read_pipe", "connect_write_pipe", "subprocess_shell",
    "subprocess_exec", "add_reader", "remove_reader", "add_writer", "remove_writer",
    "sock_recv", "sock_recv_into", "sock_recvfrom", "sock_recvfrom_into", "sock_sendall",
    "sock_sendto", "sock_connect", "sock_accept", "sock_sendfile", "add_signal_handler",
    "remove_signal_handler",
):
    setattr(WorkflowInstance, _name, _refuse_io(_name))
del _name
