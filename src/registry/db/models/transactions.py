"""Atomic groups of changes: a group (transaction) and its operations, in order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry.db.models import JsonType


class TransactionRow(SQLModel, table=True):
    """One group of changes, owned by its creator, applied all or none."""

    __tablename__ = "transactions"
    __table_args__ = (sa.Index("ix_transactions_state_expires", "state", "expires_at"),)

    id: str = Field(primary_key=True, max_length=32)
    owner_id: int
    owner_name: str = Field(max_length=128)
    # open -> executing -> committed | failed; open (or executing, past expiry) -> abandoned
    state: str = Field(max_length=16)
    # The failing operation of a failed group: index, op, status, error, message.
    failure: dict[str, Any] | None = Field(default=None, sa_type=JsonType)
    created_at: datetime = Field(sa_type=sa.DateTime())
    updated_at: datetime = Field(sa_type=sa.DateTime())
    expires_at: datetime = Field(sa_type=sa.DateTime())


class TransactionOperationRow(SQLModel, table=True):
    """One operation of a group: what was asked, what was staged for it, what it produced."""

    __tablename__ = "transaction_operations"

    transaction_id: str = Field(
        primary_key=True, max_length=32, foreign_key="transactions.id", ondelete="CASCADE"
    )
    position: int = Field(primary_key=True)
    body: dict[str, Any] = Field(sa_type=JsonType)
    # An upload's staged package (its SourceInfo and the blobs it created), else null.
    staged: dict[str, Any] | None = Field(default=None, sa_type=JsonType)
    result: dict[str, Any] | None = Field(default=None, sa_type=JsonType)
