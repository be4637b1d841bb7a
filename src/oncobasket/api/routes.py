"""The REST API under ``/api/v1``: each route checks the account's grant, then calls the service the command
line calls (no business rule lives here) and returns its ``--json`` answer."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, HTTPException, Query, Request, UploadFile

from oncobasket.api.dependencies import ApiActing, State, require
from oncobasket.api.schemas import (
    AdverseEventCreate,
    ConsentCreate,
    DecisionCreate,
    EnrolmentCreate,
    PatientCreate,
    PatientSummary,
    PatientUpdate,
    Record,
    Token,
    TreatmentCreate,
)
from oncobasket.api.uploads import read_upload
from oncobasket.core.access import Action
from oncobasket.core.registry import (
    DecisionForm,
    parse_decision_code,
    parse_labs,
    parse_non_trial_option,
    parse_prior_therapies,
)
from oncobasket.core.registry import PatientUpdate as PatientChange
from oncobasket.core.treatment_entries import parse_doses
from oncobasket.services import (
    add_adverse_event,
    add_patient,
    audit_trail,
    enrol_patient,
    list_cohorts,
    patient_form,
    record_assessments,
    record_consent,
    record_decision,
    screen_patient,
    show_cohort,
    show_patient,
    start_treatment,
    update_patient,
)
from oncobasket.services.accounts import authenticate, list_patients
from oncobasket.services.analysis import build_analysis_dataset

router = APIRouter(prefix="/api/v1")


@router.post("/token", tags=["auth"])
def issue_token(
    request: Request,
    state: State,
    username: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=256)],
) -> Token:
    """Exchange a user name and password for a bearer token that expires."""
    client = request.client.host if request.client is not None else "unknown"
    if state.throttle.blocked(username, client):
        raise HTTPException(status_code=429, detail="too many failed sign-ins; wait and try again")
    account = authenticate(state.registry("api"), username=username, password=password)
    if account is None:
        state.throttle.failed(username, client)
        raise HTTPException(status_code=401, detail="wrong user name or password")
    state.throttle.succeeded(username, client)
    return Token(access_token=state.signer.issue(account.username))


@router.get("/patients", tags=["patients"])
def get_patients(acting: ApiActing) -> list[PatientSummary]:
    """The patients the account may see (an investigator: its own site's)."""
    require(acting.account, Action.READ)
    return [PatientSummary(**row) for row in list_patients(acting.registry, acting.account)]


@router.post("/patients", status_code=201, tags=["patients"])
def create_patient(acting: ApiActing, body: PatientCreate) -> Record:
    """Register a patient (``patient add``); an investigator only at its own site."""
    require(acting.account, Action.WRITE_PATIENT)
    if not acting.account.sees_site(body.site.strip()):
        raise HTTPException(status_code=403, detail="an investigator registers patients of its own site only")
    form = patient_form(
        study_id=body.study_id,
        site=body.site,
        sex=body.sex,
        birth_year=body.birth_year,
        oncotree_code=body.tumour_type,
        icd10=body.icd10,
        ecog=body.ecog,
        labs=body.labs,
        prior_lines=body.prior_lines,
        prior_therapies=body.prior_therapies,
    )
    return add_patient(acting.registry, form, entered_oncotree_code=body.tumour_type)


@router.get("/patients/{study_id}", tags=["patients"])
def get_patient(acting: ApiActing, study_id: str) -> Record:
    """A patient: the ``patient show --json`` object."""
    acting.patient(study_id)
    return show_patient(acting.registry, study_id)


@router.patch("/patients/{study_id}", tags=["patients"])
def change_patient(acting: ApiActing, study_id: str, body: PatientUpdate) -> Record:
    """New clinical values (``patient update``)."""
    acting.patient(study_id, Action.WRITE_PATIENT)
    change = PatientChange(
        study_id=study_id,
        ecog=body.ecog,
        labs=parse_labs(body.labs),
        prior_lines=body.prior_lines,
        prior_therapies=parse_prior_therapies(body.prior_therapies),
        reason=body.reason,
    )
    return update_patient(acting.registry, change)


@router.post("/patients/{study_id}/screenings", status_code=201, tags=["screening"])
async def upload_screening(acting: ApiActing, state: State, study_id: str, file: UploadFile) -> Record:
    """Screen the patient on an uploaded TSO500 CombinedVariantOutput file (``screen --patient``)."""
    acting.patient(study_id, Action.WRITE_PATIENT)
    content = await read_upload(file, limit=state.settings.max_upload_bytes)
    with tempfile.TemporaryDirectory(prefix="oncobasket-upload-") as folder:
        # The reader knows a TSO500 result by its banner; the fixed name keeps the client's file name out of paths.
        path = Path(folder) / "CombinedVariantOutput.tsv"
        path.write_bytes(content)
        return screen_patient(acting.registry, study_id, [path])


@router.post("/patients/{study_id}/decisions", status_code=201, tags=["decisions"])
def create_decision(acting: ApiActing, study_id: str, body: DecisionCreate) -> Record:
    """Record a tumour-board decision (``mtb decide``)."""
    acting.patient(study_id, Action.DECIDE)
    form = DecisionForm(
        study_id=study_id,
        code=parse_decision_code(body.decision),
        rationale=body.rationale,
        meeting_date=body.meeting_date,
        drug=body.drug,
        biomarker=body.biomarker,
        option=parse_non_trial_option(body.option) if body.option is not None else None,
        correction_reason=body.correction_reason,
    )
    return record_decision(acting.registry, form)


@router.post("/patients/{study_id}/consent", status_code=201, tags=["enrolment"])
def create_consent(acting: ApiActing, study_id: str, body: ConsentCreate) -> Record:
    """Record informed consent (``consent``)."""
    acting.patient(study_id, Action.WRITE_PATIENT)
    return record_consent(acting.registry, study_id, body.date)


@router.post("/patients/{study_id}/enrolment", status_code=201, tags=["enrolment"])
def create_enrolment(acting: ApiActing, study_id: str, body: EnrolmentCreate) -> Record:
    """Enrol the patient in the cohort of the decision in force (``enrol``)."""
    acting.patient(study_id, Action.WRITE_PATIENT)
    return enrol_patient(acting.registry, study_id, override_reason=body.override_reason)


@router.post("/patients/{study_id}/treatment", status_code=201, tags=["outcomes"])
def create_treatment(acting: ApiActing, study_id: str, body: TreatmentCreate) -> Record:
    """Record cycle 1 day 1 (``treatment start``)."""
    acting.patient(study_id, Action.WRITE_PATIENT)
    doses = parse_doses(body.doses, field="doses")
    return start_treatment(acting.registry, study_id, start_date=body.start_date, doses=doses, route=body.route)


@router.post("/patients/{study_id}/adverse-events", status_code=201, tags=["outcomes"])
def create_adverse_event(acting: ApiActing, study_id: str, body: AdverseEventCreate) -> Record:
    """Record an adverse event, CTCAE v5.0 (``ae add``)."""
    acting.patient(study_id, Action.WRITE_PATIENT)
    return add_adverse_event(
        acting.registry,
        study_id,
        term=body.term,
        grade=body.grade,
        serious=body.serious,
        relations=body.relations,
        start_date=body.start_date,
        outcome=body.outcome,
        end_date=body.end_date,
        specification=body.specification,
    )


@router.post("/patients/{study_id}/assessments", status_code=201, tags=["outcomes"])
def create_assessments(
    acting: ApiActing, study_id: str, document: Annotated[dict[str, Any], Body(description="docs/recist.md")]
) -> Record:
    """Record baseline and follow-up tumour assessments (``assess --file``: the same document as JSON)."""
    import json

    acting.patient(study_id, Action.WRITE_PATIENT)
    with tempfile.TemporaryDirectory(prefix="oncobasket-upload-") as folder:
        path = Path(folder) / "assessments.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        return record_assessments(acting.registry, study_id, path)


@router.get("/patients/{study_id}/audit", tags=["audit"])
def get_patient_audit(acting: ApiActing, study_id: str) -> list[Record]:
    """The patient's audit trail."""
    acting.patient(study_id)
    return audit_trail(acting.registry, study_id)


@router.get("/cohorts", tags=["cohorts"])
def get_cohorts(acting: ApiActing) -> list[Record]:
    """Every cohort: the ``cohort list --json`` array."""
    require(acting.account, Action.READ)
    return list_cohorts(acting.registry)


@router.get("/cohorts/{name}", tags=["cohorts"])
def get_cohort(acting: ApiActing, name: str) -> Record:
    """One cohort (``cohort show --json``)."""
    require(acting.account, Action.READ)
    return show_cohort(acting.registry, name)


@router.get("/endpoints", tags=["endpoints"])
def get_endpoints(
    acting: ApiActing, as_of: Annotated[date, Query(description="data cut-off")], by: str | None = None
) -> Record:
    """The trial's endpoints at a cut-off (``endpoints --as-of --json``); the whole trial, so not for one site."""
    from oncobasket.core.endpoints import endpoint_report

    require(acting.account, Action.READ_TRIAL)
    dataset = build_analysis_dataset(acting.registry, as_of=as_of)
    report: Record = endpoint_report(dataset.rows, by=by).as_dict()
    return report


@router.get("/audit", tags=["audit"])
def get_audit(acting: ApiActing, actor: str | None = None, action: str | None = None) -> list[Record]:
    """The whole audit trail, filtered by actor and action; an investigator reads its patients' trails instead."""
    require(acting.account, Action.READ_TRIAL)
    events = audit_trail(acting.registry)
    return [
        event
        for event in events
        if (actor is None or event["actor"] == actor) and (action is None or event["action"] == action)
    ]
