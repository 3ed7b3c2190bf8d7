"""Lineage: record parents when artifacts are saved, answer graph queries, and expose the
parent / descendant / dependency walks other areas (rating, packages) build on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from registry.artifacts.events import ArtifactListener
from registry.db.models import ArtifactRow
from registry.db.models.lineage import LineageEdgeRow
from registry.db.repositories import UnitOfWork
from registry.db.repositories.lineage import LineageRepository
from registry.errors import NotFoundError, ValidationError
from registry.lineage.extract import artifact_keys, extract
from registry.lineage.graph import Direction, Graph, assemble

MAX_DEPTH = 50  # deeper than any real model tree; bounds the in-memory walk
ALL_KINDS = frozenset({"model", "dataset", "code"})


def _unique(ids: Sequence[str | None]) -> list[str]:
    seen: dict[str, None] = {}
    for i in ids:
        if i:
            seen.setdefault(i, None)
    return list(seen)


async def registered_parent_ids(uow: UnitOfWork, artifact_id: str) -> list[str]:
    """Direct registered base models of an artifact (the inputs of tree_score)."""
    edges = await LineageRepository(uow.session).parents_of([artifact_id])
    return _unique([e.parent_id for e in edges if e.parent_kind == "model"])


async def registered_descendant_ids(uow: UnitOfWork, artifact_id: str) -> list[str]:
    """Every registered artifact below this one, nearest first (whose tree_score it feeds)."""
    edges = await LineageRepository(uow.session).descendant_edges([artifact_id])
    order = _bfs(artifact_id, edges, up=False)
    return [i for i in order if i != artifact_id]


async def dependency_ids(uow: UnitOfWork, artifact_id: str) -> list[str]:
    """Registered base models, datasets and code above this artifact, each once, nearest first."""
    edges = await LineageRepository(uow.session).ancestor_edges([artifact_id])
    order = _bfs(artifact_id, edges, up=True)
    return [i for i in order if i != artifact_id]


def _bfs(start: str, edges: Sequence[LineageEdgeRow], *, up: bool) -> list[str]:
    """Registered ids reachable from start, breadth-first, each once."""
    nxt: dict[str, list[str]] = {}
    for e in edges:
        if e.parent_id is None:
            continue
        src, dst = (e.child_id, e.parent_id) if up else (e.parent_id, e.child_id)
        nxt.setdefault(src, []).append(dst)
    order, frontier, seen = [start], [start], {start}
    while frontier:
        following = []
        for node in frontier:
            for other in nxt.get(node, []):
                if other not in seen:
                    seen.add(other)
                    order.append(other)
                    following.append(other)
        frontier = following
    return order


class LineageService:
    """Graph queries over the stored edges."""

    async def graph(
        self,
        uow: UnitOfWork,
        root: Mapping[str, Any],
        *,
        direction: Direction = Direction.both,
        depth: int = MAX_DEPTH,
        kinds: frozenset[str] | None = None,
    ) -> Graph:
        """The graph around an artifact summary: ancestors and/or descendants up to depth hops."""
        if depth < 1 or depth > MAX_DEPTH:
            raise ValidationError(f"depth must be between 1 and {MAX_DEPTH}")
        root_id = str(root["id"])
        repo = LineageRepository(uow.session)
        up = await repo.ancestor_edges([root_id]) if direction != Direction.descendants else []
        down = await repo.descendant_edges([root_id]) if direction != Direction.ancestors else []
        ids = _unique([e.parent_id for e in [*up, *down]] + [e.child_id for e in down])
        registered = await repo.nodes([i for i in ids if i != root_id])
        return assemble(root, up, down, registered, max_depth=depth, kinds=kinds)

    async def graph_by_id(
        self,
        uow: UnitOfWork,
        artifact_id: str,
        *,
        direction: Direction = Direction.both,
        depth: int = MAX_DEPTH,
        kinds: frozenset[str] | None = None,
    ) -> Graph:
        """graph() for an artifact id; 404 when no artifact has it."""
        found = await LineageRepository(uow.session).nodes([artifact_id])
        if artifact_id not in found:
            raise NotFoundError(f"artifact '{artifact_id}' does not exist")
        return await self.graph(
            uow, found[artifact_id], direction=direction, depth=depth, kinds=kinds
        )

    async def lineage_of_model(self, uow: UnitOfWork, root: ArtifactRow) -> Graph:
        """The REST graph: every ancestor and descendant; 400 when the metadata is malformed."""
        problems = extract(root).problems
        if problems:
            raise ValidationError(
                "the model's metadata is malformed, so no lineage graph can be built: "
                + "; ".join(problems),
                details={"problems": problems},
            )
        info = {
            "id": root.id,
            "name": root.name,
            "type": root.type,
            "license": root.license,
            "source_kind": root.source_kind,
            "source_ref": root.source_ref,
            "url": root.url,
        }
        return await self.graph(uow, info)


class LineageListener(ArtifactListener):
    """Keeps the edges in step with registrations, updates, deletions and resets."""

    async def saved(self, uow: UnitOfWork, row: ArtifactRow, created: bool) -> None:
        """Record the row's parents (resolved where registered) and link waiting children."""
        repo = LineageRepository(uow.session)
        parents = extract(row).parents
        resolved = await repo.ids_for_keys([p.key for p in parents])
        edges = [
            LineageEdgeRow(
                child_id=row.id,
                parent_key=p.key,
                parent_kind=p.kind,
                parent_ref=p.ref,
                parent_id=resolved.get(p.key) if resolved.get(p.key) != row.id else None,
                relationship=p.relationship,
                relation=p.relation,
                source=p.source,
            )
            for p in parents
        ]
        await repo.replace_parents(row.id, edges)
        await repo.set_keys(row.id, artifact_keys(row))

    async def deleted(self, uow: UnitOfWork, row: ArtifactRow) -> None:
        """Remove the row's edges; children keep their reference as an external parent."""
        await LineageRepository(uow.session).forget(row.id)

    async def reset(self, uow: UnitOfWork) -> None:
        """Forget every edge and key."""
        await LineageRepository(uow.session).clear()
