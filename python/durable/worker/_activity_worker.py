"""Polls activity tasks and runs activity functions.

Pollers park in the engine on dedicated threads (never on the asyncio loop). Async
activities run as tasks on the worker's loop; sync ones on the ``activity_executor``. At
most ``max_concurrent_activities`` run at once (a poll is only made when a slot is free).
A raised exception becomes ``RespondActivityTaskFailed`` with the converted failure; the
engine retries per the activity's retry policy.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import threading
from collections.abc import Sequence
from typing import Any

from durable import activity
from durable._transport import Transport
from durable.exceptions import ApplicationError, UnavailableError
from durable.v1 import common_pb2, service_pb2

logger = logging.getLogger("durable.worker")

_POLL_TIMEOUT_US = 10_000_000


class _Running:
    __slots__ = ("task", "ctx", "is_async", "shutdown", "hb_details", "hb_in_flight",
                 "hb_pending")

    def __init__(self) -> None:
        self.task: asyncio.Task[Any] | None = None
        self.ctx: activity._Context | None = None
        self.is_async = True
        self.shutdown = False
        self.hb_details: Sequence[Any] = ()
        self.hb_in_flight = False
        self.hb_pending = False


class _ActivityWorker:
    def __init__(
        self,
        *,
        transport: Transport,
        task_queue: str,
        identity: str,
        activities: Sequence[activity._Definition],
        data_converter: Any,
        executor: concurrent.futures.Executor | None,
        max_concurrent_activities: int,
        max_task_polls: int,
    ) -> None:
        self._transport = transport
        self._task_queue = task_queue
        self._identity = identity
        self._defns = {d.name: d for d in activities}
        self._dc = data_converter
        self._pc = getattr(data_converter, "payload_converter", data_converter)
        self._fc = data_converter.failure_converter
        self._executor = executor
        self._max_concurrent = max_concurrent_activities
        self._n_pollers = max(1, min(max_task_polls, max_concurrent_activities))
        self._poll_executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=self._n_pollers, thread_name_prefix=f"durable-act-poll-{task_queue}")
        self._stopping = threading.Event()
        self._running: dict[bytes, _Running] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def request_stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(self._max_concurrent)
        try:
            await asyncio.gather(*(self._poll_loop(slots) for _ in range(self._n_pollers)))
        finally:
            self._stopping.set()
            self._poll_executor.shutdown(wait=False)

    async def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` s for running activities, then cancel the rest."""
        tasks = [r.task for r in self._running.values() if r.task is not None]
        if not tasks:
            return
        if timeout > 0:
            await asyncio.wait(tasks, timeout=timeout)
        for r in list(self._running.values()):
            if r.task is not None and not r.task.done():
                r.shutdown = True
                r.task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _poll_loop(self, slots: asyncio.Semaphore) -> None:
        assert self._loop is not None
        backoff = 0.1
        while not self._stopping.is_set():
            await slots.acquire()
            try:
                task = await self._loop.run_in_executor(self._poll_executor, self._poll_once)
            except Exception as e:
                slots.release()
                if self._stopping.is_set():
                    return
                if not isinstance(e, UnavailableError):
                    logger.exception("activity task poll on %r failed; retrying",
                                     self._task_queue)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            except BaseException:
                slots.release()
                raise
            backoff = 0.1
            if not task.task_token:
                slots.release()
                continue
            running = _Running()
            self._running[task.task_token] = running
            t = asyncio.create_task(self._run_activity(task, running),
                                    name=f"activity {task.activity_type} {task.activity_id}")
            running.task = t

            def done(_: asyncio.Task[Any], token: bytes = task.task_token) -> None:
                self._running.pop(token, None)
                slots.release()

            t.add_done_callback(done)

    def _poll_once(self) -> service_pb2.PollActivityTaskQueueResponse:
        return self._transport.call(
            "poll_activity_task_queue",
            service_pb2.PollActivityTaskQueueRequest(
                task_queue=self._task_queue, identity=self._identity,
                timeout_us=_POLL_TIMEOUT_US))

    # --- One activity -------------------------------------------------------------------

    async def _run_activity(self, task: service_pb2.PollActivityTaskQueueResponse,
                            running: _Running) -> None:
        from durable.common import us_to_datetime, us_to_optional_timedelta

        defn = self._defns.get(task.activity_type)
        try:
            if defn is None:
                raise ApplicationError(
                    f"activity type {task.activity_type!r} is not registered on this worker "
                    f"(task queue {self._task_queue!r}); registered activities: "
                    f"{sorted(self._defns)}",
                    type="NotFoundError")
            hb_payloads = list(task.heartbeat_details.payloads)
            info = activity.Info(
                activity_id=task.activity_id,
                activity_type=task.activity_type,
                attempt=task.attempt or 1,
                current_attempt_scheduled_time=us_to_datetime(
                    task.current_attempt_scheduled_time_us),
                heartbeat_details=await self._dc.decode(hb_payloads) if hb_payloads else [],
                heartbeat_timeout=us_to_optional_timedelta(task.heartbeat_timeout_us),
                is_local=False,
                schedule_to_close_timeout=us_to_optional_timedelta(
                    task.schedule_to_close_timeout_us),
                scheduled_time=us_to_datetime(task.scheduled_time_us),
                start_to_close_timeout=us_to_optional_timedelta(task.start_to_close_timeout_us),
                started_time=us_to_datetime(task.started_time_us),
                task_queue=task.task_queue or self._task_queue,
                task_token=task.task_token,
                workflow_id=task.workflow_execution.workflow_id,
                workflow_namespace="default",
                workflow_run_id=task.workflow_execution.run_id,
                workflow_type=task.workflow_type,
            )
            payloads = list(task.input.payloads)
            arg_types = defn.arg_types
            if arg_types is not None and len(arg_types) != len(payloads):
                arg_types = None  # let the call report the arity mismatch
            args = await self._dc.decode(payloads, arg_types) if payloads else []
            ctx = activity._Context(info, lambda *d: self._heartbeat(task.task_token, d))
            running.ctx = ctx
            running.is_async = defn.is_async
            if defn.is_async:
                result = await self._call_async(defn, ctx, args)
            else:
                result = await self._call_sync(defn, ctx, args)
            result_payloads = await self._dc.encode([result])
        except asyncio.CancelledError as e:
            if running.shutdown or self._stopping.is_set():
                await self._respond_failed(task, ApplicationError(
                    "the worker shut down while the activity was running",
                    type="WorkerShutdown"))
            elif running.ctx is not None and running.ctx.cancelled.is_set():
                await self._respond("respond_activity_task_canceled",
                                    service_pb2.RespondActivityTaskCanceledRequest(
                                        task_token=task.task_token, identity=self._identity))
            else:
                await self._respond_failed(task, e)
            return
        except Exception as e:
            await self._respond_failed(task, e)
            return
        await self._respond("respond_activity_task_completed",
                            service_pb2.RespondActivityTaskCompletedRequest(
                                task_token=task.task_token,
                                result=common_pb2.Payloads(payloads=result_payloads),
                                identity=self._identity))

    async def _call_async(self, defn: activity._Definition, ctx: activity._Context,
                          args: list[Any]) -> Any:
        token = activity._Context._var.set(ctx)
        try:
            return await defn.fn(*args)
        finally:
            activity._Context._var.reset(token)

    async def _call_sync(self, defn: activity._Definition, ctx: activity._Context,
                         args: list[Any]) -> Any:
        assert self._loop is not None and self._executor is not None
        cv = contextvars.copy_context()
        cv.run(activity._Context._var.set, ctx)
        return await self._loop.run_in_executor(self._executor, cv.run, defn.fn, *args)

    async def _respond_failed(self, task: service_pb2.PollActivityTaskQueueResponse,
                              error: BaseException) -> None:
        try:
            failure = await self._dc.encode_failure(error)
        except Exception as conv:
            failure = common_pb2.Failure(
                message=f"{type(error).__name__}: {error} (converting it failed: {conv})",
                source="python",
                application_failure_info=common_pb2.ApplicationFailureInfo(
                    type=type(error).__name__))
        if not isinstance(error, ApplicationError) or error.type != "NotFoundError":
            logger.warning("activity %s (%s) attempt %d failed: %s", task.activity_type,
                           task.activity_id, task.attempt or 1, failure.message)
        await self._respond("respond_activity_task_failed",
                            service_pb2.RespondActivityTaskFailedRequest(
                                task_token=task.task_token, failure=failure,
                                identity=self._identity))

    async def _respond(self, rpc: str, request: Any) -> None:
        try:
            await self._transport.call_async(rpc, request)
        except Exception as e:
            # Typically a stale token: the attempt timed out and was retried elsewhere.
            logger.warning("%s refused: %s", rpc, e)

    # --- Heartbeats ---------------------------------------------------------------------

    def _heartbeat(self, token: bytes, details: Sequence[Any]) -> None:
        loop = self._loop
        assert loop is not None
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._queue_heartbeat(token, details)
        else:
            loop.call_soon_threadsafe(self._queue_heartbeat, token, details)

    def _queue_heartbeat(self, token: bytes, details: Sequence[Any]) -> None:
        running = self._running.get(token)
        if running is None:
            return
        running.hb_details = details
        if running.hb_in_flight:
            running.hb_pending = True
            return
        running.hb_in_flight = True
        asyncio.get_running_loop().create_task(self._send_heartbeats(token, running))

    async def _send_heartbeats(self, token: bytes, running: _Running) -> None:
        try:
            while True:
                running.hb_pending = False
                try:
                    payloads = await self._dc.encode(list(running.hb_details))
                    resp = await self._transport.call_async(
                        "record_activity_task_heartbeat",
                        service_pb2.RecordActivityTaskHeartbeatRequest(
                            task_token=token, details=common_pb2.Payloads(payloads=payloads),
                            identity=self._identity))
                except Exception as e:
                    logger.warning("heartbeat of activity failed: %s", e)
                    return
                if resp.cancel_requested and running.ctx is not None:
                    if not running.ctx.cancelled.is_set():
                        running.ctx.set_cancelled()
                        if running.is_async and running.task is not None:
                            running.task.cancel()
                if not running.hb_pending:
                    return
        finally:
            running.hb_in_flight = False
