"""Headless Debian Chromium driven through Selenium (chromium and chromium-driver from bin/chromium.sh), for the
board's browser tests, bin/screenshots.sh and bench/board.py. Nothing is fetched: the driver and the browser are
the installed binaries, and the flags keep Chromium from reaching for the network on its own."""
from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1")


def missing() -> str | None:
    """Why the browser cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not Path(binary).exists():
            return f"{binary} is missing (bash bin/chromium.sh installs chromium and chromium-driver)"
    return None


@contextlib.contextmanager
def chromium(width: int = 1440, height: int = 1000) -> Iterator:
    """A headless Chromium with a new, empty profile; quit and the profile removed on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="fate_flow_chromium_")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    service = Service(executable_path=CHROMEDRIVER, log_output=subprocess.DEVNULL)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        try:
            driver.quit()
        finally:
            shutil.rmtree(profile, ignore_errors=True)


def wait_until(condition: Callable[[], object], timeout: float = 15.0, what: str = "the page",
               interval: float = 0.05) -> object:
    """Poll `condition` until it returns something truthy (its value is returned); AssertionError after
    `timeout` seconds. Exceptions inside the condition count as "not yet" (the page may be mid-render)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - an element re-rendered between lookup and use
            last = e
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g}s" + (f" (last error: {last})" if last else ""))
        time.sleep(interval)


def chart_series(driver, selector: str) -> list[dict]:
    """The series (name and data points) of the ECharts chart in the element matching `selector`."""
    return driver.execute_script(
        "const el = document.querySelector(arguments[0]);"
        "const chart = el && echarts.getInstanceByDom(el);"
        "return chart ? chart.getOption().series.map(s => ({name: s.name, data: s.data})) : null;", selector)
