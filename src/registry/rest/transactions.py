"""REST: atomic groups of changes: open, append operations, execute, show, abandon."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from registry.artifacts.service import parse_type
from registry.errors import ValidationError
from registry.packages.upload import check_declared_size, check_upload_name, check_version
from registry.rest.packages import ZIP_TYPES
from registry.transactions.schemas import operation_model, transaction_view
from registry.transactions.service import TransactionState
from registry.transport.requests import authenticate, parse_model, read_json, services
from registry.transport.responses import json_response


def _id(request: Request) -> str:
    value = request.path_params["id"]
    if len(value) > 64 or not value.isascii() or not value.isalnum():
        raise ValidationError("a transaction id is 1-64 letters and digits")
    return str(value)


def _render(state: TransactionState, status_code: int = 200) -> Response:
    return json_response(transaction_view(state.row, state.operations), status_code=status_code)


async def begin(request: Request) -> Response:
    """POST /transactions: open a group (upload permission)."""
    principal = await authenticate(request, "upload")
    state = await services(request).transactions.begin(principal)
    return _render(state, 201)


async def append(request: Request) -> Response:
    """POST /transactions/{id}/operations: a JSON operation, or a zip with ?op=upload."""
    principal = await authenticate(request, "upload")
    transaction_id = _id(request)
    svc = services(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ZIP_TYPES or request.query_params.get("op") == "upload":
        if request.query_params.get("op") != "upload":
            raise ValidationError("a zip body is an upload: add the query parameter op=upload")
        if content_type not in ZIP_TYPES:
            raise ValidationError("send an upload's zip with Content-Type application/zip")
        artifact_type = parse_type(request.query_params.get("artifact_type") or "")
        name = check_upload_name(request.query_params.get("name"))
        version = check_version(request.query_params.get("version"))
        check_declared_size(
            request.headers.get("content-length"), svc.settings.package_max_upload_bytes
        )
        state = await svc.transactions.append_upload(
            principal, transaction_id, artifact_type, name, version, request.stream()
        )
        return _render(state, 201)
    data = await read_json(request)
    operation = parse_model(operation_model(data), data)
    state = await svc.transactions.append(principal, transaction_id, operation)
    return _render(state, 201)


async def execute(request: Request) -> Response:
    """POST /transactions/{id}/execute: apply every operation or none."""
    principal = await authenticate(request, "upload")
    state = await services(request).transactions.execute(principal, _id(request))
    return _render(state)


async def show(request: Request) -> Response:
    """GET /transactions/{id}: the group's state and operations."""
    principal = await authenticate(request, None)
    state = await services(request).transactions.view(principal, _id(request))
    return _render(state)


async def abandon(request: Request) -> Response:
    """DELETE /transactions/{id}: abandon an open group."""
    principal = await authenticate(request, None)
    state = await services(request).transactions.abandon(principal, _id(request))
    return _render(state)


ROUTES = [
    Route("/transactions", begin, methods=["POST"]),
    Route("/transactions/{id}", show, methods=["GET"]),
    Route("/transactions/{id}", abandon, methods=["DELETE"]),
    Route("/transactions/{id}/operations", append, methods=["POST"]),
    Route("/transactions/{id}/execute", execute, methods=["POST"]),
]
