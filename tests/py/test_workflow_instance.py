"""The deterministic workflow event loop, fed hand-made activations (no engine needed)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest

from durable import activity, workflow
from durable.converter import DataConverter
from durable.exceptions import ActivityError, ApplicationError, RetryState
from durable.v1 import activation_pb2 as act_pb
from durable.v1 import commands_pb2, common_pb2, history_pb2
from durable.worker import WorkflowInstance

DC = DataConverter.default
T0 = 1_700_000_000_000_000  # workflow time of the first task, in us


@dataclass
class Order:
    item: str
    qty: int


@activity.defn
async def price(order: Order) -> float:
    return 1.5 * order.qty


@activity.defn(name="ship")
async def ship_it(order: Order, express: bool) -> str:
    return "shipped"


class Harness:
    """Drives one WorkflowInstance like the worker would, without the replay core."""

    def __init__(self, cls: type, *args: object, seed: int = 42) -> None:
        self.instance = WorkflowInstance(workflow._Definition.must_from_class(cls),
                                         data_converter=DC, workflow_id="wf-1", run_id="run-1")
        d = workflow._Definition.must_from_class(cls)
        self.init = act_pb.InitializeWorkflow(
            workflow_type=d.name, workflow_id="wf-1",
            arguments=common_pb2.Payloads(payloads=DC.to_payloads(list(args))),
            randomness_seed=seed,
            started=history_pb2.WorkflowExecutionStartedEventAttributes(
                workflow_type=d.name, task_queue="tq", attempt=1, workflow_id="wf-1",
                first_execution_run_id="run-1"))

    def activate(self, *jobs: act_pb.WorkflowActivationJob, t_us: int = T0,
                 replaying: bool = False) -> act_pb.WorkflowActivationCompletion:
        return self.instance.activate(act_pb.WorkflowActivation(
            run_id="run-1", timestamp_us=t_us, is_replaying=replaying, jobs=list(jobs)))

    def start(self, **kw: object) -> list[commands_pb2.Command]:
        return commands(self.activate(act_pb.WorkflowActivationJob(initialize_workflow=self.init),
                                      **kw))  # type: ignore[arg-type]


def commands(completion: act_pb.WorkflowActivationCompletion) -> list[commands_pb2.Command]:
    assert completion.HasField("successful"), completion
    return list(completion.successful.commands)


def kinds(cmds: list[commands_pb2.Command]) -> list[str]:
    return [c.WhichOneof("variant") for c in cmds]


def fire(seq: int) -> act_pb.WorkflowActivationJob:
    return act_pb.WorkflowActivationJob(fire_timer=act_pb.FireTimer(seq=seq))


def resolve_ok(seq: int, value: object) -> act_pb.WorkflowActivationJob:
    return act_pb.WorkflowActivationJob(resolve_activity=act_pb.ResolveActivity(
        seq=seq, result=act_pb.ActivityResolution(
            completed=common_pb2.Payloads(payloads=DC.to_payloads([value])))))


def resolve_failed(seq: int, message: str) -> act_pb.WorkflowActivationJob:
    failure = common_pb2.Failure(
        message="activity failed", source="engine",
        activity_failure_info=common_pb2.ActivityFailureInfo(
            scheduled_event_id=5, started_event_id=6, activity_type="price", activity_id="1",
            retry_state=common_pb2.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED),
        cause=common_pb2.Failure(
            message=message, source="python",
            application_failure_info=common_pb2.ApplicationFailureInfo(type="OutOfStock")))
    return act_pb.WorkflowActivationJob(resolve_activity=act_pb.ResolveActivity(
        seq=seq, result=act_pb.ActivityResolution(failed=failure)))


def result_of(cmds: list[commands_pb2.Command]) -> object:
    (c,) = [c for c in cmds if c.HasField("complete_workflow_execution")]
    return DC.from_payloads(list(c.complete_workflow_execution.result.payloads))[0]


# --- Workflows under test ---------------------------------------------------------------------


@workflow.defn
class Hello:
    @workflow.run
    async def run(self, name: str) -> str:
        return f"Hello, {name}!"


@workflow.defn(name="order-flow")
class OrderFlow:
    @workflow.run
    async def run(self, order: Order) -> dict:
        await asyncio.sleep(30)
        p = await workflow.execute_activity(price, order,
                                            start_to_close_timeout=timedelta(seconds=5))
        s = await workflow.execute_activity(ship_it, args=[order, True],
                                            schedule_to_close_timeout=timedelta(minutes=1),
                                            task_queue="shipping", activity_id="ship-1")
        return {"price": p, "ship": s, "now": workflow.now().isoformat(),
                "info": [workflow.info().workflow_id, workflow.info().task_queue,
                         workflow.info().workflow_type, workflow.info().attempt]}


@workflow.defn
class Catches:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_activity(price, Order("x", 1),
                                            start_to_close_timeout=timedelta(seconds=5))
        except ActivityError as e:
            assert isinstance(e.cause, ApplicationError)
            return f"{type(e).__name__}:{e.retry_state}:{e.cause.type}:{e.cause.message}"
        return "no error"


@workflow.defn
class Raises:
    @workflow.run
    async def run(self) -> None:
        raise ApplicationError("bad order", "detail", type="BadOrder", non_retryable=True)


@workflow.defn
class Buggy:
    @workflow.run
    async def run(self) -> None:
        {}["missing"]


@workflow.defn
class Randomness:
    @workflow.run
    async def run(self) -> list:
        return [workflow.random().randint(0, 10**9), str(workflow.uuid4()), workflow.time()]


@workflow.defn
class Parallel:
    @workflow.run
    async def run(self) -> list:
        handles = [workflow.start_activity(price, Order(str(i), i),
                                           start_to_close_timeout=timedelta(seconds=5))
                   for i in range(3)]
        return list(await asyncio.gather(*handles))


@workflow.defn
class TimeoutRace:
    @workflow.run
    async def run(self) -> str:
        try:
            await asyncio.wait_for(
                workflow.execute_activity(price, Order("a", 1),
                                          start_to_close_timeout=timedelta(seconds=5)), 10)
        except ActivityError as e:
            # As in temporalio: wait_for cancels the activity (TRY_CANCEL), which then
            # resolves as an ActivityError whose cause is a CancelledError.
            return f"timed out: {type(e.cause).__name__}"
        return "done"


@workflow.defn
class CancelsTimer:
    @workflow.run
    async def run(self) -> str:
        t = asyncio.ensure_future(asyncio.sleep(100))
        await asyncio.sleep(1)
        t.cancel()
        u = asyncio.ensure_future(asyncio.sleep(50))  # started and cancelled in one activation
        await asyncio.sleep(0)
        u.cancel()
        await asyncio.sleep(2)
        return "ok"


@workflow.defn
class DoesIO:
    @workflow.run
    async def run(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, print, "x")


@workflow.defn
class WaitsCondition:
    def __init__(self) -> None:
        self.n = 0

    @workflow.run
    async def run(self) -> int:
        async def bump() -> None:
            for _ in range(3):
                await asyncio.sleep(1)
                self.n += 1

        asyncio.ensure_future(bump())
        await workflow.wait_condition(lambda: self.n >= 3)
        return self.n


# --- Tests ------------------------------------------------------------------------------------


def test_hello_completes_in_one_activation() -> None:
    h = Harness(Hello, "World")
    cmds = h.start()
    assert kinds(cmds) == ["complete_workflow_execution"]
    assert result_of(cmds) == "Hello, World!"
    assert h.instance.completed


def test_timer_then_activities_with_typed_args_and_results() -> None:
    h = Harness(OrderFlow, Order("book", 4))
    cmds = h.start()
    assert kinds(cmds) == ["start_timer"]
    assert cmds[0].start_timer.seq == 1
    assert cmds[0].start_timer.start_to_fire_timeout_us == 30_000_000

    cmds = commands(h.activate(fire(1), t_us=T0 + 30_000_000))
    assert kinds(cmds) == ["schedule_activity"]
    sa = cmds[0].schedule_activity
    assert (sa.seq, sa.activity_id, sa.activity_type, sa.task_queue) == (1, "1", "price", "tq")
    assert sa.start_to_close_timeout_us == 5_000_000
    assert DC.from_payloads(list(sa.input.payloads), [Order]) == [Order("book", 4)]

    cmds = commands(h.activate(resolve_ok(1, 6.0), t_us=T0 + 31_000_000))
    sa = cmds[0].schedule_activity
    assert (sa.seq, sa.activity_id, sa.activity_type, sa.task_queue) == (2, "ship-1", "ship",
                                                                         "shipping")
    assert sa.schedule_to_close_timeout_us == 60_000_000
    assert DC.from_payloads(list(sa.input.payloads), [Order, bool]) == [Order("book", 4), True]

    cmds = commands(h.activate(resolve_ok(2, "shipped"), t_us=T0 + 32_000_000))
    res = result_of(cmds)
    assert res == {"price": 6.0, "ship": "shipped", "now": "2023-11-14T22:13:52+00:00",
                   "info": ["wf-1", "tq", "order-flow", 1]}


def test_activity_failure_raises_activity_error_with_cause_in_workflow() -> None:
    h = Harness(Catches)
    assert kinds(h.start()) == ["schedule_activity"]
    res = result_of(commands(h.activate(resolve_failed(1, "no stock"))))
    assert res == f"ActivityError:{RetryState.MAXIMUM_ATTEMPTS_REACHED}:OutOfStock:no stock"


def test_application_error_fails_the_workflow() -> None:
    cmds = Harness(Raises).start()
    assert kinds(cmds) == ["fail_workflow_execution"]
    f = cmds[0].fail_workflow_execution.failure
    assert f.message == "bad order"
    assert f.application_failure_info.type == "BadOrder"
    assert f.application_failure_info.non_retryable


def test_other_exception_fails_the_task_not_the_workflow() -> None:
    h = Harness(Buggy)
    completion = h.activate(act_pb.WorkflowActivationJob(initialize_workflow=h.init))
    assert completion.HasField("failed")
    assert "missing" in completion.failed.message
    assert completion.failed.application_failure_info.type == "KeyError"
    assert "Buggy" in completion.failed.stack_trace or "run" in completion.failed.stack_trace
    assert not h.instance.completed


def test_failure_exception_types_fail_the_workflow() -> None:
    @workflow.defn(failure_exception_types=[KeyError])
    class BuggyButDeclared:
        @workflow.run
        async def run(self) -> None:
            {}["missing"]

    cmds = Harness(BuggyButDeclared).start()
    assert kinds(cmds) == ["fail_workflow_execution"]


def test_random_and_uuid_are_deterministic_per_seed() -> None:
    a = result_of(Harness(Randomness, seed=7).start())
    b = result_of(Harness(Randomness, seed=7).start())
    c = result_of(Harness(Randomness, seed=8).start())
    assert a == b
    assert a != c
    assert a[2] == T0 / 1e6


def test_parallel_activities_are_numbered_in_call_order() -> None:
    h = Harness(Parallel)
    cmds = h.start()
    assert [c.schedule_activity.seq for c in cmds] == [1, 2, 3]
    # Resolved out of order, in separate activations.
    assert commands(h.activate(resolve_ok(3, 4.5))) == []
    assert commands(h.activate(resolve_ok(1, 0.0))) == []
    assert result_of(commands(h.activate(resolve_ok(2, 1.5)))) == [0.0, 1.5, 4.5]


def test_wait_for_uses_a_durable_timer_and_cancels_it() -> None:
    h = Harness(TimeoutRace)
    cmds = h.start()
    # wait_for arms its timer before the wrapped coroutine runs: a deterministic order.
    assert kinds(cmds) == ["start_timer", "schedule_activity"]
    assert cmds[0].start_timer.start_to_fire_timeout_us == 10_000_000
    cmds = commands(h.activate(resolve_ok(1, 1.0)))
    assert kinds(cmds) == ["cancel_timer", "complete_workflow_execution"]
    assert cmds[0].cancel_timer.seq == 1


def test_wait_for_timeout_cancels_the_activity() -> None:
    h = Harness(TimeoutRace)
    h.start()
    cmds = commands(h.activate(fire(1)))
    assert kinds(cmds) == ["request_cancel_activity", "complete_workflow_execution"]
    assert result_of(cmds) == "timed out: CancelledError"
    # A late resolution of the cancelled activity is ignored.
    assert commands(h.activate(resolve_ok(1, 1.0))) == []


def test_cancelled_timers() -> None:
    h = Harness(CancelsTimer)
    cmds = h.start()
    # ensure_future only schedules: the 1 s sleep of run() starts its timer first.
    assert [(c.start_timer.seq, c.start_timer.start_to_fire_timeout_us) for c in cmds] == [
        (1, 1_000_000), (2, 100_000_000)]
    cmds = commands(h.activate(fire(1)))
    # Timer 3 (50 s) was started and cancelled in this activation: never sent.
    assert kinds(cmds) == ["cancel_timer", "start_timer"]
    assert cmds[0].cancel_timer.seq == 2
    assert cmds[1].start_timer.seq == 4
    assert result_of(commands(h.activate(fire(4)))) == "ok"


def test_io_on_the_workflow_loop_fails_the_task_with_a_clear_error() -> None:
    h = Harness(DoesIO)
    completion = h.activate(act_pb.WorkflowActivationJob(initialize_workflow=h.init))
    assert completion.HasField("failed")
    assert "run_in_executor" in completion.failed.message
    assert "activity" in completion.failed.message


def test_wait_condition_is_rechecked_after_each_step() -> None:
    h = Harness(WaitsCondition)
    assert kinds(h.start()) == ["start_timer"]
    assert kinds(commands(h.activate(fire(1)))) == ["start_timer"]
    assert kinds(commands(h.activate(fire(2)))) == ["start_timer"]
    assert result_of(commands(h.activate(fire(3)))) == 3


def test_workflow_cancellation_request() -> None:
    h = Harness(OrderFlow, Order("a", 1))
    h.start()
    cmds = commands(h.activate(act_pb.WorkflowActivationJob(
        cancel_workflow=act_pb.CancelWorkflow(reason="user"))))
    assert kinds(cmds) == ["cancel_timer", "cancel_workflow_execution"]


def test_logger_is_silent_during_replay(caplog: pytest.LogCaptureFixture) -> None:
    @workflow.defn
    class Logs:
        @workflow.run
        async def run(self) -> None:
            workflow.logger.warning("step one")
            await asyncio.sleep(1)
            workflow.logger.warning("step two")

    h = Harness(Logs)
    with caplog.at_level("WARNING", logger="durable.workflow"):
        h.start(replaying=True)
        h.activate(fire(1))
    messages = [r.getMessage() for r in caplog.records if r.name == "durable.workflow"]
    assert len(messages) == 1
    assert messages[0].startswith("step two")
    assert "wf-1" in messages[0]


def test_undecodable_argument_fails_the_task() -> None:
    h = Harness(OrderFlow, "not an order")
    completion = h.activate(act_pb.WorkflowActivationJob(initialize_workflow=h.init))
    assert completion.HasField("failed")
    assert "cannot decode the arguments of workflow 'order-flow'" in completion.failed.message


def test_unserializable_activity_argument_fails_the_task() -> None:
    @workflow.defn
    class BadArg:
        @workflow.run
        async def run(self) -> None:
            await workflow.execute_activity("x", object(),
                                            start_to_close_timeout=timedelta(seconds=1))

    h = Harness(BadArg)
    completion = h.activate(act_pb.WorkflowActivationJob(initialize_workflow=h.init))
    assert completion.HasField("failed")
    assert completion.failed.application_failure_info.type == "PayloadConversionError"


def test_dispose_cancels_pending_tasks_quietly() -> None:
    h = Harness(OrderFlow, Order("a", 1))
    h.start()
    h.instance.dispose()
    assert h.instance.is_closed()


@workflow.defn
class Spawner:
    def __init__(self) -> None:
        self.side: asyncio.Future[None] | None = None

    @workflow.run
    async def run(self) -> None:
        self.side = asyncio.ensure_future(workflow.wait_condition(lambda: False))
        await asyncio.gather(workflow.wait_condition(lambda: False), self.side)


async def test_dispose_cancels_the_instances_tasks_and_no_other_loops() -> None:
    # dispose() cancels the tasks made through the instance (ensure_future, gather), found
    # without scanning asyncio's process-wide task set; tasks of other loops are untouched.
    other = asyncio.get_running_loop().create_task(asyncio.sleep(3600))
    h = Harness(Spawner)
    assert h.start() == []
    side = h.instance._object.side
    assert side is not None and not side.done()
    h.instance.dispose()
    assert side.cancelled()
    assert h.instance._main_task is not None and h.instance._main_task.cancelled()
    assert not other.done()
    other.cancel()


def test_workflow_calls_outside_a_workflow_raise() -> None:
    with pytest.raises(RuntimeError, match="not in workflow code"):
        workflow.info()
    assert not workflow.in_workflow()
    assert not workflow.unsafe.is_replaying()


async def test_activation_restores_the_callers_running_loop() -> None:
    loop = asyncio.get_running_loop()
    h = Harness(OrderFlow, Order("a", 1))
    h.start()
    assert asyncio.get_running_loop() is loop
