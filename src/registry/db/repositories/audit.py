"""Audit entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from registry.db.models import AuditRow


class AuditRepository:
    """Appends and reads audit entries."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, entry: dict[str, Any]) -> None:
        """Append one entry (AuditRow's columns but its id)."""
        await self.session.run_sync(lambda session: append_entry(session.connection(), entry))

    async def for_artifact(self, artifact_id: str, limit: int) -> Sequence[AuditRow]:
        """The artifact's entries, oldest first, at most `limit`."""
        result = await self.session.execute(
            select(AuditRow)
            .where(col(AuditRow.artifact_id) == artifact_id)
            .order_by(col(AuditRow.id))
            .limit(limit)
        )
        return result.scalars().all()

    async def latest_for_artifact(
        self, artifact_id: str, artifact_type: str, limit: int
    ) -> list[AuditRow]:
        """The newest `limit` entries of an artifact id and type, returned oldest first."""
        result = await self.session.execute(
            select(AuditRow)
            .where(
                col(AuditRow.artifact_id) == artifact_id,
                col(AuditRow.artifact_type) == artifact_type,
            )
            .order_by(col(AuditRow.id).desc())
            .limit(limit)
        )
        return list(reversed(result.scalars().all()))

    async def delete_all(self) -> None:
        """Forget every entry (registry reset)."""
        await self.session.execute(delete(AuditRow))


_APPEND = insert(AuditRow)  # built once: it caches its compiled form


def append_entry(conn: Connection, entry: dict[str, Any]) -> None:
    """Append one entry: AuditRow's columns but its id, which the database assigns."""
    conn.execute(_APPEND, entry)
