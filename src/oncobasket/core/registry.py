"""Pure values of the trial registry: tumour-board decisions, reasons for not treating, patient forms.

Sources: the MTB decision codes A-D are those of the InPreD/IMPRESS-Norway molecular tumour board
(DOMAIN.md section 7; Helland et al., J Transl Med 2022;20:225). The reasons a matched patient was not
treated follow the IMPRESS results paper's funnel (Puco et al., Acta Oncol 2024;63:379-384: other
trials, early access programmes, palliative care only, deterioration, death) and the harmonised
IMPRESS eCRF (PRIME-ROSE). ECOG performance status 0-5: Oken et al., Am J Clin Oncol 1982;5:649-655.
Laboratory values use the matcher's names and units (``core.matching.LAB_NAMES``,
``core.protocol.CRITERION_UNITS``), so that a value entered for a patient is one the eligibility
criteria can read.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from oncobasket.core.cohorts import Outcome
from oncobasket.core.errors import InputError
from oncobasket.core.matching import LAB_NAMES
from oncobasket.core.protocol import CRITERION_UNITS
from oncobasket.core.validation import check_free_text, check_site, check_whole_number, has_national_id_shape


class MtbDecisionCode(StrEnum):
    """The molecular tumour board's verdict on a case (InPreD MTB, DOMAIN.md section 7)."""

    A = "A"  # the trial match is confirmed
    B = "B"  # another alteration is proposed
    C = "C"  # a non-trial option: another trial, early access or standard care
    D = "D"  # no treatment proposal

    @property
    def meaning(self) -> str:
        """The words the tumour board uses for the code."""
        return _DECISION_MEANING[self]


_DECISION_MEANING = {
    MtbDecisionCode.A: "trial match confirmed",
    MtbDecisionCode.B: "another alteration proposed",
    MtbDecisionCode.C: "non-trial option recommended (other trial, early access or standard care)",
    MtbDecisionCode.D: "no treatment proposal",
}

#: Decisions that send the patient towards a trial cohort (A always; B when it names a trial drug).
COHORT_DECISIONS = frozenset({MtbDecisionCode.A, MtbDecisionCode.B})


class NonTrialOption(StrEnum):
    """Which non-trial option a decision C recommends (InPreD MTB code C, DOMAIN.md section 7: "a non-trial
    option is recommended (other trial, early access, standard care)"; the IMPRESS results paper reports
    these apart: Puco et al., Acta Oncol 2024;63:379-384)."""

    OTHER_TRIAL = "other_trial"
    EARLY_ACCESS = "early_access"
    STANDARD_CARE = "standard_care"


class NotTreatedReason(StrEnum):
    """Why a matched patient did not start trial treatment (IMPRESS funnel, Puco et al. 2024)."""

    DECLINED = "declined"
    DETERIORATED = "deteriorated"
    DIED = "died"
    OTHER_TRIAL = "other_trial"
    EARLY_ACCESS = "early_access"
    PALLIATIVE_CARE_ONLY = "palliative_care_only"
    INELIGIBLE = "ineligible"


class Sex(StrEnum):
    """Sex as recorded in the harmonised IMPRESS eCRF (PRIME-ROSE), with the HL7 administrative extras."""

    FEMALE = "F"
    MALE = "M"
    OTHER = "O"
    UNKNOWN = "U"


#: ECOG performance status runs from 0 (fully active) to 5 (dead): Oken et al. 1982.
ECOG_RANGE = range(6)

# Study IDs are pseudonyms: letters, digits and - _ . only, so that no name or birth date slips in
# with spaces or slashes; the length cap keeps them usable as file and table keys.
_STUDY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# A national identity number (a Norwegian fødselsnummer or D-number: 11 digits, however separated) is
# refused anywhere in an ID, also behind a prefix ("IMP-01019012345") or with several separators
# ("010190--12345"): core.validation.has_national_id_shape.
_LAB = re.compile(r"(?P<name>[A-Za-z][A-Za-z0-9_]*)=(?P<value>[^=\s]+)")
# The first year in which a living cancer patient could plausibly be born; later years are checked
# against the screening year by the service, which has the clock.
_EARLIEST_BIRTH_YEAR = 1900
_LATEST_BIRTH_YEAR = 9999  # a four-digit year; the service refuses one after this year
# More lines of systemic treatment than any patient receives (IMPRESS/DRUP patients had a median of
# 2-3, DOMAIN.md): a larger number is a typing error, and 2**63 would overflow the INTEGER column.
MAX_PRIOR_LINES = 30
# The drug, biomarker and prior-therapy names are VARCHAR(200) in the registry (db/models.py).
_MAX_NAME = 200


def check_study_id(study_id: str, *, field_name: str = "STUDY_ID") -> str:
    """A pseudonymous study ID: 1-64 characters, letters, digits, ``.``, ``_`` and ``-``, and nothing
    shaped like a national identity number (11 digits, or 6 + 5 digits with a separator).

    The errors never repeat the value: a study ID that breaks these rules may be a name or a national
    identity number, and errors must carry no personal data (errors.py; ARCHITECTURE.md privacy rule).
    """
    if has_national_id_shape(study_id):
        raise InputError(
            "looks like a national identity number (11 digits, or 6 + 5 digits with a separator: the shape of "
            "a Norwegian fødselsnummer); the value is not repeated here because it may be personal data",
            field=field_name,
            fix="use the trial's pseudonymous study ID, e.g. OB-0001, never a national identity number",
        )
    if not _STUDY_ID.fullmatch(study_id):
        raise InputError(
            "is not a pseudonymous study ID (1-64 letters, digits, '.', '_' or '-', starting with a letter or "
            "digit); the value is not repeated here because it may be personal data",
            field=field_name,
            fix="use the trial's pseudonymous study ID, e.g. OB-0001",
        )
    return study_id


def _lab_names() -> str:
    """The laboratory names the matcher reads, with their units: ``anc (10^9/L), platelets (10^9/L), ...``."""
    return ", ".join(f"{name} ({CRITERION_UNITS[name]})" for name in LAB_NAMES)


def check_lab(name: str, value: float, *, field_name: str = "--lab") -> None:
    """A laboratory value the eligibility criteria can use: a name the matcher knows
    (``core.matching.LAB_NAMES``) and a finite value >= 0 in that name's unit.

    A name the matcher does not know would be stored and then silently never checked (``platelet``
    for ``platelets``): every criterion needing it would stay "to be confirmed". A negative count,
    concentration or clearance is not a measurement (a typo such as ``anc=-5``).
    """
    if name not in LAB_NAMES:
        close = difflib.get_close_matches(name, LAB_NAMES, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise InputError(
            f"'{name}' is not a laboratory name the eligibility criteria use",
            field=field_name,
            fix=f"{hint}use one of {_lab_names()}, e.g. --lab anc=1.5",
        )
    unit = CRITERION_UNITS[name]
    if not math.isfinite(value):
        raise InputError(
            f"{name} = {value} is not a finite number",
            field=field_name,
            fix=f"give the measured value in {unit}, e.g. --lab {name}=1.5",
        )
    if value < 0:
        raise InputError(
            f"{name} = {value:g} is negative; a laboratory value is 0 or more",
            field=field_name,
            fix=f"give the measured value in {unit} (check the sign), e.g. --lab {name}=1.5",
        )


def parse_lab(text: str, *, field_name: str = "--lab") -> tuple[str, float]:
    """One laboratory value given as ``name=value`` (e.g. ``anc=1.5``), checked by :func:`check_lab`;
    the name is lower-cased."""
    found = _LAB.fullmatch(text.strip())
    if found is None:
        raise InputError(
            f"'{text}' is not a laboratory value",
            field=field_name,
            fix=f"write it as name=value, e.g. --lab anc=1.5, with one of {_lab_names()}",
        )
    try:
        value = float(found["value"])
    except ValueError:
        raise InputError(
            f"'{found['value']}' in '{text}' is not a number",
            field=field_name,
            fix="write it as name=value with a decimal number, e.g. --lab anc=1.5",
        ) from None
    name = found["name"].lower()
    check_lab(name, value, field_name=field_name)
    return name, value


def parse_labs(texts: Iterable[str], *, field_name: str = "--lab") -> MappingProxyType[str, float]:
    """Laboratory values as typed (``--lab name=value``, repeatable): every one checked by
    :func:`parse_lab`, each name at most once. The one parser of ``patient add``, ``patient update``
    and ``match``."""
    parsed: dict[str, float] = {}
    for text in texts:
        name, value = parse_lab(text, field_name=field_name)
        if name in parsed:
            raise InputError(f"laboratory value '{name}' is given twice", field=field_name, fix="give each value once")
        parsed[name] = value
    return MappingProxyType(parsed)


def parse_prior_therapies(names: Iterable[str] | None) -> tuple[str, ...] | None:
    """``--prior-therapy`` as typed: ``None`` (or nothing) is unknown; ``["none"]`` is none, ``()``;
    else the lower-case names without repeats (as ``oncobasket match`` takes them)."""
    given = list(names) if names is not None else []
    if not given:
        return None
    if any(not name.strip() for name in given):
        raise InputError(
            "a prior therapy name is empty", field="--prior-therapy", fix="give the generic drug name, or none"
        )
    for name in given:
        check_free_text(name, field="--prior-therapy", what="a prior therapy name", maximum=_MAX_NAME)
    cleaned = tuple(dict.fromkeys(name.strip().lower() for name in given))
    if "none" in cleaned:
        if len(cleaned) > 1:
            raise InputError(
                "'none' cannot be given with other prior therapies",
                field="--prior-therapy",
                fix="give --prior-therapy none alone, or list the drugs",
            )
        return ()
    return cleaned


def parse_decision_code(text: str) -> MtbDecisionCode:
    """A tumour-board decision code, A-D (upper or lower case)."""
    try:
        return MtbDecisionCode(text.strip().upper())
    except ValueError:
        raise InputError(
            f"'{text}' is not a tumour-board decision",
            field="--decision",
            fix="use A (confirm the trial match), B (another alteration), C (non-trial option) or D (no proposal)",
        ) from None


def parse_not_treated_reason(text: str) -> NotTreatedReason:
    """A reason a matched patient was not treated."""
    try:
        return NotTreatedReason(text.strip().lower().replace("-", "_"))
    except ValueError:
        raise InputError(
            f"'{text}' is not a reason for not treating",
            field="--reason",
            fix=f"use one of: {', '.join(reason.value for reason in NotTreatedReason)}",
        ) from None


def parse_non_trial_option(text: str) -> NonTrialOption:
    """The non-trial option of a decision C: other_trial, early_access or standard_care."""
    try:
        return NonTrialOption(text.strip().lower().replace("-", "_"))
    except ValueError:
        raise InputError(
            f"'{text}' is not a non-trial option",
            field="--option",
            fix=f"use one of: {', '.join(option.value for option in NonTrialOption)}",
        ) from None


def correction_reason(*, correct: bool, reason: str | None) -> str | None:
    """The reason of a correction (``--correct --reason TEXT``), or None when the command records afresh.

    A correction is a new event that names why (DOMAIN: "Nothing is ever deleted; corrections are new
    events"), so ``--correct`` needs a reason and a reason belongs only to a correction.
    """
    if not correct:
        if reason is not None:
            raise InputError(
                "--reason is only given with --correct",
                field="--reason",
                fix="add --correct to correct the recorded value, or leave out --reason",
            )
        return None
    if reason is None or not reason.strip():
        raise InputError(
            "a correction needs its reason",
            field="--reason",
            fix="add --reason TEXT saying why the recorded value is corrected (e.g. 'W16 scan re-read by radiology')",
        )
    return check_free_text(reason, field="--reason", what="the reason")


def parse_outcome(text: str) -> Outcome:
    """A week-16 outcome for the cohort rule: benefit, no_benefit or not_evaluable (never pending)."""
    allowed = [outcome.value for outcome in Outcome if outcome is not Outcome.PENDING]
    value = text.strip().lower().replace("-", "_")
    if value not in allowed:
        raise InputError(
            f"'{text}' is not a week-16 outcome", field="--outcome", fix=f"use one of: {', '.join(allowed)}"
        )
    return Outcome(value)


def parse_date(text: str, *, field_name: str) -> date:
    """An ISO calendar date ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"'{text}' is not a date",
            field=field_name,
            fix="write the date as YYYY-MM-DD, e.g. 2024-03-01",
        ) from None


@dataclass(frozen=True, slots=True)
class PatientForm:
    """What a coordinator enters to register a patient under a pseudonymous study ID.

    ``oncotree_code`` is the tumour type in OncoTree (with ``oncotree_version``), ``icd10`` its ICD-10
    code as used in Nordic registries (FORMATS.md, tumour types). ``labs`` are named values such as
    ``anc`` (10^9/L), checked against drug appendices by the matcher. ``prior_therapies`` are lower-case
    generic drug names (or the class names the protocol uses); None means unknown, () none.
    """

    study_id: str
    site: str
    sex: Sex
    birth_year: int
    oncotree_code: str
    oncotree_version: str
    icd10: str | None = None
    ecog: int | None = None
    labs: MappingProxyType[str, float] = field(default_factory=lambda: MappingProxyType({}))
    prior_lines: int | None = None
    prior_therapies: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        check_study_id(self.study_id)
        check_site(self.site)
        if self.birth_year < _EARLIEST_BIRTH_YEAR:
            raise InputError(
                f"birth year {self.birth_year} is before {_EARLIEST_BIRTH_YEAR}",
                field="--birth-year",
                fix="give the four-digit year of birth",
            )
        check_whole_number(
            self.birth_year,
            field="--birth-year",
            minimum=_EARLIEST_BIRTH_YEAR,
            maximum=_LATEST_BIRTH_YEAR,
            what="birth year",
            fix="give the four-digit year of birth",
        )
        _check_clinical(ecog=self.ecog, labs=self.labs, prior_lines=self.prior_lines)
        if not self.oncotree_code.strip():
            raise InputError("the tumour type is empty", field="--tumour-type", fix="give an OncoTree code, e.g. PAAD")
        if self.icd10 is not None and not re.fullmatch(r"[A-Z]\d{2}(\.\d{1,2})?", self.icd10):
            raise InputError(
                f"'{self.icd10}' is not an ICD-10 code",
                field="--icd10",
                fix="write it as letter, two digits and an optional decimal, e.g. C25.0",
            )

    def as_dict(self) -> dict[str, Any]:
        """The values as stored and audited."""
        return {
            "study_id": self.study_id,
            "site": self.site,
            "sex": str(self.sex),
            "birth_year": self.birth_year,
            "oncotree_code": self.oncotree_code,
            "oncotree_version": self.oncotree_version,
            "icd10": self.icd10,
            "ecog": self.ecog,
            "labs": dict(self.labs),
            "prior_lines": self.prior_lines,
            "prior_therapies": list(self.prior_therapies) if self.prior_therapies is not None else None,
        }


def _check_clinical(*, ecog: int | None, labs: Mapping[str, float], prior_lines: int | None) -> None:
    """The clinical facts eligibility is judged on: ECOG 0-5, known laboratory values >= 0, prior lines >= 0."""
    if ecog is not None and ecog not in ECOG_RANGE:
        raise InputError(
            f"ECOG {ecog} is outside 0-5",
            field="--ecog",
            fix="give the ECOG performance status 0-5 (Oken et al. 1982)",
        )
    for name, value in labs.items():
        check_lab(name, value)
    if prior_lines is not None and prior_lines < 0:
        raise InputError(f"{prior_lines} prior lines is negative", field="--prior-lines", fix="give 0 or more")
    if prior_lines is not None:
        check_whole_number(
            prior_lines,
            field="--prior-lines",
            minimum=0,
            maximum=MAX_PRIOR_LINES,
            what="prior lines",
            fix="give the number of earlier lines of systemic treatment",
        )


#: The clinical facts of a registered patient that ``patient update`` may change (the columns of
#: ``patients`` the matcher reads besides the tumour type, which a new registration would be needed for).
CLINICAL_FIELDS = ("ecog", "labs", "prior_lines", "prior_therapies")


@dataclass(frozen=True, slots=True)
class PatientUpdate:
    """New values of a registered patient's clinical facts (``oncobasket patient update``).

    ``None`` leaves a value as it is. ``labs`` are merged into the registered values (a name given
    replaces that value, the others stay); ``prior_therapies`` replaces the registered list (``()``
    says there were none); ``reason`` says why (e.g. "ECOG re-assessed at the pre-enrolment visit").
    At least one value must be given.
    """

    study_id: str
    ecog: int | None = None
    labs: MappingProxyType[str, float] = field(default_factory=lambda: MappingProxyType({}))
    prior_lines: int | None = None
    prior_therapies: tuple[str, ...] | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        check_study_id(self.study_id)
        _check_clinical(ecog=self.ecog, labs=self.labs, prior_lines=self.prior_lines)
        if self.reason is not None and not self.reason.strip():
            raise InputError("the reason is empty", field="--reason", fix="say why the values changed, or leave it out")
        if self.reason is not None:
            check_free_text(self.reason, field="--reason", what="the reason")
        if self.ecog is None and not self.labs and self.prior_lines is None and self.prior_therapies is None:
            raise InputError(
                "no new value is given: an update changes --ecog, --lab, --prior-lines or --prior-therapy",
                fix="give at least one of --ecog N, --lab NAME=VALUE, --prior-lines N, --prior-therapy NAME",
            )

    def applied_to(self, current: Mapping[str, Any]) -> dict[str, Any]:
        """The clinical values (:data:`CLINICAL_FIELDS`) after this update of ``current``."""
        labs = dict(current["labs"])
        labs.update(self.labs)
        return {
            "ecog": self.ecog if self.ecog is not None else current["ecog"],
            "labs": labs,
            "prior_lines": self.prior_lines if self.prior_lines is not None else current["prior_lines"],
            "prior_therapies": (
                list(self.prior_therapies) if self.prior_therapies is not None else current["prior_therapies"]
            ),
        }


@dataclass(frozen=True, slots=True)
class DecisionForm:
    """A tumour-board decision on one patient (InPreD MTB codes, DOMAIN.md section 7).

    A confirms the trial match (the drug and biomarker may be given to pick one of several matches);
    B proposes another alteration and must name the drug and biomarker; C and D name no trial drug.
    C must name which non-trial option it recommends (``option``: other trial, early access or standard
    care, DOMAIN.md section 7); A, B and D name none. ``correction_reason`` makes the form a correction
    of the decision in force (a new decision that supersedes it, with the reason); None records afresh.
    """

    study_id: str
    code: MtbDecisionCode
    rationale: str
    meeting_date: date
    drug: str | None = None
    biomarker: str | None = None
    option: NonTrialOption | None = None
    correction_reason: str | None = None

    def __post_init__(self) -> None:
        check_study_id(self.study_id)
        if not self.rationale.strip():
            raise InputError("the rationale is empty", field="--rationale", fix="say why the tumour board decided so")
        check_free_text(self.rationale, field="--rationale", what="the rationale")
        if self.correction_reason is not None and not self.correction_reason.strip():
            raise InputError(
                "the correction reason is empty", field="--reason", fix="say why the decision is corrected"
            )
        if self.correction_reason is not None:
            check_free_text(self.correction_reason, field="--reason", what="the correction reason")
        for name, value in (("--drug", self.drug), ("--biomarker", self.biomarker)):
            if value is not None:
                check_free_text(value, field=name, what=f"the {name[2:]}", maximum=_MAX_NAME)
        if self.code is MtbDecisionCode.C and self.option is None:
            raise InputError(
                "decision C (non-trial option) needs the option the board recommends",
                field="--option",
                fix=f"add --option with one of: {', '.join(option.value for option in NonTrialOption)}",
            )
        if self.code is not MtbDecisionCode.C and self.option is not None:
            raise InputError(
                f"decision {self.code} ({self.code.meaning}) names no non-trial option; "
                "--option is only for decision C",
                field="--option",
                fix="leave out --option, or record decision C",
            )
        if self.code is MtbDecisionCode.B and (self.drug is None or self.biomarker is None):
            raise InputError(
                "decision B (another alteration) needs the drug and the biomarker",
                field="--decision",
                fix="add --drug and --biomarker for the proposed alteration",
            )
        if self.code in (MtbDecisionCode.C, MtbDecisionCode.D) and self.drug is not None:
            raise InputError(
                f"decision {self.code} ({self.code.meaning}) names no trial drug",
                field="--drug",
                fix="leave out --drug, or record decision A or B",
            )
        if (self.drug is None) != (self.biomarker is None) and self.code is not MtbDecisionCode.A:
            raise InputError("give --drug and --biomarker together", field="--drug", fix="add the missing one")
