"""Use cases: register, update and show patients, and record consent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from oncobasket.core.errors import ConflictError, InputError
from oncobasket.core.registry import (
    CLINICAL_FIELDS,
    PatientForm,
    PatientUpdate,
    Sex,
    check_study_id,
    parse_labs,
    parse_prior_therapies,
)
from oncobasket.core.validation import check_date
from oncobasket.db import repository
from oncobasket.db.models import (
    Patient,
)
from oncobasket.services.decisions import _decision_eligibility, decision_view
from oncobasket.services.patient_outcomes import outcomes_view, patient_outcomes
from oncobasket.services.registry import Registry, _cohort_name, _tumour_types
from oncobasket.services.treatment_views import treatment_view


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
        existing = repository.get_patient(session, study_id=form.study_id)
        if existing is not None:
            spelled = "" if existing.study_id == form.study_id else f" as '{existing.study_id}' (letter case aside)"
            raise ConflictError(
                f"study ID '{form.study_id}' is already registered{spelled}; study IDs are unique whatever the "
                "letter case, use the next free ID"
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


def show_patient(registry: Registry, study_id: str) -> dict[str, Any]:
    """A patient with the decision in force, consent, enrolments, reasons for not treating, treatment, adverse
    events, and every derived value (time points with their reasons, best overall response, ``week16``, the
    computed outcome, evaluability, PFS, OS), each traceable to the entries it rests on."""
    check_study_id(study_id)
    registry.database.check_schema()
    with registry.database.transaction(write=False) as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id)
        study_id = patient.study_id  # as registered: study IDs compare without letter case
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
        view.update(treatment_view(session, patient=patient))
        view.update(outcomes_view(patient_outcomes(registry, session, patient=patient)))
        return view


def record_consent(registry: Registry, study_id: str, consent_date: date) -> dict[str, Any]:
    """Record the date the patient signed informed consent (a later record corrects an earlier one)."""
    check_study_id(study_id)
    registry.database.check_schema()
    now = registry.now()
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id)
        study_id = patient.study_id  # as registered: study IDs compare without letter case
        check_date(consent_date, field="--date", what="consent date", today=now.date(), birth_year=patient.birth_year)
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
