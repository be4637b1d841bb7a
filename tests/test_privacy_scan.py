"""Issue 13, privacy: every refused value, typed into every field, leaves no trace in what OncoBasket
prints or logs (stdout, stderr and the log at DEBUG), and nothing national-ID-shaped is ever printed.

The suite-wide scan in ``conftest.py`` checks every test's captured output and log for national-ID
shapes; this test drives the refusals on purpose, with logging at its most verbose.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from oncobasket.core.validation import has_national_id_shape
from registry_database import database_url, protocol_file  # noqa: F401 - fixtures
from test_registry_cli import Cli, _ob0001

NATIONAL_ID = "010190--12345"
FORGED = "OUS\nOB-9999: forged line"
LONG = "Q" * 10_000


@pytest.fixture
def cli(
    database_url: str,  # noqa: F811 - imported fixture
    protocol_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    runner = Cli(database_url, capsys, monkeypatch)
    runner.json("trial", "init", "--protocol", str(protocol_file))
    return runner


def _patient(study_id: str = "OB-0001", site: str = "OUS", birth: str = "1961") -> list[str]:
    return ["patient", "add", study_id, "--site", site, "--sex", "F", "--birth-year", birth, "--tumour-type", "PAAD"]


def test_refused_values_leave_no_trace(cli: Cli, examples: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="oncobasket")
    assert cli.run(*_patient())[0] == 0
    cli.json("screen", _ob0001(examples), "--patient", "OB-0001")
    decide = ["mtb", "decide", "OB-0001", "--decision", "D", "--meeting-date", "2024-06-01"]
    cases: list[tuple[list[str], str, str]] = []
    for value in (NATIONAL_ID, FORGED, LONG):
        cases += [
            (_patient(study_id=value), "coordinator-1", value),
            (_patient(study_id="OB-0002", site=value), "coordinator-1", value),
            (_patient(study_id="OB-0003"), value, value),
            ([*decide, "--rationale", f"patient {value}"], "coordinator-1", value),
            (["patient", "update", "OB-0001", "--ecog", "1", "--reason", f"seen {value}"], "coordinator-1", value),
            (["not-treated", "OB-0001", "--reason", "deteriorated", "--note", f"x {value}"], "coordinator-1", value),
            (["patient", "show", value], "coordinator-1", value),
            (["audit", "--patient", value], "coordinator-1", value),
        ]
    for arguments, user, value in cases:
        code, out, err = cli.run(*arguments, user=user)
        assert code == 1, (arguments[:3], out, err)
        shown = out + err + caplog.text
        assert not has_national_id_shape(shown, free_text=True), err
        assert value not in shown
        assert "12345" not in shown
        assert "forged line" not in shown
        assert "Q" * 200 not in shown
        assert err.count("\n") == 1
        caplog.clear()
