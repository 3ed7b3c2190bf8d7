"""Transactions (atomic groups of changes) and their operations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from registry.db.models import ArtifactRow
from registry.db.models.transactions import TransactionOperationRow, TransactionRow

LIVE_STATES = ("open", "executing")
# Serialises the write phases of groups on PostgreSQL (see serialize_groups).
_GROUP_LOCK_KEY = 461_2026


class TransactionRepository:
    """Reads and writes transaction rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: TransactionRow) -> None:
        """Insert a transaction."""
        self.session.add(row)
        await self.session.flush()

    async def get(self, transaction_id: str, *, lock: bool = False) -> TransactionRow | None:
        """One transaction; `lock` holds its row until the end of the unit of work
        (PostgreSQL: FOR UPDATE; SQLite's write transactions are serialised already)."""
        query = select(TransactionRow).where(col(TransactionRow.id) == transaction_id)
        if lock and self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        query = query.execution_options(populate_existing=True)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def save(self, row: TransactionRow) -> None:
        """Write a changed transaction."""
        self.session.add(row)
        await self.session.flush()

    async def operations(self, transaction_id: str) -> Sequence[TransactionOperationRow]:
        """The transaction's operations, in the order they were appended."""
        result = await self.session.execute(
            select(TransactionOperationRow)
            .where(col(TransactionOperationRow.transaction_id) == transaction_id)
            .order_by(col(TransactionOperationRow.position))
        )
        return result.scalars().all()

    async def count_operations(self, transaction_id: str) -> int:
        """How many operations the transaction holds."""
        result = await self.session.execute(
            select(func.count()).where(
                col(TransactionOperationRow.transaction_id) == transaction_id
            )
        )
        return int(result.scalar_one())

    async def add_operation(self, row: TransactionOperationRow) -> None:
        """Append an operation."""
        self.session.add(row)
        await self.session.flush()

    async def set_result(
        self, transaction_id: str, position: int, result: dict[str, object]
    ) -> None:
        """Record what an applied operation produced."""
        await self.session.execute(
            update(TransactionOperationRow)
            .where(
                col(TransactionOperationRow.transaction_id) == transaction_id,
                col(TransactionOperationRow.position) == position,
            )
            .values(result=result)
        )

    async def expired(self, now: datetime, limit: int) -> list[str]:
        """Ids of open or executing transactions past their expiry."""
        result = await self.session.execute(
            select(col(TransactionRow.id))
            .where(col(TransactionRow.state).in_(LIVE_STATES), col(TransactionRow.expires_at) < now)
            .limit(limit)
        )
        return [str(i) for i in result.scalars().all()]

    async def serialize_groups(self) -> None:
        """Let one group's write phase run at a time (PostgreSQL: a transaction-level advisory
        lock). A group writes several rows (artifacts, their per-type counters, packages), and
        two groups taking them in different orders could deadlock; SQLite's write
        transactions are serialised already."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:k)"), {"k": _GROUP_LOCK_KEY}
            )

    async def lock_artifacts(self, artifact_ids: Sequence[str]) -> None:
        """Hold the artifacts' rows until the end of the unit of work, in id order so two
        groups never deadlock (PostgreSQL; SQLite serialises write transactions already)."""
        if not artifact_ids or self.session.get_bind().dialect.name != "postgresql":
            return
        await self.session.execute(
            select(col(ArtifactRow.id))
            .where(col(ArtifactRow.id).in_(sorted(set(artifact_ids))))
            .order_by(col(ArtifactRow.id))
            .with_for_update()
        )

    async def delete_all(self) -> None:
        """Forget every transaction (registry reset)."""
        await self.session.execute(delete(TransactionOperationRow))
        await self.session.execute(delete(TransactionRow))
