"""The REST API on the app factory with a temporary database (SQLite and PostgreSQL): the contract of
ARCHITECTURE.md "Web API", the journey from screening to enrolment, and the audit of the acting account."""

from __future__ import annotations

from typing import Any

from registry_database import database_url, protocol_file  # noqa: F401 - fixtures
from web_client import OB0001, PASSWORD, Web, web  # noqa: F401 - fixtures


def _coordinator(web: Web) -> dict[str, str]:  # noqa: F811 - the imported fixture
    return web.headers("coordinator")


def test_a_token_is_issued_for_the_right_password_only(web: Web) -> None:  # noqa: F811 - the imported fixture
    answer = web.client.post("/api/v1/token", data={"username": "monitor", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "token_type"}
    assert body["token_type"] == "bearer"
    wrong = web.client.post("/api/v1/token", data={"username": "monitor", "password": "not the password"})
    unknown = web.client.post("/api/v1/token", data={"username": "nobody", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_every_api_route_needs_a_valid_token(web: Web) -> None:  # noqa: F811 - the imported fixture
    for path in ("/api/v1/patients", "/api/v1/patients/IMP-0001", "/api/v1/cohorts", "/api/v1/audit"):
        assert web.client.get(path).status_code == 401
        forged = web.client.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 401
        assert forged.headers["WWW-Authenticate"] == "Bearer"


def test_patient_show_and_cohort_list_are_the_cli_json(web: Web) -> None:  # noqa: F811 - the imported fixture
    patient = web.client.get("/api/v1/patients/IMP-0001", headers=web.headers("monitor"))
    assert patient.status_code == 200
    body = patient.json()
    assert body["study_id"] == "IMP-0001"
    assert body["site"] == "OUS"
    assert {"decision", "consent_date", "enrolments", "not_treated", "week16"} <= set(body)
    cohorts = web.client.get("/api/v1/cohorts", headers=web.headers("monitor"))
    assert cohorts.status_code == 200
    assert cohorts.json() == []


def test_from_upload_to_decision_to_enrolment_audited_with_the_acting_accounts(web: Web) -> None:  # noqa: F811 - the imported fixture
    with OB0001.open("rb") as handle:
        screened = web.client.post(
            "/api/v1/patients/IMP-0001/screenings",
            files={"file": ("whatever-name.tsv", handle, "text/tab-separated-values")},
            headers=_coordinator(web),
        )
    assert screened.status_code == 201, screened.text
    drugs = {match["drug"] for match in screened.json()["matches"]}
    assert "dabrafenib+trametinib" in drugs
    decision: dict[str, Any] = {
        "decision": "A",
        "rationale": "BRAF V600E",
        "meeting_date": "2024-04-30",
        "drug": "dabrafenib+trametinib",
        "biomarker": "BRAF V600 mutation",
    }
    decided = web.client.post("/api/v1/patients/IMP-0001/decisions", json=decision, headers=web.headers("mtb"))
    assert decided.status_code == 201, decided.text
    assert decided.json()["cohort_opened"] is True
    consent = web.client.post(
        "/api/v1/patients/IMP-0001/consent", json={"date": "2024-05-01"}, headers=_coordinator(web)
    )
    assert consent.status_code == 201, consent.text
    enrolled = web.client.post("/api/v1/patients/IMP-0001/enrolment", json={}, headers=web.headers("inv.ous"))
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.json()["place"] == 1
    cohorts = web.client.get("/api/v1/cohorts", headers=web.headers("monitor")).json()
    assert [cohort["name"] for cohort in cohorts] == [enrolled.json()["cohort"]]
    trail = web.client.get("/api/v1/patients/IMP-0001/audit", headers=web.headers("monitor")).json()
    actors = {event["action"]: event["actor"] for event in trail}
    assert actors["screening.add"] == "coordinator"
    assert actors["decision.record"] == "mtb"
    assert actors["enrolment.add"] == "inv.ous"
    again = web.client.post("/api/v1/patients/IMP-0001/enrolment", json={}, headers=_coordinator(web))
    assert again.status_code == 409


def test_the_patient_list_and_a_new_patient(web: Web) -> None:  # noqa: F811 - the imported fixture
    created = web.client.post(
        "/api/v1/patients",
        json={"study_id": "IMP-0003", "site": "OUS", "sex": "M", "birth_year": 1955, "tumour_type": "COADREAD"},
        headers=web.headers("inv.ous"),
    )
    assert created.status_code == 201, created.text
    listed = web.client.get("/api/v1/patients", headers=web.headers("coordinator")).json()
    assert [row["study_id"] for row in listed] == ["IMP-0001", "IMP-0002", "IMP-0003"]
    duplicate = web.client.post(
        "/api/v1/patients",
        json={"study_id": "IMP-0003", "site": "OUS", "sex": "M", "birth_year": 1955, "tumour_type": "COADREAD"},
        headers=web.headers("admin"),
    )
    assert duplicate.status_code == 409


def test_security_headers_are_set(web: Web) -> None:  # noqa: F811 - the imported fixture
    answer = web.client.get("/api/v1/cohorts", headers=web.headers("admin"))
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


def test_the_openapi_document_lists_the_routes(web: Web) -> None:  # noqa: F811 - the imported fixture
    document = web.client.get("/openapi.json").json()
    assert {"/api/v1/token", "/api/v1/patients/{study_id}", "/api/v1/cohorts"} <= set(document["paths"])
