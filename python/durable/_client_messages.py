"""Queries and updates sent by the client (re-exported by ``durable.client``).

``WorkflowHandle.query`` / ``execute_update`` / ``start_update`` / ``get_update_handle``
call the functions here; the engine hands queries to a worker as query tasks and updates
as (speculative) workflow tasks, and waits for the answer.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from durable import _rpc_options
from durable._workflow_handlers import _name_and_ret_type
from durable.exceptions import DeadlineExceededError, DurableError, InvalidArgumentError
from durable.v1 import common_pb2, history_pb2, service_pb2

if TYPE_CHECKING:
    from durable.client import WorkflowHandle

ReturnType = TypeVar("ReturnType")

_POLL_US = 60_000_000  # one long poll of an update; repeated until it reaches its stage


class WorkflowUpdateStage(IntEnum):
    """How far an update must have gone before ``start_update`` returns (as in temporalio)."""

    ADMITTED = 1
    """Received by the engine (not supported: use ACCEPTED)."""
    ACCEPTED = 2
    """Accepted by the workflow's validator and recorded in history."""
    COMPLETED = 3
    """Handled: its result (or failure) is recorded."""


class WorkflowQueryFailedError(DurableError):
    """The query handler raised, or the workflow has no handler for that query.

    Attributes:
        message: What the worker said (it names the known queries for an unknown one).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WorkflowQueryRejectedError(DurableError):
    """The query was refused by its ``reject_condition`` (the run's status meets it).

    Attributes:
        status: The run's ``WorkflowExecutionStatus``.
    """

    def __init__(self, status: Any) -> None:
        super().__init__(f"Query rejected, status: {status}")
        self._status = status

    @property
    def status(self) -> Any:
        """The run's status that made the query rejected."""
        return self._status


class WorkflowUpdateFailedError(DurableError):
    """The update was rejected (its validator raised, or no handler) or its handler failed.

    Attributes:
        cause: The failure (e.g. ``ApplicationError``) as raised in the workflow.
    """

    def __init__(self, cause: BaseException) -> None:
        super().__init__("Workflow update failed")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """The failure that failed the update."""
        assert self.__cause__ is not None
        return self.__cause__


def _args(arg: Any, args: Sequence[Any], unset: Any) -> list[Any]:
    if arg is not unset:
        if args:
            raise ValueError("pass either arg or args=[...], not both")
        return [arg]
    return list(args)


async def query(handle: WorkflowHandle[Any], query: Any, arg: Any, args: Sequence[Any],
                unset: Any, result_type: Any, rpc_timeout: timedelta | None,
                reject_condition: Any = None,
                rpc_metadata: Mapping[str, str | bytes] | None = None) -> Any:
    from durable._client_interceptor import QueryWorkflowInput

    name, ret_type = _name_and_ret_type(query, "query")
    return await handle._client._outbound.query_workflow(QueryWorkflowInput(
        id=handle.id, run_id=handle.run_id, query=name, args=_args(arg, args, unset),
        reject_condition=reject_condition, headers={},
        ret_type=result_type if result_type is not None else ret_type,
        rpc_metadata=rpc_metadata or {}, rpc_timeout=rpc_timeout))


async def _query(handle: WorkflowHandle[Any], input: Any) -> Any:
    """The query itself, at the end of the client's interceptor chain."""
    client = handle._client
    await _check_reject_condition(handle, input.reject_condition)
    dc = client._workflow_dc(handle.id)
    payloads = await dc.encode(list(input.args))
    from durable.common import timedelta_to_us

    req = service_pb2.QueryWorkflowRequest(
        execution=handle._execution(), query_type=input.query,
        query_args=common_pb2.Payloads(payloads=payloads),
        timeout_us=timedelta_to_us(input.rpc_timeout))
    for k, v in input.headers.items():
        req.header[k].CopyFrom(v)
    try:
        resp = await client.transport.call_async("query_workflow", req, long_poll=True)
    except InvalidArgumentError as e:  # the worker answered with a failure
        raise WorkflowQueryFailedError(str(e)) from None
    values = list(resp.query_result.payloads)
    if not values:
        return None
    decoded = await dc.decode(values, [input.ret_type])
    return decoded[0]


async def _check_reject_condition(handle: WorkflowHandle[Any], condition: Any) -> None:
    """Refuse the query when the run's status meets ``condition``: checked by the client
    with a describe just before the query (the engine has no reject conditions)."""
    from durable._description import WorkflowExecutionStatus
    from durable.common import QueryRejectCondition

    if condition is None or QueryRejectCondition(condition) == QueryRejectCondition.NONE:
        return
    resp = await handle._client.transport.call_async(
        "describe_workflow_execution",
        service_pb2.DescribeWorkflowExecutionRequest(execution=handle._execution()))
    status = WorkflowExecutionStatus(resp.info.status)
    if status == WorkflowExecutionStatus.RUNNING:
        return
    if (QueryRejectCondition(condition) == QueryRejectCondition.NOT_OPEN
            or status != WorkflowExecutionStatus.COMPLETED):
        raise WorkflowQueryRejectedError(status)


class WorkflowUpdateHandle(Generic[ReturnType]):
    """An update sent to a workflow; :meth:`result` waits for its outcome.

    Get one from ``WorkflowHandle.start_update`` or ``get_update_handle``.
    """

    def __init__(self, handle: WorkflowHandle[Any], id: str, *, workflow_run_id: str | None,
                 result_type: Any = None,
                 known_outcome: history_pb2.UpdateOutcome | None = None) -> None:
        self._handle = handle
        self._id = id
        self._run_id = workflow_run_id
        self._result_type = result_type
        self._outcome = known_outcome

    @property
    def id(self) -> str:
        """The update id."""
        return self._id

    @property
    def workflow_id(self) -> str:
        """The workflow id."""
        return self._handle.id

    @property
    def workflow_run_id(self) -> str | None:
        """The run the update went to, if known."""
        return self._run_id

    async def result(self, *,
                     rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
                     rpc_timeout: timedelta | None = None) -> ReturnType:
        """Wait for the update's outcome.

        Args:
            rpc_metadata: gRPC metadata of each call (embedded engine: ignored).
            rpc_timeout: Give up after this long (``DeadlineExceededError``); None = wait.

        Returns:
            The handler's result, decoded with the handler's return annotation.

        Raises:
            WorkflowUpdateFailedError: The update was rejected or its handler failed.
            durable.exceptions.NotFoundError: No such update or workflow.
        """
        with _rpc_options.rpc_options(rpc_metadata):  # rpc_timeout bounds the whole wait
            return await self._result(rpc_timeout)

    async def _result(self, rpc_timeout: timedelta | None) -> ReturnType:
        client = self._handle._client
        loop = asyncio.get_running_loop()
        deadline = loop.time() + rpc_timeout.total_seconds() if rpc_timeout else None
        while self._outcome is None:
            timeout_us = _POLL_US
            if deadline is not None:
                left = deadline - loop.time()
                if left <= 0:
                    raise DeadlineExceededError(
                        f"update {self._id} of workflow {self.workflow_id} did not complete "
                        f"within {rpc_timeout}")
                timeout_us = min(timeout_us, max(1, int(left * 1e6)))
            try:
                resp = await client.transport.call_async(
                    "poll_workflow_execution_update",
                    service_pb2.PollWorkflowExecutionUpdateRequest(
                        workflow_execution=self._handle._execution(self._run_id or ""),
                        update_id=self._id, timeout_us=timeout_us), long_poll=True)
            except DeadlineExceededError:
                continue
            if resp.stage == service_pb2.UPDATE_WAIT_STAGE_COMPLETED:
                self._outcome = resp.outcome
        return await _decode_outcome(self._handle, self._outcome, self._result_type)  # type: ignore[no-any-return]


async def _decode_outcome(handle: WorkflowHandle[Any], outcome: history_pb2.UpdateOutcome,
                          result_type: Any) -> Any:
    dc = handle._client._workflow_dc(handle.id)
    if outcome.HasField("failure"):
        raise WorkflowUpdateFailedError(await dc.decode_failure(outcome.failure))
    values = list(outcome.success.payloads)
    if not values:
        return None
    return (await dc.decode(values, [result_type]))[0]


async def start_update(handle: WorkflowHandle[Any], update: Any, arg: Any, args: Sequence[Any],
                       unset: Any, *, wait_for_stage: WorkflowUpdateStage, id: str | None,
                       result_type: Any, rpc_timeout: timedelta | None,
                       rpc_metadata: Mapping[str, str | bytes] | None = None
                       ) -> WorkflowUpdateHandle[Any]:
    name, ret_type = _name_and_ret_type(update, "update")
    if wait_for_stage not in (WorkflowUpdateStage.ACCEPTED, WorkflowUpdateStage.COMPLETED):
        raise ValueError(f"wait_for_stage must be WorkflowUpdateStage.ACCEPTED or COMPLETED, "
                         f"got {wait_for_stage!r}")
    if id is not None and (not isinstance(id, str) or not id):
        raise ValueError(f"update id must be a non-empty string, got {id!r}")
    from durable._client_interceptor import StartWorkflowUpdateInput

    return await handle._client._outbound.start_workflow_update(StartWorkflowUpdateInput(
        id=handle.id, run_id=handle.run_id,
        first_execution_run_id=handle.first_execution_run_id, update_id=id or str(uuid.uuid4()),
        update=name, args=_args(arg, args, unset), wait_for_stage=wait_for_stage, headers={},
        ret_type=result_type if result_type is not None else ret_type,
        rpc_metadata=rpc_metadata or {}, rpc_timeout=rpc_timeout))


async def _start_update(handle: WorkflowHandle[Any], input: Any) -> WorkflowUpdateHandle[Any]:
    """The update itself, at the end of the client's interceptor chain."""
    client = handle._client
    wait_for_stage, rpc_timeout = input.wait_for_stage, input.rpc_timeout
    payloads = await client._workflow_dc(handle.id).encode(list(input.args))
    update_id = input.update_id or str(uuid.uuid4())
    stage = (service_pb2.UPDATE_WAIT_STAGE_ACCEPTED if wait_for_stage == WorkflowUpdateStage.ACCEPTED
             else service_pb2.UPDATE_WAIT_STAGE_COMPLETED)
    req = service_pb2.UpdateWorkflowExecutionRequest(
        workflow_execution=handle._execution(),
        request=history_pb2.UpdateRequest(update_id=update_id, name=input.update,
                                          input=common_pb2.Payloads(payloads=payloads),
                                          identity=client.identity),
        wait_stage=stage)
    for k, v in input.headers.items():
        req.request.header[k].CopyFrom(v)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + rpc_timeout.total_seconds() if rpc_timeout else None
    while True:
        timeout_us = _POLL_US
        if deadline is not None:
            left = deadline - loop.time()
            if left <= 0:
                raise DeadlineExceededError(
                    f"update {update_id} of workflow {handle.id} did not reach stage "
                    f"{wait_for_stage.name} within {rpc_timeout}")
            timeout_us = min(timeout_us, max(1, int(left * 1e6)))
        req.timeout_us = timeout_us
        try:
            resp = await client.transport.call_async("update_workflow_execution", req,
                                                     long_poll=True)
        except DeadlineExceededError:
            continue  # the same update id: the engine finds the waiting update again
        break
    rtype = input.ret_type
    outcome = resp.outcome if resp.stage == service_pb2.UPDATE_WAIT_STAGE_COMPLETED else None
    if outcome is not None and outcome.HasField("failure"):
        # Rejected (or failed before the wanted stage): the caller learns it at once.
        await _decode_outcome(handle, outcome, rtype)
    return WorkflowUpdateHandle(handle, update_id, workflow_run_id=resp.run_id or None,
                                result_type=rtype, known_outcome=outcome)
