"""Graph assembly from stored edges: depth, kinds, externals, cycles."""

from __future__ import annotations

from registry.db.models.lineage import LineageEdgeRow
from registry.lineage.graph import assemble, external_key


def edge(child: str, parent: str | None, kind: str = "model", key: str = "") -> LineageEdgeRow:
    return LineageEdgeRow(
        child_id=child,
        parent_key=key or f"hf_model:{parent}",
        parent_kind=kind,
        parent_ref=key or str(parent),
        parent_id=parent,
        relationship="base_model",
        relation="finetune",
        source="model_card",
    )


def info(i: str, kind: str = "model") -> dict[str, str]:
    return {
        "id": i,
        "name": f"n{i}",
        "type": kind,
        "source_kind": "hf_model",
        "source_ref": f"o/{i}",
    }


def test_ancestors_stop_at_depth() -> None:
    up = [edge("c", "b"), edge("b", "a")]
    registered = {"a": info("a"), "b": info("b")}
    graph = assemble(info("c"), up, [], registered, max_depth=1)
    assert [n.key for n in graph.nodes] == ["c", "b"]
    assert [(e.parent, e.child) for e in graph.edges] == [("b", "c")]


def test_external_parents_get_stable_keys() -> None:
    ext = edge("c", None, key="hf_model:org/base")
    graph = assemble(info("c"), [ext], [], {}, max_depth=5)
    node = graph.nodes[1]
    assert node.external and node.key == external_key("hf_model:org/base")
    assert node.key.startswith("ext-") and node.key.replace("-", "").isalnum()


def test_kind_filter_drops_dataset_nodes() -> None:
    up = [edge("c", "d", kind="dataset"), edge("c", "b")]
    registered = {"d": info("d", "dataset"), "b": info("b")}
    graph = assemble(info("c"), up, [], registered, max_depth=5, kinds=frozenset({"model"}))
    assert {n.key for n in graph.nodes} == {"c", "b"}
    assert {e.parent for e in graph.edges} == {"b"}


def test_cycles_terminate() -> None:
    up = [edge("a", "b"), edge("b", "a")]
    down = [edge("b", "a"), edge("a", "b")]
    graph = assemble(info("a"), up, down, {"b": info("b")}, max_depth=50)
    assert {n.key for n in graph.nodes} == {"a", "b"}


def test_descendants_with_depth() -> None:
    down = [edge("b", "a"), edge("c", "b")]
    graph = assemble(info("a"), [], down, {"b": info("b"), "c": info("c")}, max_depth=50)
    assert {(n.key, n.depth) for n in graph.nodes} == {("a", 0), ("b", 1), ("c", 2)}
