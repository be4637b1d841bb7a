"""The content of the trial report, from the analysis dataset: funnel drops, endpoint tables, cohort table.

The report shows the numbers of :mod:`oncobasket.core.endpoints` (nothing is counted apart, so the report
and ``oncobasket endpoints`` cannot disagree) and adds what a reader of a CONSORT-style flow diagram needs:
the number that left at every step and why (CONSORT 2010 statement, item 13a and its flow diagram;
DOMAIN.md section 4: "the software must report the reasons why matched patients were not treated"), and
per cohort where it stands under its two-stage rule (DOMAIN.md section 3). Pure: rows in, values out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from oncobasket.core.analysis import AnalysisDataset, AnalysisRow, reason_label
from oncobasket.core.cohorts import DRUP_RULE, CohortStatus, TwoStageRule
from oncobasket.core.endpoints import EndpointReport, endpoint_report

#: The columns the report breaks the endpoints down by (the issue: tumour group, drug and biomarker).
REPORT_GROUPINGS: tuple[str, ...] = ("tumour_group", "drug", "biomarker")


@dataclass(frozen=True, slots=True)
class FunnelStep:
    """One box of the flow diagram and the patients who left before the next box, with their reasons."""

    name: str
    label: str
    patients: int
    left: int
    reasons: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class CohortLine:
    """One cohort's line in the cohort table (counts from the analysis dataset, status from its column)."""

    cohort: str
    tumour_group: str
    biomarker: str
    drug: str
    status: str
    stage: str
    treated: int
    evaluable: int
    benefit: int
    thresholds: str
    waits_for: str


@dataclass(frozen=True, slots=True)
class TrialReportContent:
    """Everything the report prints: overall endpoints, the groupings, the funnel with drops, the cohorts."""

    endpoints: EndpointReport
    groupings: tuple[EndpointReport, ...]
    funnel: tuple[FunnelStep, ...]
    cohorts: tuple[CohortLine, ...]


_LABELS = {
    "screened": "Screened (sequenced)",
    "qc_passed": "Sequencing passed quality control",
    "matched": "Actionable alteration with a matching trial drug",
    "offered": "Offered trial treatment",
    "treated": "Started trial treatment",
    "followed_w16": ">= 16 weeks of follow-up",
    "evaluable": "Evaluable for efficacy",
}


def funnel_steps(rows: Sequence[AnalysisRow]) -> tuple[FunnelStep, ...]:
    """The flow diagram: each step's count and who left before the next one, with the reasons recorded."""
    steps = [
        ("screened", list(rows)),
        ("qc_passed", [row for row in rows if row.qc_passed]),
        ("matched", [row for row in rows if row.matched]),
        ("offered", [row for row in rows if row.offered]),
        ("treated", [row for row in rows if row.treated]),
        ("followed_w16", [row for row in rows if row.followed_w16]),
        ("evaluable", [row for row in rows if row.evaluable]),
    ]
    result = []
    for index, (name, members) in enumerate(steps):
        if index + 1 < len(steps):
            next_name, next_members = steps[index + 1]
            kept = {row.study_id for row in next_members}
            leavers = [row for row in members if row.study_id not in kept]
            reasons = _drop_reasons(next_name, leavers)
        else:
            leavers, reasons = [], ()
        result.append(
            FunnelStep(name=name, label=_LABELS[name], patients=len(members), left=len(leavers), reasons=reasons)
        )
    return tuple(result)


def _drop_reasons(next_step: str, leavers: Sequence[AnalysisRow]) -> tuple[tuple[str, int], ...]:
    if not leavers:
        return ()
    if next_step in ("offered", "treated"):
        counts = Counter(reason_label(row.not_treated_reason) for row in leavers)
        return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    fixed = {
        "qc_passed": "sequencing failed quality control",
        "matched": "no actionable alteration with a matching drug",
        "followed_w16": "less than 16 weeks of follow-up at the cut-off",
        "evaluable": "not evaluable (less than one full cycle)",
    }
    return ((fixed[next_step], len(leavers)),)


_STAGES = {
    CohortStatus.STAGE1_OPEN: "1",
    CohortStatus.STAGE1_FULL: "1",
    CohortStatus.STAGE2_OPEN: "2",
    CohortStatus.STAGE2_FULL: "2",
    CohortStatus.PROMISING: "2 (done)",
    CohortStatus.EXPANSION: "expansion",
    CohortStatus.CLOSED_FUTILITY: "1 (closed)",
    CohortStatus.CLOSED_NEGATIVE: "2 (closed)",
    CohortStatus.SUSPENDED: "suspended",
}


def _waits_for(status: str | None, treated: int, evaluable: int, rule: TwoStageRule) -> str:
    """What the cohort needs next under its two-stage rule (DOMAIN.md section 3)."""
    if status is None:
        return "not given in the table"
    match CohortStatus(status):
        case CohortStatus.STAGE1_OPEN:
            return f"{max(rule.n1 - treated, 0)} more patient(s) for stage 1"
        case CohortStatus.STAGE1_FULL:
            return f"week-16 results of stage 1 ({evaluable} of {rule.n1} known)"
        case CohortStatus.STAGE2_OPEN:
            return f"{max(rule.n - treated, 0)} more patient(s) for stage 2"
        case CohortStatus.STAGE2_FULL:
            return f"week-16 results of stage 2 ({evaluable} of {rule.n} known)"
        case CohortStatus.PROMISING:
            return "the decision on an expansion cohort"
        case CohortStatus.SUSPENDED:
            return "resumption"
        case CohortStatus.EXPANSION:
            return "expansion patients (the rule is done)"
        case _:
            return "nothing (closed)"


def cohort_rule_text(rule: TwoStageRule = DRUP_RULE) -> str:
    """The rule's thresholds in words: stage 2 on >= r1 + 1 of n1, promising on >= r + 1 of n (Simon 1989)."""
    return f"stage 2 on >= {rule.r1 + 1} of {rule.n1}; promising on >= {rule.r + 1} of {rule.n}"


def cohort_lines(rows: Sequence[AnalysisRow], rule: TwoStageRule = DRUP_RULE) -> tuple[CohortLine, ...]:
    """One line per cohort of treated patients, in name order, with its counts and what it waits for.

    The thresholds shown are ``rule``'s (by default the DRUP/IMPRESS rule: continue on >= r1 + 1 of n1,
    promising on >= r + 1 of n). Pooled counts from sister trials and slot budgets live in the registry,
    not in the analysis dataset.
    """
    members: dict[str, list[AnalysisRow]] = {}
    for row in rows:
        if row.cohort is not None and row.treated:
            members.setdefault(row.cohort, []).append(row)
    lines = []
    thresholds = cohort_rule_text(rule)
    for name in sorted(members):
        group = members[name]
        first = group[0]
        # The dataset guarantees one status per cohort.
        status = next((row.cohort_status for row in group if row.cohort_status is not None), None)
        treated = len(group)
        evaluable = sum(row.evaluable for row in group)
        lines.append(
            CohortLine(
                cohort=name,
                tumour_group=first.tumour_group or "",
                biomarker=first.biomarker or "",
                drug=first.drug or "",
                status=status or "",
                stage=_STAGES[CohortStatus(status)] if status else "",
                treated=treated,
                evaluable=evaluable,
                benefit=sum(bool(row.benefit_w16) for row in group),
                thresholds=thresholds,
                waits_for=_waits_for(status, treated, evaluable, rule),
            )
        )
    return tuple(lines)


def trial_report_content(dataset: AnalysisDataset) -> TrialReportContent:
    """The whole report's numbers from one analysis dataset."""
    rows = dataset.rows
    return TrialReportContent(
        endpoints=endpoint_report(rows),
        groupings=tuple(endpoint_report(rows, by=column) for column in REPORT_GROUPINGS),
        funnel=funnel_steps(rows),
        cohorts=cohort_lines(rows),
    )
