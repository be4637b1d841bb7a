"""Fixtures for the web tests: an initialised registry with one account per role, and the app on it.

Two investigators at two sites (OUS and HUS) and a patient at each, so that every route can be tried on a
patient the account may see and on one it may not.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from oncobasket.api import WebSettings, create_app
from oncobasket.core.access import Role
from oncobasket.db import account_records
from oncobasket.services import Registry, Settings, add_patient, init_trial, patient_form
from oncobasket.services.accounts import hash_password

NOW = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
#: Hashed once: argon2id is slow on purpose, and every test seeds six accounts.
PASSWORD_HASH = hash_password(PASSWORD)
EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "oncobasket" / "data" / "examples"
OB0001 = EXAMPLES / "tso500" / "run_2026-01" / "Results" / "OB-0001" / "OB-0001_CombinedVariantOutput.tsv"

#: user name -> (role, site)
ACCOUNTS: dict[str, tuple[Role, str | None]] = {
    "admin": (Role.ADMIN, None),
    "coordinator": (Role.COORDINATOR, None),
    "mtb": (Role.MTB, None),
    "inv.ous": (Role.INVESTIGATOR, "OUS"),
    "inv.hus": (Role.INVESTIGATOR, "HUS"),
    "monitor": (Role.MONITOR, None),
}


@dataclass
class Web:
    """The app's test client, its database and the tokens of every account."""

    client: TestClient
    database_url: str
    tokens: dict[str, str]

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def seed_registry(database_url: str, protocol_file: Path) -> None:
    """Initialise the registry, create the accounts and register IMP-0001 (OUS) and IMP-0002 (HUS)."""
    registry = Registry.open(Settings(database_url=database_url, user="setup", clock=lambda: NOW))
    try:
        init_trial(registry, protocol_file)
        with registry.database.transaction() as session:
            for username, (role, site) in ACCOUNTS.items():
                account_records.add_user(
                    session, username=username, password_hash=PASSWORD_HASH, role=role, site=site, created_at=NOW
                )
        for study_id, site in (("IMP-0001", "OUS"), ("IMP-0002", "HUS")):
            form = patient_form(
                study_id=study_id,
                site=site,
                sex="F",
                birth_year=1961,
                oncotree_code="PAAD",
                icd10="C25.0",
                ecog=1,
                labs=["anc=1.8", "platelets=210"],
                prior_lines=2,
            )
            add_patient(registry, form)
    finally:
        registry.close()


def web_settings(database_url: str, **changes: object) -> WebSettings:
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": secrets.token_urlsafe(32),
        "secure_cookies": False,
        "clock": lambda: NOW,
    }
    values.update(changes)
    return WebSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def web(database_url: str, protocol_file: Path) -> Iterator[Web]:
    seed_registry(database_url, protocol_file)
    app = create_app(web_settings(database_url))
    with TestClient(app) as client:
        # Tokens as the app signs them (test_api checks that a sign-in returns one; argon2 is slow on purpose).
        tokens = {username: app.state.oncobasket.signer.issue(username) for username in ACCOUNTS}
        yield Web(client=client, database_url=database_url, tokens=tokens)
        app.state.oncobasket.database.dispose()
