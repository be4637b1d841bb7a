"""Builders for RECIST test records: short to write, so that each golden case reads like the published rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from oncobasket.core.recist import (
    Assessment,
    AssessmentRecord,
    Baseline,
    Criteria,
    EnteredResponse,
    NonTargetLesion,
    NonTargetStatus,
    TargetLesion,
)

TREATMENT_START = dt.date(2026, 1, 5)
BASELINE_DATE = dt.date(2026, 1, 2)


def on_day(day: int) -> dt.date:
    return TREATMENT_START + dt.timedelta(days=day)


def baseline(
    targets: Mapping[str, tuple[str, float]] | None = None, non_targets: Mapping[str, str] | None = None
) -> Baseline:
    """``targets``: id -> (site, mm); ``non_targets``: id -> site."""
    return Baseline(
        BASELINE_DATE,
        tuple(TargetLesion(i, site, Decimal(str(mm))) for i, (site, mm) in (targets or {}).items()),
        tuple(NonTargetLesion(i, site) for i, site in (non_targets or {}).items()),
    )


def visit(
    day: int,
    sizes: Mapping[str, float | None] | None = None,
    statuses: Mapping[str, str] | None = None,
    *,
    new: bool = False,
    entered: Sequence[tuple[Criteria, str]] = (),
) -> Assessment:
    return Assessment(
        on_day(day),
        {i: None if mm is None else Decimal(str(mm)) for i, mm in (sizes or {}).items()},
        {i: NonTargetStatus(status) for i, status in (statuses or {}).items()},
        new,
        tuple(EnteredResponse(criteria, response) for criteria, response in entered),
    )


def record(base: Baseline, *visits: Assessment) -> AssessmentRecord:
    return AssessmentRecord(TREATMENT_START, base, tuple(visits))
