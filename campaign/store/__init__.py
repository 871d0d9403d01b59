"""The store: sqlmodel tables, one engine/session module, repositories and alembic migrations."""
