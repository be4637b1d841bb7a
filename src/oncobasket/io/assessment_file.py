"""The tumour assessment file: a patient's baseline and follow-up measurements as JSON.

The file's shape is the pydantic models below; their JSON Schema is published as
``docs/assessment-file.schema.json`` (a test keeps the two equal). :func:`read_assessment_file` reads a file
and :func:`parse_assessment_mapping` the same shape as a Python mapping (how the registry records it).
Both return a :class:`~oncobasket.core.recist.AssessmentRecord` or raise one
:class:`~oncobasket.core.errors.InputError` naming the file, the JSON path (``assessments[2].target_lesions.T3``),
the rule and the fix.

Rules enforced beyond the shape, each from Eisenhauer et al., Eur J Cancer 2009;45:228-247 (RECIST 1.1):

- at most 5 target lesions in all and at most 2 per organ (site); all lymph nodes are one organ (section 4.2;
  EORTC Q&A "two target lesions");
- a target lesion is measurable: longest diameter >= 10 mm, lymph nodes >= 15 mm short axis (section 3.1.1);
- a follow-up lesion id that was not at baseline is refused: it is a new lesion (section 4.3.2);
- the baseline is at most 1 day after treatment start (section 3.2.1: baseline before treatment; a day's
  grace for a scan on cycle 1 day 1); more than 4 weeks before it is a warning of the evaluation;
- sizes are 0..500 mm; dates are ISO dates; assessments come after the baseline and not before treatment
  start, one per date; lesion ids are unique; unknown keys and duplicated keys are refused so that a typo is
  never silently ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from oncobasket.core.errors import InputError
from oncobasket.core.recist import (
    LYMPH_NODE_SITE,
    Assessment,
    AssessmentRecord,
    Baseline,
    Criteria,
    EnteredResponse,
    NonTargetLesion,
    NonTargetStatus,
    TargetLesion,
)
from oncobasket.core.response_series import ENTERABLE_RESPONSES
from oncobasket.io.files import check_regular_file

#: RECIST 1.1 section 4.2.
MAX_TARGET_LESIONS = 5
MAX_TARGET_LESIONS_PER_SITE = 2
#: RECIST 1.1 section 3.1.1 (CT with slices <= 5 mm).
MEASURABLE_MIN_MM = Decimal(10)
MEASURABLE_NODE_MIN_MM = Decimal(15)
#: No human lesion measures half a metre: a larger number is a unit or typing error (cm x 100, an extra 0).
ABSURD_SIZE_MM = 500
#: A baseline scan on the day after cycle 1 day 1 is still a baseline (time zones, a late scan).
BASELINE_GRACE_DAYS_AFTER_START = 1

DOCS = "see docs/recist.md"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    """Only ``YYYY-MM-DD`` text (or a date from Python): pydantic alone would take numbers as timestamps."""
    if isinstance(value, dt.datetime):
        raise ValueError("a date without a time is needed")
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date), Field(json_schema_extra={"format": "date"})]
LesionId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Site = Annotated[
    str,
    Field(
        min_length=1,
        max_length=60,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="organ, lower case with underscores; 'lymph_node' is measured by its short axis",
    ),
]
Millimetres = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=ABSURD_SIZE_MM)]


#: How the tumour was imaged or examined (RECIST 1.1 section 3.3: the same method at baseline and follow-up).
Method = Literal["CT", "MRI", "PET-CT", "X-ray", "ultrasound", "clinical", "other"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetLesionModel(_Strict):
    """A baseline target lesion: longest diameter in mm, short axis for site ``lymph_node``."""

    id: LesionId
    site: Site
    diameter_mm: Millimetres


class NonTargetLesionModel(_Strict):
    """A baseline non-target lesion, followed qualitatively."""

    id: LesionId
    site: Site


class BaselineModel(_Strict):
    """The baseline assessment: its date and lesions."""

    date: IsoDate
    method: Method | None = None
    target_lesions: list[TargetLesionModel] = Field(default_factory=list, max_length=50)
    non_target_lesions: list[NonTargetLesionModel] = Field(default_factory=list, max_length=100)


class ResponseModel(_Strict):
    """A response judged clinically and entered directly, with the criteria it was judged by."""

    criteria: Literal["iRECIST", "RANO", "Lugano"]
    response: str = Field(
        description="iRECIST: "
        + " | ".join(ENTERABLE_RESPONSES[Criteria.IRECIST])
        + "; RANO and Lugano: "
        + " | ".join(ENTERABLE_RESPONSES[Criteria.RANO])
    )


class AssessmentModel(_Strict):
    """A follow-up assessment: each baseline lesion's measurement or status, and whether a new lesion appeared."""

    date: IsoDate
    method: Method | None = None
    target_lesions: dict[LesionId, Millimetres | None] = Field(
        default_factory=dict, description="baseline target lesion id -> mm, null when not assessed"
    )
    non_target_lesions: dict[LesionId, Literal["absent", "present", "unequivocal_progression", "not_evaluated"]] = (
        Field(default_factory=dict)
    )
    new_lesions: bool = Field(strict=True)
    responses: list[ResponseModel] = Field(default_factory=list, max_length=3)


class AssessmentFileModel(_Strict):
    """One patient's tumour assessments (RECIST 1.1 measurements, directly entered iRECIST/RANO/Lugano)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="OncoBasket tumour assessment file",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    treatment_start: IsoDate | None = Field(
        default=None, description="cycle 1 day 1; may be left out when the registry supplies it"
    )
    baseline: BaselineModel
    assessments: list[AssessmentModel] = Field(default_factory=list, max_length=200)


def assessment_file_schema() -> dict[str, Any]:
    """The JSON Schema of the assessment file, as published in ``docs/assessment-file.schema.json``."""
    return AssessmentFileModel.model_json_schema()


def schema_text() -> str:
    """The published schema file's exact text."""
    return json.dumps(assessment_file_schema(), indent=2, sort_keys=True) + "\n"


def _path(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


_FIXES = {
    "extra_forbidden": "remove the key or correct its spelling ({allowed})",
    "missing": "add it",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "value_error": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "float_type": "give a number of millimetres, or null when not assessed",
    "finite_number": "give a number of millimetres, or null when not assessed",
    "greater_than_equal": "give a size of 0 mm or more (0 when the lesion has disappeared)",
    "less_than_equal": f"give the size in millimetres (at most {ABSURD_SIZE_MM}); was it entered in another unit?",
    "bool_type": "write true or false",
    "literal_error": "use one of the values listed",
    "string_pattern_mismatch": "ids: letters, digits, '_', '.' or '-'; sites: lower case words joined by '_'",
}


def _allowed_keys(location: tuple[int | str, ...]) -> str:
    models: dict[str, type[BaseModel]] = {
        "": AssessmentFileModel,
        "baseline": BaselineModel,
        "baseline.target_lesions": TargetLesionModel,
        "baseline.non_target_lesions": NonTargetLesionModel,
        "assessments": AssessmentModel,
        "assessments.responses": ResponseModel,
    }
    key = ".".join(str(part) for part in location[:-1] if isinstance(part, str))
    model = models.get(key)
    if model is None:
        return "see docs/recist.md"
    return "allowed: " + ", ".join(model.model_fields)


def _validation_error(error: ValidationError, source: str) -> InputError:
    first = error.errors()[0]
    location = tuple(first["loc"])
    # A dictionary value's own check names the key as part of the location; a union names its branch.
    location = tuple(part for part in location if part not in ("float", "constrained-float", "none", "[key]"))
    kind = first["type"]
    if kind == "extra_forbidden":
        rule = "unknown key"
    elif kind == "missing":
        rule = "required key missing"
    else:
        rule = str(first["msg"])
        if kind == "value_error":
            rule = rule.removeprefix("Value error, ")
        if "input" in first and kind not in ("missing",):
            rule = f"{rule} (got {json.dumps(first['input'], default=str)[:40]})"
    fix = _FIXES.get(kind, DOCS).format(allowed=_allowed_keys(location) if kind == "extra_forbidden" else "")
    return InputError(rule, source=source, field=_path(location), fix=fix)


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    counts = Counter(key for key, _ in pairs)
    repeated = [key for key, count in counts.items() if count > 1]
    if repeated:
        raise _DuplicateKeyError(repeated[0])
    return dict(pairs)


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def read_assessment_file(path: Path, *, treatment_start: dt.date | None = None) -> AssessmentRecord:
    """Read an assessment file; ``treatment_start`` (the registry's) is used when the file has none."""
    return parse_assessment_mapping(load_assessment_document(path), source=str(path), treatment_start=treatment_start)


def load_assessment_document(path: Path) -> object:
    """The assessment file's JSON as read (its shape is checked by :func:`parse_assessment_mapping`); a file that
    is not JSON, is truncated or repeats a key is refused with its line."""
    source = str(path)
    check_regular_file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InputError("file not found", source=source, fix="check the path") from error
    except UnicodeDecodeError as error:
        raise InputError("not UTF-8 text", source=source, fix="save the file as UTF-8 JSON") from error
    except OSError as error:
        raise InputError(f"cannot be read ({error.strerror})", source=source, fix="check the path") from error
    try:
        data = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except _DuplicateKeyError as error:
        raise InputError(
            f"key {json.dumps(error.key)} appears twice in one object",
            source=source,
            fix="keep one entry per key (one measurement per lesion, one value per field)",
        ) from error
    except json.JSONDecodeError as error:
        truncated = error.pos >= len(text.rstrip())
        rule = "the JSON ends before it is complete (truncated file?)" if truncated else f"not valid JSON: {error.msg}"
        raise InputError(
            rule, source=source, line=error.lineno, fix="correct the JSON (see docs/recist.md for an example)"
        ) from error
    return data


def parse_assessment_mapping(
    data: object, *, source: str = "assessment", treatment_start: dt.date | None = None
) -> AssessmentRecord:
    """Check a mapping of the assessment file's shape and turn it into core values (RECIST 1.1 rules above).

    ``treatment_start`` is the registry's date: used when the mapping has none, and a different date in the
    mapping is refused (one patient has one cycle 1 day 1).
    """
    if not isinstance(data, Mapping):
        raise InputError(
            "the top level must be a JSON object", source=source, fix='start the file with {"baseline": ...}'
        )
    try:
        model = AssessmentFileModel.model_validate(data)
    except ValidationError as error:
        raise _validation_error(error, source) from None
    start = _treatment_start(model, source, treatment_start)
    baseline = _baseline(model.baseline, source, start)
    assessments = tuple(
        _assessment(index, item, baseline, source, start) for index, item in enumerate(model.assessments)
    )
    _refuse_duplicate_dates(model, source)
    _refuse_mixed_criteria(assessments, source)
    return AssessmentRecord(treatment_start=start, baseline=baseline, assessments=assessments)


def _treatment_start(model: AssessmentFileModel, source: str, given: dt.date | None) -> dt.date:
    if model.treatment_start is None and given is None:
        raise InputError(
            "required key missing",
            source=source,
            field="treatment_start",
            fix="add the date of cycle 1 day 1 as treatment_start (YYYY-MM-DD)",
        )
    if model.treatment_start is not None and given is not None and model.treatment_start != given:
        raise InputError(
            f"the file's treatment start {model.treatment_start} differs from the registry's {given}",
            source=source,
            field="treatment_start",
            fix="remove treatment_start from the file or correct it",
        )
    start = given or model.treatment_start
    assert start is not None
    return start


def _baseline(model: BaselineModel, source: str, start: dt.date) -> Baseline:
    if (model.date - start).days > BASELINE_GRACE_DAYS_AFTER_START:
        raise InputError(
            f"the baseline {model.date} is after treatment start {start}: RECIST 1.1 section 3.2.1 takes the "
            "baseline before treatment",
            source=source,
            field="baseline.date",
            fix="give the date of the scan before cycle 1 day 1",
        )
    if len(model.target_lesions) > MAX_TARGET_LESIONS:
        raise InputError(
            f"{len(model.target_lesions)} target lesions: RECIST 1.1 section 4.2 allows at most {MAX_TARGET_LESIONS}",
            source=source,
            field="baseline.target_lesions",
            fix="keep the 5 largest reproducible lesions as targets and record the rest as non-target lesions",
        )
    seen: dict[str, str] = {}
    per_site: Counter[str] = Counter()
    targets = []
    for index, lesion in enumerate(model.target_lesions):
        where = f"baseline.target_lesions[{index}]"
        _refuse_repeated_id(lesion.id, where, seen, source)
        per_site[lesion.site] += 1
        if per_site[lesion.site] > MAX_TARGET_LESIONS_PER_SITE:
            raise InputError(
                f"a third target lesion at site '{lesion.site}': RECIST 1.1 section 4.2 allows at most "
                f"{MAX_TARGET_LESIONS_PER_SITE} per organ (all lymph nodes are one organ)",
                source=source,
                field=f"{where}.site",
                fix="record it as a non-target lesion",
            )
        size = Decimal(repr(lesion.diameter_mm))
        node = lesion.site == LYMPH_NODE_SITE
        minimum = MEASURABLE_NODE_MIN_MM if node else MEASURABLE_MIN_MM
        if size < minimum:
            what = "short axis" if node else "longest diameter"
            raise InputError(
                f"{what} {lesion.diameter_mm:g} mm is not measurable: RECIST 1.1 section 3.1.1 needs >= {minimum} mm",
                source=source,
                field=f"{where}.diameter_mm",
                fix="record it as a non-target lesion"
                + (" (nodes of 10 to < 15 mm are non-target; < 10 mm are normal)" if node else ""),
            )
        targets.append(TargetLesion(lesion.id, lesion.site, size))
    non_targets = []
    for index, non_target in enumerate(model.non_target_lesions):
        _refuse_repeated_id(non_target.id, f"baseline.non_target_lesions[{index}]", seen, source)
        non_targets.append(NonTargetLesion(non_target.id, non_target.site))
    return Baseline(model.date, tuple(targets), tuple(non_targets))


def _refuse_repeated_id(lesion_id: str, where: str, seen: dict[str, str], source: str) -> None:
    if lesion_id in seen:
        raise InputError(
            f"lesion id '{lesion_id}' is used twice (first at {seen[lesion_id]})",
            source=source,
            field=f"{where}.id",
            fix="give every baseline lesion its own id",
        )
    seen[lesion_id] = where


def _assessment(index: int, model: AssessmentModel, baseline: Baseline, source: str, start: dt.date) -> Assessment:
    where = f"assessments[{index}]"
    if model.date <= baseline.date:
        raise InputError(
            f"assessment date {model.date} is not after the baseline {baseline.date}",
            source=source,
            field=f"{where}.date",
            fix="correct the date; a follow-up comes after the baseline",
        )
    if model.date < start:
        raise InputError(
            f"assessment date {model.date} is before treatment start {start}",
            source=source,
            field=f"{where}.date",
            fix="correct the date or the treatment start",
        )
    target_ids = [lesion.id for lesion in baseline.target_lesions]
    non_target_ids = [lesion.id for lesion in baseline.non_target_lesions]
    _refuse_unknown_lesions(model.target_lesions, target_ids, non_target_ids, f"{where}.target_lesions", source)
    _refuse_unknown_lesions(model.non_target_lesions, non_target_ids, target_ids, f"{where}.non_target_lesions", source)
    for lesion_id in target_ids:
        if lesion_id not in model.target_lesions:
            raise InputError(
                "baseline target lesion missing",
                source=source,
                field=f"{where}.target_lesions.{lesion_id}",
                fix="give its size in mm, or null when it was not assessed",
            )
    for lesion_id in non_target_ids:
        if lesion_id not in model.non_target_lesions:
            raise InputError(
                "baseline non-target lesion missing",
                source=source,
                field=f"{where}.non_target_lesions.{lesion_id}",
                fix="give its status (absent, present, unequivocal_progression or not_evaluated)",
            )
    responses = []
    seen_criteria: set[str] = set()
    for position, entry in enumerate(model.responses):
        field = f"{where}.responses[{position}]"
        criteria = Criteria(entry.criteria)
        allowed = ENTERABLE_RESPONSES[criteria]
        if entry.response not in allowed:
            raise InputError(
                f"'{entry.response}' is not one of the {criteria} responses",
                source=source,
                field=f"{field}.response",
                fix=f"use one of {', '.join(allowed)}",
            )
        if criteria in seen_criteria:
            raise InputError(f"two {criteria} responses for one assessment", source=source, field=field, fix="keep one")
        seen_criteria.add(criteria)
        responses.append(EnteredResponse(criteria, entry.response))
    return Assessment(
        date=model.date,
        target_measurements={
            lesion_id: None if size is None else Decimal(repr(size)) for lesion_id, size in model.target_lesions.items()
        },
        non_target_statuses={
            lesion_id: NonTargetStatus(status) for lesion_id, status in model.non_target_lesions.items()
        },
        new_lesions=model.new_lesions,
        responses=tuple(responses),
    )


def _refuse_unknown_lesions(
    given: Mapping[str, object], known: list[str], other_kind: list[str], where: str, source: str
) -> None:
    for lesion_id in given:
        if lesion_id in known:
            continue
        if lesion_id in other_kind:
            kind = "non-target" if where.endswith(".target_lesions") else "target"
            raise InputError(
                f"lesion '{lesion_id}' is a {kind} lesion at baseline",
                source=source,
                field=f"{where}.{lesion_id}",
                fix=f"put it under {'non_target_lesions' if kind == 'non-target' else 'target_lesions'}",
            )
        raise InputError(
            "lesion not recorded at baseline: a lesion first seen at follow-up is a new lesion (RECIST 1.1 "
            "section 4.3.2)",
            source=source,
            field=f"{where}.{lesion_id}",
            fix="remove it and set new_lesions: true (or correct the id)",
        )


def _refuse_duplicate_dates(model: AssessmentFileModel, source: str) -> None:
    first_at: dict[dt.date, int] = {}
    for index, assessment in enumerate(model.assessments):
        if assessment.date in first_at:
            raise InputError(
                f"a second assessment on {assessment.date} (first at assessments[{first_at[assessment.date]}])",
                source=source,
                field=f"assessments[{index}].date",
                fix="merge the two into one assessment per date",
            )
        first_at[assessment.date] = index


def _refuse_mixed_criteria(assessments: tuple[Assessment, ...], source: str) -> None:
    """One patient is judged by one of iRECIST, RANO, Lugano; RANO and Lugano at every assessment (DOMAIN.md 5)."""
    first_at: dict[Criteria, int] = {}
    for index, assessment in enumerate(assessments):
        for position, entry in enumerate(assessment.responses):
            first_at.setdefault(entry.criteria, index)
            others = [criteria for criteria in first_at if criteria is not entry.criteria]
            if others:
                raise InputError(
                    f"a {entry.criteria} response while assessments[{first_at[others[0]]}] has a {others[0]} one: "
                    "one patient is judged by one criteria",
                    source=source,
                    field=f"assessments[{index}].responses[{position}]",
                    fix="keep the responses of the criteria the trial uses for this patient",
                )
    for criteria in first_at.keys() & {Criteria.RANO, Criteria.LUGANO}:
        for index, assessment in enumerate(assessments):
            if assessment.entered(criteria) is None:
                raise InputError(
                    f"no {criteria} response while other assessments have one",
                    source=source,
                    field=f"assessments[{index}].responses",
                    fix=f"enter a {criteria} response at every assessment (NE when not evaluable)",
                )
