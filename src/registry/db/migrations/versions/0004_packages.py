"""Package tables: packages, package_files, package_archives.

Revision ID: 0004_packages
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_packages"
down_revision = "0001"
branch_labels = ("packages",)
depends_on = None


def upgrade() -> None:
    """Create the package tables."""
    op.create_table(
        "packages",
        sa.Column("artifact_id", sa.String(32), primary_key=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("version", sa.String(256), nullable=True),
        sa.Column("archive_digest", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "package_files",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("artifact_id", sa.String(32), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=True),
        sa.Column("git_blob_id", sa.String(64), nullable=True),
        sa.Column("part", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("stored", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("artifact_id", "path", name="uq_package_files_path"),
    )
    op.create_index("ix_package_files_artifact_id", "package_files", ["artifact_id"])
    op.create_table(
        "package_archives",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop the package tables."""
    op.drop_table("package_archives")
    op.drop_table("package_files")
    op.drop_table("packages")
