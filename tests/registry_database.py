"""Database fixtures for the registry tests: a fresh SQLite file, and a fresh PostgreSQL schema when
ONCOBASKET_TEST_POSTGRES_URL names a server (pytest -n 2 runs two workers on the same database, so
every test gets its own schema through ``search_path``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

POSTGRES_VARIABLE = "ONCOBASKET_TEST_POSTGRES_URL"

DATABASE_KINDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def postgres_url() -> str:
    """The test server's URL, or a skip naming the variable that would enable the test."""
    url = os.environ.get(POSTGRES_VARIABLE)
    if not url:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_VARIABLE} (e.g. postgresql+psycopg://user:pw@127.0.0.1/db)")
    return url


@pytest.fixture(params=DATABASE_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file in tmp_path, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    base = postgres_url()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


#: A small protocol written for the registry tests: one drug with its own slot cap and the DRUP rule,
#: one under a company agreement of 2 slots with a short rule, so that every path can be driven.
TEST_PROTOCOL = """\
protocol: 1
name: Registry test protocol
version: test-1
eligibility:
  age: {at_least: 18, source: IMPRESS-Norway protocol}
  ecog: {at_most: 2, source: IMPRESS-Norway protocol}
tumour_groups:
  - name: Pancreatic
    oncotree: [PAAD]
  - name: Colorectal
    oncotree: [COADREAD]
biomarkers:
  - name: BRAF V600 mutation
    rule: {gene: BRAF, codon: [V600]}
    source: EMA label of dabrafenib
  - name: ERBB2 amplification
    rule: {gene: ERBB2, amplification: true}
    source: DRUP cohort practice
drugs:
  - generic_names: [dabrafenib, trametinib]
    supplier: Novartis
    route: oral
    slots: 30
    profiles:
      - biomarker: BRAF V600 mutation
        evidence: label
        source: EMA SmPC Tafinlar
  - generic_names: [pertuzumab, trastuzumab]
    supplier: Roche
    route: intravenous
    agreement: Roche agreement
    cohort_rule: {r1: 0, n1: 2, r: 1, n: 4}
    profiles:
      - biomarker: ERBB2 amplification
        evidence: clinical
        source: MyPathway basket trial
agreements:
  - name: Roche agreement
    supplier: Roche
    drugs: [pertuzumab+trastuzumab]
    slots: 3
"""

BRAF = ("dabrafenib+trametinib", "BRAF V600 mutation")
ERBB2 = ("pertuzumab+trastuzumab", "ERBB2 amplification")


@pytest.fixture
def protocol_file(tmp_path: Path) -> Path:
    path = tmp_path / "protocol.yaml"
    path.write_text(TEST_PROTOCOL, encoding="utf-8")
    return path
