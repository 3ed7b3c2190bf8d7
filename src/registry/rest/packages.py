"""REST: zip uploads, downloads of whole packages or parts, size cost, and mirror requests."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from registry.artifacts.schemas import artifact_of
from registry.artifacts.service import parse_id, parse_type
from registry.errors import RangeNotSatisfiableError, ValidationError
from registry.httpserver import ZERO_COPY
from registry.jobs.service import job_view
from registry.packages.parts import parse_part
from registry.packages.ranges import parse_range
from registry.packages.service import Content
from registry.packages.upload import check_declared_size, check_upload_name, check_version
from registry.rest.support import Services, authenticate, base_url, json_response, services
from registry.storage.base import BlobStore

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
    principal = await authenticate(request, "download")
    artifact_type = parse_type(request.path_params["artifact_type"])
    artifact_id = parse_id(request.path_params["id"])
    part = parse_part(request.query_params.get("part"))
    svc = services(request)
    content = await svc.packages.download(principal, artifact_type, artifact_id, part)
    return await serve_content(request, svc, content)


async def serve_content(request: Request, svc: Services, content: Content) -> Response:
    """307 to the store when it presigns; else stream with ETag, Range and Content-Length."""
    url = await svc.blobs.presign(
        content.digest, expires_in=svc.settings.presign_seconds, filename=content.filename
    )
    if url is not None:
        return RedirectResponse(url, status_code=307)
    etag = f'"{content.digest}"'
    headers = {
        "etag": etag,
        "accept-ranges": "bytes",
        "content-disposition": f"attachment; filename*=UTF-8''{quote(content.filename)}",
    }
    if_range = request.headers.get("if-range")
    wanted = request.headers.get("range") if if_range in (None, etag) else None
    try:
        span = parse_range(wanted, content.size)
    except RangeNotSatisfiableError as exc:
        headers = {"content-range": f"bytes */{content.size}"}
        return json_response(exc.to_dict(), status_code=exc.status_code, headers=headers)
    start, end = span or (0, content.size)
    headers["content-length"] = str(end - start)
    status = 200
    if span is not None:
        status = 206
        headers["content-range"] = f"bytes {start}-{end - 1}/{content.size}"
    return BlobResponse(svc.blobs, content.digest, start, end, status, headers, content.media_type)


class BlobResponse(Response):
    """Bytes [start, end) of a stored blob. Where the server offers ASGI zero-copy send and
    the store has the blob as a local file, the server sendfile()s it; else it is streamed."""

    def __init__(
        self,
        blobs: BlobStore,
        digest: str,
        start: int,
        end: int,
        status_code: int,
        headers: dict[str, str],
        media_type: str,
    ) -> None:
        self.blobs, self.digest, self.start, self.end = blobs, digest, start, end
        self.status_code = status_code
        self.media_type = media_type
        self.background = None
        self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        file = None
        if ZERO_COPY in scope.get("extensions", {}):
            file = await self.blobs.open_file(self.digest)
        if file is None:
            stream = StreamingResponse(
                self.blobs.open(self.digest, start=self.start, end=self.end),
                status_code=self.status_code,
                media_type=self.media_type,
            )
            stream.raw_headers = self.raw_headers
            await stream(scope, receive, send)
            return
        with file:
            start: dict[str, Any] = {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": self.raw_headers,
            }
            await send(start)
            body = {"type": ZERO_COPY, "file": file, "offset": self.start,
                    "count": self.end - self.start, "more_body": False}  # fmt: skip
            await send(body)


async def cost(request: Request) -> Response:
    """GET /artifact/{artifact_type}/{id}/cost[?dependency=true]: download size in MB."""
    await authenticate(request, "search")
    artifact_type = parse_type(request.path_params["artifact_type"])
    artifact_id = parse_id(request.path_params["id"])
    raw = request.query_params.get("dependency", "false").lower()
    if raw not in ("true", "false", "1", "0", ""):
        raise ValidationError("dependency must be true or false")
    svc = services(request)
    async with svc.db.unit_of_work() as uow:
        row = await svc.artifacts.get(uow, artifact_type, artifact_id)
        result = await svc.packages.cost(uow, row, raw in ("true", "1"))
    return json_response(result)


async def mirror(request: Request) -> Response:
    """POST /artifacts/{artifact_type}/{id}/mirror (admins): queue a mirror, e.g. of a dataset."""
    await authenticate(request, "admin")
    artifact_type = parse_type(request.path_params["artifact_type"])
    artifact_id = parse_id(request.path_params["id"])
    svc = services(request)
    async with svc.db.unit_of_work(write=True) as uow:
        row = await svc.artifacts.get(uow, artifact_type, artifact_id)
        job = await svc.packages.request_mirror(uow, row)
    svc.jobs.wake()
    return json_response(job_view(job), status_code=202)


ROUTES = [
    Route("/artifact/{artifact_type}/upload", upload, methods=["POST"]),
    Route("/artifacts/{artifact_type}/{id}/download", download, methods=["GET"]),
    Route("/artifact/{artifact_type}/{id}/cost", cost, methods=["GET"]),
    Route("/artifacts/{artifact_type}/{id}/mirror", mirror, methods=["POST"]),
]
