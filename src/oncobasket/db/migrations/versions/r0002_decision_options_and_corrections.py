"""Structured decision C (which non-trial option), corrections of decisions and of week-16 outcomes.

Adds to ``mtb_decisions``: ``non_trial_option`` (other_trial, early_access or standard_care; only for
decision C), ``corrects_id`` (the decision a correction supersedes) and ``correction_reason``; and the
table ``outcome_corrections`` (an enrolment's outcome before and after a correction, with the reason).
Existing rows are kept as they are: C decisions recorded before this revision have no option (null).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The same text as oncobasket.db.models (a migration never imports the models, which move on).
_OPTION_CHECK = (
    "non_trial_option IS NULL OR (code = 'C' AND non_trial_option IN ('other_trial', 'early_access', 'standard_care'))"
)
_REASON_CHECK = (
    "(corrects_id IS NULL AND correction_reason IS NULL) OR (corrects_id IS NOT NULL AND correction_reason IS NOT NULL)"
)


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        _add_decision_columns_on_sqlite()
    else:
        op.add_column("mtb_decisions", sa.Column("non_trial_option", sa.String(32), nullable=True))
        op.add_column("mtb_decisions", sa.Column("corrects_id", sa.Integer(), nullable=True))
        op.add_column("mtb_decisions", sa.Column("correction_reason", sa.Text(), nullable=True))
        op.create_foreign_key(
            "fk_mtb_decisions_corrects_id_mtb_decisions", "mtb_decisions", "mtb_decisions", ["corrects_id"], ["id"]
        )
        op.create_check_constraint("ck_mtb_decisions_non_trial_option_only_for_c", "mtb_decisions", _OPTION_CHECK)
        op.create_check_constraint("ck_mtb_decisions_correction_has_reason", "mtb_decisions", _REASON_CHECK)
    op.create_table(
        "outcome_corrections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "enrolment_id",
            sa.Integer(),
            sa.ForeignKey("enrolments.id", name="fk_outcome_corrections_enrolment_id_enrolments"),
            nullable=False,
        ),
        sa.Column("outcome_before", sa.String(32), nullable=False),
        sa.Column("outcome_after", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_outcome_corrections_enrolment_id", "outcome_corrections", ["enrolment_id"])


def _add_decision_columns_on_sqlite() -> None:
    """SQLite adds columns with their constraints in place (``ALTER TABLE ... ADD COLUMN``).

    Alembic's batch mode would copy and drop ``mtb_decisions``, which enrolments refer to: with foreign
    keys on, dropping a table that other rows reference fails. A column's own REFERENCES and CHECK
    clauses are allowed in ADD COLUMN (sqlite.org/lang_altertable.html) and give the same constraints.
    """
    op.execute(
        "ALTER TABLE mtb_decisions ADD COLUMN non_trial_option VARCHAR(32) "
        f"CONSTRAINT ck_mtb_decisions_non_trial_option_only_for_c CHECK ({_OPTION_CHECK})"
    )
    op.execute(
        "ALTER TABLE mtb_decisions ADD COLUMN corrects_id INTEGER "
        "CONSTRAINT fk_mtb_decisions_corrects_id_mtb_decisions REFERENCES mtb_decisions (id)"
    )
    op.execute(
        "ALTER TABLE mtb_decisions ADD COLUMN correction_reason TEXT "
        f"CONSTRAINT ck_mtb_decisions_correction_has_reason CHECK ({_REASON_CHECK})"
    )


def downgrade() -> None:
    """Never: the registry keeps everything (a downgrade would delete the trial's records)."""
    raise NotImplementedError("OncoBasket never downgrades a trial registry; restore a backup instead")
