"""Search tables: the semantic versions each artifact carries (hub git tags, uploads), and the
per-bucket artifact counts that let a numeric offset skip ahead."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class ArtifactVersionRow(SQLModel, table=True):
    """One semver version of one artifact; major/minor/patch are columns so SQL can range-scan."""

    __tablename__ = "artifact_versions"
    __table_args__ = (
        sa.UniqueConstraint("artifact_seq", "version", name="uq_artifact_versions_seq_version"),
        sa.Index("ix_artifact_versions_triple", "major", "minor", "patch", "artifact_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    artifact_seq: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("artifacts.seq", ondelete="CASCADE"), nullable=False
        )
    )
    # Normalised semver text ("1.2.3", "1.2.3-rc.1"); `raw` keeps what the source said ("v1.2.3").
    version: str = Field(max_length=128)
    raw: str = Field(max_length=256)
    major: int = Field(sa_type=sa.BigInteger)
    minor: int = Field(sa_type=sa.BigInteger)
    patch: int = Field(sa_type=sa.BigInteger)
    prerelease: str = Field(default="", max_length=128)
    source: str = Field(max_length=16)  # "git_tag" or "upload"


class ArtifactSeqBucketRow(SQLModel, table=True):
    """How many artifacts of a type have seq in [bucket * SEQ_BUCKET, (bucket + 1) * SEQ_BUCKET).

    An offset page (the contract's POST /artifacts) sums these counts to find the bucket its
    first row lies in, then skips fewer than SEQ_BUCKET rows: deep pages cost about the same
    as the first, instead of a walk over every earlier row.
    """

    __tablename__ = "artifact_seq_buckets"

    type: str = Field(primary_key=True, max_length=16)
    bucket: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    n: int = 0
