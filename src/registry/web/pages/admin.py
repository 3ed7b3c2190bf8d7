"""User administration for admins: list, create with permissions, delete."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from registry.auth.schemas import user_record
from registry.auth.service import UserRegistration
from registry.errors import RegistryError
from registry.transport.requests import parse_model
from registry.web.context import Page, field, page, redirect

PERMISSION_FIELDS = ("upload", "search", "download")


async def _users_page(
    current: Page,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    principal = current.require("admin")
    svc = current.svc
    async with svc.db.unit_of_work() as uow:
        users = await svc.auth.list(uow, principal)
    return current.render(
        "users/index.html",
        {
            "users": [user_record(u) for u in users],
            "default_admin": svc.settings.default_admin_name,
            "error": error,
            "values": values
            or {"name": "", "upload": False, "search": True, "download": True, "is_admin": False},
            "notice": notice,
        },
        status,
    )


@page
async def users_page(current: Page) -> Response:
    """GET /ui/users."""
    notice = current.request.query_params.get("done")
    return await _users_page(current, notice=notice[:200] if notice else None)


@page
async def create_user(current: Page) -> Response:
    """POST /ui/users: register a user (the same rules as POST /users)."""
    principal = current.require("admin")
    form = await current.form()
    values: dict[str, Any] = {"name": field(form, "name").strip()}
    for name in (*PERMISSION_FIELDS, "is_admin"):
        values[name] = field(form, name) == "on"
    svc = current.svc
    try:
        body = parse_model(
            UserRegistration,
            {
                "user": {"name": values["name"], "is_admin": values["is_admin"]},
                "secret": {"password": field(form, "password")},
                "permissions": {name: values[name] for name in PERMISSION_FIELDS},
            },
        )
        async with svc.db.unit_of_work(write=True) as uow:
            await svc.auth.register(uow, principal, body)
    except RegistryError as exc:
        return await _users_page(
            current, error=exc.to_dict(), values=values, status=exc.status_code
        )
    return redirect(current, "/ui/users?" + urlencode({"done": f"Created user {values['name']}"}))


@page
async def delete_user(current: Page) -> Response:
    """POST /ui/users/{name}/delete."""
    principal = current.require("admin")
    await current.form()
    name = current.request.path_params["name"]
    svc = current.svc
    try:
        async with svc.db.unit_of_work(write=True) as uow:
            await svc.auth.delete(uow, principal, name)
    except RegistryError as exc:
        return await _users_page(current, error=exc.to_dict(), status=exc.status_code)
    return redirect(current, "/ui/users?" + urlencode({"done": f"Deleted user {name}"}))
