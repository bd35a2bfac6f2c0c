"""The HTTP API's operator endpoints (docs/http-api.md): ``POST .../{workflowId}/reset`` and
the batch operations under ``/batch/{namespace}``. This module parses the JSON bodies (a 400
names the bad field); the actions are the CLI's own (``durable.cli._reset``,
``durable.cli.batch``), so ``durable workflow reset`` / ``durable batch`` and the API agree.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from durable._http_api import ApiError, params_field, str_field
from durable.cli._exit import UsageError
from durable.cli._output import jsonable


def _choice(body: dict[str, Any], field: str, choices: tuple[str, ...]) -> str | None:
    v = body.get(field)
    if v is not None and v not in choices:
        raise ApiError(HTTPStatus.BAD_REQUEST, f"{field} must be one of {', '.join(choices)}",
                       field)
    return v


def _positive(body: dict[str, Any], field: str, *, integer: bool = False) -> Any:
    v = body.get(field)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int if integer else (int, float)) or v <= 0:
        raise ApiError(HTTPStatus.BAD_REQUEST, f"{field} must be a positive "
                       f"{'integer' if integer else 'number'}, got {v!r}", field)
    return v if integer else float(v)


async def reset(client: Any, workflow_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{"reason", "resetType" | "eventId", "runId"?, "reapplyType"?}`` as ``durable
    workflow reset --reason --type | --event-id -r --reapply-type``."""
    from durable.cli._reset import REAPPLY_TYPES, RESET_TYPES, reset_workflow
    from durable.exceptions import InvalidArgumentError

    reason = str_field(body, "reason")
    if reason is None:
        raise ApiError(HTTPStatus.BAD_REQUEST, "reason is required (why, recorded in both "
                                               "runs' histories)", "reason")
    reset_type = _choice(body, "resetType", RESET_TYPES)
    event_id = _positive(body, "eventId", integer=True)
    if (reset_type is None) == (event_id is None):
        raise ApiError(HTTPStatus.BAD_REQUEST, "give one of resetType (" + ", ".join(RESET_TYPES)
                       + ") or eventId", "resetType" if event_id is None else "eventId")
    try:
        done = await reset_workflow(client, workflow_id, str_field(body, "runId"), reason=reason,
                                    event_id=event_id, reset_type=reset_type,
                                    reapply_type=_choice(body, "reapplyType", REAPPLY_TYPES)
                                    or "Signal")
    except UsageError as e:  # the history has no such point
        raise ApiError(HTTPStatus.BAD_REQUEST, str(e), "resetType") from None
    except InvalidArgumentError as e:  # the engine's word on the event (ends no task)
        if event_id is None:
            raise
        raise ApiError(HTTPStatus.BAD_REQUEST, str(e), "eventId") from None
    return {"workflowId": workflow_id, "runId": done.run_id, "eventId": done.event_id}


async def start_batch(client: Any, operation: str, signal_name: str,
                      body: dict[str, Any]) -> dict[str, Any]:
    """``{"query", "reason"?, "rps"?, "jobId"?, "params"? (signal)}`` as ``durable batch
    OPERATION -q --reason --rps -j -i``; answers the batch's description, just started."""
    from durable.cli.batch import describe_job, start_request

    query = body.get("query")
    if not isinstance(query, str):
        raise ApiError(HTTPStatus.BAD_REQUEST, "query is required: a visibility query string "
                                               "(\"\" matches every workflow)", "query")
    req = await start_request(client, operation, query, reason=str_field(body, "reason"),
                              rps=_positive(body, "rps"), job_id=str_field(body, "jobId"),
                              signal_name=signal_name,
                              signal_args=params_field(body) if signal_name else None)
    await client.workflow_service.start_batch_operation(req)
    return jsonable(await describe_job(client, req.job_id))


async def describe_batch(client: Any, job_id: str) -> dict[str, Any]:
    from durable.cli.batch import describe_job

    return jsonable(await describe_job(client, job_id))


async def list_batches(client: Any) -> dict[str, Any]:
    from durable.cli.batch import list_jobs

    return {"operations": jsonable(await list_jobs(client))}


async def stop_batch(client: Any, job_id: str, body: dict[str, Any]) -> dict[str, Any]:
    from durable.cli.batch import stop_job

    await stop_job(client, job_id, str_field(body, "reason"))
    return {"jobId": job_id, "stopped": True}
