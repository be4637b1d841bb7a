"""Alembic environment: migrations run on the connection OncoBasket hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from oncobasket.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("OncoBasket runs its migrations through oncobasket.db.session.Database.upgrade()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
