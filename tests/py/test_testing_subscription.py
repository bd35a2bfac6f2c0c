"""The subscription example on a time-skipping environment: months of trial and billing
skipped on the environment's clock, and a cancellation signal part-way through."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from durable.client import Client
from durable.testing import WorkflowEnvironment
from example_modules import load_example

subscription = load_example("subscription", "subscription")
SubscriptionWorkflow = subscription.SubscriptionWorkflow
Customer = subscription.Customer


async def test_subscription_runs_its_whole_course_in_moments(
        durable_env: WorkflowEnvironment, durable_client: Client, durable_worker: Any) -> None:
    async with durable_worker(workflows=[SubscriptionWorkflow],
                              activities=subscription.ACTIVITIES) as w:
        t0 = await durable_env.get_current_time()
        summary = await durable_client.execute_workflow(
            SubscriptionWorkflow.run, Customer("c-1", "ada@example.com", max_periods=6),
            id="subscription-full", task_queue=w.task_queue)
    assert summary.charges == 6
    assert not summary.cancelled
    assert summary.emails == ["welcome:ada@example.com", "ended:ada@example.com"]
    # The trial and the six billing periods passed on the engine's clock, skipped (the
    # test's timeout is minutes).
    assert await durable_env.get_current_time() - t0 >= timedelta(days=60 + 6 * 30)


async def test_a_cancel_signal_stops_the_charges(
        durable_env: WorkflowEnvironment, durable_client: Client, durable_worker: Any) -> None:
    async with durable_worker(workflows=[SubscriptionWorkflow],
                              activities=subscription.ACTIVITIES) as w:
        t0 = await durable_env.get_current_time()
        handle = await durable_client.start_workflow(
            SubscriptionWorkflow.run, Customer("c-2", "bob@example.com", max_periods=12),
            id="subscription-cancelled", task_queue=w.task_queue)
        # Day 100: charged on days 60 and 90.
        await durable_env.sleep(timedelta(days=100))
        assert await handle.query(SubscriptionWorkflow.charges) == 2
        await handle.signal(SubscriptionWorkflow.cancel)
        summary = await handle.result()
        skipped = await durable_env.get_current_time() - t0
    assert summary.charges == 2
    assert summary.cancelled
    assert summary.emails == ["welcome:bob@example.com", "cancelled:bob@example.com"]
    assert skipped >= timedelta(days=100), skipped  # the 100 days passed on the engine's clock


async def test_cancelling_during_the_trial_charges_nothing(
        durable_env: WorkflowEnvironment, durable_client: Client, durable_worker: Any) -> None:
    async with durable_worker(workflows=[SubscriptionWorkflow],
                              activities=subscription.ACTIVITIES) as w:
        handle = await durable_client.start_workflow(
            SubscriptionWorkflow.run, Customer("c-3", "eve@example.com"),
            id="subscription-trial", task_queue=w.task_queue)
        await durable_env.sleep(timedelta(days=10))
        await handle.signal(SubscriptionWorkflow.cancel)
        summary = await handle.result()
    assert (summary.charges, summary.cancelled) == (0, True)
    assert summary.emails == ["welcome:eve@example.com", "trial-cancelled:eve@example.com"]
