"""/graphql: the registry's tokens and permissions in front of Strawberry's ASGI app."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from registry.errors import RegistryError, ValidationError
from registry.graphql.context import GraphQLContext
from registry.graphql.schema import schema
from registry.transport.requests import authenticate, parse_json_body, read_body, services

log = logging.getLogger("registry.graphql")
_CONTEXT_KEY = "registry.graphql.context"


def _format(error: GraphQLError) -> dict[str, Any]:
    """One GraphQL error; registry errors carry their code and HTTP-equivalent status."""
    formatted = error.formatted
    original = error.original_error
    if isinstance(original, RegistryError):
        formatted["extensions"] = {"code": original.code, "status": original.status_code}
    elif original is not None:
        # An unexpected failure: log it, tell the client nothing about internals.
        log.error("graphql resolver failed", exc_info=original)
        formatted["message"] = "internal server error"
        formatted["extensions"] = {"code": "internal_error", "status": 500}
    return dict(formatted)


class _Strawberry(GraphQL[GraphQLContext, None]):
    """Strawberry's ASGI app with our context and error formatting; no IDE page (no CDN)."""

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GraphQLContext:
        """The context the endpoint prepared for this request."""
        return request.scope[_CONTEXT_KEY]  # type: ignore[no-any-return]

    async def process_result(
        self, request: Request | WebSocket, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """data / errors, with our error codes in each error's extensions."""
        data: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            data["errors"] = [_format(e) for e in result.errors]
        if result.extensions:
            data["extensions"] = result.extensions
        return data


async def _checked_input(request: Request, receive: Receive) -> Receive:
    """Check the request's JSON (size, depth, NUL, surrogates) as REST does; replay the body."""
    max_depth = services(request).settings.json_max_depth
    if request.method == "GET":
        # Strawberry parses these itself: a deep `variables` would end in RecursionError.
        for key in ("variables", "extensions"):
            raw = request.query_params.get(key)
            if raw:
                parse_json_body(raw.encode("utf-8", "surrogatepass"), max_depth, f"`{key}`")
        return receive
    if "application/json" not in request.headers.get("content-type", "").lower():
        raise ValidationError("a GraphQL POST must carry application/json")
    body = await read_body(request)
    parse_json_body(body, max_depth)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()  # after the body: wait for the disconnect as usual
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class GraphQLEndpoint:
    """Authenticates (search permission), runs the query; resolvers share one read transaction,
    opened when the first of them reads and closed when the request ends."""

    def __init__(self) -> None:
        self.graphql = _Strawberry(schema, graphql_ide=None, allow_queries_via_get=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        request = Request(scope, receive)
        try:
            principal = await authenticate(request, "search")
            receive = await _checked_input(request, receive)
        except RegistryError as exc:
            body = {
                "data": None,
                "errors": [
                    {
                        "message": exc.message,
                        "extensions": {"code": exc.code, "status": exc.status_code},
                    }
                ],
            }
            await JSONResponse(body, status_code=exc.status_code)(scope, receive, send)
            return
        svc = services(request)
        # The read transaction opens lazily, when a resolver first reads: a mutation that
        # runs its own units of work holds no pooled connection meanwhile.
        context = GraphQLContext(principal, svc.db, svc.lineage, transactions=svc.transactions)
        scope[_CONTEXT_KEY] = context
        try:
            await self.graphql(scope, receive, send)
        except BaseException as exc:
            await context.close(exc)
            raise
        await context.close()
