"""``oncobasket user add`` (password from standard input, argon2id hash stored, audited) and ``serve``'s
refusals, through ``main()`` on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from oncobasket.cli import main
from oncobasket.services import Registry, Settings, audit_trail, init_trial
from oncobasket.services.accounts import authenticate
from registry_database import database_url, protocol_file  # noqa: F401 - fixtures


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *arguments: str, stdin: str = ""
) -> tuple[int, str, str]:
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["oncobasket", *arguments])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def registry_url(database_url: str, protocol_file: Path) -> str:  # noqa: F811 - the imported fixtures
    registry = Registry.open(Settings(database_url=database_url, user="setup"))
    init_trial(registry, protocol_file)
    registry.close()
    return database_url


def test_user_add_stores_a_hash_and_audits(
    registry_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        monkeypatch, capsys, "user", "add", "kari.nordmann", "--role", "investigator", "--site", "OUS",
        "--password-stdin", "--database-url", registry_url, "--user", "trial-office", "--json",
        stdin="a long enough passphrase\n",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == {
        "username": "kari.nordmann",
        "role": "investigator",
        "site": "OUS",
        "created_at": json.loads(out)["created_at"],
    }
    engine = create_engine(registry_url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM users")).scalar_one()
    engine.dispose()
    assert stored.startswith("$argon2id$")
    assert "passphrase" not in stored
    registry = Registry.open(Settings(database_url=registry_url, user="test"))
    try:
        account = authenticate(registry, username="kari.nordmann", password="a long enough passphrase")
        assert account is not None
        assert (account.role, account.site) == ("investigator", "OUS")
        assert authenticate(registry, username="kari.nordmann", password="a long enough passphrasE") is None
        (event,) = [e for e in audit_trail(registry) if e["action"] == "user.add"]
        assert event["actor"] == "trial-office"
        assert "password" not in json.dumps(event)
    finally:
        registry.close()


@pytest.mark.parametrize(
    ("arguments", "stdin", "message"),
    [
        (("--role", "investigator"), "a long enough passphrase", "field '--site'"),
        (("--role", "doctor"), "a long enough passphrase", "not a role"),
        (("--role", "monitor"), "short", "12-256 characters"),
    ],
)
def test_bad_accounts_exit_1(
    registry_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    arguments: tuple[str, ...],
    stdin: str,
    message: str,
) -> None:
    code, out, err = _run(
        monkeypatch, capsys, "user", "add", "someone", *arguments, "--password-stdin",
        "--database-url", registry_url, stdin=stdin,
    )  # fmt: skip
    assert code == 1
    assert out == ""
    assert message in err
    assert stdin not in err


def test_a_taken_user_name_is_refused(
    registry_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ("user", "add", "mtb.chair", "--role", "mtb", "--password-stdin", "--database-url", registry_url)
    assert _run(monkeypatch, capsys, *arguments, stdin="a long enough passphrase")[0] == 0
    code, _, err = _run(monkeypatch, capsys, *arguments, stdin="another long passphrase")
    assert code == 1
    assert "taken" in err


def test_user_add_without_password_stdin_is_a_usage_error(
    registry_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = _run(monkeypatch, capsys, "user", "add", "x.y", "--role", "mtb", "--database-url", registry_url)
    assert code == 2


def test_serve_refuses_several_workers_on_sqlite(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _run(monkeypatch, capsys, "serve", "--workers", "2", "--database-url", f"sqlite:///{tmp_path}/x.db")
    assert code == 1
    assert "--workers" in err
