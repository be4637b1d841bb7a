"""A synthetic trial drawn from published rates: who is screened, what their tumour carries, what the tumour
board decides and how each treated patient fares (docs/simulation.md).

Pure: this module only draws. ``services.simulation`` writes the draws through the same use cases as real data,
in time order, so every rule of the registry (cohort state machine, slots, RECIST, week 16) runs on them.

Defaults are shaped like the published IMPRESS-Norway funnel, April 2021 - October 2023 (Puco et al., Acta Oncol
2024;63:379-384; DOMAIN.md section 4): 1,167 screened -> 358 with an actionable alteration and a matching drug ->
186 started treatment -> 170 with >= 16 weeks of follow-up -> 145 evaluable; disease control at week 16 in
58/145 (40 %). The actionable share comes from the alteration frequencies (``io.simulation_sources``); the
later steps from the rates of :class:`SimulationRates`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from oncobasket.core.errors import InputError
from oncobasket.core.profiles import (
    Alteration,
    AlterationKind,
    MolecularProfile,
    Msi,
    MsiStatus,
    QcResult,
    Tmb,
    TmbClass,
)

#: The prefix of every simulated study ID (``SYN-00001`` ...): a synthetic patient is never mistaken for a real one.
SYNTHETIC_PREFIX = "SYN-"

#: The audit action that marks a registry as holding a simulated trial (read by the analysis dataset).
SIMULATION_ACTION = "trial.simulate"


class FrequencyKind(StrEnum):
    """What a frequency row draws: one alteration, or a genome-wide status (MSI, TMB)."""

    MUTATION = "mutation"
    AMPLIFICATION = "amplification"
    COPY_LOSS = "copy_loss"
    FUSION = "fusion"
    SPLICE_VARIANT = "splice_variant"
    MSI = "msi"
    TMB = "tmb"


@dataclass(frozen=True, slots=True)
class AlterationFrequency:
    """One alteration and the share of sequenced tumours that carry it (its source cited in ``source``)."""

    name: str
    gene: str | None
    kind: FrequencyKind
    percent: float
    source: str
    protein_change: str | None = None
    coding_change: str | None = None
    exon: str | None = None
    partner: str | None = None
    copy_number: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.percent <= 100.0:
            raise InputError(f"{self.percent:g} is not a percentage", field=self.name, fix="give 0-100")

    def alteration(self) -> Alteration | None:
        """The alteration as a TSO500 reader would report it (None for MSI and TMB, which are statuses)."""
        if self.gene is None or self.kind in (FrequencyKind.MSI, FrequencyKind.TMB):
            return None
        kind = AlterationKind(self.kind.value)
        if kind is AlterationKind.FUSION:
            genes = (self.partner, self.gene) if self.partner else (self.gene,)
            return Alteration(
                gene=self.gene, kind=kind, reported_gene="-".join(genes), genes=genes, supporting_reads=40
            )
        if kind is AlterationKind.AMPLIFICATION:
            copies = self.copy_number or 8.0
            return Alteration(gene=self.gene, kind=kind, fold_change=copies / 2.0, copy_number=copies)
        if kind is AlterationKind.SPLICE_VARIANT:
            return Alteration(gene=self.gene, kind=kind, exon=self.exon, supporting_reads=60)
        if kind is AlterationKind.COPY_LOSS:
            return Alteration(gene=self.gene, kind=kind, fold_change=0.4, copy_number=0.5)
        truncating = self.protein_change is not None and ("*" in self.protein_change or "fs" in self.protein_change)
        return Alteration(
            gene=self.gene,
            kind=kind,
            protein_change=self.protein_change,
            coding_change=self.coding_change,
            consequences=("stop_gained",) if truncating else ("missense_variant",),
            exon=self.exon,
            vaf=0.35,
            depth=500,
        )


class WeekSixteenResponse(StrEnum):
    """The RECIST 1.1 response the simulated measurements produce at week 16 (section 4.3)."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    PD = "PD"


@dataclass(frozen=True, slots=True)
class SimulationRates:
    """The rates of each step after screening; the defaults reproduce the IMPRESS-Norway funnel's ratios.

    IMPRESS (DOMAIN.md section 4): of 358 matched, 186 started treatment (52 %); of those, 170 had 16 weeks of
    follow-up and 145 were evaluable (145/170 = 85 %: the rest stopped within the first cycle); disease
    control at week 16 in 40 % of evaluable patients. The later snapshot (1,537 discussed, 398 offered) says
    the rest went to other trials, early access or palliative care: the board's C and D shares below.
    Response shares among evaluable patients are chosen so CR + PR + SD = 40 % (ORR 15 %, about what
    DRUP reported: van der Velden et al., Nature 2019).
    """

    qc_failure: float = 0.05
    decision_a: float = 0.62
    decision_c: float = 0.23
    # The rest of the matched patients get D (no treatment proposal).
    not_treated_after_offer: float = 0.16
    not_evaluable: float = 25 / 170
    complete_response: float = 0.03
    partial_response: float = 0.12
    stable_disease: float = 0.25
    # The rest of the evaluable patients progress by week 16.
    median_days_to_later_progression: float = 150.0
    median_days_from_progression_to_death: float = 200.0
    adverse_event: float = 0.6

    def __post_init__(self) -> None:
        for name in ("qc_failure", "decision_a", "decision_c", "not_treated_after_offer", "not_evaluable"):
            _check_share(getattr(self, name), name)
        if self.decision_a + self.decision_c > 1.0:
            raise InputError("decision A and C shares add up to more than 1", field="decision_c", fix="lower them")
        if self.complete_response + self.partial_response + self.stable_disease > 1.0:
            raise InputError("the CR, PR and SD shares add up to more than 1", field="stable_disease", fix="lower them")


def _check_share(value: float, name: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise InputError(f"{value:g} is not a share between 0 and 1", field=name, fix="give a value in 0-1")


@dataclass(frozen=True, slots=True)
class TumourTypeShare:
    """An OncoTree code and its share of screened patients."""

    oncotree_code: str
    share: float


#: The case mix of a national basket trial's screening: colorectal, pancreatic, biliary, breast, lung and
#: gynaecological cancers most often, then rarer ones (the IMPRESS-Norway screened population, Helland et al.,
#: J Transl Med 2022;20:225, Fig. 2, rounded). Codes are OncoTree leaves the default protocol groups.
DEFAULT_TUMOUR_TYPES: tuple[TumourTypeShare, ...] = (
    TumourTypeShare("COAD", 0.16),
    TumourTypeShare("PAAD", 0.12),
    TumourTypeShare("CHOL", 0.08),
    TumourTypeShare("BRCA", 0.08),
    TumourTypeShare("LUAD", 0.07),
    TumourTypeShare("HGSOC", 0.06),
    TumourTypeShare("PRAD", 0.06),
    TumourTypeShare("STAD", 0.05),
    TumourTypeShare("BLCA", 0.05),
    TumourTypeShare("SKCM", 0.04),
    TumourTypeShare("UEC", 0.04),
    TumourTypeShare("GBC", 0.04),
    TumourTypeShare("CUP", 0.05),
    TumourTypeShare("HNSC", 0.05),
    TumourTypeShare("THPA", 0.05),
)

#: Sites of the national network (the five Norwegian health regions' university hospitals).
SITES = ("OUS", "HUS", "STO", "UNN", "SUS")


@dataclass(frozen=True, slots=True)
class PatientDraw:
    """Everything drawn for one patient; whether the screening matched is decided by the real matcher."""

    study_id: str
    site: str
    sex: str
    birth_year: int
    oncotree_code: str
    ecog: int
    screened_on: date
    profile: MolecularProfile
    decision: str  # A, C or D, used only when the screening matched
    non_trial_option: str | None
    meeting_after_days: int
    not_treated_reason: str | None
    consent_after_days: int
    start_after_days: int
    not_evaluable: bool
    response: WeekSixteenResponse
    progression_day: int  # days from treatment start
    death_after_progression_days: int
    adverse_event_grade: int | None
    adverse_event_term: str


@dataclass(frozen=True, slots=True)
class SimulationPlan:
    """The drawn trial: patients in screening order, the period it covers, and what it was drawn from."""

    patients: tuple[PatientDraw, ...]
    start: date
    end: date
    seed: int
    sources: tuple[str, ...] = field(default=())


_AE_TERMS = ("Fatigue", "Diarrhea", "Nausea", "Fever", "Anorexia")
_NOT_TREATED = ("deteriorated", "declined", "died", "deteriorated")


def draw_trial(
    *,
    patients: int,
    seed: int,
    end: date,
    months: int,
    frequencies: Sequence[AlterationFrequency],
    rates: SimulationRates = SimulationRates(),
    tumour_types: Sequence[TumourTypeShare] = DEFAULT_TUMOUR_TYPES,
) -> SimulationPlan:
    """Draw ``patients`` patients screened evenly over ``months`` months ending on ``end`` (same seed, same trial)."""
    if patients < 1 or patients > 99_999:
        raise InputError(f"{patients} patients", field="--patients", fix="give 1-99999 patients")
    if months < 1:
        raise InputError(f"{months} months", field="--months", fix="give at least 1 month")
    generator = random.Random(seed)  # noqa: S311 - a seeded simulation, not a secret
    start = end - timedelta(days=round(months * 30.44))
    span = (end - start).days
    codes = [item.oncotree_code for item in tumour_types]
    weights = [item.share for item in tumour_types]
    draws = tuple(
        _draw_patient(
            generator,
            number=number,
            screened_on=start + timedelta(days=min(span, int(span * (number - 1) / patients))),
            oncotree_code=generator.choices(codes, weights)[0],
            frequencies=frequencies,
            rates=rates,
        )
        for number in range(1, patients + 1)
    )
    sources = tuple(sorted({item.source for item in frequencies}))
    return SimulationPlan(patients=draws, start=start, end=end, seed=seed, sources=sources)


def _draw_patient(
    generator: random.Random,
    *,
    number: int,
    screened_on: date,
    oncotree_code: str,
    frequencies: Sequence[AlterationFrequency],
    rates: SimulationRates,
) -> PatientDraw:
    study_id = f"{SYNTHETIC_PREFIX}{number:05d}"
    profile = _draw_profile(generator, study_id, frequencies, qc_failure=rates.qc_failure)
    decision_roll = generator.random()
    decision = (
        "A" if decision_roll < rates.decision_a else "C" if decision_roll < rates.decision_a + rates.decision_c else "D"
    )
    response_roll = generator.random()
    response = (
        WeekSixteenResponse.CR
        if response_roll < rates.complete_response
        else WeekSixteenResponse.PR
        if response_roll < rates.complete_response + rates.partial_response
        else WeekSixteenResponse.SD
        if response_roll < rates.complete_response + rates.partial_response + rates.stable_disease
        else WeekSixteenResponse.PD
    )
    # Exponential times with the given medians (median = mean x ln 2).
    later = generator.expovariate(0.6931 / rates.median_days_to_later_progression)
    return PatientDraw(
        study_id=study_id,
        site=generator.choice(SITES),
        sex=generator.choice(("F", "M")),
        birth_year=screened_on.year - generator.randint(30, 80),
        oncotree_code=oncotree_code,
        ecog=generator.choices((0, 1, 2), (0.35, 0.5, 0.15))[0],
        screened_on=screened_on,
        profile=profile,
        decision=decision,
        non_trial_option=generator.choice(("standard_care", "other_trial", "early_access"))
        if decision == "C"
        else None,
        meeting_after_days=generator.randint(7, 21),
        not_treated_reason=generator.choice(_NOT_TREATED)
        if decision == "A" and generator.random() < rates.not_treated_after_offer
        else None,
        consent_after_days=generator.randint(2, 10),
        start_after_days=generator.randint(3, 14),
        not_evaluable=generator.random() < rates.not_evaluable,
        response=response,
        progression_day=56 if response is WeekSixteenResponse.PD else 112 + max(1, round(later)),
        death_after_progression_days=max(
            1, round(generator.expovariate(0.6931 / rates.median_days_from_progression_to_death))
        ),
        adverse_event_grade=generator.choices((1, 2, 3), (0.45, 0.4, 0.15))[0]
        if generator.random() < rates.adverse_event
        else None,
        adverse_event_term=generator.choice(_AE_TERMS),
    )


def _draw_profile(
    generator: random.Random, sample_id: str, frequencies: Sequence[AlterationFrequency], *, qc_failure: float
) -> MolecularProfile:
    """Each alteration independently at its published frequency; TMB and MSI as statuses (TSO500-like)."""
    alterations: list[Alteration] = []
    msi_high = False
    tmb_high = False
    for item in frequencies:
        if generator.random() * 100.0 >= item.percent:
            continue
        if item.kind is FrequencyKind.MSI:
            msi_high = True
        elif item.kind is FrequencyKind.TMB:
            tmb_high = True
        else:
            alteration = item.alteration()
            if alteration is not None:
                alterations.append(alteration)
    # MSI-H tumours are hypermutated (Zehir 2017 Fig. 4): TMB follows MSI.
    per_mb = round(
        generator.uniform(25.0, 60.0)
        if msi_high
        else generator.uniform(10.5, 30.0)
        if tmb_high
        else generator.uniform(0.5, 8.0),
        1,
    )
    tmb_class = TmbClass.HIGH if per_mb > 20.0 else TmbClass.INTERMEDIATE if per_mb >= 5.0 else TmbClass.LOW
    usable_sites = 120
    unstable = generator.randint(30, 50) if msi_high else generator.randint(0, 6)
    failed = generator.random() < qc_failure
    qc = (
        QcResult(passed=False, failures=("synthetic: median exon coverage below its limit",))
        if failed
        else QcResult(passed=True)
    )
    return MolecularProfile(
        sample_id=sample_id,
        alterations=() if failed else tuple(alterations),
        tmb=Tmb(per_mb=per_mb, tmb_class=tmb_class) if not failed else None,
        msi=Msi(
            usable_sites=usable_sites,
            unstable_sites=unstable,
            percent_unstable=round(100.0 * unstable / usable_sites, 2),
            status=MsiStatus.MSI_H if msi_high else MsiStatus.MSS,
        )
        if not failed
        else None,
        qc=qc,
    )


#: Baseline target lesions of every simulated patient (RECIST 1.1 section 3: two measurable lesions, one
#: a lymph node measured by its short axis >= 15 mm). Sum 80 mm.
BASELINE_LESIONS = (("T1", "liver", 50.0), ("N1", "lymph_node", 30.0))

#: The target sums (mm) that give each response at week 8 and week 16 against the 80 mm baseline
#: (RECIST 1.1 section 4.3.1: CR all targets gone and nodes < 10 mm; PR >= 30 % decrease; PD >= 20 % and
#: >= 5 mm increase over the nadir; SD neither).
_TARGETS = {
    WeekSixteenResponse.CR: ({"T1": 0.0, "N1": 8.0}, {"T1": 0.0, "N1": 6.0}),
    WeekSixteenResponse.PR: ({"T1": 25.0, "N1": 18.0}, {"T1": 22.0, "N1": 16.0}),
    WeekSixteenResponse.SD: ({"T1": 45.0, "N1": 28.0}, {"T1": 46.0, "N1": 28.0}),
}


def assessment_days(until: int) -> tuple[int, ...]:
    """The scheduled assessment days from treatment start, up to ``until`` inclusive: every 8 weeks for 24
    weeks, then every 12 weeks (DOMAIN.md section 5, the Danish sister trial's schedule)."""
    days = [56, 112, 168]
    while days[-1] + 84 <= until:
        days.append(days[-1] + 84)
    return tuple(day for day in days if day <= until)


def assessment_document(draw: PatientDraw, *, start: date, days: Sequence[int]) -> dict[str, object]:
    """The assessment file (docs/assessment-file.schema.json) of the measurements up to the given days.

    Week 8 and week 16 give the drawn response; a patient with benefit keeps the week-16 sums until the
    drawn progression day, where a new lesion appears (RECIST 1.1 section 4.3.2: unequivocal new lesion is PD).
    A PD patient's week-8 scan shows a 30 % increase (PD).
    """
    baseline = {
        "date": (start - timedelta(days=3)).isoformat(),
        "target_lesions": [
            {"id": lesion, "site": site, "diameter_mm": diameter} for lesion, site, diameter in BASELINE_LESIONS
        ],
        "non_target_lesions": [],
    }
    assessments: list[dict[str, object]] = []
    for day in days:
        if draw.response is WeekSixteenResponse.PD:
            targets: dict[str, float] = {"T1": 68.0, "N1": 36.0}
            new_lesions = False
        else:
            week8, week16 = _TARGETS[draw.response]
            targets = week8 if day < 112 else week16
            new_lesions = day >= draw.progression_day
        assessments.append(
            {
                "date": (start + timedelta(days=day)).isoformat(),
                "target_lesions": dict(targets),
                "non_target_lesions": {},
                "new_lesions": new_lesions,
            }
        )
    return {"treatment_start": start.isoformat(), "baseline": baseline, "assessments": assessments}
