"""Issue 13, registry: privacy guards, limits and dates, the same on SQLite and PostgreSQL.

Each case failed before its fix: a national-ID-shaped study ID with two separators was accepted and
echoed; a 10,000-character site gave a 104-line traceback printing the patient row on PostgreSQL and
was stored silently by SQLite; a newline in a site or ``--user`` forged a line in ``patient show``;
``--user`` was not checked for ID shapes; ``ob-0001`` registered beside ``OB-0001``; a decision dated
before the patient's birth was accepted; ``--prior-lines 9223372036854775808`` ended in a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from oncobasket.core.errors import InputError
from oncobasket.core.registry import check_study_id
from oncobasket.core.validation import (
    MAX_SITE,
    check_date,
    check_free_text,
    check_site,
    check_user,
    has_national_id_shape,
)
from registry_database import database_url, protocol_file  # noqa: F401 - fixtures
from test_registry_cli import Cli, _ob0001

NATIONAL_ID_SHAPES = [
    "01019012345",
    "010190-12345",
    "010190--12345",
    "010190-.-12345",
    "01.01.90 12345",
    "01-01-90-123-45",
    "010190 12345",
    "IMP-010190__12345",
    "x01019012345y",
]


@pytest.mark.parametrize("text", NATIONAL_ID_SHAPES)
def test_national_id_shapes_are_found(text: str) -> None:
    assert has_national_id_shape(text)


@pytest.mark.parametrize("text", ["OB-0001", "IMP-2024-00001", "OB-2024.01.15-00001", "0101901234", "010190123456"])
def test_pseudonyms_are_not_national_ids(text: str) -> None:
    assert not has_national_id_shape(text)


@pytest.mark.parametrize("text", [shape for shape in NATIONAL_ID_SHAPES if " " not in shape])
def test_study_id_national_id_shapes_refused_without_echo(text: str) -> None:
    with pytest.raises(InputError, match="national identity number") as caught:
        check_study_id(text)
    assert text not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("Haukeland\nOB-0002: OUS, F, born 1950", "line end"),
        ("OU\rS", "line end"),
        ("OUS\u202e", "control character"),
        ("x" * (MAX_SITE + 1), "more than the 64 allowed"),
        ("x" * 10_000, "10000 characters long"),
        ("010190-12345", "national identity number"),
        ("   ", "empty"),
    ],
)
def test_site_refused_without_echo(value: str, rule: str) -> None:
    with pytest.raises(InputError, match=rule) as caught:
        check_site(value)
    message = str(caught.value)
    assert "\n" not in message
    assert value.strip() not in message or not value.strip()


@pytest.mark.parametrize(
    "value",
    ["010190--12345", "nurse\nforged line", "nurse one", "x" * 129, "", "-dash-first", "nurse\x1b[31m"],
)
def test_user_checked_like_a_study_id(value: str) -> None:
    with pytest.raises(InputError, match="field '--user'") as caught:
        check_user(value)
    assert value not in str(caught.value) or not value


@pytest.mark.parametrize("value", ["coordinator-1", "kari.nordmann@ous-hf.no", "demo_user", "u" * 128])
def test_ordinary_user_names(value: str) -> None:
    assert check_user(value) == value


def test_free_text_refuses_line_ends_and_national_ids() -> None:
    assert check_free_text("  BRAF V600E, TMB 12.5  ", field="--rationale") == "BRAF V600E, TMB 12.5"
    for text in ("first\nsecond", "patient 010190 12345", "y" * 5000):
        with pytest.raises(InputError, match="field '--rationale'"):
            check_free_text(text, field="--rationale")


def test_dates_against_birth_and_today() -> None:
    from datetime import date

    today = date(2026, 1, 10)
    assert check_date(date(2025, 1, 1), field="--date", what="date", today=today, birth_year=1961) == date(2025, 1, 1)
    with pytest.raises(InputError, match="before the patient's birth year"):
        check_date(date(1960, 12, 31), field="--date", what="date", today=today, birth_year=1961)
    with pytest.raises(InputError, match="in the future"):
        check_date(date(2026, 1, 11), field="--date", what="date", today=today)
    with pytest.raises(InputError, match=r"before the consent \(2025-05-01\)"):
        check_date(date(2025, 4, 1), field="--date", what="date", today=today, not_before=(date(2025, 5, 1), "consent"))


# ---------------------------------------------------------------------------------------------
# The same through the command line, on SQLite and PostgreSQL
# ---------------------------------------------------------------------------------------------


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


def _add(
    cli: Cli, study_id: str = "OB-0001", *, site: str = "OUS", user: str = "coordinator-1", **extra: str
) -> tuple[int, str, str]:
    arguments = ["patient", "add", study_id, "--site", site, "--sex", "F", "--birth-year", "1961",
                 "--tumour-type", "PAAD", "--ecog", "1"]  # fmt: skip
    for option, value in extra.items():
        arguments += [f"--{option.replace('_', '-')}", value]
    return cli.run(*arguments, user=user)


def _one_line_error(result: tuple[int, str, str], *, absent: str = "") -> str:
    code, out, err = result
    assert code == 1, (out, err)
    assert out == ""
    assert err.startswith("error: ")
    assert err.count("\n") == 1, err
    if absent:
        assert absent not in err
    return err


def test_ten_thousand_character_site_refused_in_one_line(cli: Cli) -> None:
    site = "S" * 10_000
    err = _one_line_error(_add(cli, site=site), absent="S" * 100)
    assert "field '--site'" in err
    assert not any(event["action"] == "patient.add" for event in cli.json("audit"))


def test_newline_in_site_or_user_cannot_forge_a_line(cli: Cli) -> None:
    _one_line_error(_add(cli, site="OUS\nOB-0002: HUS, M, born 1950"), absent="OB-0002")
    _one_line_error(_add(cli, user="nurse\nOB-0002 registered"), absent="OB-0002")
    code, out, _ = _add(cli)
    assert code == 0
    code, out, _ = cli.run("patient", "show", "OB-0001")
    assert code == 0
    assert out.splitlines()[0].startswith("OB-0001: OUS")


def test_user_with_national_id_shape_refused(cli: Cli) -> None:
    _one_line_error(_add(cli, user="010190--12345"), absent="12345")


def test_study_id_with_two_separators_refused_without_echo(cli: Cli) -> None:
    _one_line_error(_add(cli, study_id="010190--12345"), absent="12345")


def test_study_ids_compare_without_letter_case(cli: Cli, examples: Path) -> None:
    assert _add(cli, "OB-0001")[0] == 0
    err = _one_line_error(_add(cli, "ob-0001"))
    assert "already registered as 'OB-0001'" in err
    shown = cli.json("patient", "show", "ob-0001")
    assert shown["study_id"] == "OB-0001"
    screened = cli.json("screen", _ob0001(examples), "--patient", "ob-0001")
    assert screened["study_id"] == "OB-0001"
    trail = cli.json("audit", "--patient", "Ob-0001")
    assert {event["study_id"] for event in trail} == {"OB-0001"}


def test_prior_lines_past_a_64_bit_integer(cli: Cli) -> None:
    err = _one_line_error(_add(cli, prior_lines="9223372036854775808"))
    assert "field '--prior-lines'" in err
    err = _one_line_error(_add(cli, prior_lines="31"))
    assert "outside 0-30" in err


def test_birth_year_past_four_digits(cli: Cli) -> None:
    code, out, err = cli.run("patient", "add", "OB-0003", "--site", "OUS", "--sex", "F", "--birth-year",
                             "99999999999999999999", "--tumour-type", "PAAD")  # fmt: skip
    assert code == 1, (out, err)
    assert err.count("\n") == 1


def test_decision_dated_before_birth_refused(cli: Cli, examples: Path) -> None:
    assert _add(cli)[0] == 0
    cli.json("screen", _ob0001(examples), "--patient", "OB-0001")
    err = _one_line_error(
        cli.run(
            "mtb", "decide", "OB-0001", "--decision", "D", "--rationale", "no proposal", "--meeting-date", "1960-06-01"
        )
    )
    assert "before the patient's birth year" in err
    err = _one_line_error(cli.run("consent", "OB-0001", "--date", "1950-01-01"))
    assert "before the patient's birth year" in err


def test_rationale_with_a_line_end_refused(cli: Cli, examples: Path) -> None:
    assert _add(cli)[0] == 0
    cli.json("screen", _ob0001(examples), "--patient", "OB-0001")
    err = _one_line_error(
        cli.run(
            "mtb",
            "decide",
            "OB-0001",
            "--decision",
            "D",
            "--rationale",
            "no\nOB-0002 enrolled",
            "--meeting-date",
            "2024-06-01",
        )
    )
    assert "field '--rationale'" in err


def test_cohort_reference_past_a_64_bit_integer(cli: Cli) -> None:
    for reference in ("9223372036854775808", "\u00b2"):
        err = _one_line_error(cli.run("cohort", "show", reference))
        assert "no cohort" in err


def test_match_age_out_of_range(
    examples: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from oncobasket.cli import main

    vcf = str(examples / "vcf" / "OB-0101.vcf")
    monkeypatch.setattr(
        "sys.argv", ["oncobasket", "match", vcf, "--tumour-type", "LUAD", "--age", "9223372036854775808"]
    )
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 1
    assert "field '--age': age 9.22337e+18 is outside 0-130 years" in capsys.readouterr().err
