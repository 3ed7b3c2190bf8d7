"""Every REST route, assembled from the transport modules (one module per domain); the app
mounts them before GraphQL's and the pages'."""

from __future__ import annotations

from starlette.routing import BaseRoute

from registry.rest import (
    accounts,
    artifacts,
    jobs,
    licenses,
    lineage,
    packages,
    rating,
    system,
    transactions,
)
from registry.rest import search as search_routes

# Order matters only where paths overlap: each module lists its literal paths first.
ROUTES: list[BaseRoute] = [
    *system.ROUTES,
    *rating.ROUTES,  # before artifacts: /artifact/model/ingest must not match {type}/{id}
    *accounts.ROUTES,
    *search_routes.ROUTES,  # before artifacts: a literal path, like the other extensions
    *artifacts.ROUTES,
    *jobs.ROUTES,
    *packages.ROUTES,
    *lineage.ROUTES,
    *licenses.ROUTES,
    *transactions.ROUTES,
]
