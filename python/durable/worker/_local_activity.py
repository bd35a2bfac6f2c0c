"""Runs local activities for the workflow worker, inside the workflow task.

A workflow's ``execute_local_activity`` becomes a ScheduleLocalActivity command that the
replay core hands to the worker (``take_local_activity_requests``) instead of the engine.
The workflow task's lane thread starts each one here (on the worker's event loop: async
activities as tasks, sync ones on the ``activity_executor``), waits, and reports each
outcome with ``resolve_local_activity``; the replay core records it as a marker, so a
replay reads the marker and never runs the activity again.

Retries happen here, by the retry policy (Temporal's defaults when unset), with the
backoff slept on the event loop, all within the workflow task: keep local activities
short (well under the workflow task timeout). ``start_to_close_timeout`` bounds one
attempt (a ``TimeoutError`` of type START_TO_CLOSE, retried); ``schedule_to_close_timeout``
bounds all attempts (a final ``TimeoutError`` of type SCHEDULE_TO_CLOSE).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from durable import activity
from durable._converter_context import (
    ActivitySerializationContext,
    apply_context,
    takes_context,
)
from durable._workflow_handlers import RawValue
from durable.exceptions import (
    ApplicationError,
    CancelledError,
    TimeoutError,
    TimeoutType,
)
from durable.v1 import activation_pb2, commands_pb2, common_pb2
from durable.worker._activity_interception import run_intercepted
from durable.worker._interceptor import ExecuteActivityInput, Interceptor

logger = logging.getLogger("durable.worker")

Outcome = tuple[bytes, int, int]
"""(ActivityResolution bytes, last attempt, elapsed microseconds)."""


class LocalActivityRunner:
    """Starts local activities on ``loop`` and returns their outcomes as futures.

    Args:
        activities: The worker's activity definitions by name.
        data_converter: The client's data converter.
        loop: The worker's event loop (the runner is called from lane threads).
        executor: Runs sync activities (a thread pool); None if there are none.
    """

    def __init__(self, activities: Mapping[str, activity._Definition], data_converter: Any,
                 loop: asyncio.AbstractEventLoop,
                 executor: concurrent.futures.Executor | None,
                 interceptors: Sequence[Interceptor] = (), client: Any = None) -> None:
        self._defns = dict(activities)
        self._client = client  # activity.client() of async local activities
        self._interceptors = list(interceptors)
        self._dc = data_converter
        self._namespace: str = getattr(client, "namespace", None) or "default"
        self._loop = loop
        self._executor = executor

    def start(self, req: commands_pb2.ScheduleLocalActivityCommand, workflow_id: str,
              run_id: str, workflow_type: str, task_queue: str) -> LocalRun:
        """Start one local activity (thread-safe)."""
        run = LocalRun(self._loop)

        def spawn() -> None:
            run._task = self._loop.create_task(
                self._run(run, req, workflow_id, run_id, workflow_type, task_queue))
            if run._cancel_requested:
                run._task.cancel()
            run._task.add_done_callback(run._done)

        self._loop.call_soon_threadsafe(spawn)
        return run

    async def _run(self, run: LocalRun, req: commands_pb2.ScheduleLocalActivityCommand,
                   workflow_id: str, run_id: str, workflow_type: str, task_queue: str
                   ) -> Outcome:
        began = time.monotonic()
        attempt = [max(1, req.attempt)]
        dc = self._dc if not takes_context(self._dc) else apply_context(
            self._dc, ActivitySerializationContext(
                namespace=self._namespace, activity_id=req.activity_id or str(req.seq),
                activity_type=req.activity_type, activity_task_queue=task_queue,
                workflow_id=workflow_id, workflow_type=workflow_type, is_local=True))
        try:
            return await self._attempts(req, attempt, began, workflow_id, run_id,
                                        workflow_type, task_queue, dc)
        except asyncio.CancelledError:  # cancelled between attempts
            failure = await dc.encode_failure(CancelledError("local activity cancelled"))
            return self._outcome(activation_pb2.ActivityResolution(cancelled=failure),
                                 attempt[0], began)

    async def _attempts(self, req: commands_pb2.ScheduleLocalActivityCommand,
                        attempt_box: list[int], began: float, workflow_id: str, run_id: str,
                        workflow_type: str, task_queue: str, dc: Any) -> Outcome:
        from durable.common import RetryPolicy, us_to_datetime, us_to_optional_timedelta

        attempt = attempt_box[0]
        policy = (RetryPolicy.from_proto(req.retry_policy) if req.HasField("retry_policy")
                  else RetryPolicy())
        s2c = req.schedule_to_close_timeout_us / 1e6 if req.schedule_to_close_timeout_us else None
        st2c = req.start_to_close_timeout_us / 1e6 if req.start_to_close_timeout_us else None
        scheduled = (us_to_datetime(req.original_schedule_time_us)
                     if req.original_schedule_time_us else datetime.now(timezone.utc))
        while True:
            elapsed = time.monotonic() - began
            limit = st2c
            final_type = TimeoutType.START_TO_CLOSE
            if s2c is not None and (limit is None or s2c - elapsed < limit):
                limit, final_type = max(0.0, s2c - elapsed), TimeoutType.SCHEDULE_TO_CLOSE
            info = activity.Info(
                activity_id=req.activity_id or str(req.seq),
                activity_type=req.activity_type,
                attempt=attempt,
                current_attempt_scheduled_time=datetime.now(timezone.utc),
                heartbeat_details=[],
                heartbeat_timeout=None,
                is_local=True,
                schedule_to_close_timeout=us_to_optional_timedelta(
                    req.schedule_to_close_timeout_us),
                scheduled_time=scheduled,
                start_to_close_timeout=us_to_optional_timedelta(req.start_to_close_timeout_us),
                started_time=datetime.now(timezone.utc),
                task_queue=task_queue,
                task_token=b"",
                workflow_id=workflow_id,
                workflow_namespace=self._namespace,
                workflow_run_id=run_id,
                workflow_type=workflow_type,
            )
            try:
                result = await self._attempt(req, info, limit, final_type, dc)
            except asyncio.CancelledError:
                failure = await dc.encode_failure(CancelledError("local activity cancelled"))
                return self._outcome(activation_pb2.ActivityResolution(cancelled=failure),
                                     attempt, began)
            except GeneratorExit:
                raise
            except BaseException as e:  # SystemExit & co fail the attempt, as in temporalio
                failure = await self._encode_failure(e, dc)
                delay = self._retry_delay(policy, attempt, e)
                elapsed = time.monotonic() - began
                if isinstance(e, TimeoutError) and e.type == TimeoutType.SCHEDULE_TO_CLOSE:
                    delay = None
                if delay is not None and s2c is not None and elapsed + delay >= s2c:
                    delay = None
                if delay is None:
                    return self._outcome(activation_pb2.ActivityResolution(failed=failure),
                                         attempt, began)
                logger.info("local activity %s attempt %d failed (%s); retrying in %.3f s",
                            req.activity_type, attempt, failure.message, delay)
                await asyncio.sleep(delay)
                attempt += 1
                attempt_box[0] = attempt
                continue
            return self._outcome(activation_pb2.ActivityResolution(
                completed=common_pb2.Payloads(payloads=result)), attempt, began)

    async def _attempt(self, req: commands_pb2.ScheduleLocalActivityCommand,
                       info: activity.Info, limit: float | None,
                       timeout_type: TimeoutType, dc: Any) -> list[common_pb2.Payload]:
        defn = self._defns.get(req.activity_type) or self._defns.get(activity._DYNAMIC_KEY)
        if defn is None:
            raise ApplicationError(
                f"local activity type {req.activity_type!r} is not registered on this worker "
                f"(pass it in Worker(activities=...)); registered: {sorted(self._defns)}",
                type="NotFoundError", non_retryable=True)
        payloads = list(req.input.payloads)
        arg_types = defn.arg_types
        if arg_types is not None and len(arg_types) != len(payloads):
            arg_types = None
        if defn.dynamic:  # one argument: the payloads, codec-decoded only
            codec = getattr(dc, "payload_codec", None)
            if codec is not None and payloads:
                payloads = list(await codec.decode(payloads))
            args = [[RawValue(p) for p in payloads]]
        else:
            args = await dc.decode(payloads, arg_types) if payloads else []
        ctx = activity._Context(info, _ignore_heartbeat)
        ctx.payload_converter = dc.payload_converter
        ctx.client = self._client if defn.is_async else None
        if not defn.is_async and (self._executor is None or not isinstance(
                self._executor, concurrent.futures.ThreadPoolExecutor)):
            raise ApplicationError(
                f"local activity {req.activity_type!r} is not async: it needs the "
                "worker's activity_executor to be a ThreadPoolExecutor",
                type="ConfigurationError", non_retryable=True)

        async def execute(input: ExecuteActivityInput, heartbeat: Any) -> Any:
            # The end of the interceptor chain; a sync function gets the chain's context.
            if defn.is_async:
                return await input.fn(*input.args)
            return await self._loop.run_in_executor(
                self._executor, contextvars.copy_context().run, input.fn, *input.args)

        cv = contextvars.copy_context()
        cv.run(activity._Context._var.set, ctx)
        # cv.run(create_task): the task copies cv (create_task(context=) is 3.11+).
        call: asyncio.Future[Any] = cv.run(self._loop.create_task, _contained(run_intercepted(
            self._interceptors, info, _ignore_heartbeat, execute,
            ExecuteActivityInput(fn=defn.fn, args=args, executor=self._executor,
                                 headers=dict(req.header)))))
        try:
            result = await asyncio.wait_for(asyncio.shield(call), limit)
        except asyncio.TimeoutError:
            ctx.set_cancelled("timed_out")
            call.cancel()
            raise TimeoutError(f"local activity {req.activity_type!r} timed out "
                               f"({timeout_type.name})", type=timeout_type) from None
        except asyncio.CancelledError:
            ctx.set_cancelled("cancel_requested")
            call.cancel()
            raise
        if isinstance(result, _Raised):
            raise result.error
        return list(await dc.encode([result]))

    @staticmethod
    async def _encode_failure(error: BaseException, dc: Any) -> common_pb2.Failure:
        try:
            return await dc.encode_failure(error)  # type: ignore[no-any-return]
        except Exception as conv:
            return common_pb2.Failure(
                message=f"{type(error).__name__}: {error} (converting it failed: {conv})",
                source="python",
                application_failure_info=common_pb2.ApplicationFailureInfo(
                    type=type(error).__name__))

    @staticmethod
    def _retry_delay(policy: Any, attempt: int, error: BaseException) -> float | None:
        """Seconds before the next attempt, or None when the failure is final."""
        err_type = error.type if isinstance(error, ApplicationError) else type(error).__name__
        if isinstance(error, ApplicationError) and error.non_retryable:
            return None
        if err_type in (policy.non_retryable_error_types or ()):
            return None
        if policy.maximum_attempts and attempt >= policy.maximum_attempts:
            return None
        if isinstance(error, ApplicationError) and error.next_retry_delay is not None:
            return error.next_retry_delay.total_seconds()
        initial = policy.initial_interval.total_seconds()
        cap = (policy.maximum_interval.total_seconds() if policy.maximum_interval is not None
               else 100 * initial)
        return float(min(initial * policy.backoff_coefficient ** (attempt - 1), cap))

    @staticmethod
    def _outcome(resolution: activation_pb2.ActivityResolution, attempt: int,
                 began: float) -> Outcome:
        return (resolution.SerializeToString(), attempt,
                int((time.monotonic() - began) * 1_000_000))


class LocalRun:
    """One running local activity: its outcome future and a thread-safe ``cancel()``."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._task: asyncio.Task[Outcome] | None = None
        self._cancel_requested = False
        self.future: concurrent.futures.Future[Outcome] = concurrent.futures.Future()

    def cancel(self) -> None:
        """Stop the activity; it resolves as cancelled (or with its outcome if it ended)."""

        def do() -> None:
            self._cancel_requested = True
            if self._task is not None:
                self._task.cancel()

        self._loop.call_soon_threadsafe(do)

    def _done(self, task: asyncio.Task[Outcome]) -> None:
        if task.cancelled():
            self.future.set_exception(RuntimeError("the local activity was interrupted"))
        elif task.exception() is not None:
            self.future.set_exception(task.exception())  # type: ignore[arg-type]
        else:
            self.future.set_result(task.result())


class _Raised:
    """A BaseException an async local activity raised, carried as its task's result."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


async def _contained(coro: Any) -> Any:
    """Run the activity's coroutine; a SystemExit or KeyboardInterrupt it raises comes back
    as a ``_Raised`` result, since raised out of a task it would stop the worker's loop."""
    try:
        return await coro
    except (asyncio.CancelledError, GeneratorExit):
        raise
    except BaseException as e:
        return _Raised(e)


def _ignore_heartbeat(*details: Any) -> None:
    """Local activities have no heartbeats (as in Temporal): they are ignored."""
