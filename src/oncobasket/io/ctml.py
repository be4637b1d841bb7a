"""Import MatchMiner CTML trial documents (YAML or JSON) into OncoBasket's criteria trees.

CTML (Clinical Trial Markup Language; MatchMiner, Klein et al., npj Precis Oncol 2022;6:69) describes
a trial as ``treatment_list -> step -> arm -> dose_level``; each level may carry a ``match`` tree of
``and`` / ``or`` nodes whose leaves are ``clinical`` (age_numerical, oncotree_primary_diagnosis,
gender, tmb_numerical) or ``genomic`` (hugo_symbol, variant_category, protein_change,
wildcard_protein_change, variant_classification, exon, cnv_call, fusion_partner_hugo_symbol,
mmr_status, ms_status) criteria; a ``!`` prefix negates. docs/ctml.md lists the mapping key by key.

The import is in two steps, kept apart so that each is testable:

1. :func:`load_ctml` / :func:`parse_ctml` read the document into a :class:`CtmlTrial`: one
   :class:`CtmlArm` per arm (or per dose level, or per step without arms, that has criteria), whose
   criteria are a small tree of genomic leaves (already OncoBasket :data:`Rule` trees) and clinical
   leaves. Structurally invalid CTML raises one :class:`FormatError` naming the file and the path
   (``treatment_list.step[0].arm[1].match[0].and``). Every key or value the import cannot express is
   collected in :attr:`CtmlTrial.unsupported` -- reported to the user, never silently dropped.
2. :func:`arm_protocol` resolves an arm's clinical leaves against one patient (tumour type through
   the OncoTree hierarchy, age, sex) and returns a one-drug :class:`Protocol` that the per-profile
   engine (:func:`oncobasket.core.matching.evaluate_profile`) evaluates like any other; an age limit
   that every path of the tree requires becomes an eligibility criterion, so a missing age is "to be
   confirmed" and a failing age "ineligible" with the reason, as for the trial's own protocol. When the
   resolved leaves already rule the arm out, :attr:`ResolvedArm.unmet` names the leaves that decided it
   (every failing leaf of an ``and``; every leaf of an ``or`` none of whose alternatives can hold).

Gene symbols are checked as in protocol files (:mod:`oncobasket.core.genes`): an unknown symbol is a
:class:`FormatError`, a previous one is read as the current one with a warning (:attr:`CtmlTrial.warnings`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from oncobasket.core.errors import FormatError, InputError
from oncobasket.core.genes import look_up_symbol, similar_symbols
from oncobasket.core.matching import (
    EligibilityStatus,
    Match,
    PatientFacts,
    ProfileMatches,
    evaluate_profile,
    resolve_patient,
)
from oncobasket.core.profiles import MolecularProfile
from oncobasket.core.protein import parse_protein_change
from oncobasket.core.protocol import (
    AllOf,
    AmplificationRule,
    AnyOf,
    Biomarker,
    CodonRule,
    CohortRule,
    Comparison,
    CopyLossRule,
    Criterion,
    Drug,
    DrugProfile,
    Eligibility,
    EvidenceLevel,
    ExonEdit,
    ExonRule,
    FusionRule,
    MsiRule,
    MutationRule,
    Not,
    ProteinChangeRule,
    Protocol,
    Route,
    Rule,
    TmbRule,
    TruncatingRule,
)
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.core.variant_effects import TRUNCATING_CLASSES
from oncobasket.io.protocol_file import yaml_syntax_error

#: the evidence label of a CTML match in the command-line JSON.
EXTERNAL_EVIDENCE = "external trial"

# A rule that always holds / never holds: the per-profile engine reads an empty "all" as true and an
# empty "any" as false, so resolved clinical leaves need no new rule kind.
ALWAYS: Rule = AllOf(())
NEVER: Rule = AnyOf(())

_TRIAL_KEYS = frozenset(
    {
        "protocol_no",
        "nct_id",
        "long_title",
        "short_title",
        "phase",
        "status",
        "protocol_id",
        "protocol_type",
        "principal_investigator",
        "age",
        "drug_list",
        "disease_site_list",
        "management_group_list",
        "oncology_group_list",
        "program_area_list",
        "site_list",
        "sponsor_list",
        "staff_list",
        "cancer_center_accrual_goal_upper",
        "cancer_center_current_accrual",
        "protocol_target_accrual",
        "curated_on",
        "last_updated",
        "data_table4",
        "summary",
        "treatment_list",
        "_summary",
        "_elasticsearch",
    }
)
_STEP_KEYS = frozenset({"step_code", "step_internal_id", "step_type", "match", "arm"})
_ARM_KEYS = frozenset(
    {
        "arm_code",
        "arm_description",
        "arm_name",
        "arm_internal_id",
        "arm_suspended",
        "arm_type",
        "arm_eligibility",
        "arm_info",
        "arm_status",
        "drugs",
        "match",
        "dose_level",
    }
)
_DOSE_KEYS = frozenset({"level_code", "level_description", "level_internal_id", "level_suspended", "match"})
_GENOMIC_KEYS = frozenset(
    {
        "hugo_symbol",
        "variant_category",
        "protein_change",
        "wildcard_protein_change",
        "variant_classification",
        "exon",
        "cnv_call",
        "fusion_partner_hugo_symbol",
        "mmr_status",
        "ms_status",
        "tmb_numerical",
    }
)
_CLINICAL_KEYS = frozenset({"age_numerical", "oncotree_primary_diagnosis", "gender", "tmb_numerical"})
# CTML writes MAF Variant_Classification values in any case: compare them lower-cased.
_TRUNCATING_CLASSES = frozenset(name.lower() for name in TRUNCATING_CLASSES)
_LIQUID_TISSUES = frozenset({"lymphoid", "myeloid"})
_COMPARISON = re.compile(r"^\s*(>=|<=|>|<|=)?\s*(\d+(?:\.\d+)?)\s*$")
_WILDCARD = re.compile(r"^p\.([ACDEFGHIKLMNPQRSTVWY])(\d+)$")


# ---------------------------------------------------------------------------------------------
# The imported trial
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A CTML key or value the import cannot express, and what was done instead."""

    key: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"unsupported CTML key {self.key} at {self.path}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "path": self.path, "reason": self.reason, "message": str(self)}


@dataclass(frozen=True, slots=True)
class Genomic:
    """A genomic leaf, already an OncoBasket rule tree."""

    rule: Rule


@dataclass(frozen=True, slots=True)
class Age:
    """``age_numerical``: ``comparison`` is one of >=, >, <=, <."""

    comparison: str
    years: float
    path: str


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """``oncotree_primary_diagnosis``: OncoTree codes (with descendants) or ``_SOLID_`` / ``_LIQUID_``."""

    text: str
    codes: tuple[str, ...]
    negated: bool
    special: str | None = None


@dataclass(frozen=True, slots=True)
class Gender:
    value: str
    negated: bool


@dataclass(frozen=True, slots=True)
class Constant:
    """A leaf decided at import: ``holds`` with the reason (an unsupported criterion)."""

    holds: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Both:
    children: tuple[Criteria, ...]


@dataclass(frozen=True, slots=True)
class Either:
    children: tuple[Criteria, ...]


Criteria = Genomic | Age | Diagnosis | Gender | Constant | Both | Either


@dataclass(frozen=True, slots=True)
class CtmlArm:
    """One matchable target: an arm (or a dose level with its own criteria, or a step without arms).

    ``drugs`` are the alternative drug combinations (lower-case generic names); ``open`` is False when
    the arm, dose level or trial is suspended or closed.
    """

    label: str
    code: str
    description: str
    drugs: tuple[tuple[str, ...], ...]
    open: bool
    criteria: Criteria
    path: str


@dataclass(frozen=True, slots=True)
class CtmlTrial:
    protocol_no: str
    nct_id: str | None
    title: str | None
    status: str | None
    arms: tuple[CtmlArm, ...]
    unsupported: tuple[Unsupported, ...]
    source: str
    #: what the import changed, e.g. a previous HGNC symbol read as the current one.
    warnings: tuple[str, ...] = ()

    @property
    def trial_id(self) -> str:
        return self.nct_id or self.protocol_no

    def as_dict(self) -> dict[str, Any]:
        return {
            "protocol_no": self.protocol_no,
            "nct_id": self.nct_id,
            "title": self.title,
            "status": self.status,
            "arms": [
                {"label": arm.label, "code": arm.code, "open": arm.open, "drugs": ["+".join(d) for d in arm.drugs]}
                for arm in self.arms
            ],
        }


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def load_ctml(path: Path, tumour_types: TumourTypes) -> CtmlTrial:
    """Read a CTML trial document (``.json``, or YAML for any other name).

    Errors name the path as the user gave it (``trials/t1.json``), not only its last part."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError("no such CTML file", source=source, fix="check the path") from None
    except UnicodeDecodeError as error:
        raise FormatError(f"not UTF-8 text ({error.reason})", source=source, fix="save it as UTF-8") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise FormatError(
                f"not valid JSON: {error.msg}", source=source, line=error.lineno, fix="check brackets and commas"
            ) from None
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise yaml_syntax_error(error, source, FormatError) from None
    return parse_ctml(data, source=source, tumour_types=tumour_types)


def parse_ctml(data: Any, *, source: str, tumour_types: TumourTypes) -> CtmlTrial:
    """A CTML document already loaded into Python values; ``source`` names it in errors."""
    return _Reader(source, tumour_types).trial(data)


@dataclass(slots=True)
class _Reader:
    source: str
    tumour_types: TumourTypes
    unsupported: list[Unsupported] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def fail(self, path: str, rule: str, fix: str) -> FormatError:
        return FormatError(rule, source=self.source, field=path, fix=fix)

    def report(self, key: str, path: str, reason: str) -> None:
        self.unsupported.append(Unsupported(key, path, reason))

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping, found {_kind(value)}", "see docs/ctml.md for the CTML shape")
        return value

    def sequence(self, value: Any, path: str) -> list[Any]:
        # CTML from some exporters holds a single item where a list is expected.
        if isinstance(value, Mapping):
            return [value]
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, found {_kind(value)}", "see docs/ctml.md for the CTML shape")
        return value

    def check_keys(self, node: Mapping[str, Any], known: frozenset[str], path: str, what: str) -> None:
        for key in node:
            if key not in known:
                self.report(str(key), f"{path}.{key}", f"unknown {what} key, not used")

    # -- trial, steps, arms ----------------------------------------------------------------

    def trial(self, data: Any) -> CtmlTrial:
        root = self.mapping(data, "(document)")
        if "treatment_list" not in root:
            raise self.fail(
                "treatment_list", "a CTML trial needs a treatment_list", "add treatment_list: {step: [...]}"
            )
        self.check_keys(root, _TRIAL_KEYS, "(document)", "trial")
        protocol_no = str(root.get("protocol_no") or root.get("nct_id") or Path(self.source).stem)
        status = _text(root.get("status"))
        trial_open = status is None or status.strip().lower() in {"open to accrual", "open", "recruiting"}
        treatment = self.mapping(root["treatment_list"], "treatment_list")
        self.check_keys(treatment, frozenset({"step"}), "treatment_list", "treatment_list")
        if "step" not in treatment:
            raise self.fail("treatment_list.step", "the treatment_list has no step", "add step: [...]")
        trial_drugs = self.trial_drugs(root)
        arms: list[CtmlArm] = []
        for index, step in enumerate(self.sequence(treatment["step"], "treatment_list.step")):
            arms.extend(self.step(step, f"treatment_list.step[{index}]", trial_open, trial_drugs))
        if not arms:
            raise self.fail(
                "treatment_list", "no step, arm or dose level has a match tree", "give at least one arm a match: [...]"
            )
        return CtmlTrial(
            protocol_no=protocol_no,
            nct_id=_text(root.get("nct_id")),
            title=_text(root.get("short_title") or root.get("long_title")),
            status=status,
            arms=tuple(arms),
            unsupported=tuple(self.unsupported),
            source=self.source,
            warnings=tuple(dict.fromkeys(self.warnings)),
        )

    def trial_drugs(self, root: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
        listed = root.get("drug_list")
        if not isinstance(listed, Mapping):
            return ()
        names = [
            str(item["drug_name"]).strip().lower()
            for item in self.sequence(listed.get("drug", []), "drug_list.drug")
            if isinstance(item, Mapping) and item.get("drug_name")
        ]
        return (tuple(names),) if names else ()

    def step(self, value: Any, path: str, trial_open: bool, trial_drugs: tuple[tuple[str, ...], ...]) -> list[CtmlArm]:
        step = self.mapping(value, path)
        self.check_keys(step, _STEP_KEYS, path, "step")
        code = str(step.get("step_code", "")).strip() or path
        step_criteria = self.match(step["match"], f"{path}.match") if "match" in step else None
        arms = self.sequence(step.get("arm", []), f"{path}.arm")
        targets: list[CtmlArm] = []
        for index, arm in enumerate(arms):
            targets.extend(self.arm(arm, f"{path}.arm[{index}]", step_criteria, trial_open, trial_drugs))
        if not arms and step_criteria is not None:
            targets.append(
                CtmlArm(f"step {code}", code, f"step {code}", trial_drugs, trial_open, step_criteria, f"{path}.match")
            )
        return targets

    def arm(
        self,
        value: Any,
        path: str,
        step_criteria: Criteria | None,
        trial_open: bool,
        trial_drugs: tuple[tuple[str, ...], ...],
    ) -> list[CtmlArm]:
        arm = self.mapping(value, path)
        self.check_keys(arm, _ARM_KEYS, path, "arm")
        description = _text(arm.get("arm_description")) or _text(arm.get("arm_name")) or ""
        code = _text(arm.get("arm_code")) or (description.split()[0] if description else path)
        suspended = str(arm.get("arm_suspended", "N")).strip().upper() in {"Y", "YES", "TRUE"}
        status = _text(arm.get("arm_status"))
        closed = suspended or (status is not None and "closed" in status.lower())
        fallback = (((description or code).strip().lower(),),)
        drugs = self.drugs(arm.get("drugs"), f"{path}.drugs") or trial_drugs or fallback
        own = self.match(arm["match"], f"{path}.match") if "match" in arm else None
        criteria = _join(step_criteria, own)
        targets: list[CtmlArm] = []
        levels = self.sequence(arm.get("dose_level", []), f"{path}.dose_level")
        for index, level_value in enumerate(levels):
            level_path = f"{path}.dose_level[{index}]"
            level = self.mapping(level_value, level_path)
            self.check_keys(level, _DOSE_KEYS, level_path, "dose_level")
            if "match" not in level:
                continue
            level_code = _text(level.get("level_code")) or str(index + 1)
            level_closed = str(level.get("level_suspended", "N")).strip().upper() in {"Y", "YES", "TRUE"}
            targets.append(
                CtmlArm(
                    f"arm {code} dose level {level_code}",
                    f"{code}/{level_code}",
                    description,
                    drugs,
                    trial_open and not closed and not level_closed,
                    _join(criteria, self.match(level["match"], f"{level_path}.match")) or ALWAYS_CRITERIA,
                    f"{level_path}.match",
                )
            )
        if criteria is not None:
            targets.insert(
                0,
                CtmlArm(f"arm {code}", code, description, drugs, trial_open and not closed, criteria, f"{path}.match"),
            )
        return targets

    def drugs(self, value: Any, path: str) -> tuple[tuple[str, ...], ...]:
        """``drugs: [[{name: ...}, ...], ...]``: alternative combinations of named drugs."""
        if value is None:
            return ()
        combinations: list[tuple[str, ...]] = []
        for index, combination in enumerate(self.sequence(value, path)):
            items = combination if isinstance(combination, list) else [combination]
            names: list[str] = []
            for position, item in enumerate(items):
                where = f"{path}[{index}][{position}]"
                if isinstance(item, Mapping) and item.get("name"):
                    names.append(str(item["name"]).strip().lower())
                elif isinstance(item, str) and item.strip():
                    names.append(item.strip().lower())
                else:
                    raise self.fail(where, f"a drug needs a name, found {_kind(item)}", "write {name: olaparib}")
            if names:
                combinations.append(tuple(names))
        return tuple(combinations)

    # -- match trees -----------------------------------------------------------------------

    def match(self, value: Any, path: str) -> Criteria:
        """A ``match`` list: its nodes must all hold."""
        nodes = self.sequence(value, path)
        if not nodes:
            raise self.fail(path, "an empty match tree", "give at least one and/or/genomic/clinical node")
        children = tuple(self.node(node, f"{path}[{index}]") for index, node in enumerate(nodes))
        return children[0] if len(children) == 1 else Both(children)

    def node(self, value: Any, path: str) -> Criteria:
        node = self.mapping(value, path)
        if len(node) != 1:
            raise self.fail(
                path,
                "a match node needs exactly one of and, or, genomic, clinical; "
                f"found {', '.join(map(str, node)) or 'none'}",
                "split it into one node per criterion under 'and'",
            )
        key, body = next(iter(node.items()))
        where = f"{path}.{key}"
        if key in {"and", "or"}:
            items = self.sequence(body, where)
            if not items:
                raise self.fail(where, f"an empty '{key}' list", "give it at least one node")
            children = tuple(self.node(item, f"{where}[{index}]") for index, item in enumerate(items))
            return Both(children) if key == "and" else Either(children)
        if key == "genomic":
            return self.genomic(self.mapping(body, where), where)
        if key == "clinical":
            return self.clinical(self.mapping(body, where), where)
        if key == "prior_treatment":
            self.report(key, where, "prior-treatment criteria are not checked (treated as met: confirm by hand)")
            return Constant(True, f"prior-treatment criterion at {where} not checked")
        raise self.fail(where, f"unknown match node '{key}'", "use and, or, genomic or clinical")

    # -- clinical leaves -------------------------------------------------------------------

    def clinical(self, body: Mapping[str, Any], path: str) -> Criteria:
        parts: list[Criteria] = []
        for key, raw in body.items():
            where = f"{path}.{key}"
            if key not in _CLINICAL_KEYS:
                self.report(str(key), where, "unknown clinical key (treated as met: confirm by hand)")
                parts.append(Constant(True, f"clinical criterion {key} = {raw} not checked"))
                continue
            text = _text(raw) or ""
            negated = text.startswith("!")
            text = text.lstrip("!").strip()
            if key == "age_numerical":
                parts.extend(self.age(text, negated, where))
            elif key == "oncotree_primary_diagnosis":
                parts.append(self.diagnosis(text, negated, where))
            elif key == "gender":
                if text.lower() not in {"male", "female"}:
                    self.report(key, where, f"unsupported value '{text}' (treated as met)")
                else:
                    parts.append(Gender(text.capitalize(), negated))
            else:
                parts.append(self.tmb(text, negated, where))
        if not parts:
            return Constant(True, f"no usable clinical criterion at {path}")
        return parts[0] if len(parts) == 1 else Both(tuple(parts))

    def age(self, text: str, negated: bool, path: str) -> list[Criteria]:
        # Ranges are written as two leaves or as ">=18, <=75" in some curations.
        parts: list[Criteria] = []
        for piece in (item for item in text.split(",") if item.strip()):
            found = _COMPARISON.match(piece)
            if found is None or found.group(1) in {None, "="}:
                self.report("age_numerical", path, f"unsupported value '{piece.strip()}' (treated as met)")
                continue
            comparison = found.group(1)
            if negated:
                comparison = {">=": "<", ">": "<=", "<=": ">", "<": ">="}[comparison]
            parts.append(Age(comparison, float(found.group(2)), path))
        return parts

    def diagnosis(self, text: str, negated: bool, path: str) -> Criteria:
        upper = text.upper()
        if upper in {"_SOLID_", "ALL SOLID TUMORS"}:
            return Diagnosis(text, (), negated, special="solid")
        if upper in {"_LIQUID_", "ALL LIQUID TUMORS"}:
            return Diagnosis(text, (), negated, special="liquid")
        if upper in self.tumour_types:
            return Diagnosis(text, (upper,), negated)
        wanted = text.strip().lower()
        codes = tuple(sorted(item.code for item in self.tumour_types if item.name.strip().lower() == wanted))
        if codes:
            return Diagnosis(text, codes, negated)
        self.report(
            "oncotree_primary_diagnosis",
            path,
            f"unknown OncoTree diagnosis '{text}' (OncoTree {self.tumour_types.version}; "
            + ("treated as met" if negated else "treated as not met")
            + "; a full OncoTree may know it: --oncotree)",
        )
        return Constant(negated, f"unknown diagnosis '{text}' at {path}")

    def tmb(self, text: str, negated: bool, path: str) -> Criteria:
        found = _COMPARISON.match(text)
        if found is None or found.group(1) in {None, "="}:
            self.report("tmb_numerical", path, f"unsupported value '{text}' (treated as not met)")
            return Constant(False, f"unsupported TMB criterion '{text}' at {path}")
        comparison, value = found.group(1), float(found.group(2))
        if comparison in {">=", ">"}:
            rule: Rule = TmbRule(value if comparison == ">=" else math.nextafter(value, math.inf))
        else:
            rule = Not(TmbRule(value if comparison == "<" else math.nextafter(value, math.inf)))
        return Genomic(Not(rule) if negated else rule)

    # -- genomic leaves --------------------------------------------------------------------

    def genomic(self, body: Mapping[str, Any], path: str) -> Criteria:
        values: dict[str, str] = {}
        negated = False
        for key, raw in body.items():
            if key not in _GENOMIC_KEYS:
                self.report(
                    str(key), f"{path}.{key}", "unknown genomic key, ignored: the criterion is matched without it"
                )
                continue
            text = _text(raw)
            if text is None or not text.strip():
                continue
            if text.startswith("!"):
                negated = True
                text = text.lstrip("!")
            values[str(key)] = text.strip()
        reported = len(self.unsupported)
        rule = self.genomic_rule(dict(values), path)
        if rule is None:
            # Name the leaf's own key and value that could not be expressed, so that a note on the arm
            # blames the criterion that decided it.
            causes = [
                f"{item.key} '{values.get(item.key, '')}' at {item.path}" for item in self.unsupported[reported:]
            ] or [path]
            wanted = "not " if negated else ""
            return Constant(negated, f"unsupported genomic criterion {wanted}{'; '.join(causes)}")
        return Genomic(Not(rule) if negated else rule)

    def genomic_rule(self, values: dict[str, str], path: str) -> Rule | None:
        if "tmb_numerical" in values:
            criteria = self.tmb(values.pop("tmb_numerical"), False, f"{path}.tmb_numerical")
            return criteria.rule if isinstance(criteria, Genomic) else None
        for key in ("ms_status", "mmr_status"):
            if key in values:
                return self.signature(key, values[key], f"{path}.{key}")
        gene_text = values.get("hugo_symbol")
        if gene_text is None:
            raise self.fail(
                f"{path}.hugo_symbol", "a genomic criterion needs hugo_symbol", "name the gene, e.g. hugo_symbol: KRAS"
            )
        gene = self.gene(gene_text, f"{path}.hugo_symbol")
        category = _category(values.get("variant_category"), values)
        if category is None:
            self.report(
                "variant_category",
                f"{path}.variant_category",
                f"unsupported value '{values.get('variant_category')}' (treated as not met)",
            )
            return None
        if category == "mutation":
            return self.mutation(gene, values, path)
        if category == "cnv":
            return self.copy_number(gene, values.get("cnv_call"), f"{path}.cnv_call")
        if category == "sv":
            partner = values.get("fusion_partner_hugo_symbol")
            partners = (self.gene(partner, f"{path}.fusion_partner_hugo_symbol"),) if partner else ()
            return FusionRule(gene, partners)
        return AnyOf((MutationRule(gene), AmplificationRule(gene), CopyLossRule(gene), FusionRule(gene)))

    def gene(self, written: str, path: str) -> str:
        """The current HGNC symbol (docs/ctml.md, "Genomic leaves"). A previous symbol (``MYCL1``) is read
        as the current one, with a warning. A symbol OncoBasket does not know is kept as written, with a
        warning: an external trial may name any gene, and a VCF or MAF from a whole-exome lab can report
        it, so refusing the whole document would lose the trial; the warning still catches a misspelling."""
        found = look_up_symbol(written)
        if found.current is None:
            close = similar_symbols(written)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            self.warnings.append(
                f"{self.source}: field '{path}': '{written}' is not a gene OncoBasket knows (not a TSO500 panel "
                f"gene, a previous HGNC symbol of one or a known fusion partner): kept as written, so a TSO500 "
                f"result will never match it{hint}"
            )
            return written.strip()
        if found.previous is not None:
            self.warnings.append(
                f"{self.source}: field '{path}': {written} is a previous HGNC symbol of {found.current}: "
                f"matching uses {found.current}"
            )
        return found.current

    def signature(self, key: str, value: str, path: str) -> Rule | None:
        normal = value.strip().lower().replace("mmr-", "")
        if normal in {"msi-h", "deficient"}:
            return MsiRule()
        if normal in {"mss", "proficient"}:
            return Not(MsiRule())
        self.report(key, path, f"unsupported value '{value}' (treated as not met)")
        return None

    def mutation(self, gene: str, values: dict[str, str], path: str) -> Rule | None:
        if "protein_change" in values:
            text = values["protein_change"]
            try:
                change = parse_protein_change(text if text.startswith("p.") else f"p.{text}")
            except InputError:
                change = None
            if change is None:
                self.report("protein_change", f"{path}.protein_change", f"'{text}' is not HGVS (treated as not met)")
                return None
            return ProteinChangeRule(gene, (change.short,))
        if "wildcard_protein_change" in values:
            text = values["wildcard_protein_change"]
            found = _WILDCARD.match(text if text.startswith("p.") else f"p.{text}")
            if found is None:
                self.report(
                    "wildcard_protein_change",
                    f"{path}.wildcard_protein_change",
                    f"'{text}' is not a codon such as p.V600 (treated as not met)",
                )
                return None
            return CodonRule(gene, (f"{found.group(1)}{found.group(2)}",))
        classification = values.get("variant_classification", "").lower()
        if "exon" in values:
            try:
                exon = int(values["exon"])
            except ValueError:
                self.report("exon", f"{path}.exon", f"'{values['exon']}' is not an exon number (treated as not met)")
                return None
            edit = {"in_frame_del": ExonEdit.DELETION, "in_frame_ins": ExonEdit.INSERTION}.get(
                classification, ExonEdit.ANY
            )
            return ExonRule(gene, exon, edit)
        if classification:
            if classification in _TRUNCATING_CLASSES:
                return TruncatingRule(gene)
            self.report(
                "variant_classification",
                f"{path}.variant_classification",
                f"'{values['variant_classification']}' without exon or protein change (treated as not met)",
            )
            return None
        return MutationRule(gene)

    def copy_number(self, gene: str, call: str | None, path: str) -> Rule | None:
        if call is None:
            return AnyOf((AmplificationRule(gene), CopyLossRule(gene)))
        normal = call.strip().lower()
        if normal in {"high level amplification", "amplification", "gain"}:
            return AmplificationRule(gene)
        if normal in {"homozygous deletion", "heterozygous deletion", "deletion"}:
            return CopyLossRule(gene)
        self.report("cnv_call", path, f"unsupported value '{call}' (treated as not met)")
        return None


ALWAYS_CRITERIA: Criteria = Constant(True, "no criteria")


def _join(first: Criteria | None, second: Criteria | None) -> Criteria | None:
    if first is None:
        return second
    if second is None:
        return first
    return Both((first, second))


def _category(value: str | None, values: Mapping[str, str]) -> str | None:
    """mutation | cnv | sv | any, from variant_category (or, when absent, from the other keys)."""
    if value is None:
        if {"protein_change", "wildcard_protein_change", "variant_classification", "exon"} & set(values):
            return "mutation"
        if "cnv_call" in values:
            return "cnv"
        if "fusion_partner_hugo_symbol" in values:
            return "sv"
        return "any"
    return {
        "mutation": "mutation",
        "copy number variation": "cnv",
        "cnv": "cnv",
        "structural variation": "sv",
        "sv": "sv",
        "any variation": "any",
        "any": "any",
    }.get(value.strip().lower())


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"'{value}'"


# ---------------------------------------------------------------------------------------------
# Resolving an arm for one patient
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Matching profiles against a CTML trial
# ---------------------------------------------------------------------------------------------


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
    profile: MolecularProfile, patient: PatientFacts, trial: CtmlTrial, tumour_types: TumourTypes
) -> CtmlResult:
    """Every arm of ``trial`` the profile matches, with eligibility and reasons (docs/ctml.md).

    A retired OncoTree code of the patient is read as its successor, with a warning (docs/matching.md).
    """
    patient, tumour = resolve_patient(patient, tumour_types)
    matches: list[CtmlMatch] = []
    notes: list[str] = []
    for arm in trial.arms:
        resolved = resolve_arm(arm, patient, tumour_types)
        if resolved.rule == NEVER:
            notes.extend(f"{arm.label}: not matched: {reason}" for reason in resolved.unmet)
            continue
        result: ProfileMatches = evaluate_profile(profile, patient, arm_protocol(trial, arm, resolved), tumour_types)
        notes.extend(f"{arm.label}: {note}" for note in result.notes)
        for item in result.matches:
            reasons = list(item.reasons)
            status = item.eligibility
            if resolved.unchecked:
                reasons.extend(resolved.unchecked)
                if status is EligibilityStatus.ELIGIBLE:
                    status = EligibilityStatus.TO_BE_CONFIRMED
            if not arm.open:
                reasons.append(f"{arm.label} of {trial.trial_id} is closed or suspended")
                status = EligibilityStatus.INELIGIBLE
            adjusted = replace(item, eligibility=status, reasons=tuple(reasons), cohort=arm.label)
            matches.append(CtmlMatch(adjusted, arm, trial))
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


def unsupported_lines(trial: CtmlTrial) -> Sequence[str]:
    """One warning line per unsupported key or value."""
    return [str(item) for item in trial.unsupported]
