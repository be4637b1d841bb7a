"""Treatment, adverse events, prior treatments, tumour assessments and follow-up (issue 8).

Adds the tables ``treatments`` (cycle 1 day 1 of the enrolled cohort's drug), ``treatment_cycles``,
``treatment_ends``, ``follow_ups`` (alive, dead with the death date, lost to follow-up), ``adverse_events``
(CTCAE v5.0), ``prior_treatments`` (the PFS ratio's reference), ``tumour_assessments`` and
``lesion_measurements``. Rows are written once; a correction is a new row naming the row it corrects, with
the reason. Existing rows are untouched.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The same text as oncobasket.db.models (a migration never imports the models, which move on).
_CORRECTION_CHECK = (
    "(corrects_id IS NULL AND correction_reason IS NULL) OR (corrects_id IS NOT NULL AND correction_reason IS NOT NULL)"
)


def _foreign_key(table: str, column: str, target: str) -> sa.Column[int]:
    return sa.Column(column, sa.Integer(), sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}"))


def _correction_columns(table: str) -> list[sa.Column[Any]]:
    return [
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        _foreign_key(table, "corrects_id", table),
        sa.Column("correction_reason", sa.Text(), nullable=True),
    ]


def _correction_check(table: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(_CORRECTION_CHECK, name=f"ck_{table}_correction_has_reason")


def upgrade() -> None:
    op.create_table(
        "treatments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _not_null(_foreign_key("treatments", "patient_id", "patients")),
        _not_null(_foreign_key("treatments", "enrolment_id", "enrolments")),
        sa.Column("drug", sa.String(200), nullable=False),
        sa.Column("route", sa.String(32), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("enrolment_id", name="uq_treatments_enrolment_id"),
    )
    op.create_index("ix_treatments_patient_id", "treatments", ["patient_id"])
    op.create_table(
        "treatment_cycles",
        sa.Column("id", sa.Integer(), primary_key=True),
        _not_null(_foreign_key("treatment_cycles", "treatment_id", "treatments")),
        sa.Column("cycle_number", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("doses", sa.JSON(), nullable=False),
        sa.Column("dose_change", sa.String(32), nullable=False),
        sa.Column("dose_change_reason", sa.Text(), nullable=True),
        sa.Column("delay_days", sa.Integer(), nullable=False),
        sa.Column("delay_reason", sa.Text(), nullable=True),
        *_correction_columns("treatment_cycles"),
        sa.CheckConstraint("cycle_number >= 1", name="ck_treatment_cycles_cycle_number_positive"),
        sa.CheckConstraint("delay_days >= 0", name="ck_treatment_cycles_delay_not_negative"),
        _correction_check("treatment_cycles"),
    )
    op.create_index("ix_treatment_cycles_treatment_id", "treatment_cycles", ["treatment_id"])
    op.create_table(
        "treatment_ends",
        sa.Column("id", sa.Integer(), primary_key=True),
        _not_null(_foreign_key("treatment_ends", "treatment_id", "treatments")),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        *_correction_columns("treatment_ends"),
        _correction_check("treatment_ends"),
    )
    op.create_index("ix_treatment_ends_treatment_id", "treatment_ends", ["treatment_id"])
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), primary_key=True),
        _not_null(_foreign_key("follow_ups", "patient_id", "patients")),
        sa.Column("contact_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("death_date", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *_correction_columns("follow_ups"),
        sa.CheckConstraint("(status = 'dead') = (death_date IS NOT NULL)", name="ck_follow_ups_death_date_when_dead"),
        _correction_check("follow_ups"),
    )
    op.create_index("ix_follow_ups_patient_id", "follow_ups", ["patient_id"])
    op.create_table(
        "adverse_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        _not_null(_foreign_key("adverse_events", "patient_id", "patients")),
        sa.Column("term", sa.String(200), nullable=False),
        sa.Column("meddra_code", sa.String(16), nullable=True),
        sa.Column("specification", sa.Text(), nullable=True),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("relations", sa.JSON(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        *_correction_columns("adverse_events"),
        sa.CheckConstraint("grade BETWEEN 1 AND 5", name="ck_adverse_events_ctcae_grade"),
        _correction_check("adverse_events"),
    )
    op.create_index("ix_adverse_events_patient_id", "adverse_events", ["patient_id"])
    op.create_table(
        "prior_treatments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _not_null(_foreign_key("prior_treatments", "patient_id", "patients")),
        sa.Column("regimen", sa.String(200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("progression_date", sa.Date(), nullable=True),
        *_correction_columns("prior_treatments"),
        _correction_check("prior_treatments"),
    )
    op.create_index("ix_prior_treatments_patient_id", "prior_treatments", ["patient_id"])
    op.create_table(
        "tumour_assessments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _not_null(_foreign_key("tumour_assessments", "patient_id", "patients")),
        sa.Column("assessment_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("method", sa.String(32), nullable=True),
        sa.Column("new_lesions", sa.Boolean(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        *_correction_columns("tumour_assessments"),
        sa.CheckConstraint("kind IN ('baseline', 'follow_up')", name="ck_tumour_assessments_assessment_kind"),
        _correction_check("tumour_assessments"),
    )
    op.create_index("ix_tumour_assessments_patient_id", "tumour_assessments", ["patient_id"])
    op.create_table(
        "lesion_measurements",
        sa.Column("id", sa.Integer(), primary_key=True),
        _not_null(_foreign_key("lesion_measurements", "assessment_id", "tumour_assessments")),
        sa.Column("lesion", sa.String(64), nullable=False),
        sa.Column("site", sa.String(64), nullable=True),
        sa.Column("target", sa.Boolean(), nullable=False),
        sa.Column("diameter_mm", sa.Float(), nullable=True),
        sa.Column("status", sa.String(32), nullable=True),
        sa.UniqueConstraint("assessment_id", "lesion", name="uq_lesion_measurements_lesion"),
    )
    op.create_index("ix_lesion_measurements_assessment_id", "lesion_measurements", ["assessment_id"])


def _not_null(column: sa.Column[int]) -> sa.Column[int]:
    column.nullable = False
    return column


def downgrade() -> None:
    """Never: the registry keeps everything (a downgrade would delete the trial's records)."""
    raise NotImplementedError("OncoBasket never downgrades a trial registry; restore a backup instead")
