"""Atomic groups of changes: transactions and their operations.

Revision ID: 0010_transactions
Revises: 0001
Create Date: 2026-12-14
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010_transactions"
down_revision = "0001"
branch_labels = ("transactions",)
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    """Create the transactions and transaction_operations tables."""
    op.create_table(
        "transactions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("owner_name", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("failure", JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_transactions_state_expires", "transactions", ["state", "expires_at"])
    op.create_table(
        "transaction_operations",
        sa.Column(
            "transaction_id",
            sa.String(32),
            sa.ForeignKey("transactions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("body", JSON, nullable=False),
        sa.Column("staged", JSON, nullable=True),
        sa.Column("result", JSON, nullable=True),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("transaction_operations")
    op.drop_index("ix_transactions_state_expires", table_name="transactions")
    op.drop_table("transactions")
