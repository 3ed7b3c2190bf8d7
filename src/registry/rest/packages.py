"""REST: zip uploads, downloads of whole packages or parts, size cost, and mirror requests.

The download response itself (presign, Range, ETag, zero-copy) is `transport.downloads`,
shared with the pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from registry.artifacts.schemas import artifact_of
from registry.artifacts.service import parse_type
from registry.errors import ValidationError
from registry.jobs.service import job_view
from registry.packages.parts import parse_part
from registry.packages.upload import check_declared_size, check_upload_name, check_version
from registry.transport.artifacts import resolve
from registry.transport.downloads import serve_content
from registry.transport.requests import authenticate, base_url, services
from registry.transport.responses import json_response

ZIP_TYPES = frozenset(
    {"application/zip", "application/x-zip-compressed", "application/octet-stream"}
)


async def upload(request: Request) -> Response:
    """POST /artifact/{artifact_type}/upload?name=&version=: register a zip as an artifact."""
    principal = await authenticate(request, "upload")
    artifact_type = parse_type(request.path_params["artifact_type"])
    name = check_upload_name(request.query_params.get("name"))
    version = check_version(request.query_params.get("version"))
    content_type = request.headers.get("content-type", "application/zip").split(";")[0].strip()
    if content_type.lower() not in ZIP_TYPES:
        raise ValidationError(
            f"send the zip itself as the request body (Content-Type: application/zip), "
            f"not {content_type[:64]}"
        )
    svc = services(request)
    check_declared_size(
        request.headers.get("content-length"), svc.settings.package_max_upload_bytes
    )
    row = await svc.packages.upload(principal, artifact_type, name, version, request.stream())
    return json_response(artifact_of(row, base_url(request)), status_code=201)


async def download(request: Request) -> Response:
    """GET /artifacts/{artifact_type}/{id}/download[?part=]: the package zip or one part."""
    target = await resolve(request, "download")
    part = parse_part(request.query_params.get("part"))
    svc = target.svc
    content = await svc.packages.download(target.principal, target.type, target.id, part)
    return await serve_content(request, svc, content)


async def cost(request: Request) -> Response:
    """GET /artifact/{artifact_type}/{id}/cost[?dependency=true]: download size in MB."""
    target = await resolve(request, "search")
    raw = request.query_params.get("dependency", "false").lower()
    if raw not in ("true", "false", "1", "0", ""):
        raise ValidationError("dependency must be true or false")
    svc = target.svc
    async with svc.db.unit_of_work() as uow:
        row = await target.get(uow)
        result = await svc.packages.cost(uow, row, raw in ("true", "1"))
    return json_response(result)


async def mirror(request: Request) -> Response:
    """POST /artifacts/{artifact_type}/{id}/mirror (admins): queue a mirror, e.g. of a dataset."""
    target = await resolve(request, "admin")
    svc = target.svc
    async with svc.db.unit_of_work(write=True) as uow:
        row = await target.get(uow)
        job = await svc.packages.request_mirror(uow, row)
    svc.jobs.wake()
    return json_response(job_view(job), status_code=202)


ROUTES = [
    Route("/artifact/{artifact_type}/upload", upload, methods=["POST"]),
    Route("/artifacts/{artifact_type}/{id}/download", download, methods=["GET"]),
    Route("/artifact/{artifact_type}/{id}/cost", cost, methods=["GET"]),
    Route("/artifacts/{artifact_type}/{id}/mirror", mirror, methods=["POST"]),
]
