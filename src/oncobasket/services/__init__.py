"""Use cases: each public function is one thing a user does, and owns its one transaction.

One module per area (patients, screening, decisions, enrolment, cohorts, trial, audit); :mod:`.registry` holds
the handle they all run on. Every function checks its input before it writes, runs in one transaction (all or
nothing), appends to the audit trail and returns a JSON-ready dictionary (the ``--json`` output of its command).
The names below are the package's public interface, re-exported so callers need not know the module layout.
"""

from __future__ import annotations

from oncobasket.services.adverse_events import add_adverse_event
from oncobasket.services.assessments import record_assessment_document, record_assessments
from oncobasket.services.audit import audit_trail, audit_view
from oncobasket.services.cohorts import (
    expand_cohort,
    list_cohorts,
    pool_counts,
    resume_cohort,
    show_cohort,
    suspend_cohort,
)
from oncobasket.services.decisions import decision_view, record_decision
from oncobasket.services.enrolment import enrol_patient, record_not_treated, record_outcome
from oncobasket.services.operations import backup_registry, check_registry, restore_registry
from oncobasket.services.patients import (
    add_patient,
    patient_form,
    patient_view,
    record_consent,
    show_patient,
    update_patient,
)
from oncobasket.services.registry import Registry, Settings, patient_facts, sha256_of, utc_now
from oncobasket.services.screening import qc_warnings, screen_patient, screen_profile
from oncobasket.services.simulation import SimulatedClock, simulate_trial
from oncobasket.services.treatment import (
    end_treatment,
    record_cycle,
    record_follow_up,
    record_prior_treatment,
    start_treatment,
)
from oncobasket.services.trial import init_trial

__all__ = [
    "Registry",
    "Settings",
    "SimulatedClock",
    "add_adverse_event",
    "add_patient",
    "audit_trail",
    "audit_view",
    "backup_registry",
    "check_registry",
    "decision_view",
    "end_treatment",
    "enrol_patient",
    "expand_cohort",
    "init_trial",
    "list_cohorts",
    "patient_facts",
    "patient_form",
    "patient_view",
    "pool_counts",
    "qc_warnings",
    "record_assessment_document",
    "record_assessments",
    "record_consent",
    "record_cycle",
    "record_decision",
    "record_follow_up",
    "record_not_treated",
    "record_outcome",
    "record_prior_treatment",
    "restore_registry",
    "resume_cohort",
    "screen_patient",
    "screen_profile",
    "sha256_of",
    "show_cohort",
    "show_patient",
    "simulate_trial",
    "start_treatment",
    "suspend_cohort",
    "update_patient",
    "utc_now",
]
