"""Ratings table.

Revision ID: 0006_rating
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006_rating"
down_revision = "0001"
branch_labels = ("rating",)
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    """Create the ratings table."""
    op.create_table(
        "ratings",
        sa.Column("artifact_id", sa.String(32), primary_key=True),
        sa.Column("rating", JSON, nullable=False),
        sa.Column("net_score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failing", JSON, nullable=False),
        sa.Column("not_applicable", JSON, nullable=False),
        sa.Column("reproducibility_case", sa.String(16), nullable=False),
        sa.Column("reproducibility_detail", JSON, nullable=False),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_ratings_status", "ratings", ["status"])


def downgrade() -> None:
    """Drop the ratings table."""
    op.drop_table("ratings")
