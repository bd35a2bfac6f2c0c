"""Child workflows and external workflows (signal, cancel) of the workflow event loop.

A mixin of ``WorkflowInstance``: it issues ``StartChildWorkflowExecution``,
``SignalExternalWorkflowExecution`` and ``RequestCancelExternalWorkflowExecution`` commands
and resolves their futures from the activation jobs the replay core sends back
(``ResolveChildWorkflowExecutionStart``, ``ResolveChildWorkflowExecution``,
``ResolveSignalExternalWorkflow``, ``ResolveRequestCancelExternalWorkflow``). Each kind has
its own sequence of command numbers.

Cancelling a child (its handle task, or the task awaiting its start) follows the child's
``ChildWorkflowCancellationType``: a start not yet sent is dropped; otherwise, unless
``ABANDON``, a ``RequestCancelExternalWorkflowExecution`` with ``child_workflow_only`` is
sent once the child has started.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from durable import workflow
from durable.exceptions import WorkflowAlreadyStartedError
from durable.v1 import activation_pb2, commands_pb2, common_pb2

_Cancel = workflow.ChildWorkflowCancellationType


class _PendingChild:
    __slots__ = ("seq", "workflow_id", "workflow_type", "command", "result_type",
                 "cancellation_type", "start_fut", "result_fut", "run_id", "cancel_wanted",
                 "cancel_sent", "waiting", "pc", "fc")

    def __init__(self, seq: int, options: workflow._ChildWorkflowOptions, workflow_type: str,
                 command: commands_pb2.Command, loop: asyncio.AbstractEventLoop,
                 converters: tuple[Any, Any]) -> None:
        self.seq = seq
        # Payload and failure converter in the child's WorkflowSerializationContext.
        self.pc, self.fc = converters
        self.workflow_id = options.id
        self.workflow_type = workflow_type
        self.command = command
        self.result_type = options.result_type
        self.cancellation_type = options.cancellation_type
        self.start_fut: asyncio.Future[str] = loop.create_future()
        self.result_fut: asyncio.Future[Any] = loop.create_future()
        self.run_id = ""
        self.cancel_wanted = False  # cancelled before it started: cancel once it has
        self.cancel_sent = False
        self.waiting = False  # its handle's coroutine has started


def _retrieve(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


class _ChildrenMixin:
    """Children and external workflows; mixed into ``WorkflowInstance``."""

    # Provided by WorkflowInstance.
    _commands: list[commands_pb2.Command]
    _pc: Any
    _fc: Any
    _add_command: Callable[[commands_pb2.Command], None]
    _next_seq: Callable[[str], int]
    _workflow_converters: Callable[[str], tuple[Any, Any]]
    _workflow_id: str
    create_future: Callable[[], asyncio.Future[Any]]
    workflow_info: Callable[[], workflow.Info]

    def _init_children(self) -> None:
        self._children: dict[int, _PendingChild] = {}
        self._externals: dict[tuple[str, int], asyncio.Future[None]] = {}
        # The target workflow id of each external signal / cancel (its failure's context).
        self._external_targets: dict[tuple[str, int], str] = {}

    def _child_futures(self) -> list[asyncio.Future[Any]]:
        """Every unresolved future of this mixin (cancelled on eviction)."""
        futs: list[asyncio.Future[Any]] = list(self._externals.values())
        for c in self._children.values():
            futs += [c.start_fut, c.result_fut]
        return futs

    def _apply_children_job(self, kind: str, job: activation_pb2.WorkflowActivationJob) -> bool:
        """Apply a child/external job; False if ``kind`` is not one of them."""
        if kind == "resolve_child_workflow_execution_start":
            self._resolve_child_start(job.resolve_child_workflow_execution_start)
        elif kind == "resolve_child_workflow_execution":
            self._resolve_child(job.resolve_child_workflow_execution)
        elif kind == "resolve_signal_external_workflow":
            r = job.resolve_signal_external_workflow
            self._resolve_external(("signal", r.seq), r.failure if r.HasField("failure") else None)
        elif kind == "resolve_request_cancel_external_workflow":
            r2 = job.resolve_request_cancel_external_workflow
            self._resolve_external(("cancel", r2.seq),
                                   r2.failure if r2.HasField("failure") else None)
        else:
            return False
        return True

    # --- Child workflows ----------------------------------------------------------------

    async def workflow_start_child_workflow(
        self, workflow_type: str, args: Sequence[Any], options: workflow._ChildWorkflowOptions
    ) -> workflow.ChildWorkflowHandle[Any, Any]:
        from durable.worker._interceptor import StartChildWorkflowInput

        o = options
        return await self._outbound.start_child_workflow(StartChildWorkflowInput(  # type: ignore[attr-defined]
            workflow=workflow_type, args=list(args), id=o.id, task_queue=o.task_queue,
            cancellation_type=o.cancellation_type, parent_close_policy=o.parent_close_policy,
            execution_timeout=o.execution_timeout, run_timeout=o.run_timeout,
            task_timeout=o.task_timeout, id_reuse_policy=o.id_reuse_policy,
            retry_policy=o.retry_policy, memo=o.memo, search_attributes=None, headers={},
            ret_type=o.result_type, options=o))

    async def _start_child_workflow(self, input: Any) -> workflow.ChildWorkflowHandle[Any, Any]:
        """The start itself, at the end of the outbound interceptor chain."""
        import dataclasses

        from durable.common import timedelta_to_us

        workflow_type, args = input.workflow, input.args
        options = dataclasses.replace(
            input.options, id=input.id, task_queue=input.task_queue,
            result_type=input.ret_type, cancellation_type=input.cancellation_type,
            parent_close_policy=input.parent_close_policy,
            execution_timeout=input.execution_timeout, run_timeout=input.run_timeout,
            task_timeout=input.task_timeout, id_reuse_policy=input.id_reuse_policy,
            retry_policy=input.retry_policy, memo=input.memo)
        info = self.workflow_info()
        converters = self._workflow_converters(options.id)
        pc = converters[0]
        payloads = pc.to_payloads(list(args))
        seq = self._next_seq("child")
        cmd = commands_pb2.StartChildWorkflowExecutionCommand(
            seq=seq,
            workflow_id=options.id,
            workflow_type=workflow_type,
            task_queue=options.task_queue or info.task_queue,
            input=common_pb2.Payloads(payloads=payloads),
            execution_timeout_us=timedelta_to_us(options.execution_timeout),
            run_timeout_us=timedelta_to_us(options.run_timeout),
            task_timeout_us=timedelta_to_us(options.task_timeout),
            parent_close_policy=int(options.parent_close_policy),  # type: ignore[arg-type]
            workflow_id_reuse_policy=int(options.id_reuse_policy),  # type: ignore[arg-type]
        )
        if options.retry_policy is not None:
            cmd.retry_policy.CopyFrom(options.retry_policy.to_proto())
        for k, v in (options.memo or {}).items():
            cmd.memo[k].CopyFrom(pc.to_payloads([v])[0])
        for k, v in input.headers.items():
            cmd.header[k].CopyFrom(v)
        command = commands_pb2.Command(start_child_workflow_execution=cmd)
        self._add_command(command)
        child = _PendingChild(seq, options, workflow_type, command, self,  # type: ignore[arg-type]
                              converters)
        self._children[seq] = child
        while True:
            try:
                await asyncio.shield(child.start_fut)
                break
            except asyncio.CancelledError:
                if child.start_fut.done():
                    if child.start_fut.cancelled():
                        raise
                    continue
                self._cancel_child(child)
        handle: workflow.ChildWorkflowHandle[Any, Any] = workflow.ChildWorkflowHandle(
            self._wait_child(child), loop=self,  # type: ignore[arg-type]
            name=f"child workflow {workflow_type} {options.id}")
        handle._child_id = options.id
        handle._child_first_run_id = child.run_id

        def cancel_unstarted() -> bool:
            if child.waiting:
                return False  # the coroutine handles its CancelledError
            self._cancel_child(child)
            return True

        handle._durable_cancel_unstarted = cancel_unstarted
        return handle

    async def _wait_child(self, child: _PendingChild) -> Any:
        child.waiting = True
        while True:
            try:
                return await asyncio.shield(child.result_fut)
            except asyncio.CancelledError:
                if child.result_fut.done():
                    if child.result_fut.cancelled():
                        raise
                    continue
                self._cancel_child(child)

    def _cancel_child(self, child: _PendingChild) -> None:
        if not child.start_fut.done():
            if any(c is child.command for c in self._commands):
                # Never sent: forget it, as if it had not been started.
                self._commands = [c for c in self._commands if c is not child.command]
                self._children.pop(child.seq, None)
                child.start_fut.cancel()
                return
            child.cancel_wanted = True  # initiated, not started yet: cancel once it has
            return
        if child.cancel_sent or child.result_fut.done():
            return
        child.cancel_sent = True
        kind = child.cancellation_type
        if kind == _Cancel.ABANDON:
            child.result_fut.set_exception(self._child_cancelled_error(child))
            return
        fut = self._request_cancel_external(child.workflow_id, None, child_workflow_only=True)
        fut.add_done_callback(_retrieve)  # its failure, if any, is not awaited by anyone
        if kind == _Cancel.TRY_CANCEL:
            child.result_fut.set_exception(self._child_cancelled_error(child))
        elif kind == _Cancel.WAIT_CANCELLATION_REQUESTED:
            def requested(f: asyncio.Future[None]) -> None:
                if not child.result_fut.done():
                    child.result_fut.set_exception(
                        f.exception() if not f.cancelled() and f.exception() is not None
                        else self._child_cancelled_error(child))

            fut.add_done_callback(requested)
        # WAIT_CANCELLATION_COMPLETED: the child's own outcome resolves result_fut.

    def _child_cancelled_error(self, child: _PendingChild) -> BaseException:
        failure = common_pb2.Failure(
            message="child workflow execution canceled", source="python",
            child_workflow_failure_info=common_pb2.ChildWorkflowFailureInfo(
                namespace="default",
                workflow_execution=common_pb2.WorkflowExecution(
                    workflow_id=child.workflow_id, run_id=child.run_id),
                workflow_type=child.workflow_type,
                retry_state=common_pb2.RETRY_STATE_CANCEL_REQUESTED),
            cause=common_pb2.Failure(message="child workflow execution canceled",
                                     source="python",
                                     canceled_failure_info=common_pb2.CanceledFailureInfo()))
        return child.fc.from_failure(failure, child.pc)  # type: ignore[no-any-return]

    def _resolve_child_start(self, job: activation_pb2.ResolveChildWorkflowExecutionStart) -> None:
        child = self._children.get(job.seq)
        if child is None or child.start_fut.done():
            return
        status = job.WhichOneof("status")
        if status == "succeeded_run_id":
            child.run_id = job.succeeded_run_id
            child.start_fut.set_result(job.succeeded_run_id)
            if child.cancel_wanted:
                self._cancel_child(child)
            return
        self._children.pop(job.seq, None)
        if status == "failed_cause":
            err: BaseException = WorkflowAlreadyStartedError(child.workflow_id,
                                                             child.workflow_type)
            if job.failed_cause != "workflow_already_exists":
                err = RuntimeError(f"child workflow {child.workflow_id} could not start: "
                                   f"{job.failed_cause}")
            child.start_fut.set_exception(err)
        elif status == "cancelled":
            child.start_fut.set_exception(child.fc.from_failure(job.cancelled, child.pc))
        else:
            raise RuntimeError(f"child workflow {job.seq} start resolved without a status")

    def _resolve_child(self, job: activation_pb2.ResolveChildWorkflowExecution) -> None:
        child = self._children.pop(job.seq, None)
        if child is None or child.result_fut.done():
            return  # resolved already (TRY_CANCEL / ABANDON)
        status = job.result.WhichOneof("status")
        if status == "completed":
            payloads = list(job.result.completed.payloads)
            try:
                value = (child.pc.from_payloads(payloads, [child.result_type])[0]
                         if payloads else None)
            except Exception as e:
                child.result_fut.set_exception(e)
            else:
                child.result_fut.set_result(value)
        elif status in ("failed", "cancelled"):
            failure = job.result.failed if status == "failed" else job.result.cancelled
            child.result_fut.set_exception(child.fc.from_failure(failure, child.pc))
        else:
            raise RuntimeError(f"child workflow {job.seq} resolved without a result")

    # --- External workflows -------------------------------------------------------------

    async def workflow_signal_external(self, workflow_id: str, run_id: str | None, signal: str,
                                       args: Sequence[Any], *,
                                       child_workflow_only: bool) -> None:
        # Through the outbound interceptors (which may add headers), then _signal_external.
        from durable.worker import _interceptor as i

        if child_workflow_only:
            await self._outbound.signal_child_workflow(i.SignalChildWorkflowInput(  # type: ignore[attr-defined]
                signal=signal, args=list(args), child_workflow_id=workflow_id, headers={}))
        else:
            await self._outbound.signal_external_workflow(i.SignalExternalWorkflowInput(  # type: ignore[attr-defined]
                signal=signal, args=list(args), namespace=self.workflow_info().namespace,
                workflow_id=workflow_id, workflow_run_id=run_id, headers={}))

    def workflow_continue_as_new(self, err: Any) -> NoReturn:
        # Through the outbound interceptors; the chain's end raises the ContinueAsNewError.
        from durable.worker import _interceptor as i

        self._outbound.continue_as_new(i.ContinueAsNewInput(  # type: ignore[attr-defined]
            workflow=err.workflow_type, args=list(err.input_args), task_queue=err.task_queue,
            run_timeout=err.run_timeout, task_timeout=err.task_timeout,
            backoff_start_interval=None, retry_policy=err.retry_policy, memo=err.memo,
            search_attributes=None, headers=dict(err.headers), versioning_intent=None))
        raise err  # an interceptor that returned instead of raising: continue as asked

    async def _signal_external(self, workflow_id: str, run_id: str | None, signal: str,
                               args: Sequence[Any], *, child_workflow_only: bool,
                               headers: Any) -> None:
        payloads = self._workflow_converters(workflow_id)[0].to_payloads(list(args))
        seq = self._next_seq("signal_external")
        self._add_command(commands_pb2.Command(
            signal_external_workflow_execution=commands_pb2.SignalExternalWorkflowExecutionCommand(
                seq=seq,
                workflow_execution=common_pb2.WorkflowExecution(workflow_id=workflow_id,
                                                                run_id=run_id or ""),
                signal_name=signal,
                input=common_pb2.Payloads(payloads=payloads),
                child_workflow_only=child_workflow_only, header=dict(headers))))
        fut: asyncio.Future[None] = self.create_future()
        self._externals[("signal", seq)] = fut
        self._external_targets[("signal", seq)] = workflow_id
        await fut

    async def workflow_cancel_external(self, workflow_id: str, run_id: str | None) -> None:
        await self._request_cancel_external(workflow_id, run_id, child_workflow_only=False)

    def _request_cancel_external(self, workflow_id: str, run_id: str | None, *,
                                 child_workflow_only: bool) -> asyncio.Future[None]:
        seq = self._next_seq("cancel_external")
        self._add_command(commands_pb2.Command(
            request_cancel_external_workflow_execution=(
                commands_pb2.RequestCancelExternalWorkflowExecutionCommand(
                    seq=seq,
                    workflow_execution=common_pb2.WorkflowExecution(workflow_id=workflow_id,
                                                                    run_id=run_id or ""),
                    child_workflow_only=child_workflow_only))))
        fut: asyncio.Future[None] = self.create_future()
        self._externals[("cancel", seq)] = fut
        self._external_targets[("cancel", seq)] = workflow_id
        return fut

    def _resolve_external(self, key: tuple[str, int], failure: common_pb2.Failure | None) -> None:
        fut = self._externals.pop(key, None)
        target = self._external_targets.pop(key, self._workflow_id)
        if fut is None or fut.done():
            return
        if failure is None:
            fut.set_result(None)
        else:
            pc, fc = self._workflow_converters(target)
            fut.set_exception(fc.from_failure(failure, pc))
