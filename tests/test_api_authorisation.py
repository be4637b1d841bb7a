"""The full role x route authorisation matrix of issue 10, on SQLite and PostgreSQL.

The expected grants are written here from the issue's words, not from ``core.access``: admin everything;
coordinator writes patient data; mtb records decisions; investigator sees and edits only its own site's
patients; monitor reads everything and writes nothing. A patient of another site answers exactly as a study
ID that does not exist, by URL, by API and through the list routes.
"""

from __future__ import annotations

from typing import Any

import pytest

from registry_database import database_url, protocol_file  # noqa: F401 - fixtures
from web_client import ACCOUNTS, OB0001, Web, web  # noqa: F401 - fixtures

EVERYONE = frozenset(ACCOUNTS)
#: Which accounts the issue grants each kind of request.
GRANTED = {
    "read": EVERYONE,
    "read_trial": frozenset({"admin", "coordinator", "mtb", "monitor"}),
    "write": frozenset({"admin", "coordinator", "inv.ous", "inv.hus"}),
    "decide": frozenset({"admin", "mtb"}),
}
SITE_OF = {"IMP-0001": "OUS", "IMP-0002": "HUS"}
INVESTIGATOR_SITE = {"inv.ous": "OUS", "inv.hus": "HUS"}

ASSESSMENTS = {
    "baseline": {"date": "2024-04-20", "target_lesions": [{"id": "T1", "site": "liver", "diameter_mm": 30}]},
    "assessments": [],
}

#: (kind, method, path under /api/v1/patients/{study_id}, JSON body or None)
PATIENT_ROUTES: list[tuple[str, str, str, Any]] = [
    ("read", "GET", "", None),
    ("read", "GET", "/audit", None),
    ("write", "PATCH", "", {"ecog": 1, "reason": "seen in clinic"}),
    ("write", "POST", "/screenings", None),
    (
        "decide",
        "POST",
        "/decisions",
        {"decision": "D", "rationale": "no actionable match", "meeting_date": "2024-04-30"},
    ),
    ("write", "POST", "/consent", {"date": "2024-05-01"}),
    ("write", "POST", "/enrolment", {}),
    ("write", "POST", "/treatment", {"start_date": "2024-05-01"}),
    (
        "write",
        "POST",
        "/adverse-events",
        {"term": "Nausea", "grade": "2", "start_date": "2024-05-01", "outcome": "recovered"},
    ),
    ("write", "POST", "/assessments", ASSESSMENTS),
]


def _call(web: Web, username: str, method: str, url: str, body: Any) -> Any:  # noqa: F811 - the imported fixture
    headers = web.headers(username)
    if url.endswith("/screenings"):
        with OB0001.open("rb") as handle:
            return web.client.post(url, files={"file": ("cvo.tsv", handle)}, headers=headers)
    return web.client.request(method, url, json=body, headers=headers)


def _sees(username: str, study_id: str) -> bool:
    site = INVESTIGATOR_SITE.get(username)
    return site is None or SITE_OF[study_id] == site


def test_every_role_on_every_patient_route(web: Web) -> None:  # noqa: F811 - the imported fixture
    wrong: list[str] = []
    for kind, method, suffix, body in PATIENT_ROUTES:
        for username in ACCOUNTS:
            for study_id in SITE_OF:
                answer = _call(web, username, method, f"/api/v1/patients/{study_id}{suffix}", body)
                if username not in GRANTED[kind]:
                    expected = "403"
                elif not _sees(username, study_id):
                    expected = "404"
                else:
                    expected = "allowed"
                got = str(answer.status_code) if answer.status_code in {401, 403, 404} else "allowed"
                assert answer.status_code < 500
                if got != expected:
                    wrong.append(f"{username} {method} {study_id}{suffix}: {answer.status_code} {answer.text[:120]}")
    assert wrong == []


def test_another_sites_patient_answers_as_a_missing_study_id(web: Web) -> None:  # noqa: F811 - the imported fixture
    for suffix in ("", "/audit"):
        hidden = web.client.get(f"/api/v1/patients/IMP-0002{suffix}", headers=web.headers("inv.ous"))
        missing = web.client.get(f"/api/v1/patients/IMP-0009{suffix}", headers=web.headers("inv.ous"))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["detail"].replace("IMP-0002", "ID") == missing.json()["detail"].replace("IMP-0009", "ID")
        assert hidden.headers.get("content-length") == missing.headers.get("content-length")


@pytest.mark.parametrize("username", list(ACCOUNTS))
def test_list_routes_show_only_the_patients_the_account_may_see(web: Web, username: str) -> None:  # noqa: F811 - the imported fixture
    listed = web.client.get("/api/v1/patients", headers=web.headers(username))
    assert listed.status_code == 200
    expected = [study_id for study_id in SITE_OF if _sees(username, study_id)]
    assert [row["study_id"] for row in listed.json()] == expected


@pytest.mark.parametrize("path", ["/api/v1/audit", "/api/v1/endpoints?as_of=2024-05-01"])
def test_whole_trial_routes_are_for_the_trial_roles(web: Web, path: str) -> None:  # noqa: F811 - the imported fixture
    for username in ACCOUNTS:
        answer = web.client.get(path, headers=web.headers(username))
        expected = 200 if username in GRANTED["read_trial"] else 403
        assert answer.status_code == expected, (username, answer.text[:200])


def test_cohorts_are_read_by_everyone(web: Web) -> None:  # noqa: F811 - the imported fixture
    for username in ACCOUNTS:
        assert web.client.get("/api/v1/cohorts", headers=web.headers(username)).status_code == 200


def test_registering_a_patient_by_role_and_site(web: Web) -> None:  # noqa: F811 - the imported fixture
    results = {}
    for number, username in enumerate(ACCOUNTS, start=10):
        body = {"study_id": f"IMP-00{number}", "site": "HUS", "sex": "M", "birth_year": 1950, "tumour_type": "PAAD"}
        results[username] = web.client.post("/api/v1/patients", json=body, headers=web.headers(username)).status_code
    assert results == {
        "admin": 201,
        "coordinator": 201,
        "mtb": 403,
        "inv.ous": 403,
        "inv.hus": 201,
        "monitor": 403,
    }
