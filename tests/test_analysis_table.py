"""The analysis dataset's columns, its CSV and Parquet files, and the refusal of every kind of bad table."""

from __future__ import annotations

import datetime
import re
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis_tables import published_funnel_rows, random_dataset
from oncobasket.core.analysis import (
    COLUMN_NAMES,
    AnalysisDataset,
    AnalysisMetadata,
    AnalysisRow,
    field_names,
)
from oncobasket.core.errors import FormatError, InputError
from oncobasket.io.analysis_table import analysis_csv, read_analysis_table, write_analysis_table

REPOSITORY = Path(__file__).resolve().parents[1]
HEADER = ",".join(COLUMN_NAMES)
_TREATED = {"qc_passed": True, "matched": True, "offered": True, "treated": True, "drug": "olaparib", "cohort": "c1"}


def test_dictionary_columns_are_the_row_fields_and_documented() -> None:
    assert sorted(field_names()) == sorted(COLUMN_NAMES)
    page = (REPOSITORY / "docs" / "analysis-dataset.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_0-9]+)` \|", page, flags=re.MULTILINE))
    assert set(COLUMN_NAMES) <= documented


@pytest.mark.parametrize("name", ["analysis.csv", "analysis.parquet"])
def test_round_trip_keeps_every_value_and_the_metadata(tmp_path: Path, name: str) -> None:
    dataset = random_dataset(300, seed=7)
    path = tmp_path / name
    write_analysis_table(dataset, path)
    assert read_analysis_table(path) == dataset
    assert not list(tmp_path.glob(".*partial"))


def test_csv_carries_metadata_lines_and_empty_unknown_cells() -> None:
    dataset = AnalysisDataset(
        rows=(AnalysisRow(study_id="P1", **_TREATED, followed_w16=True, evaluable=False),),
        metadata=AnalysisMetadata(protocol_version="2.1", cut_off=datetime.date(2026, 3, 31)),
    )
    text = analysis_csv(dataset)
    assert text.splitlines()[:3] == ["# protocol_version: 2.1", "# cut_off: 2026-03-31", HEADER]
    # benefit_w16 unknown: an empty cell, not "false".
    cells = dict(zip(COLUMN_NAMES, text.splitlines()[3].split(","), strict=True))
    assert cells["benefit_w16"] == ""
    assert cells["treated"] == "true"


def test_a_minimal_table_with_only_the_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "sister.csv"
    path.write_text(
        "study_id,qc_passed,matched,offered,treated,followed_w16,evaluable,benefit_w16,drug,cohort\n"
        "S1,Y,Y,Y,Y,Y,Y,Y,olaparib,c1\n"
        "S2,true,true,false,false,false,false,,,\n",
        encoding="utf-8",
    )
    dataset = read_analysis_table(path)
    assert [row.study_id for row in dataset.rows] == ["S1", "S2"]
    assert dataset.rows[0].benefit_w16 is True
    assert dataset.metadata == AnalysisMetadata()


def _table(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def _line(**values: str) -> str:
    cells = dict.fromkeys(COLUMN_NAMES, "")
    cells.update(
        study_id="P1",
        qc_passed="true",
        matched="true",
        offered="true",
        treated="true",
        followed_w16="true",
        evaluable="false",
        drug="olaparib",
        cohort="c1",
    )
    cells.update(values)
    return ",".join(cells[name] for name in COLUMN_NAMES)


@pytest.mark.parametrize(
    ("values", "field", "rule"),
    [
        ({"evaluable": "true", "benefit_w16": "true", "treated": "false"}, "followed_w16", "funnel cannot increase"),
        ({"treated": "false", "followed_w16": "false"}, "offered", ""),  # offered true, treated false: fine
        ({"matched": "false"}, "offered", "funnel cannot increase"),
        ({"evaluable": "true"}, "benefit_w16", "needs a known week-16 result"),
        ({"followed_w16": "false", "benefit_w16": "false"}, "benefit_w16", "not followed to week 16"),
        ({"benefit_w16": "true"}, "benefit_w16", "not evaluable"),
        ({"qc_passed": "maybe"}, "qc_passed", "not a flag"),
        ({"pfs_days": "12.5", "pfs_event": "1"}, "pfs_days", "not a whole number"),
        ({"pfs_days": "100"}, "pfs_event", "go together"),
        ({"pfs_days": "100", "pfs_event": "2"}, "pfs_event", "not 0 or 1"),
        ({"os_days": "-3", "os_event": "0"}, "os_days", "negative"),
        ({"best_overall_response": "VGPR"}, "best_overall_response", "not a best overall response"),
        ({"best_percent_change": "-120"}, "best_percent_change", "below -100"),
        ({"best_percent_change": "abc"}, "best_percent_change", "not a number"),
        ({"worst_ae_grade": "6"}, "worst_ae_grade", "not 0-5"),
        ({"pfs_ratio": "0"}, "pfs_ratio", "not a positive number"),
        ({"cohort": ""}, "cohort", "needs a cohort"),
        ({"cohort_status": "open"}, "cohort_status", "not a cohort status"),
        ({"not_treated_reason": "declined"}, "not_treated_reason", "was treated"),
        ({"study_id": ""}, "study_id", "required cell is empty"),
    ],
)
def test_bad_rows_are_refused_naming_file_line_and_column(
    tmp_path: Path, values: dict[str, str], field: str, rule: str
) -> None:
    path = _table(tmp_path, _line(study_id="P0"), _line(**{"study_id": "P1", **values}))
    if not rule:
        read_analysis_table(path)
        return
    with pytest.raises(InputError) as caught:
        read_analysis_table(path)
    message = str(caught.value)
    assert message.startswith(f"bad.csv:3: field '{field}':"), message
    assert rule in message
    assert "\n" not in message


def test_not_treated_reason_codes(tmp_path: Path) -> None:
    base = {"offered": "false", "treated": "false", "followed_w16": "false", "drug": "", "cohort": ""}
    read_analysis_table(_table(tmp_path, _line(**base, not_treated_reason="entered_other_study")))
    with pytest.raises(FormatError, match="not a reason code"):
        read_analysis_table(_table(tmp_path, _line(**base, not_treated_reason="Declined treatment")))


@pytest.mark.parametrize(
    ("header", "rule"),
    [
        (HEADER.replace("benefit_w16", "benefit_W16"), "unknown column 'benefit_W16'"),
        (HEADER.replace(",evaluable", ""), "no 'evaluable' column"),
        (HEADER + ",site", "appears twice"),
    ],
)
def test_bad_headers_are_refused(tmp_path: Path, header: str, rule: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(header + "\n", encoding="utf-8")
    with pytest.raises(FormatError, match=rule):
        read_analysis_table(path)


def test_other_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such file"):
        read_analysis_table(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("# cut_off: 2026-01-01\n", encoding="utf-8")
    with pytest.raises(FormatError, match="no header row"):
        read_analysis_table(empty)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + b"\nTroms\xf8\n")
    with pytest.raises(FormatError, match="not UTF-8"):
        read_analysis_table(latin)
    short = _table(tmp_path, "P1,true")
    with pytest.raises(FormatError, match=r"bad.csv:2: 2 cells where the header has"):
        read_analysis_table(short)
    twice = _table(tmp_path, _line(study_id="P1"), _line(study_id="P1"))
    with pytest.raises(FormatError, match="appears twice") as caught:
        read_analysis_table(twice)
    assert "P1" not in str(caught.value)  # a study ID is never repeated in an error
    not_parquet = tmp_path / "table.parquet"
    not_parquet.write_text("not parquet", encoding="utf-8")
    with pytest.raises(FormatError, match="not a readable Parquet file"):
        read_analysis_table(not_parquet)


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("# cut_off: 31.03.2026", "not a date"),
        ("# protocol: 2.1", "unknown metadata key 'protocol'"),
        ("# just a comment", "has no ':'"),
        ("# synthetic: perhaps", "not true or false"),
    ],
)
def test_bad_metadata_is_refused(tmp_path: Path, line: str, rule: str) -> None:
    path = tmp_path / "meta.csv"
    path.write_text(f"{line}\n{HEADER}\n", encoding="utf-8")
    with pytest.raises(FormatError, match=rule):
        read_analysis_table(path)


def test_parquet_rows_are_checked_with_their_row_number(tmp_path: Path) -> None:
    rows = published_funnel_rows()[:3]
    frame = pl.DataFrame(
        {
            "study_id": [row.study_id for row in rows],
            "qc_passed": [True, True, False],
            "matched": [True, True, True],  # the third is matched without passing QC
            "offered": [row.offered for row in rows],
            "treated": [row.treated for row in rows],
            "followed_w16": [row.followed_w16 for row in rows],
            "evaluable": [row.evaluable for row in rows],
            "benefit_w16": [row.benefit_w16 for row in rows],
            "drug": [row.drug for row in rows],
            "cohort": [row.cohort for row in rows],
        }
    )
    path = tmp_path / "sister.parquet"
    frame.write_parquet(path)
    with pytest.raises(FormatError, match=r"sister.parquet:4: field 'matched': matched is true but qc_passed is false"):
        read_analysis_table(path)


def test_rows_refuse_contradictions_without_a_file() -> None:
    with pytest.raises(InputError, match="pfs_ratio is given for a patient not treated"):
        AnalysisRow(
            study_id="P1",
            qc_passed=True,
            matched=False,
            offered=False,
            treated=False,
            followed_w16=False,
            evaluable=False,
            pfs_ratio=1.5,
        )


def test_a_cohort_has_one_status(tmp_path: Path) -> None:
    path = _table(
        tmp_path,
        _line(study_id="P1", cohort_status="stage1_open"),
        _line(study_id="P2", cohort_status="stage2_open"),
    )
    with pytest.raises(FormatError, match=r"bad\.csv: field 'cohort_status': cohort 'c1' has two statuses"):
        read_analysis_table(path)


@settings(max_examples=15, deadline=None)
@given(patients=st.integers(min_value=0, max_value=60), seed=st.integers(min_value=0, max_value=100_000))
def test_any_consistent_dataset_survives_csv(patients: int, seed: int) -> None:
    dataset = random_dataset(patients, seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        write_analysis_table(dataset, path)
        assert read_analysis_table(path) == dataset


def test_quoted_cells_with_commas_and_line_breaks_keep_their_line_numbers(tmp_path: Path) -> None:
    header = "study_id,qc_passed,matched,offered,treated,followed_w16,evaluable,drug,cohort"
    path = tmp_path / "quoted.csv"
    path.write_text(
        f'{header}\nQ1,true,true,true,true,false,false,olaparib,"BRCA2 loss, Breast"\n'
        'Q2,true,true,true,true,false,false,olaparib,"two\nlines"\n'
        "Q3,true,false,true,false,false,false,,\n",
        encoding="utf-8",
    )
    with pytest.raises(FormatError, match=r"quoted\.csv:5: field 'offered'"):
        read_analysis_table(path)
    path.write_text(f'{header}\nQ1,true,true,true,true,false,false,olaparib,"open quote\n', encoding="utf-8")
    with pytest.raises(FormatError, match=r"quoted\.csv:2: not valid CSV"):
        read_analysis_table(path)
