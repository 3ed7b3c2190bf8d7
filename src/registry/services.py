"""The Services container: every domain service a transport may call, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from registry.artifacts.service import ArtifactService
from registry.audit.service import AuditService
from registry.auth.service import AuthService
from registry.config import Settings
from registry.db.engine import Database
from registry.health.metrics import RequestMetrics
from registry.health.service import HealthService
from registry.jobs.service import JobService
from registry.lineage.feature import LineageFeature
from registry.packages.service import PackageService
from registry.rating.service import RatingService
from registry.search.service import SearchService
from registry.storage.base import BlobStore
from registry.transactions.service import TransactionService


@dataclass(slots=True)
class Services:
    """Everything a transport may call, built once per process by the app's lifespan."""

    settings: Settings
    db: Database
    blobs: BlobStore
    auth: AuthService
    artifacts: ArtifactService
    audit: AuditService
    health: HealthService
    metrics: RequestMetrics
    jobs: JobService
    packages: PackageService
    rating: RatingService
    lineage: LineageFeature
    search: SearchService
    transactions: TransactionService
