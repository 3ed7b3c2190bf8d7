"""Artifact rows: lookups, filtered enumeration, and the rows regex search scans."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from registry.db.models import IDENTITY_INDEX, ArtifactRow
from registry.db.models.search import ArtifactSeqBucketRow
from registry.errors import ArtifactIdentityTakenError

SEQ_BUCKET = 1024  # seqs per counted bucket: an offset page skips fewer rows than this

# Columns needed to answer a listing; cards stay out of enumeration queries.
SUMMARY_COLUMNS = (
    col(ArtifactRow.seq),
    col(ArtifactRow.id),
    col(ArtifactRow.name),
    col(ArtifactRow.type),
)
SummaryRow = tuple[int, str, str, str]
TextRow = tuple[int, str, str, str, str]


def _summaries(result: Any) -> list[SummaryRow]:
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in result.all()]


def _identity_violation(exc: IntegrityError) -> bool:
    # PostgreSQL names the index; SQLite names the index's columns.
    text = str(exc.orig)
    return IDENTITY_INDEX in text or "artifacts.type, artifacts.name, artifacts.url" in text


class ArtifactRepository:
    """Reads and writes artifact rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: ArtifactRow) -> ArtifactRow:
        """Insert an artifact (and count it in its seq bucket); 409 if its identity is taken."""
        self.session.add(row)
        await self._flush(row)
        assert row.seq is not None
        await self._count(row.type, row.seq, 1)
        return row

    async def _count(self, artifact_type: str, seq: int, delta: int) -> None:
        table = ArtifactSeqBucketRow.__table__  # type: ignore[attr-defined]
        postgres = self.session.get_bind().dialect.name == "postgresql"
        insert = pg_insert if postgres else sqlite_insert
        statement = insert(table).values(type=artifact_type, bucket=seq // SEQ_BUCKET, n=delta)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["type", "bucket"], set_={"n": table.c.n + delta}
            )
        )

    async def save(self, row: ArtifactRow) -> None:
        """Write a changed artifact; 409 if its new identity is another artifact's."""
        self.session.add(row)
        await self._flush(row)

    async def _flush(self, row: ArtifactRow) -> None:
        """Flush; the identity index's violation becomes ArtifactIdentityTakenError (the
        transaction is spoilt then: the caller's unit of work rolls it back)."""
        identity = (row.type, row.name, row.url)  # a failed flush expires the row's attributes
        try:
            await self.session.flush()
        except IntegrityError as exc:
            if _identity_violation(exc):
                raise ArtifactIdentityTakenError(*identity) from exc
            raise

    async def get(self, artifact_id: str) -> ArtifactRow | None:
        """Return the artifact with this id, if any."""
        result = await self.session.execute(
            select(ArtifactRow).where(col(ArtifactRow.id) == artifact_id)
        )
        return result.scalar_one_or_none()

    async def id_exists(self, artifact_id: str) -> bool:
        """Tell whether an id is taken."""
        result = await self.session.execute(
            select(col(ArtifactRow.seq)).where(col(ArtifactRow.id) == artifact_id)
        )
        return result.first() is not None

    async def find_same(self, artifact_type: str, name: str, url: str) -> ArtifactRow | None:
        """Return an artifact with this exact type, name and url, if one exists."""
        result = await self.session.execute(
            select(ArtifactRow)
            .where(
                col(ArtifactRow.type) == artifact_type,
                col(ArtifactRow.name) == name,
                col(ArtifactRow.url) == url,
            )
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def models_for_audit(
        self, limit: int
    ) -> list[tuple[str, str, str, str, dict[str, Any], Any]]:
        """The newest models' (id, name, url, source_ref, extra, created_at), at most `limit`."""
        result = await self.session.execute(
            select(
                col(ArtifactRow.id),
                col(ArtifactRow.name),
                col(ArtifactRow.url),
                col(ArtifactRow.source_ref),
                col(ArtifactRow.extra),
                col(ArtifactRow.created_at),
            )
            .where(col(ArtifactRow.type) == "model")
            .order_by(col(ArtifactRow.seq).desc())
            .limit(limit)
        )
        return [(r[0], r[1], r[2], r[3], dict(r[4] or {}), r[5]) for r in result.all()]

    async def delete(self, artifact_id: str) -> None:
        """Delete one artifact (and uncount it)."""
        result = await self.session.execute(
            delete(ArtifactRow)
            .where(col(ArtifactRow.id) == artifact_id)
            .returning(col(ArtifactRow.seq), col(ArtifactRow.type))
        )
        for seq, artifact_type in result.all():
            if seq is not None:  # always: seq is the primary key
                await self._count(artifact_type, seq, -1)

    async def delete_all(self) -> None:
        """Delete every artifact (registry reset)."""
        await self.session.execute(delete(ArtifactRow))
        await self.session.execute(delete(ArtifactSeqBucketRow))

    @staticmethod
    def _filtered(names: Sequence[str] | None, types: Sequence[str] | None) -> Any:
        statement = select(*SUMMARY_COLUMNS)
        if names is not None:
            statement = statement.where(col(ArtifactRow.name).in_(names))
        if types:
            statement = statement.where(col(ArtifactRow.type).in_(types))
        return statement

    async def page_any(
        self,
        conditions: Sequence[tuple[Sequence[str] | None, Sequence[str] | None]],
        offset: int,
        limit: int,
    ) -> list[SummaryRow]:
        """A page of artifacts matching any (names, types) condition, in registration order."""
        start = 0
        if offset >= SEQ_BUCKET and all(names is None for names, _ in conditions):
            every_type = any(not types for _, types in conditions)
            wanted = None if every_type else sorted({t for _, ts in conditions for t in ts or ()})
            start, offset = await self._skip(wanted, offset)
        clauses = []
        for names, types in conditions:
            parts = []
            if names is not None:
                parts.append(col(ArtifactRow.name).in_(names))
            if types:
                parts.append(col(ArtifactRow.type).in_(types))
            clauses.append(and_(true(), *parts))
        statement = (
            select(*SUMMARY_COLUMNS)
            .where(col(ArtifactRow.seq) >= start, or_(*clauses))
            .order_by(col(ArtifactRow.seq))
            .offset(offset)
            .limit(limit)
        )
        result = await self.session.execute(statement)
        return _summaries(result)

    async def _skip(self, types: Sequence[str] | None, offset: int) -> tuple[int, int]:
        """(first seq of the bucket holding row `offset`, rows to skip from there)."""
        bucket = col(ArtifactSeqBucketRow.bucket)
        statement = select(bucket, func.sum(col(ArtifactSeqBucketRow.n))).group_by(bucket)
        if types is not None:
            statement = statement.where(col(ArtifactSeqBucketRow.type).in_(types))
        result = await self.session.execute(statement.order_by(bucket))
        passed, last = 0, -1
        for number, count in result.all():
            if passed + int(count) > offset:
                return int(number) * SEQ_BUCKET, offset - passed
            passed, last = passed + int(count), int(number)
        return (last + 1) * SEQ_BUCKET, 0  # past the last row: an empty page

    async def count_matching(self, names: Sequence[str] | None, types: Sequence[str] | None) -> int:
        """How many artifacts a filter matches (names None = every name)."""
        inner = self._filtered(names, types).subquery()
        result = await self.session.execute(select(func.count()).select_from(inner))
        return int(result.scalar_one())

    async def page(
        self, names: Sequence[str] | None, types: Sequence[str] | None, offset: int, limit: int
    ) -> list[SummaryRow]:
        """One page of (seq, id, name, type) in registration order."""
        statement = (
            self._filtered(names, types).order_by(col(ArtifactRow.seq)).offset(offset).limit(limit)
        )
        result = await self.session.execute(statement)
        return _summaries(result)

    async def by_name(self, name: str, limit: int) -> list[SummaryRow]:
        """Artifacts with exactly this name (case-sensitive), oldest first."""
        return await self.page([name], None, 0, limit)

    async def by_ids(self, ids: Sequence[str]) -> list[SummaryRow]:
        """Summaries for the given ids, in registration order."""
        if not ids:
            return []
        result = await self.session.execute(
            select(*SUMMARY_COLUMNS)
            .where(col(ArtifactRow.id).in_(ids))
            .order_by(col(ArtifactRow.seq))
        )
        return _summaries(result)

    async def scan_text(self, batch: int = 500) -> AsyncIterator[list[TextRow]]:
        """Yield batches of (seq, id, name, type, card_text) in seq order, keyset-paged."""
        last = 0
        while True:
            result = await self.session.execute(
                select(
                    col(ArtifactRow.seq),
                    col(ArtifactRow.id),
                    col(ArtifactRow.name),
                    col(ArtifactRow.type),
                    col(ArtifactRow.card_text),
                )
                .where(col(ArtifactRow.seq) > last)
                .order_by(col(ArtifactRow.seq))
                .limit(batch)
            )
            rows: list[TextRow] = [
                (int(r[0] or 0), str(r[1]), str(r[2]), str(r[3]), str(r[4] or ""))
                for r in result.all()
            ]
            if not rows:
                return
            yield rows
            last = rows[-1][0]
