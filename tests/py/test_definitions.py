"""Decorators validate at definition time; the Worker validates what it is given."""

from __future__ import annotations

import concurrent.futures

import pytest

from durable import activity, workflow
from durable.worker import Worker


def test_run_must_be_async() -> None:
    with pytest.raises(ValueError, match="the run method must be an async function"):

        class W:
            @workflow.run
            def run(self) -> None: ...


def test_defn_without_run_method() -> None:
    with pytest.raises(ValueError, match="has no @workflow.run method"):

        @workflow.defn
        class W:
            async def run(self) -> None: ...


def test_defn_with_two_run_methods() -> None:
    with pytest.raises(ValueError, match="more than one @workflow.run method"):

        @workflow.defn
        class W:
            @workflow.run
            async def a(self) -> None: ...

            @workflow.run
            async def b(self) -> None: ...


def test_defn_name_and_type_hints() -> None:
    @workflow.defn(name="custom")
    class W:
        @workflow.run
        async def run(self, a: int, b: str) -> list[int]: ...

    d = workflow._Definition.must_from_class(W)
    assert d.name == "custom"
    assert d.arg_types == [int, str]
    assert d.ret_type == list[int]
    assert workflow._Definition.from_run_fn(W.run) is d


def test_defn_inherits_run_method() -> None:
    class Base:
        @workflow.run
        async def run(self) -> int:
            return 1

    @workflow.defn
    class Child(Base):
        pass

    assert workflow._Definition.must_from_class(Child).name == "Child"


def test_defn_rejects_empty_name() -> None:
    with pytest.raises(ValueError, match="non-empty"):

        @workflow.defn(name="")
        class W:
            @workflow.run
            async def run(self) -> None: ...


def test_activity_defn() -> None:
    @activity.defn
    async def a(x: int) -> str: ...

    @activity.defn(name="bee")
    def b(x: int, y: float) -> None: ...

    da = activity._Definition.must_from_callable(a)
    db = activity._Definition.must_from_callable(b)
    assert (da.name, da.is_async, da.arg_types, da.ret_type) == ("a", True, [int], str)
    assert (db.name, db.is_async, db.arg_types) == ("bee", False, [int, float])


def test_activity_defn_rejects_generators_and_non_callables() -> None:
    with pytest.raises(ValueError, match="generator"):

        @activity.defn
        async def gen():  # type: ignore[no-untyped-def]
            yield 1

    with pytest.raises(ValueError, match="decorates a function"):
        activity.defn(42)  # type: ignore[call-overload]


def test_execute_activity_needs_a_timeout_and_a_decorated_function() -> None:
    async def not_decorated() -> None: ...

    with pytest.raises(ValueError, match="is not an activity"):
        workflow.start_activity(not_decorated)


def test_activity_calls_outside_an_activity_raise() -> None:
    with pytest.raises(RuntimeError, match="not in an activity"):
        activity.info()
    assert not activity.in_activity()


class _FakeClient:
    identity = "test"
    transport = None
    from durable.converter import DataConverter

    data_converter = DataConverter.default


@activity.defn
def sync_act() -> None: ...


@activity.defn
async def async_act() -> None: ...


@workflow.defn
class _W:
    @workflow.run
    async def run(self) -> None: ...


def test_worker_refuses_sync_activity_without_executor() -> None:
    with pytest.raises(ValueError, match="activity 'sync_act' is not async: pass activity_executor"):
        Worker(_FakeClient(), task_queue="q", activities=[sync_act])
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        Worker(_FakeClient(), task_queue="q", activities=[sync_act], activity_executor=ex)


def test_worker_refuses_bad_registrations() -> None:
    c = _FakeClient()
    with pytest.raises(ValueError, match="at least one workflow or activity"):
        Worker(c, task_queue="q")
    with pytest.raises(ValueError, match="task_queue"):
        Worker(c, task_queue="", activities=[async_act])
    with pytest.raises(ValueError, match="decorate the class with @workflow.defn"):
        Worker(c, task_queue="q", workflows=[int])
    with pytest.raises(ValueError, match="decorate it with @activity.defn"):
        Worker(c, task_queue="q", activities=[print])
    with pytest.raises(ValueError, match="two activities are named 'async_act'"):
        Worker(c, task_queue="q", activities=[async_act, async_act])
    with pytest.raises(ValueError, match="max_cached_workflows"):
        Worker(c, task_queue="q", workflows=[_W], max_cached_workflows=-1)
