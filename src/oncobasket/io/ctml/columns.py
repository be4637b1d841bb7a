"""CTML trials compiled into columns: every profile against every trial at once (``screen --ctml``).

The per-profile path (:mod:`.resolve` then the rule engine) answers one profile at a time. A nightly
re-match of a whole patient list asks the same questions of 100,000 profiles, so here:

1. the genomic leaves of every trial (OncoBasket rule trees) are evaluated by the column-wise screening
   engine (:func:`oncobasket.core.screening.screen`) in one pass, each as a pair of drugs (the leaf and
   its negation), which gives each leaf's three-valued truth and whether it found something (``hits``);
2. the leaves decided from single facts (diagnosis, age, sex, receptor statuses, signatures, TMB,
   variant classification, structural-variant forms) are columns over one frame of samples and one of
   alterations;
3. each target's tree is combined with the same algebra as :func:`.resolve.resolve_arm` (a node is
   decided-true, decided-false or left to the genomic rule; criteria to be confirmed; failing age limits
   on every path) and the engine's Kleene logic (AllOf the minimum, AnyOf the maximum; hits of the true,
   else of the unknown children), trial by trial, so that only the final columns stay in memory.

Consistency guarantee (tests/test_ctml_columns.py, a property test on random profiles and random CTML
trees): for every sample the set of (trial, target, drug, eligibility) is the one
:class:`oncobasket.io.ctml.CtmlMatcher` gives. The reasons are the per-profile path's to give:
``oncobasket match --ctml`` explains one sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from oncobasket.core.matching import PatientFacts
from oncobasket.core.profiles import Alteration, AlterationKind, MolecularProfile
from oncobasket.core.protocol import (
    Biomarker,
    CohortRule,
    Drug,
    DrugProfile,
    Eligibility,
    EvidenceLevel,
    Not,
    Protocol,
    Route,
    Rule,
)
from oncobasket.core.screening import ALTERATION_SCHEMA, alteration_columns, sample_frame, screen
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.ctml.clinical import RECEPTOR_KEYS
from oncobasket.io.ctml.facts import variant_classes
from oncobasket.io.ctml.genomic import SIGNATURE_KEYS
from oncobasket.io.ctml.model import (
    ANY_GENE,
    INTERGENIC,
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
from oncobasket.io.ctml.resolve import within

# Resolution states of a node (resolve.py's ALWAYS / NEVER / a genomic rule left for the engine).
_ALWAYS, _GENOMIC, _NEVER = 2, 1, 0
# Kleene truth as Int8, as in core/screening.py.
_TRUE, _UNKNOWN, _FALSE = 1, 0, -1
_ELIGIBILITY = ("eligible", "to_be_confirmed", "ineligible")
_STATUS_KEYS = (*SIGNATURE_KEYS, *sorted(RECEPTOR_KEYS))
#: targets compiled per select: enough columns for polars' threads, few enough to bound memory.
_BATCH = 128

#: the columns of :func:`screen_ctml`'s frame.
CTML_MATCH_COLUMNS = ("sample_id", "trial", "cohort", "drug", "eligibility", "tumour_type")


@dataclass(frozen=True, slots=True)
class _Node:
    """A compiled node: expressions over earlier columns for its state, truth, hits, to-be-confirmed
    and ineligible flags."""

    state: pl.Expr
    truth: pl.Expr
    hits: pl.Expr
    unchecked: pl.Expr
    ineligible: pl.Expr


@dataclass(slots=True)
class _Leaves:
    """Distinct leaves of all trials, each given a column name."""

    genomic: dict[Rule, str] = field(default_factory=dict)
    classifications: dict[tuple[str, str], str] = field(default_factory=dict)
    structural: dict[tuple[str | None, str | None], str] = field(default_factory=dict)
    diagnoses: dict[Diagnosis, str] = field(default_factory=dict)

    def collect(self, node: Criteria) -> None:
        if isinstance(node, Both | Either):
            for child in node.children:
                self.collect(child)
        elif isinstance(node, Genomic):
            self.genomic.setdefault(node.rule, f"g{len(self.genomic)}")
        elif isinstance(node, Classification):
            self.classifications.setdefault((node.gene, node.classification.lower()), f"c{len(self.classifications)}")
        elif isinstance(node, StructuralVariant):
            self.structural.setdefault((node.gene, node.partner), f"s{len(self.structural)}")
        elif isinstance(node, Diagnosis):
            self.diagnoses.setdefault(node, f"d{len(self.diagnoses)}")


def screen_ctml(
    profiles: Sequence[MolecularProfile],
    patients: Mapping[str, PatientFacts],
    trials: Sequence[CtmlTrial],
    tumour_types: TumourTypes,
    markers: Mapping[str, Mapping[str, str]] | None = None,
) -> pl.DataFrame:
    """Every (sample, trial, target, drug) match with its eligibility, in sample order then trial and
    target order (:data:`CTML_MATCH_COLUMNS`). ``patients`` and ``markers`` map sample_id -> facts and
    -> clinical-table markers; every profile needs a patient (InputError from the screen otherwise)."""
    markers = markers or {}
    leaves = _Leaves()
    for trial in trials:
        for arm in trial.arms:
            leaves.collect(arm.criteria)
    samples = _samples(profiles, patients, markers, tumour_types)
    samples = samples.join(_genomic_states(profiles, patients, leaves, tumour_types), on="sample_id", how="left")
    samples = samples.join(_alteration_facts(profiles, leaves), on="sample_id", how="left")
    samples = samples.with_columns(_diagnosis_columns(samples, leaves, tumour_types))
    targets = [
        (trial_index, arm_index, trial, arm)
        for trial_index, trial in enumerate(trials)
        for arm_index, arm in enumerate(trial.arms)
    ]
    if not targets:
        return pl.DataFrame(schema=dict.fromkeys(CTML_MATCH_COLUMNS, pl.String))
    info = pl.DataFrame(
        {
            "target": [f"t{position}" for position in range(len(targets))],
            "trial_order": [trial_index for trial_index, _, _, _ in targets],
            "arm_order": [arm_index for _, arm_index, _, _ in targets],
            "trial": [trial.trial_id for _, _, trial, _ in targets],
            "cohort": [arm.label for _, _, _, arm in targets],
            "drug": [["+".join(sorted(combination)) for combination in arm.drugs] for _, _, _, arm in targets],
        }
    ).with_columns(pl.col("drug").list.eval(pl.int_range(pl.len())).alias("drug_order"))
    parts: list[pl.DataFrame] = []
    # Targets in batches: one select of many columns lets polars evaluate them in parallel, and the
    # unpivot keeps only the matched (sample, target) pairs, so memory follows the matches.
    for first in range(0, len(targets), _BATCH):
        batch = targets[first : first + _BATCH]
        columns = [
            _arm_code(_compile(arm.criteria, leaves, conjunctive=True), arm).alias(f"t{first + offset}")
            for offset, (_, _, _, arm) in enumerate(batch)
        ]
        decided = samples.lazy().select("order", "sample_id", pl.col("tumour").alias("tumour_type"), *columns)
        parts.append(
            decided.unpivot(index=["order", "sample_id", "tumour_type"], variable_name="target", value_name="code")
            .filter(pl.col("code") >= 0)
            .collect()
        )
    matched = pl.concat(parts).join(info, on="target", how="left")
    return (
        matched.explode(["drug", "drug_order"])
        .with_columns(
            pl.col("code").replace_strict(dict(enumerate(_ELIGIBILITY)), return_dtype=pl.String).alias("eligibility")
        )
        .sort(["order", "trial_order", "arm_order", "drug_order"])
        .select(CTML_MATCH_COLUMNS)
    )


# ---------------------------------------------------------------------------------------------
# The frames
# ---------------------------------------------------------------------------------------------


def _samples(
    profiles: Sequence[MolecularProfile],
    patients: Mapping[str, PatientFacts],
    markers: Mapping[str, Mapping[str, str]],
    tumour_types: TumourTypes,
) -> pl.DataFrame:
    codes: dict[str, str] = {}
    rows = []
    for order, profile in enumerate(profiles):
        facts = patients.get(profile.sample_id)
        own = markers.get(profile.sample_id, {})
        code = facts.tumour_type.strip().upper() if facts is not None else None
        if code is not None and code not in codes:
            codes[code] = tumour_types.resolve(code, field="tumour type").code
        tmb = profile.tmb.per_mb if profile.tmb is not None and profile.tmb.usable else _number(own.get("tmb"))
        row: dict[str, Any] = {
            "order": order,
            "sample_id": profile.sample_id,
            "tumour": codes.get(code) if code is not None else None,
            "age": facts.age if facts is not None else None,
            "sex": facts.sex.strip().lower()[:1] if facts is not None and facts.sex is not None else None,
            "tmb_value": tmb,
        }
        for key in _STATUS_KEYS:
            value = profile.signatures.get(key, own.get(key))
            row[f"status_{key}"] = value.strip().lower() if value is not None else None
        rows.append(row)
    schema: dict[str, Any] = {
        "order": pl.Int64,
        "sample_id": pl.String,
        "tumour": pl.String,
        "age": pl.Float64,
        "sex": pl.String,
        "tmb_value": pl.Float64,
    }
    schema.update({f"status_{key}": pl.String for key in _STATUS_KEYS})
    return pl.DataFrame(rows, schema=schema)


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _genomic_states(
    profiles: Sequence[MolecularProfile],
    patients: Mapping[str, PatientFacts],
    leaves: _Leaves,
    tumour_types: TumourTypes,
) -> pl.DataFrame:
    """Each genomic leaf's truth and hits from the screening engine: the leaf as one drug and its
    negation as another. Matched eligible: true (with hits); matched to be confirmed: unknown with hits;
    the negation matched eligible: false; neither: unknown without hits."""
    frame = pl.DataFrame({"sample_id": [profile.sample_id for profile in profiles]}, schema={"sample_id": pl.String})
    if not leaves.genomic:
        return frame
    drugs = []
    for rule, name in leaves.genomic.items():
        for prefix, tree in (("p", rule), ("n", Not(rule))):
            biomarker = Biomarker(f"{prefix}{name}", tree, source="CTML column-wise leaf")
            drugs.append(
                Drug(
                    generic_names=(f"{prefix}{name}",),
                    supplier="CTML",
                    route=Route.ORAL,
                    profiles=(DrugProfile(biomarker, EvidenceLevel.CLINICAL, source="CTML"),),
                )
            )
    protocol = Protocol(
        name="CTML leaves",
        version="ctml",
        authority="none",
        cohort_rule=CohortRule(),
        eligibility=Eligibility(),
        tumour_groups=(),
        biomarkers=(),
        drugs=tuple(drugs),
    )
    result = screen(_alteration_frame(profiles), sample_frame(profiles, patients), protocol, tumour_types)
    found = result.matches.select("sample_id", "drug", "eligibility")
    for name in leaves.genomic.values():
        positive = found.filter(pl.col("drug") == f"p{name}").select(
            "sample_id", (pl.col("eligibility") == "eligible").alias(f"{name}_certain")
        )
        negative = found.filter((pl.col("drug") == f"n{name}") & (pl.col("eligibility") == "eligible")).select(
            "sample_id", pl.lit(True).alias(f"{name}_false")
        )
        frame = frame.join(positive, on="sample_id", how="left").join(negative, on="sample_id", how="left")
        certain, false = pl.col(f"{name}_certain"), pl.col(f"{name}_false").fill_null(False)
        frame = frame.with_columns(
            pl.when(certain.fill_null(False))
            .then(_TRUE)
            .when(false)
            .then(_FALSE)
            .otherwise(_UNKNOWN)
            .cast(pl.Int8)
            .alias(f"{name}_t"),
            certain.is_not_null().alias(f"{name}_h"),
        ).drop(f"{name}_certain", f"{name}_false")
    return frame


def _distinct(profiles: Sequence[MolecularProfile]) -> tuple[list[Alteration], list[int], list[str]]:
    """The distinct alteration objects of the profiles, and for every (sample, alteration) pair its
    template index and sample: a list of generated or re-read profiles shares its alteration objects,
    and each object's columns (which parse its protein change) are derived once."""
    templates: list[Alteration] = []
    position: dict[int, int] = {}
    indices: list[int] = []
    samples: list[str] = []
    for profile in profiles:
        for alteration in profile.alterations:
            index = position.get(id(alteration))
            if index is None:
                index = position[id(alteration)] = len(templates)
                templates.append(alteration)
            indices.append(index)
            samples.append(profile.sample_id)
    return templates, indices, samples


def _gathered(
    rows: list[dict[str, Any]], schema: Mapping[str, Any], indices: list[int], samples: list[str]
) -> pl.DataFrame:
    """One row per (sample, alteration): the template rows gathered by index, with the sample column."""
    templates = pl.DataFrame(rows, schema=dict(schema))
    order = pl.Series("index", indices, dtype=pl.UInt32)
    return templates[order].with_columns(pl.Series("sample_id", samples, dtype=pl.String))


def _alteration_frame(profiles: Sequence[MolecularProfile]) -> pl.DataFrame:
    """:func:`oncobasket.core.screening.alteration_frame`, each distinct alteration derived once."""
    templates, indices, samples = _distinct(profiles)
    rows = [{**alteration_columns(alteration), "sample_id": ""} for alteration in templates]
    return _gathered(rows, ALTERATION_SCHEMA, indices, samples).select(list(ALTERATION_SCHEMA))


def _alteration_facts(profiles: Sequence[MolecularProfile], leaves: _Leaves) -> pl.DataFrame:
    """Per sample, for each classification leaf: a usable variant of that class was found, and one
    without a protein change; for each structural-variant leaf: a fitting usable fusion."""
    templates, indices, samples = _distinct(profiles)
    rows = []
    for alteration in templates:
        genes = list(dict.fromkeys(alteration.genes or (alteration.gene,)))
        fusion = alteration.kind is AlterationKind.FUSION
        small = alteration.kind in {AlterationKind.MUTATION, AlterationKind.SPLICE_VARIANT}
        rows.append(
            {
                "sample_id": "",
                "gene": alteration.gene,
                "classes": sorted(variant_classes(alteration)) if small else [],
                "protein": alteration.protein_change is not None,
                "first": genes[0] if fusion and genes else None,
                "second": genes[1] if fusion and len(genes) > 1 else None,
                "fusion": fusion,
                "small": small,
                "usable": alteration.usable,
            }
        )
    schema = {
        "sample_id": pl.String,
        "gene": pl.String,
        "classes": pl.List(pl.String),
        "protein": pl.Boolean,
        "first": pl.String,
        "second": pl.String,
        "fusion": pl.Boolean,
        "small": pl.Boolean,
        "usable": pl.Boolean,
    }
    frame = _gathered(rows, schema, indices, samples).filter(pl.col("usable") & (pl.col("small") | pl.col("fusion")))
    aggregations: list[pl.Expr] = []
    for (gene, classification), name in leaves.classifications.items():
        found = pl.col("small") & (pl.col("gene") == gene) & pl.col("classes").list.contains(classification)
        aggregations += [found.any().alias(f"{name}_hit"), (found & ~pl.col("protein")).any().alias(f"{name}_bare")]
    for (left, right), name in leaves.structural.items():
        first, second = pl.col("first"), pl.col("second")
        forward = _side(left, first) & _side(right, second)
        backward = _side(left, second) & _side(right, first)
        aggregations.append((pl.col("fusion") & (forward | backward)).any().alias(f"{name}_hit"))
    if not aggregations:
        return frame.select("sample_id").unique()
    return frame.group_by("sample_id").agg(aggregations)


def _side(wanted: str | None, column: pl.Expr) -> pl.Expr:
    if wanted is None:
        return pl.lit(True)
    if wanted == ANY_GENE:
        return column.is_not_null()
    if wanted == INTERGENIC:
        return column.is_null()
    return column.fill_null("") == wanted


def _diagnosis_columns(samples: pl.DataFrame, leaves: _Leaves, tumour_types: TumourTypes) -> list[pl.Expr]:
    codes = [code for code in samples.get_column("tumour").unique().to_list() if code is not None]
    columns = []
    for node, name in leaves.diagnoses.items():
        holding = [code for code in codes if within(node, PatientFacts(tumour_type=code), tumour_types)]
        columns.append(pl.col("tumour").is_in(holding).fill_null(False).alias(name))
    return columns


# ---------------------------------------------------------------------------------------------
# The trees
# ---------------------------------------------------------------------------------------------


def _decided(holds: pl.Expr, *, unchecked: pl.Expr | None = None, ineligible: pl.Expr | None = None) -> _Node:
    state = pl.when(holds).then(_ALWAYS).otherwise(_NEVER).cast(pl.Int8)
    return _Node(
        state,
        pl.when(holds).then(_TRUE).otherwise(_FALSE).cast(pl.Int8),
        pl.lit(False),
        unchecked if unchecked is not None else pl.lit(False),
        ineligible if ineligible is not None else pl.lit(False),
    )


def _compile(node: Criteria, leaves: _Leaves, *, conjunctive: bool) -> _Node:
    if isinstance(node, Both):
        return _all_of([_compile(child, leaves, conjunctive=conjunctive) for child in node.children])
    if isinstance(node, Either):
        return _any_of([_compile(child, leaves, conjunctive=False) for child in node.children])
    if isinstance(node, Genomic):
        name = leaves.genomic[node.rule]
        return _Node(
            pl.lit(_GENOMIC, dtype=pl.Int8), pl.col(f"{name}_t"), pl.col(f"{name}_h"), pl.lit(False), pl.lit(False)
        )
    if isinstance(node, Constant):
        return _decided(pl.lit(node.holds), unchecked=pl.lit(node.holds))
    if isinstance(node, Age):
        return _age(node, conjunctive=conjunctive)
    if isinstance(node, Gender):
        sex = pl.col("sex")
        holds = (sex == node.value.lower()[:1]) != node.negated
        return _decided(sex.is_null() | holds, unchecked=sex.is_null())
    if isinstance(node, Status):
        value = pl.col(f"status_{node.key}")
        if node.key in RECEPTOR_KEYS:
            holds = (value == node.wanted.lower()) != node.negated
            return _decided(value.is_null() | holds, unchecked=value.is_null())
        holds = (
            pl.when(value.is_null())
            .then(pl.lit(node.negated))
            .otherwise((value == node.wanted.lower()) != node.negated)
        )
        return _decided(holds)
    if isinstance(node, TmbLimit):
        value = pl.col("tmb_value")
        holds = (
            pl.when(value.is_null())
            .then(pl.lit(node.negated))
            .otherwise(_compare(value, node.comparison, node.per_mb) != node.negated)
        )
        return _decided(holds)
    if isinstance(node, Classification):
        name = leaves.classifications[(node.gene, node.classification.lower())]
        hit, bare = pl.col(f"{name}_hit").fill_null(False), pl.col(f"{name}_bare").fill_null(False)
        if node.negated:
            return _decided(~hit)
        # Met with protein changes: left to the engine as those changes (true, with hits); without: decided.
        state = pl.when(~hit).then(_NEVER).when(bare).then(_ALWAYS).otherwise(_GENOMIC).cast(pl.Int8)
        return _Node(
            state,
            pl.when(hit).then(_TRUE).otherwise(_FALSE).cast(pl.Int8),
            hit & ~bare,
            pl.lit(False),
            pl.lit(False),
        )
    if isinstance(node, StructuralVariant):
        name = leaves.structural[(node.gene, node.partner)]
        return _decided(pl.col(f"{name}_hit").fill_null(False) != node.negated)
    return _decided(pl.col(leaves.diagnoses[node]) != node.negated)


def _compare(value: pl.Expr, comparison: str, limit: float) -> pl.Expr:
    if comparison == ">=":
        return value >= limit
    if comparison == ">":
        return value > limit
    if comparison == "<=":
        return value <= limit
    if comparison == "<":
        return value < limit
    if comparison == "!=":
        return value != limit
    return value == limit


def _age(node: Age, *, conjunctive: bool) -> _Node:
    age = pl.col("age")
    if node.comparison in {"==", "!="}:
        same = age.floor() == node.years if float(node.years).is_integer() else age == node.years
        holds = same if node.comparison == "==" else ~same
    else:
        holds = _compare(age, node.comparison, node.years)
    unknown = age.is_null()
    if conjunctive:
        return _decided(pl.lit(True), unchecked=unknown, ineligible=~unknown & ~holds)
    return _decided(unknown | holds, unchecked=unknown)


def _all_of(children: list[_Node]) -> _Node:
    states = [child.state for child in children]
    never = pl.any_horizontal([state == _NEVER for state in states])
    always = pl.all_horizontal([state == _ALWAYS for state in states])
    state = pl.when(never).then(_NEVER).when(always).then(_ALWAYS).otherwise(_GENOMIC).cast(pl.Int8)
    truth = pl.min_horizontal([child.truth for child in children])
    return _Node(
        state,
        truth,
        pl.any_horizontal([child.hits for child in children]),
        pl.any_horizontal([child.unchecked for child in children]),
        pl.any_horizontal([child.ineligible for child in children]),
    )


def _any_of(children: list[_Node]) -> _Node:
    holding = [child.state == _ALWAYS for child in children]
    possible = [child.state != _NEVER for child in children]
    any_holding = pl.any_horizontal(holding)
    certain = pl.any_horizontal([hold & ~child.unchecked for hold, child in zip(holding, children, strict=True)])
    state = (
        pl.when(any_holding)
        .then(_ALWAYS)
        .when(pl.any_horizontal(possible))
        .then(_GENOMIC)
        .otherwise(_NEVER)
        .cast(pl.Int8)
    )
    unchecked = (
        pl.when(any_holding)
        .then(~certain)
        .otherwise(pl.any_horizontal([can & child.unchecked for can, child in zip(possible, children, strict=True)]))
    )
    truth = pl.max_horizontal([child.truth for child in children])
    hits = pl.any_horizontal([(child.truth == truth) & child.hits for child in children])
    return _Node(state, truth, hits, unchecked, pl.lit(False))


def _arm_code(node: _Node, arm: CtmlArm) -> pl.Expr:
    """-1 no match; else the eligibility as 0 eligible, 1 to be confirmed, 2 ineligible."""
    matched = (node.state != _NEVER) & ((node.truth == _TRUE) | ((node.truth == _UNKNOWN) & node.hits))
    base = pl.when(node.truth == _UNKNOWN).then(1).otherwise(0)
    with_unchecked = pl.when(node.unchecked).then(pl.max_horizontal(base, pl.lit(1))).otherwise(base)
    code = pl.when(node.ineligible).then(2).otherwise(with_unchecked)
    if not arm.open:
        code = pl.lit(2)
    return pl.when(matched).then(code).otherwise(-1).cast(pl.Int8)
