"""The trial registry: SQLAlchemy tables, the repository and Alembic migrations."""
