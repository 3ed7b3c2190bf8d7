"""The health dashboard: traffic charts, component status and the log viewer."""

from __future__ import annotations

import time

from starlette.responses import Response

from registry.web.charts import route_chart, summarise, timeline_chart
from registry.web.context import Page, page
from registry.web.logring import LEVELS
from registry.web.service import web_service

WINDOW_SECONDS = 3600.0
TIMELINE_BUCKETS = 30  # two-minute bars across the hour
LOG_LIMIT = 200


def _auto_refresh(current: Page) -> bool:
    """Refreshing is on unless the viewer paused it (WCAG 2.2.2: moving content can stop)."""
    return current.request.query_params.get("refresh", "on") != "off"


def _is_admin(current: Page) -> bool:
    return current.session is not None and current.session.principal.is_admin


async def _panel_context(current: Page) -> dict[str, object]:
    now = time.time()
    samples = current.svc.metrics.window(WINDOW_SECONDS)
    stats = summarise(samples, now=now, window=WINDOW_SECONDS, buckets=TIMELINE_BUCKETS)
    # Admins see the components' details (backends, endpoints, errors) and the traffic per
    # route; everyone else sees totals and each component's status, like /health/components.
    details = _is_admin(current)
    health = await current.svc.health.components(60, False, detailed=details)
    return {
        "stats": stats,
        "timeline": timeline_chart(stats.buckets),
        "route_chart": route_chart(stats.routes),
        "components": health["components"],
        "generated_at": health["generated_at"],
        "refresh": _auto_refresh(current),
        "details": details,
    }


def _log_context(current: Page) -> dict[str, object]:
    params = current.request.query_params
    level = params.get("level", "INFO").upper()
    level = level if level in LEVELS else "INFO"
    logger = params.get("logger", "").strip()[:100]
    text = params.get("text", "").strip()[:200]
    entries = web_service(current.request).logs.query(
        min_level=level, logger=logger, text=text, limit=LOG_LIMIT
    )
    return {
        "entries": entries,
        "filters": {"level": level, "logger": logger, "text": text},
        "levels": LEVELS,
        "refresh": _auto_refresh(current),
    }


@page
async def dashboard(current: Page) -> Response:
    """GET /ui/health: the whole dashboard (public like /health/components; logs for admins)."""
    context = await _panel_context(current)
    is_admin = _is_admin(current)
    if is_admin:
        context |= _log_context(current)
    return current.render("health/index.html", context | {"show_logs": is_admin})


@page
async def dashboard_panel(current: Page) -> Response:
    """GET /ui/health/panel: the charts and components, re-fetched every few seconds."""
    return current.render("health/_panel.html", await _panel_context(current))


@page
async def dashboard_logs(current: Page) -> Response:
    """GET /ui/health/logs: the filtered log viewer (admins: logs can name users and URLs)."""
    current.require("admin")
    return current.render("health/_logs.html", _log_context(current))
