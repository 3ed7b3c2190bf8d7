"""REST: the contract's /rate, plus trust report, refresh, gated ingest and trust listing."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from registry.artifacts.schemas import (
    ArtifactCreateRequest,
    ArtifactType,
    artifact_of,
    metadata_of,
)
from registry.db.models import ArtifactRow
from registry.db.models.rating import RatingRow
from registry.errors import ValidationError
from registry.ids import isoformat_z
from registry.rating import trust
from registry.rating.ingest import ingest_model
from registry.textcheck import is_ascii_digits
from registry.transport.artifacts import resolve
from registry.transport.requests import authenticate, base_url, parse_model, read_json, services
from registry.transport.responses import json_response

MODEL = ArtifactType.model


def trust_view(artifact: ArtifactRow, row: RatingRow) -> dict[str, Any]:
    """The ModelTrust extension document: status, failing metrics, reproducibility outcome."""
    detail = {k: v for k, v in row.reproducibility_detail.items() if k != "repo_ids"}
    return {
        "id": artifact.id,
        "name": artifact.name,
        "status": row.status,
        "failing_metrics": list(row.failing),
        "not_applicable": list(row.not_applicable),
        "net_score": row.net_score,
        "reproducibility": {
            "case": row.reproducibility_case,
            "score": float(row.rating.get("reproducibility", 0.0)),
            "reason": str(detail.get("reason") or "the sandbox run has not finished yet"),
            "repairs": list(detail.get("repairs") or []),
        },
        "rated_at": isoformat_z(row.rated_at),
        "updated_at": isoformat_z(row.updated_at),
        "rating": dict(row.rating),
    }


async def rate(request: Request) -> Response:
    """GET /artifact/model/{id}/rate: the stored rating (computed on demand); audited."""
    target = await resolve(request, "search", artifact_type=MODEL)
    return json_response(await target.svc.rating.rate(target.principal, target.id))


async def trust_report(request: Request) -> Response:
    """GET /artifact/model/{id}/trust: trust status and the reproducibility case (extension)."""
    target = await resolve(request, "search", artifact_type=MODEL)
    artifact, row = await target.svc.rating.report(target.id)
    return json_response(trust_view(artifact, row))


async def refresh(request: Request) -> Response:
    """POST /artifact/model/{id}/rate/refresh: recompute the rating now (extension)."""
    target = await resolve(request, "upload", artifact_type=MODEL)
    svc = target.svc.rating
    row = await svc.refresh(target.id)
    artifact, row = await svc.report(row.artifact_id)
    return json_response(trust_view(artifact, row))


async def ingest(request: Request) -> Response:
    """POST /artifact/model/ingest: register a public hub model only when it is vetted."""
    principal = await authenticate(request, "upload")
    body = parse_model(ArtifactCreateRequest, await read_json(request))
    svc = services(request)
    row = await ingest_model(svc.artifacts, svc.rating, principal, body)
    return json_response(artifact_of(row, base_url(request)), status_code=201)


async def by_trust(request: Request) -> Response:
    """GET /artifacts/trust?status=vetted|unvetted: models with that trust status (extension)."""
    await authenticate(request, "search")
    status = request.query_params.get("status", trust.VETTED)
    if status not in (trust.VETTED, trust.UNVETTED):
        raise ValidationError("status must be 'vetted' or 'unvetted'")
    svc = services(request)
    raw_offset = request.query_params.get("offset", "0")
    if not is_ascii_digits(raw_offset) or len(raw_offset) > 12:  # isdigit() accepts '²'
        raise ValidationError("offset must be a non-negative integer")
    offset, size = int(raw_offset), svc.settings.page_size
    rows = await svc.rating.by_status(status, offset, size + 1)
    headers = {"offset": str(offset + size)} if len(rows) > size else {}
    return json_response([metadata_of(r) for r in rows[:size]], headers=headers)


ROUTES = [
    Route("/artifacts/trust", by_trust, methods=["GET"]),
    Route("/artifact/model/ingest", ingest, methods=["POST"]),
    Route("/artifact/model/{id}/rate", rate, methods=["GET"]),
    Route("/artifact/model/{id}/rate/refresh", refresh, methods=["POST"]),
    Route("/artifact/model/{id}/trust", trust_report, methods=["GET"]),
]
