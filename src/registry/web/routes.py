"""Every page route under /ui, each wrapped in the security-headers middleware."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send

from registry.web.pages import account, admin, artifact, dashboard, directory, register, upload
from registry.web.security import SecurityHeaders

_HEADERS = [Middleware(SecurityHeaders)]


async def _static(scope: Scope, receive: Receive, send: Send) -> None:
    # The asset directory comes from settings, known only once the lifespan built the service.
    await scope["app"].state.web.static(scope, receive, send)


def _page(path: str, endpoint: object, methods: list[str]) -> Route:
    return Route(path, endpoint, methods=methods, middleware=_HEADERS)  # type: ignore[arg-type]


ROUTES: list[BaseRoute] = [
    _page("/ui", account.home, ["GET"]),
    _page("/ui/", account.home, ["GET"]),
    _page("/ui/login", account.login_page, ["GET"]),
    _page("/ui/login", account.login_submit, ["POST"]),
    _page("/ui/logout", account.logout, ["POST"]),
    _page("/ui/artifacts", directory.directory, ["GET"]),
    _page("/ui/artifacts/{artifact_type}/{id}", artifact.artifact_page, ["GET"]),
    _page("/ui/artifacts/{artifact_type}/{id}/download", artifact.download, ["GET"]),
    _page("/ui/artifacts/{artifact_type}/{id}/mirror", artifact.mirror, ["POST"]),
    _page("/ui/artifacts/model/{id}/rate", artifact.rate, ["POST"]),
    _page("/ui/artifacts/model/{id}/license-check", artifact.license_check, ["POST"]),
    _page("/ui/upload", upload.upload_page, ["GET"]),
    _page("/ui/upload", upload.upload_submit, ["POST"]),
    _page("/ui/ingest", upload.ingest_page, ["GET"]),
    _page("/ui/ingest", upload.ingest_submit, ["POST"]),
    _page("/ui/register", register.register_page, ["GET"]),
    _page("/ui/register", register.register_submit, ["POST"]),
    _page("/ui/users", admin.users_page, ["GET"]),
    _page("/ui/users", admin.create_user, ["POST"]),
    _page("/ui/users/{name}/delete", admin.delete_user, ["POST"]),
    _page("/ui/health", dashboard.dashboard, ["GET"]),
    _page("/ui/health/panel", dashboard.dashboard_panel, ["GET"]),
    _page("/ui/health/logs", dashboard.dashboard_logs, ["GET"]),
    Mount("/ui/static", app=_static, middleware=[Middleware(SecurityHeaders, no_store=False)]),
]
