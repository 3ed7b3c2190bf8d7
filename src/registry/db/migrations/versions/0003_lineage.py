"""Lineage edges and reference keys.

Revision ID: 0003_lineage
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_lineage"
down_revision = "0001"
branch_labels = ("lineage",)
depends_on = None


def upgrade() -> None:
    """Create lineage_edges and lineage_keys."""
    op.create_table(
        "lineage_edges",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("child_id", sa.String(32), nullable=False),
        sa.Column("parent_key", sa.String(600), nullable=False),
        sa.Column("parent_kind", sa.String(16), nullable=False),
        sa.Column("parent_ref", sa.String(512), nullable=False),
        sa.Column("parent_id", sa.String(32), nullable=True),
        sa.Column("relationship", sa.String(32), nullable=False),
        sa.Column("relation", sa.String(16), nullable=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.UniqueConstraint("child_id", "parent_key", name="uq_lineage_edges_child_parent"),
    )
    op.create_index("ix_lineage_edges_child_id", "lineage_edges", ["child_id"])
    op.create_index("ix_lineage_edges_parent_key", "lineage_edges", ["parent_key"])
    op.create_index("ix_lineage_edges_parent_id", "lineage_edges", ["parent_id"])
    op.create_table(
        "lineage_keys",
        sa.Column("artifact_id", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(600), primary_key=True),
    )
    op.create_index("ix_lineage_keys_key", "lineage_keys", ["key"])


def downgrade() -> None:
    """Drop the lineage tables."""
    op.drop_table("lineage_keys")
    op.drop_table("lineage_edges")
