"""REST: the artifact contract paths: register, read, update, delete, list, search, audit."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from registry.artifacts.schemas import (
    ArtifactCreateRequest,
    ArtifactIn,
    ArtifactQuery,
    ArtifactRegEx,
    artifact_of,
    metadata_of,
)
from registry.artifacts.service import parse_type
from registry.errors import ValidationError
from registry.textcheck import is_ascii_digits
from registry.transport.artifacts import resolve
from registry.transport.requests import authenticate, base_url, parse_model, read_json, services
from registry.transport.responses import json_response

ARTIFACT = "/artifacts/{artifact_type}/{id}"
ARTIFACT_ALIAS = "/artifact/{artifact_type}/{id}"


async def create_artifact(request: Request) -> Response:
    """POST /artifact/{artifact_type}: register from a URL."""
    principal = await authenticate(request, "upload")
    artifact_type = parse_type(request.path_params["artifact_type"])
    body = parse_model(ArtifactCreateRequest, await read_json(request))
    row = await services(request).artifacts.create(principal, artifact_type, body)
    return json_response(artifact_of(row, base_url(request)), status_code=201)


async def get_artifact(request: Request) -> Response:
    """GET /artifacts/{artifact_type}/{id}."""
    target = await resolve(request, "search")
    row = await target.read()
    return json_response(artifact_of(row, base_url(request)))


async def update_artifact(request: Request) -> Response:
    """PUT /artifacts/{artifact_type}/{id}: replace the source (its creator or an admin)."""
    target = await resolve(request, "upload")
    body = parse_model(ArtifactIn, await read_json(request))
    row = await target.svc.artifacts.replace(target.principal, target.type, target.id, body)
    return json_response(artifact_of(row, base_url(request)))


async def delete_artifact(request: Request) -> Response:
    """DELETE /artifacts/{artifact_type}/{id} (its creator or an admin)."""
    target = await resolve(request, "upload")
    svc = target.svc
    async with svc.db.unit_of_work(write=True) as uow:
        await svc.artifacts.delete(uow, target.principal, target.type, target.id)
    return json_response({"status": "deleted", "id": target.id})


def _int_param(request: Request, name: str, *, header: bool = False) -> int | None:
    raw = request.query_params.get(name)
    if raw is None and header:
        raw = request.headers.get(name)
    if raw is None or raw == "":
        return None
    if not is_ascii_digits(raw) or len(raw) > 12:  # str.isdigit() accepts '²'
        raise ValidationError(f"{name} must be a non-negative integer")
    return int(raw)


async def list_artifacts(request: Request) -> Response:
    """POST /artifacts: artifacts matching any query ("*" = all), paged by `offset`."""
    await authenticate(request, "search")
    data = await read_json(request)
    if not isinstance(data, list):
        raise ValidationError("request body must be a JSON array of artifact queries")
    queries = [parse_model(ArtifactQuery, item) for item in data]
    offset = _int_param(request, "offset", header=True) or 0
    limit = _int_param(request, "limit")
    svc = services(request)
    async with svc.db.unit_of_work() as uow:
        page = await svc.artifacts.enumerate(uow, queries, offset, limit)
    headers = {"offset": str(page.next_offset)} if page.next_offset is not None else {}
    return json_response([metadata_of(item) for item in page.items], headers=headers)


async def by_name(request: Request) -> Response:
    """GET /artifact/byName/{name}: exact, case-sensitive name match."""
    await authenticate(request, "search")
    svc = services(request)
    async with svc.db.unit_of_work() as uow:
        rows = await svc.artifacts.by_name(uow, request.path_params["name"])
    return json_response([metadata_of(row) for row in rows])


async def by_regex(request: Request) -> Response:
    """POST /artifact/byRegEx: RE2 over names and card/README text."""
    await authenticate(request, "search")
    body = parse_model(ArtifactRegEx, await read_json(request))
    svc = services(request)
    async with svc.db.unit_of_work() as uow:
        hits = await svc.search.by_regex(uow, body.regex)
    return json_response([{"name": h.name, "id": h.id, "type": h.type} for h in hits])


async def audit_trail(request: Request) -> Response:
    """GET /artifact/{artifact_type}/{id}/audit (admins): the trail; the read itself is audited."""
    target = await resolve(request, "admin")
    svc = target.svc
    async with svc.db.unit_of_work(write=True) as uow:
        row = await target.get(uow)
        trail = await svc.audit.trail(uow, row)
        await svc.audit.record(uow, target.principal, row, "AUDIT")
    return json_response(trail)


async def audit_history(request: Request) -> Response:
    """GET /artifact/{artifact_type}/{id}/audit/history (admins): every stored entry of an id,
    also after the artifact was deleted (its DELETE entry last)."""
    target = await resolve(request, "admin")
    svc = target.svc
    async with svc.db.unit_of_work() as uow:
        entries = await svc.audit.history(uow, target.type.value, target.id)
    return json_response(entries)


async def package_confusion_audit(request: Request) -> Response:
    """POST /artifacts/PackageConfusionAudit: models that imitate established models' names."""
    await authenticate(request, "search")
    svc = services(request)
    async with svc.db.unit_of_work() as uow:
        suspected = await svc.artifacts.confusion_audit(uow)
    return json_response({"suspected": suspected})


# Literal paths come before templated ones: /artifact/byName/x must not match {artifact_type}/{id}.
ROUTES = [
    Route("/artifacts", list_artifacts, methods=["POST"]),
    Route("/artifacts/PackageConfusionAudit", package_confusion_audit, methods=["POST"]),
    Route("/artifact/byName/{name:path}", by_name, methods=["GET"]),
    Route("/artifact/byRegEx", by_regex, methods=["POST"]),
    Route("/artifact/{artifact_type}", create_artifact, methods=["POST"]),
    Route(ARTIFACT, get_artifact, methods=["GET"]),
    Route(ARTIFACT, update_artifact, methods=["PUT"]),
    Route(ARTIFACT, delete_artifact, methods=["DELETE"]),
    Route(ARTIFACT_ALIAS, get_artifact, methods=["GET"]),
    Route(ARTIFACT_ALIAS, update_artifact, methods=["PUT"]),
    Route(ARTIFACT_ALIAS, delete_artifact, methods=["DELETE"]),
    Route("/artifact/{artifact_type}/{id}/audit", audit_trail, methods=["GET"]),
    Route("/artifact/{artifact_type}/{id}/audit/history", audit_history, methods=["GET"]),
]
