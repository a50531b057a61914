"""What the browser tests share: the app served for real by uvicorn from a thread, and headless
Debian Chromium driving it. Without /usr/bin/chromium and /usr/bin/chromedriver the tests fail (they
never skip); `make test` installs both (tools/install-chromium)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service

from tests.support.network import free_port
from tools.screenshot import CHROMEDRIVER, CHROMIUM, chromium_options

INSTALL_HINT = "install them with: make browser (apt-get install chromium chromium-driver)"
WAIT = 45  # seconds for a page to load in a busy CI machine (15 was once too short there)


@contextmanager
def served(app: FastAPI, forwarded_allow_ips: str | None = None) -> Iterator[str]:
    """The app on a free local port, served over TCP from a thread; yields its base URL.
    `forwarded_allow_ips`: the proxies whose X-Forwarded-* uvicorn believes (its default: 127.0.0.1)."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", forwarded_allow_ips=forwarded_allow_ips
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="browser-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def chromium(profile: Path, *flags: str, width: int = 1400, height: int = 1800) -> Iterator[webdriver.Chrome]:
    """Headless Chromium with a fresh profile that talks to nothing but the test server."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (path.is_file() and os.access(path, os.X_OK)):
            pytest.fail(f"{path} is missing: the browser tests need Chromium and its driver; {INSTALL_HINT}")
    options = chromium_options(width, height, profile)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, for driver.get_log
    for flag in flags:
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    except WebDriverException as exc:
        pytest.fail(f"Chromium did not start ({exc.msg}); {INSTALL_HINT}")
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
