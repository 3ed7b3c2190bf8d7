"""Request plumbing every transport shares: the service container, JSON bodies, the token check."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from starlette.requests import Request

from registry.auth.schemas import Permission, Principal
from registry.errors import PayloadTooLargeError, ValidationError
from registry.services import Services
from registry.textcheck import (
    escape_controls,
    is_ascii_digits,
    json_nesting,
    json_problem,
    needs_json_check,
)

M = TypeVar("M", bound=BaseModel)


def services(request: Request) -> Services:
    """The process's service container."""
    return request.app.state.services  # type: ignore[no-any-return]


async def read_json(request: Request) -> Any:
    """Read and parse a JSON body, enforcing the body size limit; 400/413 with a reason."""
    body = await read_body(request)
    return parse_json_body(body, services(request).settings.json_max_depth)


async def read_body(request: Request) -> bytes:
    """Read the whole request body, 413 as soon as it passes the configured limit."""
    limit = services(request).settings.max_body_bytes
    declared = request.headers.get("content-length")
    if (
        declared is not None
        and is_ascii_digits(declared)
        and (len(declared) > 18 or int(declared) > limit)
    ):
        raise PayloadTooLargeError(f"request body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise PayloadTooLargeError(f"request body is larger than {limit} bytes")
    return bytes(body)


def parse_json_body(body: bytes, max_depth: int, what: str = "request body") -> Any:
    """Parse request JSON; 400 if invalid, deeper than max_depth, or holding NUL or a surrogate."""
    if not body.strip():
        raise ValidationError(f"{what} is empty; a JSON document is required")
    if needs_json_check(body, max_depth) and json_nesting(body, max_depth) > max_depth:
        raise ValidationError(
            f"{what} nests deeper than {max_depth} levels", details={"field": "(body)"}
        )
    try:
        data = json.loads(body)
    except RecursionError:
        # The C parser recurses per level; thousands of `[` end here, not in a 500.
        raise ValidationError(
            f"{what} nests deeper than {max_depth} levels", details={"field": "(body)"}
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        # ValueError also covers numbers longer than int() converts (4300 digits).
        reason = escape_controls(str(exc))[:200]
        raise ValidationError(f"{what} is not valid JSON: {reason}") from None
    if needs_json_check(body, max_depth):
        problem = json_problem(data, max_depth)
        if problem is not None:
            raise ValidationError(f"invalid request: {problem}", details={"field": "(body)"})
    return data


def parse_model(model: type[M], data: Any) -> M:
    """Validate data against a pydantic model; 400 naming the fields on failure."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "problem": err["msg"]}
            for err in exc.errors(include_url=False, include_input=False)
        ]
        summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
        raise ValidationError(
            f"invalid request: {summary}", details={"problems": problems}
        ) from None


async def authenticate(
    request: Request, permission: Permission | None, *, status_code: int = 403
) -> Principal:
    """Check the X-Authorization token (counting the call) and the permission the route needs."""
    svc = services(request)
    principal = await svc.auth.authenticate(svc.db, request.headers.get("x-authorization"))
    if permission is not None:
        svc.auth.require(principal, permission, status_code=status_code)
    return principal


def base_url(request: Request) -> str:
    """Public base URL for links we hand out (configured, else the request's own)."""
    configured = services(request).settings.public_base_url
    return (configured or str(request.base_url)).rstrip("/")
