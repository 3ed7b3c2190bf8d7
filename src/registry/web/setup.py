"""Build the web transport's service at start-up."""

from __future__ import annotations

import logging

from starlette.staticfiles import StaticFiles

from registry.auth.service import AuthService
from registry.config import Settings
from registry.web.logring import LogRing
from registry.web.render import build_environment
from registry.web.service import WebService

log = logging.getLogger("registry.web")
HTMX_PATH = "static/vendor/htmx.min.js"
# Loggers that do not propagate to the root: the ring listens to them directly.
EXTRA_LOGGERS = ("uvicorn", "uvicorn.access")


def build_web_service(settings: Settings, auth: AuthService) -> WebService:
    """Templates, static files and the log ring; the ring starts listening at once."""
    templates = settings.web_dir / "templates"
    if not templates.is_dir():
        raise RuntimeError(f"web templates not found at {templates} (REGISTRY_WEB_DIR)")
    htmx = (settings.web_dir / HTMX_PATH).is_file()
    if not htmx:
        log.warning("htmx is not installed (run `make web`): pages work without live updates")
    logs = LogRing(settings.web_log_capacity)
    logs.install(*EXTRA_LOGGERS)
    service = WebService(
        auth=auth,
        logs=logs,
        templates=build_environment(templates),
        static=StaticFiles(directory=settings.web_dir / "static", check_dir=False),
        htmx_available=htmx,
        session_ttl_seconds=settings.web_session_ttl_seconds,
    )
    return service


def close_web_service(service: WebService) -> None:
    """Detach the log ring (test apps come and go within one process)."""
    service.logs.uninstall(*EXTRA_LOGGERS)
