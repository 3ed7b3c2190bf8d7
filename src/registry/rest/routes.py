"""Every REST route, assembled from the transport modules (one module per domain)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from registry.graphql.app import GraphQLEndpoint
from registry.rest import accounts, artifacts, jobs, licenses, lineage, packages, rating, system
from registry.rest import search as search_routes
from registry.web import routes as web_routes

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
    Route("/graphql", GraphQLEndpoint(), methods=["GET", "POST"]),
    *web_routes.ROUTES,
]
