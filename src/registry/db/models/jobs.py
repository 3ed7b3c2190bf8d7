"""Background jobs: mirroring, rating runs and other work that outlives a request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry.db.models import JsonType


class JobRow(SQLModel, table=True):
    """One tracked unit of background work and its visible status."""

    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_status_run_after", "status", "run_after"),)

    id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=64)
    artifact_id: str | None = Field(default=None, max_length=32, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    # queued -> running -> succeeded | failed; a failed attempt with retries left is queued again
    status: str = Field(max_length=16)
    attempts: int = 0
    max_attempts: int = 3
    error: str | None = Field(default=None, sa_type=sa.Text)
    result: dict[str, Any] | None = Field(default=None, sa_type=JsonType)
    run_after: datetime = Field(sa_type=sa.DateTime())
    lease_until: datetime | None = Field(default=None, sa_type=sa.DateTime())
    created_at: datetime = Field(sa_type=sa.DateTime())
    updated_at: datetime = Field(sa_type=sa.DateTime())
