"""The web UI's workflow pages in a real headless chromium (Selenium) against a real
durable-server --ui and a real worker: the list shows a started workflow, its page shows its
history (events expand to their details) and timeline, the query and update forms show
answers, a signal sent from the form reaches the workflow (its result says so), the reset
form opens a new run, pending activities show their attempt, heartbeat and last failure, the
terminate form terminates, the namespace switcher shows another namespace, and payloads show
as JSON (json/plain) or as encoded bytes (otherwise). Schedules: test_web_ui_schedules.py.

The UI is the server's (durable-server --ui); embedded users open it with
``durable server start-dev --db-filename DIR`` on their directory (docs/ui.md).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from durable import activity, workflow
from durable._server_process import ServerProcess
from durable.client import Client, WorkflowExecutionStatus
from durable.common import RetryPolicy
from durable.exceptions import ApplicationError
from durable.worker import Worker
from ui_browser import reload_until, text_of, wait_for
from ui_fixtures import browser, client, in_browser, ui_server  # noqa: F401 (fixtures)


@activity.defn
async def ui_shout(text: str) -> str:
    return text.upper()


@workflow.defn(name="UiGreeter")
class UiGreeter:
    def __init__(self) -> None:
        self.names: list[str] = []

    @workflow.run
    async def run(self, greeting: str) -> str:
        loud = await workflow.execute_activity(ui_shout, greeting,
                                               start_to_close_timeout=timedelta(seconds=30))
        await workflow.wait_condition(lambda: bool(self.names))
        return f"{loud}, {self.names[0]}"

    @workflow.signal
    def name(self, who: str) -> None:
        self.names.append(who)

    @workflow.query
    def signalled(self, prefix: str) -> str:
        return f"{prefix} {len(self.names)}"

    @workflow.update
    def echo(self, text: str) -> str:
        return f"{text}, {len(self.names)} names"


RELEASE = asyncio.Event()  # lets ui_stuck end when its test is done


@activity.defn
async def ui_stuck(step: str) -> str:
    if activity.info().attempt == 1:
        raise ApplicationError("the first attempt always fails", type="Flaky")
    activity.heartbeat({"step": step})
    await RELEASE.wait()
    return step


@workflow.defn(name="UiStuck")
class UiStuck:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(
            ui_stuck, "halfway", start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(seconds=2),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=10)))


async def test_list_history_and_signal(ui_server: ServerProcess, client: Client,
                                       browser: Any) -> None:
    from selenium.webdriver.common.by import By

    queue = f"ui-{uuid.uuid4().hex[:6]}"
    async with Worker(client, task_queue=queue, workflows=[UiGreeter], activities=[ui_shout]):
        handle = await client.start_workflow(UiGreeter.run, "hello", id="greet-ada",
                                             task_queue=queue)
        await client.start_workflow(UiGreeter.run, "other", id="other-wf", task_queue=queue)

        # The list shows it, and the id-prefix filter keeps it alone.
        def list_page() -> str:
            browser.get(ui_server.ui_url + "#/workflows")
            wait_for(browser, lambda d: "greet-ada" in text_of(d, "#workflow-table"))
            row = text_of(browser, "tr.workflow-row")
            browser.find_element(By.ID, "filter-prefix").send_keys("greet")
            browser.find_element(By.ID, "filter-apply").click()
            wait_for(browser, lambda d: "other-wf" not in text_of(d, "#workflow-table")
                     and "greet-ada" in text_of(d, "#workflow-table"))
            return row
        rows = await in_browser(list_page)
        assert "greet-ada" in rows and "UiGreeter" in rows and "Running" in rows

        # Its page shows the history once the activity is done; an event expands.
        def history_page() -> str:
            browser.find_element(By.LINK_TEXT, "greet-ada").click()
            reload_until(browser, "#history-table", lambda t: "ActivityTaskCompleted" in t)
            row = browser.find_element(By.CSS_SELECTOR, "tr.event[data-kind=ActivityTaskCompleted]")
            row.click()
            details = row.find_element(By.XPATH, "following-sibling::tr[1]")
            wait_for(browser, lambda d: details.is_displayed())
            return (text_of(browser, "#history-table") + "\n" + details.text + "\n" +
                    text_of(browser, "#timeline"))
        history = await in_browser(history_page)
        assert "Activity\tui_shout\tCompleted" in history  # the compact timeline's row
        for kind in ("WorkflowExecutionStarted", "WorkflowTaskScheduled", "ActivityTaskScheduled",
                     "ActivityTaskStarted", "ActivityTaskCompleted"):
            assert kind in history
        assert '"HELLO"' in history  # the activity's result, decoded from json/plain
        assert '"hello"' in text_of(browser, "#workflow-input")

        # The query form shows the workflow's answer.
        def query() -> str:
            form = browser.find_element(By.ID, "query-form")
            form.find_element(By.NAME, "query_type").send_keys("signalled")
            form.find_element(By.NAME, "query_args").send_keys('"names so far:"')
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait_for(browser, lambda d: "names so far" in text_of(d, "#actions .message"))
            return text_of(browser, "#actions .message")
        assert '["names so far: 0"]' in await in_browser(query)

        # So does the update form.
        def update() -> str:
            form = browser.find_element(By.ID, "update-form")
            form.find_element(By.NAME, "update_name").send_keys("echo")
            form.find_element(By.NAME, "update_args").send_keys('"updated"')
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait_for(browser, lambda d: "updated" in text_of(d, "#update-form + .message"))
            return text_of(browser, "#update-form + .message")
        assert '["updated, 0 names"]' in await in_browser(update)

        # A signal from the form reaches the workflow: its result names who was signalled.
        def signal() -> None:
            form = browser.find_element(By.ID, "signal-form")
            form.find_element(By.NAME, "signal_name").send_keys("name")
            form.find_element(By.NAME, "signal_input").send_keys('"Ada"')
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait_for(browser, lambda d: "Signal: done." in text_of(d, "#flash"))
        await in_browser(signal)
        assert await handle.result() == "HELLO, Ada"

        def closed_page() -> str:
            reload_until(browser, "#summary", lambda t: "Completed" in t)
            return text_of(browser, "#workflow-result") + "\n" + text_of(browser, "#history-table")
        closed = await in_browser(closed_page)
        assert '"HELLO, Ada"' in closed and "WorkflowExecutionSignaled" in closed

        # The reset form starts a new run from a workflow task and opens it.
        first_run = (await handle.describe()).run_id

        def reset() -> str:
            task = browser.find_element(By.CSS_SELECTOR, "tr.event[data-kind=WorkflowTaskCompleted]")
            form = browser.find_element(By.ID, "reset-form")
            form.find_element(By.NAME, "event_id").send_keys(task.get_attribute("data-event-id"))
            form.find_element(By.NAME, "reason").send_keys("try again")
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait_for(browser, lambda d: first_run not in d.current_url and
                     "/greet-ada/" in d.current_url)
            return browser.current_url.rsplit("/", 1)[1]
        new_run = await in_browser(reset)
        assert new_run != first_run
        assert (await client.get_workflow_handle("greet-ada").describe()).run_id == new_run
        await client.get_workflow_handle("other-wf").terminate("test over")


async def test_pending_activities_and_the_terminate_form(ui_server: ServerProcess,
                                                          client: Client, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    queue = f"ui-{uuid.uuid4().hex[:6]}"
    RELEASE.clear()
    async with Worker(client, task_queue=queue, workflows=[UiStuck], activities=[ui_stuck]):
        try:
            handle = await client.start_workflow(UiStuck.run, id="stuck", task_queue=queue)

            def pending() -> str:
                browser.get(ui_server.ui_url + "#/workflows/stuck")
                return reload_until(browser, "#pending-activities",
                                    lambda t: "halfway" in t and "started" in t)
            shown = await in_browser(pending)
            assert "ui_stuck" in shown and "2" in shown  # the second attempt
            assert "the first attempt always fails" in shown  # its last failure

            def terminate() -> None:
                form = browser.find_element(By.ID, "terminate-form")
                form.find_element(By.NAME, "reason").send_keys("stuck for good")
                form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
                wait_for(browser, lambda d: "Terminate: done." in text_of(d, "#flash"))
            await in_browser(terminate)
            desc = await handle.describe()
            assert desc.status == WorkflowExecutionStatus.TERMINATED
            assert "stuck for good" in await in_browser(text_of, browser, "#workflow-result")
        finally:
            RELEASE.set()


async def test_the_namespace_switcher(ui_server: ServerProcess, client: Client,
                                      browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    await client.register_namespace("team-a")
    other = await Client.connect(ui_server.address, namespace="team-a")
    try:
        await other.start_workflow("Elsewhere", id="in-team-a", task_queue="q")
    finally:
        await other.close()

    def switch() -> tuple[str, str]:
        browser.get(ui_server.ui_url + "#/workflows")
        wait_for(browser, lambda d: "No workflows" in d.find_element(By.ID, "main").text)
        before = text_of(browser, "#workflow-table")
        wait_for(browser, lambda d: "team-a" in text_of(d, "#namespace"))
        Select(browser.find_element(By.ID, "namespace")).select_by_value("team-a")
        wait_for(browser, lambda d: "in-team-a" in text_of(d, "#workflow-table"))
        return before, text_of(browser, "#workflow-table")
    before, after = await in_browser(switch)
    assert "in-team-a" not in before and "Elsewhere" in after


async def test_payloads_show_as_json_or_as_encoded_bytes(ui_server: ServerProcess,
                                                         browser: Any) -> None:
    import base64
    import json
    import urllib.request

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    payloads = [{"metadata": {"encoding": b64(b"json/plain")}, "data": b64(b'{"n":1}')},
                {"metadata": {"encoding": b64(b"binary/plain")}, "data": b64(b"\x00\xffraw")}]
    req = urllib.request.Request(
        ui_server.ui_url + "api/v1/StartWorkflowExecution", method="POST",
        data=json.dumps({"workflowId": "mixed", "workflowType": "Mixed", "taskQueue": "q",
                         "input": {"payloads": payloads}}).encode())
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status == 200

    def shown() -> str:
        browser.get(ui_server.ui_url + "#/workflows/mixed")
        return reload_until(browser, "#workflow-input", lambda t: "encoding" in t)
    text = await in_browser(shown)
    assert '"n": 1' in text  # json/plain, decoded
    raw = b64(b"\x00\xffraw")
    assert '"encoding": "binary/plain"' in text and f'"base64": "{raw}"' in text
