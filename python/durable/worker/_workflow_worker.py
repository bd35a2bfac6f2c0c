"""Polls workflow tasks and runs them through the replay core and workflow code.

Each of ``max_concurrent_workflow_tasks`` lanes is one thread looping: poll (parked in the
engine) -> hand the poll response's bytes (history, updates) to the run's ``WorkflowReplayer``
(never re-serialized by Python) -> for each activation,
``WorkflowInstance.activate`` -> ``replayer.complete`` -> respond. The whole task stays on
the lane's thread: no hand-off to the asyncio loop on the hot path.

Sticky cache: the replayer and instance of each run stay in an LRU of
``max_cached_workflows`` entries (0 = replay from the first event on every task). A task
whose history does not continue the cached replayer (another worker ran the previous task,
or this one was evicted) makes the lane fetch the full history into a fresh replayer.
Tasks of one run are processed one at a time (a lock per run).

On a ``NondeterminismError`` (the code no longer matches history) or any other error, the
task is failed (cause ``nondeterminism`` / ``workflow_error``) with the error as the
failure, and the run is evicted; the engine retries the task later.

Lanes are daemon threads watched by a ``DeadlockDetector`` (``_deadlock_detector.py``):
workflow code that does not yield within ``deadlock_detection_timeout`` has its task failed
and its lane replaced by a new thread; the stuck thread is interrupted and, once it
unwinds, ends without touching the run again.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from durable import activity, workflow
from durable._converter_context import WorkflowSerializationContext, apply_context
from durable._metrics import MetricMeter
from durable._transport import Transport
from durable.exceptions import ApplicationError, NondeterminismError, UnavailableError
from durable.v1 import activation_pb2, commands_pb2, common_pb2, history_pb2, service_pb2
from durable.worker._deadlock_detector import (
    DeadlockDetector,
    DeadlockInterrupt,
    LaneAbandoned,
    LaneWatch,
    Subject,
    TakeOver,
)
from durable.worker._interceptor import Interceptor, WorkflowInboundInterceptor
from durable.worker._local_activity import LocalActivityRunner, LocalRun
from durable.worker._workflow_instance import WorkflowInstance, _converter_parts

logger = logging.getLogger("durable.worker")

_POLL_TIMEOUT_US = 10_000_000  # a parked poll returns empty after this; the lane re-polls
_NOT_A_LANE = contextlib.nullcontext()


class _StaleCache(Exception):
    """The cached replayer cannot take this task; replay from the full history instead."""


class _CachedRun:
    __slots__ = ("replayer", "instance", "local")

    def __init__(self, replayer: Any, instance: WorkflowInstance) -> None:
        self.replayer = replayer
        self.instance = instance
        self.local: dict[int, LocalRun] = {}  # local activities running in the live task

    def dispose(self) -> None:
        for run in self.local.values():
            run.cancel()
        self.local.clear()
        try:
            self.instance.dispose()
        except BaseException:  # SystemExit from workflow code; a late deadlock interrupt
            logger.debug("error disposing a workflow instance", exc_info=True)


class _WorkflowWorker:
    def __init__(
        self,
        *,
        transport: Transport,
        task_queue: str,
        identity: str,
        workflows: Sequence[workflow._Definition],
        data_converter: Any,
        max_cached_workflows: int,
        max_concurrent_workflow_tasks: int,
        failure_exception_types: Sequence[type[BaseException]],
        activities: Sequence[activity._Definition] = (),
        activity_executor: concurrent.futures.Executor | None = None,
        deadlock_timeout: float | None = None,
        interceptor_classes: Sequence[type[WorkflowInboundInterceptor]] = (),
        interceptors: Sequence[Interceptor] = (),
        client: Any = None,
        metric_meter: MetricMeter = MetricMeter.noop,
    ) -> None:
        self._transport = transport
        self._client = client  # for activity.client() in local activities
        self._meter = metric_meter
        self._task_latency = metric_meter.create_histogram_float(
            "durable_workflow_task_execution_latency_seconds",
            "Time a worker took to run one workflow task", "s")
        self._sticky_cache_size = metric_meter.create_gauge(
            "durable_sticky_cache_size", "Workflow runs in the worker's sticky cache")
        self._interceptor_classes = list(interceptor_classes)
        self._interceptors = list(interceptors)  # activity ones, for local activities
        self._activity_defns = {(activity._DYNAMIC_KEY if d.dynamic else d.name): d
                                for d in activities}
        self._activity_executor = activity_executor
        self._local: LocalActivityRunner | None = None  # made in run() (needs the loop)
        self._task_queue = task_queue
        self._identity = identity
        self._defns = {d.key: d for d in workflows}
        self._dc = data_converter
        self._pc, self._fc = _converter_parts(data_converter)
        self._namespace: str = getattr(client, "namespace", None) or "default"
        self._max_cached = max_cached_workflows
        self._lanes = max_concurrent_workflow_tasks
        self._failure_types = tuple(failure_exception_types)
        self._cache: collections.OrderedDict[str, _CachedRun] = collections.OrderedDict()
        self._cache_lock = threading.Lock()
        self._run_locks: dict[str, list[Any]] = {}
        self._run_locks_lock = threading.Lock()
        self._stopping = threading.Event()
        self._tls = threading.local()  # .lane: the LaneWatch of a lane thread
        self._loop: asyncio.AbstractEventLoop | None = None
        self._live_lanes = 0  # lane threads that will end on stop (abandoned ones excluded)
        self._live_lock = threading.Lock()
        self._lanes_ended: asyncio.Event | None = None
        self._lane_seq = 0
        self._taken_over: list[LaneWatch] = []  # lanes the detector replaced
        self._detector = (DeadlockDetector(deadlock_timeout, self._on_deadlock,
                                           name=f"durable-deadlock-{task_queue}")
                          if deadlock_timeout else None)

    # --- Lifecycle ----------------------------------------------------------------------

    async def run(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self._local = LocalActivityRunner(self._activity_defns, self._dc, loop,
                                          self._activity_executor, self._interceptors,
                                          client=self._client)
        self._lanes_ended = asyncio.Event()
        if self._detector is not None:
            self._detector.start()
        with self._live_lock:
            self._live_lanes = self._lanes
        for _ in range(self._lanes):
            self._start_lane_thread()
        try:
            await self._lanes_ended.wait()
        finally:
            self._stopping.set()
            if self._detector is not None:
                self._detector.stop()
            stuck = [lane.name for lane in self._taken_over
                     if lane.thread is not None and lane.thread.is_alive()]
            if stuck:
                logger.warning("workflow worker of %r stopped; %d thread(s) are still stuck "
                               "in deadlocked workflow code and are left behind: %s",
                               self._task_queue, len(stuck), ", ".join(stuck))

    def request_stop(self) -> None:
        self._stopping.set()

    def evict_all(self) -> None:
        with self._cache_lock:
            entries = list(self._cache.values())
            self._cache.clear()
        for e in entries:
            e.dispose()

    @property
    def cached_run_ids(self) -> list[str]:
        with self._cache_lock:
            return list(self._cache)

    # --- Lanes ----------------------------------------------------------------------------

    def _start_lane_thread(self) -> None:
        """Start one lane thread (counted in ``_live_lanes`` by the caller). Daemon: a lane
        stuck in workflow code never delays the exit of the process."""
        self._lane_seq += 1
        lane = LaneWatch(f"durable-wft-{self._task_queue}-{self._lane_seq}")
        lane.thread = threading.Thread(target=self._lane_main, args=(lane,), name=lane.name,
                                       daemon=True)
        lane.thread.start()

    def _lane_main(self, lane: LaneWatch) -> None:
        lane.thread_id = threading.get_ident()
        self._tls.lane = lane
        if self._detector is not None:
            self._detector.watch(lane)
        try:
            try:
                self._lane(lane)
            except BaseException:
                if not lane.abandoned:
                    logger.exception("workflow task lane %s failed", lane.name)
        except BaseException:
            pass  # the detector's interrupt landed in the handler above
        finally:
            if self._detector is not None:
                self._detector.unwatch(lane)
            if not lane.abandoned:
                self._lane_ended()

    def _lane_ended(self) -> None:
        with self._live_lock:
            self._live_lanes -= 1
            last = self._live_lanes == 0
        if last and self._loop is not None and self._lanes_ended is not None:
            try:
                self._loop.call_soon_threadsafe(self._lanes_ended.set)
            except RuntimeError:
                pass  # the loop is closed: nobody waits any more

    def _on_deadlock(self, took: TakeOver, message: str) -> None:
        """The detector took a lane over (detector thread): free the run, fail the task,
        start a replacement lane."""
        subject = took.subject
        logger.error("%s. Stuck at:\n%s", message, took.stack)
        self._taken_over = [lane for lane in self._taken_over
                            if lane.thread is not None and lane.thread.is_alive()]
        self._taken_over.append(took.lane)
        if took.run_slot is not None:
            self._release_run_lock(*took.run_slot)  # the stuck thread never will
        if subject is not None:
            failure = common_pb2.Failure(
                message=message, source="python", stack_trace=took.stack,
                application_failure_info=common_pb2.ApplicationFailureInfo(
                    type="DeadlockError"))
            if subject.is_query:
                self._respond("respond_query_task_completed",
                              service_pb2.RespondQueryTaskCompletedRequest(
                                  task_token=subject.task.task_token, failure=failure))
            else:
                self._respond("respond_workflow_task_failed",
                              service_pb2.RespondWorkflowTaskFailedRequest(
                                  task_token=subject.task.task_token, cause="workflow_error",
                                  failure=failure, identity=self._identity))
        if self._stopping.is_set():
            self._lane_ended()  # no replacement: the worker is shutting down
            return
        try:
            self._start_lane_thread()  # takes the abandoned lane's place in the count
        except Exception:
            logger.exception("could not start a workflow task lane to replace a stuck one")
            self._lane_ended()

    def _abandoned(self) -> bool:
        """Whether the current thread is a lane the deadlock detector took over."""
        lane: LaneWatch | None = getattr(self._tls, "lane", None)
        return lane is not None and lane.abandoned

    def _watched(self) -> Any:
        """A context in which workflow code runs under the deadlock detector's watch (the
        current lane; none outside lanes)."""
        return getattr(self._tls, "lane", None) or _NOT_A_LANE

    def _lane(self, lane: LaneWatch) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                raw = self._transport.call_raw(
                    "poll_workflow_task_queue",
                    service_pb2.PollWorkflowTaskQueueRequest(
                        task_queue=self._task_queue, identity=self._identity,
                        timeout_us=_POLL_TIMEOUT_US))
                task = service_pb2.PollWorkflowTaskQueueResponse.FromString(raw)
            except UnavailableError:
                if self._stopping.is_set():
                    return
                logger.warning("workflow task poll on %r: engine unavailable; retrying",
                               self._task_queue, exc_info=True)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            except Exception:
                if self._stopping.is_set():
                    return
                logger.exception("workflow task poll on %r failed; retrying", self._task_queue)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            backoff = 0.1
            if not task.task_token:
                continue  # poll timed out, or woken for shutdown
            lane.subject = Subject(task.workflow_type, task.workflow_execution.workflow_id,
                                   task.workflow_execution.run_id,
                                   task.HasField("query") and bool(task.query.query_id), task)
            try:
                self.handle_task(task, raw)
            except (LaneAbandoned, DeadlockInterrupt):
                if lane.abandoned:
                    return  # a replacement lane runs in this one's place
                logger.error("workflow task of %s was interrupted",
                             task.workflow_execution.workflow_id)
            except BaseException:
                if lane.abandoned:
                    return
                logger.exception("workflow task of %s failed unexpectedly",
                                 task.workflow_execution.workflow_id)
            finally:
                lane.subject = None

    # --- One task -----------------------------------------------------------------------

    def handle_task(self, task: service_pb2.PollWorkflowTaskQueueResponse,
                    raw: bytes | None = None) -> None:
        """Process one workflow task and respond to the engine (blocking; lane thread).

        ``raw`` is ``task`` as the engine serialized it: given, the replay core reads the
        task's history and updates from it (Python never re-serializes them).
        """
        is_query = task.HasField("query") and bool(task.query.query_id)
        run_id = task.workflow_execution.run_id
        defn = self._defns.get(task.workflow_type) or self._defns.get(workflow._DYNAMIC_KEY)
        if defn is None:
            if is_query:
                self._respond("respond_query_task_completed",
                              service_pb2.RespondQueryTaskCompletedRequest(
                                  task_token=task.task_token, failure=common_pb2.Failure(
                                      message=f"workflow type {task.workflow_type!r} is not "
                                              f"registered on this worker", source="python")))
            else:
                self._fail_unknown_type(task)
            return
        lock = self._acquire_run_lock(run_id)
        lane: LaneWatch | None = getattr(self._tls, "lane", None)
        if lane is not None:
            lane.run_slot = (run_id, lock)  # released by the detector if it takes over
        began = time.monotonic()
        try:
            if is_query:
                self._answer_query(task, defn)
            else:
                self._handle_locked(task, defn, raw)
                self._task_latency.record(time.monotonic() - began,
                                          {"workflow_type": task.workflow_type})
        finally:
            with self._cache_lock:
                cached = len(self._cache)
            self._sticky_cache_size.set(cached)
            if lane is None:
                self._release_run_lock(run_id, lock)
            elif lane.run_slot is not None and not lane.abandoned:
                lane.run_slot = None
                self._release_run_lock(run_id, lock)

    def _answer_query(self, task: service_pb2.PollWorkflowTaskQueueResponse,
                      defn: workflow._Definition) -> None:
        """Answer a query task from the cached instance if it is current, else by replaying
        the task's (full) history into a fresh instance."""
        from durable import _core

        wid = task.workflow_execution.workflow_id
        run_id = task.workflow_execution.run_id
        with self._cache_lock:
            cached = self._cache.pop(run_id, None)
        entry = cached
        if cached is not None and any(
                e.event_id > cached.replayer.last_event_id
                and e.WhichOneof("attributes") == "workflow_task_started"
                for e in task.history.events):
            entry = None  # another worker ran a later task: the cache is behind
        fresh: _CachedRun | None = None
        req = service_pb2.RespondQueryTaskCompletedRequest(task_token=task.task_token)
        try:
            if entry is None:
                replayer = _core.WorkflowReplayer(wid, run_id)
                replayer.add_history(task.history.SerializeToString())
                fresh = entry = _CachedRun(replayer, WorkflowInstance(
                    defn, data_converter=self._dc, workflow_id=wid, run_id=run_id,
                    failure_exception_types=self._failure_types,
                    interceptor_classes=self._interceptor_classes, metric_meter=self._meter,
                    namespace=self._namespace))
                while (raw := replayer.next_activation()) is not None:
                    with self._watched():
                        completion = entry.instance.activate(
                            activation_pb2.WorkflowActivation.FromString(raw))
                    replayer.complete(completion.SerializeToString())
                failure_raw = replayer.take_failure()
                if failure_raw is not None:
                    raise RuntimeError("replaying the workflow to answer the query failed: "
                                       + common_pb2.Failure.FromString(failure_raw).message)
            with self._watched():
                answer = entry.instance.answer_query(task.query)
            if answer.HasField("failed"):
                req.failure.CopyFrom(answer.failed)
            else:
                req.answer.CopyFrom(answer.succeeded)
        except (LaneAbandoned, DeadlockInterrupt):
            raise  # the detector answered; _cache_put (finally) drops the stuck instance
        except BaseException as e:
            logger.warning("query %r of %s (%s) failed: %s", task.query.query_type, wid,
                           defn.name, e)
            req.failure.CopyFrom(common_pb2.Failure(message=f"{type(e).__name__}: {e}",
                                                    source="python"))
        finally:
            if fresh is not None:
                fresh.dispose()
            if cached is not None:
                self._cache_put(run_id, cached)
        self._respond("respond_query_task_completed", req)

    def _handle_locked(self, task: service_pb2.PollWorkflowTaskQueueResponse,
                       defn: workflow._Definition, raw: bytes | None) -> None:
        run_id = task.workflow_execution.run_id
        with self._cache_lock:
            cached = self._cache.pop(run_id, None)
        if cached is not None:
            first_id = task.history.events[0].event_id if task.history.events else 0
            if first_id and cached.replayer.last_event_id + 1 == first_id:
                try:
                    self._process(task, defn, cached, fresh=False, raw=raw)
                    return
                except _StaleCache as e:
                    logger.debug("cached run %s is stale (%s); replaying from full history",
                                 run_id, e.__cause__)
            else:
                cached.dispose()
        self._process(task, defn, None, fresh=True, raw=raw)

    def _process(self, task: service_pb2.PollWorkflowTaskQueueResponse,
                 defn: workflow._Definition, entry: _CachedRun | None, *, fresh: bool,
                 raw: bytes | None = None) -> None:
        """Run one task on ``entry`` (or a new replayer+instance) and respond.

        With ``fresh=False``, a failure of the cached replayer to take the task (history
        shows the previous task failed, or does not continue it) raises ``_StaleCache``
        before anything is sent, so that the caller retries from the full history.
        """
        from durable import _core

        wid = task.workflow_execution.workflow_id
        run_id = task.workflow_execution.run_id
        try:
            if entry is None:
                history = task.history
                first_id = history.events[0].event_id if history.events else 0
                replayer = _core.WorkflowReplayer(wid, run_id)
                if first_id == 1 and raw is not None:
                    replayer.add_task(raw)  # history and updates
                else:
                    if first_id != 1:
                        history = self._full_history(wid, run_id, task.history)
                    replayer.add_history(history.SerializeToString())
                    raw = None  # updates still to add
                entry = _CachedRun(replayer, WorkflowInstance(
                    defn, data_converter=self._dc, workflow_id=wid, run_id=run_id,
                    failure_exception_types=self._failure_types,
                    interceptor_classes=self._interceptor_classes, metric_meter=self._meter,
                    namespace=self._namespace))
            else:
                try:
                    if raw is not None:
                        entry.replayer.add_task(raw)  # history and updates
                    else:
                        entry.replayer.add_history(task.history.SerializeToString())
                except Exception as e:
                    raise _StaleCache() from e
            if raw is None and task.updates:
                entry.replayer.add_pending_updates([u.SerializeToString() for u in task.updates])
            evict = False
            while True:
                try:
                    raw = entry.replayer.next_activation()
                except NondeterminismError:
                    raise
                except Exception as e:
                    if not fresh:
                        raise _StaleCache() from e
                    raise
                if raw is None:
                    if self._run_local_activities(task, defn, entry):
                        continue  # their resolutions make new activations
                    break
                activation = activation_pb2.WorkflowActivation.FromString(raw)
                if any(j.HasField("remove_from_cache") for j in activation.jobs):
                    evict = True
                with self._watched():
                    completion = entry.instance.activate(activation)
                entry.replayer.complete(completion.SerializeToString())
            failure_raw = entry.replayer.take_failure()
            if failure_raw is not None:
                failure = common_pb2.Failure.FromString(failure_raw)
                logger.warning("workflow task of %s (%s) failed: %s", wid, defn.name,
                               failure.message)
                self._respond("respond_workflow_task_failed",
                              service_pb2.RespondWorkflowTaskFailedRequest(
                                  task_token=task.task_token, cause="workflow_error",
                                  failure=failure, identity=self._identity))
                entry.dispose()
                return
            success = activation_pb2.WorkflowActivationCompletion.Success.FromString(
                entry.replayer.take_commands())
            ok = self._respond("respond_workflow_task_completed",
                               service_pb2.RespondWorkflowTaskCompletedRequest(
                                   task_token=task.task_token, commands=success.commands,
                                   identity=self._identity))
            if not ok or evict or entry.instance.completed or self._max_cached <= 0:
                entry.dispose()
                return
            self._cache_put(run_id, entry)
        except _StaleCache:
            if entry is not None:
                entry.dispose()
            raise
        except (LaneAbandoned, DeadlockInterrupt):
            # The detector failed the task: release the instance, send nothing.
            if entry is not None:
                entry.dispose()
            raise
        except NondeterminismError as e:
            logger.error("workflow %s (%s) no longer matches its history: %s", wid,
                         defn.name, e)
            self._fail_task(task, "nondeterminism", e)
            if entry is not None:
                entry.dispose()
        except BaseException as e:  # SystemExit too: it must not end the lane
            logger.exception("workflow task of %s (%s) failed", wid, defn.name)
            self._fail_task(task, "workflow_error", e)
            if entry is not None:
                entry.dispose()

    def _run_local_activities(self, task: service_pb2.PollWorkflowTaskQueueResponse,
                              defn: workflow._Definition, entry: _CachedRun) -> bool:
        """Start the local activities the task asked for, stop those it cancelled, wait
        for at least one to end and resolve the ended ones. Returns False when none runs.
        """
        assert self._local is not None
        replayer = entry.replayer
        for raw in replayer.take_local_activity_requests():
            req = commands_pb2.ScheduleLocalActivityCommand.FromString(raw)
            entry.local[req.seq] = self._local.start(
                req, task.workflow_execution.workflow_id, task.workflow_execution.run_id,
                defn.name, self._task_queue)
        for seq in replayer.take_local_activity_cancels():
            run = entry.local.get(seq)
            if run is not None:
                run.cancel()
        if not entry.local:
            return False
        concurrent.futures.wait([r.future for r in entry.local.values()],
                                return_when=concurrent.futures.FIRST_COMPLETED)
        for seq, run in list(entry.local.items()):
            if run.future.done():
                del entry.local[seq]
                resolution, attempt, elapsed_us = run.future.result()
                replayer.resolve_local_activity(seq, resolution, attempt, elapsed_us)
        return True

    def _full_history(self, workflow_id: str, run_id: str,
                      task_history: history_pb2.History) -> history_pb2.History:
        """Events 1.. of the run, ending with the task's own events.

        The engine writes a workflow task's scheduled/started events only when the task
        completes, so the stored history stops short of them: the task's events are appended
        to the stored events that precede them.
        """
        resp = self._transport.call(
            "get_workflow_execution_history",
            service_pb2.GetWorkflowExecutionHistoryRequest(
                execution=common_pb2.WorkflowExecution(workflow_id=workflow_id, run_id=run_id)))
        first_id = task_history.events[0].event_id if task_history.events else None
        if first_id is None:
            return resp.history
        events = [e for e in resp.history.events if e.event_id < first_id]
        if len(events) != first_id - 1:
            raise RuntimeError(
                f"history of {workflow_id} run {run_id} has {len(resp.history.events)} events, "
                f"but the workflow task's history starts at event {first_id}")
        events.extend(task_history.events)
        return history_pb2.History(events=events)

    def _cache_put(self, run_id: str, entry: _CachedRun) -> None:
        if self._abandoned():
            entry.dispose()  # its task was taken over: the instance is not current
            return
        evicted: list[_CachedRun] = []
        with self._cache_lock:
            self._cache[run_id] = entry
            self._cache.move_to_end(run_id)
            while len(self._cache) > self._max_cached:
                _, old = self._cache.popitem(last=False)
                evicted.append(old)
        for old in evicted:
            old.dispose()

    def _acquire_run_lock(self, run_id: str) -> list[Any]:
        with self._run_locks_lock:
            slot = self._run_locks.get(run_id)
            if slot is None:
                slot = [threading.Lock(), 0]
                self._run_locks[run_id] = slot
            slot[1] += 1
        slot[0].acquire()
        return slot

    def _release_run_lock(self, run_id: str, slot: list[Any]) -> None:
        slot[0].release()
        with self._run_locks_lock:
            slot[1] -= 1
            if slot[1] == 0:
                self._run_locks.pop(run_id, None)

    def _fail_unknown_type(self, task: service_pb2.PollWorkflowTaskQueueResponse) -> None:
        registered = sorted(self._defns)
        err = ApplicationError(
            f"workflow type {task.workflow_type!r} is not registered on this worker "
            f"(task queue {self._task_queue!r}); registered types: {registered}. The workflow "
            "stays open: its task is retried when a worker that has this type polls",
            type="NotFoundError")
        logger.error("%s (workflow id %s)", err.message, task.workflow_execution.workflow_id)
        self._fail_task(task, "workflow_error", err)

    def _fail_task(self, task: service_pb2.PollWorkflowTaskQueueResponse, cause: str,
                   error: BaseException) -> None:
        try:
            context = WorkflowSerializationContext(
                namespace=self._namespace, workflow_id=task.workflow_execution.workflow_id)
            failure = apply_context(self._fc, context).to_failure(
                error, apply_context(self._pc, context))
        except Exception:
            failure = common_pb2.Failure(message=f"{type(error).__name__}: {error}",
                                         source="python",
                                         application_failure_info=common_pb2.ApplicationFailureInfo(
                                             type=type(error).__name__))
        self._respond("respond_workflow_task_failed",
                      service_pb2.RespondWorkflowTaskFailedRequest(
                          task_token=task.task_token, cause=cause, failure=failure,
                          identity=self._identity))

    def _respond(self, rpc: str, request: Any) -> bool:
        if self._abandoned():
            return False  # the deadlock detector answered this task already
        try:
            self._transport.call(rpc, request)
            return True
        except Exception as e:
            # A stale token (the task timed out and went elsewhere) or a closed engine.
            logger.warning("%s refused: %s", rpc, e)
            return False
