"""What the browser tests share: the system Chromium (never a downloaded one), the app served by uvicorn on
127.0.0.1 over a seeded registry, a page in a fresh browser context, signing in and out, and the folder the
screenshots are kept in as test artefacts.

Its fixtures (``server``, ``page``) reach every test module through ``pytest_plugins`` in conftest.py; a
browser test module calls ``browser_support.require_browser()`` at import, which skips it with the reason
when Playwright or the system Chromium is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oncobasket.api import create_app
from web_client import PASSWORD, seed_registry, web_settings

REPOSITORY = Path(__file__).resolve().parents[1]
#: Screenshots of the key pages are kept here after the run (CI can collect the folder); override with
#: ONCOBASKET_TEST_ARTEFACTS.
ARTEFACTS = Path(os.environ.get("ONCOBASKET_TEST_ARTEFACTS", REPOSITORY / "test-artefacts")) / "screenshots"

CHROMIUM = Path("/usr/bin/chromium")
#: Chromium as root needs --no-sandbox; the rest keeps it from reaching the network on its own.
CHROMIUM_ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_browser() -> None:
    """Skip the calling test module, with the reason, when Playwright or the system Chromium is missing."""
    pytest.importorskip("playwright.sync_api", reason="the browser tests need the playwright package")
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip(
            "the browser tests need the system Chromium at /usr/bin/chromium (apt-get install chromium)",
            allow_module_level=True,
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    import uvicorn

    from registry_database import TEST_PROTOCOL

    protocol = tmp_path / "protocol.yaml"
    protocol.write_text(TEST_PROTOCOL, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    seed_registry(url, protocol)
    app = create_app(web_settings(url))
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(200):
        if running.started:
            break
        time.sleep(0.05)
    assert running.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)
    app.state.oncobasket.database.dispose()


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGUMENTS, headless=True)
        context = browser.new_context(base_url=server)
        opened = context.new_page()
        yield opened
        context.close()
        browser.close()


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def sign_out(page: Any) -> None:
    page.click("header button[type=submit]")
    page.wait_for_url("**/login")


def screenshot(page: Any, name: str) -> Path:
    """Keep a full-page screenshot of what the browser shows as a test artefact; returns its path."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
