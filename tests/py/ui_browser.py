"""Headless Debian chromium driven by Selenium, for the web UI tests and the screenshot
script: one browser per use, closed after it."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

CHROMIUM = os.environ.get("DURABLE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("DURABLE_CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT_S = 60  # generous: a failing condition ends the test, a passing one returns at once


def open_browser(width: int = 1400, height: int = 1000) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def wait_for(driver: Any, condition: Callable[[Any], Any]) -> Any:
    """Waits until ``condition(driver)`` is truthy and returns it."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S, poll_frequency=0.1).until(condition)


def text_of(driver: Any, css: str) -> str:
    """The rendered text of the elements matching ``css``, joined ('' while there are none).
    Read in one script, so a page re-rendering meanwhile cannot leave a stale element."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]))"
        ".map(e => e.innerText).join('\\n')", css)


def reload_until(driver: Any, css: str, predicate: Callable[[str], bool]) -> str:
    """Reloads the page (it shows the state as of its load) until the text of ``css``, once
    rendered, satisfies ``predicate``; returns that text."""
    from selenium.webdriver.common.by import By

    def check(d: Any) -> str | bool:
        wait_for(d, lambda d2: d2.find_elements(By.CSS_SELECTOR, css))
        text = text_of(d, css)
        if predicate(text):
            return text or True
        d.refresh()
        return False

    result = wait_for(driver, check)
    return result if isinstance(result, str) else ""
