"""Registering a patient with a retired OncoTree code: stored as the successor, the entered code kept in the
result and the audit trail, a warning on stderr; ambiguous and unknown codes refused with nothing written."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from oncobasket.cli import main
from oncobasket.core.errors import InputError
from oncobasket.services import Registry, Settings, add_patient, audit_trail, patient_form, show_patient
from registry_database import database_url  # noqa: F401 - a fixture

NOW = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def registry(database_url: str) -> Iterator[Registry]:  # noqa: F811 - the imported fixture
    opened = Registry.open(Settings(database_url=database_url, user="coordinator-1", clock=lambda: NOW))
    opened.database.upgrade()
    yield opened
    opened.close()


def _values(code: str) -> dict[str, Any]:
    return {"study_id": "IMP-0001", "site": "OUS", "sex": "F", "birth_year": 1961, "oncotree_code": code}


def test_a_retired_code_is_stored_as_its_successor_and_the_entered_code_kept(registry: Registry) -> None:
    form = patient_form(**_values("gbm"))
    assert form.oncotree_code == "GB"
    stored = add_patient(registry, form, entered_oncotree_code="gbm")
    assert (stored["oncotree_code"], stored["entered_oncotree_code"]) == ("GB", "GBM")
    assert len(stored["warnings"]) == 1
    assert stored["warnings"][0].startswith("--tumour-type: OncoTree code GBM is retired")
    assert "GB (Glioblastoma, IDH-Wildtype)" in stored["warnings"][0]
    (event,) = audit_trail(registry, "IMP-0001")
    assert event["after"]["entered_oncotree_code"] == "GBM"
    assert show_patient(registry, "IMP-0001")["oncotree_code"] == "GB"


def test_a_current_code_adds_no_mapping(registry: Registry) -> None:
    stored = add_patient(registry, patient_form(**_values("PAAD")), entered_oncotree_code="paad")
    assert stored["oncotree_code"] == "PAAD"
    assert "entered_oncotree_code" not in stored
    assert "warnings" not in stored


def test_an_entered_code_that_does_not_fit_the_form_is_refused(registry: Registry) -> None:
    with pytest.raises(InputError, match="the entered tumour type GBM stands for GB, but the form holds PAAD"):
        add_patient(registry, patient_form(**_values("PAAD")), entered_oncotree_code="GBM")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("ALL", "field '--tumour-type': 'ALL' is a retired OncoTree code"),
        ("XYZ", "field '--tumour-type': 'XYZ' is not an OncoTree code"),
    ],
)
def test_ambiguous_and_unknown_codes_are_refused(code: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        patient_form(**_values(code))
    assert str(caught.value).startswith(words)


def _cli(url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *arguments: str) -> Any:
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["oncobasket", *arguments, "--database-url", url, "--user", "coordinator-1"])
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_patient_add_cli_warns_on_stderr(
    database_url: str,  # noqa: F811 - the imported fixture
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _cli(database_url, capsys, monkeypatch, "trial", "init")[0] == 0
    add = ("patient", "add", "IMP-0002", "--site", "OUS", "--sex", "M", "--birth-year", "1970")
    code, out, err = _cli(database_url, capsys, monkeypatch, *add, "--tumour-type", "DIPG", "--json")
    assert code == 0, err
    stored = json.loads(out)
    assert (stored["oncotree_code"], stored["entered_oncotree_code"]) == ("DMG", "DIPG")
    assert err.startswith("warning: --tumour-type: OncoTree code DIPG is retired (merged into its successor)")
    code, out, err = _cli(database_url, capsys, monkeypatch, *add, "--tumour-type", "ALL")
    assert code == 1
    assert out == ""
    assert err.startswith("error: field '--tumour-type': 'ALL' is a retired OncoTree code")
    assert err.count("\n") == 1
