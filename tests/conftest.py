"""Shared fixtures: where the real files of ../shared/data are, and skipping when they are absent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

#: The browser tests' fixtures (server, page); browser_support imports Playwright only when a test uses them.
pytest_plugins = ("browser_support",)

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


# ---------------------------------------------------------------------------------------------
# Privacy check over the whole suite (issue 13): no captured output or log holds a national-ID shape
# ---------------------------------------------------------------------------------------------

_LEAKS: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Scan what each test left on stdout, stderr and the log (the sections pytest captured) for
    something shaped like a national identity number: errors and logs must never carry one."""
    from oncobasket.core.validation import has_national_id_shape

    for name, content in report.sections:
        if has_national_id_shape(content, free_text=True):
            _LEAKS.append(f"{report.nodeid} ({name})")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int) -> None:
    if _LEAKS:
        terminalreporter.section("national-ID shapes in captured output or logs", sep="!")
        for leak in dict.fromkeys(_LEAKS):
            terminalreporter.line(leak)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _LEAKS and session.exitstatus == 0:
        session.exitstatus = 1
