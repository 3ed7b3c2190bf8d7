"""The lineage graph around one artifact, assembled from stored edges (pure, no SQL)."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from registry.db.models.lineage import LineageEdgeRow


class Direction(StrEnum):
    """Which way to walk from the queried artifact."""

    ancestors = "ancestors"
    descendants = "descendants"
    both = "both"


@dataclass(slots=True)
class GraphNode:
    """A registered artifact or an external (not yet registered) repository."""

    key: str  # artifact id, or a stable "ext-..." id for an external repository
    kind: str  # model | dataset | code
    name: str
    source: str  # the metadata field the node was found through ("registry" for the root)
    depth: int  # hops from the queried artifact (ancestors and descendants both count up)
    artifact_id: str | None = None
    ref: str | None = None  # hub / GitHub repo id
    license: str | None = None
    url: str | None = None

    @property
    def external(self) -> bool:
        """True when no registered artifact answers to this node yet."""
        return self.artifact_id is None


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """parent -> child, with the relationship and the field that named it."""

    parent: str
    child: str
    relationship: str
    relation: str | None
    source: str


@dataclass(slots=True)
class Graph:
    """Nodes (queried artifact first) and parent -> child edges."""

    root: str
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)


def external_key(parent_key: str) -> str:
    """A stable node id for an external repository (letters, digits and '-' only)."""
    return "ext-" + hashlib.sha256(parent_key.encode()).hexdigest()[:20]


def parent_node_key(edge: LineageEdgeRow) -> str:
    """The node key of an edge's parent end."""
    return edge.parent_id or external_key(edge.parent_key)


def assemble(
    root: Mapping[str, Any],
    up: Iterable[LineageEdgeRow],
    down: Iterable[LineageEdgeRow],
    registered: Mapping[str, Mapping[str, Any]],
    *,
    max_depth: int,
    kinds: frozenset[str] | None = None,
) -> Graph:
    """Walk the fetched edges breadth-first from the root, up to max_depth hops each way."""
    root_id = str(root["id"])
    graph = Graph(root=root_id)
    nodes: dict[str, GraphNode] = {
        root_id: _registered(root, "registry", 0),
    }
    edges: dict[tuple[str, str], GraphEdge] = {}
    by_child: dict[str, list[LineageEdgeRow]] = {}
    for edge in up:
        by_child.setdefault(edge.child_id, []).append(edge)
    by_parent: dict[str, list[LineageEdgeRow]] = {}
    for edge in down:
        if edge.parent_id:
            by_parent.setdefault(edge.parent_id, []).append(edge)

    def admit(edge: LineageEdgeRow, key: str, depth: int, parent_side: bool) -> bool:
        if key not in nodes:
            info = registered.get(key)
            if info is not None:
                node = _registered(info, edge.source, depth)
            elif parent_side:
                node = GraphNode(
                    key=key,
                    kind=edge.parent_kind,
                    name=edge.parent_ref,
                    source=edge.source,
                    depth=depth,
                    ref=edge.parent_ref,
                )
            else:  # a child row deleted under us: leave it out
                return False
            if kinds is not None and node.kind not in kinds:
                return False
            nodes[key] = node
        parent = parent_node_key(edge)
        edges[(parent, edge.child_id)] = GraphEdge(
            parent, edge.child_id, edge.relationship, edge.relation, edge.source
        )
        return True

    # Ancestors: follow registered parents upwards; external parents end a branch.
    queue: deque[tuple[str, int]] = deque([(root_id, 0)])
    seen = {root_id}
    while queue:
        current, depth = queue.popleft()
        if depth >= max_depth:
            continue
        for edge in by_child.get(current, []):
            key = parent_node_key(edge)
            if admit(edge, key, depth + 1, True) and edge.parent_id and key not in seen:
                seen.add(key)
                queue.append((key, depth + 1))
    # Descendants: follow children downwards.
    queue = deque([(root_id, 0)])
    seen = {root_id}
    while queue:
        current, depth = queue.popleft()
        if depth >= max_depth:
            continue
        for edge in by_parent.get(current, []):
            if admit(edge, edge.child_id, depth + 1, False) and edge.child_id not in seen:
                seen.add(edge.child_id)
                queue.append((edge.child_id, depth + 1))
    graph.nodes = list(nodes.values())
    graph.edges = [e for e in edges.values() if e.parent in nodes and e.child in nodes]
    return graph


def _registered(info: Mapping[str, Any], source: str, depth: int) -> GraphNode:
    ref = (
        info.get("source_ref")
        if info.get("source_kind") in ("hf_model", "hf_dataset", "github")
        else None
    )
    return GraphNode(
        key=str(info["id"]),
        kind=str(info["type"]),
        name=str(info["name"]),
        source=source,
        depth=depth,
        artifact_id=str(info["id"]),
        ref=ref,
        license=info.get("license"),
        url=info.get("url"),
    )
