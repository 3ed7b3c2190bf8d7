"""SQLModel tables: the registry's metadata schema (migrations in db/migrations mirror it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

# JSON on SQLite (stored as text), JSONB on PostgreSQL.
JsonType = sa.JSON().with_variant(JSONB(), "postgresql")
# The unique index behind "one artifact per identity" (a violation is answered 409).
IDENTITY_INDEX = "uq_artifacts_identity"


class UserRow(SQLModel, table=True):
    """An account: name, argon2id hash, and its permissions."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, sa_column_kwargs={"unique": True}, index=True)
    password_hash: str = Field(max_length=512)
    is_admin: bool = False
    can_upload: bool = False
    can_search: bool = True
    can_download: bool = True
    # True while the default admin still has its bootstrap password (accepted in its spellings).
    bootstrap: bool = False
    created_at: datetime = Field(sa_type=sa.DateTime())


class TokenRow(SQLModel, table=True):
    """An issued bearer token, stored only as a sha256 of its secret."""

    __tablename__ = "tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    calls: int = 0
    max_calls: int
    expires_at: datetime = Field(sa_type=sa.DateTime())
    created_at: datetime = Field(sa_type=sa.DateTime())


class ArtifactRow(SQLModel, table=True):
    """A registered model, dataset or code artifact and what its source said about it."""

    __tablename__ = "artifacts"
    __table_args__ = (
        sa.Index("ix_artifacts_type_name", "type", "name"),
        # One artifact per identity (type, name, source URL; an upload's URL carries its
        # version). Rows marked duplicate_of by migration 0009 predate the rule and are exempt.
        # On PostgreSQL the index holds md5s of name and url: a btree entry is capped at ~2.7 KB.
        sa.Index(
            IDENTITY_INDEX,
            "type",
            "name",
            "url",
            unique=True,
            sqlite_where=sa.text("duplicate_of IS NULL"),
            postgresql_where=sa.text("duplicate_of IS NULL"),
        ),
    )

    # seq gives a stable, monotonic order for enumeration and keyset paging.
    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(max_length=32, sa_column_kwargs={"unique": True}, index=True)
    name: str = Field(max_length=512, index=True)
    type: str = Field(max_length=16)
    url: str = Field(max_length=2048)
    source_kind: str = Field(max_length=16)
    source_ref: str = Field(max_length=2048)
    commit_sha: str | None = Field(default=None, max_length=64)
    card_text: str = Field(default="", sa_type=sa.Text)
    card_data: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    config: dict[str, Any] | None = Field(default=None, sa_type=JsonType)
    files: list[dict[str, Any]] = Field(default_factory=list, sa_type=JsonType)
    license: str | None = Field(default=None, max_length=128)
    description: str | None = Field(default=None, sa_type=sa.Text)
    default_branch: str | None = Field(default=None, max_length=256)
    tags: list[str] = Field(default_factory=list, sa_type=JsonType)
    extra: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    size_bytes: int = 0
    created_by: str = Field(max_length=128)
    # The creator's user id (with created_by, who may change or delete it); None: unknown.
    created_by_id: int | None = Field(default=None)
    # Set only by migration 0009 on rows that duplicated an older artifact's identity.
    duplicate_of: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_type=sa.DateTime())
    updated_at: datetime = Field(sa_type=sa.DateTime())


class AuditRow(SQLModel, table=True):
    """One audit entry; denormalised so it survives renames and reads without joins."""

    __tablename__ = "audit_entries"

    id: int | None = Field(default=None, primary_key=True)
    artifact_id: str = Field(max_length=32, index=True)
    artifact_name: str = Field(max_length=512)
    artifact_type: str = Field(max_length=16)
    user_name: str = Field(max_length=128)
    user_is_admin: bool
    action: str = Field(max_length=16)
    date: datetime = Field(sa_type=sa.DateTime())
