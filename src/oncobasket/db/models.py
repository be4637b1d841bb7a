"""The registry's tables (SQLAlchemy 2.0 declarative mapping).

The Alembic migrations (``migrations/versions/``: ``r0001_initial.py``, then ``r0002_...`` to ``r0004_...``)
create exactly these tables; a test compares the two so they cannot drift apart. Rows are never deleted:
corrections are new rows (a correcting decision, a later consent, an outcome correction) and every change is
also written to ``audit_events``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Fixed constraint names, so migrations on SQLite (batch mode) and PostgreSQL name them alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON(none_as_null=True)

#: Only a decision C names a non-trial option, one of core.registry.NonTrialOption (migration 0002 writes
#: the same text).
NON_TRIAL_OPTION_CHECK = (
    "non_trial_option IS NULL OR (code = 'C' AND non_trial_option IN ('other_trial', 'early_access', 'standard_care'))"
)


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC; SQLite drops the zone, so it is put back on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a time zone (the service clock gives UTC)")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ProtocolVersion(Base):
    """A protocol file as loaded by ``trial init``: its version, checksum and full text."""

    __tablename__ = "protocol_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    loaded_by: Mapped[str] = mapped_column(String(128))


class Patient(Base):
    """A patient under a pseudonymous study ID; no names, no full birth dates."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[str] = mapped_column(String(64), unique=True)
    site: Mapped[str] = mapped_column(String(64))
    sex: Mapped[str] = mapped_column(String(1))
    birth_year: Mapped[int] = mapped_column(Integer)
    oncotree_code: Mapped[str] = mapped_column(String(32))
    oncotree_version: Mapped[str] = mapped_column(String(64))
    icd10: Mapped[str | None] = mapped_column(String(16))
    ecog: Mapped[int | None] = mapped_column(Integer)
    labs: Mapped[dict[str, Any]] = mapped_column(Json)
    prior_lines: Mapped[int | None] = mapped_column(Integer)
    prior_therapies: Mapped[list[str] | None] = mapped_column(Json)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())

    # Study IDs are compared without letter case (migration 0004): the backstop when two registrations race.
    __table_args__ = (Index("ux_patients_study_id_lower", func.lower(study_id), unique=True),)


class Screening(Base):
    """One molecular profile screened for a patient, as stored at the time."""

    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    protocol_version_id: Mapped[int] = mapped_column(ForeignKey("protocol_versions.id"))
    sample_id: Mapped[str] = mapped_column(String(128))
    profile: Mapped[dict[str, Any]] = mapped_column(Json)
    qc_passed: Mapped[bool] = mapped_column(Boolean)
    qc: Mapped[dict[str, Any]] = mapped_column(Json)
    source_files: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    screened_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MatchSuggestion(Base):
    """A match as the matcher computed it at screening time, with the protocol version used."""

    __tablename__ = "match_suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"), index=True)
    drug: Mapped[str] = mapped_column(String(200))
    biomarker: Mapped[str] = mapped_column(String(200))
    cohort_name: Mapped[str] = mapped_column(String(400))
    tumour_group: Mapped[str] = mapped_column(String(200))
    eligible: Mapped[bool] = mapped_column(Boolean)
    protocol_version: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(Json)


class SlotBudget(Base):
    """Treatment slots a company supplies for a drug or an agreement covering several drugs."""

    __tablename__ = "slot_budgets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    drugs: Mapped[list[str]] = mapped_column(Json)
    total: Mapped[int] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (CheckConstraint("used >= 0 AND used <= total", name="within_total"),)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads a plain dict


class Cohort(Base):
    """Tumour group x biomarker x drug, with its two-stage rule and current status."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(400), unique=True)
    tumour_group: Mapped[str] = mapped_column(String(200))
    biomarker: Mapped[str] = mapped_column(String(200))
    drug: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32))
    stage: Mapped[int] = mapped_column(Integer)
    status_before_suspension: Mapped[str | None] = mapped_column(String(32))
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    expansion_places: Mapped[int | None] = mapped_column(Integer)
    r1: Mapped[int] = mapped_column(Integer)
    n1: Mapped[int] = mapped_column(Integer)
    r: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
    slot_budget_id: Mapped[int | None] = mapped_column(ForeignKey("slot_budgets.id"))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (UniqueConstraint("tumour_group", "biomarker", "drug", name="uq_cohorts_key"),)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads a plain dict


class MtbDecision(Base):
    """A tumour-board decision; a later decision on the same patient supersedes it (never edited).

    ``non_trial_option`` is the option a decision C recommends (other_trial, early_access,
    standard_care; null for A, B, D and for C decisions recorded before revision 0002). A correction is a
    new row whose ``corrects_id`` names the decision it corrects, with ``correction_reason``.
    """

    __tablename__ = "mtb_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    screening_id: Mapped[int | None] = mapped_column(ForeignKey("screenings.id"))
    code: Mapped[str] = mapped_column(String(1))
    drug: Mapped[str | None] = mapped_column(String(200))
    biomarker: Mapped[str | None] = mapped_column(String(200))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    eligible: Mapped[bool | None] = mapped_column(Boolean)
    failed_criteria: Mapped[list[str]] = mapped_column(Json)
    rationale: Mapped[str] = mapped_column(Text)
    meeting_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    non_trial_option: Mapped[str | None] = mapped_column(String(32))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("mtb_decisions.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(NON_TRIAL_OPTION_CHECK, name="non_trial_option_only_for_c"),
        CheckConstraint(
            "(corrects_id IS NULL AND correction_reason IS NULL) OR "
            "(corrects_id IS NOT NULL AND correction_reason IS NOT NULL)",
            name="correction_has_reason",
        ),
    )


class Consent(Base):
    """Informed consent to trial treatment, with the date it was signed."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    consent_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Enrolment(Base):
    """A patient's place in a cohort; ``position`` is the 0-based order of enrolment in that cohort.

    The unique (cohort, position) pair is the backstop against two enrolments taking the same place.
    """

    __tablename__ = "enrolments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("mtb_decisions.id"))
    position: Mapped[int] = mapped_column(Integer)
    stage: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    override_reason: Mapped[str | None] = mapped_column(Text)
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime())
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("cohort_id", "position", name="uq_enrolments_place"),
        UniqueConstraint("cohort_id", "patient_id", name="uq_enrolments_patient"),
    )


class OutcomeCorrection(Base):
    """A corrected week-16 outcome: the enrolment's outcome before and after, and why.

    The enrolment row holds the outcome in force (what the cohort rule uses); these rows keep every
    earlier value, so a correction never loses what was recorded before it.
    """

    __tablename__ = "outcome_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    outcome_before: Mapped[str] = mapped_column(String(32))
    outcome_after: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PooledCount(Base):
    """Evaluable patients and benefits from a sister trial added to a cohort's tally."""

    __tablename__ = "pooled_counts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    source: Mapped[str] = mapped_column(String(200))
    stage: Mapped[int] = mapped_column(Integer)
    evaluable: Mapped[int] = mapped_column(Integer)
    benefit: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CohortTransition(Base):
    """A change of cohort status with the counts that justified it."""

    __tablename__ = "cohort_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    counts: Mapped[dict[str, Any]] = mapped_column(Json)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class NotTreated(Base):
    """Why a matched patient was not treated (IMPRESS funnel reasons)."""

    __tablename__ = "not_treated"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    criterion: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditEvent(Base):
    """Who did what, when, with the values before and after. Append-only (database triggers refuse
    UPDATE and DELETE)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    study_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(Json)
    after: Mapped[dict[str, Any] | None] = mapped_column(Json)

    __table_args__ = (Index("ix_audit_events_study_id", "study_id"),)


# --- Treatment and outcomes (migration 0003) ---------------------------------------------------------------
# Every row below is written once and never edited: a correction is a new row whose ``corrects_id`` names the
# row it supersedes, with the reason (the same rule as decisions and outcomes, docs/registry.md).

#: A correction names what it corrects and why, or neither (migration 0003 writes the same text).
CORRECTION_CHECK = (
    "(corrects_id IS NULL AND correction_reason IS NULL) OR (corrects_id IS NOT NULL AND correction_reason IS NOT NULL)"
)


class Treatment(Base):
    """A patient's trial treatment in the cohort of their enrolment: cycle 1 day 1 and the drug given."""

    __tablename__ = "treatments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), unique=True)
    drug: Mapped[str] = mapped_column(String(200))
    route: Mapped[str] = mapped_column(String(32))
    start_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TreatmentCycle(Base):
    """One treatment cycle: its start, the doses given, a dose change and a delay with its reason."""

    __tablename__ = "treatment_cycles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    treatment_id: Mapped[int] = mapped_column(ForeignKey("treatments.id"), index=True)
    cycle_number: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    doses: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    dose_change: Mapped[str] = mapped_column(String(32))
    dose_change_reason: Mapped[str | None] = mapped_column(Text)
    delay_days: Mapped[int] = mapped_column(Integer)
    delay_reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_cycles.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("cycle_number >= 1", name="cycle_number_positive"),
        CheckConstraint("delay_days >= 0", name="delay_not_negative"),
        CheckConstraint(CORRECTION_CHECK, name="correction_has_reason"),
    )


class TreatmentEnd(Base):
    """The end of trial treatment, with its date and reason."""

    __tablename__ = "treatment_ends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    treatment_id: Mapped[int] = mapped_column(ForeignKey("treatments.id"), index=True)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_ends.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint(CORRECTION_CHECK, name="correction_has_reason"),)


class FollowUp(Base):
    """A follow-up contact: alive, dead (with the death date) or lost to follow-up."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    contact_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32))
    death_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("follow_ups.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("(status = 'dead') = (death_date IS NOT NULL)", name="death_date_when_dead"),
        CheckConstraint(CORRECTION_CHECK, name="correction_has_reason"),
    )


class AdverseEventRecord(Base):
    """An adverse event: CTCAE v5.0 term and grade, seriousness, relation to each study drug, dates, outcome."""

    __tablename__ = "adverse_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    term: Mapped[str] = mapped_column(String(200))
    meddra_code: Mapped[str | None] = mapped_column(String(16))
    specification: Mapped[str | None] = mapped_column(Text)
    grade: Mapped[int] = mapped_column(Integer)
    serious: Mapped[bool] = mapped_column(Boolean)
    relations: Mapped[dict[str, Any]] = mapped_column(Json)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("adverse_events.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("grade BETWEEN 1 AND 5", name="ctcae_grade"),
        CheckConstraint(CORRECTION_CHECK, name="correction_has_reason"),
    )


class PriorTreatment(Base):
    """A line of treatment before the trial, with its dates: the last one is the PFS ratio's reference.

    Source: the PRIME-ROSE harmonised record (previous treatments with start and stop dates, DOMAIN.md
    section 5) and the PFS ratio of Von Hoff et al. 2010 (time to progression on the last prior line).
    """

    __tablename__ = "prior_treatments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    regimen: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    progression_date: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("prior_treatments.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint(CORRECTION_CHECK, name="correction_has_reason"),)


class TumourAssessment(Base):
    """A tumour assessment (baseline or follow-up) with its lesions; ``document`` is the assessment as entered.

    ``document`` keeps the entry exactly as the assessment file gave it (lesion measurements, non-target
    statuses, new lesions, directly entered iRECIST/RANO/Lugano responses), so every computed response can be
    traced back to it; ``lesion_measurements`` holds the same lesions one row each, for queries and exports.
    """

    __tablename__ = "tumour_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    assessment_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    method: Mapped[str | None] = mapped_column(String(32))
    new_lesions: Mapped[bool | None] = mapped_column(Boolean)
    document: Mapped[dict[str, Any]] = mapped_column(Json)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("tumour_assessments.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("kind IN ('baseline', 'follow_up')", name="assessment_kind"),
        CheckConstraint(CORRECTION_CHECK, name="correction_has_reason"),
    )


class LesionMeasurement(Base):
    """One lesion at one assessment: target (with its diameter, short axis for nodes) or non-target (status)."""

    __tablename__ = "lesion_measurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("tumour_assessments.id"), index=True)
    lesion: Mapped[str] = mapped_column(String(64))
    site: Mapped[str | None] = mapped_column(String(64))
    target: Mapped[bool] = mapped_column(Boolean)
    diameter_mm: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (UniqueConstraint("assessment_id", "lesion", name="uq_lesion_measurements_lesion"),)


#: The roles of core.access.Role (migration 0005 writes the same text).
ROLE_CHECK = "role IN ('admin', 'coordinator', 'mtb', 'investigator', 'monitor')"


class UserAccount(Base):
    """A person who signs in to the web pages or the API: the argon2 hash of the password, never the password;
    an investigator's site bounds which patients it sees."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    site: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        CheckConstraint(ROLE_CHECK, name="user_role"),
        CheckConstraint("role <> 'investigator' OR site IS NOT NULL", name="investigator_has_site"),
    )
