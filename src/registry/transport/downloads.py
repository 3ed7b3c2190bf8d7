"""A package or part as a response: 307 to the store when it presigns, else the bytes with
ETag, Range and Content-Length, sent zero-copy where the server and the store allow it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from registry.errors import RangeNotSatisfiableError
from registry.httpserver import ZERO_COPY
from registry.packages.ranges import parse_range
from registry.packages.service import Content
from registry.services import Services
from registry.storage.base import BlobStore
from registry.transport.responses import json_response


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
