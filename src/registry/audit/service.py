"""The audit trail: who did what to which artifact, and when."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

from registry.auth.schemas import Principal
from registry.db.engine import Database
from registry.db.models import ArtifactRow, AuditRow
from registry.db.repositories import UnitOfWork
from registry.db.repositories.audit import append_entry
from registry.errors import NotFoundError
from registry.ids import isoformat_z, utcnow

# The contract's actions, and DELETE (ours): the last entry of a deleted artifact's trail.
AuditAction = Literal["CREATE", "UPDATE", "DOWNLOAD", "RATE", "AUDIT", "DELETE"]


class AuditSubject(Protocol):
    """What an entry names of its artifact (an ArtifactRow, or a download's lighter read)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...


class AuditService:
    """Records and reads audit entries."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries

    async def record(
        self, uow: UnitOfWork, actor: Principal, artifact: AuditSubject, action: AuditAction
    ) -> None:
        """Append one entry for an action on an artifact, in the caller's transaction."""
        await uow.audit.add(_entry(actor, artifact, action))

    async def append(
        self, db: Database, actor: Principal, artifact: AuditSubject, action: AuditAction
    ) -> None:
        """Append one entry in a transaction of its own (an action that writes nothing else)."""
        entry = _entry(actor, artifact, action)
        await db.run(lambda conn: append_entry(conn, entry), write=True)

    async def trail(self, uow: UnitOfWork, artifact: ArtifactRow) -> list[dict[str, Any]]:
        """The artifact's entries, oldest first, as the contract's ArtifactAuditEntry objects."""
        rows = await uow.audit.for_artifact(artifact.id, self.max_entries)
        return _render(rows)

    async def history(
        self, uow: UnitOfWork, artifact_type: str, artifact_id: str
    ) -> list[dict[str, Any]]:
        """The newest stored entries of an artifact id, present or deleted (DELETE included),
        oldest first; 404 when none of that type was ever recorded. Entries outlive their
        artifact (only a registry reset forgets them)."""
        rows = await uow.audit.latest_for_artifact(artifact_id, artifact_type, self.max_entries)
        entries = _render(rows)
        if not entries:
            raise NotFoundError(f"no audit entry names {artifact_type} artifact '{artifact_id}'")
        return entries


def _render(rows: Sequence[AuditRow]) -> list[dict[str, Any]]:
    return [
        {
            "user": {"name": row.user_name, "is_admin": row.user_is_admin},
            "date": isoformat_z(row.date),
            "artifact": {
                "name": row.artifact_name,
                "id": row.artifact_id,
                "type": row.artifact_type,
            },
            "action": row.action,
        }
        for row in rows
    ]


def _entry(actor: Principal, artifact: AuditSubject, action: AuditAction) -> dict[str, Any]:
    return {
        "artifact_id": artifact.id,
        "artifact_name": artifact.name,
        "artifact_type": artifact.type,
        "user_name": actor.name,
        "user_is_admin": actor.is_admin,
        "action": action,
        "date": utcnow(),
    }
