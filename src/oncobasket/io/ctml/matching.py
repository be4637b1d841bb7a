"""Match profiles against a CTML trial: each target resolved for the patient, then evaluated by the
per-profile engine (:func:`oncobasket.core.matching.evaluate_profile`); docs/ctml.md, "JSON"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from oncobasket.core.matching import (
    CompiledProtocol,
    EligibilityStatus,
    Match,
    PatientFacts,
    compile_protocol,
    evaluate_profile,
    resolve_patient,
)
from oncobasket.core.profiles import MolecularProfile
from oncobasket.core.protocol import Rule
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.ctml.model import EXTERNAL_EVIDENCE, NEVER, CtmlArm, CtmlTrial
from oncobasket.io.ctml.resolve import ResolvedArm, arm_protocol, resolve_arm


@dataclass(frozen=True, slots=True)
class CtmlMatch:
    """A match of a profile to a CTML arm (the per-profile engine's :class:`Match` plus the arm)."""

    match: Match
    arm: CtmlArm
    trial: CtmlTrial

    def as_dict(self) -> dict[str, Any]:
        """The contract keys (drug, biomarker, cohort = the arm, evidence, eligible, reasons) first."""
        item = self.match
        return {
            "drug": item.drug,
            "biomarker": item.biomarker,
            "cohort": self.arm.label,
            "evidence": EXTERNAL_EVIDENCE,
            "eligible": item.eligible,
            "reasons": list(item.reasons),
            "eligibility": str(item.eligibility),
            "trial": self.trial.trial_id,
            "arm_code": self.arm.code,
            "arm_description": self.arm.description,
            "arm_open": self.arm.open,
            "arm_status": "open" if self.arm.open else "closed",
            "alterations": list(item.alterations),
            "criteria": [criterion.as_dict() for criterion in item.criteria],
        }


@dataclass(frozen=True, slots=True)
class CtmlResult:
    sample_id: str
    tumour_type: str
    matches: tuple[CtmlMatch, ...]
    notes: tuple[str, ...]
    trial: CtmlTrial
    entered_tumour_type: str | None = None
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "sample_id": self.sample_id,
            "tumour_type": self.tumour_type,
            "trial": self.trial.as_dict(),
            "matches": [item.as_dict() for item in self.matches],
            "notes": list(self.notes),
            "unsupported": [item.as_dict() for item in self.trial.unsupported],
            "entered_tumour_type": self.entered_tumour_type or self.tumour_type,
            "warnings": list(self.warnings),
        }


def match_ctml(
    profile: MolecularProfile,
    patient: PatientFacts,
    trial: CtmlTrial,
    tumour_types: TumourTypes,
    markers: Mapping[str, str] | None = None,
) -> CtmlResult:
    """Every arm of ``trial`` the profile matches (one call; :class:`CtmlMatcher` for many profiles)."""
    return CtmlMatcher(trial, tumour_types).match(profile, patient, markers)


@dataclass(slots=True)
class CtmlMatcher:
    """Matches many profiles against one trial, compiling each target's resolved rule once: the rule
    left after the clinical leaves is the same for most patients, so it is compiled once per target and
    rule, not once per profile."""

    trial: CtmlTrial
    tumour_types: TumourTypes
    _compiled: dict[tuple[str, Rule], CompiledProtocol] = field(default_factory=dict)

    def match(
        self, profile: MolecularProfile, patient: PatientFacts, markers: Mapping[str, str] | None = None
    ) -> CtmlResult:
        """Every arm of the trial the profile matches, with eligibility and reasons (docs/ctml.md).

        ``markers`` are the patient's receptor statuses, signatures and TMB from the clinical table, by
        their CTML names (``her2_status``, ``apobec_signature``, ``tmb``). A retired OncoTree code of the
        patient is read as its successor, with a warning (docs/matching.md). Each match's reasons name
        the CTML leaves decided for the patient with their values as written; a closed or suspended
        level is reported as closed (ineligible), not hidden; an arm not matched has notes naming the
        leaves that decided it.
        """
        trial, tumour_types = self.trial, self.tumour_types
        patient, tumour = resolve_patient(patient, tumour_types)
        matches: list[CtmlMatch] = []
        notes: list[str] = []
        for arm in trial.arms:
            resolved = resolve_arm(arm, patient, tumour_types, profile, markers)
            if resolved.rule == NEVER:
                notes.extend(f"{arm.label}: not matched: {reason}" for reason in resolved.unmet)
                continue
            result = evaluate_profile(profile, patient, self.compiled(arm, resolved.rule), tumour_types)
            notes.extend(f"{arm.label}: {note}" for note in result.notes)
            if not result.matches and not result.notes:
                notes.extend(
                    f"{arm.label}: not matched: {reason}" for reason in self.deciding(profile, patient, arm, resolved)
                )
            if result.matches:
                held = tuple(self.held(profile, patient, arm, resolved))
                matches.extend(
                    CtmlMatch(_adjusted(item, arm, trial, resolved, held), arm, trial) for item in result.matches
                )
        warnings = (*trial.warnings, *((f"tumour type: {tumour.warning}",) if tumour.warning else ()))
        return CtmlResult(
            profile.sample_id,
            patient.tumour_type.upper(),
            tuple(matches),
            tuple(notes),
            trial,
            entered_tumour_type=tumour.entered,
            warnings=warnings,
        )

    def compiled(self, arm: CtmlArm, rule: Rule) -> CompiledProtocol:
        key = (arm.path, rule)
        found = self._compiled.get(key)
        if found is None:
            found = compile_protocol(arm_protocol(self.trial, arm, ResolvedArm(rule, ())))
            self._compiled[key] = found
        return found

    def held(self, profile: MolecularProfile, patient: PatientFacts, arm: CtmlArm, resolved: ResolvedArm) -> list[str]:
        """The genomic leaves of a matched arm that the profile meets, each as written."""
        return [
            f"CTML {leaf.written or leaf.rule.describe()}: met"
            for leaf in resolved.genomic
            if evaluate_profile(profile, patient, self.compiled(arm, leaf.rule), self.tumour_types).matches
        ]

    def deciding(
        self, profile: MolecularProfile, patient: PatientFacts, arm: CtmlArm, resolved: ResolvedArm
    ) -> list[str]:
        """The genomic leaves the profile does not meet, each as written: every failing leaf of an
        ``and``, every leaf of an ``or`` (none held). Only run for an arm the engine did not match."""
        reasons = []
        for leaf in resolved.genomic:
            if not evaluate_profile(profile, patient, self.compiled(arm, leaf.rule), self.tumour_types).matches:
                reasons.append(
                    f"{leaf.written or leaf.rule.describe()}: the profile does not meet {leaf.rule.describe()}"
                )
        return reasons or [f"the profile does not meet {resolved.rule.describe()}"]


def _adjusted(item: Match, arm: CtmlArm, trial: CtmlTrial, resolved: ResolvedArm, held: tuple[str, ...]) -> Match:
    """The engine's match with the CTML leaves decided for the patient: the leaves that held, failing
    age limits (ineligible), deliberate differences from MatchMiner, criteria to be confirmed, and a
    closed level (ineligible)."""
    reasons = [*item.reasons, *held, *(f"CTML {text}" for text in resolved.met)]
    status = item.eligibility
    if resolved.ineligible:
        reasons.extend(resolved.ineligible)
        status = EligibilityStatus.INELIGIBLE
    reasons.extend(f"note: {text}" for text in resolved.differences)
    if resolved.unchecked:
        reasons.extend(resolved.unchecked)
        if status is EligibilityStatus.ELIGIBLE:
            status = EligibilityStatus.TO_BE_CONFIRMED
    if not arm.open:
        reasons.append(f"{arm.label} of {trial.trial_id} is closed or suspended ({arm.closed_by})")
        status = EligibilityStatus.INELIGIBLE
    return replace(item, eligibility=status, reasons=tuple(reasons), cohort=arm.label)


def unsupported_lines(trial: CtmlTrial) -> Sequence[str]:
    """One warning line per unsupported key or value."""
    return [str(item) for item in trial.unsupported]
