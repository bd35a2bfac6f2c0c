"""The web UI's schedule pages in a real headless chromium (Selenium) against a real
durable-server --ui and a real worker: a schedule created from the form fires (a run appears
and is listed as a recent run), the cron and calendar forms make their specs, the edit form
is filled from the schedule and saves a new spec, pause / unpause / trigger / delete work, and
a bad value is refused in the form naming the field."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from durable import workflow
from durable._server_process import ServerProcess
from durable.client import Client
from durable.worker import Worker
from ui_browser import reload_until, text_of, wait_for
from ui_fixtures import browser, client, in_browser, ui_server  # noqa: F401 (fixtures)


@workflow.defn(name="UiTick")
class UiTick:
    @workflow.run
    async def run(self, label: str) -> str:
        return f"tick {label}"


async def test_a_schedule_created_from_the_form_fires(ui_server: ServerProcess, client: Client,
                                                      browser: Any) -> None:
    from selenium.webdriver.common.by import By

    queue = f"ui-{uuid.uuid4().hex[:6]}"
    async with Worker(client, task_queue=queue, workflows=[UiTick]):
        def create() -> None:
            browser.get(ui_server.ui_url + "#/schedules")
            wait_for(browser, lambda d: d.find_elements(By.ID, "new-schedule"))
            browser.find_element(By.ID, "new-schedule").click()
            wait_for(browser, lambda d: d.find_elements(By.ID, "schedule-form"))
            for name, value in (("schedule_id", "every-second"), ("workflow_type", "UiTick"),
                                ("task_queue", queue), ("input", '"from the form"')):
                browser.find_element(By.ID, f"sf-{name}").send_keys(value)
            every = browser.find_element(By.ID, "sf-every")
            every.clear()
            every.send_keys("1")
            browser.find_element(By.ID, "sf-kind-interval").click()
            browser.find_element(By.ID, "sf-create").click()
            wait_for(browser, lambda d: "every 1s" in text_of(d, "#schedule-summary"))
        await in_browser(create)

        # A run appears (seen by the client), and the schedule page lists it as a recent run.
        while True:
            runs = [w async for w in client.list_workflows(
                "TemporalScheduledById = 'every-second'")]
            if runs:
                break
            await asyncio.sleep(0.1)
        assert runs[0].workflow_type == "UiTick" and runs[0].id.startswith("every-second-")
        assert await client.get_workflow_handle(runs[0].id).result() == "tick from the form"

        recent = await in_browser(reload_until, browser, "#recent-runs",
                                  lambda t: "every-second-" in t)
        assert "every-second-" in recent
        await client.get_schedule_handle("every-second").delete()


async def test_cron_calendar_edit_pause_trigger_delete(ui_server: ServerProcess,
                                                        client: Client, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    def create(schedule_id: str, fill: Any) -> None:
        browser.get(ui_server.ui_url + "#/schedules/new")
        wait_for(browser, lambda d: d.find_elements(By.ID, "schedule-form"))
        for name, value in (("schedule_id", schedule_id), ("workflow_type", "UiTick"),
                            ("task_queue", "nowhere")):
            browser.find_element(By.ID, f"sf-{name}").send_keys(value)
        fill()
        browser.find_element(By.ID, "sf-create").click()
        wait_for(browser, lambda d: schedule_id in text_of(d, "h1"))

    def cron() -> None:
        browser.find_element(By.ID, "sf-kind-cron").click()
        browser.find_element(By.ID, "sf-cron").send_keys("30 9 * * 1-5")

    def calendar() -> None:
        browser.find_element(By.ID, "sf-kind-calendar").click()
        browser.find_element(By.ID, "sf-weekday-1").click()
        browser.find_element(By.ID, "sf-weekday-3").click()
        browser.find_element(By.ID, "sf-days_of_month").send_keys("1,15")

    await in_browser(create, "by-cron", cron)
    await in_browser(create, "by-calendar", calendar)
    by_cron = await client.get_schedule_handle("by-cron").describe()
    assert by_cron.schedule.spec.cron_expressions == ["30 9 * * 1-5"]
    cal = (await client.get_schedule_handle("by-calendar").describe()).schedule.spec.calendars[0]
    assert [r.start for r in cal.day_of_week] == [1, 3]
    assert [r.start for r in cal.day_of_month] == [1, 15]
    assert [r.start for r in cal.hour] == [9]

    # The edit form is filled from the schedule and saves a new spec.
    def edit() -> tuple[bool, str, str]:
        browser.get(ui_server.ui_url + "#/schedules/by-calendar")
        wait_for(browser, lambda d: d.find_elements(By.ID, "schedule-edit"))
        browser.find_element(By.ID, "schedule-edit").click()
        wait_for(browser, lambda d: d.find_elements(By.ID, "schedule-form"))
        filled = (browser.find_element(By.ID, "sf-weekday-3").is_selected(),
                  browser.find_element(By.ID, "sf-days_of_month").get_attribute("value"),
                  browser.find_element(By.ID, "sf-at").get_attribute("value"))
        browser.find_element(By.ID, "sf-kind-interval").click()
        every = browser.find_element(By.ID, "sf-every")
        every.clear()
        every.send_keys("3600")
        browser.find_element(By.ID, "sf-create").click()
        wait_for(browser, lambda d: "every 1h" in text_of(d, "#schedule-summary"))
        return filled
    assert await in_browser(edit) == (True, "1,15", "09:00")
    edited = (await client.get_schedule_handle("by-calendar").describe()).schedule.spec
    assert [i.every for i in edited.intervals] == [timedelta(hours=1)] and not edited.calendars

    # Pause, trigger and delete buttons.
    def click(button_id: str, flash: str) -> None:
        browser.find_element(By.ID, button_id).click()
        wait_for(browser, lambda d: flash in text_of(d, "#flash"))
    await in_browser(click, "schedule-pause", "Pause: done.")
    assert (await client.get_schedule_handle("by-calendar").describe()).schedule.state.paused
    await in_browser(click, "schedule-unpause", "Unpause: done.")
    assert not (await client.get_schedule_handle("by-calendar").describe()).schedule.state.paused
    await in_browser(click, "schedule-trigger", "Trigger: done.")
    while not [w async for w in client.list_workflows("TemporalScheduledById = 'by-calendar'")]:
        await asyncio.sleep(0.1)

    def delete() -> None:
        browser.find_element(By.ID, "schedule-delete").click()
        wait_for(browser, lambda d: d.find_elements(By.ID, "schedule-table"))
        wait_for(browser, lambda d: "by-cron" in text_of(d, "#schedule-table"))
    await in_browser(delete)
    assert [s.id async for s in client.list_schedules()] == ["by-cron"]

    # A bad value is refused in the form, naming the field.
    def bad() -> str:
        browser.get(ui_server.ui_url + "#/schedules/new")
        wait_for(browser, lambda d: d.find_elements(By.ID, "schedule-form"))
        browser.find_element(By.ID, "sf-schedule_id").send_keys("bad")
        browser.find_element(By.ID, "sf-kind-calendar").click()
        browser.find_element(By.ID, "sf-days_of_month").send_keys("40")
        browser.find_element(By.ID, "sf-create").click()
        wait_for(browser, lambda d: text_of(d, ".error"))
        return text_of(browser, ".error")
    assert "Days of month: '40'" in await in_browser(bad)
