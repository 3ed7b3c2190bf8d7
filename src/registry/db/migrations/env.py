"""Alembic environment: runs on a connection handed in by registry.db.engine (sync facade)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from registry.db import models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` CLI without our runner gets here
    raise RuntimeError("run migrations through `registry migrate`, which supplies a connection")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
