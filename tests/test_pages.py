"""The web pages through the app factory (SQLite and PostgreSQL): sign-in with CSRF and secure cookie flags,
sign-out that ends the session, the patient page, a decision from the form, site restriction by URL, the
cohort dashboard and the audit log with filters."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from oncobasket.api import create_app
from registry_database import database_url, protocol_file  # noqa: F401 - fixtures
from web_client import OB0001, PASSWORD, Web, seed_registry, web, web_settings  # noqa: F401 - fixtures


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


def _sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    token = _csrf(client.get("/login").text)
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/patients"
    return _csrf(client.get("/patients").text)


def test_pages_need_a_session_and_sign_in_needs_the_csrf_token(web: Web) -> None:  # noqa: F811 - the imported fixture
    client = web.client
    assert client.get("/patients", follow_redirects=False).headers["location"] == "/login"
    client.get("/login")
    forged = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"})
    assert forged.status_code == 403
    wrong = client.post(
        "/login",
        data={"username": "admin", "password": "wrong password", "csrf_token": _csrf(client.get("/login").text)},
    )
    assert wrong.status_code == 401
    assert "Wrong user name or password" in wrong.text


def test_the_session_cookie_is_http_only_and_strict_and_secure_when_configured(
    database_url: str,  # noqa: F811
    protocol_file: object,  # noqa: F811
) -> None:
    seed_registry(database_url, protocol_file)  # type: ignore[arg-type]
    app = create_app(web_settings(database_url, secure_cookies=True))
    with TestClient(app, base_url="https://testserver") as client:
        cookie = client.get("/login").headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert "secure" in cookie
        app.state.oncobasket.database.dispose()


def test_sign_out_ends_the_session(web: Web) -> None:  # noqa: F811 - the imported fixture
    token = _sign_in(web.client, "monitor")
    assert web.client.get("/patients").status_code == 200
    assert web.client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert web.client.get("/patients", follow_redirects=False).status_code == 303


def test_a_decision_from_the_patient_page(web: Web) -> None:  # noqa: F811 - the imported fixture
    with OB0001.open("rb") as handle:
        screened = web.client.post(
            "/api/v1/patients/IMP-0001/screenings", files={"file": ("x.tsv", handle)}, headers=web.headers("admin")
        )
    assert screened.status_code == 201
    token = _sign_in(web.client, "mtb")
    page = web.client.get("/patients/IMP-0001")
    assert page.status_code == 200
    assert "BRAF" in page.text
    assert "dabrafenib+trametinib|BRAF V600 mutation" in page.text
    answer = web.client.post(
        "/patients/IMP-0001/decisions",
        data={
            "decision": "A",
            "drug_biomarker": "dabrafenib+trametinib|BRAF V600 mutation",
            "meeting_date": "2024-04-30",
            "rationale": "BRAF V600E, on the board's list",
            "csrf_token": token,
        },
    )
    assert answer.status_code == 200, answer.text
    assert "Decision A recorded" in answer.text
    bad = web.client.post(
        "/patients/IMP-0001/decisions",
        data={"decision": "C", "meeting_date": "2024-04-30", "rationale": "x", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert "option" in bad.text
    no_token = web.client.post(
        "/patients/IMP-0001/decisions", data={"decision": "D", "meeting_date": "2024-04-30", "rationale": "x"}
    )
    assert no_token.status_code == 403


def test_an_investigator_reaches_another_sites_patient_page_as_a_missing_one(web: Web) -> None:  # noqa: F811 - the imported fixture
    _sign_in(web.client, "inv.ous")
    assert "IMP-0002" not in web.client.get("/patients").text
    hidden = web.client.get("/patients/IMP-0002")
    missing = web.client.get("/patients/IMP-0009")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace("IMP-0002", "ID") == missing.text.replace("IMP-0009", "ID")
    assert web.client.get("/audit").status_code == 403


def test_the_cohort_dashboard_and_the_audit_log_with_filters(web: Web) -> None:  # noqa: F811 - the imported fixture
    _sign_in(web.client, "admin")
    assert "No cohort has opened yet" in web.client.get("/cohorts").text
    log = web.client.get("/audit", params={"action": "patient"})
    assert log.status_code == 200
    assert "patient.add" in log.text
    assert "patient.add" not in web.client.get("/audit", params={"actor": "nobody"}).text


def test_the_static_files_are_served_from_the_package(web: Web) -> None:  # noqa: F811 - the imported fixture
    script = web.client.get("/static/htmx.min.js")
    assert script.status_code == 200
    assert "htmx" in script.text[:2000]
