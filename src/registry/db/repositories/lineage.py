"""Lineage rows: parent references, the keys artifacts answer to, and graph walks.

Graph walks are one recursive CTE each (SQLite and PostgreSQL both run them), so a lineage
query costs a fixed number of statements however deep the tree is. UNION (not UNION ALL) makes
the walk stop on cycles: a revisited edge adds no new row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, and_, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.models import ArtifactRow
from registry.db.models.lineage import LineageEdgeRow, LineageKeyRow

MAX_WALK_EDGES = 10_000  # a safety cap on one walk's result, far above any real model tree
EDGES: Table = LineageEdgeRow.__table__  # type: ignore[attr-defined]
KEYS: Table = LineageKeyRow.__table__  # type: ignore[attr-defined]
ARTIFACTS: Table = ArtifactRow.__table__  # type: ignore[attr-defined]
NODE_COLUMNS = ("seq", "id", "name", "type", "license", "source_kind", "source_ref", "url")


def _edge(row: Any) -> LineageEdgeRow:
    return LineageEdgeRow(**dict(row._mapping))


class LineageRepository:
    """Reads and writes lineage edges and reference keys."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def ids_for_keys(self, keys: Sequence[str]) -> dict[str, str]:
        """Registered artifact id per reference key (the oldest registration wins a tie)."""
        if not keys:
            return {}
        result = await self.session.execute(
            select(KEYS.c.key, KEYS.c.artifact_id)
            .join(ARTIFACTS, ARTIFACTS.c.id == KEYS.c.artifact_id)
            .where(KEYS.c.key.in_(keys))
            .order_by(ARTIFACTS.c.seq.desc())
        )
        return {str(key): str(artifact_id) for key, artifact_id in result.all()}

    async def replace_parents(self, child_id: str, edges: Sequence[LineageEdgeRow]) -> None:
        """Store a child's parent edges, replacing what an earlier version of it said."""
        await self.session.execute(delete(EDGES).where(EDGES.c.child_id == child_id))
        if edges:
            await self.session.execute(
                insert(EDGES),
                [e.model_dump(exclude={"id"}) for e in edges],
            )

    async def set_keys(self, artifact_id: str, keys: Sequence[str]) -> None:
        """Record the keys an artifact answers to; link edges that were waiting for them."""
        await self.session.execute(delete(KEYS).where(KEYS.c.artifact_id == artifact_id))
        # An update may have changed the source: edges it no longer answers for go external.
        unlink = EDGES.c.parent_id == artifact_id
        if keys:
            unlink = and_(unlink, EDGES.c.parent_key.not_in(keys))
        await self.session.execute(update(EDGES).where(unlink).values(parent_id=None))
        if not keys:
            return
        await self.session.execute(
            insert(KEYS), [{"artifact_id": artifact_id, "key": k} for k in keys]
        )
        await self.session.execute(
            update(EDGES)
            .where(EDGES.c.parent_key.in_(keys), EDGES.c.parent_id.is_(None))
            .where(EDGES.c.child_id != artifact_id)
            .values(parent_id=artifact_id)
        )

    async def forget(self, artifact_id: str) -> None:
        """Drop an artifact's own edges and keys; edges naming it as parent go external."""
        await self.session.execute(delete(EDGES).where(EDGES.c.child_id == artifact_id))
        await self.session.execute(
            update(EDGES).where(EDGES.c.parent_id == artifact_id).values(parent_id=None)
        )
        await self.session.execute(delete(KEYS).where(KEYS.c.artifact_id == artifact_id))

    async def clear(self) -> None:
        """Forget every edge and key (registry reset)."""
        await self.session.execute(delete(EDGES))
        await self.session.execute(delete(KEYS))

    async def parents_of(self, child_ids: Sequence[str]) -> list[LineageEdgeRow]:
        """Direct parent edges of these children."""
        if not child_ids:
            return []
        result = await self.session.execute(
            select(EDGES).where(EDGES.c.child_id.in_(child_ids)).order_by(EDGES.c.id)
        )
        return [_edge(r) for r in result.all()]

    async def children_of(self, parent_ids: Sequence[str]) -> list[LineageEdgeRow]:
        """Direct child edges of these registered parents."""
        if not parent_ids:
            return []
        result = await self.session.execute(
            select(EDGES).where(EDGES.c.parent_id.in_(parent_ids)).order_by(EDGES.c.id)
        )
        return [_edge(r) for r in result.all()]

    async def ancestor_edges(self, start_ids: Sequence[str]) -> list[LineageEdgeRow]:
        """Every edge above these artifacts, following registered parents (one statement)."""
        return await self._walk(start_ids, up=True)

    async def descendant_edges(self, start_ids: Sequence[str]) -> list[LineageEdgeRow]:
        """Every edge below these artifacts, following registered children (one statement)."""
        return await self._walk(start_ids, up=False)

    async def _walk(self, start_ids: Sequence[str], *, up: bool) -> list[LineageEdgeRow]:
        if not start_ids:
            return []
        anchor = EDGES.c.child_id if up else EDGES.c.parent_id
        walk = select(EDGES).where(anchor.in_(start_ids)).cte("walk", recursive=True)
        step = EDGES.alias("step")
        link = step.c.child_id == walk.c.parent_id if up else step.c.parent_id == walk.c.child_id
        walk = walk.union(select(step).join(walk, link))
        result = await self.session.execute(select(walk).order_by(walk.c.id).limit(MAX_WALK_EDGES))
        return [_edge(r) for r in result.all()]

    async def nodes(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Summary columns (no cards) of these artifacts, by id."""
        if not ids:
            return {}
        columns = [ARTIFACTS.c[name] for name in NODE_COLUMNS]
        result = await self.session.execute(select(*columns).where(ARTIFACTS.c.id.in_(ids)))
        return {str(r.id): dict(r._mapping) for r in result.all()}

    async def artifacts_after(
        self,
        after_seq: int,
        limit: int,
        *,
        name: str | None = None,
        types: Sequence[str] | None = None,
        license_: str | None = None,
    ) -> list[dict[str, Any]]:
        """A keyset page of artifact summaries after a registration sequence number."""
        columns = [ARTIFACTS.c[n] for n in NODE_COLUMNS]
        statement = select(*columns).where(ARTIFACTS.c.seq > after_seq)
        if name is not None:
            statement = statement.where(ARTIFACTS.c.name == name)
        if types:
            statement = statement.where(ARTIFACTS.c.type.in_(types))
        if license_ is not None:
            # Compared case-insensitively without LIKE, so '%' and '_' in input stay literal.
            statement = statement.where(func.lower(ARTIFACTS.c.license) == license_.lower())
        result = await self.session.execute(statement.order_by(ARTIFACTS.c.seq).limit(limit))
        return [dict(r._mapping) for r in result.all()]
