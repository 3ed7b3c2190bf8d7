"""The artifact page's blocks from the other areas: trust and rating, lineage, license, parts.

Each loader reads through the owning area's service and returns its template's context (or
None to leave the block out). The app registers them once at start-up (`add_sections`).
"""

from __future__ import annotations

from typing import Any

from registry.auth.schemas import Principal
from registry.db.models import ArtifactRow
from registry.db.repositories import UnitOfWork
from registry.errors import RegistryError
from registry.licenses.rules import Policy
from registry.rating import trust
from registry.services import Services
from registry.web.lineage_svg import layout
from registry.web.service import ArtifactSection, WebService

METRIC_LABELS = {
    "ramp_up_time": "Ramp-up time",
    "bus_factor": "Bus factor",
    "performance_claims": "Performance claims",
    "license": "License",
    "size_score": "Size (mean over devices)",
    "dataset_and_code_score": "Dataset and code",
    "dataset_quality": "Dataset quality",
    "code_quality": "Code quality",
    "reproducibility": "Reproducibility",
    "reviewedness": "Reviewedness",
    "tree_score": "Tree score (parents)",
}


def add_sections(svc: Services, web: WebService) -> None:
    """Register every block the artifact page shows beyond its own metadata."""

    async def rating(uow: UnitOfWork, row: ArtifactRow, principal: Principal) -> dict[str, Any]:
        stored = await svc.rating.stored(uow, row.id)
        if stored is None:
            return {"rated": False, "can_rate": principal.has("search")}
        scores = stored.rating
        metrics = []
        for name, label in METRIC_LABELS.items():
            if name not in scores:
                continue
            value = trust.metric_value(name, scores[name])
            metrics.append(
                {
                    "key": name,
                    "label": label,
                    "value": round(value, 2),
                    "failing": name in stored.failing,
                    "not_applicable": name in stored.not_applicable,
                }
            )
        devices = scores.get("size_score") if isinstance(scores.get("size_score"), dict) else {}
        return {
            "rated": True,
            "status": stored.status,
            "net_score": round(stored.net_score, 2),
            "threshold": trust.THRESHOLD,
            "metrics": metrics,
            "devices": {k: round(float(v), 2) for k, v in (devices or {}).items()},
            "failing": list(stored.failing),
            "reproducibility": stored.reproducibility_case,
            "can_refresh": principal.has("upload"),
        }

    async def lineage(
        uow: UnitOfWork, row: ArtifactRow, principal: Principal
    ) -> dict[str, Any] | None:
        try:
            graph = await svc.lineage.graph.lineage_of_model(uow, row)
        except RegistryError as exc:
            return {"error": exc.message}
        if len(graph.nodes) <= 1:
            return {"empty": True}
        names = {node.key: node for node in graph.nodes}
        edges = [
            {"parent": names[e.parent], "child": names[e.child], "relationship": e.relationship}
            for e in graph.edges
            if e.parent in names and e.child in names
        ]
        return {"layout": layout(graph), "edges": edges, "empty": False}

    async def license_check(
        uow: UnitOfWork, row: ArtifactRow, principal: Principal
    ) -> dict[str, Any]:
        return {
            "policies": [p.value for p in Policy],
            "default_policy": svc.lineage.licenses.default_policy.value,
        }

    async def downloads(
        uow: UnitOfWork, row: ArtifactRow, principal: Principal
    ) -> dict[str, Any] | None:
        summary = await svc.packages.parts(uow, row)
        if summary is None:
            return {"stored": False}
        return {
            "stored": True,
            "summary": summary,
            "can_download": principal.has("download"),
        }

    web.add_artifact_section(
        ArtifactSection("trust", "Trust and rating", "sections/rating.html", rating, 10, ("model",))
    )
    web.add_artifact_section(
        ArtifactSection("lineage", "Lineage", "sections/lineage.html", lineage, 20, ("model",))
    )
    web.add_artifact_section(
        ArtifactSection(
            "license", "License check", "sections/license.html", license_check, 30, ("model",)
        )
    )
    web.add_artifact_section(
        ArtifactSection("downloads", "Downloads", "sections/downloads.html", downloads, 40)
    )
