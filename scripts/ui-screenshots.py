#!/usr/bin/env python3
"""Screenshots of the web UI's main pages for docs/ui.md: a real durable-server --ui, a worker
running a small order workflow (an activity, a signal, a child), a schedule, and headless
chromium (Selenium) saving docs/images/ui-workflows.png, ui-workflow.png (summary, input and
result, actions), ui-workflow-children.png (children and the relationships tree),
ui-workflow-history.png and ui-schedule-form.png.

    .venv/bin/python scripts/ui-screenshots.py
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "py"))  # the tests' browser helper

from durable import activity, workflow  # noqa: E402
from durable._server_process import ServerProcess  # noqa: E402
from durable.client import Client, Schedule, ScheduleActionStartWorkflow, ScheduleSpec  # noqa: E402
from durable.client import ScheduleIntervalSpec  # noqa: E402
from durable.worker import Worker  # noqa: E402
from ui_browser import open_browser, text_of, wait_for  # noqa: E402

QUEUE = "orders"
IMAGES = ROOT / "docs" / "images"


@activity.defn
async def reserve_stock(item: str) -> dict:
    return {"item": item, "reserved": True}


@workflow.defn(name="PackItem")
class PackItem:
    @workflow.run
    async def run(self, item: str) -> str:
        return f"{item} packed"


@workflow.defn(name="OrderWorkflow")
class OrderWorkflow:
    def __init__(self) -> None:
        self.approved = ""

    @workflow.run
    async def run(self, item: str) -> str:
        await workflow.execute_activity(reserve_stock, item,
                                        start_to_close_timeout=timedelta(seconds=30))
        await workflow.execute_child_workflow(PackItem.run, item, id=f"{workflow.info().workflow_id}-pack")
        await workflow.wait_condition(lambda: bool(self.approved))
        return f"{item} shipped, approved by {self.approved}"

    @workflow.signal
    def approve(self, by: str) -> None:
        self.approved = by


async def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with ServerProcess(args=["--relaxed-writes", "--ui", "127.0.0.1:0"]) as server:
        client = await Client.connect(server.address)
        async with Worker(client, task_queue=QUEUE, workflows=[OrderWorkflow, PackItem],
                          activities=[reserve_stock]):
            for n, item in enumerate(["lamp", "desk", "chair"]):
                h = await client.start_workflow(OrderWorkflow.run, item, id=f"order-{n + 1}",
                                                task_queue=QUEUE)
                if item != "chair":
                    await h.signal(OrderWorkflow.approve, "ops")
                    await h.result()
            await client.create_schedule("nightly-report", Schedule(
                action=ScheduleActionStartWorkflow("PackItem", "report", id="report",
                                                   task_queue=QUEUE),
                spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=24))])))
            await asyncio.to_thread(shoot, server.ui_url)
        await client.close()


def shoot(url: str) -> None:
    from selenium.webdriver.common.by import By

    browser = open_browser(1400, 900)
    try:
        browser.get(url + "#/workflows")
        wait_for(browser, lambda d: "order-3" in text_of(d, "#workflow-table"))
        browser.save_screenshot(str(IMAGES / "ui-workflows.png"))
        browser.get(url + "#/workflows/order-1")
        wait_for(browser, lambda d: "ActivityTaskCompleted" in text_of(d, "#history-table"))
        browser.save_screenshot(str(IMAGES / "ui-workflow.png"))
        wait_for(browser, lambda d: "order-1-" in text_of(d, "#children-tree"))
        # From the "Children" heading: the children table, then the relationships tree.
        browser.execute_script("document.getElementById('children').previousElementSibling"
                               ".scrollIntoView()")
        browser.save_screenshot(str(IMAGES / "ui-workflow-children.png"))
        row = browser.find_element(By.CSS_SELECTOR, "tr.event[data-kind=ActivityTaskCompleted]")
        row.click()
        browser.execute_script("document.getElementById('timeline').previousElementSibling.scrollIntoView()")
        browser.save_screenshot(str(IMAGES / "ui-workflow-history.png"))
        browser.get(url + "#/schedules/new")
        wait_for(browser, lambda d: d.find_elements(By.ID, "schedule-form"))
        browser.find_element(By.ID, "sf-schedule_id").send_keys("hourly-cleanup")
        browser.find_element(By.ID, "sf-workflow_type").send_keys("Cleanup")
        browser.find_element(By.ID, "sf-task_queue").send_keys("ops")
        browser.save_screenshot(str(IMAGES / "ui-schedule-form.png"))
    finally:
        browser.quit()
    print(f"saved {', '.join(p.name for p in sorted(IMAGES.glob('ui-*.png')))} in {IMAGES}")


if __name__ == "__main__":
    asyncio.run(main())
