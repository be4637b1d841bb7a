"""The web pages in a real browser: Playwright drives the system Chromium (never a downloaded one) against
the app served by uvicorn on 127.0.0.1. Journeys: sign in, upload a result, open the patient, record a
tumour-board decision; a wrong password, a forbidden page and signing out. Screenshots of the key pages are
kept in the test's temporary folder (pytest keeps the last runs)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oncobasket.api import create_app
from web_client import OB0001, PASSWORD, seed_registry, web_settings

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

playwright_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need the playwright package")
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
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGUMENTS, headless=True)
        context = browser.new_context(base_url=server)
        opened = context.new_page()
        yield opened
        context.close()
        browser.close()


def _sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def _sign_out(page: Any) -> None:
    page.click("header button[type=submit]")
    page.wait_for_url("**/login")


def test_upload_then_a_board_decision(page: Any, tmp_path: Path) -> None:
    _sign_in(page, "coordinator")
    page.wait_for_url("**/patients")
    page.screenshot(path=str(tmp_path / "screening-queue.png"), full_page=True)
    page.click("text=IMP-0001")
    page.set_input_files("#file", str(OB0001))
    page.click('button:text-is("Screen")')
    assert "match(es)" in page.inner_text("[role=status]")
    _sign_out(page)

    _sign_in(page, "mtb")
    page.goto("/patients/IMP-0001")
    assert "BRAF" in page.inner_text("table.alterations")
    page.select_option("#decision", "A")
    page.select_option("#drug", "dabrafenib+trametinib|BRAF V600 mutation")
    page.fill("#meeting_date", "2024-04-30")
    page.fill("#rationale", "BRAF V600E: dabrafenib and trametinib")
    page.screenshot(path=str(tmp_path / "decision-form.png"), full_page=True)
    page.click('button:text-is("Record decision")')
    assert "Decision A recorded" in page.inner_text("[role=status]")
    assert "dabrafenib+trametinib" in page.inner_text("table.decisions")
    page.screenshot(path=str(tmp_path / "patient-page.png"), full_page=True)
    page.goto("/cohorts")
    assert "Dabrafenib+Trametinib" in page.inner_text("main")


def test_failure_journeys(page: Any) -> None:
    _sign_in(page, "monitor", "not the password")
    assert "Wrong user name or password" in page.inner_text("[role=alert]")
    _sign_in(page, "inv.hus")
    page.wait_for_url("**/patients")
    assert "IMP-0001" not in page.inner_text("main")
    answer = page.goto("/patients/IMP-0001")
    assert answer.status == 404
    assert page.goto("/audit").status == 403
    page.goto("/patients")
    _sign_out(page)
    page.goto("/patients")
    page.wait_for_url("**/login")
