"""Lineage tables: parent references extracted from metadata, and the keys artifacts answer to."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class LineageEdgeRow(SQLModel, table=True):
    """One parent -> child relation found in a registered child's metadata.

    The parent is kept by reference (`parent_key`, e.g. "hf_model:google-bert/bert-base-uncased")
    so it survives as an external node until an artifact answering to that key is registered;
    `parent_id` is then filled in (and emptied again when that artifact is deleted).
    """

    __tablename__ = "lineage_edges"
    __table_args__ = (
        sa.UniqueConstraint("child_id", "parent_key", name="uq_lineage_edges_child_parent"),
    )

    id: int | None = Field(default=None, primary_key=True)
    child_id: str = Field(max_length=32, index=True)
    parent_key: str = Field(max_length=600, index=True)
    parent_kind: str = Field(max_length=16)  # model | dataset | code
    parent_ref: str = Field(max_length=512)  # the hub / GitHub repo id as written
    parent_id: str | None = Field(default=None, max_length=32, index=True)
    relationship: str = Field(max_length=32)  # base_model | training_dataset | linked_code
    relation: str | None = Field(default=None, max_length=16)  # finetune | adapter | merge | ...
    source: str = Field(max_length=32)  # model_card | adapter_config | config_json | ...


class LineageKeyRow(SQLModel, table=True):
    """A reference key a registered artifact answers to (its hub / GitHub repo id, aliases)."""

    __tablename__ = "lineage_keys"

    artifact_id: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=600, index=True)
