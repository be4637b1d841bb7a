"""``treatment``, ``ae add``, ``assess`` and ``follow-up`` as a coordinator runs them: JSON output, the cohort
transition a computed week-16 benefit causes, and one-line errors for bad input with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry_database import database_url, protocol_file  # noqa: F401 - fixtures
from test_registry_cli import Cli, _patient

EXAMPLE = Path(__file__).resolve().parents[1] / "src" / "oncobasket" / "data" / "examples" / "assessments"
DOSES = ("--dose", "dabrafenib=150 mg", "--dose", "trametinib=2 mg")


@pytest.fixture
def cli(
    database_url: str,  # noqa: F811 - imported fixture
    protocol_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    runner = Cli(database_url, capsys, monkeypatch)
    runner.json("trial", "init", "--protocol", str(protocol_file))
    _patient(runner)
    runner.json(
        "mtb", "decide", "IMP-0001", "--decision", "B", "--drug", "dabrafenib+trametinib",
        "--biomarker", "BRAF V600 mutation", "--rationale", "BRAF V600E", "--meeting-date", "2026-02-03",
    )  # fmt: skip
    runner.json("consent", "IMP-0001", "--date", "2026-02-05")
    runner.json("enrol", "IMP-0001")
    return runner


def test_treatment_and_assessments_compute_week_16_and_open_stage_2(cli: Cli, tmp_path: Path) -> None:
    started = cli.json("treatment", "start", "IMP-0001", "--date", "2026-02-10", *DOSES)
    assert (started["drug"], started["route"], started["cycle"]) == ("dabrafenib+trametinib", "oral", 1)
    cycle = cli.json("treatment", "cycle", "IMP-0001", "--date", "2026-03-10")
    assert (cycle["cycle"], cycle["outcome"]["value"]) == (2, "pending")
    event = cli.json(
        "ae", "add", "IMP-0001", "--term", "Fever", "--grade", "2", "--start", "2026-02-24",
        "--related", "dabrafenib=probable", "--related", "trametinib=possible", "--outcome", "recovered",
    )  # fmt: skip
    assert (event["term"], event["meddra_code"]) == ("Fever", "10016558")
    code, out, err = cli.run("assess", "IMP-0001", "--file", str(EXAMPLE / "OB-0001.json"))
    assert code == 0, err
    assert "week 16: benefit (PR on 2026-06-02 (day 112): disease control at week 16)" in out
    assert "cohort stage1_open -> stage2_open" in out
    shown = cli.json("patient", "show", "IMP-0001")
    assert shown["week16"] == {
        "benefit": True,
        "date": "2026-06-02",
        "reason": "PR on 2026-06-02 (day 112): disease control at week 16",
        "criteria": "RECIST 1.1",
        "response": "PR",
    }
    assert shown["enrolments"][0]["outcome"] == "benefit"
    code, out, _ = cli.run("patient", "show", "IMP-0001")
    assert "computed outcome: benefit" in out
    assert "target PR: sum 49 mm is -42.4 %" in out
    ended = cli.json("treatment", "end", "IMP-0001", "--date", "2026-07-01", "--why", "progression")
    assert ended["reason"] == "progression"
    alive = cli.json("follow-up", "IMP-0001", "--date", "2026-08-01", "--status", "alive")
    assert alive["status"] == "alive"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("treatment", "start", "IMP-0001", "--date", "2026-02-10", "--dose", "dabrafenib=lots"), "DRUG=AMOUNT UNIT"),
        (("treatment", "start", "IMP-0001", "--date", "2026-02-31", *DOSES), "'2026-02-31' is not a date"),
        (("treatment", "start", "IMP-0001", "--date", "2026-02-10", "--route", "nasal", *DOSES), "--route"),
        (("treatment", "start", "IMP-0001", "--date", "2099-01-01", *DOSES), "in the future"),
        (("treatment", "cycle", "IMP-0001", "--date", "2026-03-10"), "no trial treatment recorded"),
        (("ae", "add", "IMP-0001", "--term", "Fever", "--grade", "2", "--start", "2026-02-24",
          "--related", "dabrafenib=probable", "--outcome", "recovered"), "no trial treatment recorded"),
        (("follow-up", "IMP-0001", "--date", "2026-03-01", "--status", "asleep"), "--status"),
    ],
)  # fmt: skip
def test_bad_treatment_entries_get_one_line_and_write_nothing(
    cli: Cli, arguments: tuple[str, ...], message: str
) -> None:
    before = cli.json("audit")
    error = cli.fails(*arguments)
    assert message in error
    assert cli.json("audit") == before


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--term", "Fever", "--grade", "6"), "grade 6"),
        (("--term", "Nausia", "--grade", "2"), "did you mean 'Nausea'"),
        (("--term", "Alopecia", "--grade", "3"), "allows grades 1, 2"),
        (("--term", "Fever", "--grade", "two"), "not a CTCAE grade"),
    ],
)
def test_bad_adverse_events_get_one_line_and_write_nothing(cli: Cli, arguments: tuple[str, ...], message: str) -> None:
    cli.json("treatment", "start", "IMP-0001", "--date", "2026-02-10", *DOSES)
    before = cli.json("audit")
    error = cli.fails(
        "ae", "add", "IMP-0001", *arguments, "--start", "2026-02-24", "--related", "dabrafenib=possible",
        "--related", "trametinib=possible", "--outcome", "recovered",
    )  # fmt: skip
    assert message in error
    assert cli.json("audit") == before


def test_a_bad_assessment_file_gets_one_line_naming_the_file_and_field(cli: Cli, tmp_path: Path) -> None:
    cli.json("treatment", "start", "IMP-0001", "--date", "2026-02-10", *DOSES)
    document = json.loads((EXAMPLE / "OB-0001.json").read_text(encoding="utf-8"))
    document["assessments"][0]["target_lesions"]["T3"] = 12
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document), encoding="utf-8")
    error = cli.fails("assess", "IMP-0001", "--file", str(broken))
    assert "broken.json" in error
    assert "T3" in error
    truncated = tmp_path / "truncated.json"
    truncated.write_text((EXAMPLE / "OB-0001.json").read_text(encoding="utf-8")[:200], encoding="utf-8")
    assert "truncated" in cli.fails("assess", "IMP-0001", "--file", str(truncated))
    assert cli.json("patient", "show", "IMP-0001")["assessments"] == []


def test_outcome_record_is_only_a_path_with_a_reason(cli: Cli) -> None:
    error = cli.fails("outcome", "record", "IMP-0001", "--outcome", "benefit")
    assert "computed from tumour assessments" in error
    recorded = cli.json("outcome", "record", "IMP-0001", "--outcome", "no_benefit", "--reason", "clinical progression")
    assert recorded["outcome"] == "no_benefit"


def test_the_registry_gives_the_analysis_dataset_endpoints_and_the_patient_report(cli: Cli, tmp_path: Path) -> None:
    import pypdfium2

    cli.json("treatment", "start", "IMP-0001", "--date", "2026-02-10", *DOSES)
    cli.json("assess", "IMP-0001", "--file", str(EXAMPLE / "OB-0001.json"))
    table = tmp_path / "analysis.csv"
    exported = cli.json("export", "analysis", "--as-of", "2026-11-30", "--out", str(table))
    assert (exported["rows"], exported["treated"]) == (0, 0)  # no screening recorded: nobody screened
    endpoints = cli.json("endpoints", "--as-of", "2026-11-30")
    assert endpoints["funnel"]["screened"] == 0
    out = tmp_path / "reports"
    code, _, err = cli.run("report", "patient", "IMP-0001", "--out", str(out))
    assert code == 0, err
    html = (out / "IMP-0001.html").read_text(encoding="utf-8")
    for section in ("Molecular profile", "Matches", "Tumour-board decisions", "Treatment", "Responses"):
        assert section in html
    assert "PR on 2026-06-02 (day 112): disease control at week 16" in html
    assert (out / "IMP-0001.pdf").stat().st_mode & 0o077 == 0
    document = pypdfium2.PdfDocument(str(out / "IMP-0001.pdf"))
    try:
        histogram = document[0].render(scale=0.5).to_pil().convert("L").histogram()
    finally:
        document.close()
    assert sum(histogram[:128]) / sum(histogram) > 0.005, "the first page is (almost) blank"
