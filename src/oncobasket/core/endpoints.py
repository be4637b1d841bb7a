"""Trial endpoints from the analysis dataset: the funnel, rates with exact intervals, survival, AEs.

Definitions (DOMAIN.md section 4; Puco et al., Acta Oncol 2024;63:379-384, the IMPRESS-Norway results):

- the funnel: screened -> QC passed -> matched (an actionable alteration with a matching drug) -> offered
  -> treated -> followed >= 16 weeks -> evaluable;
- primary 1: the share of screened patients offered treatment;
- primary 2: disease control (CR, PR or SD) at week 16 among evaluable patients (``dcr_w16.evaluable``);
  secondary: the same benefits among all treated patients with >= 16 weeks of follow-up
  (``dcr_w16.all_treated``). 58 of 145 and 58 of 170 give 40.0 % (32.0-48.5) and 34.1 % (27.0-41.8);
- objective response rate: best overall response CR or PR (RECIST 1.1 section 4.4) among evaluable patients;
- PFS and OS by Kaplan-Meier with the median and its interval as R's ``survfit`` gives it by default
  (``conf.type = "log"``), None where not reached; duration of benefit: PFS of the patients with benefit
  at week 16 (the DRUP "duration of clinical benefit", van der Velden et al., Nature 2019);
- the PFS ratio (Von Hoff et al., J Clin Oncol 2010;28:4877-4883): the share >= 1.3 among patients whose
  answer is known (a patient still progression-free below the threshold may still reach it);
- adverse events: patients by their worst CTCAE v5.0 grade among treated patients, and grade >= 3.

Every rate carries its exact Clopper-Pearson 95 % interval (Clopper and Pearson, Biometrika 1934).
The estimators come from :mod:`oncobasket.core.survival`; this module only selects the rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oncobasket.core.analysis import AnalysisRow, group_values
from oncobasket.core.recist import OverallResponse
from oncobasket.core.survival import ExactProportion, exact_proportion, kaplan_meier

#: The conventional PFS-ratio threshold (Von Hoff et al. 2010; DOMAIN.md section 4).
PFS_RATIO_THRESHOLD = 1.3
#: CTCAE v5.0 grades, 0 meaning no adverse event recorded.
GRADES: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
#: Complete or partial response: the numerator of the objective response rate (RECIST 1.1 section 4.4).
OBJECTIVE_RESPONSES = frozenset({OverallResponse.CR, OverallResponse.PR})
FUNNEL_STEPS: tuple[str, ...] = ("screened", "qc_passed", "matched", "offered", "treated", "followed_w16", "evaluable")


@dataclass(frozen=True, slots=True)
class Rate:
    """k of n with the exact (Clopper-Pearson) interval; rate and limits None when n = 0."""

    k: int
    n: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None

    @classmethod
    def of(cls, k: int, n: int) -> Rate:
        proportion: ExactProportion = exact_proportion(k, n)
        return cls(k=k, n=n, rate=proportion.rate, ci_low=proportion.ci_low, ci_high=proportion.ci_high)

    def as_dict(self) -> dict[str, Any]:
        return {"k": self.k, "n": self.n, "rate": self.rate, "ci_low": self.ci_low, "ci_high": self.ci_high}

    def summary(self) -> str:
        """``k/n rate % (low-high)``, as the IMPRESS results paper reports rates."""
        if self.rate is None or self.ci_low is None or self.ci_high is None:
            return f"{self.k}/{self.n}"
        return f"{self.k}/{self.n} {100 * self.rate:.1f} % ({100 * self.ci_low:.1f}-{100 * self.ci_high:.1f})"


@dataclass(frozen=True, slots=True)
class SurvivalSummary:
    """Patients, events and the Kaplan-Meier median with its interval (None where not reached or no patients)."""

    n: int
    events: int
    median: float | None
    median_ci_low: float | None
    median_ci_high: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "events": self.events,
            "median": self.median,
            "median_ci_low": self.median_ci_low,
            "median_ci_high": self.median_ci_high,
        }

    def summary(self) -> str:
        def text(value: float | None) -> str:
            return "NR" if value is None else f"{value:g}"

        if self.n == 0:
            return "no patients"
        return (
            f"n {self.n}, {self.events} events, median {text(self.median)} days "
            f"({text(self.median_ci_low)}-{text(self.median_ci_high)})"
        )


@dataclass(frozen=True, slots=True)
class PfsRatioResult:
    """The share of patients whose PFS ratio reached the threshold, and how many are not yet known."""

    threshold: float
    share: Rate
    unknown: int

    def as_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, **self.share.as_dict(), "unknown": self.unknown}


@dataclass(frozen=True, slots=True)
class AdverseEventSummary:
    """Treated patients by their worst adverse-event grade (0 = none recorded), and grade >= 3 with its interval.

    ``not_recorded`` counts treated patients whose worst grade is missing from the table; they are left
    out of ``grade3_or_worse``'s denominator.
    """

    by_worst_grade: tuple[tuple[int, int], ...]
    grade3_or_worse: Rate
    not_recorded: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "by_worst_grade": {str(grade): count for grade, count in self.by_worst_grade},
            "grade3_or_worse": self.grade3_or_worse.as_dict(),
            "not_recorded": self.not_recorded,
        }


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Every endpoint of one set of patients (the whole table or one group of ``--by``)."""

    funnel: tuple[tuple[str, int], ...]
    offered: Rate
    dcr_w16_evaluable: Rate
    dcr_w16_all_treated: Rate
    orr: Rate
    pfs: SurvivalSummary
    os: SurvivalSummary
    duration_of_benefit: SurvivalSummary
    pfs_ratio: PfsRatioResult
    adverse_events: AdverseEventSummary
    not_treated_reasons: tuple[tuple[str | None, int], ...]

    def funnel_count(self, step: str) -> int:
        return dict(self.funnel)[step]

    def as_dict(self) -> dict[str, Any]:
        """The JSON of the command-line contract (ARCHITECTURE.md "Endpoints"), extended, never broken."""
        return {
            "funnel": dict(self.funnel),
            "offered": self.offered.as_dict(),
            "dcr_w16": {
                "evaluable": self.dcr_w16_evaluable.as_dict(),
                "all_treated": self.dcr_w16_all_treated.as_dict(),
            },
            "orr": self.orr.as_dict(),
            "pfs": self.pfs.as_dict(),
            "os": self.os.as_dict(),
            "duration_of_benefit": self.duration_of_benefit.as_dict(),
            "pfs_ratio": self.pfs_ratio.as_dict(),
            "adverse_events": self.adverse_events.as_dict(),
            "not_treated_reasons": [
                {"reason": reason, "patients": count} for reason, count in self.not_treated_reasons
            ],
        }

    def summary(self) -> str:
        """A few lines for people: the funnel and the main rates."""
        funnel = " -> ".join(f"{step} {count}" for step, count in self.funnel)
        return "\n".join(
            [
                funnel,
                f"offered among screened: {self.offered.summary()}",
                f"DCR at week 16, evaluable: {self.dcr_w16_evaluable.summary()}",
                f"DCR at week 16, all treated followed >= 16 weeks: {self.dcr_w16_all_treated.summary()}",
                f"objective response rate: {self.orr.summary()}",
                f"PFS: {self.pfs.summary()}",
                f"OS: {self.os.summary()}",
            ]
        )


@dataclass(frozen=True, slots=True)
class EndpointReport:
    """Endpoints overall and, when grouped, per value of one column (``--by``; None is "not recorded")."""

    overall: Endpoints
    by: str | None = None
    groups: tuple[tuple[str | None, Endpoints], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        result = self.overall.as_dict()
        if self.by is not None:
            result["by"] = self.by
            result["groups"] = {_group_key(value): endpoints.as_dict() for value, endpoints in self.groups}
        return result


def _group_key(value: str | None) -> str:
    """JSON keys are text: patients without a value are grouped under the empty string."""
    return "" if value is None else value


def funnel(rows: Sequence[AnalysisRow]) -> tuple[tuple[str, int], ...]:
    """The CONSORT-style counts: screened and then each nested population flag (Puco et al. 2024 funnel)."""
    return (
        ("screened", len(rows)),
        ("qc_passed", sum(row.qc_passed for row in rows)),
        ("matched", sum(row.matched for row in rows)),
        ("offered", sum(row.offered for row in rows)),
        ("treated", sum(row.treated for row in rows)),
        ("followed_w16", sum(row.followed_w16 for row in rows)),
        ("evaluable", sum(row.evaluable for row in rows)),
    )


def survival_summary(times: Sequence[int], events: Sequence[int]) -> SurvivalSummary:
    """Kaplan-Meier n, events and median with R's default log interval; empty input gives an empty summary."""
    if not times:
        return SurvivalSummary(n=0, events=0, median=None, median_ci_low=None, median_ci_high=None)
    fit = kaplan_meier(times, events)
    median = fit.median
    return SurvivalSummary(
        n=fit.n, events=fit.events, median=median.time, median_ci_low=median.lower, median_ci_high=median.upper
    )


def survival_columns(rows: Sequence[AnalysisRow], endpoint: str) -> tuple[list[int], list[int]]:
    """(days, events) of ``pfs`` or ``os`` for the rows that have them."""
    days_name, event_name = f"{endpoint}_days", f"{endpoint}_event"
    times: list[int] = []
    events: list[int] = []
    for row in rows:
        days, event = getattr(row, days_name), getattr(row, event_name)
        if days is not None and event is not None:
            times.append(days)
            events.append(event)
    return times, events


def pfs_ratio_result(rows: Sequence[AnalysisRow], threshold: float = PFS_RATIO_THRESHOLD) -> PfsRatioResult:
    """Share of treated patients with PFS ratio >= threshold among those whose answer is known.

    A ratio at or above the threshold is known to meet it; a ratio below it is known not to only when the
    trial PFS ended in an event; a censored PFS below the threshold may still reach it (Von Hoff et al. 2010).
    """
    meets = misses = unknown = 0
    for row in rows:
        if row.pfs_ratio is None:
            continue
        if row.pfs_ratio >= threshold:
            meets += 1
        elif row.pfs_event == 1:
            misses += 1
        else:
            unknown += 1
    return PfsRatioResult(threshold=threshold, share=Rate.of(meets, meets + misses), unknown=unknown)


def adverse_event_summary(rows: Sequence[AnalysisRow]) -> AdverseEventSummary:
    """Treated patients by worst CTCAE grade (CTCAE v5.0; DOMAIN.md section 4) and the share with grade >= 3."""
    treated = [row for row in rows if row.treated]
    grades = Counter(row.worst_ae_grade for row in treated if row.worst_ae_grade is not None)
    recorded = sum(grades.values())
    severe = sum(count for grade, count in grades.items() if grade >= 3)
    return AdverseEventSummary(
        by_worst_grade=tuple((grade, grades.get(grade, 0)) for grade in GRADES),
        grade3_or_worse=Rate.of(severe, recorded),
        not_recorded=len(treated) - recorded,
    )


def not_treated_reasons(rows: Sequence[AnalysisRow]) -> tuple[tuple[str | None, int], ...]:
    """Why matched patients were not treated, most frequent first (None: no reason recorded)."""
    counts = Counter(row.not_treated_reason for row in rows if row.matched and not row.treated)
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0] is None, item[0] or "")))


def compute_endpoints(rows: Sequence[AnalysisRow]) -> Endpoints:
    """Every endpoint of ``rows`` (module docstring for the definitions and their sources)."""
    evaluable = [row for row in rows if row.evaluable]
    followed = [row for row in rows if row.followed_w16]
    treated = [row for row in rows if row.treated]
    with_benefit = [row for row in treated if row.benefit_w16]
    return Endpoints(
        funnel=funnel(rows),
        offered=Rate.of(sum(row.offered for row in rows), len(rows)),
        dcr_w16_evaluable=Rate.of(sum(bool(row.benefit_w16) for row in evaluable), len(evaluable)),
        dcr_w16_all_treated=Rate.of(sum(bool(row.benefit_w16) for row in followed), len(followed)),
        orr=Rate.of(
            sum(row.best_overall_response in OBJECTIVE_RESPONSES for row in evaluable),
            len(evaluable),
        ),
        pfs=survival_summary(*survival_columns(treated, "pfs")),
        os=survival_summary(*survival_columns(treated, "os")),
        duration_of_benefit=survival_summary(*survival_columns(with_benefit, "pfs")),
        pfs_ratio=pfs_ratio_result(treated),
        adverse_events=adverse_event_summary(rows),
        not_treated_reasons=not_treated_reasons(rows),
    )


def endpoint_report(rows: Sequence[AnalysisRow], *, by: str | None = None) -> EndpointReport:
    """Endpoints overall and, with ``by``, per value of that column (tumour_group, drug, biomarker, site, ...)."""
    overall = compute_endpoints(rows)
    if by is None:
        return EndpointReport(overall=overall)
    groups = tuple(
        (value, compute_endpoints([row for row in rows if row.value(by) == value])) for value in group_values(rows, by)
    )
    return EndpointReport(overall=overall, by=by, groups=groups)
