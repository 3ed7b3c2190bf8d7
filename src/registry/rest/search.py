"""REST: the search extension (name, types, regex and semver range; cursor paging)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from registry.search.service import ArtifactSearchRequest
from registry.transport.requests import authenticate, parse_model, read_json, services
from registry.transport.responses import json_response


async def search_artifacts(request: Request) -> Response:
    """POST /artifacts/search: one page of artifacts matching every given filter."""
    await authenticate(request, "search")
    body = parse_model(ArtifactSearchRequest, await read_json(request))
    svc = services(request)
    async with svc.db.unit_of_work() as uow:
        page = await svc.search.search(uow, body)
    return json_response(page.to_dict())


ROUTES = [Route("/artifacts/search", search_artifacts, methods=["POST"])]
