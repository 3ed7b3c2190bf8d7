"""Artifact rows: lookups, filtered enumeration, and the rows regex search scans."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sqlalchemy import and_, delete, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from registry.db.models import ArtifactRow

# Columns needed to answer a listing; cards stay out of enumeration queries.
SUMMARY_COLUMNS = (ArtifactRow.seq, ArtifactRow.id, ArtifactRow.name, ArtifactRow.type)
SummaryRow = tuple[int, str, str, str]


class ArtifactRepository:
    """Reads and writes artifact rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: ArtifactRow) -> ArtifactRow:
        """Insert an artifact."""
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, artifact_id: str) -> ArtifactRow | None:
        """Return the artifact with this id, if any."""
        result = await self.session.execute(select(ArtifactRow).where(ArtifactRow.id == artifact_id))
        return result.scalar_one_or_none()

    async def id_exists(self, artifact_id: str) -> bool:
        """Tell whether an id is taken."""
        result = await self.session.execute(select(ArtifactRow.seq).where(ArtifactRow.id == artifact_id))
        return result.first() is not None

    async def find_same(self, artifact_type: str, name: str, url: str) -> ArtifactRow | None:
        """Return an artifact with this exact type, name and url, if one exists."""
        result = await self.session.execute(
            select(ArtifactRow)
            .where(ArtifactRow.type == artifact_type, ArtifactRow.name == name, ArtifactRow.url == url)
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def delete(self, artifact_id: str) -> None:
        """Delete one artifact."""
        await self.session.execute(delete(ArtifactRow).where(ArtifactRow.id == artifact_id))

    async def delete_all(self) -> None:
        """Delete every artifact (registry reset)."""
        await self.session.execute(delete(ArtifactRow))

    @staticmethod
    def _filtered(names: Sequence[str] | None, types: Sequence[str] | None) -> Select[SummaryRow]:
        statement: Select[SummaryRow] = select(*SUMMARY_COLUMNS)  # type: ignore[assignment]
        if names is not None:
            statement = statement.where(ArtifactRow.name.in_(names))  # type: ignore[attr-defined]
        if types:
            statement = statement.where(ArtifactRow.type.in_(types))  # type: ignore[attr-defined]
        return statement

    async def page_any(
        self, conditions: Sequence[tuple[Sequence[str] | None, Sequence[str] | None]], offset: int, limit: int
    ) -> list[SummaryRow]:
        """A page of artifacts matching any (names, types) condition, in registration order."""
        clauses = []
        for names, types in conditions:
            parts = []
            if names is not None:
                parts.append(ArtifactRow.name.in_(names))  # type: ignore[attr-defined]
            if types:
                parts.append(ArtifactRow.type.in_(types))  # type: ignore[attr-defined]
            clauses.append(and_(true(), *parts))
        statement = (
            select(*SUMMARY_COLUMNS).where(or_(*clauses)).order_by(ArtifactRow.seq).offset(offset).limit(limit)  # type: ignore[arg-type]
        )
        result = await self.session.execute(statement)
        return [tuple(row) for row in result.all()]  # type: ignore[misc]

    async def count_matching(self, names: Sequence[str] | None, types: Sequence[str] | None) -> int:
        """How many artifacts a filter matches (names None = every name)."""
        inner = self._filtered(names, types).subquery()
        result = await self.session.execute(select(func.count()).select_from(inner))
        return int(result.scalar_one())

    async def page(
        self, names: Sequence[str] | None, types: Sequence[str] | None, offset: int, limit: int
    ) -> list[SummaryRow]:
        """One page of (seq, id, name, type) in registration order."""
        statement = self._filtered(names, types).order_by(ArtifactRow.seq).offset(offset).limit(limit)  # type: ignore[arg-type]
        result = await self.session.execute(statement)
        return [tuple(row) for row in result.all()]  # type: ignore[misc]

    async def by_name(self, name: str, limit: int) -> list[SummaryRow]:
        """Artifacts with exactly this name (case-sensitive), oldest first."""
        return await self.page([name], None, 0, limit)

    async def by_ids(self, ids: Sequence[str]) -> list[SummaryRow]:
        """Summaries for the given ids, in registration order."""
        if not ids:
            return []
        result = await self.session.execute(
            select(*SUMMARY_COLUMNS).where(ArtifactRow.id.in_(ids)).order_by(ArtifactRow.seq)  # type: ignore[attr-defined,arg-type]
        )
        return [tuple(row) for row in result.all()]  # type: ignore[misc]

    async def scan_text(self, batch: int = 500) -> AsyncIterator[list[tuple[int, str, str, str, str]]]:
        """Yield batches of (seq, id, name, type, card_text) in seq order, keyset-paged."""
        last = 0
        while True:
            result = await self.session.execute(
                select(ArtifactRow.seq, ArtifactRow.id, ArtifactRow.name, ArtifactRow.type, ArtifactRow.card_text)
                .where(ArtifactRow.seq > last)  # type: ignore[operator]
                .order_by(ArtifactRow.seq)  # type: ignore[arg-type]
                .limit(batch)
            )
            rows = [tuple(row) for row in result.all()]
            if not rows:
                return
            yield rows  # type: ignore[misc]
            last = rows[-1][0]
