"""Search: artifact versions table; pg_trgm GIN indexes on artifact names and cards (PostgreSQL).

Revision ID: 0005_search
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_search"
down_revision = "0001"
branch_labels = ("search",)
depends_on = None


def upgrade() -> None:
    """Create artifact_versions; on PostgreSQL add pg_trgm and the trigram indexes."""
    op.create_table(
        "artifact_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "artifact_seq",
            sa.Integer(),
            sa.ForeignKey("artifacts.seq", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("raw", sa.String(256), nullable=False),
        sa.Column("major", sa.BigInteger(), nullable=False),
        sa.Column("minor", sa.BigInteger(), nullable=False),
        sa.Column("patch", sa.BigInteger(), nullable=False),
        sa.Column("prerelease", sa.String(128), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.UniqueConstraint("artifact_seq", "version", name="uq_artifact_versions_seq_version"),
    )
    op.create_index(
        "ix_artifact_versions_triple",
        "artifact_versions",
        ["major", "minor", "patch", "artifact_seq"],
    )
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no trigram indexes; its REGEXP function is registered per connection
    # pg_trgm is a trusted extension (PostgreSQL 13+), so a database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_artifacts_name_trgm "
        "ON artifacts USING gin (name gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_artifacts_card_trgm "
        "ON artifacts USING gin (card_text gin_trgm_ops)"
    )


def downgrade() -> None:
    """Drop the trigram indexes and the versions table (the extension may serve others)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_artifacts_card_trgm")
        op.execute("DROP INDEX IF EXISTS ix_artifacts_name_trgm")
    op.drop_table("artifact_versions")
