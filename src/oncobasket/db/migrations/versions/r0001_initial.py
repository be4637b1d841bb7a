"""The trial registry: patients, screenings, decisions, cohorts, enrolments and the audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def upgrade() -> None:
    op.create_table(
        "protocol_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("loaded_at", _timestamp(), nullable=False),
        sa.Column("loaded_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=False),
        sa.Column("oncotree_code", sa.String(32), nullable=False),
        sa.Column("oncotree_version", sa.String(64), nullable=False),
        sa.Column("icd10", sa.String(16), nullable=True),
        sa.Column("ecog", sa.Integer(), nullable=True),
        sa.Column("labs", _json(), nullable=False),
        sa.Column("prior_lines", sa.Integer(), nullable=True),
        sa.Column("prior_therapies", _json(), nullable=True),
        sa.Column("registered_at", _timestamp(), nullable=False),
        sa.UniqueConstraint("study_id", name="uq_patients_study_id"),
    )
    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "patient_id",
            sa.Integer(),
            sa.ForeignKey("patients.id", name="fk_screenings_patient_id_patients"),
            nullable=False,
        ),
        sa.Column(
            "protocol_version_id",
            sa.Integer(),
            sa.ForeignKey("protocol_versions.id", name="fk_screenings_protocol_version_id_protocol_versions"),
            nullable=False,
        ),
        sa.Column("sample_id", sa.String(128), nullable=False),
        sa.Column("profile", _json(), nullable=False),
        sa.Column("qc_passed", sa.Boolean(), nullable=False),
        sa.Column("qc", _json(), nullable=False),
        sa.Column("source_files", _json(), nullable=False),
        sa.Column("screened_at", _timestamp(), nullable=False),
    )
    op.create_index("ix_screenings_patient_id", "screenings", ["patient_id"])
    op.create_table(
        "match_suggestions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "screening_id",
            sa.Integer(),
            sa.ForeignKey("screenings.id", name="fk_match_suggestions_screening_id_screenings"),
            nullable=False,
        ),
        sa.Column("drug", sa.String(200), nullable=False),
        sa.Column("biomarker", sa.String(200), nullable=False),
        sa.Column("cohort_name", sa.String(400), nullable=False),
        sa.Column("tumour_group", sa.String(200), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("protocol_version", sa.String(64), nullable=False),
        sa.Column("detail", _json(), nullable=False),
    )
    op.create_index("ix_match_suggestions_screening_id", "match_suggestions", ["screening_id"])
    op.create_table(
        "slot_budgets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("drugs", _json(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("name", name="uq_slot_budgets_name"),
        sa.CheckConstraint("used >= 0 AND used <= total", name="ck_slot_budgets_within_total"),
    )
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("tumour_group", sa.String(200), nullable=False),
        sa.Column("biomarker", sa.String(200), nullable=False),
        sa.Column("drug", sa.String(200), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("status_before_suspension", sa.String(32), nullable=True),
        sa.Column("suspension_reason", sa.Text(), nullable=True),
        sa.Column("expansion_places", sa.Integer(), nullable=True),
        sa.Column("r1", sa.Integer(), nullable=False),
        sa.Column("n1", sa.Integer(), nullable=False),
        sa.Column("r", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column(
            "slot_budget_id",
            sa.Integer(),
            sa.ForeignKey("slot_budgets.id", name="fk_cohorts_slot_budget_id_slot_budgets"),
            nullable=True,
        ),
        sa.Column("opened_at", _timestamp(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("name", name="uq_cohorts_name"),
        sa.UniqueConstraint("tumour_group", "biomarker", "drug", name="uq_cohorts_key"),
    )
    op.create_table(
        "mtb_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "patient_id",
            sa.Integer(),
            sa.ForeignKey("patients.id", name="fk_mtb_decisions_patient_id_patients"),
            nullable=False,
        ),
        sa.Column(
            "screening_id",
            sa.Integer(),
            sa.ForeignKey("screenings.id", name="fk_mtb_decisions_screening_id_screenings"),
            nullable=True,
        ),
        sa.Column("code", sa.String(1), nullable=False),
        sa.Column("drug", sa.String(200), nullable=True),
        sa.Column("biomarker", sa.String(200), nullable=True),
        sa.Column(
            "cohort_id",
            sa.Integer(),
            sa.ForeignKey("cohorts.id", name="fk_mtb_decisions_cohort_id_cohorts"),
            nullable=True,
        ),
        sa.Column("eligible", sa.Boolean(), nullable=True),
        sa.Column("failed_criteria", _json(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", _timestamp(), nullable=False),
    )
    op.create_index("ix_mtb_decisions_patient_id", "mtb_decisions", ["patient_id"])
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "patient_id",
            sa.Integer(),
            sa.ForeignKey("patients.id", name="fk_consents_patient_id_patients"),
            nullable=False,
        ),
        sa.Column("consent_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", _timestamp(), nullable=False),
    )
    op.create_index("ix_consents_patient_id", "consents", ["patient_id"])
    op.create_table(
        "enrolments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "cohort_id",
            sa.Integer(),
            sa.ForeignKey("cohorts.id", name="fk_enrolments_cohort_id_cohorts"),
            nullable=False,
        ),
        sa.Column(
            "patient_id",
            sa.Integer(),
            sa.ForeignKey("patients.id", name="fk_enrolments_patient_id_patients"),
            nullable=False,
        ),
        sa.Column(
            "decision_id",
            sa.Integer(),
            sa.ForeignKey("mtb_decisions.id", name="fk_enrolments_decision_id_mtb_decisions"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("enrolled_at", _timestamp(), nullable=False),
        sa.Column("outcome_recorded_at", _timestamp(), nullable=True),
        sa.UniqueConstraint("cohort_id", "position", name="uq_enrolments_place"),
        sa.UniqueConstraint("cohort_id", "patient_id", name="uq_enrolments_patient"),
    )
    op.create_index("ix_enrolments_patient_id", "enrolments", ["patient_id"])
    op.create_table(
        "pooled_counts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "cohort_id",
            sa.Integer(),
            sa.ForeignKey("cohorts.id", name="fk_pooled_counts_cohort_id_cohorts"),
            nullable=False,
        ),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("evaluable", sa.Integer(), nullable=False),
        sa.Column("benefit", sa.Integer(), nullable=False),
        sa.Column("recorded_at", _timestamp(), nullable=False),
    )
    op.create_index("ix_pooled_counts_cohort_id", "pooled_counts", ["cohort_id"])
    op.create_table(
        "cohort_transitions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "cohort_id",
            sa.Integer(),
            sa.ForeignKey("cohorts.id", name="fk_cohort_transitions_cohort_id_cohorts"),
            nullable=False,
        ),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("counts", _json(), nullable=False),
        sa.Column("at", _timestamp(), nullable=False),
    )
    op.create_index("ix_cohort_transitions_cohort_id", "cohort_transitions", ["cohort_id"])
    op.create_table(
        "not_treated",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "patient_id",
            sa.Integer(),
            sa.ForeignKey("patients.id", name="fk_not_treated_patient_id_patients"),
            nullable=False,
        ),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("criterion", sa.String(200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", _timestamp(), nullable=False),
    )
    op.create_index("ix_not_treated_patient_id", "not_treated", ["patient_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", _timestamp(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("study_id", sa.String(64), nullable=True),
        sa.Column("before", _json(), nullable=True),
        sa.Column("after", _json(), nullable=True),
    )
    op.create_index("ix_audit_events_study_id", "audit_events", ["study_id"])
    _forbid_changes_to_audit_events()


def _forbid_changes_to_audit_events() -> None:
    """The audit trail is append-only: the database itself refuses UPDATE and DELETE on it."""
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION oncobasket_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
            END;
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION oncobasket_audit_append_only()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{operation.lower()} BEFORE {operation} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: {operation} refused'); END"
            )


def downgrade() -> None:
    """Never: the registry keeps everything (a downgrade would delete the trial's records)."""
    raise NotImplementedError("OncoBasket never downgrades a trial registry; restore a backup instead")
