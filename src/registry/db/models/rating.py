"""Ratings: one stored rating per model, with its trust status and reproducibility outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry.db.models import JsonType


class RatingRow(SQLModel, table=True):
    """A model's latest rating: the 26 ModelRating keys plus what the trust gate decided."""

    __tablename__ = "ratings"

    # No foreign key: the artifacts listener deletes ratings itself, and SQLite batch migrations
    # of other areas must not have to know about this table.
    artifact_id: str = Field(primary_key=True, max_length=32)
    rating: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    net_score: float = 0.0
    # vetted | unvetted; indexed because listings filter on it.
    status: str = Field(max_length=16, index=True)
    failing: list[str] = Field(default_factory=list, sa_type=JsonType)
    # Which metrics were not applicable (reviewedness without a repo, tree_score without parents).
    not_applicable: list[str] = Field(default_factory=list, sa_type=JsonType)
    # pending | unchanged | repaired | no_code | failed
    reproducibility_case: str = Field(default="pending", max_length=16)
    reproducibility_detail: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    rated_at: datetime = Field(sa_type=sa.DateTime())
    updated_at: datetime = Field(sa_type=sa.DateTime())
