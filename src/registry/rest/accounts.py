"""REST: tokens and user administration."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from registry.auth.schemas import user_record
from registry.auth.service import AuthenticationRequest, UserRegistration
from registry.auth.throttle import client_address
from registry.transport.requests import authenticate, parse_model, read_json, services
from registry.transport.responses import json_response


async def create_token(request: Request) -> Response:
    """PUT /authenticate: name + password in, "bearer <token>" out."""
    body = parse_model(AuthenticationRequest, await read_json(request))
    svc = services(request)
    address = client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        trust_forwarded=svc.settings.login_trust_forwarded_for,
    )
    # No unit of work here: the service reads the hash, verifies it with no connection held,
    # then issues the token in a short transaction of its own.
    token = await svc.auth.login(svc.db, body, address)
    return json_response(token)


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


ROUTES = [
    Route("/authenticate", create_token, methods=["PUT"]),
    Route("/users", register_user, methods=["POST"]),
    Route("/users", list_users, methods=["GET"]),
    Route("/users/{name}", get_user, methods=["GET"]),
    Route("/users/{name}", delete_user, methods=["DELETE"]),
]
