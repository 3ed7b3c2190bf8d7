"""create_app(settings): the lifespan builds adapters and services; the three transports' routes
are mounted here, side by side."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from registry.artifacts.service import ArtifactService
from registry.audit.service import AuditService
from registry.auth.service import AuthService
from registry.config import Settings
from registry.db.engine import Database
from registry.graphql.app import GraphQLEndpoint
from registry.health.metrics import MetricsMiddleware, RequestMetrics
from registry.health.service import HealthService
from registry.inputguard import InputGuardMiddleware
from registry.jobs.listener import JobsArtifactListener
from registry.jobs.service import JobService
from registry.licenses.rules import Policy
from registry.licenses.service import LicenseService
from registry.lineage.feature import LineageFeature
from registry.lineage.lookups import LineageLookups
from registry.lineage.service import LineageListener, LineageService
from registry.packages.collector import BlobCollector
from registry.packages.listener import PackageArtifactListener
from registry.packages.service import PackageService
from registry.rating.listener import RatingListener
from registry.rating.lookup import StoredRatings
from registry.rating.service import RatingService
from registry.rest import routes as rest_routes
from registry.rest.errors import HANDLERS
from registry.search.base import SearchIndex
from registry.search.factory import build_search_index
from registry.search.opensearch import OpenSearchIndex, OpenSearchListener
from registry.search.service import SearchService
from registry.services import Services
from registry.sources.hub import SourceRegistry
from registry.storage.factory import build_blob_store
from registry.transactions.service import TransactionListener, TransactionService
from registry.versions.service import VersionsListener
from registry.web import routes as web_routes
from registry.web.sections import add_sections
from registry.web.setup import build_web_service, close_web_service

log = logging.getLogger("registry")

# Order matters only where paths overlap: the REST routes list their literal paths first.
ROUTES: list[BaseRoute] = [
    *rest_routes.ROUTES,
    Route("/graphql", GraphQLEndpoint(), methods=["GET", "POST"]),
    *web_routes.ROUTES,
]


def _add_probes(svc: Services, sources: SourceRegistry, search: SearchIndex) -> None:
    async def database() -> dict[str, Any]:
        return {"backend": svc.db.dialect, "latency_ms": round(await svc.db.check() * 1000, 2)}

    async def blobs() -> dict[str, Any]:
        await svc.blobs.check()
        return {"backend": svc.blobs.name}

    async def index() -> dict[str, Any]:
        async with svc.db.unit_of_work() as uow:
            await search.check(uow)
        return {"backend": search.name}

    async def upstream() -> dict[str, Any]:
        return await sources.check()

    async def jobs() -> dict[str, Any]:
        counts = await svc.jobs.counts()
        return {f"jobs_{status}": count for status, count in counts.items()}

    health = svc.health
    health.add_probe("jobs", "Background jobs", "Mirroring and rating runs", jobs)
    health.add_probe(
        "database", "Metadata database", "Users, tokens, artifacts and audit entries", database
    )
    health.add_probe("blob-store", "Blob store", "Content-addressed package storage", blobs)
    health.add_probe(
        "search-index", "Search index", "Regex search over names and model cards", index
    )
    health.add_probe("sources", "Upstream sources", "Hugging Face hub and GitHub API", upstream)


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the ASGI application; adapters start in the lifespan, not at import."""
    settings = settings or Settings()
    metrics = RequestMetrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = Database(
            settings.database_url,
            pool_size=settings.database_pool_size,
            connect_timeout=settings.database_connect_timeout_seconds,
            command_timeout=settings.database_command_timeout_seconds,
        )
        await db.migrate()
        blobs = build_blob_store(settings)
        await blobs.start()
        sources = SourceRegistry(settings)
        search = build_search_index(settings)
        if isinstance(search, OpenSearchIndex):
            await search.start()
        audit = AuditService()
        auth = AuthService(settings)
        jobs = JobService(
            db, concurrency=settings.job_workers, lease_seconds=settings.job_lease_seconds
        )
        artifacts = ArtifactService(settings, db, sources, audit)
        packages = PackageService(
            settings, db, blobs, artifacts, jobs, hub=sources.huggingface, archives=sources.github
        )
        await packages.start()
        collector = BlobCollector(
            db, blobs, grace_seconds=settings.blob_gc_grace_seconds, pins=packages.pins
        )
        collector.register(jobs)
        svc = Services(
            settings=settings,
            db=db,
            blobs=blobs,
            auth=auth,
            artifacts=artifacts,
            audit=audit,
            health=HealthService(metrics, interval_seconds=settings.health_probe_interval_seconds),
            metrics=metrics,
            jobs=jobs,
            packages=packages,
            rating=RatingService(settings, db, sources, audit, jobs),
            lineage=LineageFeature(
                LineageService(), LicenseService(sources, Policy(settings.license_policy))
            ),
            search=SearchService(settings, search),
            transactions=TransactionService(settings, db, artifacts, packages),
        )
        svc.artifacts.add_listener(JobsArtifactListener())
        svc.artifacts.add_listener(VersionsListener())
        if isinstance(search, OpenSearchIndex):
            svc.artifacts.add_listener(OpenSearchListener(search))
        # Before rating: tree_score reads the parents this listener records.
        svc.artifacts.add_listener(LineageListener())
        svc.artifacts.add_listener(PackageArtifactListener(jobs))
        svc.artifacts.add_listener(RatingListener(svc.rating))
        svc.artifacts.add_listener(TransactionListener())
        # Cross-area lookups: lineage feeds tree_score, cost and the datasets part; ratings
        # feed GraphQL's node fields.
        lookups = LineageLookups()
        svc.rating.set_parent_lookup(lookups)
        svc.packages.dependencies = lookups
        svc.lineage.ratings = StoredRatings()
        # The pages' own state (sessions, templates, sections) stays with the web transport.
        web = build_web_service(settings, auth)
        add_sections(svc, web)
        _add_probes(svc, sources, search)
        svc.health.start()  # probes on a schedule; /health/components reads the last round
        async with db.unit_of_work(write=True) as uow:
            await auth.ensure_default_admin(uow)
        app.state.services = svc
        app.state.web = web
        jobs.start()
        collector.start(jobs, settings.blob_gc_interval_seconds)
        log.info("registry ready: database=%s blobs=%s", db.dialect, blobs.name)
        try:
            yield
        finally:
            await svc.health.stop()
            await collector.stop()
            await jobs.stop()
            await packages.close()
            close_web_service(web)
            await sources.close()
            await blobs.close()
            if isinstance(search, OpenSearchIndex):
                await search.close()
            await db.dispose()

    return Starlette(
        routes=ROUTES,
        lifespan=lifespan,
        exception_handlers=HANDLERS,
        # The guard sits inside the metrics, so the requests it refuses are counted too.
        middleware=[
            Middleware(MetricsMiddleware, metrics=metrics),
            Middleware(InputGuardMiddleware),
        ],
    )
