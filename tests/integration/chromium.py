"""Headless Chromium for the browser tests: Debian's chromium and chromium-driver.

Installed by ``bash .ci/install-browser``. Without them, or without Selenium,
the tests skip on a developer's machine and fail in CI (``CI`` set), like the
backend tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pegboard.testing.backend_fixtures import unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (800, 600)
WAIT = 10.0  # seconds for a page or an element; the pages answer in milliseconds

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
)


def start_chromium(profile: Path) -> Any:
    """A headless Chromium with a new empty profile in ``profile``; quit() it when done."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (it is in the dev dependencies: uv sync)")
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.exists():
            unavailable(f"{binary} not found: run bash .ci/install-browser")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    return driver
