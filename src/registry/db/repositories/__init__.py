"""Repositories: the only place SQL lives. A UnitOfWork bundles them over one session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.repositories.artifacts import ArtifactRepository
from registry.db.repositories.audit import AuditRepository
from registry.db.repositories.users import TokenRepository, UserRepository

__all__ = [
    "ArtifactRepository",
    "AuditRepository",
    "TokenRepository",
    "UnitOfWork",
    "UserRepository",
]


class UnitOfWork:
    """One transaction's repositories; the request boundary commits it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.users = UserRepository(session)
        self.tokens = TokenRepository(session)
        self.artifacts = ArtifactRepository(session)
        self.audit = AuditRepository(session)

    @property
    def dialect(self) -> str:
        """Name of the SQL dialect behind this unit of work."""
        return self.session.get_bind().dialect.name
