"""Lay out a lineage graph for the server-rendered SVG on the artifact page (pure, no I/O).

Ancestors sit in rows above the artifact, descendants below: a node's row is its parent's row
plus one, found by walking the edges from the queried artifact. The template draws the boxes
and arrows from these coordinates, so the page needs no script and no layout library. A small
layered layout is enough here: lineage graphs are shallow trees or near-trees.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from registry.lineage.graph import Graph, GraphNode

NODE_W, NODE_H = 200, 48
GAP_X, GAP_Y = 24, 56
MARGIN = 16
MAX_NODES = 40  # a larger graph draws its nearest 40 nodes; the edge table lists them all
LABEL_CHARS = 26


@dataclass(frozen=True, slots=True)
class PlacedNode:
    """A node's box: top-left corner, its label, and whether it is the page's artifact."""

    key: str
    x: int
    y: int
    label: str
    kind: str
    root: bool
    external: bool
    title: str


@dataclass(frozen=True, slots=True)
class PlacedEdge:
    """An arrow from the bottom middle of the parent's box to the top middle of the child's."""

    x1: int
    y1: int
    x2: int
    y2: int
    title: str


@dataclass(slots=True)
class Layout:
    """Everything the SVG template needs."""

    width: int
    height: int
    nodes: list[PlacedNode] = field(default_factory=list)
    edges: list[PlacedEdge] = field(default_factory=list)
    hidden: int = 0  # nodes left out of the picture (over MAX_NODES)


def _label(node: GraphNode) -> str:
    name = node.name
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def _rows(graph: Graph) -> dict[str, int]:
    """Row of each node reachable from the root: parents one row above their children."""
    up: dict[str, list[str]] = defaultdict(list)
    down: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        down[edge.parent].append(edge.child)
        up[edge.child].append(edge.parent)
    rows = {graph.root: 0}
    queue = deque([graph.root])
    while queue and len(rows) < MAX_NODES:
        key = queue.popleft()
        for neighbours, step in ((up[key], -1), (down[key], 1)):
            for other in neighbours:
                if other not in rows and len(rows) < MAX_NODES:
                    rows[other] = rows[key] + step
                    queue.append(other)
    return rows


def layout(graph: Graph) -> Layout:
    """Place the graph's nodes in rows and its edges between them."""
    by_key = {node.key: node for node in graph.nodes}
    rows = {key: row for key, row in _rows(graph).items() if key in by_key}
    levels = sorted(set(rows.values()))
    members: dict[int, list[GraphNode]] = {
        level: sorted(
            (by_key[k] for k, r in rows.items() if r == level), key=lambda n: (n.kind, n.name)
        )
        for level in levels
    }
    widest = max((len(m) for m in members.values()), default=1)
    width = MARGIN * 2 + widest * NODE_W + (widest - 1) * GAP_X
    height = MARGIN * 2 + len(levels) * NODE_H + max(len(levels) - 1, 0) * GAP_Y
    out = Layout(width=width, height=height, hidden=len(graph.nodes) - len(rows))
    corner: dict[str, tuple[int, int]] = {}
    for index, level in enumerate(levels):
        row = members[level]
        row_width = len(row) * NODE_W + (len(row) - 1) * GAP_X
        x = (width - row_width) // 2
        y = MARGIN + index * (NODE_H + GAP_Y)
        for node in row:
            corner[node.key] = (x, y)
            where = "not registered" if node.external else "registered"
            out.nodes.append(
                PlacedNode(
                    key=node.key,
                    x=x,
                    y=y,
                    label=_label(node),
                    kind=node.kind,
                    root=node.key == graph.root,
                    external=node.external,
                    title=f"{node.name} ({node.kind}, {where})",
                )
            )
            x += NODE_W + GAP_X
    names = {node.key: node.name for node in graph.nodes}
    for edge in graph.edges:
        if edge.parent not in corner or edge.child not in corner:
            continue
        (px, py), (cx, cy) = corner[edge.parent], corner[edge.child]
        out.edges.append(
            PlacedEdge(
                x1=px + NODE_W // 2,
                y1=py + NODE_H,
                x2=cx + NODE_W // 2,
                y2=cy,
                title=f"{names[edge.parent]} → {names[edge.child]} ({edge.relationship})",
            )
        )
    return out
