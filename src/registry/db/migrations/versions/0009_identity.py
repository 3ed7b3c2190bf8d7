"""Artifacts: one artifact per identity, enforced by a unique index; each knows its creator's id.

The identity is (type, name, url): a registration's source URL as stored (stripped), an
upload's `upload://<name>/<version>`, so uploads are unique per type, name and version.

Existing duplicates must not fail start-up: the oldest artifact of each identity keeps it, and
every younger one is marked `duplicate_of = <the oldest's id>` and left out of the (partial)
index. Marked rows stay readable and deletable, so an admin can review them; nothing is lost.

On PostgreSQL the index holds md5s of name and url, since a btree entry is capped at about
2.7 KB and a 2048-character URL with a 512-character name may exceed it.

Revision ID: 0009_identity
Revises: 0001
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_identity"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEX = "uq_artifacts_identity"

# The oldest artifact of each identity stays unmarked; each younger one points at it.
MARK_DUPLICATES = """
UPDATE artifacts SET duplicate_of = (
    SELECT oldest.id FROM artifacts AS oldest
    WHERE oldest.type = artifacts.type AND oldest.name = artifacts.name
      AND oldest.url = artifacts.url
    ORDER BY oldest.seq LIMIT 1
)
WHERE EXISTS (
    SELECT 1 FROM artifacts AS older
    WHERE older.type = artifacts.type AND older.name = artifacts.name
      AND older.url = artifacts.url AND older.seq < artifacts.seq
)
"""


def upgrade() -> None:
    """Add created_by_id and duplicate_of, mark old duplicates, create the unique index."""
    op.add_column("artifacts", sa.Column("created_by_id", sa.Integer(), nullable=True))
    op.add_column("artifacts", sa.Column("duplicate_of", sa.String(32), nullable=True))
    # Existing artifacts belong to the account of their creator's name, if it still exists.
    op.execute(
        "UPDATE artifacts SET created_by_id = "
        "(SELECT users.id FROM users WHERE users.name = artifacts.created_by)"
    )
    op.execute(MARK_DUPLICATES)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE UNIQUE INDEX {INDEX} ON artifacts (type, md5(name), md5(url)) "
            "WHERE duplicate_of IS NULL"
        )
    else:
        op.execute(
            f"CREATE UNIQUE INDEX {INDEX} ON artifacts (type, name, url) WHERE duplicate_of IS NULL"
        )


def downgrade() -> None:
    """Drop the index and the two columns."""
    op.drop_index(INDEX, table_name="artifacts")
    with op.batch_alter_table("artifacts") as batch:
        batch.drop_column("duplicate_of")
        batch.drop_column("created_by_id")
