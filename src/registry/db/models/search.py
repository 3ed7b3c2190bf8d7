"""Search tables: the semantic versions each artifact carries (hub git tags, uploads)."""

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
