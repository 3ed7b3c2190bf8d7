"""The lineage picture's layout: rows by hops from the artifact, centred rows, arrows, limits."""

from __future__ import annotations

from registry.lineage.graph import Graph, GraphEdge, GraphNode
from registry.web.lineage_svg import (
    GAP_X,
    GAP_Y,
    LABEL_CHARS,
    MARGIN,
    MAX_NODES,
    NODE_H,
    NODE_W,
    layout,
)


def node(key: str, name: str = "", kind: str = "model", registered: bool = True) -> GraphNode:
    return GraphNode(
        key=key,
        kind=kind,
        name=name or f"name-{key}",
        source="registry",
        depth=0,
        artifact_id=key if registered else None,
    )


def edge(parent: str, child: str) -> GraphEdge:
    return GraphEdge(parent, child, "base_model", "finetune", "model_card")


def test_a_lone_artifact_is_one_box_in_one_row() -> None:
    placed = layout(Graph(root="a", nodes=[node("a")]))
    assert (placed.width, placed.height) == (MARGIN * 2 + NODE_W, MARGIN * 2 + NODE_H)
    assert placed.edges == [] and placed.hidden == 0
    (box,) = placed.nodes
    assert (box.x, box.y, box.root, box.external) == (MARGIN, MARGIN, True, False)
    assert box.title == "name-a (model, registered)"


def test_parents_sit_above_and_children_below_with_arrows_between() -> None:
    graph = Graph(
        root="m",
        nodes=[node("m"), node("base"), node("data", kind="dataset"), node("child")],
        edges=[edge("base", "m"), edge("data", "m"), edge("m", "child")],
    )
    placed = layout(graph)
    y = {box.key: box.y for box in placed.nodes}
    assert y["base"] == y["data"] == MARGIN
    assert y["m"] == MARGIN + NODE_H + GAP_Y
    assert y["child"] == MARGIN + 2 * (NODE_H + GAP_Y)
    # The widest row (two parents) sets the width; a row of one is centred in it.
    assert placed.width == MARGIN * 2 + 2 * NODE_W + GAP_X
    x = {box.key: box.x for box in placed.nodes}
    assert x["m"] == (placed.width - NODE_W) // 2
    # Within a row, boxes are ordered by kind then name: the dataset before the model.
    assert x["data"] < x["base"]
    arrow = next(e for e in placed.edges if e.title.startswith("name-base"))
    assert (arrow.x1, arrow.y1) == (x["base"] + NODE_W // 2, MARGIN + NODE_H)
    assert (arrow.x2, arrow.y2) == (x["m"] + NODE_W // 2, y["m"])
    assert arrow.title == "name-base → name-m (base_model)"
    assert len(placed.edges) == 3


def test_external_nodes_and_long_names_are_marked_and_shortened() -> None:
    long_name = "x" * (LABEL_CHARS + 10)
    graph = Graph(
        root="m",
        nodes=[node("m"), node("ext-1", name=long_name, registered=False)],
        edges=[edge("ext-1", "m")],
    )
    outside = next(box for box in layout(graph).nodes if box.key == "ext-1")
    assert outside.external and not outside.root
    assert len(outside.label) == LABEL_CHARS and outside.label.endswith("…")
    assert outside.title == f"{long_name} (model, not registered)"


def test_a_graph_over_the_limit_draws_the_nearest_nodes_and_counts_the_rest() -> None:
    children = [node(f"c{i}") for i in range(MAX_NODES + 5)]
    graph = Graph(
        root="m",
        nodes=[node("m"), *children],
        edges=[edge("m", child.key) for child in children],
    )
    placed = layout(graph)
    assert len(placed.nodes) == MAX_NODES
    assert placed.hidden == 6
    # Arrows to nodes left out of the picture are not drawn.
    assert len(placed.edges) == MAX_NODES - 1


def test_edges_naming_unknown_nodes_are_skipped() -> None:
    graph = Graph(root="m", nodes=[node("m")], edges=[edge("gone", "m")])
    placed = layout(graph)
    assert [box.key for box in placed.nodes] == ["m"] and placed.edges == []
