"""Map every failure to a JSON body with the right status code."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from registry.errors import RegistryError
from registry.transport.responses import ErrorResponse

log = logging.getLogger("registry.rest")


async def registry_error(request: Request, exc: Exception) -> Response:
    """A RegistryError becomes its status and JSON body."""
    assert isinstance(exc, RegistryError)
    if exc.status_code >= 500:
        log.warning(
            "%s %s -> %s: %s", request.method, request.url.path, exc.status_code, exc.message
        )
    return JSONResponse(
        exc.to_dict(), status_code=exc.status_code, headers=exc.response_headers() or None
    )


async def http_error(request: Request, exc: Exception) -> Response:
    """Routing errors (unknown path, wrong method) in the same JSON shape."""
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    body = {"error": codes.get(exc.status_code, "http_error"), "message": str(exc.detail)}
    return ErrorResponse(body, status_code=exc.status_code, headers=exc.headers)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    """Anything else is a 500 that names no internals (details go to the log only)."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return ErrorResponse(
        {"error": "internal_error", "message": "internal server error"}, status_code=500
    )


HANDLERS = {RegistryError: registry_error, HTTPException: http_error, Exception: unexpected_error}
