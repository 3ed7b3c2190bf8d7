"""Every REST route, assembled from the transport modules (one module per domain)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from registry.rest import accounts, artifacts, jobs, system

# Order matters only where paths overlap: each module lists its literal paths first.
ROUTES: list[BaseRoute] = [
    *system.ROUTES,
    *accounts.ROUTES,
    *artifacts.ROUTES,
    *jobs.ROUTES,
]
