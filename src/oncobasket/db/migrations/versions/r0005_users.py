"""Accounts of the web application and API (issue 10).

Adds the table ``users``: user name, the argon2 hash of the password, role and (for an investigator) site.
Existing tables are untouched.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The same text as oncobasket.db.models (a migration never imports the models, which move on).
_ROLE_CHECK = "role IN ('admin', 'coordinator', 'mtb', 'investigator', 'monitor')"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("site", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.CheckConstraint(_ROLE_CHECK, name="ck_users_user_role"),
        sa.CheckConstraint("role <> 'investigator' OR site IS NOT NULL", name="ck_users_investigator_has_site"),
    )


def downgrade() -> None:
    op.drop_table("users")
