"""Resolve a CTML target's clinical leaves against one patient (docs/ctml.md, "Why an arm did not match").

:func:`resolve_arm` decides the clinical leaves (tumour type through the OncoTree hierarchy, age, sex)
and folds them out of the tree, leaving the genomic rule for the per-profile engine; an age limit that
every path of the tree requires becomes an eligibility criterion, so a missing age is "to be
confirmed" and a failing age "ineligible" with the reason, as for the trial's own protocol. When the
resolved leaves already rule the target out, :attr:`ResolvedArm.unmet` names the leaves that decided
it (every failing leaf of an ``and``; every leaf of an ``or`` none of whose alternatives can hold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from oncobasket.core.matching import PatientFacts
from oncobasket.core.protocol import (
    AllOf,
    AnyOf,
    Biomarker,
    CohortRule,
    Comparison,
    Criterion,
    Drug,
    DrugProfile,
    Eligibility,
    EvidenceLevel,
    Not,
    Protocol,
    Route,
    Rule,
)
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.ctml.model import (
    ALWAYS,
    NEVER,
    Age,
    Both,
    Constant,
    Criteria,
    CtmlArm,
    CtmlTrial,
    Diagnosis,
    Either,
    Gender,
    Genomic,
)

_LIQUID_TISSUES = frozenset({"lymphoid", "myeloid"})


@dataclass(frozen=True, slots=True)
class ResolvedArm:
    """An arm's criteria for one patient: the genomic rule, the age criteria every path requires,
    why the arm cannot match (``unmet``, when ``rule`` is :data:`NEVER`) and the criteria taken as met
    that are to be confirmed (``unchecked``)."""

    rule: Rule
    criteria: tuple[Criterion, ...]
    unmet: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Resolved:
    """One node resolved: its rule with the constants folded, and the leaves behind it.

    ``unmet`` names the leaves that make the node fail when ``rule`` is :data:`NEVER` (every failing
    child of an ``and``; every child of an ``or`` when none can hold). ``unchecked`` names the leaves
    taken as met below the parts that can still hold."""

    rule: Rule
    unmet: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()


def resolve_arm(arm: CtmlArm, patient: PatientFacts, tumour_types: TumourTypes) -> ResolvedArm:
    criteria: list[Criterion] = []
    resolved = _resolve(arm.criteria, patient, tumour_types, criteria, conjunctive=True)
    rule = _simplify(resolved.rule)
    unmet = resolved.unmet if rule == NEVER else ()
    if rule == NEVER and not unmet:
        unmet = ("the criteria cannot hold for this patient",)
    unchecked = () if rule == NEVER else resolved.unchecked
    return ResolvedArm(rule, tuple(criteria), tuple(dict.fromkeys(unmet)), tuple(dict.fromkeys(unchecked)))


def _resolve(
    node: Criteria,
    patient: PatientFacts,
    tumour_types: TumourTypes,
    criteria: list[Criterion],
    *,
    conjunctive: bool,
) -> _Resolved:
    if isinstance(node, Genomic):
        return _Resolved(node.rule)
    if isinstance(node, Both):
        return _all_of(
            [_resolve(child, patient, tumour_types, criteria, conjunctive=conjunctive) for child in node.children]
        )
    if isinstance(node, Either):
        return _any_of([_resolve(child, patient, tumour_types, criteria, conjunctive=False) for child in node.children])
    if isinstance(node, Constant):
        if node.holds:
            return _Resolved(ALWAYS, unchecked=(f"{node.reason}: to be confirmed",))
        return _Resolved(NEVER, unmet=(f"{node.reason} (treated as not met)",))
    if isinstance(node, Age):
        return _age(node, patient, criteria, conjunctive=conjunctive)
    if isinstance(node, Gender):
        wanted = f"{'not ' if node.negated else ''}{node.value}"
        if patient.sex is None:
            return _Resolved(ALWAYS, unchecked=(f"gender {wanted} not checked (sex unknown): to be confirmed",))
        holds = patient.sex.strip().lower()[:1] == node.value.lower()[:1]
        if holds == node.negated:
            return _Resolved(NEVER, unmet=(f"gender {wanted}: the patient's sex is {patient.sex}",))
        return _Resolved(ALWAYS)
    holds = _within(node, patient, tumour_types)
    if holds == node.negated:
        wanted = f"{'not ' if node.negated else ''}{node.text}"
        return _Resolved(NEVER, unmet=(f"tumour type {patient.tumour_type} is not {wanted}",))
    return _Resolved(ALWAYS)


def _all_of(children: list[_Resolved]) -> _Resolved:
    """``and``: fails when any child fails, naming every failing child."""
    failing = [child for child in children if child.rule == NEVER]
    if failing:
        return _Resolved(NEVER, unmet=tuple(reason for child in failing for reason in child.unmet))
    kept = tuple(child.rule for child in children if child.rule != ALWAYS)
    rule = kept[0] if len(kept) == 1 else AllOf(kept)
    return _Resolved(rule, unchecked=tuple(note for child in children for note in child.unchecked))


def _any_of(children: list[_Resolved]) -> _Resolved:
    """``or``: fails only when every child fails, naming them all; holds when a child holds, and then
    needs confirming only when no child holds without confirmation."""
    holding = [child for child in children if child.rule == ALWAYS]
    if holding:
        if any(not child.unchecked for child in holding):
            return _Resolved(ALWAYS)
        return _Resolved(ALWAYS, unchecked=tuple(note for child in holding for note in child.unchecked))
    possible = [child for child in children if child.rule != NEVER]
    if not possible:
        return _Resolved(NEVER, unmet=tuple(reason for child in children for reason in child.unmet))
    rule = possible[0].rule if len(possible) == 1 else AnyOf(tuple(child.rule for child in possible))
    return _Resolved(rule, unchecked=tuple(note for child in possible for note in child.unchecked))


def _age(node: Age, patient: PatientFacts, criteria: list[Criterion], *, conjunctive: bool) -> _Resolved:
    """An age limit on every path is an eligibility criterion; elsewhere it is decided here."""
    at_least = node.comparison in {">=", ">"}
    limit = node.years
    if node.comparison == ">":
        limit = math.nextafter(limit, math.inf)
    elif node.comparison == "<":
        limit = math.nextafter(limit, -math.inf)
    criterion = Criterion(
        "age", Comparison.AT_LEAST if at_least else Comparison.AT_MOST, limit, source=f"CTML {node.path}"
    )
    if conjunctive:
        criteria.append(criterion)
        return _Resolved(ALWAYS)
    wanted = f"age {node.comparison} {node.years:g}"
    if patient.age is None:
        return _Resolved(ALWAYS, unchecked=(f"{wanted} not checked (age unknown): to be confirmed",))
    if criterion.accepts(patient.age):
        return _Resolved(ALWAYS)
    return _Resolved(NEVER, unmet=(f"age {patient.age:g}: fails {wanted}",))


def _within(node: Diagnosis, patient: PatientFacts, tumour_types: TumourTypes) -> bool:
    lineage = tumour_types.lineage(patient.tumour_type)
    if node.special is not None:
        liquid = any((tumour_types.types[code].tissue or "").strip().lower() in _LIQUID_TISSUES for code in lineage)
        return liquid if node.special == "liquid" else not liquid
    return bool(set(lineage) & set(node.codes))


def _simplify(rule: Rule) -> Rule:
    """Fold the constants left by resolved clinical leaves (an empty all = true, an empty any = false)."""
    if isinstance(rule, Not):
        inner = _simplify(rule.rule)
        if inner == ALWAYS:
            return NEVER
        if inner == NEVER:
            return ALWAYS
        return Not(inner)
    if isinstance(rule, AllOf):
        children = [_simplify(child) for child in rule.rules]
        if NEVER in children:
            return NEVER
        kept = tuple(child for child in children if child != ALWAYS)
        return kept[0] if len(kept) == 1 else AllOf(kept)
    if isinstance(rule, AnyOf):
        children = [_simplify(child) for child in rule.rules]
        if ALWAYS in children:
            return ALWAYS
        kept = tuple(child for child in children if child != NEVER)
        return kept[0] if len(kept) == 1 else AnyOf(kept)
    return rule


def arm_protocol(trial: CtmlTrial, arm: CtmlArm, resolved: ResolvedArm) -> Protocol:
    """A one-arm protocol: one drug per alternative combination, each with the arm's rule."""
    name = resolved.rule.describe() if resolved.rule != ALWAYS else "clinical criteria only"
    biomarker = Biomarker(name, resolved.rule, source=f"CTML {trial.trial_id} {arm.label}")
    drugs = tuple(
        Drug(
            generic_names=combination,
            supplier=f"external trial {trial.trial_id}",
            route=Route.ORAL,
            profiles=(DrugProfile(biomarker, EvidenceLevel.CLINICAL, source=f"CTML {trial.trial_id} {arm.label}"),),
            eligibility=Eligibility(resolved.criteria),
        )
        for combination in arm.drugs
    )
    return Protocol(
        name=f"CTML {trial.trial_id}",
        version="ctml",
        authority="none",
        cohort_rule=CohortRule(),
        eligibility=Eligibility(),
        tumour_groups=(),
        biomarkers=(biomarker,),
        drugs=drugs,
        trial_id=trial.trial_id,
        source=trial.source,
    )
