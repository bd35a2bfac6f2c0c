"""Update-with-start (re-exported by ``durable.client``), as in temporalio.

    start_op = WithStartWorkflowOperation(Cart.run, id="cart-1", task_queue="q",
                                          id_conflict_policy=WorkflowIdConflictPolicy.USE_EXISTING)
    total = await client.execute_update_with_start_workflow(Cart.add, item,
                                                            start_workflow_operation=start_op)
    handle = await start_op.workflow_handle()

The engine does the start (or uses the running workflow, per the conflict policy) and admits
the update in one step (``UpdateWithStartWorkflowExecution``, service.proto), so a new run's
first workflow task carries the update.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from durable._client_interceptor import (
    StartWorkflowUpdateWithStartInput,
    UpdateWithStartStartWorkflowInput,
    UpdateWithStartUpdateWorkflowInput,
)
from durable._client_messages import WorkflowUpdateHandle, WorkflowUpdateStage, _decode_outcome
from durable.common import (Priority, RetryPolicy, WorkflowIdConflictPolicy,
                            WorkflowIdReusePolicy)
from durable.exceptions import AlreadyExistsError, DeadlineExceededError, WorkflowAlreadyStartedError
from durable.v1 import common_pb2, history_pb2, service_pb2

if TYPE_CHECKING:
    from durable.client import Client, WorkflowHandle

SelfType = TypeVar("SelfType")
ReturnType = TypeVar("ReturnType")

_POLL_US = 60_000_000  # one wait of the call; repeated until the update reaches its stage


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


_unset: Any = _Unset()


class WithStartWorkflowOperation(Generic[SelfType, ReturnType]):
    """How to start the workflow of an update-with-start, if it must be started.

    The arguments are those of ``Client.start_workflow``; ``id_conflict_policy`` is
    required (``FAIL``: a running workflow of this id makes the call fail;
    ``USE_EXISTING``: the update goes to it; ``TERMINATE_EXISTING``: it is terminated and
    a new run gets the update). ``static_summary`` / ``static_details`` / ``priority``
    are accepted and not recorded; ``versioning_override`` must be None (no worker
    versioning). One operation serves one call.
    """

    def __init__(
        self,
        workflow: Any,
        arg: Any = _unset,
        *,
        args: Sequence[Any] = (),
        id: str,
        task_queue: str,
        id_conflict_policy: WorkflowIdConflictPolicy,
        result_type: Any = None,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        id_reuse_policy: WorkflowIdReusePolicy = WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        retry_policy: RetryPolicy | None = None,
        cron_schedule: str = "",
        memo: Mapping[str, Any] | None = None,
        search_attributes: Any = None,
        static_summary: str | None = None,
        static_details: str | None = None,
        start_delay: timedelta | None = None,
        priority: Priority = Priority.default,
        versioning_override: Any = None,
        stack_level: int = 2,
    ) -> None:
        from durable._search_attributes import TypedSearchAttributes
        from durable.workflow import _workflow_name_and_result_type

        name, ret_type = _workflow_name_and_result_type(workflow)
        if id_conflict_policy == WorkflowIdConflictPolicy.UNSPECIFIED:
            raise ValueError("WorkflowIDConflictPolicy is required")
        if not isinstance(id, str) or not id:
            raise ValueError(f"workflow id must be a non-empty string, got {id!r}")
        if not isinstance(task_queue, str) or not task_queue:
            raise ValueError(f"task_queue must be a non-empty string, got {task_queue!r}")
        if search_attributes is not None and not isinstance(search_attributes,
                                                            TypedSearchAttributes):
            raise TypeError("search_attributes must be a TypedSearchAttributes, got "
                            f"{type(search_attributes).__name__}")
        if priority is None:
            priority = Priority.default
        if not isinstance(priority, Priority):
            raise TypeError(f"priority must be a durable.common.Priority, got {priority!r}")
        if versioning_override is not None:
            raise ValueError("versioning_override is not supported (durable has no worker "
                             "versioning)")
        if arg is not _unset:
            if args:
                raise ValueError("pass either arg or args=[...], not both")
            args = [arg]
        self._start_workflow_input = UpdateWithStartStartWorkflowInput(
            workflow=name, args=list(args), id=id, task_queue=task_queue,
            execution_timeout=execution_timeout, run_timeout=run_timeout,
            task_timeout=task_timeout, id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy, retry_policy=retry_policy,
            cron_schedule=cron_schedule, memo=memo, search_attributes=search_attributes,
            start_delay=start_delay, headers={}, static_summary=static_summary,
            static_details=static_details,
            ret_type=result_type if result_type is not None else ret_type, priority=priority,
            versioning_override=versioning_override)
        self._future: asyncio.Future[WorkflowHandle[Any]] | None = None
        self._used = False

    def _handle_future(self) -> asyncio.Future[WorkflowHandle[Any]]:
        if self._future is None:
            self._future = asyncio.get_running_loop().create_future()
        return self._future

    async def workflow_handle(self) -> WorkflowHandle[Any]:
        """The workflow's handle, once the update-with-start call has started it (or found
        it running); raises what made the start fail."""
        return await asyncio.shield(self._handle_future())


async def start(client: Client, update: Any, arg: Any, *, start_workflow_operation: Any,
                wait_for_stage: WorkflowUpdateStage, args: Sequence[Any], id: str | None,
                result_type: Any, rpc_metadata: Mapping[str, str | bytes],
                rpc_timeout: timedelta | None) -> WorkflowUpdateHandle[Any]:
    """``Client.start_update_with_start_workflow``: builds the input, runs the chain."""
    from durable._client_messages import _args
    from durable._workflow_handlers import _name_and_ret_type
    from durable.client import WorkflowHandle, _arg_unset

    if wait_for_stage == WorkflowUpdateStage.ADMITTED:
        raise ValueError("ADMITTED wait stage not supported")
    if wait_for_stage not in (WorkflowUpdateStage.ACCEPTED, WorkflowUpdateStage.COMPLETED):
        raise ValueError(f"wait_for_stage must be WorkflowUpdateStage.ACCEPTED or COMPLETED, "
                         f"got {wait_for_stage!r}")
    if not isinstance(start_workflow_operation, WithStartWorkflowOperation):
        raise TypeError("start_workflow_operation must be a WithStartWorkflowOperation, got "
                        f"{type(start_workflow_operation).__name__}")
    op = start_workflow_operation
    if op._used:
        raise RuntimeError("WithStartWorkflowOperation cannot be reused")
    op._used = True
    if id is not None and (not isinstance(id, str) or not id):
        raise ValueError(f"update id must be a non-empty string, got {id!r}")
    name, ret_type = _name_and_ret_type(update, "update")
    update_input = UpdateWithStartUpdateWorkflowInput(
        update_id=id, update=name, args=_args(arg, args, _arg_unset), headers={},
        ret_type=result_type if result_type is not None else ret_type,
        wait_for_stage=wait_for_stage)
    future = op._handle_future()
    s = op._start_workflow_input

    def on_start(resp: service_pb2.StartWorkflowExecutionResponse) -> None:
        if not future.done():
            future.set_result(WorkflowHandle(
                client, s.id, result_run_id=resp.run_id, first_execution_run_id=resp.run_id,
                result_type=s.ret_type))

    def on_start_error(error: BaseException) -> None:
        if not future.done():
            future.set_exception(error)

    return await client._outbound.start_update_with_start_workflow(
        StartWorkflowUpdateWithStartInput(
            start_workflow_input=s, update_workflow_input=update_input,
            rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout, _on_start=on_start,
            _on_start_error=on_start_error))


async def send(client: Client, input: StartWorkflowUpdateWithStartInput
               ) -> WorkflowUpdateHandle[Any]:
    """The call itself, at the end of the client's interceptor chain."""
    seen_start = [False]
    try:
        return await _send(client, input, seen_start)
    except BaseException as e:
        if not seen_start[0]:
            input._on_start_error(e)
        raise


async def _send(client: Client, input: StartWorkflowUpdateWithStartInput,
                seen_start: list[bool]) -> WorkflowUpdateHandle[Any]:
    from durable.client import WorkflowHandle

    s, u = input.start_workflow_input, input.update_workflow_input
    start_req = await client._start_request(s)
    update_id = u.update_id or str(uuid.uuid4())
    payloads = await client._workflow_dc(s.id).encode(list(u.args))
    req = service_pb2.UpdateWithStartWorkflowExecutionRequest(
        start=start_req,
        update=service_pb2.UpdateWorkflowExecutionRequest(
            workflow_execution=common_pb2.WorkflowExecution(workflow_id=s.id),
            request=history_pb2.UpdateRequest(
                update_id=update_id, name=u.update, input=common_pb2.Payloads(payloads=payloads),
                identity=client.identity),
            wait_stage=(service_pb2.UPDATE_WAIT_STAGE_ACCEPTED
                        if u.wait_for_stage == WorkflowUpdateStage.ACCEPTED
                        else service_pb2.UPDATE_WAIT_STAGE_COMPLETED)))
    for k, v in u.headers.items():
        req.update.request.header[k].CopyFrom(v)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + input.rpc_timeout.total_seconds() if input.rpc_timeout else None
    while True:
        timeout_us = _POLL_US
        if deadline is not None:
            left = deadline - loop.time()
            if left <= 0:
                raise DeadlineExceededError(
                    f"update {update_id} of workflow {s.id} did not reach stage "
                    f"{u.wait_for_stage.name} within {input.rpc_timeout}")
            timeout_us = min(timeout_us, max(1, int(left * 1e6)))
        req.update.timeout_us = timeout_us
        try:
            resp = await client.transport.call_async("update_with_start_workflow_execution",
                                                     req, long_poll=True)
        except AlreadyExistsError as e:
            raise WorkflowAlreadyStartedError(s.id, s.workflow) from e
        except DeadlineExceededError:
            continue  # a transport deadline: the same request ids find the same run and update
        if not seen_start[0]:
            input._on_start(resp.start)
            seen_start[0] = True
        if resp.update.stage != service_pb2.UPDATE_WAIT_STAGE_UNSPECIFIED:
            break
    handle = WorkflowHandle(client, s.id, result_run_id=resp.start.run_id,
                            first_execution_run_id=resp.start.run_id, result_type=s.ret_type)
    outcome = (resp.update.outcome
               if resp.update.stage == service_pb2.UPDATE_WAIT_STAGE_COMPLETED else None)
    if outcome is not None and outcome.HasField("failure"):
        # Rejected (or failed before the wanted stage): the caller learns it at once.
        await _decode_outcome(handle, outcome, u.ret_type)
    return WorkflowUpdateHandle(handle, update_id, workflow_run_id=resp.update.run_id or None,
                                result_type=u.ret_type, known_outcome=outcome)
