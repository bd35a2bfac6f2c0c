"""Polls activity tasks and runs activity functions.

Pollers park in the engine on dedicated threads (never on the asyncio loop). Async
activities run as tasks on the worker's loop; sync ones on the ``activity_executor`` (a
thread pool, or a process pool whose heartbeats and cancellation cross through the
``SharedStateManager``). At most ``max_concurrent_activities`` run at once (a poll is only
made when a slot is free), and polls are spaced by ``max_activities_per_second``.
A raised exception becomes ``RespondActivityTaskFailed`` with the converted failure (and the
latest heartbeat details); the engine retries per the activity's retry policy. That includes
BaseExceptions that are not cancellations (``SystemExit``, ``KeyboardInterrupt``): they fail
the attempt (failure type = their class name) and never reach the worker's loop.

Cancellation of an attempt (``activity._Context.set_cancelled``) has four reasons: the
workflow requested it (learned from a heartbeat's answer; reported back with
``RespondActivityTaskCanceled``), the attempt's start-to-close or schedule-to-close deadline
passed locally, the engine no longer knows the attempt (a heartbeat was refused: it timed
out), or the worker's graceful shutdown timeout passed. Async activities get
``asyncio.CancelledError``; sync ones see ``activity.is_cancelled()``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import dataclasses
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from durable import activity
from durable._converter_context import (
    ActivitySerializationContext,
    apply_context,
    takes_context,
)
from durable._metrics import MetricMeter
from durable._transport import Transport
from durable._workflow_handlers import RawValue
from durable.exceptions import (
    ApplicationError,
    CancelledError,
    NotFoundError,
    UnavailableError,
)
from durable.v1 import common_pb2, service_pb2
from durable.worker._activity_heartbeat import Heartbeater, throttle_interval
from durable.worker._activity_interception import run_intercepted
from durable.worker._interceptor import ExecuteActivityInput, Interceptor
from durable.worker._shared_state import (
    SharedStateManager,
    _execute_in_process,
    _ProcessHeartbeat,
)
from durable.worker._thread_cancel import ThreadExceptionRaiser

logger = logging.getLogger("durable.worker")

_POLL_TIMEOUT_US = 10_000_000


class _Running:
    __slots__ = ("task", "ctx", "is_async", "heartbeater", "thread_raiser", "dc")

    def __init__(self) -> None:
        self.task: asyncio.Task[Any] | None = None
        self.dc: Any = None  # the data converter in the activity's serialization context
        self.ctx: activity._Context | None = None
        self.is_async = True
        self.heartbeater: Heartbeater | None = None
        self.thread_raiser: ThreadExceptionRaiser | None = None  # a threaded sync activity

    def cancel(self, reason: str) -> None:
        """Cancel the attempt: flag it, and interrupt it if it is async or threaded."""
        if self.ctx is None or self.ctx.cancelled.is_set():
            return
        self.ctx.set_cancelled(reason)
        if self.thread_raiser is not None:
            self.thread_raiser.raise_in_thread(CancelledError)
        if self.is_async and self.task is not None and not self.task.done():
            self.task.cancel()


class _RateLimiter:
    """Spaces acquisitions by ``1 / per_second`` seconds (on the event loop)."""

    def __init__(self, per_second: float) -> None:
        self._gap = 1.0 / per_second
        self._next = 0.0

    async def acquire(self) -> None:
        now = time.monotonic()
        at = max(now, self._next)
        self._next = at + self._gap
        if at > now:
            await asyncio.sleep(at - now)


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
        shared_state_manager: SharedStateManager | None = None,
        max_activities_per_second: float | None = None,
        max_task_queue_activities_per_second: float | None = None,
        interceptors: Sequence[Interceptor] = (),
        client: Any = None,
        metric_meter: MetricMeter = MetricMeter.noop,
    ) -> None:
        self._transport = transport
        self._client = client
        self._meter = metric_meter
        self._latency = metric_meter.create_histogram_float(
            "durable_activity_execution_latency_seconds",
            "Time an activity attempt ran in the worker (until its outcome was sent)", "s")
        self._interceptors = list(interceptors)
        self._task_queue = task_queue
        self._identity = identity
        self._defns = {(activity._DYNAMIC_KEY if d.dynamic else d.name): d for d in activities}
        self._dc = data_converter
        self._namespace: str = getattr(client, "namespace", None) or "default"
        self._dc_contextual = takes_context(data_converter)
        self._executor = executor
        self._shared = shared_state_manager
        self._in_process_pool = (executor is not None and
                                 not isinstance(executor, concurrent.futures.ThreadPoolExecutor))
        self._limiter = (_RateLimiter(max_activities_per_second)
                         if max_activities_per_second else None)
        self._queue_rate = max_task_queue_activities_per_second or 0.0
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
        """Tell running activities the worker shuts down, wait up to ``timeout`` s for
        them, then cancel the rest and wait for them to end."""
        running = list(self._running.values())
        tasks = [r.task for r in running if r.task is not None]
        if not tasks:
            return
        for r in running:
            if r.ctx is not None:
                r.ctx.set_worker_shutdown()
        if timeout > 0:
            await asyncio.wait(tasks, timeout=timeout)
        for r in list(self._running.values()):
            r.cancel("worker_shutdown")
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _poll_loop(self, slots: asyncio.Semaphore) -> None:
        assert self._loop is not None
        backoff = 0.1
        while not self._stopping.is_set():
            await slots.acquire()
            try:
                if self._limiter is not None:
                    await self._limiter.acquire()
                    if self._stopping.is_set():
                        slots.release()
                        return
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
                timeout_us=_POLL_TIMEOUT_US, max_tasks_per_second=self._queue_rate))

    # --- One activity -------------------------------------------------------------------

    async def _run_activity(self, task: service_pb2.PollActivityTaskQueueResponse,
                            running: _Running) -> None:
        began = time.monotonic()
        try:
            await self._run_activity_timed(task, running)
        finally:
            self._latency.record(time.monotonic() - began,
                                 {"activity_type": task.activity_type})

    async def _run_activity_timed(self, task: service_pb2.PollActivityTaskQueueResponse,
                                  running: _Running) -> None:
        token = task.task_token
        deadline: asyncio.TimerHandle | None = None
        running.dc = dc = self._task_dc(task)
        try:
            defn = (self._defns.get(task.activity_type)
                    or self._defns.get(activity._DYNAMIC_KEY))
            if defn is None:
                raise ApplicationError(
                    f"activity type {task.activity_type!r} is not registered on this worker "
                    f"(task queue {self._task_queue!r}); registered activities: "
                    f"{sorted(self._defns)}",
                    type="NotFoundError")
            info = await self._info(task, dc)
            running.heartbeater = Heartbeater(lambda d: self._send_heartbeat(token, running, d),
                                              throttle_interval(info.heartbeat_timeout))
            payloads = list(task.input.payloads)
            arg_types = defn.arg_types
            if arg_types is not None and len(arg_types) != len(payloads):
                arg_types = None  # let the call report the arity mismatch
            if defn.dynamic:  # one argument: the payloads, codec-decoded only
                args = [[RawValue(p) for p in await self._decode_codec(dc, payloads)]]
            else:
                args = await dc.decode(payloads, arg_types) if payloads else []
            running.is_async = defn.is_async
            deadline = self._arm_deadline(task, running)

            async def execute(input: ExecuteActivityInput, heartbeat: Any) -> Any:
                d = defn if input.fn is defn.fn else dataclasses.replace(defn, fn=input.fn)
                return await self._execute(d, info, running, list(input.args), heartbeat)

            # The context is set before the chain, as in temporalio: interceptors may call
            # activity.info(); the chain's outbound heartbeat replaces the context's.
            running.ctx = activity._Context(info, lambda *d: self._heartbeat(token, d))
            running.ctx.payload_converter = dc.payload_converter
            running.ctx.client = self._client if defn.is_async else None
            running.ctx.metric_meter = self._meter.with_additional_attributes(
                {"activity_type": task.activity_type})
            ctx_token = activity._Context._var.set(running.ctx)
            try:
                result = await run_intercepted(
                    self._interceptors, info, lambda *d: self._heartbeat(token, d), execute,
                    ExecuteActivityInput(fn=defn.fn, args=args, executor=self._executor,
                                         headers=dict(task.header)))
            finally:
                activity._Context._var.reset(ctx_token)
            result_payloads = await dc.encode([result])
        except activity._CompleteAsyncError:
            logger.debug("activity %s (%s) will be completed asynchronously",
                         task.activity_type, task.activity_id)
            return
        except (asyncio.CancelledError, CancelledError) as e:
            await self._respond_cancelled(task, running, e)
            return
        except GeneratorExit:
            raise  # the coroutine is being closed: nothing can be awaited any more
        except BaseException as e:
            # SystemExit, KeyboardInterrupt and other BaseExceptions fail the attempt like any
            # error (as in temporalio), instead of ending the worker or leaving it to time out.
            await self._respond_failed(task, running, e)
            return
        finally:
            if deadline is not None:
                deadline.cancel()
            if running.heartbeater is not None:
                running.heartbeater.close()
        await self._respond("respond_activity_task_completed",
                            service_pb2.RespondActivityTaskCompletedRequest(
                                task_token=token,
                                result=common_pb2.Payloads(payloads=result_payloads),
                                identity=self._identity))

    def _task_dc(self, task: service_pb2.PollActivityTaskQueueResponse) -> Any:
        """The data converter in the task's ActivitySerializationContext."""
        if not self._dc_contextual:
            return self._dc
        return apply_context(self._dc, ActivitySerializationContext(
            namespace=self._namespace, activity_id=task.activity_id,
            activity_type=task.activity_type,
            activity_task_queue=task.task_queue or self._task_queue,
            workflow_id=task.workflow_execution.workflow_id or None,
            workflow_type=task.workflow_type or None, is_local=False))

    async def _decode_codec(self, dc: Any, payloads: list[Any]) -> list[Any]:
        codec = getattr(dc, "payload_codec", None)
        return list(await codec.decode(payloads)) if codec is not None and payloads else payloads

    async def _execute(self, defn: activity._Definition, info: activity.Info,
                       running: _Running, args: list[Any], heartbeat: Any) -> Any:
        """Run the activity function (the end of the inbound interceptor chain)."""
        assert running.ctx is not None
        running.ctx.heartbeat = heartbeat
        if defn.is_async:
            return await self._call_async(defn, running.ctx, args)
        if self._in_process_pool:
            return await self._call_in_process(defn, info, running, args)
        if not defn.no_thread_cancel_exception:
            running.thread_raiser = ThreadExceptionRaiser()
            running.ctx.shield_thread_cancel_exception = running.thread_raiser.shielded
        return await self._call_sync(defn, running.ctx, args, running.thread_raiser)

    async def _info(self, task: service_pb2.PollActivityTaskQueueResponse,
                    dc: Any) -> activity.Info:
        from durable.common import us_to_datetime, us_to_optional_timedelta

        hb_payloads = list(task.heartbeat_details.payloads)
        return activity.Info(
            activity_id=task.activity_id,
            activity_type=task.activity_type,
            attempt=task.attempt or 1,
            current_attempt_scheduled_time=us_to_datetime(task.current_attempt_scheduled_time_us),
            heartbeat_details=await dc.decode(hb_payloads) if hb_payloads else [],
            heartbeat_timeout=us_to_optional_timedelta(task.heartbeat_timeout_us),
            is_local=False,
            schedule_to_close_timeout=us_to_optional_timedelta(task.schedule_to_close_timeout_us),
            scheduled_time=us_to_datetime(task.scheduled_time_us),
            start_to_close_timeout=us_to_optional_timedelta(task.start_to_close_timeout_us),
            started_time=us_to_datetime(task.started_time_us),
            task_queue=task.task_queue or self._task_queue,
            task_token=task.task_token,
            workflow_id=task.workflow_execution.workflow_id,
            workflow_namespace=self._namespace,
            workflow_run_id=task.workflow_execution.run_id,
            workflow_type=task.workflow_type,
        )

    def _arm_deadline(self, task: service_pb2.PollActivityTaskQueueResponse,
                      running: _Running) -> asyncio.TimerHandle | None:
        """Cancel the attempt locally when its start-to-close (or schedule-to-close)
        deadline passes; the engine times it out on its side at the same moment."""
        assert self._loop is not None
        limits = []
        if task.start_to_close_timeout_us > 0:
            limits.append(task.start_to_close_timeout_us / 1e6)
        if task.schedule_to_close_timeout_us > 0 and task.scheduled_time_us > 0:
            left_us = (task.scheduled_time_us + task.schedule_to_close_timeout_us
                       - time.time_ns() // 1000)
            limits.append(max(0.0, left_us / 1e6))
        if not limits:
            return None
        return self._loop.call_later(min(limits), running.cancel, "timed_out")

    async def _call_async(self, defn: activity._Definition, ctx: activity._Context,
                          args: list[Any]) -> Any:
        token = activity._Context._var.set(ctx)
        try:
            return await defn.fn(*args)
        finally:
            activity._Context._var.reset(token)

    async def _call_sync(self, defn: activity._Definition, ctx: activity._Context,
                         args: list[Any], raiser: ThreadExceptionRaiser | None) -> Any:
        assert self._loop is not None and self._executor is not None
        cv = contextvars.copy_context()
        cv.run(activity._Context._var.set, ctx)

        def call() -> Any:
            if raiser is None:
                return defn.fn(*args)
            with raiser.active_thread():
                return defn.fn(*args)

        fut = self._loop.run_in_executor(self._executor, cv.run, call)
        # A cancelled sync activity is told (is_cancelled, and CancelledError raised in its
        # thread) and awaited: its outcome is what it returns or raises.
        return await asyncio.shield(fut) if not fut.done() else fut.result()

    async def _call_in_process(self, defn: activity._Definition, info: activity.Info,
                               running: _Running, args: list[Any]) -> Any:
        assert self._loop is not None and self._executor is not None
        assert self._shared is not None
        token = info.task_token
        sender = self._shared.register_heartbeater(token, lambda d: self._heartbeat(token, d))
        try:
            running.ctx = activity._Context(
                info, lambda *d: self._heartbeat(token, d),
                cancelled=self._shared.new_event(), worker_shutdown=self._shared.new_event())
            fut = self._loop.run_in_executor(
                self._executor, _execute_in_process, info, _ProcessHeartbeat(sender, token),
                running.ctx.cancelled, running.ctx.worker_shutdown, defn.fn, args)
            return await asyncio.shield(fut)
        finally:
            self._shared.unregister_heartbeater(token)

    # --- Answers ------------------------------------------------------------------------

    async def _respond_cancelled(self, task: service_pb2.PollActivityTaskQueueResponse,
                                 running: _Running, error: BaseException) -> None:
        reason = running.ctx.cancel_reason if running.ctx is not None else ""
        if reason == "cancel_requested":
            await self._respond("respond_activity_task_canceled",
                                service_pb2.RespondActivityTaskCanceledRequest(
                                    task_token=task.task_token, identity=self._identity))
        elif reason == "worker_shutdown":
            await self._respond_failed(task, running, ApplicationError(
                "the worker shut down while the activity was running", type="WorkerShutdown"))
        elif reason == "timed_out":
            # No answer: the engine times the attempt out itself (TimeoutError with the
            # timeout's type) at the same deadline; an answer could only race with it.
            logger.info("activity %s (%s) attempt %d was cancelled: its start-to-close or "
                        "schedule-to-close timeout passed", task.activity_type,
                        task.activity_id, task.attempt or 1)
        elif reason == "not_found":
            logger.info("activity %s (%s) was cancelled: the engine no longer knows this "
                        "attempt (it timed out or its workflow closed)",
                        task.activity_type, task.activity_id)
        elif isinstance(error, asyncio.CancelledError) and self._stopping.is_set():
            await self._respond_failed(task, running, ApplicationError(
                "the worker shut down while the activity was running", type="WorkerShutdown"))
        else:
            await self._respond_failed(task, running, error)

    async def _respond_failed(self, task: service_pb2.PollActivityTaskQueueResponse,
                              running: _Running | None, error: BaseException) -> None:
        dc = running.dc if running is not None and running.dc is not None else self._task_dc(task)
        try:
            failure = await dc.encode_failure(error)
        except Exception as conv:
            failure = common_pb2.Failure(
                message=f"{type(error).__name__}: {error} (converting it failed: {conv})",
                source="python",
                application_failure_info=common_pb2.ApplicationFailureInfo(
                    type=type(error).__name__))
        if not isinstance(error, ApplicationError) or error.type != "NotFoundError":
            logger.warning("activity %s (%s) attempt %d failed: %s", task.activity_type,
                           task.activity_id, task.attempt or 1, failure.message)
        req = service_pb2.RespondActivityTaskFailedRequest(
            task_token=task.task_token, failure=failure, identity=self._identity)
        latest = running.heartbeater.latest if running and running.heartbeater else None
        if latest is not None:
            try:
                req.last_heartbeat_details.payloads.extend(await dc.encode(list(latest)))
            except Exception as e:
                logger.warning("could not convert the last heartbeat details: %s", e)
        await self._respond("respond_activity_task_failed", req)

    async def _respond(self, rpc: str, request: Any) -> None:
        try:
            await self._transport.call_async(rpc, request)
        except NotFoundError as e:
            # A stale token: the attempt timed out (and was retried) or the run closed.
            logger.info("%s refused: %s", rpc, e)
        except Exception as e:
            logger.warning("%s refused: %s", rpc, e)

    # --- Heartbeats ---------------------------------------------------------------------

    def _heartbeat(self, token: bytes, details: Sequence[Any]) -> None:
        """Record a heartbeat from any thread."""
        loop = self._loop
        assert loop is not None
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._record_heartbeat(token, details)
        else:
            loop.call_soon_threadsafe(self._record_heartbeat, token, details)

    def _record_heartbeat(self, token: bytes, details: Sequence[Any]) -> None:
        running = self._running.get(token)
        if running is not None and running.heartbeater is not None:
            running.heartbeater.record(details)

    async def _send_heartbeat(self, token: bytes, running: _Running,
                              details: Sequence[Any]) -> None:
        payloads = await (running.dc or self._dc).encode(list(details))
        try:
            resp = await self._transport.call_async(
                "record_activity_task_heartbeat",
                service_pb2.RecordActivityTaskHeartbeatRequest(
                    task_token=token, details=common_pb2.Payloads(payloads=payloads),
                    identity=self._identity))
        except NotFoundError:
            running.cancel("not_found")
            return
        if resp.cancel_requested:
            running.cancel("cancel_requested")
