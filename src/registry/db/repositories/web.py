"""Browser sessions of the web pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from registry.db.models import UserRow
from registry.db.models.web import WebSessionRow


class WebSessionRepository:
    """Reads and writes web session rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: WebSessionRow) -> None:
        """Store a new session."""
        self.session.add(row)
        await self.session.flush()

    async def live(self, id_hash: str, now: datetime) -> tuple[WebSessionRow, UserRow] | None:
        """The unexpired session with this id hash and its user, if both exist."""
        result = await self.session.execute(
            select(WebSessionRow, UserRow)
            .join(UserRow, col(UserRow.id) == col(WebSessionRow.user_id))
            .where(col(WebSessionRow.id_hash) == id_hash)
            .where(col(WebSessionRow.expires_at) > now)
        )
        row = result.first()
        return None if row is None else (row[0], row[1])

    async def delete(self, id_hash: str) -> None:
        """Forget one session (sign out)."""
        await self.session.execute(
            delete(WebSessionRow).where(col(WebSessionRow.id_hash) == id_hash)
        )

    async def delete_for_user(self, user_id: int) -> None:
        """Forget every session of a user."""
        await self.session.execute(
            delete(WebSessionRow).where(col(WebSessionRow.user_id) == user_id)
        )

    async def delete_expired(self, now: datetime) -> None:
        """Drop sessions past their expiry."""
        await self.session.execute(
            delete(WebSessionRow).where(col(WebSessionRow.expires_at) <= now)
        )
