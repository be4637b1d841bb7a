"""Use cases: each public function is one thing a user does, and owns its one transaction.

The entry point (CLI, API, a test) builds :class:`Settings` and opens a :class:`Registry` from them: the
database, the acting user and the clock. Nothing here reads the environment or the clock on its own.
Every function checks its input before it writes, runs in one transaction (all or nothing), appends
to the audit trail and returns a JSON-ready dictionary (the ``--json`` output of its command).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from pathlib import Path
from shlex import quote
from types import MappingProxyType
from typing import Any

from sqlalchemy.orm import Session

from oncobasket.core.cohorts import (
    CLOSED_STATUSES,
    CohortState,
    Outcome,
    Transition,
    TwoStageRule,
    accepting,
    add_pooled,
    enrol,
    new_cohort,
    next_decision,
    open_expansion,
    places_left,
    refusal,
    resume,
    suspend,
    tally,
)
from oncobasket.core.cohorts import PooledCount as CorePooledCount
from oncobasket.core.cohorts import correct_outcome as core_correct_outcome
from oncobasket.core.cohorts import record_outcome as core_record_outcome
from oncobasket.core.errors import ConflictError, InputError
from oncobasket.core.matching import (
    EligibilityStatus,
    PatientFacts,
    combine,
    evaluate_eligibility,
    match_profile,
    tumour_group,
)
from oncobasket.core.profiles import MolecularProfile, ProfileSettings
from oncobasket.core.protocol import Protocol, cohort_name
from oncobasket.core.registry import (
    CLINICAL_FIELDS,
    DecisionForm,
    MtbDecisionCode,
    NotTreatedReason,
    PatientForm,
    PatientUpdate,
    Sex,
    check_study_id,
    parse_labs,
    parse_prior_therapies,
)
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.db import repository
from oncobasket.db.models import (
    AuditEvent,
    Cohort,
    Enrolment,
    MatchSuggestion,
    MtbDecision,
    Patient,
    ProtocolVersion,
    Screening,
    SlotBudget,
)
from oncobasket.db.session import DEFAULT_DATABASE_URL, Database
from oncobasket.io.oncotree import load_shipped_tumour_types
from oncobasket.io.protocol_file import default_protocol_path, parse_protocol
from oncobasket.io.readers import read_profiles


@cache
def _tumour_types() -> TumourTypes:
    """The OncoTree subset OncoBasket ships, read once (package data: it does not change while it runs)."""
    return load_shipped_tumour_types()


@lru_cache(maxsize=4)
def _parsed_protocol(text: str, version: str) -> Protocol:
    """A stored protocol's text parsed once per process (the text is immutable once stored)."""
    return parse_protocol(text, source=f"stored protocol {version}", tumour_types=_tumour_types())


# The audit trail's actor column holds 128 characters.
_MAX_USER_LENGTH = 128


def utc_now() -> datetime:
    """The wall clock in UTC: the clock entry points pass in (tests pass a fixed one)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Settings:
    """What the entry point decided: which database, who acts, which clock."""

    database_url: str = DEFAULT_DATABASE_URL
    user: str = "unknown"
    clock: Callable[[], datetime] = field(default=utc_now)


@dataclass(frozen=True, slots=True)
class Registry:
    """An open trial registry: the database plus the acting user and the clock (the unit of work's
    context). Each service function opens exactly one transaction on it."""

    database: Database
    actor: str
    clock: Callable[[], datetime]

    @classmethod
    def open(cls, settings: Settings) -> Registry:
        """Connect to the settings' database (nothing is created or migrated here)."""
        if not settings.user.strip() or len(settings.user) > _MAX_USER_LENGTH:
            raise InputError(
                f"the acting user must be 1-{_MAX_USER_LENGTH} characters",
                field="--user",
                fix="give your user name with --user or ONCOBASKET_USER",
            )
        return cls(database=Database(settings.database_url), actor=settings.user, clock=settings.clock)

    def close(self) -> None:
        """Release the database connections."""
        self.database.dispose()

    def now(self) -> datetime:
        """The clock's time, which must carry a zone (stored in UTC)."""
        moment = self.clock()
        if moment.tzinfo is None:
            raise ValueError("the service clock must return an aware datetime")
        return moment.astimezone(UTC)

    def audit(
        self,
        session: Session,
        *,
        at: datetime,
        action: str,
        entity: str,
        entity_id: int | None,
        study_id: str | None,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        """Append one event (who, what, when, before and after) to the trail."""
        repository.add_audit_event(
            session,
            at=at,
            actor=self.actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            study_id=study_id,
            before=_jsonable(before),
            after=_jsonable(after),
        )


def _jsonable(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {key: _json_value(value) for key, value in values.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return value


def sha256_of(path: Path) -> str:
    """The SHA-256 checksum of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Read models: what the commands print with --json
# ---------------------------------------------------------------------------------------------


def patient_view(row: Patient) -> dict[str, Any]:
    """A patient as shown and audited."""
    return {
        "study_id": row.study_id,
        "site": row.site,
        "sex": row.sex,
        "birth_year": row.birth_year,
        "oncotree_code": row.oncotree_code,
        "oncotree_version": row.oncotree_version,
        "icd10": row.icd10,
        "ecog": row.ecog,
        "labs": dict(row.labs),
        "prior_lines": row.prior_lines,
        "prior_therapies": row.prior_therapies,
        "registered_at": row.registered_at.isoformat(),
    }


def decision_view(row: MtbDecision, *, cohort: Cohort | None) -> dict[str, Any]:
    """A tumour-board decision as shown and audited.

    ``non_trial_option`` is the option a decision C recommends (null otherwise); ``corrects`` is the ID of
    the decision this one corrects (null for a first decision), with ``correction_reason``.
    """
    return {
        "id": row.id,
        "decision": row.code,
        "non_trial_option": row.non_trial_option,
        "drug": row.drug,
        "biomarker": row.biomarker,
        "cohort": cohort.name if cohort is not None else None,
        "cohort_id": row.cohort_id,
        "eligible": row.eligible,
        "failed_criteria": list(row.failed_criteria),
        "rationale": row.rationale,
        "meeting_date": row.meeting_date.isoformat(),
        "recorded_at": row.recorded_at.isoformat(),
        "corrects": row.corrects_id,
        "correction_reason": row.correction_reason,
    }


def audit_view(row: AuditEvent) -> dict[str, Any]:
    """One audit event."""
    return {
        "id": row.id,
        "at": row.at.isoformat(),
        "actor": row.actor,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "study_id": row.study_id,
        "before": row.before,
        "after": row.after,
    }


# ---------------------------------------------------------------------------------------------
# Patients, consent, reasons for not treating, the audit trail
# ---------------------------------------------------------------------------------------------


def patient_form(
    *,
    study_id: str,
    site: str,
    sex: str,
    birth_year: int,
    oncotree_code: str,
    icd10: str | None = None,
    ecog: int | None = None,
    labs: Sequence[str] = (),
    prior_lines: int | None = None,
    prior_therapies: Sequence[str] | None = None,
) -> PatientForm:
    """Check a patient form as typed (``--lab name=value``, sex letters, an OncoTree code).

    Laboratory values are parsed by ``core.registry.parse_labs``, as for ``patient update`` and
    ``match``: names the eligibility criteria use, values finite and >= 0.

    The OncoTree code must be one OncoBasket knows (the shipped OncoTree subset); it is stored with that
    OncoTree version (FORMATS.md: store the OncoTree version with every code). A retired code with one
    successor (``GBM`` -> ``GB``, OncoTree history) is stored as the successor; pass the code as entered to
    :func:`add_patient` (``entered_oncotree_code``) so that the registration keeps it and warns.
    """
    try:
        sex_value = Sex(sex.strip().upper())
    except ValueError:
        raise InputError(
            f"'{sex}' is not a sex code", field="--sex", fix="use F, M, O (other) or U (unknown)"
        ) from None
    parsed = parse_labs(labs)
    tumour_types = _tumour_types()
    code = oncotree_code.strip().upper()
    if code not in tumour_types:
        if tumour_types.retired(code) is None:
            raise InputError(
                f"'{oncotree_code}' is not an OncoTree code of OncoTree {tumour_types.version}",
                field="--tumour-type",
                fix="give the OncoTree code of the tumour type, e.g. PAAD, LUAD, COAD (oncotree.mskcc.org)",
            )
        code = tumour_types.resolve(code, field="--tumour-type").code
    return PatientForm(
        study_id=study_id,
        site=site.strip(),
        sex=sex_value,
        birth_year=birth_year,
        oncotree_code=code,
        oncotree_version=tumour_types.version,
        icd10=icd10.strip().upper() if icd10 is not None else None,
        ecog=ecog,
        labs=parsed,
        prior_lines=prior_lines,
        prior_therapies=parse_prior_therapies(prior_therapies),
    )


def add_patient(registry: Registry, form: PatientForm, *, entered_oncotree_code: str | None = None) -> dict[str, Any]:
    """Register a patient under a pseudonymous study ID (duplicates are refused).

    ``entered_oncotree_code`` is the tumour type as the user typed it: when it is a retired OncoTree code
    that :func:`patient_form` replaced by its successor, the result and the audit trail keep it
    (``entered_oncotree_code``) with the warning naming both codes (``warnings``).
    """
    registry.database.check_schema()
    now = registry.now()
    if form.birth_year > now.year:
        raise InputError(
            f"birth year {form.birth_year} is in the future", field="--birth-year", fix="give the year of birth"
        )
    mapping: dict[str, Any] = {}
    if entered_oncotree_code is not None and entered_oncotree_code.strip().upper() != form.oncotree_code:
        resolved = _tumour_types().resolve(entered_oncotree_code, field="--tumour-type")
        if resolved.code != form.oncotree_code:
            raise InputError(
                f"the entered tumour type {resolved.entered} stands for {resolved.code}, "
                f"but the form holds {form.oncotree_code}",
                field="--tumour-type",
                fix="build the form from the same code with patient_form",
            )
        mapping = {
            "entered_oncotree_code": resolved.entered,
            "warnings": [f"--tumour-type: {resolved.warning}"],
        }
    with registry.database.transaction() as session:
        if repository.get_patient(session, study_id=form.study_id) is not None:
            raise ConflictError(
                f"study ID '{form.study_id}' is already registered; study IDs are unique, use the next free ID"
            )
        row = repository.add_patient(session, values=form.as_dict(), registered_at=now)
        view = {**patient_view(row), **mapping}
        registry.audit(
            session,
            at=now,
            action="patient.add",
            entity="patient",
            entity_id=row.id,
            study_id=row.study_id,
            before=None,
            after=view,
        )
        return view


def _clinical_values(row: Patient) -> dict[str, Any]:
    """The clinical facts ``patient update`` may change (``core.registry.CLINICAL_FIELDS``), as stored."""
    return {
        "ecog": row.ecog,
        "labs": dict(row.labs),
        "prior_lines": row.prior_lines,
        "prior_therapies": list(row.prior_therapies) if row.prior_therapies is not None else None,
    }


def update_patient(registry: Registry, update: PatientUpdate) -> dict[str, Any]:
    """Record new values of a registered patient's ECOG, laboratory values, prior lines or prior therapies.

    The patient row holds the values in force, read by every later screening, decision and enrolment
    (eligibility is judged on them then; see :func:`enrol_patient`); the earlier values are kept in the
    audit trail (``patient.update``, with the fields changed before and after and the reason): nothing is
    deleted. Laboratory values given are merged into the registered ones; prior therapies given replace
    the registered list. Values equal to the registered ones change nothing and write nothing.
    ``eligibility`` is the decision in force (when it points to a cohort) judged again on the new values.
    """
    registry.database.check_schema()
    now = registry.now()
    reason = update.reason.strip() if update.reason is not None else None
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=update.study_id, lock=True)
        before = _clinical_values(patient)
        after = update.applied_to(before)
        changed = [name for name in CLINICAL_FIELDS if after[name] != before[name]]
        if changed:
            patient.ecog = after["ecog"]
            patient.labs = after["labs"]
            patient.prior_lines = after["prior_lines"]
            patient.prior_therapies = after["prior_therapies"]
            session.flush()
            registry.audit(
                session,
                at=now,
                action="patient.update",
                entity="patient",
                entity_id=patient.id,
                study_id=patient.study_id,
                before={name: before[name] for name in changed},
                after={**{name: after[name] for name in changed}, "reason": reason},
            )
        return {
            "study_id": patient.study_id,
            "changed": changed,
            "before": {name: before[name] for name in changed},
            "after": {name: after[name] for name in changed},
            "values": after,
            "reason": reason,
            "updated_at": now.isoformat() if changed else None,
            "eligibility": _decision_eligibility(session, patient, on=now.date()),
        }


def _decision_eligibility(session: Session, patient: Patient, *, on: date) -> dict[str, Any] | None:
    """The decision in force that points to a cohort, with its eligibility judged again on the values in
    force (as ``enrol`` will judge it); None without such a decision."""
    decision = repository.latest_decision(session, patient_id=patient.id)
    if decision is None or decision.cohort_id is None or decision.drug is None:
        return None
    eligible, failed = _decision_in_force_eligibility(session, patient, decision, on=on)
    enrolled = any(
        item.cohort_id == decision.cohort_id for item in repository.patient_enrolments(session, patient_id=patient.id)
    )
    return {
        "decision": decision.code,
        "decision_id": decision.id,
        "drug": decision.drug,
        "biomarker": decision.biomarker,
        "cohort": _cohort_name(session, decision.cohort_id),
        "enrolled": enrolled,
        "eligible_at_decision": decision.eligible,
        "eligible": eligible,
        "failed_criteria": failed,
    }


def show_patient(registry: Registry, study_id: str) -> dict[str, Any]:
    """A patient with the decision in force, consent, enrolments and reasons for not treating."""
    check_study_id(study_id)
    registry.database.check_schema()
    with registry.database.transaction(write=False) as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id)
        view = patient_view(patient)
        decision = repository.latest_decision(session, patient_id=patient.id)
        cohort = (
            repository.get_cohort(session, cohort_id=decision.cohort_id)
            if decision is not None and decision.cohort_id is not None
            else None
        )
        view["decision"] = decision_view(decision, cohort=cohort) if decision is not None else None
        consent = repository.latest_consent(session, patient_id=patient.id)
        view["consent_date"] = consent.consent_date.isoformat() if consent is not None else None
        view["enrolments"] = [
            {
                "cohort": _cohort_name(session, enrolment.cohort_id),
                "cohort_id": enrolment.cohort_id,
                "place": enrolment.position + 1,
                "outcome": enrolment.outcome,
                "override_reason": enrolment.override_reason,
                "enrolled_at": enrolment.enrolled_at.isoformat(),
                "outcome_corrections": [
                    {
                        "before": item.outcome_before,
                        "after": item.outcome_after,
                        "reason": item.reason,
                        "recorded_at": item.recorded_at.isoformat(),
                    }
                    for item in repository.outcome_corrections(session, enrolment_id=enrolment.id)
                ],
            }
            for enrolment in repository.patient_enrolments(session, patient_id=patient.id)
        ]
        view["not_treated"] = [
            {"reason": item.reason, "criterion": item.criterion, "note": item.note}
            for item in repository.not_treated_reasons(session, patient_id=patient.id)
        ]
        return view


def _cohort_name(session: Session, cohort_id: int) -> str:
    return repository.get_cohort_or_raise(session, name_or_id=cohort_id).name


def record_consent(registry: Registry, study_id: str, consent_date: date) -> dict[str, Any]:
    """Record the date the patient signed informed consent (a later record corrects an earlier one)."""
    check_study_id(study_id)
    registry.database.check_schema()
    now = registry.now()
    if consent_date > now.date():
        raise InputError(
            f"consent date {consent_date.isoformat()} is in the future",
            field="--date",
            fix="give the date the consent form was signed",
        )
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id)
        previous = repository.latest_consent(session, patient_id=patient.id)
        row = repository.add_consent(session, patient_id=patient.id, consent_date=consent_date, recorded_at=now)
        after = {"consent_date": consent_date.isoformat()}
        registry.audit(
            session,
            at=now,
            action="consent.record",
            entity="consent",
            entity_id=row.id,
            study_id=study_id,
            before={"consent_date": previous.consent_date.isoformat()} if previous is not None else None,
            after=after,
        )
        return {"study_id": study_id, **after}


def record_not_treated(
    registry: Registry,
    study_id: str,
    reason: NotTreatedReason,
    *,
    criterion: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record why a matched patient was not treated; ``ineligible`` must name the criterion failed."""
    check_study_id(study_id)
    registry.database.check_schema()
    if reason is NotTreatedReason.INELIGIBLE and not (criterion and criterion.strip()):
        raise InputError(
            "reason 'ineligible' needs the criterion the patient failed",
            field="--criterion",
            fix="add --criterion, e.g. --criterion 'ecog <= 2'",
        )
    if reason is not NotTreatedReason.INELIGIBLE and criterion is not None:
        raise InputError(
            f"--criterion is only for reason 'ineligible', not '{reason}'",
            field="--criterion",
            fix="leave it out or use --note",
        )
    now = registry.now()
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id)
        enrolments = repository.patient_enrolments(session, patient_id=patient.id)
        if enrolments:
            raise ConflictError(
                f"patient '{study_id}' is enrolled in a cohort; a reason for not treating applies only to "
                "patients who did not start trial treatment: for an enrolled patient record the week-16 outcome "
                f"with `oncobasket outcome record {study_id}` (not_evaluable when treatment stopped early)"
            )
        row = repository.add_not_treated(
            session, patient_id=patient.id, reason=str(reason), criterion=criterion, note=note, recorded_at=now
        )
        after = {"reason": str(reason), "criterion": criterion, "note": note}
        registry.audit(
            session,
            at=now,
            action="not_treated.record",
            entity="not_treated",
            entity_id=row.id,
            study_id=study_id,
            before=None,
            after=after,
        )
        return {"study_id": study_id, **after}


def audit_trail(registry: Registry, study_id: str | None = None) -> list[dict[str, Any]]:
    """The audit trail, oldest first; one patient's events with ``study_id``."""
    if study_id is not None:
        check_study_id(study_id, field_name="--patient")
    registry.database.check_schema()
    with registry.database.transaction(write=False) as session:
        if study_id is not None:
            repository.get_patient_or_raise(session, study_id=study_id)
        return [audit_view(row) for row in repository.audit_events(session, study_id=study_id)]


# ---------------------------------------------------------------------------------------------
# The trial: schema and protocol
# ---------------------------------------------------------------------------------------------


def init_trial(registry: Registry, protocol_path: Path | None = None) -> dict[str, Any]:
    """Create or migrate the database, then load the protocol (default: the shipped one).

    The protocol's full text, version and SHA-256 checksum are stored; loading the same file again adds
    nothing. A file whose version is already stored with other content is refused: a changed protocol
    must carry a new version, because screenings and decisions name the protocol version they used and
    must be traceable to its text (ICH E6 good clinical practice keeps the protocol and each amendment as
    identified essential documents). Slot budgets (per drug or per company agreement) are created or
    resized from it; a budget can never shrink below the slots already used.
    """
    path = protocol_path if protocol_path is not None else default_protocol_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such protocol file", source=str(path), fix="check the path given to --protocol") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=str(path), fix="save the protocol as UTF-8 YAML") from None
    protocol = parse_protocol(text, source=str(path), tumour_types=_tumour_types())
    checksum = hashlib.sha256(raw).hexdigest()
    budgets = _slot_budgets(protocol)
    status = registry.database.upgrade()
    now = registry.now()
    with registry.database.transaction() as session:
        current = repository.current_protocol(session)
        loaded = current is None or current.sha256 != checksum
        if loaded:
            _check_new_version(session, protocol=protocol, sha256=checksum, file_name=path.name)
            row = repository.add_protocol_version(
                session,
                name=protocol.name,
                version=protocol.version,
                sha256=checksum,
                text=text,
                loaded_at=now,
                loaded_by=registry.actor,
            )
            registry.audit(
                session,
                at=now,
                action="protocol.load",
                entity="protocol",
                entity_id=row.id,
                study_id=None,
                before=_protocol_summary(current) if current is not None else None,
                after={"name": protocol.name, "version": protocol.version, "sha256": checksum, "file": path.name},
            )
        for name, (drugs, total) in budgets.items():
            _sync_slot_budget(registry, session, name=name, drugs=drugs, total=total, at=now)
        return {
            "database": _safe_url(registry.database),
            "schema_revision": status.current,
            "protocol": {"name": protocol.name, "version": protocol.version, "sha256": checksum},
            "protocol_loaded": loaded,
            "slot_budgets": [_budget_view(row) for row in repository.list_slot_budgets(session)],
        }


def _check_new_version(session: Session, *, protocol: Protocol, sha256: str, file_name: str) -> None:
    """Refuse a protocol whose version is already stored with other content (a change needs a new version)."""
    clash = next(
        (row for row in repository.protocol_versions(session, version=protocol.version) if row.sha256 != sha256),
        None,
    )
    if clash is None:
        return
    raise ConflictError(
        f"{file_name}: field 'version': protocol version '{protocol.version}' is already loaded with other "
        f"content (stored on {clash.loaded_at.date().isoformat()} with sha256 {clash.sha256[:12]}..., this file "
        f"has sha256 {sha256[:12]}...); a changed protocol must carry a new version so that every screening and "
        "decision can be traced to the text it used, and nothing was loaded or resized; give the file a new "
        f"`version:` (e.g. '{protocol.version}.1' or the amendment's number) and run `oncobasket trial init` "
        "again, or load the stored text unchanged"
    )


def _protocol_summary(row: ProtocolVersion) -> dict[str, Any]:
    return {"name": row.name, "version": row.version, "sha256": row.sha256}


def _safe_url(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=True)


def _slot_budgets(protocol: Protocol) -> dict[str, tuple[list[str], int]]:
    """Budget name -> (drug keys, slots), from each drug's own cap or its company agreement."""
    budgets: dict[str, tuple[list[str], int]] = {}
    for drug in protocol.drugs:
        budget = protocol.slot_budget(drug)
        if budget is None:
            continue
        name, total = budget
        drugs, _ = budgets.get(name, ([], total))
        budgets[name] = ([*drugs, drug.key], total)
    return budgets


def _sync_slot_budget(
    registry: Registry, session: Session, *, name: str, drugs: list[str], total: int, at: datetime
) -> None:
    existing = repository.get_slot_budget(session, name=name)
    if existing is None:
        row = repository.add_slot_budget(session, name=name, drugs=sorted(drugs), total=total)
        registry.audit(
            session,
            at=at,
            action="slot_budget.open",
            entity="slot_budget",
            entity_id=row.id,
            study_id=None,
            before=None,
            after=_budget_view(row),
        )
        return
    if existing.total == total and existing.drugs == sorted(drugs):
        return
    if total < existing.used:
        raise ConflictError(
            f"the protocol gives slot budget '{name}' {total} slots but {existing.used} are already used; "
            f"a budget cannot shrink below the slots used: give it at least {existing.used} slots in the protocol "
            "(and a new version)"
        )
    before = _budget_view(existing)
    existing.total = total
    existing.drugs = sorted(drugs)
    session.flush()
    registry.audit(
        session,
        at=at,
        action="slot_budget.resize",
        entity="slot_budget",
        entity_id=existing.id,
        study_id=None,
        before=before,
        after=_budget_view(existing),
    )


def _budget_view(row: SlotBudget) -> dict[str, Any]:
    return {
        "name": row.name,
        "drugs": list(row.drugs),
        "total": row.total,
        "used": row.used,
        "left": row.total - row.used,
    }


def _stored_protocol(session: Session) -> tuple[ProtocolVersion, Protocol]:
    """The protocol in force, parsed from the text stored by ``trial init``."""
    row = repository.current_protocol_or_raise(session)
    return row, _parsed_protocol(row.text, row.version)


# ---------------------------------------------------------------------------------------------
# Screening and tumour-board decisions
# ---------------------------------------------------------------------------------------------


def patient_facts(row: Patient, *, on: date) -> PatientFacts:
    """What the matcher may know about a registered patient on a given day.

    Only the birth year is stored (privacy), so the age is the least the patient can be on that day
    (year difference minus one): an age criterion is never passed on a guess. Prior therapies not
    registered stay unknown ("to be confirmed").
    """
    return PatientFacts(
        tumour_type=row.oncotree_code,
        icd10=row.icd10,
        age=float(max(0, on.year - row.birth_year - 1)),
        ecog=row.ecog,
        labs=MappingProxyType(dict(row.labs)),
        prior_therapies=tuple(row.prior_therapies) if row.prior_therapies is not None else None,
        sex=row.sex,
    )


def _source_checksums(paths: Sequence[Path], profile: MolecularProfile) -> list[dict[str, Any]]:
    """SHA-256 of every file the profile was read from.

    Readers list the files they read in ``profile.sources`` (for a TSO500 folder: the sample's outputs
    and the run's MetricsOutput.tsv, never the large BAM files beside them); given files are added.
    """
    candidates = [Path(source) for source in profile.sources] + list(paths)
    files = [path for path in dict.fromkeys(candidates) if path.is_file()]
    return [{"file": str(path), "sha256": sha256_of(path)} for path in files]


def qc_warnings(profile: MolecularProfile) -> list[str]:
    """What a coordinator must see when a screened sample failed QC: the failed metrics, the result areas
    they make unusable (the matcher makes no match on those; TSO500 guideline limits of MetricsOutput.tsv,
    docs/formats-tso500.md) and what to do. Empty when QC passed or was not judged."""
    qc = profile.qc
    if qc.passed:
        return []
    areas = ", ".join(str(area) for area in qc.unusable_areas) or "none named"
    return [
        f"QC FAILED for sample {profile.sample_id}: {'; '.join(qc.failures)}; unusable result areas: {areas} "
        "(no match is made on them, so matches resting on them are missing or to be confirmed); the screening is "
        "stored, but re-test the sample (or check that this is the patient's tumour sample, not a control) "
        "before the tumour board decides on it"
    ]


def screen_patient(
    registry: Registry, study_id: str, paths: Sequence[Path], settings: ProfileSettings = ProfileSettings()
) -> dict[str, Any]:
    """Read the patient's molecular profile, match it against the protocol in force (with the current
    cohort statuses) and store the profile, its QC, its files' checksums and the matches as computed.

    A sample that failed QC is stored too (the record shows what was screened), with ``warnings`` naming
    the failed metrics and the unusable result areas (:func:`qc_warnings`). The patient's clinical values
    are read as registered now (``patient update`` changes them for later screenings).
    """
    check_study_id(study_id, field_name="--patient")
    registry.database.check_schema()
    profiles = read_profiles(list(paths), settings)
    if len(profiles) != 1:
        samples = ", ".join(item.sample_id for item in profiles)
        raise InputError(
            f"the files hold {len(profiles)} samples ({samples}); a screening is one sample",
            field="--sample",
            fix="pick the patient's sample with --sample",
        )
    (profile,) = profiles
    checksums = _source_checksums(paths, profile)
    tumour_types = _tumour_types()
    now = registry.now()
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id)
        protocol_row, protocol = _stored_protocol(session)
        facts = patient_facts(patient, on=now.date())
        matches = match_profile(
            profile, facts, protocol, tumour_types, cohort_statuses=repository.cohort_statuses(session)
        )
        stored = profile.as_dict()
        screening = repository.add_screening(
            session,
            patient_id=patient.id,
            protocol_version_id=protocol_row.id,
            sample_id=profile.sample_id,
            profile=stored,
            qc_passed=profile.qc.passed,
            qc=stored["qc"],
            source_files=checksums,
            screened_at=now,
        )
        for match in matches:
            repository.add_match_suggestion(
                session,
                screening_id=screening.id,
                drug=match.drug,
                biomarker=match.biomarker,
                cohort_name=match.cohort_name,
                tumour_group=match.tumour_group,
                eligible=match.eligible,
                protocol_version=protocol_row.version,
                detail=match.as_dict(),
            )
        result = {
            "study_id": study_id,
            "screening_id": screening.id,
            "sample_id": profile.sample_id,
            "qc": stored["qc"],
            "source_files": checksums,
            "protocol_version": protocol_row.version,
            "matches": [match.as_dict() for match in matches],
            "warnings": qc_warnings(profile),
        }
        registry.audit(
            session,
            at=now,
            action="screening.add",
            entity="screening",
            entity_id=screening.id,
            study_id=study_id,
            before=None,
            after={
                "sample_id": profile.sample_id,
                "qc_passed": profile.qc.passed,
                "source_files": checksums,
                "protocol_version": protocol_row.version,
                "matches": [f"{match.drug} / {match.biomarker} / {match.cohort_name}" for match in matches],
            },
        )
        return result


@dataclass(frozen=True, slots=True)
class _Target:
    """The cohort a confirming decision points to, and whether the patient is eligible for it."""

    drug: str
    biomarker: str
    tumour_group: str
    eligible: bool
    failed_criteria: list[str]


def _failed(criteria: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(item["reason"]) for item in criteria if item.get("status") != "eligible"]


def _stored_match(session: Session, *, screening_id: int | None, drug: str, biomarker: str) -> MatchSuggestion | None:
    """The trial match for drug x biomarker stored with a screening, if the screening found one."""
    if screening_id is None:
        return None
    return next(
        (
            row
            for row in repository.match_suggestions(session, screening_id=screening_id)
            if row.drug == drug and row.biomarker == biomarker and row.detail.get("cohort")
        ),
        None,
    )


def _match_standing(detail: Mapping[str, Any]) -> EligibilityStatus:
    """A stored match's verdict apart from the patient's clinical criteria (biomarker to be confirmed,
    excluded tumour type, closed cohort: ``Match.eligibility_without_criteria``).

    Matches stored before that verdict was kept apart are read from their overall verdict: eligible
    overall is eligible; an overall verdict worse than the criteria's can only come from the match
    itself; otherwise the two cannot be told apart and the match counts as to be confirmed (a new
    screening judges it again).
    """
    kept = detail.get("eligibility_without_criteria")
    if kept is not None:
        return EligibilityStatus(kept)
    overall = EligibilityStatus(detail.get("eligibility") or ("eligible" if detail.get("eligible") else "ineligible"))
    if overall is EligibilityStatus.ELIGIBLE:
        return overall
    criteria = combine([EligibilityStatus(item["status"]) for item in detail.get("criteria", [])])
    return overall if criteria is not overall else EligibilityStatus.TO_BE_CONFIRMED


def _judge_eligibility(
    protocol: Protocol, *, drug: str, facts: PatientFacts, stored: MatchSuggestion | None
) -> tuple[bool, list[str]]:
    """Whether the patient is eligible for ``drug`` now, and the criteria not met (or unknown).

    The patient's clinical criteria (age, ECOG, laboratory values, prior therapies) are judged on
    ``facts``, the values registered now (``patient add``/``patient update``), with the protocol in
    force; the match's own verdict (biomarker, tumour type, cohort) is the one stored with the
    screening (``stored``; none for a tumour board's own proposal B). So a decision and an enrolment
    use the values in force when they are recorded, not those of the screening.
    """
    failed: list[str] = []
    trial_drug = protocol.drug(drug)
    if trial_drug is None:
        failed.append(f"{drug} is not a drug of protocol {protocol.version}: its criteria cannot be judged")
    else:
        criteria = evaluate_eligibility(protocol.eligibility_for(trial_drug), facts, protocol.eligibility)
        failed += _failed([item.as_dict() for item in criteria])
    standing = _match_standing(stored.detail) if stored is not None else EligibilityStatus.ELIGIBLE
    if standing is not EligibilityStatus.ELIGIBLE:
        failed.append(
            f"the screening's match is {standing.value.replace('_', ' ')} apart from the clinical criteria "
            "(biomarker, tumour type or cohort: see the screening's reasons)"
        )
    return not failed, failed


def _decision_in_force_eligibility(
    session: Session, patient: Patient, decision: MtbDecision, *, on: date
) -> tuple[bool, list[str]]:
    """A cohort decision's eligibility judged again on the patient's values registered now and the
    protocol in force, with the match's own verdict stored with the decision's screening (as
    :func:`enrol_patient` judges it and ``patient update`` reports it)."""
    drug = decision.drug or ""
    _, protocol = _stored_protocol(session)
    stored = _stored_match(session, screening_id=decision.screening_id, drug=drug, biomarker=decision.biomarker or "")
    return _judge_eligibility(protocol, drug=drug, facts=patient_facts(patient, on=on), stored=stored)


def _confirmed_match(
    session: Session, form: DecisionForm, screening: Screening | None, *, protocol: Protocol, facts: PatientFacts
) -> _Target:
    """Decision A: the stored trial match it confirms (the only one, or the one named by drug/biomarker)."""
    if screening is None:
        raise ConflictError(
            f"patient '{form.study_id}' has not been screened; decision A confirms a match from "
            f"`oncobasket screen FILE --patient {form.study_id}`: screen the patient first, or record "
            "decision B, C or D"
        )
    trial = [
        row for row in repository.match_suggestions(session, screening_id=screening.id) if row.detail.get("cohort")
    ]
    chosen = [
        row
        for row in trial
        if (form.drug is None or row.drug == form.drug) and (form.biomarker is None or row.biomarker == form.biomarker)
    ]
    offered = "; ".join(f"--drug {quote(row.drug)} --biomarker {quote(row.biomarker)}" for row in trial) or "none"
    if not chosen:
        raise ConflictError(
            f"the latest screening of '{form.study_id}' has no trial match"
            + (f" for drug {form.drug}" if form.drug else "")
            + (f" and biomarker '{form.biomarker}'" if form.biomarker else "")
            + f" to confirm (trial matches: {offered}); record B for another alteration or C/D"
        )
    if len(chosen) > 1:
        raise InputError(
            f"the latest screening has {len(chosen)} trial matches; say which one the board confirmed",
            field="--drug",
            fix=f"add one of: {offered}",
        )
    (row,) = chosen
    eligible, failed = _judge_eligibility(protocol, drug=row.drug, facts=facts, stored=row)
    return _Target(
        drug=row.drug,
        biomarker=row.biomarker,
        tumour_group=row.tumour_group,
        eligible=eligible,
        failed_criteria=failed,
    )


def _proposed_alteration(
    session: Session, form: DecisionForm, *, protocol: Protocol, facts: PatientFacts, screening: Screening | None
) -> _Target | None:
    """Decision B: the board's own drug x biomarker; a cohort only when the drug is a trial drug."""
    if form.drug is None or form.biomarker is None:
        raise InputError("decision B needs --drug and --biomarker", field="--decision", fix="add both")
    drug = protocol.drug(form.drug)
    if drug is None:
        return None
    profile = next((item for item in drug.profiles if item.biomarker.name == form.biomarker), None)
    if profile is None:
        raise InputError(
            f"trial drug '{form.drug}' has no biomarker '{form.biomarker}' in protocol {protocol.version}",
            field="--biomarker",
            fix=f"use one of: {'; '.join(item.biomarker.name for item in drug.profiles)}",
        )
    stored = _stored_match(
        session, screening_id=screening.id if screening is not None else None, drug=drug.key, biomarker=form.biomarker
    )
    group = stored.tumour_group if stored is not None else tumour_group(protocol, _tumour_types(), facts)
    eligible, failed = _judge_eligibility(protocol, drug=drug.key, facts=facts, stored=stored)
    return _Target(
        drug=drug.key,
        biomarker=form.biomarker,
        tumour_group=group,
        eligible=eligible,
        failed_criteria=failed,
    )


def _cohort_warnings(session: Session, form: DecisionForm, *, cohort: Cohort, staying: bool) -> list[str]:
    """Refuse pointing a patient to a closed cohort; warn when the cohort holds enrolment.

    A closed cohort (futility, negative) never takes patients again (two-stage rule, DOMAIN.md section 3),
    so a decision that sends a patient there is refused when it is recorded, not at enrolment. A
    correction that keeps the patient in the cohort of the decision in force (``staying``) is not a new
    placement and only warns. A cohort that holds enrolment (stage 1 or 2 full, suspended, promising
    without an expansion) may take the patient later: the decision is recorded with a warning.
    """
    state = repository.cohort_state(session, cohort=cohort)
    held = refusal(state)
    if held is None:
        return []
    if state.status in CLOSED_STATUSES:
        if staying:
            return [f"cohort '{cohort.name}': {held}"]
        raise ConflictError(
            f"cohort '{cohort.name}' is {next_decision(state).removeprefix('none: ')}: a closed cohort takes no "
            f"more patients and never reopens (the protocol's two-stage rule {state.rule}, after Simon 1989; "
            f"DOMAIN.md section 3), so decision {form.code} cannot point patient '{form.study_id}' to it; "
            "record decision B (another drug or biomarker), C (a non-trial option, with --option) or D instead; "
            "a new cohort for this match needs a protocol amendment (a new protocol version with a cohort the "
            "protocol allows, loaded with `oncobasket trial init`)"
        )
    return [
        f"cohort '{cohort.name}' does not take patients now; the decision is recorded and enrolment will wait: {held}"
    ]


def record_decision(registry: Registry, form: DecisionForm) -> dict[str, Any]:
    """Record a tumour-board decision; A (or B with a trial drug) points the patient to a cohort,
    which is opened now when the trial has none for that tumour group x biomarker x drug.

    One screening gets one decision: a second decision while the decision in force rests on the same
    screening is refused unless it is a correction (``form.correction_reason``). A correction is a new row
    that names the decision it supersedes and why; it is judged on the corrected decision's screening, and
    it may not move an enrolled patient to another cohort or out of one (the enrolment stands and must be
    reviewed). After a new screening a new decision needs no correction. Nothing is edited or deleted; the
    audit shows both decisions (``decision.correct`` with the values before and after).

    A decision may not point a patient to a closed cohort (closed for futility or as negative: it never
    takes patients again); one pointing to a cohort that holds enrolment (stage full, suspended,
    promising) is recorded with a warning (``warnings``) that enrolment will wait. Eligibility is judged
    on the patient's values in force (``patient update``), not on those of the screening.
    """
    registry.database.check_schema()
    now = registry.now()
    if form.meeting_date > now.date():
        raise InputError(
            f"meeting date {form.meeting_date.isoformat()} is in the future",
            field="--meeting-date",
            fix="record the decision after the meeting, with its date",
        )
    correcting = form.correction_reason is not None
    with registry.database.transaction() as session:
        # The patient's row lock (PostgreSQL; SQLite serialises writers) makes two coordinators recording a
        # decision for the same patient at once take turns, so the second sees the first and is refused.
        patient = repository.get_patient_or_raise(session, study_id=form.study_id, lock=True)
        _, protocol = _stored_protocol(session)
        previous = repository.latest_decision(session, patient_id=patient.id)
        screening = _decision_screening(session, form, patient=patient, previous=previous)
        facts = patient_facts(patient, on=form.meeting_date)
        target: _Target | None = None
        if form.code is MtbDecisionCode.A:
            target = _confirmed_match(session, form, screening, protocol=protocol, facts=facts)
        elif form.code is MtbDecisionCode.B:
            target = _proposed_alteration(session, form, protocol=protocol, facts=facts, screening=screening)
        known = (
            repository.find_cohort(
                session, tumour_group=target.tumour_group, biomarker=target.biomarker, drug=target.drug
            )
            if target is not None
            else None
        )
        if correcting and previous is not None:
            _check_correction_keeps_enrolment(session, form, previous=previous, cohort_id=known.id if known else None)
        warnings: list[str] = []
        if known is not None:
            staying = correcting and previous is not None and previous.cohort_id == known.id
            warnings = _cohort_warnings(session, form, cohort=known, staying=staying)
        cohort: Cohort | None = None
        opened = False
        if target is not None:
            opened = known is None
            cohort = known or _open_cohort(
                registry,
                session,
                protocol=protocol,
                tumour_group=target.tumour_group,
                biomarker=target.biomarker,
                drug=target.drug,
                cause=f"decision {form.code}",
                study_id=form.study_id,
                at=now,
            )
        before = None
        if previous is not None:
            previous_cohort = (
                repository.get_cohort(session, cohort_id=previous.cohort_id) if previous.cohort_id is not None else None
            )
            before = decision_view(previous, cohort=previous_cohort)
        row = repository.add_decision(
            session,
            patient_id=patient.id,
            screening_id=screening.id if screening is not None else None,
            code=str(form.code),
            drug=target.drug if target is not None else form.drug,
            biomarker=target.biomarker if target is not None else form.biomarker,
            cohort_id=cohort.id if cohort is not None else None,
            eligible=target.eligible if target is not None else None,
            failed_criteria=target.failed_criteria if target is not None else [],
            rationale=form.rationale.strip(),
            meeting_date=form.meeting_date,
            recorded_at=now,
            non_trial_option=str(form.option) if form.option is not None else None,
            corrects_id=previous.id if correcting and previous is not None else None,
            correction_reason=form.correction_reason.strip() if form.correction_reason is not None else None,
        )
        view = decision_view(row, cohort=cohort)
        registry.audit(
            session,
            at=now,
            action="decision.correct" if correcting else "decision.record",
            entity="mtb_decision",
            entity_id=row.id,
            study_id=form.study_id,
            before=before,
            after=view,
        )
        return {
            "study_id": form.study_id,
            **view,
            "meaning": form.code.meaning,
            "cohort_opened": opened,
            "cohort_status": cohort.status if cohort is not None else None,
            "warnings": warnings,
        }


def _decision_screening(
    session: Session, form: DecisionForm, *, patient: Patient, previous: MtbDecision | None
) -> Screening | None:
    """The screening a decision is taken on: the latest one, or for a correction the corrected decision's.

    Refuses a second decision on the screening the decision in force rests on (one screening, one
    decision; a change is an explicit correction with its reason), and a correction with nothing to correct.
    """
    latest = repository.latest_screening(session, patient_id=patient.id)
    if form.correction_reason is None:
        if previous is not None and previous.screening_id == (latest.id if latest is not None else None):
            case = "their latest screening" if latest is not None else "this case (not screened)"
            raise ConflictError(
                f"patient '{form.study_id}' already has decision {previous.code} (meeting "
                f"{previous.meeting_date.isoformat()}) for {case}; a decision is never replaced silently: to "
                "correct it or record the board's revised verdict, run `oncobasket mtb decide` again with "
                "--correct --reason TEXT (the earlier decision stays in the audit trail); a new screening "
                "(`oncobasket screen --patient`) takes a new decision without --correct"
            )
        return latest
    if previous is None:
        raise ConflictError(
            f"patient '{form.study_id}' has no tumour-board decision to correct; record the decision without --correct"
        )
    if previous.screening_id is None:
        return None
    return repository.get_screening(session, screening_id=previous.screening_id)


def _check_correction_keeps_enrolment(
    session: Session, form: DecisionForm, *, previous: MtbDecision, cohort_id: int | None
) -> None:
    """A correction may not move an enrolled patient to another cohort or out of the one they are in.

    The enrolment happened on the decision in force (a place and a treatment slot were given, the cohort
    rule counts the patient); rewriting the decision underneath it would leave the cohort's counts resting
    on a decision that no longer points to it.
    """
    if previous.cohort_id is None or previous.cohort_id == cohort_id:
        return
    for enrolment in repository.patient_enrolments(session, patient_id=previous.patient_id):
        if enrolment.cohort_id == previous.cohort_id:
            cohort = repository.get_cohort_or_raise(session, name_or_id=previous.cohort_id)
            raise ConflictError(
                f"patient '{form.study_id}' is enrolled in cohort '{cohort.name}' (place {enrolment.position + 1}) "
                f"on decision {previous.code}; a correction cannot move the patient to another cohort or out of "
                "this one: the enrolment stands and must be reviewed by the trial team (a correction may still "
                "change the rationale or the meeting date)"
            )


# ---------------------------------------------------------------------------------------------
# Cohorts: opening, enrolment, outcomes, pooled counts
# ---------------------------------------------------------------------------------------------


def _open_cohort(
    registry: Registry,
    session: Session,
    *,
    protocol: Protocol,
    tumour_group: str,
    biomarker: str,
    drug: str,
    cause: str,
    study_id: str,
    at: datetime,
) -> Cohort:
    """The cohort of tumour group x biomarker x drug, opened now if the trial has none."""
    existing = repository.find_cohort(session, tumour_group=tumour_group, biomarker=biomarker, drug=drug)
    if existing is not None:
        return existing
    trial_drug = protocol.drug(drug)
    if trial_drug is None:
        raise InputError(
            f"'{drug}' is not a drug of protocol {protocol.version}",
            field="--drug",
            fix=f"use one of: {', '.join(item.key for item in protocol.drugs)}; or record decision C",
        )
    profile = next((item for item in trial_drug.profiles if item.biomarker.name == biomarker), None)
    if profile is None:
        raise InputError(
            f"drug '{drug}' has no biomarker '{biomarker}' in protocol {protocol.version}",
            field="--biomarker",
            fix=f"use one of: {', '.join(item.biomarker.name for item in trial_drug.profiles)}",
        )
    name = cohort_name(biomarker, tumour_group, trial_drug.display_name)
    rule = protocol.rule_for(name, trial_drug, profile)
    state = new_cohort(TwoStageRule(r1=rule.r1, n1=rule.n1, r=rule.r, n=rule.n))
    budget = protocol.slot_budget(trial_drug)
    budget_row = repository.get_slot_budget(session, name=budget[0]) if budget is not None else None
    row = repository.add_cohort(
        session,
        name=name,
        tumour_group=tumour_group,
        biomarker=biomarker,
        drug=drug,
        state=state,
        slot_budget_id=budget_row.id if budget_row is not None else None,
        opened_at=at,
    )
    counts = tally(state)
    reason = f"opened on demand: {cause} for {study_id} found no cohort for this match"
    repository.add_cohort_transition(
        session, cohort_id=row.id, from_status=None, to_status=row.status, reason=reason, counts=counts, at=at
    )
    registry.audit(
        session,
        at=at,
        action="cohort.open",
        entity="cohort",
        entity_id=row.id,
        study_id=study_id,
        before=None,
        after={"name": name, "status": row.status, "rule": str(state.rule), "reason": reason},
    )
    return row


def _apply(
    registry: Registry,
    session: Session,
    *,
    cohort: Cohort,
    state: CohortState,
    transitions: Sequence[Transition],
    study_id: str | None,
    at: datetime,
) -> None:
    """Store the state machine's new state on the cohort row and record each transition."""
    before = {"status": cohort.status, "stage": cohort.stage}
    repository.store_cohort_status(cohort, state=state)
    for transition in transitions:
        repository.add_cohort_transition(
            session,
            cohort_id=cohort.id,
            from_status=str(transition.from_status),
            to_status=str(transition.to_status),
            reason=transition.reason,
            counts=dict(transition.counts),
            at=at,
        )
    session.flush()
    if transitions:
        registry.audit(
            session,
            at=at,
            action="cohort.transition",
            entity="cohort",
            entity_id=cohort.id,
            study_id=study_id,
            before=before,
            after={
                "status": cohort.status,
                "stage": cohort.stage,
                "reasons": [transition.reason for transition in transitions],
            },
        )


def enrol_patient(registry: Registry, study_id: str, *, override_reason: str | None = None) -> dict[str, Any]:
    """Enrol a patient into the cohort of the tumour board's decision in force.

    Needs a confirmed decision (A, or B with a trial drug), consent and eligibility (an ineligible
    patient only with a recorded override reason); the cohort must accept patients (its state machine
    decides) and the drug's slot budget must have a slot left. Eligibility is judged again here, on the
    patient's values in force today (``patient update``) and the protocol in force, with the match's own
    verdict (biomarker, tumour type) from the decision's screening: values that changed after the
    decision count. The cohort and budget rows are locked
    (PostgreSQL ``FOR UPDATE``; SQLite ``BEGIN IMMEDIATE``) so two coordinators racing for the last
    place cannot both win: the second gets a :class:`ConflictError`.
    """
    check_study_id(study_id)
    registry.database.check_schema()
    if override_reason is not None and not override_reason.strip():
        raise InputError("the override reason is empty", field="--override-reason", fix="say why, or leave it out")
    now = registry.now()
    with registry.database.transaction() as session:
        # The patient's row first (then cohort, then budget, the order every use case keeps, so no two
        # can deadlock): a `patient update` or a corrected decision made at the same moment waits, and
        # this enrolment judges the values in force when it commits.
        patient = repository.get_patient_or_raise(session, study_id=study_id, lock=True)
        decision = repository.latest_decision(session, patient_id=patient.id)
        if decision is None or decision.cohort_id is None:
            what = "no tumour-board decision" if decision is None else f"decision {decision.code}"
            raise ConflictError(
                f"patient '{study_id}' has {what} confirming a trial match; enrolment needs decision A "
                "(or B with a trial drug): record it with `oncobasket mtb decide`"
            )
        if repository.latest_consent(session, patient_id=patient.id) is None:
            raise ConflictError(
                f"patient '{study_id}' has no recorded consent; record it with `oncobasket consent` first"
            )
        for enrolment in repository.patient_enrolments(session, patient_id=patient.id):
            if enrolment.cohort_id == decision.cohort_id or enrolment.outcome == Outcome.PENDING:
                raise ConflictError(
                    f"patient '{study_id}' is already enrolled (place {enrolment.position + 1} of cohort "
                    f"'{_cohort_name(session, enrolment.cohort_id)}', outcome {enrolment.outcome}); a patient "
                    "takes one place at a time and never two in the same cohort: record the week-16 outcome "
                    f"with `oncobasket outcome record {study_id}` before a new decision moves the patient on"
                )
        eligible, failed_criteria = _decision_in_force_eligibility(session, patient, decision, on=now.date())
        if not eligible and override_reason is None:
            raise ConflictError(
                f"patient '{study_id}' is not confirmed eligible for {decision.drug} ({'; '.join(failed_criteria)}), "
                "judged on the values registered today; if a value has changed, record it with "
                f"`oncobasket patient update {study_id}`, else enrol only with a recorded --override-reason "
                "naming why the tumour board accepts it"
            )
        cohort = repository.get_cohort_or_raise(session, name_or_id=decision.cohort_id, lock=True)
        state = repository.cohort_state(session, cohort=cohort)
        try:
            new_state, transitions = enrol(state)
        except ConflictError as refused:
            raise ConflictError(f"cohort '{cohort.name}' does not accept patients: {refused}") from None
        budget = None
        if cohort.slot_budget_id is not None:
            budget = repository.get_slot_budget_by_id(session, budget_id=cohort.slot_budget_id, lock=True)
            if budget.used >= budget.total:
                raise ConflictError(
                    f"no treatment slot left in budget '{budget.name}' ({budget.used} of {budget.total} used); "
                    "the company agreement must be extended first: raise the budget's slots in the protocol "
                    "(a new protocol version) and load it with `oncobasket trial init`"
                )
            budget.used += 1
        position = len(state.outcomes)
        row = repository.add_enrolment(
            session,
            cohort_id=cohort.id,
            patient_id=patient.id,
            decision_id=decision.id,
            position=position,
            stage=new_state.outcomes[position].stage,
            outcome=str(Outcome.PENDING),
            override_reason=override_reason.strip() if override_reason is not None else None,
            enrolled_at=now,
        )
        _apply(registry, session, cohort=cohort, state=new_state, transitions=transitions, study_id=study_id, at=now)
        after = {
            "cohort": cohort.name,
            "cohort_id": cohort.id,
            "place": position + 1,
            "stage": row.stage,
            "eligible": eligible,
            "failed_criteria": failed_criteria,
            "override_reason": row.override_reason,
            "slot_budget": budget.name if budget is not None else None,
            "slots_left": budget.total - budget.used if budget is not None else None,
        }
        registry.audit(
            session,
            at=now,
            action="enrolment.add",
            entity="enrolment",
            entity_id=row.id,
            study_id=study_id,
            before=None,
            after=after,
        )
        return {
            "study_id": study_id,
            **after,
            "cohort_status": cohort.status,
            "transitions": [_transition_view(item) for item in transitions],
        }


def record_outcome(
    registry: Registry, study_id: str, outcome: Outcome, *, correction_reason: str | None = None
) -> dict[str, Any]:
    """Record the patient's week-16 outcome in their cohort and apply the two-stage rule.

    A recorded outcome is not replaced by recording another (cohort decisions may rest on it); it is
    corrected with ``correction_reason`` (``outcome record --correct --reason TEXT``): the earlier value
    is kept in ``outcome_corrections`` and in the audit (``outcome.correct``, before and after), and the
    rule is re-applied to the corrected counts by ``core.cohorts.correct_outcome``, which refuses a
    correction that would reverse a cohort decision already taken (the decision stands and is reviewed).
    """
    check_study_id(study_id)
    registry.database.check_schema()
    if outcome is Outcome.PENDING:
        raise InputError(
            "'pending' is not an outcome", field="--outcome", fix="use benefit, no_benefit or not_evaluable"
        )
    if correction_reason is not None and not correction_reason.strip():
        raise InputError("the correction reason is empty", field="--reason", fix="say why the outcome is corrected")
    now = registry.now()
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id)
        enrolments = repository.patient_enrolments(session, patient_id=patient.id)
        if not enrolments:
            raise ConflictError(f"patient '{study_id}' is not enrolled in a cohort; enrol before recording outcomes")
        enrolment = enrolments[-1]
        cohort = repository.get_cohort_or_raise(session, name_or_id=enrolment.cohort_id, lock=True)
        state = repository.cohort_state(session, cohort=cohort)
        if correction_reason is not None:
            return _correct_outcome(
                registry,
                session,
                study_id=study_id,
                enrolment=enrolment,
                cohort=cohort,
                state=state,
                outcome=outcome,
                reason=correction_reason.strip(),
                at=now,
            )
        try:
            new_state, transitions = core_record_outcome(state, enrolment.position, outcome)
        except ConflictError:
            raise ConflictError(
                f"patient '{study_id}' already has week-16 outcome {enrolment.outcome} in cohort '{cohort.name}'; "
                "a recorded outcome is not replaced because cohort decisions may rest on it: to correct it, run "
                f"`oncobasket outcome record {study_id} --outcome {outcome} --correct --reason TEXT`"
            ) from None
        before = {"outcome": enrolment.outcome}
        changed = enrolment.outcome != str(outcome)
        if changed:
            enrolment.outcome = str(outcome)
            enrolment.outcome_recorded_at = now
            _apply(
                registry, session, cohort=cohort, state=new_state, transitions=transitions, study_id=study_id, at=now
            )
            registry.audit(
                session,
                at=now,
                action="outcome.record",
                entity="enrolment",
                entity_id=enrolment.id,
                study_id=study_id,
                before=before,
                after={"outcome": str(outcome), "cohort": cohort.name},
            )
        return {
            "study_id": study_id,
            "cohort": cohort.name,
            "outcome": str(outcome),
            "changed": changed,
            "corrected": False,
            "previous_outcome": None,
            "correction_reason": None,
            "cohort_status": cohort.status,
            "transitions": [_transition_view(item) for item in transitions],
        }


def _correct_outcome(
    registry: Registry,
    session: Session,
    *,
    study_id: str,
    enrolment: Enrolment,
    cohort: Cohort,
    state: CohortState,
    outcome: Outcome,
    reason: str,
    at: datetime,
) -> dict[str, Any]:
    """Correct a recorded outcome (under the cohort's row lock) and re-apply the rule from the corrected counts."""
    if enrolment.outcome == str(Outcome.PENDING):
        raise ConflictError(
            f"patient '{study_id}' has no week-16 outcome recorded in cohort '{cohort.name}' yet; there is "
            "nothing to correct: record it without --correct"
        )
    if enrolment.outcome == str(outcome):
        raise InputError(
            f"patient '{study_id}' already has outcome {outcome}; there is nothing to correct",
            field="--outcome",
            fix="give the corrected outcome",
        )
    try:
        new_state, transitions = core_correct_outcome(state, enrolment.position, outcome)
    except ConflictError as refused:
        raise ConflictError(f"patient '{study_id}', cohort '{cohort.name}': {refused}") from None
    previous = enrolment.outcome
    enrolment.outcome = str(outcome)
    row = repository.add_outcome_correction(
        session,
        enrolment_id=enrolment.id,
        outcome_before=previous,
        outcome_after=str(outcome),
        reason=reason,
        recorded_at=at,
    )
    _apply(registry, session, cohort=cohort, state=new_state, transitions=transitions, study_id=study_id, at=at)
    registry.audit(
        session,
        at=at,
        action="outcome.correct",
        entity="enrolment",
        entity_id=enrolment.id,
        study_id=study_id,
        before={"outcome": previous, "cohort": cohort.name},
        after={"outcome": str(outcome), "cohort": cohort.name, "reason": reason, "correction_id": row.id},
    )
    return {
        "study_id": study_id,
        "cohort": cohort.name,
        "outcome": str(outcome),
        "changed": True,
        "corrected": True,
        "previous_outcome": previous,
        "correction_reason": reason,
        "cohort_status": cohort.status,
        "transitions": [_transition_view(item) for item in transitions],
    }


def pool_counts(registry: Registry, cohort_ref: str, *, source: str, evaluable: int, benefit: int) -> dict[str, Any]:
    """Add a sister trial's evaluable patients and benefits to a cohort's tally, with its source."""
    registry.database.check_schema()
    pooled = CorePooledCount(source=source.strip(), evaluable=evaluable, benefit=benefit)
    now = registry.now()
    with registry.database.transaction() as session:
        cohort = repository.get_cohort_or_raise(session, name_or_id=cohort_ref, lock=True)
        state = repository.cohort_state(session, cohort=cohort)
        try:
            new_state, transitions = add_pooled(state, pooled)
        except ConflictError as refused:
            raise ConflictError(f"cohort '{cohort.name}': {refused}") from None
        stage = new_state.pooled[-1].stage or 1
        row = repository.add_pooled_count(
            session,
            cohort_id=cohort.id,
            source=pooled.source,
            stage=stage,
            evaluable=evaluable,
            benefit=benefit,
            recorded_at=now,
        )
        _apply(registry, session, cohort=cohort, state=new_state, transitions=transitions, study_id=None, at=now)
        after = {
            "cohort": cohort.name,
            "source": pooled.source,
            "stage": stage,
            "evaluable": evaluable,
            "benefit": benefit,
        }
        registry.audit(
            session,
            at=now,
            action="cohort.pool",
            entity="pooled_count",
            entity_id=row.id,
            study_id=None,
            before=None,
            after=after,
        )
        return {
            **after,
            "cohort_status": cohort.status,
            "transitions": [_transition_view(item) for item in transitions],
        }


def _cohort_step(
    registry: Registry,
    cohort_ref: str,
    *,
    action: str,
    step: Callable[[CohortState], tuple[CohortState, tuple[Transition, ...]]],
) -> dict[str, Any]:
    """Apply one state-machine step to a cohort under its row lock, record it and audit it."""
    registry.database.check_schema()
    now = registry.now()
    with registry.database.transaction() as session:
        cohort = repository.get_cohort_or_raise(session, name_or_id=cohort_ref, lock=True)
        state = repository.cohort_state(session, cohort=cohort)
        try:
            new_state, transitions = step(state)
        except ConflictError as refused:
            raise ConflictError(f"cohort '{cohort.name}': {refused}") from None
        before = {"status": cohort.status}
        _apply(registry, session, cohort=cohort, state=new_state, transitions=transitions, study_id=None, at=now)
        registry.audit(
            session,
            at=now,
            action=action,
            entity="cohort",
            entity_id=cohort.id,
            study_id=None,
            before=before,
            after={"status": cohort.status, "reason": cohort.suspension_reason},
        )
        return {
            "cohort": cohort.name,
            "cohort_id": cohort.id,
            "cohort_status": cohort.status,
            "transitions": [_transition_view(item) for item in transitions],
        }


def suspend_cohort(registry: Registry, cohort_ref: str, *, reason: str) -> dict[str, Any]:
    """Hold enrolment in a cohort (safety review, drug supply, ...) until it is resumed."""
    return _cohort_step(registry, cohort_ref, action="cohort.suspend", step=lambda state: suspend(state, reason))


def resume_cohort(registry: Registry, cohort_ref: str) -> dict[str, Any]:
    """End a suspension: the cohort returns to the status its rule reached meanwhile."""
    return _cohort_step(registry, cohort_ref, action="cohort.resume", step=resume)


def expand_cohort(registry: Registry, cohort_ref: str, *, places: int | None = None) -> dict[str, Any]:
    """Turn a promising cohort into an expansion cohort (default size: the rule's n)."""
    return _cohort_step(registry, cohort_ref, action="cohort.expand", step=lambda state: open_expansion(state, places))


def _transition_view(item: Transition) -> dict[str, Any]:
    return {
        "from": str(item.from_status),
        "to": str(item.to_status),
        "reason": item.reason,
        "counts": dict(item.counts),
    }


def list_cohorts(registry: Registry) -> list[dict[str, Any]]:
    """Every cohort with its status, counts and slots."""
    registry.database.check_schema()
    with registry.database.transaction(write=False) as session:
        return [_cohort_summary(session, row) for row in repository.list_cohorts(session)]


def show_cohort(registry: Registry, cohort_ref: str) -> dict[str, Any]:
    """One cohort: stage, counts (own and pooled), slots, the next decision and what it waits for,
    its patients and its transitions."""
    registry.database.check_schema()
    with registry.database.transaction(write=False) as session:
        cohort = repository.get_cohort_or_raise(session, name_or_id=cohort_ref)
        view = _cohort_summary(session, cohort)
        view["patients"] = [
            {
                "place": row.position + 1,
                "study_id": study_id,
                "stage": row.stage,
                "outcome": row.outcome,
                "override_reason": row.override_reason,
            }
            for row, study_id in repository.cohort_patients(session, cohort_id=cohort.id)
        ]
        view["pooled"] = [
            {"source": row.source, "stage": row.stage, "evaluable": row.evaluable, "benefit": row.benefit}
            for row in repository.pooled_counts(session, cohort_id=cohort.id)
        ]
        view["transitions"] = [
            {
                "at": row.at.isoformat(),
                "from": row.from_status,
                "to": row.to_status,
                "reason": row.reason,
                "counts": row.counts,
            }
            for row in repository.cohort_transitions(session, cohort_id=cohort.id)
        ]
        return view


def _cohort_summary(session: Session, cohort: Cohort) -> dict[str, Any]:
    state = repository.cohort_state(session, cohort=cohort)
    budget = (
        repository.get_slot_budget_by_id(session, budget_id=cohort.slot_budget_id)
        if cohort.slot_budget_id is not None
        else None
    )
    return {
        "id": cohort.id,
        "name": cohort.name,
        "tumour_group": cohort.tumour_group,
        "biomarker": cohort.biomarker,
        "drug": cohort.drug,
        "status": cohort.status,
        "stage": cohort.stage,
        "rule": state.rule.as_dict(),
        "counts": tally(state),
        "accepting": accepting(state),
        "places_left": places_left(state),
        "slots": _budget_view(budget) if budget is not None else None,
        "next_decision": next_decision(state),
        "suspension_reason": cohort.suspension_reason,
        "opened_at": cohort.opened_at.isoformat(),
    }
