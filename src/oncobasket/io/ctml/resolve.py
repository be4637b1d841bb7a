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
from collections.abc import Mapping
from dataclasses import dataclass

from oncobasket.core.matching import PatientFacts
from oncobasket.core.profiles import MolecularProfile
from oncobasket.core.protocol import (
    AllOf,
    AnyOf,
    Biomarker,
    CohortRule,
    Criterion,
    Drug,
    DrugProfile,
    Eligibility,
    EvidenceLevel,
    Not,
    ProteinChangeRule,
    Protocol,
    Route,
    Rule,
)
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.ctml.clinical import RECEPTOR_KEYS
from oncobasket.io.ctml.facts import classification_hits, compare, status_of, structural_variant_hits, tmb_per_mb
from oncobasket.io.ctml.model import (
    ALWAYS,
    NEVER,
    Age,
    Both,
    Classification,
    Constant,
    Criteria,
    CtmlArm,
    CtmlTrial,
    Diagnosis,
    Either,
    Gender,
    Genomic,
    Status,
    StructuralVariant,
    TmbLimit,
)

_LIQUID_TISSUES = frozenset({"lymphoid", "myeloid"})


@dataclass(frozen=True, slots=True)
class ResolvedArm:
    """An arm's criteria for one patient.

    ``rule`` is the genomic rule left for the per-profile engine (:data:`NEVER` when the arm cannot
    match, and then ``unmet`` names the leaves that decided it); ``ineligible`` names the age limits on
    every path of the tree that the patient fails (the arm still matches, as ineligible, as an age
    criterion of the trial's own protocol does); ``unchecked`` the criteria taken as met that are to be
    confirmed; ``met`` the leaves decided here that hold, each with its operator as written;
    ``differences`` where OncoBasket reads a leaf differently from MatchMiner (docs/ctml.md).
    ``criteria`` is kept for callers of the protocol shape and is empty: CTML ages are decided here,
    with their own operators."""

    rule: Rule
    criteria: tuple[Criterion, ...]
    unmet: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    ineligible: tuple[str, ...] = ()
    met: tuple[str, ...] = ()
    differences: tuple[str, ...] = ()
    #: the genomic leaves left for the engine, to name the one that decided a non-match.
    genomic: tuple[Genomic, ...] = ()


@dataclass(frozen=True, slots=True)
class _Resolved:
    """One node resolved: its rule with the constants folded, and the leaves behind it.

    ``unmet`` names the leaves that make the node fail when ``rule`` is :data:`NEVER` (every failing
    child of an ``and``; every child of an ``or`` when none can hold). ``unchecked`` names the leaves
    taken as met below the parts that can still hold; ``met`` the leaves that hold for certain."""

    rule: Rule
    unmet: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    ineligible: tuple[str, ...] = ()
    met: tuple[str, ...] = ()
    differences: tuple[str, ...] = ()
    genomic: tuple[Genomic, ...] = ()


@dataclass(frozen=True, slots=True)
class _Facts:
    patient: PatientFacts
    tumour_types: TumourTypes
    profile: MolecularProfile | None
    markers: Mapping[str, str]


def resolve_arm(
    arm: CtmlArm,
    patient: PatientFacts,
    tumour_types: TumourTypes,
    profile: MolecularProfile | None = None,
    markers: Mapping[str, str] | None = None,
) -> ResolvedArm:
    """Decide the arm's clinical and single-fact leaves for this patient and profile; ``markers`` are the
    clinical table's receptor statuses, signatures and TMB by their CTML names (docs/ctml.md)."""
    facts = _Facts(patient, tumour_types, profile, markers or {})
    resolved = _resolve(arm.criteria, facts, conjunctive=True)
    rule = _simplify(resolved.rule)
    unmet = resolved.unmet if rule == NEVER else ()
    if rule == NEVER and not unmet:
        unmet = ("the criteria cannot hold for this patient",)
    holds = rule != NEVER

    def unique(items: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(items)) if holds else ()

    return ResolvedArm(
        rule,
        (),
        tuple(dict.fromkeys(unmet)),
        unique(resolved.unchecked),
        unique(resolved.ineligible),
        unique(resolved.met),
        tuple(dict.fromkeys(resolved.differences)),
        resolved.genomic if holds else (),
    )


def _resolve(node: Criteria, facts: _Facts, *, conjunctive: bool) -> _Resolved:
    if isinstance(node, Genomic):
        return _Resolved(node.rule, differences=(node.note,) if node.note else (), genomic=(node,))
    if isinstance(node, Both):
        return _all_of([_resolve(child, facts, conjunctive=conjunctive) for child in node.children])
    if isinstance(node, Either):
        return _any_of([_resolve(child, facts, conjunctive=False) for child in node.children])
    if isinstance(node, Constant):
        if node.holds:
            return _Resolved(ALWAYS, unchecked=(f"{node.reason}: to be confirmed",))
        return _Resolved(NEVER, unmet=(f"{node.reason} (treated as not met)",))
    if isinstance(node, Age):
        return _age(node, facts.patient, conjunctive=conjunctive)
    if isinstance(node, Gender):
        return _gender(node, facts.patient)
    if isinstance(node, Status):
        return _status(node, facts)
    if isinstance(node, TmbLimit):
        return _tmb(node, facts)
    if isinstance(node, Classification):
        return _classification(node, facts)
    if isinstance(node, StructuralVariant):
        return _structural_variant(node, facts)
    return _diagnosis(node, facts)


def _decided(holds: bool, leaf: str, what: str, *, rule: Rule | None = None) -> _Resolved:
    """A leaf decided here: ``leaf`` names it with its value as written, ``what`` the patient's fact."""
    if holds:
        return _Resolved(ALWAYS if rule is None else rule, met=(f"{leaf}: {what}",))
    return _Resolved(NEVER, unmet=(f"{leaf}: {what}",))


def _gender(node: Gender, patient: PatientFacts) -> _Resolved:
    written = f"{'!' if node.negated else ''}{node.value}"
    leaf = f"gender '{written}'"
    if patient.sex is None:
        return _Resolved(ALWAYS, unchecked=(f"{leaf} not checked (sex unknown): to be confirmed",))
    holds = (patient.sex.strip().lower()[:1] == node.value.lower()[:1]) != node.negated
    return _decided(holds, leaf, f"the patient's sex is {patient.sex}")


def _diagnosis(node: Diagnosis, facts: _Facts) -> _Resolved:
    patient = facts.patient
    holds = within(node, patient, facts.tumour_types) != node.negated
    wanted = f"{'not ' if node.negated else ''}{node.text}"
    written = f"oncotree_primary_diagnosis '{'!' if node.negated else ''}{node.text}'"
    if holds:
        return _Resolved(ALWAYS, met=(f"{written}: tumour type {patient.tumour_type} is {wanted}",))
    return _Resolved(NEVER, unmet=(f"tumour type {patient.tumour_type} is not {wanted} ({written})",))


def _status(node: Status, facts: _Facts) -> _Resolved:
    """Receptor statuses and signatures, compared as written (case aside). A receptor status the
    clinical table does not give is to be confirmed; a signature the profile does not carry is not
    met, as in MatchMiner, where no genomic document carries it."""
    leaf = f"{node.key} '{node.written}'"
    value = status_of(node.key, facts.profile, facts.markers)
    if value is None:
        if node.key in RECEPTOR_KEYS:
            return _Resolved(ALWAYS, unchecked=(f"{leaf} not checked ({node.key} unknown): to be confirmed",))
        return _decided(node.negated, leaf, f"no {node.key} in the profile or the clinical table")
    holds = (value.strip().lower() == node.wanted.lower()) != node.negated
    return _decided(holds, leaf, f"the patient's {node.key} is {value}")


def _tmb(node: TmbLimit, facts: _Facts) -> _Resolved:
    leaf = f"tmb_numerical '{node.written}'"
    value = tmb_per_mb(facts.profile, facts.markers)
    if value is None:
        return _decided(node.negated, leaf, "no usable TMB in the profile or the clinical table")
    holds = compare(value, node.comparison, node.per_mb) != node.negated
    wanted = f"{'not ' if node.negated else ''}TMB {node.comparison} {node.per_mb:g}"
    return _decided(holds, leaf, f"TMB {value:g} mut/Mb{'' if holds else ' fails'} {wanted}")


def _classification(node: Classification, facts: _Facts) -> _Resolved:
    """Any usable variant of the gene with exactly this MAF classification. When it is met the engine is
    handed the variants' protein changes, so that the match lists the alterations."""
    leaf = f"hugo_symbol '{node.gene}', variant_classification '{'!' if node.negated else ''}{node.classification}'"
    hits = classification_hits(node, facts.profile)
    names = ", ".join(f"{item.gene} {item.protein_change or item.coding_change or item.kind}" for item in hits)
    if node.negated:
        return _decided(not hits, leaf, f"found {names}" if hits else f"no {node.classification} in {node.gene}")
    if not hits:
        return _decided(False, leaf, f"no {node.classification} in {node.gene}")
    changes = tuple(dict.fromkeys(item.protein_change for item in hits if item.protein_change))
    bare = any(item.protein_change is None for item in hits)
    rule: Rule | None = None if bare else ProteinChangeRule(node.gene, changes)
    return _decided(True, leaf, f"found {names}", rule=rule)


def _structural_variant(node: StructuralVariant, facts: _Facts) -> _Resolved:
    sides = f"hugo_symbol '{node.gene or '(any)'}', fusion_partner_hugo_symbol '{node.partner or '(any)'}'"
    leaf = f"{'!' if node.negated else ''}structural variant {sides}"
    hits = structural_variant_hits(node, facts.profile)
    names = ", ".join("-".join(item.genes or (item.gene,)) for item in hits)
    holds = bool(hits) != node.negated
    return _decided(holds, leaf, f"found {names}" if hits else "no such structural variant in the profile")


def _all_of(children: list[_Resolved]) -> _Resolved:
    """``and``: fails when any child fails, naming every failing child."""
    differences = tuple(note for child in children for note in child.differences)
    failing = [child for child in children if child.rule == NEVER]
    if failing:
        return _Resolved(
            NEVER, unmet=tuple(reason for child in failing for reason in child.unmet), differences=differences
        )
    kept = tuple(child.rule for child in children if child.rule != ALWAYS)
    rule = kept[0] if len(kept) == 1 else AllOf(kept)
    return _Resolved(
        rule,
        unchecked=tuple(note for child in children for note in child.unchecked),
        ineligible=tuple(note for child in children for note in child.ineligible),
        met=tuple(note for child in children for note in child.met),
        differences=differences,
        genomic=tuple(leaf for child in children for leaf in child.genomic),
    )


def _any_of(children: list[_Resolved]) -> _Resolved:
    """``or``: fails only when every child fails, naming them all; holds when a child holds, and then
    needs confirming only when no child holds without confirmation."""
    differences = tuple(note for child in children for note in child.differences)
    holding = [child for child in children if child.rule == ALWAYS]
    if holding:
        certain = [child for child in holding if not child.unchecked]
        if certain:
            return _Resolved(ALWAYS, met=certain[0].met, differences=differences)
        return _Resolved(
            ALWAYS,
            unchecked=tuple(note for child in holding for note in child.unchecked),
            met=tuple(note for child in holding for note in child.met),
            differences=differences,
        )
    possible = [child for child in children if child.rule != NEVER]
    if not possible:
        return _Resolved(
            NEVER, unmet=tuple(reason for child in children for reason in child.unmet), differences=differences
        )
    rule = possible[0].rule if len(possible) == 1 else AnyOf(tuple(child.rule for child in possible))
    return _Resolved(
        rule,
        unchecked=tuple(note for child in possible for note in child.unchecked),
        met=tuple(note for child in possible for note in child.met) if len(possible) == 1 else (),
        differences=differences,
        genomic=tuple(leaf for child in possible for leaf in child.genomic),
    )


def _age(node: Age, patient: PatientFacts, *, conjunctive: bool) -> _Resolved:
    """``age_numerical`` with its operator as written. Exact boundaries (matchengine-V2 compares the
    birth date with today minus the years): ``>=18`` holds from the 18th birthday on, ``>18`` from the
    day after, ``<18`` until the day before, ``<=18`` on the birthday too. The patient's age is decimal
    years (from the clinical table's ``age``, or its ``birth_date`` as completed years plus the fraction
    of the current year of life, so that the birthday is exactly 18.0). ``==18`` holds through the
    18th year of life (completed years 18), where MatchMiner would hold only on the birthday itself: a
    deliberate difference (docs/ctml.md).

    An age limit on every path of the tree (only ``and`` above it) that fails makes the arm's match
    ineligible with the reason, as an age criterion of the trial's own protocol does; elsewhere a
    failing age rules the branch out."""
    leaf = f"age_numerical '{node.written or node.comparison + format(node.years, 'g')}'"
    wanted = f"age {node.comparison} {node.years:g} years"
    if patient.age is None:
        return _Resolved(ALWAYS, unchecked=(f"{leaf} ({wanted}) not checked (age unknown): to be confirmed",))
    age = patient.age
    if node.comparison in {"==", "!="}:
        holds = (math.floor(age) == node.years if node.years.is_integer() else age == node.years) == (
            node.comparison == "=="
        )
    else:
        holds = compare(age, node.comparison, node.years)
    if holds:
        return _Resolved(ALWAYS, met=(f"{leaf}: age {age:g} meets {wanted}",))
    reason = f"age {age:g}: fails {leaf} ({wanted})"
    if conjunctive:
        return _Resolved(ALWAYS, ineligible=(reason,))
    return _Resolved(NEVER, unmet=(reason,))


def within(node: Diagnosis, patient: PatientFacts, tumour_types: TumourTypes) -> bool:
    """The patient's tumour type is the diagnosis or one of its descendants (``_SOLID_`` / ``_LIQUID_`` by
    the tissue of its lineage)."""
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
