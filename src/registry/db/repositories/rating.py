"""Ratings: read, upsert, delete, and the trust-status listing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from registry.db.models import ArtifactRow
from registry.db.models.rating import RatingRow

SummaryRow = tuple[int, str, str, str]


_SETTLE_LOCK_KEY = 0x52415445  # "RATE": one advisory lock for settling ratings


class RatingRepository:
    """Reads and writes rating rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def serialize_settling(self) -> None:
        """Hold, until this transaction ends, the lock every rating write that reads other
        models' net scores or touches several rows takes (PostgreSQL; SQLite write
        transactions are serial already).

        Without it a sandbox run settling a child could read its parent's net score just
        before the parent's own run commits a new one, and then store the stale tree score.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SETTLE_LOCK_KEY}
            )

    async def get(self, artifact_id: str) -> RatingRow | None:
        """The stored rating of one model, if any."""
        return await self.session.get(RatingRow, artifact_id)

    async def get_many(self, artifact_ids: Sequence[str]) -> Sequence[RatingRow]:
        """The ratings of several models in one query."""
        if not artifact_ids:
            return []
        result = await self.session.execute(
            select(RatingRow).where(col(RatingRow.artifact_id).in_(list(artifact_ids)))
        )
        return result.scalars().all()

    async def get_for_update(self, artifact_id: str) -> RatingRow | None:
        """The stored rating, locked until the transaction ends (PostgreSQL; SQLite locks all)."""
        result = await self.session.execute(
            select(RatingRow).where(col(RatingRow.artifact_id) == artifact_id).with_for_update()
        )
        return result.scalar_one_or_none()

    async def save(self, row: RatingRow) -> None:
        """Insert or replace a rating atomically (concurrent first ratings do not collide)."""
        values = row.model_dump()
        insert = (
            pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        )
        statement = insert(RatingRow).values(**values)
        changes = {k: statement.excluded[k] for k in values if k != "artifact_id"}
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["artifact_id"], set_=changes)
        )

    async def delete(self, artifact_id: str) -> None:
        """Forget one model's rating."""
        await self.session.execute(
            delete(RatingRow).where(col(RatingRow.artifact_id) == artifact_id)
        )

    async def delete_all(self) -> None:
        """Forget every rating (registry reset)."""
        await self.session.execute(delete(RatingRow))

    async def net_scores(self, artifact_ids: Sequence[str]) -> dict[str, float]:
        """Net scores of those of the given models that have a rating."""
        if not artifact_ids:
            return {}
        result = await self.session.execute(
            select(col(RatingRow.artifact_id), col(RatingRow.net_score)).where(
                col(RatingRow.artifact_id).in_(artifact_ids)
            )
        )
        return {str(r[0]): float(r[1]) for r in result.all()}

    async def by_status(self, status: str, offset: int, limit: int) -> list[SummaryRow]:
        """Models with this trust status as (seq, id, name, type), in registration order."""
        result = await self.session.execute(
            select(
                col(ArtifactRow.seq),
                col(ArtifactRow.id),
                col(ArtifactRow.name),
                col(ArtifactRow.type),
            )
            .join(RatingRow, col(RatingRow.artifact_id) == col(ArtifactRow.id))
            .where(col(RatingRow.status) == status)
            .order_by(col(ArtifactRow.seq))
            .offset(offset)
            .limit(limit)
        )
        return [(int(r[0] or 0), str(r[1]), str(r[2]), str(r[3])) for r in result.all()]

    async def datasets_by_ref(self, refs: Sequence[str]) -> list[ArtifactRow]:
        """Registered datasets whose source is one of these hub ids (linked-dataset facts)."""
        if not refs:
            return []
        result = await self.session.execute(
            select(ArtifactRow).where(
                col(ArtifactRow.type) == "dataset", col(ArtifactRow.source_ref).in_(refs)
            )
        )
        return list(result.scalars().all())
