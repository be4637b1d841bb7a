"""The CTCAE table reader: the shipped table, any complete table of the same shape, and malformed tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncobasket.core.errors import FormatError
from oncobasket.io.ctcae import load_ctcae, read_ctcae, shipped_ctcae_path

HEADER = "term\tsoc\tmeddra_code\tgrades\n"
NAUSEA = "Nausea\tGastrointestinal disorders\t10028813\t1,2,3\n"


def _table(tmp_path: Path, body: str, *, header: str = HEADER, name: str = "ctcae.tsv") -> Path:
    path = tmp_path / name
    path.write_text("# version: 5.0-test\n" + header + body, encoding="utf-8")
    return path


def test_shipped_table_is_the_default() -> None:
    assert len(load_ctcae(None)) == 837
    assert read_ctcae(shipped_ctcae_path()).version == "5.0"


def test_any_complete_table_loads(tmp_path: Path) -> None:
    path = _table(
        tmp_path,
        NAUSEA
        + "Death NOS\tGeneral disorders and administration site conditions\t10011914\t5\n"
        + "\n"  # blank lines are skipped
        + "Vomiting\tGastrointestinal disorders\t\t1,2,3,4,5\n",  # a table without a code is accepted
    )
    terms = load_ctcae(path)
    assert terms.version == "5.0-test"
    assert len(terms) == 3
    assert terms.socs == ("Gastrointestinal disorders", "General disorders and administration site conditions")
    vomiting = terms.lookup("vomiting")
    assert vomiting.meddra_code is None
    assert vomiting.allows_death
    assert not terms.lookup("Nausea").allows_death


@pytest.mark.parametrize(
    ("body", "header", "line", "words"),
    [
        (NAUSEA, "term\tsoc\tcode\tgrades\n", 2, "header is"),
        ("Nausea\tGastrointestinal disorders\t10028813\n", HEADER, 3, "3 cells, expected 4"),
        ("Nausea\tGastrointestinal disorders\t10028813\t1,2,3\textra\n", HEADER, 3, "5 cells, expected 4"),
        ("\tGastrointestinal disorders\t10028813\t1,2,3\n", HEADER, 3, "the term is empty"),
        ("Nausea\t\t10028813\t1,2,3\n", HEADER, 3, "the soc is empty"),
        ("Nausea\tGastrointestinal disorders\t1002881\t1,2,3\n", HEADER, 3, "not a MedDRA code"),
        ("Nausea\tGastrointestinal disorders\tC143190\t1,2,3\n", HEADER, 3, "not a MedDRA code"),
        ("Nausea\tGastrointestinal disorders\t10028813\t\n", HEADER, 3, "not a comma-separated list"),
        ("Nausea\tGastrointestinal disorders\t10028813\t1;2;3\n", HEADER, 3, "not a comma-separated list"),
        ("Nausea\tGastrointestinal disorders\t10028813\t0,1\n", HEADER, 3, "outside 1-5"),
        ("Nausea\tGastrointestinal disorders\t10028813\t1,2,6\n", HEADER, 3, "outside 1-5"),
        ("Nausea\tGastrointestinal disorders\t10028813\t3,2\n", HEADER, 3, "out of order or repeated"),
        ("Nausea\tGastrointestinal disorders\t10028813\t1,1\n", HEADER, 3, "out of order or repeated"),
        (NAUSEA + "NAUSEA\tGastrointestinal disorders\t10028813\t1,2,3\n", HEADER, 4, "given twice (first on line 3)"),
    ],
)
def test_malformed_table_names_file_line_and_rule(
    tmp_path: Path, body: str, header: str, line: int, words: str
) -> None:
    path = _table(tmp_path, body, header=header)
    with pytest.raises(FormatError) as raised:
        read_ctcae(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:{line}: ")
    assert words in message
    assert "\n" not in message


def test_empty_missing_and_binary_tables(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such CTCAE table"):
        read_ctcae(tmp_path / "absent.tsv")
    empty = tmp_path / "empty.tsv"
    empty.write_text("# only a comment\n", encoding="utf-8")
    with pytest.raises(FormatError, match="no header line and no terms"):
        read_ctcae(empty)
    with pytest.raises(FormatError, match="the table has no terms"):
        read_ctcae(_table(tmp_path, ""))
    binary = tmp_path / "ctcae.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00\x81")
    with pytest.raises(FormatError, match="not UTF-8 text"):
        read_ctcae(binary)
