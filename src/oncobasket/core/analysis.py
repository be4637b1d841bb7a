"""The analysis dataset: one row per screened patient with derived flags, the one source of every trial number.

Built in the manner of a CDISC ADaM subject-level dataset (ADSL, ADaM Implementation Guide v1.3 section 3):
one record per subject, population flags that nest, and analysis values already derived, so that every
endpoint, table and plot is computed from the same rows and a sister trial's table goes through the same
code (ARCHITECTURE.md "Endpoints"; DOMAIN.md section 4). The columns and their meaning are in
``docs/analysis-dataset.md``; :data:`COLUMNS` is the machine-readable form of that dictionary.

The population flags nest as the IMPRESS-Norway funnel does (Puco et al., Acta Oncol 2024;63:379-384:
screened -> actionable alteration with a matching drug -> treated -> >= 16 weeks of follow-up ->
evaluable): a flag that contradicts the one it nests in is refused by :func:`check_row`, so the funnel can
never increase. The module is pure: values in, frozen rows out, :class:`~oncobasket.core.errors.InputError`
for rows that break a rule.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum

from oncobasket.core.cohorts import CohortStatus
from oncobasket.core.errors import InputError
from oncobasket.core.recist import OverallResponse


class ColumnKind(StrEnum):
    """How a column's cells are written: text, a flag (true/false), a whole number, a number."""

    TEXT = "text"
    FLAG = "flag"
    INTEGER = "integer"
    NUMBER = "number"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the analysis dataset: its name, kind, whether it may be empty and what it means."""

    name: str
    kind: ColumnKind
    required: bool
    meaning: str


#: Every column in file order. ``required`` columns must be present in a table and never empty.
COLUMNS: tuple[Column, ...] = (
    Column("study_id", ColumnKind.TEXT, True, "Pseudonymous study ID; one row per screened patient (ADSL USUBJID)."),
    Column("site", ColumnKind.TEXT, False, "Enrolling or referring site."),
    Column("tumour_type", ColumnKind.TEXT, False, "OncoTree code of the tumour."),
    Column("tumour_group", ColumnKind.TEXT, False, "The protocol's tumour group (the cohort's tumour type)."),
    Column("biomarker", ColumnKind.TEXT, False, "The matched biomarker (gene and alteration class)."),
    Column("drug", ColumnKind.TEXT, False, "The matched drug: lower-case generic names joined by + in order."),
    Column("cohort", ColumnKind.TEXT, False, "The cohort name (biomarker / tumour group / drug)."),
    Column("cohort_status", ColumnKind.TEXT, False, "The cohort's status at the cut-off (registry vocabulary)."),
    Column("qc_passed", ColumnKind.FLAG, True, "The sequencing result passed quality control."),
    Column("matched", ColumnKind.FLAG, True, "An actionable alteration with a matching trial drug."),
    Column("offered", ColumnKind.FLAG, True, "The tumour board offered trial treatment."),
    Column("treated", ColumnKind.FLAG, True, "Started trial treatment (cycle 1 day 1) by the cut-off (SAFFL)."),
    Column("followed_w16", ColumnKind.FLAG, True, "Treated, with >= 16 weeks of follow-up or an earlier event."),
    Column("evaluable", ColumnKind.FLAG, True, "Evaluable for efficacy: >= 1 full cycle and a known W16 result."),
    Column("benefit_w16", ColumnKind.FLAG, False, "CR, PR or SD at week 16; empty when not known."),
    Column("best_overall_response", ColumnKind.TEXT, False, "Best overall response (RECIST 1.1 categories)."),
    Column("best_percent_change", ColumnKind.NUMBER, False, "Best % change of the target-lesion sum from baseline."),
    Column("time_on_treatment_days", ColumnKind.INTEGER, False, "Days from first to last dose (or the cut-off)."),
    Column("treatment_ongoing", ColumnKind.FLAG, False, "Still on trial treatment at the cut-off."),
    Column("pfs_days", ColumnKind.INTEGER, False, "Progression-free survival from treatment start, days."),
    Column("pfs_event", ColumnKind.INTEGER, False, "1 progression or death, 0 censored."),
    Column("os_days", ColumnKind.INTEGER, False, "Overall survival from treatment start, days."),
    Column("os_event", ColumnKind.INTEGER, False, "1 death, 0 censored."),
    Column("pfs_ratio", ColumnKind.NUMBER, False, "PFS on trial / time to progression on the last prior line."),
    Column("worst_ae_grade", ColumnKind.INTEGER, False, "Worst CTCAE v5.0 grade of any adverse event, 0 if none."),
    Column("not_treated_reason", ColumnKind.TEXT, False, "Why a matched patient was not treated."),
)

COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in COLUMNS)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(column.name for column in COLUMNS if column.required)

#: The registry's reasons why a matched patient was not treated (core.registry.NotTreatedReason), plus the
#: tumour board's reasons for not offering treatment. A sister trial may use its own words: any snake_case
#: token is accepted, these are the ones the report knows how to name.
KNOWN_NOT_TREATED_REASONS: Mapping[str, str] = {
    "declined": "declined",
    "deteriorated": "clinical deterioration",
    "died": "died before treatment",
    "other_trial": "entered another trial",
    "early_access": "early access programme",
    "palliative_care_only": "palliative care only",
    "ineligible": "not eligible",
    "standard_care": "standard care recommended",
    "no_treatment_proposal": "no treatment proposal (decision D)",
    "no_slot": "no treatment slot",
    "pending": "decision or treatment pending at the cut-off",
}

_REASON = re.compile(r"^[a-z][a-z0-9_]*$")
#: Metadata keys a table may carry (``# key: value`` lines in CSV, key-value metadata in Parquet).
METADATA_KEYS: tuple[str, ...] = ("protocol_version", "data_source", "cut_off", "software_version", "synthetic")


@dataclass(frozen=True, slots=True)
class AnalysisRow:
    """One screened patient. Flags follow the funnel; outcome values are None where not known or not treated."""

    study_id: str
    qc_passed: bool
    matched: bool
    offered: bool
    treated: bool
    followed_w16: bool
    evaluable: bool
    site: str | None = None
    tumour_type: str | None = None
    tumour_group: str | None = None
    biomarker: str | None = None
    drug: str | None = None
    cohort: str | None = None
    cohort_status: str | None = None
    benefit_w16: bool | None = None
    best_overall_response: OverallResponse | None = None
    best_percent_change: float | None = None
    time_on_treatment_days: int | None = None
    treatment_ongoing: bool | None = None
    pfs_days: int | None = None
    pfs_event: int | None = None
    os_days: int | None = None
    os_event: int | None = None
    pfs_ratio: float | None = None
    worst_ae_grade: int | None = None
    not_treated_reason: str | None = None

    def __post_init__(self) -> None:
        check_row(self)

    def value(self, name: str) -> object:
        """The cell of column ``name`` (a grouping column for ``--by``)."""
        if name not in COLUMN_NAMES:
            raise InputError(f"no column {name!r} in the analysis dataset", field=name, fix=_known_columns_fix())
        return getattr(self, name)


@dataclass(frozen=True, slots=True)
class AnalysisMetadata:
    """What the first page of the report states: protocol version, data source, cut-off, producing software."""

    protocol_version: str | None = None
    data_source: str | None = None
    cut_off: datetime.date | None = None
    software_version: str | None = None
    synthetic: bool = False

    def as_dict(self) -> dict[str, str]:
        """The metadata as text, keys in :data:`METADATA_KEYS` order, empty values left out."""
        values = {
            "protocol_version": self.protocol_version,
            "data_source": self.data_source,
            "cut_off": None if self.cut_off is None else self.cut_off.isoformat(),
            "software_version": self.software_version,
            "synthetic": "true" if self.synthetic else None,
        }
        return {key: value for key, value in values.items() if value is not None}

    @classmethod
    def from_mapping(cls, values: Mapping[str, str], *, source: str | None = None) -> AnalysisMetadata:
        """Read the metadata a table carries; unknown keys are refused so that a typo is not silently lost."""
        unknown = sorted(set(values) - set(METADATA_KEYS))
        if unknown:
            raise InputError(
                f"unknown metadata key {unknown[0]!r}",
                source=source,
                field=unknown[0],
                fix=f"use only {', '.join(METADATA_KEYS)}",
            )
        cut_off = None
        if values.get("cut_off"):
            try:
                cut_off = datetime.date.fromisoformat(values["cut_off"])
            except ValueError:
                raise InputError(
                    f"{values['cut_off']!r} is not a date",
                    source=source,
                    field="cut_off",
                    fix="write the cut-off as YYYY-MM-DD",
                ) from None
        synthetic = values.get("synthetic", "false").strip().lower()
        if synthetic not in ("true", "false"):
            raise InputError(
                f"{values['synthetic']!r} is not true or false", source=source, field="synthetic", fix="write true"
            )
        return cls(
            protocol_version=values.get("protocol_version") or None,
            data_source=values.get("data_source") or None,
            cut_off=cut_off,
            software_version=values.get("software_version") or None,
            synthetic=synthetic == "true",
        )


@dataclass(frozen=True, slots=True)
class AnalysisDataset:
    """The rows of one data cut-off and what they came from. Study IDs are unique."""

    rows: tuple[AnalysisRow, ...]
    metadata: AnalysisMetadata = field(default_factory=AnalysisMetadata)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for row in self.rows:
            if row.study_id in seen:
                # The study ID is not repeated: it may be personal data (README "Privacy").
                raise InputError(
                    "a study ID appears twice; the analysis dataset has one row per screened patient",
                    field="study_id",
                    fix="keep one row per patient",
                )
            seen.add(row.study_id)
        statuses: dict[str, str] = {}
        for row in self.rows:
            if row.cohort is None or row.cohort_status is None:
                continue
            known = statuses.setdefault(row.cohort, row.cohort_status)
            if known != row.cohort_status:
                raise InputError(
                    f"cohort {row.cohort!r} has two statuses, {known!r} and {row.cohort_status!r}",
                    field="cohort_status",
                    fix="give every row of a cohort the cohort's one status at the cut-off",
                )


def _known_columns_fix() -> str:
    return f"use one of {', '.join(COLUMN_NAMES)}"


#: The nesting of the population flags: each flag implies the one it names (the funnel never increases).
FLAG_NESTING: tuple[tuple[str, str], ...] = (
    ("matched", "qc_passed"),
    ("offered", "matched"),
    ("treated", "offered"),
    ("followed_w16", "treated"),
    ("evaluable", "followed_w16"),
)

#: Values recorded only for treated patients (they describe time on trial treatment).
_TREATED_ONLY: tuple[str, ...] = (
    "best_overall_response",
    "best_percent_change",
    "time_on_treatment_days",
    "treatment_ongoing",
    "pfs_days",
    "pfs_event",
    "os_days",
    "os_event",
    "pfs_ratio",
    "worst_ae_grade",
)


def check_row(row: AnalysisRow) -> None:
    """Refuse a row whose values contradict each other; the error names the column, the rule and the fix.

    Rules (docs/analysis-dataset.md "Consistency rules"):
    the population flags nest (:data:`FLAG_NESTING`); a known W16 result needs >= 16 weeks of follow-up and a
    benefit needs an evaluable patient (DOMAIN.md section 4: 58 of 145 evaluable and 58 of 170 followed);
    an evaluable patient has a known W16 result (the DCR denominator); a treated patient has a drug and a
    cohort; outcome values belong to treated patients; times come with their event flag; a not-treated
    reason belongs to a matched patient who was not treated.
    """
    if not isinstance(row.study_id, str) or not row.study_id.strip():
        raise InputError("the study ID is empty", field="study_id", fix="give every row its study ID")
    for flag, implied in FLAG_NESTING:
        if getattr(row, flag) and not getattr(row, implied):
            raise InputError(
                f"{flag} is true but {implied} is false: the funnel cannot increase",
                field=flag,
                fix=f"set {implied} true or {flag} false",
            )
    if row.benefit_w16 is not None and not row.followed_w16:
        raise InputError(
            "a week-16 result is given for a patient not followed to week 16",
            field="benefit_w16",
            fix="leave benefit_w16 empty or set followed_w16 true",
        )
    if row.benefit_w16 and not row.evaluable:
        raise InputError(
            "benefit at week 16 is true for a patient not evaluable",
            field="benefit_w16",
            fix="set evaluable true (>= 1 full cycle) or benefit_w16 false",
        )
    if row.evaluable and row.benefit_w16 is None:
        raise InputError(
            "an evaluable patient needs a known week-16 result",
            field="benefit_w16",
            fix="write true or false, or set evaluable false until the result is known",
        )
    if row.treated:
        for name in ("drug", "cohort"):
            if not getattr(row, name):
                raise InputError(f"a treated patient needs a {name}", field=name, fix=f"give the {name} given")
    else:
        for name in _TREATED_ONLY:
            if getattr(row, name) is not None:
                raise InputError(
                    f"{name} is given for a patient not treated",
                    field=name,
                    fix=f"leave {name} empty or set treated true",
                )
    _check_times(row)
    if row.best_percent_change is not None and not (
        math.isfinite(row.best_percent_change) and row.best_percent_change >= -100.0
    ):
        raise InputError(
            f"best % change {row.best_percent_change!r} is below -100 or not a number",
            field="best_percent_change",
            fix="give the change of the target-lesion sum from baseline in percent (>= -100)",
        )
    if row.pfs_ratio is not None and not (math.isfinite(row.pfs_ratio) and row.pfs_ratio > 0):
        raise InputError(
            f"PFS ratio {row.pfs_ratio!r} is not a positive number",
            field="pfs_ratio",
            fix="give PFS on trial divided by time to progression on the last prior line",
        )
    if row.worst_ae_grade is not None and row.worst_ae_grade not in range(6):
        raise InputError(
            f"worst adverse-event grade {row.worst_ae_grade} is not 0-5",
            field="worst_ae_grade",
            fix="give the CTCAE v5.0 grade 1-5, or 0 when no adverse event was recorded",
        )
    if row.cohort_status is not None:
        if row.cohort_status not in {status.value for status in CohortStatus}:
            raise InputError(
                f"{row.cohort_status!r} is not a cohort status",
                field="cohort_status",
                fix=f"use one of {', '.join(status.value for status in CohortStatus)}",
            )
        if not row.cohort:
            raise InputError("a cohort status without a cohort", field="cohort_status", fix="give the cohort name")
    _check_not_treated_reason(row)


def _check_times(row: AnalysisRow) -> None:
    """Survival times are whole days >= 0 and come with their 0/1 event flag (Kaplan-Meier input)."""
    for days_name, event_name in (("pfs_days", "pfs_event"), ("os_days", "os_event")):
        days, event = getattr(row, days_name), getattr(row, event_name)
        if (days is None) != (event is None):
            raise InputError(
                f"{days_name} and {event_name} go together",
                field=event_name if event is None else days_name,
                fix=f"give both {days_name} and {event_name} (1 event, 0 censored) or neither",
            )
        if days is not None and days < 0:
            raise InputError(f"{days_name} {days} is negative", field=days_name, fix="count days from treatment start")
        if event is not None and event not in (0, 1):
            raise InputError(f"{event_name} {event} is not 0 or 1", field=event_name, fix="1 event, 0 censored")
    if row.time_on_treatment_days is not None and row.time_on_treatment_days < 0:
        raise InputError(
            f"time on treatment {row.time_on_treatment_days} is negative",
            field="time_on_treatment_days",
            fix="count days from the first dose",
        )


def _check_not_treated_reason(row: AnalysisRow) -> None:
    reason = row.not_treated_reason
    if reason is None:
        return
    if not row.matched or row.treated:
        raise InputError(
            "a not-treated reason is given for a patient who was not matched or was treated",
            field="not_treated_reason",
            fix="leave it empty unless the patient was matched and not treated",
        )
    if not _REASON.match(reason):
        raise InputError(
            f"{reason!r} is not a reason code",
            field="not_treated_reason",
            fix=f"write a lower-case word with underscores, e.g. {', '.join(list(KNOWN_NOT_TREATED_REASONS)[:4])}",
        )


def reason_label(reason: str | None) -> str:
    """The words the report uses for a not-treated reason code (the code itself when it is a sister trial's)."""
    if reason is None:
        return "not recorded"
    return KNOWN_NOT_TREATED_REASONS.get(reason, reason.replace("_", " "))


def group_values(rows: Iterable[AnalysisRow], column: str) -> list[str | None]:
    """The distinct values of a grouping column in sorted order, missing values (None) last."""
    if column not in COLUMN_NAMES:
        raise InputError(f"no column {column!r} in the analysis dataset", field="by", fix=_known_columns_fix())
    kinds = {item.name: item.kind for item in COLUMNS}
    if kinds[column] is not ColumnKind.TEXT or column in ("study_id", "not_treated_reason"):
        raise InputError(
            f"{column!r} is not a grouping column",
            field="by",
            fix="group by tumour_group, tumour_type, drug, biomarker, cohort or site",
        )
    values = {row.value(column) for row in rows}
    present = sorted(str(value) for value in values if value is not None)
    return [*present, None] if None in values else list(present)


def field_names() -> tuple[str, ...]:
    """The dataclass fields of :class:`AnalysisRow`: the names of :data:`COLUMN_NAMES` (checked by a test)."""
    return tuple(item.name for item in fields(AnalysisRow))
