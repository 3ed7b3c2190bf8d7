"""Initial schema: users, tokens, artifacts, audit entries.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    """Create the first version of every table."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(512), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("can_upload", sa.Boolean(), nullable=False),
        sa.Column("can_search", sa.Boolean(), nullable=False),
        sa.Column("can_download", sa.Boolean(), nullable=False),
        sa.Column("bootstrap", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_users_name", "users", ["name"])
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("max_calls", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"])
    op.create_table(
        "artifacts",
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("source_ref", sa.String(2048), nullable=False),
        sa.Column("commit_sha", sa.String(64), nullable=True),
        sa.Column("card_text", sa.Text(), nullable=False),
        sa.Column("card_data", JSON, nullable=False),
        sa.Column("config", JSON, nullable=True),
        sa.Column("files", JSON, nullable=False),
        sa.Column("license", sa.String(128), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("default_branch", sa.String(256), nullable=True),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("extra", JSON, nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_artifacts_id", "artifacts", ["id"])
    op.create_index("ix_artifacts_name", "artifacts", ["name"])
    op.create_index("ix_artifacts_type_name", "artifacts", ["type", "name"])
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("artifact_id", sa.String(32), nullable=False),
        sa.Column("artifact_name", sa.String(512), nullable=False),
        sa.Column("artifact_type", sa.String(16), nullable=False),
        sa.Column("user_name", sa.String(128), nullable=False),
        sa.Column("user_is_admin", sa.Boolean(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("date", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_audit_entries_artifact_id", "audit_entries", ["artifact_id"])


def downgrade() -> None:
    """Drop every table."""
    op.drop_table("audit_entries")
    op.drop_table("artifacts")
    op.drop_table("tokens")
    op.drop_table("users")
