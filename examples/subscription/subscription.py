"""A subscription: a free trial, then a charge every billing period, cancellable any time.

    python examples/subscription/subscription.py [--periods N] [--cancel-after-days D]

The workflow sleeps for months; run here on a time-skipping test environment, a year of
subscription takes well under a second (see docs/testing.md and
tests/py/test_testing_subscription.py).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field
from datetime import timedelta

from durable import activity, workflow

EMAIL_TIMEOUT = timedelta(seconds=30)


@dataclass
class Customer:
    id: str
    email: str
    trial_period: timedelta = timedelta(days=60)
    billing_period: timedelta = timedelta(days=30)
    max_periods: int = 12
    amount_cents: int = 999


@dataclass
class Summary:
    customer_id: str
    charges: int
    cancelled: bool
    emails: list[str] = field(default_factory=list)


@activity.defn
async def send_welcome_email(customer: Customer) -> str:
    return f"welcome:{customer.email}"


@activity.defn
async def charge_customer(customer: Customer, period: int) -> str:
    return f"charged {customer.amount_cents} cents to {customer.id} for period {period}"


@activity.defn
async def send_cancellation_email(customer: Customer, during_trial: bool) -> str:
    return f"{'trial-' if during_trial else ''}cancelled:{customer.email}"


@activity.defn
async def send_subscription_ended_email(customer: Customer) -> str:
    return f"ended:{customer.email}"


ACTIVITIES = [send_welcome_email, charge_customer, send_cancellation_email,
              send_subscription_ended_email]


@workflow.defn
class SubscriptionWorkflow:
    """Welcome email; a trial; then up to ``max_periods`` charges, one per billing period.

    The ``cancel`` signal ends it at any time (with a cancellation email); after the last
    period it ends with a subscription-ended email.
    """

    def __init__(self) -> None:
        self._cancelled = False
        self._charges = 0

    @workflow.signal
    def cancel(self) -> None:
        self._cancelled = True

    @workflow.query
    def charges(self) -> int:
        return self._charges

    async def _wait_unless_cancelled(self, period: timedelta) -> bool:
        """Sleep ``period``; True when the subscription was cancelled meanwhile."""
        try:
            await workflow.wait_condition(lambda: self._cancelled, timeout=period)
        except asyncio.TimeoutError:
            return False
        return True

    @workflow.run
    async def run(self, customer: Customer) -> Summary:
        emails = [await workflow.execute_activity(send_welcome_email, customer,
                                                  start_to_close_timeout=EMAIL_TIMEOUT)]
        if await self._wait_unless_cancelled(customer.trial_period):
            emails.append(await workflow.execute_activity(
                send_cancellation_email, args=[customer, True],
                start_to_close_timeout=EMAIL_TIMEOUT))
            return Summary(customer.id, 0, True, emails)
        for period in range(1, customer.max_periods + 1):
            await workflow.execute_activity(charge_customer, args=[customer, period],
                                            start_to_close_timeout=EMAIL_TIMEOUT)
            self._charges += 1
            if await self._wait_unless_cancelled(customer.billing_period):
                emails.append(await workflow.execute_activity(
                    send_cancellation_email, args=[customer, False],
                    start_to_close_timeout=EMAIL_TIMEOUT))
                return Summary(customer.id, self._charges, True, emails)
        emails.append(await workflow.execute_activity(send_subscription_ended_email, customer,
                                                      start_to_close_timeout=EMAIL_TIMEOUT))
        return Summary(customer.id, self._charges, False, emails)


async def main(periods: int, cancel_after_days: int | None) -> None:
    from durable.testing import WorkflowEnvironment
    from durable.worker import Worker

    async with await WorkflowEnvironment.start_time_skipping() as env:
        async with Worker(env.client, task_queue="subscriptions",
                          workflows=[SubscriptionWorkflow], activities=ACTIVITIES):
            started = time.monotonic()
            handle = await env.client.start_workflow(
                SubscriptionWorkflow.run, Customer("c-1", "ada@example.com", max_periods=periods),
                id="subscription-c-1", task_queue="subscriptions")
            if cancel_after_days is not None:
                await env.sleep(timedelta(days=cancel_after_days))
                await handle.signal(SubscriptionWorkflow.cancel)
            summary = await handle.result()
            print(f"{summary} in {time.monotonic() - started:.2f} s of wall time, "
                  f"virtual time now {await env.get_current_time():%Y-%m-%d}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--cancel-after-days", type=int, default=None)
    args = parser.parse_args()
    asyncio.run(main(args.periods, args.cancel_after_days))
