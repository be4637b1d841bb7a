"""Read a CTML trial document (YAML or JSON) into a :class:`CtmlTrial` (docs/ctml.md, "Document structure").

CTML describes a trial as ``treatment_list -> step -> arm -> dose_level``; each level may carry a
``match`` tree of ``and`` / ``or`` nodes over ``genomic`` and ``clinical`` leaves (MatchMiner, Klein et
al., npj Precis Oncol 2022;6:69). Structurally invalid CTML raises one :class:`FormatError` naming the
file and the path (``treatment_list.step[0].arm[1].match[0].and``); every key or value the import
cannot express is collected in :attr:`CtmlTrial.unsupported`, never silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from oncobasket.core.errors import FormatError
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.ctml.clinical import read_clinical
from oncobasket.io.ctml.context import ReadContext, kind_of, text_of
from oncobasket.io.ctml.genomic import read_genomic
from oncobasket.io.ctml.model import (
    ALWAYS_CRITERIA,
    Both,
    Constant,
    Criteria,
    CtmlArm,
    CtmlTrial,
    Either,
    join_criteria,
)
from oncobasket.io.files import check_regular_file
from oncobasket.io.protocol_file import yaml_syntax_error

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


def load_ctml(path: Path, tumour_types: TumourTypes) -> CtmlTrial:
    """Read a CTML document holding one trial (``.json``, or YAML for any other name).

    Errors name the path as the user gave it (``trials/t1.json``), not only its last part. A file
    holding several trials is refused here: :func:`load_ctml_trials` reads it."""
    trials = load_ctml_trials(path, tumour_types)
    if len(trials) != 1:
        raise FormatError(
            f"the file holds {len(trials)} trials where one is expected",
            source=str(path),
            field="(document)",
            fix="read it with load_ctml_trials, or give one trial per file",
        )
    return trials[0]


def load_ctml_trials(path: Path, tumour_types: TumourTypes) -> tuple[CtmlTrial, ...]:
    """Every trial of a CTML file: one trial, or a list of trials (a JSON array or a YAML list), as
    MatchMiner's loader accepts them. Errors name the trial by its place in the list (``[2].treatment_list``)."""
    return parse_ctml_trials(_load_document(path), source=str(path), tumour_types=tumour_types)


def _load_document(path: Path) -> Any:
    source = str(path)
    check_regular_file(path)
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
    return data


def parse_ctml(data: Any, *, source: str, tumour_types: TumourTypes) -> CtmlTrial:
    """A CTML document already loaded into Python values; ``source`` names it in errors."""
    return _Reader(source, tumour_types).trial(data)


def parse_ctml_trials(data: Any, *, source: str, tumour_types: TumourTypes) -> tuple[CtmlTrial, ...]:
    """One trial (a mapping) or several (a list of mappings) already loaded into Python values."""
    if not isinstance(data, list):
        return (parse_ctml(data, source=source, tumour_types=tumour_types),)
    if not data:
        raise FormatError("an empty list of trials", source=source, field="(document)", fix="give at least one trial")
    return tuple(_Reader(source, tumour_types, prefix=f"[{index}].").trial(item) for index, item in enumerate(data))


class _Reader(ReadContext):
    """The document structure: trial, steps, arms, dose levels, drugs and match trees."""

    __slots__ = ()

    # -- trial, steps, arms ----------------------------------------------------------------

    def trial(self, data: Any) -> CtmlTrial:
        root = self.mapping(data, "(document)")
        if "treatment_list" not in root:
            raise self.fail(
                "treatment_list", "a CTML trial needs a treatment_list", "add treatment_list: {step: [...]}"
            )
        self.check_keys(root, _TRIAL_KEYS, "(document)", "trial")
        protocol_no = str(root.get("protocol_no") or root.get("nct_id") or Path(self.source).stem)
        status = text_of(root.get("status"))
        trial_open = status is None or status.strip().lower() in {"open to accrual", "open", "recruiting"}
        treatment = self.mapping(root["treatment_list"], "treatment_list")
        self.check_keys(treatment, frozenset({"step"}), "treatment_list", "treatment_list")
        if "step" not in treatment:
            raise self.fail("treatment_list.step", "the treatment_list has no step", "add step: [...]")
        trial_drugs = self.trial_drugs(root)
        arms: list[CtmlArm] = []
        for index, step in enumerate(self.sequence(treatment["step"], "treatment_list.step")):
            closed_by = "" if trial_open else f"trial status '{status}'"
            arms.extend(self.step(step, f"treatment_list.step[{index}]", closed_by, trial_drugs, protocol_no))
        if not arms:
            raise self.fail(
                "treatment_list", "no step, arm or dose level has a match tree", "give at least one arm a match: [...]"
            )
        return CtmlTrial(
            protocol_no=protocol_no,
            nct_id=text_of(root.get("nct_id")),
            title=text_of(root.get("short_title") or root.get("long_title")),
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

    def step(
        self,
        value: Any,
        path: str,
        trial_closed_by: str,
        trial_drugs: tuple[tuple[str, ...], ...],
        protocol_no: str,
    ) -> list[CtmlArm]:
        step = self.mapping(value, path)
        self.check_keys(step, _STEP_KEYS, path, "step")
        code = str(step.get("step_code", "")).strip() or path
        step_criteria = self.level_match(step, path)
        arms = self.sequence(step.get("arm", []), f"{path}.arm")
        targets: list[CtmlArm] = []
        for index, arm in enumerate(arms):
            targets.extend(self.arm(arm, f"{path}.arm[{index}]", step_criteria, trial_closed_by, trial_drugs))
        if not arms and step_criteria is not None:
            # A step without arms is a target of its own (matchengine-V2 matches the step's clause);
            # without a drug list its drug is named after the trial, so that the match is reported.
            drugs = trial_drugs or ((f"{protocol_no} step {code}".lower(),),)
            targets.append(
                CtmlArm(
                    f"step {code}",
                    code,
                    f"step {code}",
                    drugs,
                    not trial_closed_by,
                    step_criteria,
                    f"{path}.match",
                    trial_closed_by,
                )
            )
        return targets

    def arm(
        self,
        value: Any,
        path: str,
        step_criteria: Criteria | None,
        trial_closed_by: str,
        trial_drugs: tuple[tuple[str, ...], ...],
    ) -> list[CtmlArm]:
        arm = self.mapping(value, path)
        self.check_keys(arm, _ARM_KEYS, path, "arm")
        description = text_of(arm.get("arm_description")) or text_of(arm.get("arm_name")) or ""
        code = text_of(arm.get("arm_code")) or (description.split()[0] if description else path)
        suspended = str(arm.get("arm_suspended", "N")).strip().upper() in {"Y", "YES", "TRUE"}
        status = text_of(arm.get("arm_status"))
        arm_closed_by = trial_closed_by or (
            "arm_suspended: Y"
            if suspended
            else (f"arm_status '{status}'" if status is not None and "closed" in status.lower() else "")
        )
        fallback = (((description or code).strip().lower(),),)
        drugs = self.drugs(arm.get("drugs"), f"{path}.drugs") or trial_drugs or fallback
        own = self.level_match(arm, path)
        criteria = join_criteria(step_criteria, own)
        targets: list[CtmlArm] = []
        levels = self.sequence(arm.get("dose_level", []), f"{path}.dose_level")
        for index, level_value in enumerate(levels):
            level_path = f"{path}.dose_level[{index}]"
            level = self.mapping(level_value, level_path)
            self.check_keys(level, _DOSE_KEYS, level_path, "dose_level")
            level_criteria = self.level_match(level, level_path)
            if level_criteria is None:
                continue
            level_code = text_of(level.get("level_code")) or str(index + 1)
            level_closed = str(level.get("level_suspended", "N")).strip().upper() in {"Y", "YES", "TRUE"}
            targets.append(
                CtmlArm(
                    f"arm {code} dose level {level_code}",
                    f"{code}/{level_code}",
                    description,
                    drugs,
                    not (arm_closed_by or level_closed),
                    join_criteria(criteria, level_criteria) or ALWAYS_CRITERIA,
                    f"{level_path}.match",
                    arm_closed_by or ("level_suspended: Y" if level_closed else ""),
                )
            )
        if criteria is not None:
            targets.insert(
                0,
                CtmlArm(
                    f"arm {code}",
                    code,
                    description,
                    drugs,
                    not arm_closed_by,
                    criteria,
                    f"{path}.match",
                    arm_closed_by,
                ),
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
                    raise self.fail(where, f"a drug needs a name, found {kind_of(item)}", "write {name: olaparib}")
            if names:
                combinations.append(tuple(names))
        return tuple(combinations)

    # -- match trees -----------------------------------------------------------------------

    def level_match(self, level: Mapping[str, Any], path: str) -> Criteria | None:
        """A step's, arm's or dose level's own ``match``: None when it has none, or an empty one
        (``match: []``, which MatchMiner accepts as "no criteria at this level")."""
        value = level.get("match")
        if value is None or (isinstance(value, list) and not value):
            return None
        return self.match(value, f"{path}.match")

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
            return read_genomic(self, self.mapping(body, where), where)
        if key == "clinical":
            return read_clinical(self, self.mapping(body, where), where)
        if key == "prior_treatment":
            self.report(key, where, "prior-treatment criteria are not checked (treated as met: confirm by hand)")
            return Constant(True, f"prior-treatment criterion at {where} not checked")
        raise self.fail(where, f"unknown match node '{key}'", "use and, or, genomic or clinical")
