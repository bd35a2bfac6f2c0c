"""The web UI's relationships tree in a real headless chromium against a real durable-server
--ui: a parent that starts a child that starts a grandchild shows as parent → child →
grandchild with their types and statuses; the child's page shows its parent above it; a
click on the grandchild opens its page."""

from __future__ import annotations

import uuid
from typing import Any

from durable import workflow
from durable._server_process import ServerProcess
from durable.client import Client
from durable.worker import Worker
from ui_browser import reload_until, text_of, wait_for
from ui_fixtures import browser, client, in_browser, ui_server  # noqa: F401 (fixtures)


@workflow.defn
class TreeGrandchild:
    def __init__(self) -> None:
        self.done = False

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.done)
        return "grandchild done"


@workflow.defn
class TreeChild:
    @workflow.run
    async def run(self, wid: str) -> str:
        return await workflow.execute_child_workflow(TreeGrandchild.run, id=f"{wid}-grandchild")


@workflow.defn
class TreeParent:
    @workflow.run
    async def run(self, wid: str) -> str:
        return await workflow.execute_child_workflow(TreeChild.run, wid, id=f"{wid}-child")


async def test_parent_child_and_grandchild_form_a_tree(ui_server: ServerProcess, client: Client,
                                                        browser: Any) -> None:
    from selenium.webdriver.common.by import By

    queue = f"ui-tree-{uuid.uuid4().hex[:6]}"
    wid = f"tree-{uuid.uuid4().hex[:6]}"
    async with Worker(client, task_queue=queue,
                      workflows=[TreeParent, TreeChild, TreeGrandchild]):
        parent = await client.start_workflow(TreeParent.run, wid, id=wid, task_queue=queue)

        # The parent's page: itself, then the child, then the grandchild under it, running.
        def parent_tree() -> tuple[str, list[str]]:
            browser.get(ui_server.ui_url + f"#/workflows/{wid}")
            text = reload_until(browser, "#children-tree",
                                lambda t: f"{wid}-grandchild" in t)
            items = [e.text.splitlines()[0] for e in
                     browser.find_elements(By.CSS_SELECTOR, "#children-tree li.tree-item")]
            return text, items
        text, items = await in_browser(parent_tree)
        assert items[0].startswith(f"{wid} TreeParent Running"), items
        assert items[1].startswith(f"{wid}-child TreeChild Running"), items
        assert items[2].startswith(f"{wid}-grandchild TreeGrandchild Running"), items
        # Nested: the grandchild's item is inside the child's, which is inside the parent's.
        nesting = await in_browser(lambda: browser.find_element(
            By.XPATH, f"//li[span/a[text()='{wid}-child']]//li[span/a[text()='{wid}-grandchild']]"
        ).text)
        assert f"{wid}-grandchild" in nesting

        # Once the grandchild finishes, all three complete and the tree says so.
        await client.get_workflow_handle(f"{wid}-grandchild").signal(TreeGrandchild.finish)
        assert await parent.result() == "grandchild done"

        def completed_tree() -> str:
            return reload_until(browser, "#children-tree",
                                lambda t: t.count("Completed") == 3)
        assert f"{wid}-child TreeChild Completed" in await in_browser(completed_tree)

        # The child's page shows its parent above it; the grandchild link opens its page.
        def child_page() -> tuple[str, str]:
            browser.get(ui_server.ui_url + f"#/workflows/{wid}-child")
            text = reload_until(browser, "#children-tree",
                                lambda t: "parent" in t and f"{wid}-grandchild" in t)
            browser.find_element(By.LINK_TEXT, f"{wid}-grandchild").click()
            wait_for(browser, lambda d: "TreeGrandchild" in text_of(d, "#summary"))
            return text, text_of(browser, "#summary")
        child_text, grandchild_summary = await in_browser(child_page)
        assert child_text.splitlines()[0] == f"parent {wid}"
        assert f"{wid}-grandchild" in grandchild_summary


@workflow.defn
class TreeLeaf:
    @workflow.run
    async def run(self) -> None:
        return None


@workflow.defn
class TreeFanOut:
    @workflow.run
    async def run(self, wid: str, n: int) -> int:
        for i in range(n):
            await workflow.execute_child_workflow(TreeLeaf.run, id=f"{wid}-leaf-{i:03d}")
        return n


async def test_a_large_fan_out_is_cut_with_a_note(ui_server: ServerProcess, client: Client,
                                                  browser: Any) -> None:
    from selenium.webdriver.common.by import By

    queue = f"ui-fan-{uuid.uuid4().hex[:6]}"
    wid = f"fan-{uuid.uuid4().hex[:6]}"
    async with Worker(client, task_queue=queue, workflows=[TreeFanOut, TreeLeaf]):
        # 101 children: more than one page (100) of a level.
        assert await client.execute_workflow(TreeFanOut.run, args=[wid, 101], id=wid,
                                             task_queue=queue) == 101

        def tree() -> tuple[int, str]:
            browser.get(ui_server.ui_url + f"#/workflows/{wid}")
            reload_until(browser, "#children-tree", lambda t: "leaf" in t)
            leaves = browser.find_elements(By.CSS_SELECTOR, "#children-tree li li.tree-item")
            return len(leaves), text_of(browser, "#children-tree-more")
        shown, more = await in_browser(tree)
    assert shown == 100
    assert more.startswith("more…")
