"""Request and response schemas of the API: a Create / Update / Read family per entity.

The Read schemas carry the keys of the command-line contract (``--json``); their inner objects are left open
(``dict``) where the contract is documented in docs/cli.md, so the API and the CLI can never disagree.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2.0 token type, not a secret


class PatientCreate(_Strict):
    study_id: str = Field(max_length=64)
    site: str = Field(max_length=64)
    sex: str = Field(max_length=1)
    birth_year: int = Field(ge=1900, le=2100)
    tumour_type: str = Field(max_length=32, description="OncoTree code")
    icd10: str | None = Field(default=None, max_length=16)
    ecog: int | None = Field(default=None, ge=0, le=5)
    labs: list[str] = Field(default_factory=list, description="name=value")
    prior_lines: int | None = Field(default=None, ge=0, le=50)
    prior_therapies: list[str] | None = None


class PatientUpdate(_Strict):
    ecog: int | None = Field(default=None, ge=0, le=5)
    labs: list[str] = Field(default_factory=list)
    prior_lines: int | None = Field(default=None, ge=0, le=50)
    prior_therapies: list[str] | None = None
    reason: str | None = Field(default=None, max_length=2000)


class PatientSummary(BaseModel):
    study_id: str
    site: str
    oncotree_code: str
    registered_at: str


class DecisionCreate(_Strict):
    decision: str = Field(max_length=1, description="A, B, C or D")
    rationale: str = Field(max_length=4000)
    meeting_date: date
    drug: str | None = Field(default=None, max_length=200)
    biomarker: str | None = Field(default=None, max_length=200)
    option: str | None = Field(default=None, max_length=32, description="decision C: other_trial, ...")
    correction_reason: str | None = Field(default=None, max_length=2000)


class ConsentCreate(_Strict):
    date: date


class EnrolmentCreate(_Strict):
    override_reason: str | None = Field(default=None, max_length=2000)


class TreatmentCreate(_Strict):
    start_date: date
    doses: list[str] = Field(default_factory=list, description="DRUG=DOSE as given")
    route: str | None = Field(default=None, max_length=32)


class AdverseEventCreate(_Strict):
    term: str = Field(max_length=200)
    grade: str = Field(max_length=2)
    serious: bool = False
    relations: dict[str, str] = Field(default_factory=dict, description="drug -> relation")
    start_date: date
    outcome: str = Field(max_length=32)
    end_date: date | None = None
    specification: str | None = Field(default=None, max_length=200)


#: A registry answer, exactly as ``--json`` prints it (docs/cli.md).
Record = dict[str, Any]
