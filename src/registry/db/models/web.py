"""Browser sessions of the web pages: only a hash of each session id is stored."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class WebSessionRow(SQLModel, table=True):
    """One signed-in browser; the cookie holds the secret, the table its sha256."""

    __tablename__ = "web_sessions"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # Synchronizer CSRF token, bound to this session and echoed in every form.
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=sa.DateTime())
    expires_at: datetime = Field(sa_type=sa.DateTime(), index=True)
