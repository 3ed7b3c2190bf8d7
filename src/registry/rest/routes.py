"""REST transport: parse, call one service, render. The contract's paths plus our extensions."""

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
from registry.artifacts.service import parse_id, parse_type
from registry.auth.schemas import user_record
from registry.auth.service import AuthenticationRequest, UserRegistration
from registry.errors import NotFoundError, ValidationError
from registry.rest.support import (
    authenticate,
    base_url,
    json_response,
    parse_model,
    read_json,
    services,
)

TRACKS = ["Performance track", "Access control track", "High assurance track"]


async def health(request: Request) -> Response:
    """Liveness: answers without touching any backend."""
    return json_response({"status": "ok"})


async def health_components(request: Request) -> Response:
    """Per-component diagnostics (no token needed, like /health)."""
    raw_window = request.query_params.get("windowMinutes", "60")
    if not raw_window.isdigit():
        raise ValidationError("windowMinutes must be an integer between 5 and 1440")
    raw_timeline = request.query_params.get("includeTimeline", "false").lower()
    if raw_timeline not in ("true", "false", "1", "0"):
        raise ValidationError("includeTimeline must be true or false")
    document = await services(request).health.components(int(raw_window), raw_timeline in ("true", "1"))
    return json_response(document)


async def tracks(request: Request) -> Response:
    """The contract's planned-tracks document."""
    return json_response({"plannedTracks": TRACKS})


async def create_token(request: Request) -> Response:
    """PUT /authenticate: name + password in, "bearer <token>" out."""
    body = parse_model(AuthenticationRequest, await read_json(request))
    svc = services(request)
    async with svc.db.unit_of_work(write=True) as uow:
        token = await svc.auth.login(uow, body)
    return json_response(token)


async def reset(request: Request) -> Response:
    """DELETE /reset: empty registry, default admin restored, caller's token still valid."""
    principal = await authenticate(request, "admin", status_code=401)
    svc = services(request)
    async with svc.db.unit_of_work(write=True) as uow:
        await svc.artifacts.reset(uow)
        await svc.auth.reset(uow, principal)
    return json_response({"status": "reset"})


async def create_artifact(request: Request) -> Response:
    """POST /artifact/{artifact_type}: register from a URL."""
    principal = await authenticate(request, "upload")
    artifact_type = parse_type(request.path_params["artifact_type"])
    body = parse_model(ArtifactCreateRequest, await read_json(request))
    svc = services(request)
    draft = await svc.artifacts.prepare(artifact_type, body)
    async with svc.db.unit_of_work(write=True) as uow:
        row = await svc.artifacts.register(uow, principal, draft)
    return json_response(artifact_of(row, base_url(request)), status_code=201)


async def get_artifact(request: Request) -> Response:
    """GET /artifacts/{artifact_type}/{id}."""
    await authenticate(request, "search")
    artifact_type = parse_type(request.path_params["artifact_type"])
    artifact_id = parse_id(request.path_params["id"])
    svc = services(request)
    async with svc.db.unit_of_work() as uow:
        row = await svc.artifacts.get(uow, artifact_type, artifact_id)
    return json_response(artifact_of(row, base_url(request)))


async def update_artifact(request: Request) -> Response:
    """PUT /artifacts/{artifact_type}/{id}: replace the source; name and id must match."""
    principal = await authenticate(request, "upload")
    artifact_type = parse_type(request.path_params["artifact_type"])
    artifact_id = parse_id(request.path_params["id"])
    body = parse_model(ArtifactIn, await read_json(request))
    svc = services(request)
    async with svc.db.unit_of_work() as uow:  # 404 before any network call
        await svc.artifacts.get(uow, artifact_type, artifact_id)
    info = await svc.artifacts.prepare_update(artifact_type, artifact_id, body)
    async with svc.db.unit_of_work(write=True) as uow:
        row = await svc.artifacts.update(uow, principal, artifact_type, artifact_id, body, info)
    return json_response(artifact_of(row, base_url(request)))


async def delete_artifact(request: Request) -> Response:
    """DELETE /artifacts/{artifact_type}/{id}."""
    await authenticate(request, "upload")
    artifact_type = parse_type(request.path_params["artifact_type"])
    artifact_id = parse_id(request.path_params["id"])
    svc = services(request)
    async with svc.db.unit_of_work(write=True) as uow:
        await svc.artifacts.delete(uow, artifact_type, artifact_id)
    return json_response({"status": "deleted", "id": artifact_id})


def _int_param(request: Request, name: str, *, header: bool = False) -> int | None:
    raw = request.query_params.get(name)
    if raw is None and header:
        raw = request.headers.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 12:
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
        hits = await svc.artifacts.by_regex(uow, body.regex)
    return json_response([{"name": h.name, "id": h.id, "type": h.type} for h in hits])


async def audit_trail(request: Request) -> Response:
    """GET /artifact/{artifact_type}/{id}/audit (admins): the trail; the read itself is audited."""
    principal = await authenticate(request, "admin")
    artifact_type = parse_type(request.path_params["artifact_type"])
    artifact_id = parse_id(request.path_params["id"])
    svc = services(request)
    async with svc.db.unit_of_work(write=True) as uow:
        row = await svc.artifacts.get(uow, artifact_type, artifact_id)
        trail = await svc.audit.trail(uow, row)
        await svc.audit.record(uow, principal, row, "AUDIT")
    return json_response(trail)


async def download(request: Request) -> Response:
    """GET /artifacts/{artifact_type}/{id}/download: the stored package (packages issue)."""
    await authenticate(request, "download")
    artifact_type = parse_type(request.path_params["artifact_type"])
    artifact_id = parse_id(request.path_params["id"])
    svc = services(request)
    async with svc.db.unit_of_work() as uow:
        await svc.artifacts.get(uow, artifact_type, artifact_id)
    raise NotFoundError("this artifact's content is not stored in the registry yet")


async def register_user(request: Request) -> Response:
    """POST /users (admins): create a user with permissions."""
    principal = await authenticate(request, "admin")
    body = parse_model(UserRegistration, await read_json(request))
    svc = services(request)
    async with svc.db.unit_of_work(write=True) as uow:
        user = await svc.auth.register(uow, principal, body)
    return json_response(user_record(user), status_code=201)


async def list_users(request: Request) -> Response:
    """GET /users (admins)."""
    principal = await authenticate(request, "admin")
    svc = services(request)
    async with svc.db.unit_of_work() as uow:
        users = await svc.auth.list(uow, principal)
    return json_response([user_record(u) for u in users])


async def get_user(request: Request) -> Response:
    """GET /users/{name}: yourself, or anyone if you are an admin."""
    principal = await authenticate(request, None)
    svc = services(request)
    async with svc.db.unit_of_work() as uow:
        user = await svc.auth.get(uow, principal, request.path_params["name"])
    return json_response(user_record(user))


async def delete_user(request: Request) -> Response:
    """DELETE /users/{name}: yourself, or anyone (but the default admin) if you are an admin."""
    principal = await authenticate(request, None)
    svc = services(request)
    name = request.path_params["name"]
    async with svc.db.unit_of_work(write=True) as uow:
        await svc.auth.delete(uow, principal, name)
    return json_response({"status": "deleted", "name": name})


ARTIFACT = "/artifacts/{artifact_type}/{id}"
ARTIFACT_ALIAS = "/artifact/{artifact_type}/{id}"

# Literal paths come before templated ones: /artifact/byName/x must not match {artifact_type}/{id}.
ROUTES = [
    Route("/health", health, methods=["GET"]),
    Route("/health/components", health_components, methods=["GET"]),
    Route("/tracks", tracks, methods=["GET"]),
    Route("/authenticate", create_token, methods=["PUT"]),
    Route("/reset", reset, methods=["DELETE"]),
    Route("/artifacts", list_artifacts, methods=["POST"]),
    Route("/artifact/byName/{name:path}", by_name, methods=["GET"]),
    Route("/artifact/byRegEx", by_regex, methods=["POST"]),
    Route("/artifact/{artifact_type}", create_artifact, methods=["POST"]),
    Route(ARTIFACT, get_artifact, methods=["GET"]),
    Route(ARTIFACT, update_artifact, methods=["PUT"]),
    Route(ARTIFACT, delete_artifact, methods=["DELETE"]),
    Route(ARTIFACT_ALIAS, get_artifact, methods=["GET"]),
    Route(ARTIFACT_ALIAS, update_artifact, methods=["PUT"]),
    Route(ARTIFACT_ALIAS, delete_artifact, methods=["DELETE"]),
    Route(ARTIFACT + "/download", download, methods=["GET"]),
    Route("/artifact/{artifact_type}/{id}/audit", audit_trail, methods=["GET"]),
    Route("/users", register_user, methods=["POST"]),
    Route("/users", list_users, methods=["GET"]),
    Route("/users/{name}", get_user, methods=["GET"]),
    Route("/users/{name}", delete_user, methods=["DELETE"]),
]
