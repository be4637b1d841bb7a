"""Shared fixtures: where the real files of ../shared/data are, and skipping when they are absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
SHARED_DATA = REPOSITORY.parent / "shared" / "data"
EXAMPLES = REPOSITORY / "src" / "oncobasket" / "data" / "examples"


@pytest.fixture
def shared_data() -> Path:
    """The folder of real published files; tests that need it skip with the reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test files not found at {SHARED_DATA} (the ../shared/data folder beside the project)")
    return SHARED_DATA


@pytest.fixture
def examples() -> Path:
    """The bundled example inputs shipped with the package."""
    return EXAMPLES


@pytest.fixture
def ob0001(examples: Path) -> Path:
    """A bundled TSO500 result with BRAF p.V600E and an ERBB2 amplification."""
    return examples / "tso500" / "run_2026-01" / "Results" / "OB-0001" / "OB-0001_CombinedVariantOutput.tsv"
