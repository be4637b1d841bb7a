"""The server-rendered pages (Jinja2, htmx): sign-in, screening queue, patient page with the upload, the
tumour-board decision form and the assessment upload, cohort dashboard and audit log.

Pages sign in with a session cookie (HttpOnly, SameSite=Strict, Secure behind HTTPS) and every form that
writes carries the session's CSRF token (OWASP CSRF Prevention Cheat Sheet, synchroniser token pattern).
Each page calls the same services as the API and the command line; a domain error is shown on the page.
"""

from __future__ import annotations

import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from oncobasket.api.dependencies import State, WebState
from oncobasket.api.errors import error_status
from oncobasket.api.security import new_csrf_token, same_token
from oncobasket.api.uploads import read_upload
from oncobasket.core.access import Account, Action
from oncobasket.core.errors import InputError, OncoBasketError
from oncobasket.core.registry import DecisionForm, parse_date, parse_decision_code, parse_non_trial_option
from oncobasket.services import audit_trail, list_cohorts, record_assessments, record_decision, screen_patient
from oncobasket.services.accounts import authenticate, check_patient_visible, find_account, list_patients
from oncobasket.services.patient_report import patient_report_data

WEB_DATA = Path(str(files("oncobasket") / "data" / "web"))
templates = Jinja2Templates(directory=WEB_DATA / "templates")

router = APIRouter(include_in_schema=False)


class NotSignedInError(Exception):
    """No signed-in session: the page answers with a redirect to the sign-in page."""


def _csrf(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = new_csrf_token()
        request.session["csrf"] = token
    return token


def page_account(request: Request, state: State) -> Account:
    """The session's account, or a redirect to sign in."""
    username = request.session.get("username")
    account = find_account(state.registry("web"), username=username) if isinstance(username, str) else None
    if account is None:
        raise NotSignedInError
    return account


PageAccount = Annotated[Account, Depends(page_account)]


def check_csrf(request: Request, csrf_token: str) -> None:
    """403 unless the form carries the session's CSRF token."""
    if not same_token(request.session.get("csrf"), csrf_token):
        raise HTTPException(status_code=403, detail="the form's security token is missing or old; reload the page")


def _render(request: Request, name: str, account: Account | None, status_code: int = 200, **values: Any) -> Response:
    context = {"account": account, "csrf_token": _csrf(request), **values}
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _forbid(account: Account, action: Action) -> None:
    if not account.may(action):
        raise HTTPException(status_code=403, detail=f"the role '{account.role}' may not {action.replace('_', ' ')}")


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/patients", status_code=303)


@router.get("/login")
def login_page(request: Request) -> Response:
    return _render(request, "login.html", None)


@router.post("/login")
def login(
    request: Request,
    state: State,
    username: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    client = request.client.host if request.client is not None else "unknown"
    if state.throttle.blocked(username, client):
        return _render(request, "login.html", None, 429, error="Too many failed sign-ins; wait and try again.")
    account = authenticate(state.registry("web"), username=username, password=password)
    if account is None:
        state.throttle.failed(username, client)
        return _render(request, "login.html", None, 401, error="Wrong user name or password.")
    state.throttle.succeeded(username, client)
    # A new session on sign-in (no fixation): a fresh CSRF token with the account.
    request.session.clear()
    request.session["username"] = account.username
    request.session["csrf"] = new_csrf_token()
    return RedirectResponse("/patients", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    check_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/patients")
def patients_page(request: Request, state: State, account: PageAccount) -> Response:
    registry = state.registry(account.username)
    return _render(request, "patients.html", account, patients=list_patients(registry, account))


def _patient_page(
    request: Request, state: WebState, account: Account, study_id: str, status_code: int = 200, **values: Any
) -> Response:
    registry = state.registry(account.username)
    check_patient_visible(registry, account, study_id)
    patient = patient_report_data(registry, study_id)
    return _render(request, "patient.html", account, status_code, patient=patient, **values)


@router.get("/patients/{study_id}")
def patient_page(request: Request, state: State, account: PageAccount, study_id: str) -> Response:
    _forbid(account, Action.READ)
    notice = request.session.pop("notice", None)
    return _patient_page(request, state, account, study_id, notice=notice if isinstance(notice, str) else None)


def _after_write(
    request: Request, state: WebState, account: Account, study_id: str, *, error: OncoBasketError | None, done: str = ""
) -> Response:
    if error is None:
        # Post/Redirect/Get: reloading the patient page must not record the form again.
        request.session["notice"] = done
        return RedirectResponse(f"/patients/{study_id}", status_code=303)
    return _patient_page(request, state, account, study_id, error_status(error), error=str(error))


@router.post("/patients/{study_id}/decisions")
def decide(  # noqa: PLR0917 - FastAPI maps each parameter to a form field
    request: Request,
    state: State,
    account: PageAccount,
    study_id: str,
    decision: Annotated[str, Form(max_length=1)],
    rationale: Annotated[str, Form(max_length=4000)],
    meeting_date: Annotated[str, Form(max_length=10)],
    drug_biomarker: Annotated[str, Form(max_length=400)] = "",
    option: Annotated[str, Form(max_length=32)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    _forbid(account, Action.DECIDE)
    registry = state.registry(account.username)
    check_patient_visible(registry, account, study_id)
    drug, _, biomarker = drug_biomarker.partition("|")
    try:
        form = DecisionForm(
            study_id=study_id,
            code=parse_decision_code(decision),
            rationale=rationale,
            meeting_date=parse_date(meeting_date, field_name="meeting_date"),
            drug=drug or None,
            biomarker=biomarker or None,
            option=parse_non_trial_option(option) if option else None,
        )
        result = record_decision(registry, form)
    except OncoBasketError as error:
        return _after_write(request, state, account, study_id, error=error)
    return _after_write(request, state, account, study_id, error=None, done=f"Decision {result['decision']} recorded.")


@router.post("/patients/{study_id}/screenings")
async def upload_screening(  # noqa: PLR0917 - FastAPI maps each parameter to a field
    request: Request,
    state: State,
    account: PageAccount,
    study_id: str,
    file: UploadFile,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    _forbid(account, Action.WRITE_PATIENT)
    registry = state.registry(account.username)
    check_patient_visible(registry, account, study_id)
    try:
        content = await read_upload(file, limit=state.settings.max_upload_bytes)
        with tempfile.TemporaryDirectory(prefix="oncobasket-upload-") as folder:
            path = Path(folder) / "CombinedVariantOutput.tsv"
            path.write_bytes(content)
            result = screen_patient(registry, study_id, [path])
    except InputError as error:
        # The reader names the temporary file: the person uploading knows it by its own name.
        shown = InputError(error.rule, field="file", fix=error.fix)
        return _after_write(request, state, account, study_id, error=shown)
    except OncoBasketError as error:
        return _after_write(request, state, account, study_id, error=error)
    done = f"Screened sample {result['sample_id']}: {len(result['matches'])} match(es)."
    return _after_write(request, state, account, study_id, error=None, done=done)


@router.post("/patients/{study_id}/assessments")
async def upload_assessments(  # noqa: PLR0917 - FastAPI maps each parameter to a field
    request: Request,
    state: State,
    account: PageAccount,
    study_id: str,
    file: UploadFile,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    _forbid(account, Action.WRITE_PATIENT)
    registry = state.registry(account.username)
    check_patient_visible(registry, account, study_id)
    try:
        content = await read_upload(file, limit=state.settings.max_upload_bytes)
        with tempfile.TemporaryDirectory(prefix="oncobasket-upload-") as folder:
            path = Path(folder) / "assessments.json"
            path.write_bytes(content)
            record_assessments(registry, study_id, path)
    except InputError as error:
        shown = InputError(error.rule, field=error.field, fix=error.fix)
        return _after_write(request, state, account, study_id, error=shown)
    except OncoBasketError as error:
        return _after_write(request, state, account, study_id, error=error)
    return _after_write(request, state, account, study_id, error=None, done="Assessments recorded.")


@router.get("/cohorts")
def cohorts_page(request: Request, state: State, account: PageAccount) -> Response:
    _forbid(account, Action.READ)
    return _render(request, "cohorts.html", account, cohorts=list_cohorts(state.registry(account.username)))


@router.get("/audit")
def audit_page(  # noqa: PLR0917 - FastAPI maps each parameter to a field
    request: Request,
    state: State,
    account: PageAccount,
    actor: str | None = None,
    action: str | None = None,
    study_id: str | None = None,
) -> Response:
    _forbid(account, Action.READ_TRIAL)
    events = audit_trail(state.registry(account.username), study_id or None)
    shown = [
        event
        for event in reversed(events)
        if (not actor or event["actor"] == actor) and (not action or event["action"].startswith(action))
    ]
    filters = {"actor": actor, "action": action, "study_id": study_id}
    return _render(request, "audit.html", account, events=shown, filters=filters)


def page_error(request: Request, status_code: int, message: str) -> Response:
    """An error page: a domain error outside a form (a study ID in the URL that does not exist) or a refusal."""
    return _render(request, "base.html", None, status_code, error=message)
