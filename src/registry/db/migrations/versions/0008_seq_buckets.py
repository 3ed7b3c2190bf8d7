"""Search: per-type counts of artifacts per seq bucket, so offset pages skip ahead; on
PostgreSQL a covering index so the rows they skip are read from the index alone.

Revision ID: 0008_seq_buckets
Revises: 0005_search
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_seq_buckets"
down_revision = "0005_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create artifact_seq_buckets and count the artifacts already stored."""
    op.create_table(
        "artifact_seq_buckets",
        sa.Column("type", sa.String(16), primary_key=True),
        sa.Column("bucket", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    # 1024 is registry.db.repositories.artifacts.SEQ_BUCKET (integer division on both backends).
    op.execute(
        "INSERT INTO artifact_seq_buckets (type, bucket, n) "
        "SELECT type, seq / 1024, count(*) FROM artifacts GROUP BY type, seq / 1024"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_artifacts_seq_summary "
            "ON artifacts (seq) INCLUDE (id, name, type)"
        )


def downgrade() -> None:
    """Drop the bucket counts and the covering index."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_artifacts_seq_summary")
    op.drop_table("artifact_seq_buckets")
