"""A real headless Chromium (Debian's chromium + chromium-driver) driven by Selenium, for the HTML pages.

``open_page`` loads a file and returns the driver together with every network request the page
made (from Chrome's DevTools performance log) and every console message it logged.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
import tempfile

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")
MISSING = not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK))
needs_chromium = pytest.mark.skipif(MISSING, reason="headless Chromium is not installed "
                                                    "(setup.sh installs Debian's chromium and chromium-driver)")


@contextlib.contextmanager
def chromium(width: int = 1000, height: int = 1400):
    """A fresh headless Chromium (own profile folder, nothing shared), closed afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look for drivers online
    profile = tempfile.mkdtemp(prefix="derive-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def requests(driver) -> list[str]:
    """The URLs of every request made since the last call (DevTools ``Network.requestWillBeSent``).

    The browser's own start page (``chrome://`` URLs, loaded by Chromium itself while it starts)
    is left out: no page on disk can reach those.
    """
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            if not params.get("documentURL", "").startswith("chrome://"):
                urls.append(params["request"]["url"])
    return urls


def console(driver) -> list[dict]:
    """The console messages logged since the last call."""
    return driver.get_log("browser")


def load(driver, path: pathlib.Path) -> tuple[list[str], list[dict]]:
    """Open ``path``; return the requests the page made besides itself, and its console messages."""
    url = path.resolve().as_uri()
    requests(driver), console(driver)  # forget the browser's start page
    driver.get(url)
    driver.execute_script("return document.readyState")
    others = [u for u in requests(driver) if u != url]
    return others, console(driver)


def phone(driver, width: int = 375, height: int = 740) -> None:
    """Lay the page out as a phone of ``width`` CSS pixels would."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
