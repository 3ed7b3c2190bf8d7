"""REST: GET /artifact/model/{id}/lineage, the contract's lineage graph."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from registry.artifacts.schemas import ArtifactType
from registry.lineage.graph import Graph
from registry.transport.artifacts import resolve
from registry.transport.responses import json_response


def render_graph(graph: Graph) -> dict[str, Any]:
    """The contract's ArtifactLineageGraph; external nodes carry their repo id in metadata."""
    nodes = []
    for node in graph.nodes:
        metadata: dict[str, Any] = {"type": node.kind, "external": node.external}
        if node.ref:
            metadata["repo_id"] = node.ref
        if node.license:
            metadata["license"] = node.license
        nodes.append(
            {
                "artifact_id": node.key,
                "node": node.key,
                "name": node.name,
                "source": node.source,
                "metadata": metadata,
            }
        )
    edges = [
        {
            "from_node_artifact_id": edge.parent,
            "to_node_artifact_id": edge.child,
            "relationship": edge.relationship,
        }
        for edge in graph.edges
    ]
    return {"nodes": nodes, "edges": edges}


async def lineage(request: Request) -> Response:
    """GET /artifact/model/{id}/lineage: ancestors and descendants, edges parent -> child."""
    target = await resolve(request, "search", artifact_type=ArtifactType.model)
    svc = target.svc
    async with svc.db.unit_of_work() as uow:
        row = await target.get(uow)
        graph = await svc.lineage.graph.lineage_of_model(uow, row)
    return json_response(render_graph(graph))


ROUTES = [Route("/artifact/model/{id}/lineage", lineage, methods=["GET"])]
