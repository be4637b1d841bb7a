"""Study IDs are unique without regard to letter case (issue 13: ``ob-0001`` must not register beside ``OB-0001``).

Adds a unique index on ``lower(study_id)``, the backstop of the services' case-insensitive lookups when two
registrations race. A registry holding two IDs that differ only in letter case cannot take the index: the
upgrade stops, names neither ID (they may be personal data) and says how to find and resolve them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


_CLASHES = (
    "SELECT count(*) FROM (SELECT lower(study_id) FROM patients GROUP BY lower(study_id) HAVING count(*) > 1) AS c"
)


def upgrade() -> None:
    clashes = op.get_bind().execute(sa.text(_CLASHES)).scalar_one()
    if clashes:
        raise RuntimeError(
            f"{clashes} study ID(s) are registered twice in different letter case; the registry cannot be "
            "upgraded until each pair is resolved (SELECT lower(study_id), count(*) FROM patients GROUP BY 1 "
            "HAVING count(*) > 1)"
        )
    op.create_index("ux_patients_study_id_lower", "patients", [sa.text("lower(study_id)")], unique=True)


def downgrade() -> None:
    """Never: the registry keeps everything (a downgrade would delete the trial's records)."""
    raise NotImplementedError("OncoBasket never downgrades a trial registry; restore a backup instead")
