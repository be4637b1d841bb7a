"""The web pages in a real browser: Playwright drives the system Chromium (never a downloaded one) against
the app served by uvicorn on 127.0.0.1. Journeys: sign in, upload a result, open the patient, record a
tumour-board decision; a wrong password, a forbidden page and signing out. Screenshots of the key pages are
kept as test artefacts (browser_support.ARTEFACTS)."""

from __future__ import annotations

from typing import Any

import browser_support
from browser_support import screenshot, sign_in, sign_out
from web_client import OB0001

browser_support.require_browser()


def test_upload_then_a_board_decision(page: Any) -> None:
    sign_in(page, "coordinator")
    page.wait_for_url("**/patients")
    screenshot(page, "screening-queue")
    page.click("text=IMP-0001")
    page.set_input_files("#file", str(OB0001))
    page.click('button:text-is("Screen")')
    assert "match(es)" in page.inner_text("[role=status]")
    sign_out(page)

    sign_in(page, "mtb")
    page.goto("/patients/IMP-0001")
    assert "BRAF" in page.inner_text("table.alterations")
    page.select_option("#decision", "A")
    page.select_option("#drug", "dabrafenib+trametinib|BRAF V600 mutation")
    page.fill("#meeting_date", "2024-04-30")
    page.fill("#rationale", "BRAF V600E: dabrafenib and trametinib")
    screenshot(page, "decision-form")
    page.click('button:text-is("Record decision")')
    assert "Decision A recorded" in page.inner_text("[role=status]")
    assert "dabrafenib+trametinib" in page.inner_text("table.decisions")
    screenshot(page, "patient-page")
    page.goto("/cohorts")
    assert "Dabrafenib+Trametinib" in page.inner_text("main")


def test_failure_journeys(page: Any) -> None:
    sign_in(page, "monitor", "not the password")
    assert "Wrong user name or password" in page.inner_text("[role=alert]")
    sign_in(page, "inv.hus")
    page.wait_for_url("**/patients")
    assert "IMP-0001" not in page.inner_text("main")
    answer = page.goto("/patients/IMP-0001")
    assert answer.status == 404
    assert page.goto("/audit").status == 403
    page.goto("/patients")
    sign_out(page)
    page.goto("/patients")
    page.wait_for_url("**/login")
