"""Headless Chromium (Debian's `chromium` and its `chromedriver`), installed by
scripts/install-browser where it is missing; the tests are skipped, saying why, only when it
cannot be installed."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers import ROOT

# Where the browser tests keep what they saw (gitignored); CI's log names the file.
ARTIFACTS = ROOT / "test-artifacts"


def _chromium() -> tuple[str, str] | str:
    """The browser's and the driver's paths, or why they cannot be had."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        installed = subprocess.run(
            [str(ROOT / "scripts" / "install-browser")], capture_output=True, text=True
        )
        if installed.returncode != 0:
            return f"Chromium could not be installed: {installed.stderr.strip()[-500:]}"
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (browser and driver):
        return "scripts/install-browser ran, yet chromium or chromedriver is not on PATH"
    return browser, driver


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    found = _chromium()
    if isinstance(found, str):
        pytest.skip(found)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = found
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1400,900"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(options=options, service=Service(driver))
    try:
        yield chrome
    finally:
        chrome.quit()
