"""Search SQL: bounded scans of artifacts (REGEXP on SQLite, trigram LIKE on PostgreSQL) and
artifact versions. Every scan is keyset-paged on `seq`, so no query touches more than a batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, text, true, tuple_
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from registry.db.models import ArtifactRow
from registry.db.models.rating import RatingRow
from registry.db.models.search import ArtifactVersionRow
from registry.errors import SearchTimeoutError
from registry.query.literals import LiteralQuery
from registry.query.versions import Bounds, ParsedVersion

_QUERY_CANCELED = "57014"  # PostgreSQL: statement_timeout fired


@dataclass(frozen=True, slots=True)
class ScanFilter:
    """What one scan keeps: exact name, types, version bounds, and a regex prefilter."""

    name: str | None = None
    types: Sequence[str] | None = None
    bounds: Sequence[Bounds] | None = None
    regexp: str | None = None  # SQLite: pushed down as REGEXP (RE2)
    literals: LiteralQuery | None = None  # PostgreSQL: trigram-indexed LIKE prefilter
    fold_case: bool = False
    trust: str | None = None  # vetted | unvetted: models whose stored rating has this status


ScanRow = tuple[int, str, str, str, str]  # seq, id, name, type, card_text ("" unless asked)


def _escape_like(literal: str) -> str:
    return literal.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains_all(column: Any, literals: Sequence[tuple[str, ...]], fold: bool) -> Any:
    clauses = []
    for options in literals:
        likes = []
        for literal in options:
            pattern = f"%{_escape_like(literal)}%"
            like = column.ilike(pattern, escape="\\") if fold else column.like(pattern, escape="\\")
            likes.append(like)
        clauses.append(or_(*likes))
    return and_(true(), *clauses)


class SearchRepository:
    """Bounded artifact scans for regex, name, type and version search."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        """Name of the SQL dialect of this session."""
        return self.session.get_bind().dialect.name

    async def max_seq(self) -> int:
        """The highest artifact seq (0 when empty): where windowed scans stop."""
        result = await self.session.execute(select(func.max(col(ArtifactRow.seq))))
        return int(result.scalar_one() or 0)

    async def set_budget(self, milliseconds: int) -> None:
        """Cap each following statement of this transaction (PostgreSQL statement_timeout)."""
        if self.dialect == "postgresql":
            await self.session.execute(
                text("SELECT set_config('statement_timeout', :v, true)"),
                {"v": f"{max(milliseconds, 1)}ms"},
            )

    async def clear_budget(self) -> None:
        """Lift the statement cap (and plan preferences) for the rest of the transaction."""
        if self.dialect == "postgresql":
            await self.session.execute(
                text(
                    "SELECT set_config('statement_timeout', '0', true),"
                    " set_config('enable_indexscan', 'on', true),"
                    " set_config('enable_seqscan', 'on', true)"
                )
            )

    async def prefer_bitmap_scans(self) -> None:
        """PostgreSQL: plan the following statements of this transaction with bitmap scans, so
        trigram-indexed LIKE narrows candidates (see scan._literal_windows for why)."""
        if self.dialect == "postgresql":
            await self.session.execute(
                text(
                    "SELECT set_config('enable_indexscan', 'off', true),"
                    " set_config('enable_seqscan', 'off', true)"
                )
            )

    async def scan(
        self,
        where: ScanFilter,
        *,
        after: int,
        limit: int,
        upto: int | None = None,
        with_text: bool = False,
    ) -> list[ScanRow]:
        """Rows with after < seq (<= upto) matching the filter, in seq order, at most `limit`."""
        columns = [
            col(ArtifactRow.seq),
            col(ArtifactRow.id),
            col(ArtifactRow.name),
            col(ArtifactRow.type),
        ]
        if with_text:
            columns.append(col(ArtifactRow.card_text))
        statement = select(*columns).where(col(ArtifactRow.seq) > after)
        if upto is not None:
            statement = statement.where(col(ArtifactRow.seq) <= upto)
        if where.name is not None:
            statement = statement.where(col(ArtifactRow.name) == where.name)
        if where.types:
            statement = statement.where(col(ArtifactRow.type).in_(list(where.types)))
        if where.regexp is not None:
            statement = statement.where(
                or_(
                    col(ArtifactRow.name).regexp_match(where.regexp),
                    col(ArtifactRow.card_text).regexp_match(where.regexp),
                )
            )
        if where.literals is not None and where.literals.narrows:
            clauses = where.literals.clauses
            statement = statement.where(
                or_(
                    _contains_all(col(ArtifactRow.name), clauses, where.fold_case),
                    _contains_all(col(ArtifactRow.card_text), clauses, where.fold_case),
                )
            )
        if where.bounds is not None:
            statement = statement.where(_has_version_within(where.bounds))
        if where.trust is not None:
            statement = statement.where(
                exists().where(
                    col(RatingRow.artifact_id) == col(ArtifactRow.id),
                    col(RatingRow.status) == where.trust,
                )
            )
        statement = statement.order_by(col(ArtifactRow.seq)).limit(limit)
        try:
            result = await self.session.execute(statement)
        except DBAPIError as exc:
            if _sqlstate(exc) == _QUERY_CANCELED:
                raise SearchTimeoutError(
                    "search exceeded its time budget; use a more specific pattern or filter"
                ) from None
            raise
        return [_scan_row(r, with_text) for r in result.all()]

    async def rows_after(self, after: int, limit: int) -> list[ArtifactRow]:
        """Whole artifact rows with seq > after, in seq order (index rebuilds)."""
        result = await self.session.execute(
            select(ArtifactRow)
            .where(col(ArtifactRow.seq) > after)
            .order_by(col(ArtifactRow.seq))
            .limit(limit)
        )
        return list(result.scalars().all())

    async def by_seqs(self, seqs: Sequence[int]) -> list[ScanRow]:
        """Rows (with card text) for these seqs, in seq order; unknown seqs are skipped."""
        if not seqs:
            return []
        result = await self.session.execute(
            select(
                col(ArtifactRow.seq),
                col(ArtifactRow.id),
                col(ArtifactRow.name),
                col(ArtifactRow.type),
                col(ArtifactRow.card_text),
            )
            .where(col(ArtifactRow.seq).in_(list(seqs)))
            .order_by(col(ArtifactRow.seq))
        )
        return [_scan_row(r, True) for r in result.all()]


def _scan_row(r: Any, with_text: bool) -> ScanRow:
    return (int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4] or "") if with_text else "")


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def _has_version_within(bounds: Sequence[Bounds]) -> Any:
    """EXISTS a version of the artifact inside any of the (inclusive) triple bounds."""
    triple = tuple_(
        col(ArtifactVersionRow.major), col(ArtifactVersionRow.minor), col(ArtifactVersionRow.patch)
    )
    alternatives = []
    for bound in bounds:
        parts = []
        if bound.low is not None:
            parts.append(triple >= tuple_(*bound.low))
        if bound.high is not None:
            parts.append(triple <= tuple_(*bound.high))
        alternatives.append(and_(true(), *parts))
    return exists().where(
        col(ArtifactVersionRow.artifact_seq) == col(ArtifactRow.seq), or_(*alternatives)
    )


class VersionRepository:
    """The versions artifacts carry."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace_source(
        self, artifact_seq: int, source: str, versions: Sequence[ParsedVersion]
    ) -> None:
        """Make `versions` the artifact's versions from `source` (others are kept)."""
        await self.session.execute(
            delete(ArtifactVersionRow).where(
                col(ArtifactVersionRow.artifact_seq) == artifact_seq,
                col(ArtifactVersionRow.source) == source,
            )
        )
        existing = set(await self.versions_of(artifact_seq))
        for parsed in versions:
            if parsed.version in existing:
                continue
            existing.add(parsed.version)
            self.session.add(_row(artifact_seq, parsed, source))
        await self.session.flush()

    async def add(self, artifact_seq: int, parsed: ParsedVersion, source: str) -> bool:
        """Record one version; False when the artifact has it already."""
        if parsed.version in await self.versions_of(artifact_seq):
            return False
        self.session.add(_row(artifact_seq, parsed, source))
        await self.session.flush()
        return True

    async def versions_of(self, artifact_seq: int) -> list[str]:
        """The artifact's versions, oldest record first."""
        result = await self.for_seqs([artifact_seq])
        return result.get(artifact_seq, [])

    async def for_seqs(self, seqs: Sequence[int]) -> dict[int, list[str]]:
        """Versions per artifact seq for a page of artifacts."""
        if not seqs:
            return {}
        result = await self.session.execute(
            select(col(ArtifactVersionRow.artifact_seq), col(ArtifactVersionRow.version))
            .where(col(ArtifactVersionRow.artifact_seq).in_(list(seqs)))
            .order_by(col(ArtifactVersionRow.artifact_seq), col(ArtifactVersionRow.id))
        )
        out: dict[int, list[str]] = {}
        for seq, version in result.all():
            out.setdefault(int(seq), []).append(str(version))
        return out

    async def delete_for(self, artifact_seq: int) -> None:
        """Forget an artifact's versions (it is being deleted)."""
        await self.session.execute(
            delete(ArtifactVersionRow).where(col(ArtifactVersionRow.artifact_seq) == artifact_seq)
        )

    async def delete_all(self) -> None:
        """Forget every version (registry reset)."""
        await self.session.execute(delete(ArtifactVersionRow))


def _row(artifact_seq: int, parsed: ParsedVersion, source: str) -> ArtifactVersionRow:
    return ArtifactVersionRow(
        artifact_seq=artifact_seq,
        version=parsed.version,
        raw=parsed.raw[:256],
        major=parsed.major,
        minor=parsed.minor,
        patch=parsed.patch,
        prerelease=parsed.prerelease[:128],
        source=source,
    )
