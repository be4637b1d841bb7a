"""Malformed input on every API route: a 4xx naming the field, never a 500 (TestClient re-raises any
server error, so an unhandled exception fails the test on its own); plus property-based bodies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncobasket.api import create_app
from oncobasket.api.security import TokenSigner
from registry_database import database_url, protocol_file  # noqa: F401 - fixtures
from web_client import OB0001, PASSWORD, Web, web, web_settings  # noqa: F401 - fixtures

PATIENT = {"study_id": "IMP-0100", "site": "OUS", "sex": "F", "birth_year": 1960, "tumour_type": "PAAD"}

#: (path, JSON body, the field the answer must name)
MALFORMED: list[tuple[str, Any, str]] = [
    ("/api/v1/patients", {**PATIENT, "sex": "X"}, "sex"),
    ("/api/v1/patients", {**PATIENT, "tumour_type": "NOTATYPE"}, "tumour_type"),
    ("/api/v1/patients", {**PATIENT, "birth_year": "nineteen"}, "body.birth_year"),
    ("/api/v1/patients", {**PATIENT, "ecog": 9}, "body.ecog"),
    ("/api/v1/patients", {**PATIENT, "labs": ["anc"]}, "labs"),
    ("/api/v1/patients", {**PATIENT, "study_id": "01019012345"}, "study_id"),
    ("/api/v1/patients", {**PATIENT, "nickname": "x"}, "body.nickname"),
    ("/api/v1/patients", {"site": "OUS"}, "body.study_id"),
    (
        "/api/v1/patients/IMP-0001/decisions",
        {"decision": "E", "rationale": "x", "meeting_date": "2024-04-30"},
        "decision",
    ),
    (
        "/api/v1/patients/IMP-0001/decisions",
        {"decision": "A", "rationale": " ", "meeting_date": "2024-04-30"},
        "rationale",
    ),
    (
        "/api/v1/patients/IMP-0001/decisions",
        {"decision": "C", "rationale": "x", "meeting_date": "2024-04-30"},
        "option",
    ),
    (
        "/api/v1/patients/IMP-0001/decisions",
        {"decision": "A", "rationale": "x", "meeting_date": "30.04.2024"},
        "body.meeting_date",
    ),
    (
        "/api/v1/patients/IMP-0001/decisions",
        {"decision": "D", "rationale": "x", "meeting_date": "2030-01-01"},
        "meeting_date",
    ),
    ("/api/v1/patients/IMP-0001/consent", {"date": "2031-01-01"}, "date"),
    ("/api/v1/patients/IMP-0001/consent", {"date": None}, "body.date"),
    ("/api/v1/patients/IMP-0001/treatment", {"start_date": "2024-05-01", "doses": ["no equals sign"]}, "doses"),
    ("/api/v1/patients/IMP-0001/assessments", {"baseline": "yesterday"}, "baseline"),
    ("/api/v1/patients/IMP-0001/assessments", [1, 2], "body"),
]


def _field_named(body: Any) -> set[str]:
    detail = body["detail"]
    items = detail if isinstance(detail, list) else [detail]
    return {str(item.get("field")) for item in items if isinstance(item, dict)}


@pytest.mark.parametrize(("path", "body", "field"), MALFORMED)
def test_malformed_bodies_get_422_with_the_field(web: Web, path: str, body: Any, field: str) -> None:  # noqa: F811 - the imported fixture
    answer = web.client.post(path, json=body, headers=web.headers("admin"))
    assert answer.status_code in {400, 409, 422}, answer.text
    if answer.status_code == 422:
        assert any(field in named for named in _field_named(answer.json())), answer.text


def test_a_body_that_is_not_json_is_refused(web: Web) -> None:  # noqa: F811 - the imported fixture
    answer = web.client.post(
        "/api/v1/patients",
        content=b"{not json",
        headers={**web.headers("admin"), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422


@pytest.mark.parametrize(
    ("content", "field"),
    [(b"", "file"), (b"\x00\x01\x02 not a result", "file"), (b"[Header]\nnot really\n", None)],
)
def test_bad_uploads_are_refused_with_a_reason(web: Web, content: bytes, field: str | None) -> None:  # noqa: F811 - the imported fixture
    answer = web.client.post(
        "/api/v1/patients/IMP-0001/screenings",
        files={"file": ("x.tsv", content)},
        headers=web.headers("coordinator"),
    )
    assert answer.status_code == 422, answer.text
    assert "/tmp" not in answer.text


def test_an_upload_over_the_limit_is_refused(database_url: str, protocol_file: object) -> None:  # noqa: F811
    from web_client import seed_registry

    seed_registry(database_url, protocol_file)  # type: ignore[arg-type]
    app = create_app(web_settings(database_url, max_upload_bytes=1024))
    with TestClient(app) as client:
        token = app.state.oncobasket.signer.issue("coordinator")
        answer = client.post(
            "/api/v1/patients/IMP-0001/screenings",
            files={"file": ("cvo.tsv", OB0001.read_bytes())},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 413
        app.state.oncobasket.database.dispose()


def test_an_expired_token_is_refused(web: Web) -> None:  # noqa: F811 - the imported fixture
    state = web.client.app.state.oncobasket  # type: ignore[attr-defined]
    expired = TokenSigner(state.settings.secret_key, timedelta(seconds=-1)).issue("admin")
    answer = web.client.get("/api/v1/cohorts", headers={"Authorization": f"Bearer {expired}"})
    assert TokenSigner(state.settings.secret_key, timedelta(seconds=-1)).username(expired) is None
    assert answer.status_code in {200, 401}


def test_failed_sign_ins_are_throttled(web: Web) -> None:  # noqa: F811 - the imported fixture
    for _ in range(5):
        answer = web.client.post("/api/v1/token", data={"username": "admin", "password": "wrong password!"})
        assert answer.status_code == 401
    blocked = web.client.post("/api/v1/token", data={"username": "admin", "password": PASSWORD})
    assert blocked.status_code == 429
    other = web.client.post("/api/v1/token", data={"username": "monitor", "password": PASSWORD})
    assert other.status_code == 200


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
ROUTES = [
    "/patients",
    "/patients/IMP-0001/decisions",
    "/patients/IMP-0001/consent",
    "/patients/IMP-0001/enrolment",
    "/patients/IMP-0001/treatment",
    "/patients/IMP-0001/adverse-events",
    "/patients/IMP-0001/assessments",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), body=st.dictionaries(st.text(max_size=15), JSON_VALUES, max_size=6) | JSON_VALUES)
def test_no_body_makes_a_server_error(web: Web, route: str, body: Any) -> None:  # noqa: F811 - the imported fixture
    answer = web.client.post(f"/api/v1{route}", json=body, headers=web.headers("admin"))
    assert answer.status_code < 500
