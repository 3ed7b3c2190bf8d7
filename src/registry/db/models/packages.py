"""Package tables: stored file lists (with their download part), upload versions, cached zips."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class PackageRow(SQLModel, table=True):
    """Where an artifact's content comes from and, for uploads, the version it was given."""

    __tablename__ = "packages"

    artifact_id: str = Field(primary_key=True, max_length=32)
    origin: str = Field(max_length=16)  # upload | hf_model | hf_dataset | github
    version: str | None = Field(default=None, max_length=256)
    archive_digest: str | None = Field(default=None, max_length=64)  # the upload's own zip
    created_at: datetime = Field(sa_type=sa.DateTime())
    updated_at: datetime = Field(sa_type=sa.DateTime())


class PackageFileRow(SQLModel, table=True):
    """One file of a package: its part, size and digest; stored once its blob is committed."""

    __tablename__ = "package_files"
    __table_args__ = (sa.UniqueConstraint("artifact_id", "path", name="uq_package_files_path"),)

    id: int | None = Field(default=None, primary_key=True)
    artifact_id: str = Field(max_length=32, index=True)
    path: str = Field(max_length=1024)
    size: int = Field(default=0, sa_type=sa.BigInteger())
    # sha256 of the bytes: known up front for uploads and hub LFS files, else once mirrored.
    digest: str | None = Field(default=None, max_length=64)
    git_blob_id: str | None = Field(default=None, max_length=64)
    part: str = Field(max_length=16)
    # "file", or "archive" when the row is a whole repository archive (a GitHub zipball).
    kind: str = Field(default="file", max_length=16)
    stored: bool = False


class PackageArchiveRow(SQLModel, table=True):
    """A zip built from a set of stored files, cached under the hash of its (path, digest) list."""

    __tablename__ = "package_archives"

    key: str = Field(primary_key=True, max_length=64)
    digest: str = Field(max_length=64)
    size: int = Field(default=0, sa_type=sa.BigInteger())
    created_at: datetime = Field(sa_type=sa.DateTime())
